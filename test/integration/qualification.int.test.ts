// Quality of people on the real stack (PostgreSQL, Temporal, S3, the API and the worker): a campaign's
// qualification test (QUALIFICATION gold items) taken, failed with its mistakes shown, passed with the skill
// granted; claims refused in words until then; the attempts cap; a labelling credential that expired and was
// renewed; and the agreement report of a pilot batch from known labels.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gql, startStack, waitFor, type Stack } from '../support/stack.ts';
import { bootstrapAdmin, CLASSES, createCampaignWithBatch, register, setMember, startBatch, type Person } from '../support/scenario.ts';

const TASKS = 4;
const ITEMS = 3;

type Err = { code?: string; message?: string };
type Claim = { claimNextTask: Err & { id?: string; taskId?: string; task?: { asset: { id: string } } } };
const CLAIM = `mutation { claimNextTask { ... on Assignment { id taskId task { asset { id } } } ... on DomainError { code message } } }`;
const SUBMIT = `mutation($a: ID!, $d: JSON!, $k: String!) { submitAnnotation(assignmentId: $a, data: $d, idempotencyKey: $k) { ... on Annotation { id } ... on DomainError { code message } } }`;
const ATTEMPT = `id total answered correct accuracy passed finishedAt items { goldItemId frameIndex answered asset { id url } }
  mistakes { goldItemId myAnswer referenceAnswer explanation guidelineSection score }`;
const START = `mutation($c: ID!) { startQualification(campaignId: $c) { ... on QualificationAttempt { ${ATTEMPT} } ... on DomainError { code message } } }`;
const ANSWER = `mutation($a: ID!, $g: ID!, $d: JSON!) { answerQualificationItem(attemptId: $a, goldItemId: $g, data: $d) { ... on QualificationAttempt { ${ATTEMPT} } ... on DomainError { code message } } }`;
const FINISH = `mutation($a: ID!) { finishQualification(attemptId: $a) { ... on QualificationAttempt { ${ATTEMPT} } ... on DomainError { code message } } }`;
const STATUS = `query($c: ID!) { myQualification(campaignId: $c) { ... on QualificationStatus { required passed attemptsUsed attemptsLeft itemCount
  current { ${ATTEMPT} } attempts { ${ATTEMPT} } } ... on DomainError { code message } } }`;

interface AttemptView extends Err {
  id: string;
  total: number;
  answered: number;
  correct: number | null;
  accuracy: number | null;
  passed: boolean | null;
  items: Array<{ goldItemId: string; answered: boolean; asset: { id: string; url: string | null } }>;
  mistakes: Array<{ goldItemId: string; myAnswer: { label: string }; referenceAnswer: { label: string }; explanation: string; guidelineSection: string | null }>;
}

describe('qualification tests, labelling credentials and pilot reports', () => {
  let stack: Stack;
  let admin: Person;
  let ops: Person;
  let ann: Person;
  let ben: Person;
  let campaignId: string;
  let batchId: string;
  let assetIds: string[];
  const reference = new Map<string, string>();
  let key = 0;

  const claim = async (who: Person) => (await gql<Claim>(stack.apiUrl, who.token, CLAIM)).claimNextTask;
  const submit = async (who: Person, assignmentId: string, label: string) => {
    const res = (await gql<{ submitAnnotation: Err & { id?: string } }>(stack.apiUrl, who.token, SUBMIT, { a: assignmentId, d: { label }, k: `qualification-it-${key++}` }))
      .submitAnnotation;
    if (!res.id) throw new Error(`submit refused: ${res.code} ${res.message}`);
  };
  const start = async (who: Person) => (await gql<{ startQualification: AttemptView }>(stack.apiUrl, who.token, START, { c: campaignId })).startQualification;
  const answer = async (who: Person, attemptId: string, goldItemId: string, data: unknown) =>
    (await gql<{ answerQualificationItem: AttemptView }>(stack.apiUrl, who.token, ANSWER, { a: attemptId, g: goldItemId, d: data })).answerQualificationItem;
  const finish = async (who: Person, attemptId: string) => (await gql<{ finishQualification: AttemptView }>(stack.apiUrl, who.token, FINISH, { a: attemptId })).finishQualification;
  const wrong = (goldItemId: string) => CLASSES.find((c) => c !== reference.get(goldItemId))!;
  /** Takes a whole attempt, answering `right` items right (in item order) and the rest wrong. */
  const takeTest = async (who: Person, right: number) => {
    const attempt = await start(who);
    expect(attempt.id, attempt.message).toBeDefined();
    for (const [i, item] of attempt.items.entries()) {
      const res = await answer(who, attempt.id, item.goldItemId, { label: i < right ? reference.get(item.goldItemId) : wrong(item.goldItemId) });
      expect(res.id, res.message).toBe(attempt.id);
    }
    return finish(who, attempt.id);
  };
  const grant = async (who: Person, kind: string, expiresAt: Date) => {
    const res = await gql<{ grantCredential: Err & { id?: string } }>(
      stack.apiUrl,
      admin.token,
      `mutation($u: ID!, $k: String!, $x: DateTime) { grantCredential(userId: $u, kind: $k, issuer: "Test Board", expiresAt: $x) { ... on User { id } ... on DomainError { code message } } }`,
      { u: who.id, k: kind, x: expiresAt.toISOString() },
    );
    expect(res.grantCredential.id, res.grantCredential.message).toBe(who.id);
  };
  const skillLevel = async (who: Person) =>
    (await stack.prisma.userSkill.findFirst({ where: { userId: who.id, skill: { key: 'instrument-id' } }, select: { level: true } }))?.level ?? null;

  beforeAll(async () => {
    stack = await startStack();
    admin = await bootstrapAdmin(stack);
    await gql(stack.apiUrl, admin.token, `mutation { upsertSkill(key: "instrument-id", name: "Instrument identification") { ... on Skill { id } } }`);
    ops = await register(stack, admin, 'Olivia Ops', ['OPS_MANAGER']);
    ann = await register(
      stack,
      admin,
      'Ann Able',
      ['ANNOTATOR'],
      [
        ['laparoscopy', 3],
        ['instrument-id', 1],
      ],
    );
    ben = await register(stack, admin, 'Ben Busy', ['ANNOTATOR'], [['laparoscopy', 3]]);
    ({ campaignId, batchId, assetIds } = await createCampaignWithBatch(stack, ops, { tasks: TASKS }));
    await startBatch(stack, ops, batchId);
    await waitFor('tasks open for claims', async () => (await stack.prisma.task.count({ where: { batchId, status: 'OPEN' } })) === TASKS);
    const ADD = `mutation($c: ID!, $a: ID!, $d: JSON!, $p: GoldPurpose) { addGoldItem(campaignId: $c, assetId: $a, answer: $d, explanation: "the jaws close on tissue", guidelineSection: "3.2", purpose: $p) {
      ... on GoldItem { id purpose } ... on DomainError { code message } } }`;
    for (let i = 0; i < ITEMS; i++) {
      const label = CLASSES[i % CLASSES.length]!;
      const added = (
        await gql<{ addGoldItem: Err & { id?: string; purpose?: string } }>(stack.apiUrl, ops.token, ADD, { c: campaignId, a: assetIds[i], d: { label }, p: 'QUALIFICATION' })
      ).addGoldItem;
      expect(added.purpose, added.message).toBe('QUALIFICATION');
      reference.set(added.id!, label);
    }
  }, 300_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('lets operations managers set the qualification, validated and audited', async () => {
    const SET = `mutation($c: ID!, $r: Boolean!, $s: String, $l: Int!, $p: Float!, $m: Int!) { setCampaignQualification(campaignId: $c, required: $r, skillKey: $s, level: $l, passAccuracy: $p, maxAttempts: $m) {
      ... on Campaign { id qualificationRequired qualificationLevel qualificationPassAccuracy qualificationMaxAttempts qualificationSkill { key } } ... on DomainError { code message } } }`;
    type Set = { setCampaignQualification: Err & { id?: string; qualificationRequired?: boolean; qualificationSkill?: { key: string } } };
    const bad = (await gql<Set>(stack.apiUrl, ops.token, SET, { c: campaignId, r: true, s: 'instrument-id', l: 2, p: 1.5, m: 2 })).setCampaignQualification;
    expect(bad.code).toBe('INVALID_INPUT');
    expect(bad.message).toMatch(/passAccuracy: must be at most 1/);
    const noSkill = (await gql<Set>(stack.apiUrl, ops.token, SET, { c: campaignId, r: true, s: 'no-such-skill', l: 2, p: 0.6, m: 2 })).setCampaignQualification;
    expect(noSkill.message).toMatch(/skill 'no-such-skill' does not exist/);
    const byAnnotator = await gql<Set>(stack.apiUrl, ann.token, SET, { c: campaignId, r: false, s: null, l: 1, p: 0.5, m: 1 }).catch((e: Error) => e);
    expect(String(byAnnotator instanceof Error ? byAnnotator.message : JSON.stringify(byAnnotator))).toMatch(/not allow|FORBIDDEN/i);
    const ok = (await gql<Set>(stack.apiUrl, ops.token, SET, { c: campaignId, r: true, s: 'instrument-id', l: 2, p: 0.6, m: 2 })).setCampaignQualification;
    expect(ok.qualificationRequired, ok.message).toBe(true);
    expect(ok.qualificationSkill?.key).toBe('instrument-id');
    expect(await stack.prisma.auditEvent.count({ where: { action: 'campaign.qualification-settings', entityId: campaignId } })).toBe(1);
  });

  it('refuses claims until the test is passed, shows the mistakes of a failed attempt and grants nothing', async () => {
    const refused = await claim(ann);
    expect(refused.code).toBe('FORBIDDEN');
    expect(refused.message).toBe("pass the qualification test of campaign 'Instrument presence' first");

    const attempt = await start(ann);
    expect(attempt.total).toBe(ITEMS);
    expect(attempt.items).toHaveLength(ITEMS);
    expect(attempt.items.every((i) => i.asset.url !== null)).toBe(true);
    const [first, second] = attempt.items;
    // Checked like a label, one answer per item, finished only when all are answered.
    const invalid = await answer(ann, attempt.id, first!.goldItemId, { label: 'spleen' });
    expect(invalid.code).toBe('INVALID_INPUT');
    expect(invalid.message).toMatch(/the label does not fit the campaign schema: label: /);
    expect((await answer(ann, attempt.id, first!.goldItemId, { label: reference.get(first!.goldItemId) })).answered).toBe(1);
    const twice = await answer(ann, attempt.id, first!.goldItemId, { label: wrong(first!.goldItemId) });
    expect(twice.code).toBe('CONFLICT');
    const early = await finish(ann, attempt.id);
    expect(early.message).toBe(`answer every item first: ${ITEMS - 1} of ${ITEMS} still unanswered`);
    await answer(ann, attempt.id, second!.goldItemId, { label: wrong(second!.goldItemId) });
    // While the attempt runs, nothing tells how it goes.
    const during = (await gql<{ myQualification: { current: AttemptView; attempts: AttemptView[] } }>(stack.apiUrl, ann.token, STATUS, { c: campaignId })).myQualification;
    expect(during.current.answered).toBe(2);
    expect(during.current.correct).toBeNull();
    expect(during.current.mistakes).toEqual([]);
    const third = attempt.items[2]!;
    await answer(ann, attempt.id, third.goldItemId, { label: wrong(third.goldItemId) });
    const done = await finish(ann, attempt.id);
    expect(done.passed).toBe(false);
    expect(done.correct).toBe(1);
    expect(done.accuracy).toBeCloseTo(1 / 3, 6);

    const status = (
      await gql<{ myQualification: { passed: boolean; attemptsLeft: number; current: unknown; attempts: AttemptView[] } }>(stack.apiUrl, ann.token, STATUS, { c: campaignId })
    ).myQualification;
    expect(status.passed).toBe(false);
    expect(status.attemptsLeft).toBe(1);
    expect(status.current).toBeNull();
    const mistakes = status.attempts[0]!.mistakes;
    expect(mistakes.map((m) => m.goldItemId).sort()).toEqual([second!.goldItemId, third.goldItemId].sort());
    for (const m of mistakes) {
      expect(m.referenceAnswer).toEqual({ label: reference.get(m.goldItemId) });
      expect(m.myAnswer).toEqual({ label: wrong(m.goldItemId) });
      expect(m.explanation).toBe('the jaws close on tissue');
      expect(m.guidelineSection).toBe('3.2');
    }
    expect(await skillLevel(ann)).toBe(1);
    expect((await claim(ann)).message).toBe("pass the qualification test of campaign 'Instrument presence' first");
  });

  it('grants the skill on a pass (never lowering it) and lets the claims through, never serving a test item as gold', async () => {
    // Every claim would be gold if gold were served: only HONEYPOT items are, and this campaign has none.
    await gql(stack.apiUrl, ops.token, `mutation($c: ID!) { setCampaignGold(campaignId: $c, goldRate: 1, goldMinSamples: 10) { ... on Campaign { id } } }`, { c: campaignId });
    const done = await takeTest(ann, ITEMS);
    expect(done.passed).toBe(true);
    expect(done.mistakes).toEqual([]);
    expect(await skillLevel(ann)).toBe(2);
    expect((await start(ann)).message).toBe("you already passed the qualification test of campaign 'Instrument presence'");
    // A pass never lowers a level already held.
    const cy = await register(
      stack,
      admin,
      'Cy Senior',
      ['ANNOTATOR'],
      [
        ['laparoscopy', 3],
        ['instrument-id', 5],
      ],
    );
    await setMember(stack, ops, campaignId, cy.id, ['ANNOTATOR']);
    expect((await takeTest(cy, ITEMS)).passed).toBe(true);
    expect(await skillLevel(cy)).toBe(5);
    const claimed = await claim(ann);
    expect(claimed.id, claimed.message).toBeDefined();
    expect((await stack.prisma.task.findUniqueOrThrow({ where: { id: claimed.taskId! } })).goldItemId).toBeNull();
    await submit(ann, claimed.id!, 'grasper');
  });

  it('caps the attempts', async () => {
    expect((await takeTest(ben, 0)).passed).toBe(false);
    expect((await takeTest(ben, 1)).passed).toBe(false);
    const capped = await start(ben);
    expect(capped.code).toBe('FORBIDDEN');
    expect(capped.message).toMatch(/^you used all 2 attempts at the qualification test of campaign 'Instrument presence'/);
    expect(await skillLevel(ben)).toBeNull();
    expect(await stack.prisma.qualificationAttempt.count({ where: { userId: ben.id } })).toBe(2);
  });

  it('refuses claims with an expired labelling credential, in words, and allows them once renewed', async () => {
    const SET = `mutation($c: ID!, $k: String) { setCampaignLabelCredential(campaignId: $c, kind: $k) { ... on Campaign { id labelCredential } ... on DomainError { code message } } }`;
    type Set = { setCampaignLabelCredential: Err & { labelCredential?: string | null } };
    expect((await gql<Set>(stack.apiUrl, ops.token, SET, { c: campaignId, k: '' })).setCampaignLabelCredential.code).toBe('INVALID_INPUT');
    expect((await gql<Set>(stack.apiUrl, ops.token, SET, { c: campaignId, k: 'endoscopy-cert' })).setCampaignLabelCredential.labelCredential).toBe('endoscopy-cert');
    const missing = await claim(ann);
    expect(missing.message).toMatch(/^campaign 'Instrument presence' needs the credential 'endoscopy-cert', which you do not hold/);
    await grant(ann, 'endoscopy-cert', new Date('2025-03-01T00:00:00Z'));
    const expired = await claim(ann);
    expect(expired.code).toBe('FORBIDDEN');
    expect(expired.message).toMatch(/^your credential 'endoscopy-cert' expired on 2025-03-01/);
    await grant(ann, 'endoscopy-cert', new Date(Date.now() + 365 * 86_400_000));
    const renewed = await claim(ann);
    expect(renewed.id, renewed.message).toBeDefined();
    expect(await stack.prisma.auditEvent.count({ where: { action: 'campaign.label-credential', entityId: campaignId } })).toBe(1);
  });

  it('reports agreement of a pilot batch per annotator pair, per class, and the confusions', async () => {
    const dee = await register(stack, admin, 'Dee Diligent', ['ANNOTATOR'], [['laparoscopy', 3]]);
    const eve = await register(stack, admin, 'Eve Exact', ['ANNOTATOR'], [['laparoscopy', 3]]);
    const qa = await register(stack, admin, 'Quinn QA', ['QA_AUDITOR']);
    const pilotCampaign = await createCampaignWithBatch(stack, ops, {
      tasks: 3,
      members: [dee, eve].map((p) => ({ userId: p.id, roles: ['ANNOTATOR'] })).concat([{ userId: qa.id, roles: ['QA_AUDITOR'] }]),
    });
    const created = await gql<{ createBatch: Err & { id?: string; pilot?: boolean } }>(
      stack.apiUrl,
      ops.token,
      `mutation($c: ID!, $a: [ID!]!) { createBatch(campaignId: $c, name: "Pilot", assetIds: $a, pilot: true) { ... on Batch { id pilot } ... on DomainError { code message } } }`,
      { c: pilotCampaign.campaignId, a: pilotCampaign.assetIds },
    );
    expect(created.createBatch.pilot, created.createBatch.message).toBe(true);
    const pilotId = created.createBatch.id!;
    await startBatch(stack, ops, pilotId);
    await waitFor('pilot tasks open', async () => (await stack.prisma.task.count({ where: { batchId: pilotId, status: 'OPEN' } })) === 3);
    // Known labels per asset: asset 0 both grasper; asset 1 hook vs clipper; asset 2 grasper vs hook.
    const labels: Record<string, [string, string]> = {
      [pilotCampaign.assetIds[0]!]: ['grasper', 'grasper'],
      [pilotCampaign.assetIds[1]!]: ['hook', 'clipper'],
      [pilotCampaign.assetIds[2]!]: ['grasper', 'hook'],
    };
    const taskOf = new Map<string, string>();
    for (const [index, who] of [dee, eve].entries())
      for (let i = 0; i < 3; i++) {
        const c = await claim(who);
        expect(c.id, c.message).toBeDefined();
        taskOf.set(c.task!.asset.id, c.taskId!);
        await submit(who, c.id!, labels[c.task!.asset.id]![index]!);
      }
    const REPORT = `query($b: ID!) { pilotReport(batchId: $b) { ... on PilotReport { pilot tasks classSource
      pairs { nameA nameB tasks meanAgreement } classes { key pairs agreed rate } confusions { classA classB count exampleTaskIds } } ... on DomainError { code message } } }`;
    type Report = {
      pilotReport: Err & {
        pilot: boolean;
        tasks: number;
        classSource: string;
        pairs: Array<{ nameA: string; nameB: string; tasks: number; meanAgreement: number }>;
        classes: Array<{ key: string; pairs: number; agreed: number; rate: number | null }>;
        confusions: Array<{ classA: string; classB: string; count: number; exampleTaskIds: string[] }>;
      };
    };
    const report = (await gql<Report>(stack.apiUrl, qa.token, REPORT, { b: pilotId })).pilotReport;
    expect(report.pilot, report.message).toBe(true);
    expect(report.tasks).toBe(3);
    expect(report.classSource).toBe('classes');
    expect(report.pairs).toHaveLength(1);
    expect([report.pairs[0]!.nameA, report.pairs[0]!.nameB].sort()).toEqual(['Dee Diligent', 'Eve Exact']);
    expect(report.pairs[0]!.tasks).toBe(3);
    expect(report.pairs[0]!.meanAgreement).toBeCloseTo(1 / 3, 6);
    expect(report.classes).toEqual([
      { key: 'grasper', pairs: 2, agreed: 1, rate: 0.5 },
      { key: 'hook', pairs: 2, agreed: 0, rate: 0 },
      { key: 'clipper', pairs: 1, agreed: 0, rate: 0 },
      { key: 'scissors', pairs: 0, agreed: 0, rate: null },
    ]);
    expect(report.confusions).toEqual([
      { classA: 'grasper', classB: 'hook', count: 1, exampleTaskIds: [taskOf.get(pilotCampaign.assetIds[2]!)] },
      { classA: 'hook', classB: 'clipper', count: 1, exampleTaskIds: [taskOf.get(pilotCampaign.assetIds[1]!)] },
    ]);
  });
});
