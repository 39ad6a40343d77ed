// Feedback that reaches people, on the real stack: an expert's correction and a QA auditor's failing note become
// comments about each annotator whose label they judged; the annotators who rework the task read them (and the
// corrected label), the original annotators find them in their feedback list, and nobody learns who else labelled
// or who wrote what. A note by a reworking annotator stays hidden from their blind peer until the task is decided.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gql, startStack, waitFor, type Stack } from '../support/stack.ts';
import { bootstrapAdmin, createCampaignWithBatch, register, setMember, startBatch, type Person } from '../support/scenario.ts';

type Comment = { kind: string; round: number; body: string; authorRole: string; mine: boolean; correctedLabel: unknown };
const CLAIM = `mutation($c: ID) { claimNextTask(campaignId: $c) { __typename ... on Assignment { id taskId kind round } ... on DomainError { code message } } }`;
const SUBMIT = `mutation($a: ID!, $d: JSON!, $k: String!) { submitAnnotation(assignmentId: $a, data: $d, idempotencyKey: $k) { __typename ... on Annotation { id } ... on DomainError { code message } } }`;
const COMMENTS = `query($t: ID!) { taskComments(taskId: $t) { __typename ... on QueryTaskCommentsSuccess { data { kind round body authorRole mine correctedLabel } } ... on DomainError { code message } } }`;
const ADD = `mutation($t: ID!, $b: String!, $o: String) { addTaskComment(taskId: $t, body: $b, objectId: $o) { __typename ... on TaskComment { kind body authorRole mine } ... on DomainError { code message } } }`;
const FEEDBACK = `query($f: Int, $a: String) { myFeedback(first: $f, after: $a) { __typename ... on FeedbackPage { items { taskId kind round body authorRole } endCursor hasNextPage } ... on DomainError { code message } } }`;

describe('feedback: corrections and QA notes reach the right annotators, blind', () => {
  let stack: Stack;
  let admin: Person;
  let ops: Person;
  let ann1: Person;
  let ann2: Person;
  let ann3: Person;
  let ann4: Person;
  let expert: Person;
  let auditor: Person;
  let campaignId: string;
  let batchId: string;
  let taskId: string;

  const call = async <T = Record<string, unknown>>(who: Person, query: string, variables: Record<string, unknown> = {}) =>
    Object.values(await gql<Record<string, T>>(stack.apiUrl, who.token, query, variables))[0]!;
  const comments = async (who: Person) => {
    const res = await call<{ data?: Comment[]; code?: string; message?: string }>(who, COMMENTS, { t: taskId });
    if (!res.data) throw new Error(`taskComments for ${who.email}: ${res.code} ${res.message}`);
    return res.data;
  };
  const label = async (who: Person, answer: string, kind = 'LABEL') => {
    const c = await call<{ id?: string; taskId?: string; kind?: string; message?: string }>(who, CLAIM, { c: campaignId });
    if (!c.id) throw new Error(`${who.email} could not claim: ${c.message}`);
    expect(c.kind).toBe(kind);
    expect((await call<{ __typename: string }>(who, SUBMIT, { a: c.id, d: { label: answer }, k: `fb:${c.id}` })).__typename).toBe('Annotation');
    return c;
  };

  beforeAll(async () => {
    stack = await startStack();
    admin = await bootstrapAdmin(stack);
    ops = await register(stack, admin, 'Olivia Ops', ['OPS_MANAGER']);
    ann1 = await register(stack, admin, 'Ann One', ['ANNOTATOR'], [['laparoscopy', 3]]);
    ann2 = await register(stack, admin, 'Ben Two', ['ANNOTATOR'], [['laparoscopy', 3]]);
    expert = await register(stack, admin, 'Dr Eve Expert', ['EXPERT'], [], 'board-certified-surgeon');
    auditor = await register(stack, admin, 'Quinn QA', ['QA_AUDITOR']);
    ({ campaignId, batchId } = await createCampaignWithBatch(stack, ops, { tasks: 1 }));
    // The reworkers join later, so that only the first two label the first round.
    ann3 = await register(stack, admin, 'Cai Three', ['ANNOTATOR'], [['laparoscopy', 3]]);
    ann4 = await register(stack, admin, 'Dee Four', ['ANNOTATOR'], [['laparoscopy', 3]]);
    for (const p of [ann3, ann4]) await setMember(stack, ops, campaignId, p.id, ['ANNOTATOR']);
    await startBatch(stack, ops, batchId);
    taskId = (await waitFor('the task open', () => stack.prisma.task.findFirst({ where: { batchId, status: 'OPEN' } }))).id;
  }, 300_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('writes the correction and the QA note about each annotator and shows them to the reworkers, never names', async () => {
    await label(ann1, 'grasper');
    await label(ann2, 'hook');
    await waitFor('the disagreement in review', async () => (await stack.prisma.task.findUniqueOrThrow({ where: { id: taskId } })).status === 'IN_REVIEW');
    const review = await call<{ id?: string }>(expert, `mutation { claimNextReview { ... on Assignment { id } ... on DomainError { code message } } }`);
    expect(review.id).toBeDefined();
    // The expert comments in the thread while reviewing.
    expect(await call(expert, ADD, { t: taskId, b: 'Look at the jaws, not the shaft.', o: 'obj-1' })).toMatchObject({ kind: 'NOTE', authorRole: 'expert', mine: true });
    const reviewed = await call<{ id?: string; message?: string }>(
      expert,
      `mutation($a: ID!, $d: JSON, $k: String!, $m: String) { submitReview(assignmentId: $a, correctedData: $d, comment: $m, idempotencyKey: $k) { ... on Review { id } ... on DomainError { code message } } }`,
      { a: review.id, d: { label: 'clipper' }, m: 'Both missed the clip applier.', k: `rv:${review.id}` },
    );
    expect(reviewed.id).toBeDefined();
    expect(await stack.prisma.taskComment.findMany({ where: { taskId, kind: 'CORRECTION' }, select: { aboutUserId: true } })).toHaveLength(2);

    // QA samples the accepted task and fails it: the lot is rejected and the task reworked.
    const audit = await waitFor('the task in the audit queue', async () => (await call<Array<{ id: string }>>(auditor, `{ auditQueue { id } }`))[0]);
    const verdict = await call<{ id?: string; message?: string }>(
      auditor,
      `mutation($a: ID!) { submitAuditVerdict(auditId: $a, verdict: FAIL, notes: "The consensus names the wrong instrument.") { ... on QaAudit { id } ... on DomainError { code message } } }`,
      { a: audit.id },
    );
    expect(verdict.id).toBeDefined();
    await waitFor('the task reopened for rework', async () => {
      const t = await stack.prisma.task.findUniqueOrThrow({ where: { id: taskId } });
      return t.round === 1 && t.status === 'OPEN';
    });
    const notes = await stack.prisma.taskComment.findMany({ where: { taskId, kind: 'QA_NOTE' }, select: { aboutUserId: true, round: true } });
    expect(notes.map((n) => n.aboutUserId).sort()).toEqual([ann1.id, ann2.id].sort());
    expect(notes.every((n) => n.round === 0)).toBe(true);

    // The original annotators each read the feedback about their own label, in their list.
    for (const who of [ann1, ann2]) {
      const page = await call<{ items: Array<{ kind: string; body: string; authorRole: string }> }>(who, FEEDBACK, { f: 10 });
      expect(page.items.map((i) => [i.kind, i.authorRole, i.body]).sort()).toEqual([
        ['CORRECTION', 'expert', 'Both missed the clip applier.'],
        ['QA_NOTE', 'QA auditor', 'The consensus names the wrong instrument.'],
      ]);
      // Their thread holds their own copies only: nothing says who else labelled the task.
      const thread = await comments(who);
      expect(thread.filter((c) => c.kind === 'QA_NOTE')).toHaveLength(1);
      expect(thread.filter((c) => c.kind === 'CORRECTION')).toHaveLength(1);
    }
    const paged = await call<{ items: unknown[]; endCursor: string; hasNextPage: boolean }>(ann1, FEEDBACK, { f: 1 });
    expect(paged.hasNextPage).toBe(true);
    const second = await call<{ items: Array<{ kind: string }>; hasNextPage: boolean }>(ann1, FEEDBACK, { f: 1, a: paged.endCursor });
    expect(second.items).toHaveLength(1);
    expect(second.hasNextPage).toBe(false);

    // The reworker reads the previous round's note and correction once each, with the corrected label.
    const rework3 = await call<{ id?: string; kind?: string; round?: number }>(ann3, CLAIM, { c: campaignId });
    expect(rework3).toMatchObject({ kind: 'REWORK', round: 1 });
    const seen = await comments(ann3);
    expect(seen.map((c) => c.kind).sort()).toEqual(['CORRECTION', 'NOTE', 'QA_NOTE']);
    expect(seen.find((c) => c.kind === 'CORRECTION')).toMatchObject({ authorRole: 'expert', correctedLabel: { label: 'clipper' }, round: 0 });
    expect(seen.find((c) => c.kind === 'QA_NOTE')).toMatchObject({ authorRole: 'QA auditor', body: 'The consensus names the wrong instrument.' });
    const text = JSON.stringify(seen);
    for (const p of [ann1, ann2, expert, auditor, ops]) {
      expect(text).not.toContain(p.id);
      expect(text).not.toContain(p.email.split('@')[0]!);
    }

    // A note by the reworker stays hidden from the peer of the same round until the task is decided.
    expect(await call(ann3, ADD, { t: taskId, b: 'I read the tip as a clip applier.' })).toMatchObject({ authorRole: 'annotator', mine: true });
    const rework4 = await call<{ kind?: string }>(ann4, CLAIM, { c: campaignId });
    expect(rework4).toMatchObject({ kind: 'REWORK' });
    const peer = await comments(ann4);
    expect(peer.map((c) => c.body)).not.toContain('I read the tip as a clip applier.');
    expect(peer.map((c) => c.kind).sort()).toEqual(['CORRECTION', 'NOTE', 'QA_NOTE']);
    // Nor does an original annotator of round 0 read it (they no longer work on the task, and may not comment).
    expect((await comments(ann1)).map((c) => c.body)).not.toContain('I read the tip as a clip applier.');
    expect(await call(ann1, ADD, { t: taskId, b: 'late' })).toMatchObject({ code: 'FORBIDDEN' });
    // Staff read the whole thread, authors by role.
    const staff = await comments(ops);
    expect(staff.filter((c) => c.kind === 'QA_NOTE')).toHaveLength(2);
    expect(staff.map((c) => c.body)).toContain('I read the tip as a clip applier.');
    expect(await stack.prisma.auditEvent.count({ where: { action: 'comment.added', entityId: taskId } })).toBe(2);
  });

  it('shows skip reasons to operations only and refuses empty or outsider comments', async () => {
    const released = await call<{ __typename: string }>(
      ann4,
      `mutation($a: ID!, $r: String!) { releaseTask(assignmentId: $a, reason: $r) { __typename ... on DomainError { message } } }`,
      { a: (await stack.prisma.assignment.findFirstOrThrow({ where: { taskId, userId: ann4.id, status: 'ACTIVE' } })).id, r: 'Image unreadable' },
    );
    expect(released.__typename).toBe('Assignment');
    expect((await comments(ops)).some((c) => c.kind === 'SKIP' && c.body === 'Image unreadable')).toBe(true);
    expect((await comments(ann3)).some((c) => c.kind === 'SKIP')).toBe(false);
    expect((await comments(expert)).some((c) => c.kind === 'SKIP')).toBe(false);
    expect(await call(ann3, ADD, { t: taskId, b: '   ' })).toMatchObject({ code: 'INVALID_INPUT' });
    const outsider = await register(stack, admin, 'Olga Outsider', ['ANNOTATOR'], [['laparoscopy', 3]]);
    await setMember(stack, ops, campaignId, outsider.id, ['ANNOTATOR']);
    expect(await call(outsider, COMMENTS, { t: taskId })).toMatchObject({ code: 'FORBIDDEN' });
    expect(await call(outsider, ADD, { t: taskId, b: 'hi' })).toMatchObject({ code: 'FORBIDDEN' });
  });
});
