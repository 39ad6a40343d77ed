// A batch of 24 tasks runs through every stage on real PostgreSQL, Temporal and S3, driven through
// the GraphQL API by simulated annotators, an expert and a QA auditor.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { gql, startStack, waitFor, type Stack } from '../support/stack.ts';
import { bootstrapAdmin, createCampaignWithBatch, register, startBatch, type Person } from '../support/scenario.ts';
import { adjudicate, annotate, audit, truth, type Annotator } from '../support/crowd.ts';

const TASKS = 24;

describe('batch lifecycle end to end', () => {
  let stack: Stack;
  let admin: Person;
  let ops: Person;
  let annotators: Annotator[];
  let novice: Person;
  let expert: Person;
  let uncredentialedExpert: Person;
  let auditor: Person;
  let finance: Person;
  let campaignId: string;
  let batchId: string;
  let assetIndex: Map<string, number>;
  let verdicts: Array<{ taskId: string; qaRound: number; verdict: string }> = [];
  let failedTaskId: string | undefined;

  beforeAll(async () => {
    stack = await startStack();
    admin = await bootstrapAdmin(stack);
    ops = await register(stack, admin, 'Olivia Ops', ['OPS_MANAGER']);
    const names = ['Ann', 'Ben', 'Cai', 'Dee'];
    annotators = [];
    for (const [i, name] of names.entries()) {
      const p = await register(stack, admin, name, ['ANNOTATOR'], [['laparoscopy', 3]]);
      // Every sixth frame each annotator gives a different class (Ann the right one), so those tasks disagree and
      // go to the expert whoever labels them (how work spreads over annotators depends on timing). Dee also
      // mislabels every third frame.
      annotators.push({ ...p, name, answer: (k) => (k % 6 === 0 ? truth(k + i) : i === 3 && k % 3 === 0 ? truth(k + 1) : truth(k)) });
    }
    novice = await register(stack, admin, 'Nia Novice', ['ANNOTATOR'], [['laparoscopy', 1]]);
    expert = await register(stack, admin, 'Dr Eve Expert', ['EXPERT'], [], 'board-certified-surgeon');
    uncredentialedExpert = await register(stack, admin, 'Dr Ulf', ['EXPERT']);
    auditor = await register(stack, admin, 'Quinn QA', ['QA_AUDITOR']);
    finance = await register(stack, admin, 'Fay Finance', ['FINANCE']);
    ({ campaignId, batchId } = await createCampaignWithBatch(stack, ops, { tasks: TASKS }));
    const assets = await stack.prisma.asset.findMany({ where: { campaignId }, orderBy: { createdAt: 'asc' } });
    assetIndex = new Map(assets.map((a, i) => [a.id, i]));
  }, 300_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('runs ingest, labelling, review, spot-check, rework and acceptance', async () => {
    await startBatch(stack, ops, batchId);
    await waitFor('tasks open for claims', async () => (await stack.prisma.task.count({ where: { batchId, status: 'OPEN' } })) === TASKS);

    // Skill gating: a level-1 annotator cannot claim level-2 work; an expert without the credential gets no review.
    const noviceClaim = await gql<{ claimNextTask: { code?: string } }>(
      stack.apiUrl,
      novice.token,
      `mutation { claimNextTask { ... on DomainError { code } ... on Assignment { id } } }`,
    );
    expect(noviceClaim.claimNextTask.code).toBe('NO_TASK_AVAILABLE');

    let lastReport = 0;
    const batchDone = async () => {
      const b = await stack.prisma.batch.findUniqueOrThrow({ where: { id: batchId } });
      if (process.env.SUTURE_TEST_TRACE && Date.now() - lastReport > 5000) {
        lastReport = Date.now();
        const byStatus = await stack.prisma.task.groupBy({ by: ['status'], where: { batchId }, _count: true });
        console.log(b.stage, b.qaRound, JSON.stringify(byStatus.map((r) => [r.status, r._count])));
      }
      return b.status === 'ACCEPTED';
    };
    let finished = false;
    const done = () => finished;
    const watcher = waitFor('batch accepted', async () => finished || (await batchDone()), 240_000).finally(() => {
      finished = true;
    });
    // Any simulated person failing stops everyone, so the failure surfaces at once.
    const stopOnError = <T>(p: Promise<T>): Promise<T> =>
      p.catch((error: unknown) => {
        finished = true;
        throw error;
      });
    const [submissions, reviews, audited] = await Promise.all([
      Promise.all(annotators.map((a) => stopOnError(annotate(stack, a, assetIndex, done)))),
      stopOnError(adjudicate(stack, expert, assetIndex, done)),
      stopOnError(
        audit(stack, auditor, done, (a) => {
          // The auditor finds one bad label in the first QA round; everything else passes.
          if (a.qaRound === 1 && failedTaskId === undefined) {
            failedTaskId = a.taskId;
            return 'FAIL';
          }
          return 'PASS';
        }),
      ),
      watcher,
    ]);
    verdicts = audited;

    const uncredentialed = await gql<{ claimNextReview: { code?: string } }>(
      stack.apiUrl,
      uncredentialedExpert.token,
      `mutation { claimNextReview { ... on DomainError { code } ... on Assignment { id } } }`,
    );
    expect(uncredentialed.claimNextReview.code).toBe('NO_TASK_AVAILABLE');

    const batch = await stack.prisma.batch.findUniqueOrThrow({ where: { id: batchId } });
    expect(batch.status).toBe('ACCEPTED');
    expect(batch.stage).toBe('DONE');
    expect(batch.qaRound).toBe(2);
    const history = batch.qaHistory as Array<{ qaRound: number; decision: string; plan: { sampleSize: number; lotSize: number } }>;
    expect(history.map((h) => h.decision)).toEqual(['rework', 'accepted']);
    expect(history[0]!.plan.lotSize).toBe(TASKS);
    expect(history[0]!.plan.sampleSize).toBeGreaterThan(0);

    // Every task accepted; the failed one went through a second round of labels.
    const tasks = await stack.prisma.task.findMany({ where: { batchId } });
    expect(tasks.every((t) => t.status === 'ACCEPTED')).toBe(true);
    expect(failedTaskId).toBeDefined();
    expect(tasks.find((t) => t.id === failedTaskId)!.round).toBe(1);
    expect(verdicts.some((v) => v.qaRound === 2 && v.taskId === failedTaskId)).toBe(true);

    // Disagreements (Dee's wrong labels) went to the expert, whose choice is the consensus.
    // (A reviewed task that QA later sent back may since have reached consensus by agreement.)
    const reviewed = tasks.filter((t) => t.consensusMethod?.startsWith('expert-review'));
    expect(await stack.prisma.review.count({ where: { task: { batchId } } })).toBe(reviews);
    expect(reviewed.length).toBeGreaterThanOrEqual(reviews - 1);
    expect(reviewed.length).toBeGreaterThan(0);
    for (const t of tasks) {
      const asset = [...assetIndex.entries()].find(([id]) => id === t.assetId)!;
      expect((t.consensus as { label: string }).label).toBe(truth(asset[1]));
    }

    // Double-blind slots: N=2 distinct annotators per task and round, never the same person twice.
    const labels = await stack.prisma.assignment.findMany({ where: { task: { batchId }, kind: { in: ['LABEL', 'REWORK'] }, status: 'SUBMITTED' } });
    const perTaskRound = new Map<string, string[]>();
    for (const a of labels) perTaskRound.set(`${a.taskId}:${a.round}`, [...(perTaskRound.get(`${a.taskId}:${a.round}`) ?? []), a.userId]);
    for (const users of perTaskRound.values()) {
      expect(users).toHaveLength(2);
      expect(new Set(users).size).toBe(2);
    }
    expect(submissions.reduce((s, n) => s + n, 0)).toBe(labels.length);
    expect(labels.length).toBe(TASKS * 2 + 2);

    // The ledger: one entry per payable event, nothing twice.
    const ledger = await stack.prisma.ledgerEntry.findMany({ where: { campaignId } });
    expect(ledger.filter((l) => l.kind === 'LABEL')).toHaveLength(TASKS * 2);
    expect(ledger.filter((l) => l.kind === 'REWORK')).toHaveLength(2);
    expect(ledger.filter((l) => l.kind === 'REVIEW')).toHaveLength(reviews);
    expect(ledger.filter((l) => l.kind === 'AUDIT')).toHaveLength(verdicts.length);
    expect(new Set(ledger.map((l) => l.idempotencyKey)).size).toBe(ledger.length);
    const total = ledger.reduce((s, l) => s + l.amountCents, 0);
    expect(total).toBe(TASKS * 2 * 10 + 2 * 12 + reviews * 50 + verdicts.length * 20);

    // Finance sees cost per accepted label = all ledger cost / accepted labels.
    const cost = await gql<{ costReport: { totalCents: number; acceptedLabels: number; costPerAcceptedLabelCents: number } }>(
      stack.apiUrl,
      finance.token,
      `query($c: ID!) { costReport(campaignId: $c) { ... on CostReport { totalCents acceptedLabels costPerAcceptedLabelCents } } }`,
      { c: campaignId },
    );
    expect(cost.costReport).toEqual({ totalCents: total, acceptedLabels: TASKS, costPerAcceptedLabelCents: total / TASKS });

    // Per-annotator metrics: Dee agrees less with the consensus than the others.
    const metrics = await gql<{
      annotatorMetrics: { data?: Array<{ name: string; acceptedLabels: number; agreementWithConsensus: number | null; kappaWithPeers: number | null; costCents: number }> };
    }>(
      stack.apiUrl,
      ops.token,
      `query($c: ID!) { annotatorMetrics(campaignId: $c) { ... on QueryAnnotatorMetricsSuccess { data { name acceptedLabels agreementWithConsensus kappaWithPeers costCents } } } }`,
      { c: campaignId },
    );
    const rows = metrics.annotatorMetrics.data!;
    const dee = rows.find((r) => r.name === 'Dee')!;
    const ann = rows.find((r) => r.name === 'Ann')!;
    expect(dee.agreementWithConsensus!).toBeLessThan(ann.agreementWithConsensus!);
    expect(ann.agreementWithConsensus).toBe(1);
    // Chance-corrected: every pair Dee shares a mislabelled frame with falls below kappa 1; alpha sits below perfect.
    expect(dee.kappaWithPeers).not.toBeNull();
    expect(dee.kappaWithPeers!).toBeLessThan(1);
    const agreement = await gql<{ campaignAgreement: { krippendorffAlpha: number | null; tasks: number } }>(
      stack.apiUrl,
      ops.token,
      `query($c: ID!) { campaignAgreement(campaignId: $c) { ... on CampaignAgreement { krippendorffAlpha tasks } } }`,
      { c: campaignId },
    );
    expect(agreement.campaignAgreement.tasks).toBe(TASKS);
    expect(agreement.campaignAgreement.krippendorffAlpha!).toBeGreaterThan(0);
    expect(agreement.campaignAgreement.krippendorffAlpha!).toBeLessThan(1);

    // The audit chain verifies end to end and holds no label content.
    const chain = await stack.verifyAudit();
    expect(chain.problem).toBeNull();
    expect(chain.ok).toBe(true);
    expect(chain.events).toBeGreaterThan(TASKS * 2);
    // Append-only: the application's role may not change or delete ledger entries and audit events.
    await expect(stack.prisma.$executeRawUnsafe(`UPDATE "LedgerEntry" SET "amountCents" = 0`)).rejects.toThrow(/append-only|permission denied/);
    await expect(stack.prisma.$executeRawUnsafe(`DELETE FROM "AuditEvent"`)).rejects.toThrow(/append-only|permission denied/);
    expect(batch.prelabelNote).toBe('skipped: the campaign has no pre-labelling model');
    expect(history[0]).toMatchObject({ failed: 1, errorRate: expect.any(Number) });
    expect((history[0] as unknown as { wilson95: { upper: number } }).wilson95.upper).toBeGreaterThan(0);
    const events = await stack.prisma.auditEvent.findMany();
    for (const e of events) expect(JSON.stringify(e.data)).not.toMatch(/grasper|hook|clipper|scissors|@suture\.test/);

    // The export of accepted labels landed in S3; the raw originals are gone from quarantine.
    expect(batch.exportKey).toBeTruthy();
    const exported = await stack.s3.client.send(new GetObjectCommand({ Bucket: stack.s3.bucket, Key: batch.exportKey! }));
    const body = JSON.parse(await exported.Body!.transformToString()) as { tasks: unknown[] };
    expect(body.tasks).toHaveLength(TASKS);
    const quarantine = await stack.s3.client.send(new ListObjectsV2Command({ Bucket: stack.s3.bucket, Prefix: 'quarantine/' }));
    expect(quarantine.KeyCount ?? 0).toBe(0);
  });

  it("never lets an annotator read another annotator's labels through any query", async () => {
    const [ann, ben] = annotators as [Annotator, Annotator];
    const benAssignment = await stack.prisma.assignment.findFirstOrThrow({ where: { userId: ben.id, kind: 'LABEL' } });
    const annAssignment = await stack.prisma.assignment.findFirstOrThrow({ where: { userId: ann.id, kind: 'LABEL' } });
    const shared = await stack.prisma.assignment.findFirst({ where: { userId: ben.id, task: { assignments: { some: { userId: ann.id } } } } });

    const raw = async (query: string, variables: Record<string, unknown> = {}) => {
      const res = await fetch(`${stack.apiUrl}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${ann.token}` },
        body: JSON.stringify({ query, variables }),
      });
      return (await res.json()) as { data?: unknown; errors?: Array<{ message: string }> };
    };
    // Someone else's assignment looks like a missing one.
    const other = await raw(`query($id: ID!) { assignment(id: $id) { ... on Assignment { latestAnnotation { data } } ... on DomainError { code } } }`, { id: benAssignment.id });
    expect(JSON.stringify(other)).toContain('NOT_FOUND');
    expect(JSON.stringify(other)).not.toContain('"label"');
    // Own task: the labels of the others, agreement and consensus are refused.
    const own = await raw(`query($id: ID!) { task(id: $id) { ... on Task { id submittedLabels { data } } } }`, { id: annAssignment.taskId });
    expect(own.errors?.length).toBeGreaterThan(0);
    expect(JSON.stringify(own.data ?? null)).not.toContain('"label"');
    const consensus = await raw(`query($id: ID!) { task(id: $id) { ... on Task { consensus agreement } } }`, { id: annAssignment.taskId });
    expect(consensus.errors?.length).toBeGreaterThan(0);
    expect(JSON.stringify(consensus.data ?? null)).not.toContain('"label"');
    // Through a shared task's assignment list: only her own.
    const mine = await raw(`{ myAssignments { id latestAnnotation { annotator { id } } task { id } } }`);
    const list = (mine.data as { myAssignments: Array<{ latestAnnotation: { annotator: { id: string } } | null }> }).myAssignments;
    expect(list.length).toBeGreaterThan(0);
    for (const a of list) if (a.latestAnnotation) expect(a.latestAnnotation.annotator.id).toBe(ann.id);
    if (shared) {
      const t = await raw(`query($id: ID!) { task(id: $id) { ... on Task { submittedLabels { id annotator { id } } } } }`, { id: shared.taskId });
      expect(JSON.stringify(t.data ?? null)).not.toContain(ben.id);
    }
    // Operations and QA never go through this path; an annotator cannot reach them.
    const ledger = await raw(`query($c: ID!) { ledger(campaignId: $c) { id } }`, { c: campaignId });
    expect(ledger.errors?.length).toBeGreaterThan(0);
  });
});
