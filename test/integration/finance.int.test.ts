// Finance on the real stack (PostgreSQL, Temporal, S3, the API and the worker): dated pay rates priced by unit to
// the cent, the budget alert raised once and the hard cap that stops claims until finance raises the budget, and
// payout runs that pay every ledger entry exactly once, with their approval and their CSV.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrisma, type PrismaClient } from '@suture/db';
import { frameNumberVideo, tempDir } from '@suture/workflows/media/test-support';
import { recordPayable } from '@suture/workflows/services/ledger';
import { gql, startStack, waitFor, type Stack } from '../support/stack.ts';
import { bootstrapAdmin, createCampaignWithBatch, everyoneAsMembers, register, startBatch, uploadAsset, type Person } from '../support/scenario.ts';

const CLASSES = [
  { key: 'liver', name: 'Liver' },
  { key: 'gallbladder', name: 'Gallbladder' },
];
const CLAIM = `mutation($c: ID!) { claimNextTask(campaignId: $c) { ... on Assignment { id taskId } ... on DomainError { code message } } }`;
const SUBMIT = `mutation($a: ID!, $d: JSON!, $k: String!) { submitAnnotation(assignmentId: $a, data: $d, idempotencyKey: $k) { ... on Annotation { id } ... on DomainError { code message } } }`;
const SET_RATE = `mutation($i: SetPayRateInput!) { setPayRate(input: $i) { ... on PayRate { id unit amountCents effectiveFrom } ... on DomainError { code message } } }`;
const SET_BUDGET = `mutation($c: ID!, $b: Int!, $p: Int) { setCampaignBudget(campaignId: $c, budgetCents: $b, alertPercent: $p) {
  ... on CampaignFinance { status spentCents budgetCents blockedAt } ... on DomainError { code message } } }`;
const CREATE_RUN = `mutation($cur: String!) { createPayoutRun(currency: $cur) {
  ... on PayoutRun { id status totalCents lines { userId amountCents entries } } ... on DomainError { code message } } }`;
const APPROVE_RUN = `mutation($r: ID!) { approvePayoutRun(runId: $r) { ... on PayoutRun { id status approvedById } ... on DomainError { code message } } }`;

type Outcome = { id?: string; taskId?: string; code?: string; message?: string };
type Run = { id?: string; status?: string; totalCents?: number; lines?: Array<{ userId: string; amountCents: number; entries: number }>; code?: string; message?: string };

/** n boxes inside the 96 x 64 synthetic frames. */
const boxes = (n: number) => ({ objects: Array.from({ length: n }, (_, i) => ({ label: 'liver', box: [2 + i * 10, 2, 8, 8] })) });

describe('finance: rates, budgets, payout runs', () => {
  let stack: Stack;
  /** The database owner's connection: reads anything, and stands in for heartbeats in one test. */
  let owner: PrismaClient;
  let ops: Person;
  let ann1: Person;
  let ann2: Person;
  let fin1: Person;
  let fin2: Person;
  let campaignId: string;
  let videoCampaignId: string;
  let key = 0;

  beforeAll(async () => {
    stack = await startStack();
    owner = createPrisma(stack.db.url, { max: 2 });
    const admin = await bootstrapAdmin(stack);
    ops = await register(stack, admin, 'Olivia Ops', ['OPS_MANAGER']);
    ann1 = await register(stack, admin, 'Ann', ['ANNOTATOR'], [['laparoscopy', 3]]);
    ann2 = await register(stack, admin, 'Ben', ['ANNOTATOR'], [['laparoscopy', 3]]);
    fin1 = await register(stack, admin, 'Fay Finance', ['FINANCE']);
    fin2 = await register(stack, admin, 'Finn Finance', ['FINANCE']);
    // Labels always agree enough (threshold 0): every task is accepted after its two labels.
    ({ campaignId } = await createCampaignWithBatch(stack, ops, { tasks: 8, threshold: 0, labelSchema: { geometry: 'bbox', classes: CLASSES } }));
    const batch = await owner.batch.findFirstOrThrow({ where: { campaignId } });
    await startBatch(stack, ops, batch.id);
    videoCampaignId = await videoCampaign();
    await waitFor('tasks open', async () => (await owner.task.count({ where: { campaignId, status: 'OPEN' } })) === 8);
  }, 600_000);

  afterAll(async () => {
    await owner?.$disconnect();
    await stack?.stop();
  });

  /** A whole-video classification campaign of one 37-frame clip at 25 fps, started. */
  async function videoCampaign(): Promise<string> {
    const created = await gql<{ createCampaign: Outcome }>(
      stack.apiUrl,
      ops.token,
      `mutation($i: CreateCampaignInput!) { createCampaign(input: $i) { ... on Campaign { id } ... on DomainError { message } } }`,
      {
        i: {
          name: 'Video minutes',
          labelSchema: { geometry: 'classification', classes: CLASSES },
          overlap: 2,
          agreementThreshold: 0,
          qaSettings: { tolerableErrorRate: 0.9, confidence: 0.1, seed: 'finance', minPerStratum: 0 },
          claimSlaSeconds: 600,
          requiredSkills: [{ key: 'laparoscopy', minLevel: 1 }],
          members: await everyoneAsMembers(stack, ops),
        },
      },
    );
    const id = created.createCampaign.id!;
    const path = join(tempDir('suture-finance-'), 'clip.mp4');
    frameNumberVideo(path, 37, 25);
    const assetId = await uploadAsset(stack, ops, id, readFileSync(path), 'video/mp4');
    const batch = await gql<{ createBatch: Outcome }>(
      stack.apiUrl,
      ops.token,
      `mutation($c: ID!, $a: [ID!]!) { createBatch(campaignId: $c, name: "Clips", assetIds: $a) { ... on Batch { id } ... on DomainError { message } } }`,
      { c: id, a: [assetId] },
    );
    await gql(stack.apiUrl, ops.token, `mutation($c: ID!) { setCampaignStatus(id: $c, status: ACTIVE) { ... on Campaign { id } } }`, { c: id });
    await startBatch(stack, ops, batch.createBatch.id!);
    return id;
  }

  /** Claims (looking again while the worker holds a task row) and returns the claim; `expectCode` returns the refusal instead. */
  async function claim(who: Person, campaign = campaignId): Promise<Outcome> {
    return waitFor('a claim', async () => {
      const c = (await gql<{ claimNextTask: Outcome }>(stack.apiUrl, who.token, CLAIM, { c: campaign })).claimNextTask;
      if (c.code === 'NO_TASK_AVAILABLE') return null;
      return c;
    });
  }

  /** Claims, submits `data` and returns the ledger entry of the submission. */
  async function label(who: Person, data: unknown, campaign = campaignId, beforeSubmit?: (assignmentId: string) => Promise<void>) {
    const c = await claim(who, campaign);
    if (!c.id) throw new Error(`claim refused: ${c.code} ${c.message}`);
    if (beforeSubmit) await beforeSubmit(c.id);
    const res = (await gql<{ submitAnnotation: Outcome }>(stack.apiUrl, who.token, SUBMIT, { a: c.id, d: data, k: `finance-${++key}` })).submitAnnotation;
    if (!res.id) throw new Error(`submit refused: ${res.code} ${res.message}`);
    return owner.ledgerEntry.findUniqueOrThrow({ where: { idempotencyKey: `label:${c.id}` } });
  }

  async function setRate(who: Person, input: Record<string, unknown>) {
    return (await gql<{ setPayRate: Outcome & { unit?: string } }>(stack.apiUrl, who.token, SET_RATE, { i: input })).setPayRate;
  }

  it('prices each event by the rate in force then, by its unit, to the cent; earlier entries keep their price', async () => {
    // The campaign was created with LABEL at 10 cents a task.
    const first = await label(ann1, boxes(2));
    expect(first.amountCents).toBe(10);

    // A change mid-campaign: 7 cents an object from now.
    expect((await setRate(fin1, { campaignId, kind: 'LABEL', unit: 'OBJECT', amountCents: 7 })).id).toBeDefined();
    const second = await label(ann2, boxes(3));
    expect(second.amountCents).toBe(21);
    expect((await owner.ledgerEntry.findUniqueOrThrow({ where: { id: first.id } })).amountCents).toBe(10);

    // Ben's own rate in this campaign beats the campaign's: 18.00 an hour of active time.
    expect((await setRate(fin2, { campaignId, userId: ann2.id, kind: 'LABEL', unit: 'HOUR', amountCents: 1800 })).id).toBeDefined();
    const hourly = await label(ann2, boxes(1), campaignId, async (assignmentId) => {
      // 4321 s of heartbeats, recorded as the heartbeat path records them (a real wait is out of the question).
      await owner.assignment.update({ where: { id: assignmentId }, data: { activeSeconds: 4321 } });
    });
    const active = (await owner.assignment.findFirstOrThrow({ where: { userId: ann2.id, taskId: hourly.taskId!, kind: 'LABEL' } })).activeSeconds;
    expect(active).toBeGreaterThanOrEqual(4321);
    // 1800 x active / 3600, half a cent up: 4321 s -> 2160.5 -> 2161.
    expect(hourly.amountCents).toBe(Math.floor((1800 * active * 2 + 3600) / 7200));

    // Ann is still paid by the campaign's object rate; her own default rate elsewhere does not beat it.
    expect((await setRate(fin1, { userId: ann1.id, kind: 'LABEL', amountCents: 99 })).id).toBeDefined();
    expect((await label(ann1, boxes(4))).amountCents).toBe(28);

    // A rate dated in the future is not in force yet; a backdated one is refused.
    const later = new Date(Date.now() + 3_600_000).toISOString();
    expect((await setRate(fin1, { campaignId, kind: 'LABEL', unit: 'TASK', amountCents: 500, effectiveFrom: later })).id).toBeDefined();
    expect((await label(ann1, boxes(1))).amountCents).toBe(7);
    const backdated = await setRate(fin1, { campaignId, kind: 'LABEL', amountCents: 1, effectiveFrom: new Date(Date.now() - 86_400_000).toISOString() });
    expect(backdated.code).toBe('INVALID_INPUT');
    expect(backdated.message).toMatch(/cannot be backdated/);
    // An annotator cannot set rates.
    const refused = await gql<{ setPayRate: Outcome }>(stack.apiUrl, ann1.token, SET_RATE, { i: { campaignId, kind: 'LABEL', amountCents: 1000 } }).catch((e: Error) => e);
    expect(String(refused instanceof Error ? refused.message : JSON.stringify(refused))).toMatch(/role/);

    // Every rate change is audited; none rewrote an entry (the ledger refuses UPDATE outright).
    expect(await owner.auditEvent.count({ where: { action: 'pay-rate.set' } })).toBe(4);
    await expect(owner.$executeRaw`UPDATE "LedgerEntry" SET "amountCents" = 0 WHERE id = ${first.id}::uuid`).rejects.toThrow();
  });

  it('prices a minute of video by the clip’s length, rounded half up to the cent', async () => {
    await waitFor('video task open', async () => (await owner.task.count({ where: { campaignId: videoCampaignId, status: 'OPEN' } })) === 1, 240_000);
    expect((await setRate(fin1, { campaignId: videoCampaignId, kind: 'LABEL', unit: 'VIDEO_MINUTE', amountCents: 4999 })).id).toBeDefined();
    const entry = await label(ann1, { label: 'liver' }, videoCampaignId);
    const asset = await owner.asset.findFirstOrThrow({ where: { campaignId: videoCampaignId } });
    const proxy = (asset.metadata as { proxy: { duration: number } }).proxy;
    expect(proxy.duration).toBeGreaterThan(1.4);
    const ms = Math.round(proxy.duration * 1000);
    // 4999 cents a minute x the clip's milliseconds / 60000, half up.
    expect(entry.amountCents).toBe(Math.floor((4999 * ms * 2 + 60_000) / 120_000));
    expect(entry.amountCents).toBeGreaterThan(100);
  });

  it('alerts once at the threshold, blocks claims at the budget, and reopens when finance raises it', async () => {
    // A flat 10 cents a label from now, for both (Ben's own hourly rate is superseded by a newer one of his scope).
    await setRate(fin1, { campaignId, kind: 'LABEL', unit: 'TASK', amountCents: 10 });
    await setRate(fin1, { campaignId, userId: ann2.id, kind: 'LABEL', unit: 'TASK', amountCents: 10 });
    const spent = async () => Number((await owner.ledgerEntry.aggregate({ where: { campaignId }, _sum: { amountCents: true } }))._sum.amountCents ?? 0);
    const s = await spent();
    // Alert at 50 % of 2s + 20, i.e. at s + 10: the next label.
    const set = (await gql<{ setCampaignBudget: Outcome & { status?: string } }>(stack.apiUrl, fin1.token, SET_BUDGET, { c: campaignId, b: 2 * s + 20, p: 50 })).setCampaignBudget;
    expect(set.status).toBe('OK');
    const alerts = () => owner.alert.findMany({ where: { campaignId }, orderBy: { createdAt: 'asc' } });
    expect(await alerts()).toHaveLength(0);

    await label(ann1, boxes(1));
    expect((await alerts()).map((a) => a.kind)).toEqual(['budget.threshold']);
    await label(ann1, boxes(1));
    expect(await alerts()).toHaveLength(1);
    expect(await owner.auditEvent.count({ where: { action: 'budget.threshold-reached', entityId: campaignId } })).toBe(1);
    const c1 = await owner.campaign.findUniqueOrThrow({ where: { id: campaignId } });
    expect(c1.budgetAlertedAt).not.toBeNull();
    expect(c1.budgetBlockedAt).toBeNull();

    // The cap: 5 cents above the spend, reached by the next label.
    const capped = (await gql<{ setCampaignBudget: Outcome & { status?: string } }>(stack.apiUrl, fin2.token, SET_BUDGET, { c: campaignId, b: (await spent()) + 5, p: 50 }))
      .setCampaignBudget;
    expect(capped.status).toBe('ALERT');
    expect(await alerts()).toHaveLength(1);
    await label(ann1, boxes(1));
    const c2 = await owner.campaign.findUniqueOrThrow({ where: { id: campaignId } });
    expect(c2.budgetBlockedAt).not.toBeNull();
    expect((await alerts()).map((a) => a.kind)).toEqual(['budget.threshold', 'budget.exceeded']);
    expect(await owner.auditEvent.count({ where: { action: 'budget.exceeded', entityId: campaignId } })).toBe(1);
    const blocked = (await gql<{ claimNextTask: Outcome }>(stack.apiUrl, ann1.token, CLAIM, { c: campaignId })).claimNextTask;
    expect(blocked.code).toBe('BUDGET_EXCEEDED');

    // Raising the budget above the spend reopens claims.
    const raised = (
      await gql<{ setCampaignBudget: Outcome & { status?: string; blockedAt?: string | null } }>(stack.apiUrl, fin1.token, SET_BUDGET, {
        c: campaignId,
        b: (await spent()) + 100_000,
        p: 80,
      })
    ).setCampaignBudget;
    expect(raised.status).toBe('OK');
    expect(raised.blockedAt).toBeNull();
    expect((await owner.campaign.findUniqueOrThrow({ where: { id: campaignId } })).budgetBlockedAt).toBeNull();
    expect((await claim(ann1)).id).toBeDefined();
    expect(await owner.auditEvent.count({ where: { action: 'campaign.budget-set', entityId: campaignId } })).toBe(3);
  });

  /** What the ledger owes each person in USD and is in no run, from the ledger itself. */
  async function unpaidByPerson(): Promise<Map<string, { cents: number; entries: number }>> {
    const rows = await owner.$queryRaw<Array<{ userId: string; cents: bigint; entries: bigint }>>`
      SELECT "userId", sum("amountCents")::bigint AS cents, count(*)::bigint AS entries FROM "LedgerEntry" l
      WHERE "userId" IS NOT NULL AND currency = 'USD' AND NOT EXISTS (SELECT 1 FROM "PayoutItem" p WHERE p."ledgerEntryId" = l.id)
      GROUP BY "userId"`;
    return new Map(rows.map((r) => [r.userId, { cents: Number(r.cents), entries: Number(r.entries) }]));
  }

  let firstRunId = '';

  it('pays every unpaid entry once: totals equal the ledger to the cent per person; a second run finds nothing', async () => {
    // Finish the claim the previous test opened, so that every entry is in the ledger.
    const open = await owner.assignment.findFirstOrThrow({ where: { userId: ann1.id, status: 'ACTIVE' } });
    await gql(stack.apiUrl, ann1.token, SUBMIT, { a: open.id, d: boxes(2), k: `finance-${++key}` });
    const owed = await unpaidByPerson();
    expect(owed.size).toBe(2);
    const run = (await gql<{ createPayoutRun: Run }>(stack.apiUrl, fin1.token, CREATE_RUN, { cur: 'USD' })).createPayoutRun;
    expect(run.status).toBe('DRAFT');
    firstRunId = run.id!;
    const lines = new Map(run.lines!.map((l) => [l.userId, { cents: l.amountCents, entries: l.entries }]));
    expect(lines).toEqual(owed);
    expect(run.totalCents).toBe([...owed.values()].reduce((s, o) => s + o.cents, 0));
    expect(await owner.payoutItem.count({ where: { payoutRunId: run.id! } })).toBe([...owed.values()].reduce((s, o) => s + o.entries, 0));

    const again = (await gql<{ createPayoutRun: Run }>(stack.apiUrl, fin2.token, CREATE_RUN, { cur: 'USD' })).createPayoutRun;
    expect(again.code).toBe('CONFLICT');
    expect(again.message).toMatch(/nothing to pay/);
    expect(await owner.payoutRun.count()).toBe(1);
  });

  it('two runs created at once never pay an entry twice', async () => {
    await label(ann1, boxes(1));
    await label(ann2, boxes(1));
    const owed = await unpaidByPerson();
    const [a, b] = await Promise.all([
      gql<{ createPayoutRun: Run }>(stack.apiUrl, fin1.token, CREATE_RUN, { cur: 'USD' }),
      gql<{ createPayoutRun: Run }>(stack.apiUrl, fin2.token, CREATE_RUN, { cur: 'USD' }),
    ]);
    const runs = [a.createPayoutRun, b.createPayoutRun];
    const made = runs.filter((r) => r.id);
    expect(made).toHaveLength(1);
    expect(runs.find((r) => !r.id)?.code).toBe('CONFLICT');
    expect(new Map(made[0]!.lines!.map((l) => [l.userId, { cents: l.amountCents, entries: l.entries }]))).toEqual(owed);
    // Every entry of a person is in exactly one run (PayoutItem's key is the entry).
    const [counts] = await owner.$queryRaw<Array<{ entries: bigint; items: bigint }>>`
      SELECT (SELECT count(*) FROM "LedgerEntry" WHERE "userId" IS NOT NULL)::bigint AS entries, (SELECT count(*) FROM "PayoutItem")::bigint AS items`;
    expect(Number(counts!.items)).toBe(Number(counts!.entries));
    expect((await unpaidByPerson()).size).toBe(0);
  });

  it('adds the quality bonus to the ledger and the run for people whose gold accuracy earns it, and to no one else', async () => {
    const SET_BONUS = `mutation($c: ID!, $p: Int, $a: Float!) { setCampaignQualityBonus(campaignId: $c, percent: $p, minAccuracy: $a) {
      ... on CampaignFinance { qualityBonusPercent qualityBonusMinAccuracy } ... on DomainError { code message } } }`;
    const refused = (await gql<{ setCampaignQualityBonus: Outcome }>(stack.apiUrl, fin1.token, SET_BONUS, { c: campaignId, p: 250, a: 0.8 })).setCampaignQualityBonus;
    expect(refused.code).toBe('INVALID_INPUT');
    await expect(gql(stack.apiUrl, ops.token, SET_BONUS, { c: campaignId, p: 10, a: 0.8 })).rejects.toThrow(/your role does not allow this/);
    const set = (await gql<{ setCampaignQualityBonus: { qualityBonusPercent: number } }>(stack.apiUrl, fin1.token, SET_BONUS, { c: campaignId, p: 15, a: 0.8 }))
      .setCampaignQualityBonus;
    expect(set.qualityBonusPercent).toBe(15);
    // Gold answers as the gold scorer records them: Ann 9 of 10 right (0.9, earns), Ben 7 of 10 (0.7, does not);
    // a third annotator with too few answers would earn nothing either way.
    const task = await owner.task.findFirstOrThrow({ where: { campaignId } });
    const gold = await owner.goldItem.create({ data: { campaignId, assetId: task.assetId!, answer: boxes(1) } });
    for (const [who, right] of [
      [ann1, 9],
      [ann2, 7],
    ] as const) {
      await owner.goldResult.createMany({
        data: Array.from({ length: 10 }, (_, i) => ({
          goldItemId: gold.id,
          taskId: task.id,
          assignmentId: crypto.randomUUID(),
          userId: who.id,
          campaignId,
          score: i < right ? 1 : 0,
          correct: i < right,
          createdAt: new Date(Date.now() - 60_000),
        })),
      });
    }
    // Labelling pay since the last run (as the lifecycle records it; the tasks of this campaign are all labelled by now).
    for (const [who, cents] of [
      [ann1, 37],
      [ann2, 41],
    ] as const) {
      await owner.ledgerEntry.create({
        data: { campaignId, taskId: task.id, userId: who.id, kind: 'LABEL', amountCents: cents, currency: 'USD', idempotencyKey: `bonus-test:${who.id}` },
      });
    }
    const owed = await unpaidByPerson();
    const labelPay = await owner.$queryRaw<Array<{ cents: bigint }>>`
      SELECT coalesce(sum("amountCents"), 0)::bigint AS cents FROM "LedgerEntry" l
      WHERE "userId" = ${ann1.id}::uuid AND "campaignId" = ${campaignId}::uuid AND kind IN ('LABEL', 'REWORK')
        AND NOT EXISTS (SELECT 1 FROM "PayoutItem" p WHERE p."ledgerEntryId" = l.id)`;
    const expectedBonus = Math.floor((Number(labelPay[0]!.cents) * 15 + 50) / 100);
    expect(expectedBonus).toBeGreaterThan(0);
    const run = (await gql<{ createPayoutRun: Run }>(stack.apiUrl, fin1.token, CREATE_RUN, { cur: 'USD' })).createPayoutRun;
    const bonuses = await owner.ledgerEntry.findMany({ where: { kind: 'BONUS' } });
    expect(bonuses.map((b) => [b.userId, b.amountCents, b.campaignId])).toEqual([[ann1.id, expectedBonus, campaignId]]);
    expect(await owner.payoutItem.findUnique({ where: { ledgerEntryId: bonuses[0]!.id } })).toMatchObject({ payoutRunId: run.id });
    const lines = new Map(run.lines!.map((l) => [l.userId, l.amountCents]));
    expect(lines.get(ann1.id)).toBe(owed.get(ann1.id)!.cents + expectedBonus);
    expect(lines.get(ann2.id)).toBe(owed.get(ann2.id)!.cents);
    expect(run.totalCents).toBe([...lines.values()].reduce((a, b) => a + b, 0));
    const audit = await owner.auditEvent.findFirstOrThrow({ where: { action: 'payout.created', entityId: run.id! } });
    expect(audit.data).toMatchObject({ bonuses: 1 });
    // The finance report shows the bonus as its own part of the cost.
    const report = await gql<{ campaignFinance: { costPerAcceptedLabel: Array<{ component: string; cents: number }> } }>(
      stack.apiUrl,
      fin1.token,
      `query($c: ID!) { campaignFinance(campaignId: $c) { ... on CampaignFinance { costPerAcceptedLabel { component cents } } } }`,
      { c: campaignId },
    );
    expect(report.campaignFinance.costPerAcceptedLabel.find((p) => p.component === 'BONUS')?.cents).toBe(expectedBonus);
    await gql(stack.apiUrl, fin1.token, SET_BONUS, { c: campaignId, p: null, a: 0.8 });
  });

  it('is approved by a second finance person, once, and exports a CSV with amounts to the cent and safe cells', async () => {
    const own = (await gql<{ approvePayoutRun: Run }>(stack.apiUrl, fin1.token, APPROVE_RUN, { r: firstRunId })).approvePayoutRun;
    expect(own.code).toBe('FORBIDDEN');
    const approved = (await gql<{ approvePayoutRun: Run & { approvedById?: string } }>(stack.apiUrl, fin2.token, APPROVE_RUN, { r: firstRunId })).approvePayoutRun;
    expect(approved.status).toBe('APPROVED');
    expect(approved.approvedById).toBe(fin2.id);
    expect((await gql<{ approvePayoutRun: Run }>(stack.apiUrl, fin2.token, APPROVE_RUN, { r: firstRunId })).approvePayoutRun.code).toBe('CONFLICT');
    expect(await owner.auditEvent.count({ where: { action: 'payout.approved', entityId: firstRunId } })).toBe(1);

    // A work name a spreadsheet would run as a formula, with a comma and quotes in it.
    await owner.user.update({ where: { id: ann2.id }, data: { name: '=HYPERLINK("x"), Ben' } });
    const res = await gql<{ payoutCsv: { csv?: string; lines?: number; code?: string } }>(
      stack.apiUrl,
      fin1.token,
      `query($r: ID!) { payoutCsv(runId: $r) { ... on PayoutCsv { csv lines } ... on DomainError { code message } } }`,
      {
        r: firstRunId,
      },
    );
    const csv = res.payoutCsv.csv!;
    const rows = csv.split('\r\n');
    expect(rows[0]).toBe('user_id,name,email,entries,amount,currency');
    expect(rows.at(-1)).toBe('');
    const lines = await owner.payoutLine.findMany({ where: { payoutRunId: firstRunId } });
    const ben = lines.find((l) => l.userId === ann2.id)!;
    const ann = lines.find((l) => l.userId === ann1.id)!;
    const amount = (c: number) => `${Math.floor(c / 100)}.${String(c % 100).padStart(2, '0')}`;
    expect(rows).toContain(`${ann2.id},"'=HYPERLINK(""x""), Ben",${ann2.email},${ben.entries},${amount(ben.amountCents)},USD`);
    expect(rows).toContain(`${ann1.id},Ann,${ann1.email},${ann.entries},${amount(ann.amountCents)},USD`);
    expect(rows).toHaveLength(4);
    expect(await owner.auditEvent.count({ where: { action: 'payout.exported', entityId: firstRunId } })).toBe(1);

    // Another organisation's runs, and annotators, see nothing.
    const hidden = await fetch(`${stack.apiUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ann1.token}` },
      body: JSON.stringify({ query: `query($r: ID!) { payoutCsv(runId: $r) { ... on PayoutCsv { csv } ... on DomainError { code } } }`, variables: { r: firstRunId } }),
    }).then((r) => r.json() as Promise<{ data?: unknown; errors?: unknown[] }>);
    expect(JSON.stringify(hidden)).not.toContain('user_id');
  });

  it('reports spend, burn rate, forecast, cost per accepted label by component and pay per annotator', async () => {
    const res = await gql<{ campaignFinance: Record<string, unknown> & { code?: string } }>(
      stack.apiUrl,
      fin1.token,
      `query($c: ID!) { campaignFinance(campaignId: $c) { ... on CampaignFinance {
        spentCents budgetCents status burnRatePerDayCents forecastDaysToBudget acceptedLabels costPerAcceptedLabelCents
        daily { day cents } costPerAcceptedLabel { component cents entries perAcceptedLabelCents }
        annotators { userId entries amountCents activeHours labelsPerHour } } ... on DomainError { code message } } }`,
      { c: campaignId },
    );
    const f = res.campaignFinance as {
      spentCents: number;
      burnRatePerDayCents: number;
      forecastDaysToBudget: number | null;
      budgetCents: number;
      acceptedLabels: number;
      costPerAcceptedLabelCents: number | null;
      daily: Array<{ day: string; cents: number }>;
      costPerAcceptedLabel: Array<{ component: string; cents: number; entries: number; perAcceptedLabelCents: number | null }>;
      annotators: Array<{ userId: string; entries: number; amountCents: number; activeHours: number; labelsPerHour: number | null }>;
    };
    const ledger = await owner.ledgerEntry.findMany({ where: { campaignId } });
    const total = ledger.reduce((s, e) => s + e.amountCents, 0);
    expect(f.spentCents).toBe(total);
    // Everything was spent today: the trend's last day holds it all, and the burn rate is a seventh of it.
    expect(f.daily).toHaveLength(30);
    expect(f.daily.at(-1)!.cents).toBe(total);
    expect(f.burnRatePerDayCents).toBeCloseTo(total / 7, 6);
    expect(f.forecastDaysToBudget).toBeCloseTo((f.budgetCents - total) / (total / 7), 6);
    // Components add up; redundancy is every label of a task beyond its first.
    expect(f.costPerAcceptedLabel.reduce((s, p) => s + p.cents, 0)).toBe(total);
    const tasks = new Set(ledger.filter((e) => e.kind === 'LABEL').map((e) => e.taskId));
    const label = f.costPerAcceptedLabel.find((p) => p.component === 'LABEL')!;
    const redundancy = f.costPerAcceptedLabel.find((p) => p.component === 'REDUNDANCY')!;
    expect(label.entries).toBe(tasks.size);
    expect(label.entries + redundancy.entries).toBe(ledger.filter((e) => e.kind === 'LABEL').length);
    if (f.acceptedLabels > 0) expect(f.costPerAcceptedLabelCents).toBeCloseTo(total / f.acceptedLabels, 6);
    const ben = f.annotators.find((a) => a.userId === ann2.id)!;
    expect(ben.amountCents).toBe(ledger.filter((e) => e.userId === ann2.id).reduce((s, e) => s + e.amountCents, 0));
    expect(ben.activeHours).toBeGreaterThan(1.19);
    // No labels-per-hour figure beside (almost) no active time.
    const ann = f.annotators.find((a) => a.userId === ann1.id)!;
    if (ann.activeHours * 3600 < 60) expect(ann.labelsPerHour).toBeNull();
  });
  it('does not pay rework of one’s own failed label under UNPAID_OWN_FAILURE, and pays other rework', async () => {
    const campaign = await owner.campaign.findUniqueOrThrow({ where: { id: campaignId } });
    await owner.campaign.update({ where: { id: campaignId }, data: { qaSettings: { ...(campaign.qaSettings as object), reworkPay: 'UNPAID_OWN_FAILURE' } } });
    // Two tasks Ann labelled in round 0; QA failed the first. The lifecycle's rework round is set up as it leaves it.
    const labelled = await owner.assignment.findMany({
      where: { userId: ann1.id, kind: 'LABEL', status: 'SUBMITTED', task: { campaignId } },
      take: 2,
      orderBy: { submittedAt: 'asc' },
    });
    const [failed, passed] = await Promise.all(labelled.map((a) => owner.task.findUniqueOrThrow({ where: { id: a.taskId } })));
    await owner.qaAudit.create({ data: { batchId: failed!.batchId, taskId: failed!.id, qaRound: 9, stratum: 'finance', verdict: 'FAIL', auditedAt: new Date() } });
    const rework = async (taskId: string, batchId: string) => {
      await owner.task.update({ where: { id: taskId }, data: { round: 1 } });
      const a = await owner.assignment.create({
        data: { taskId, userId: ann1.id, kind: 'REWORK', round: 1, slot: 1, status: 'SUBMITTED', leaseExpiresAt: new Date(), submittedAt: new Date() },
      });
      // The ledger call of submitAnnotation, on the application role.
      await stack.prisma.$transaction((tx) =>
        recordPayable(tx, { campaignId, batchId, taskId, userId: ann1.id, assignmentId: a.id, kind: 'REWORK', idempotencyKey: `label:${a.id}` }),
      );
      return owner.ledgerEntry.findUniqueOrThrow({ where: { idempotencyKey: `label:${a.id}` } });
    };
    expect((await rework(failed!.id, failed!.batchId)).amountCents).toBe(0);
    // The campaign's REWORK rate (12 cents a task) for rework of a task that did not fail.
    expect((await rework(passed!.id, passed!.batchId)).amountCents).toBe(12);
  });
});
