// Analytics on the real stack (PostgreSQL, Temporal, S3, the API and the worker): campaign and batch progress
// (statuses, labels, burn-down, ETA, stage queues and the bottleneck, agreement by day, diversity), the experts'
// table (override rate, whose label they took, review time) and an annotator's own numbers, from known work.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gql, startStack, waitFor, type Stack } from '../support/stack.ts';
import { bootstrapAdmin, createCampaignWithBatch, register, startBatch, type Person } from '../support/scenario.ts';

const CLAIM = `mutation($c: ID) { claimNextTask(campaignId: $c) { ... on Assignment { id taskId } ... on DomainError { code message } } }`;
const SUBMIT = `mutation($a: ID!, $d: JSON!, $k: String!) { submitAnnotation(assignmentId: $a, data: $d, idempotencyKey: $k) { ... on Annotation { id } ... on DomainError { code message } } }`;
const PROGRESS_FIELDS = `tasksByStatus { status tasks } labelsDone labelsNeeded remainingTasks burnDown { day value } eta { perDay days fastDays slowDays }
  stages { stage depth medianWaitSeconds } bottleneck agreementByDay { day value } diversity { dimension available counts { value tasks } }`;
const CAMPAIGN_PROGRESS = `query($c: ID!) { campaignProgress(campaignId: $c) { ... on Progress { ${PROGRESS_FIELDS} } ... on DomainError { code message } } }`;
const BATCH_PROGRESS = `query($b: ID!) { batchProgress(batchId: $b) { ... on Progress { ${PROGRESS_FIELDS} } ... on DomainError { code message } } }`;
const EXPERTS = `query($c: ID!) { expertMetrics(campaignId: $c) { ... on QueryExpertMetricsSuccess { data { name reviews corrected overrideRate medianReviewSeconds sidedWith { annotatorName accepted } } } ... on DomainError { code message } } }`;
const MINE = `query($c: ID) { myDashboard(campaignId: $c) { ... on MyDashboard { labels accepted activeHours secondsPerTask agreementWithConsensus goldAccuracy { estimate } goldAnswered
  qaPassed qaAudited qaPassRate { estimate lower upper } earningsByWeek { week cents } labelsByDay { day value } } ... on DomainError { code message } } }`;

type Progress = {
  tasksByStatus: Array<{ status: string; tasks: number }>;
  labelsDone: number;
  labelsNeeded: number;
  remainingTasks: number;
  burnDown: Array<{ day: string; value: number }>;
  eta: { perDay: number; days: number | null; fastDays: number | null; slowDays: number | null };
  stages: Array<{ stage: string; depth: number; medianWaitSeconds: number | null }>;
  bottleneck: string | null;
  agreementByDay: Array<{ day: string; value: number | null }>;
  diversity: Array<{ dimension: string; available: boolean; counts: Array<{ value: string; tasks: number }> }>;
};

describe('analytics: progress, experts, my numbers', () => {
  let stack: Stack;
  let ops: Person;
  let ann1: Person;
  let ann2: Person;
  let expert: Person;
  let campaignId: string;
  let batchId: string;

  beforeAll(async () => {
    stack = await startStack();
    const admin = await bootstrapAdmin(stack);
    ops = await register(stack, admin, 'Olivia Ops', ['OPS_MANAGER']);
    ann1 = await register(stack, admin, 'Ann One', ['ANNOTATOR'], [['laparoscopy', 3]]);
    ann2 = await register(stack, admin, 'Ben Two', ['ANNOTATOR'], [['laparoscopy', 3]]);
    expert = await register(stack, admin, 'Dr Eve Expert', ['EXPERT'], [], 'board-certified-surgeon');
    // Threshold 1: two equal labels are accepted, two different ones go to the expert.
    ({ campaignId, batchId } = await createCampaignWithBatch(stack, ops, { tasks: 2, threshold: 1 }));
    await startBatch(stack, ops, batchId);
    await waitFor('tasks open', async () => (await stack.prisma.task.count({ where: { batchId, status: 'OPEN' } })) === 2);
  }, 300_000);

  afterAll(async () => {
    await stack?.stop();
  });

  async function label(who: Person, answer: (taskId: string) => string, activeSeconds: number): Promise<string> {
    const c = (await gql<{ claimNextTask: { id?: string; taskId?: string; code?: string } }>(stack.apiUrl, who.token, CLAIM, { c: campaignId })).claimNextTask;
    if (!c.id) throw new Error(`claim: ${c.code}`);
    // Active time as the heartbeats would have recorded it.
    await stack.prisma.assignment.update({ where: { id: c.id }, data: { activeSeconds } });
    const res = await gql<{ submitAnnotation: { id?: string; message?: string } }>(stack.apiUrl, who.token, SUBMIT, { a: c.id, d: { label: answer(c.taskId!) }, k: `an:${c.id}` });
    if (!res.submitAnnotation.id) throw new Error(`submit: ${res.submitAnnotation.message}`);
    return c.taskId!;
  }
  const campaignProgress = async () => (await gql<{ campaignProgress: Progress }>(stack.apiUrl, ops.token, CAMPAIGN_PROGRESS, { c: campaignId })).campaignProgress;

  it('follows the work through labeling, review and acceptance', async () => {
    const agreed = await label(ann1, () => 'grasper', 100);
    const disputed = await label(ann1, () => 'grasper', 200);
    expect(disputed).not.toBe(agreed);

    // Half the labels are in; both tasks wait in labeling; nothing accepted yet, so no ETA.
    let p = await campaignProgress();
    expect(p.labelsNeeded).toBe(4);
    expect(p.labelsDone).toBe(2);
    expect(p.remainingTasks).toBe(2);
    expect(p.stages.find((s) => s.stage === 'LABELING')!.depth).toBe(2);
    expect(p.bottleneck).toBe('LABELING');
    expect(p.eta.days).toBeNull();
    expect(p.burnDown).toHaveLength(30);
    expect(p.burnDown.at(-1)!.value).toBe(2);
    expect(p.burnDown[0]!.value).toBe(0);

    await label(ann2, (taskId) => (taskId === agreed ? 'grasper' : 'hook'), 50);
    await label(ann2, (taskId) => (taskId === agreed ? 'grasper' : 'hook'), 50);
    await waitFor('agreed task accepted, disputed in review', async () => {
      const tasks = await stack.prisma.task.findMany({ where: { batchId }, select: { id: true, status: true } });
      return tasks.find((t) => t.id === agreed)?.status === 'ACCEPTED' && tasks.find((t) => t.id === disputed)?.status === 'IN_REVIEW';
    });

    // One accepted today out of a 14-day window: 1/14 a day, 14 days for the last task; the rate may be zero, so
    // no pessimistic end. The disputed task waits for an expert: review is the bottleneck.
    // The disputed task's labels came in an hour ago (as far as the database knows).
    await stack.prisma.assignment.updateMany({ where: { taskId: disputed, kind: 'LABEL' }, data: { submittedAt: new Date(Date.now() - 3_600_000) } });
    p = await campaignProgress();
    expect(p.tasksByStatus).toEqual(
      expect.arrayContaining([
        { status: 'ACCEPTED', tasks: 1 },
        { status: 'IN_REVIEW', tasks: 1 },
      ]),
    );
    expect(p.remainingTasks).toBe(1);
    expect(p.eta.perDay).toBeCloseTo(1 / 14, 10);
    expect(p.eta.days).toBeCloseTo(14, 10);
    expect(p.eta.slowDays).toBeNull();
    expect(p.stages.find((s) => s.stage === 'REVIEW')!.depth).toBe(1);
    expect(p.stages.find((s) => s.stage === 'LABELING')!.depth).toBe(0);
    expect(p.stages.find((s) => s.stage === 'REVIEW')!.medianWaitSeconds!).toBeGreaterThanOrEqual(3600);
    expect(p.bottleneck).toBe('REVIEW');
    expect(p.burnDown.at(-1)!.value).toBe(1);

    // The expert takes 90 s and sides with Ann.
    const review = await waitFor('review claimed', async () => {
      const c = (
        await gql<{ claimNextReview: { id?: string; taskId?: string; task?: { submittedLabels: Array<{ id: string; annotator: { id: string } }> }; code?: string } }>(
          stack.apiUrl,
          expert.token,
          `mutation { claimNextReview { ... on Assignment { id taskId task { submittedLabels { id annotator { id } } } } ... on DomainError { code message } } }`,
        )
      ).claimNextReview;
      if (c.code && c.code !== 'NO_TASK_AVAILABLE') throw new Error(`claimNextReview: ${c.code}`);
      return c.id ? c : null;
    });
    expect(review.taskId).toBe(disputed);
    await stack.prisma.assignment.update({ where: { id: review.id! }, data: { claimedAt: new Date(Date.now() - 90_000) } });
    const annsLabel = review.task!.submittedLabels.find((l) => l.annotator.id === ann1.id)!;
    const decided = await gql<{ submitReview: { id?: string; message?: string } }>(
      stack.apiUrl,
      expert.token,
      `mutation($a: ID!, $c: ID!, $k: String!) { submitReview(assignmentId: $a, chosenAnnotationId: $c, idempotencyKey: $k) { ... on Review { id } ... on DomainError { message } } }`,
      { a: review.id, c: annsLabel.id, k: 'analytics-review' },
    );
    expect(decided.submitReview.id).toBeDefined();
    await waitFor('disputed task accepted', async () => (await stack.prisma.task.findUniqueOrThrow({ where: { id: disputed } })).status === 'ACCEPTED');

    const experts = (await gql<{ expertMetrics: { data: Array<Record<string, unknown>> } }>(stack.apiUrl, ops.token, EXPERTS, { c: campaignId })).expertMetrics.data;
    expect(experts).toHaveLength(1);
    expect(experts[0]).toMatchObject({ name: 'Dr Eve Expert', reviews: 1, corrected: 0, overrideRate: 0, sidedWith: [{ annotatorName: 'Ann One', accepted: 1 }] });
    expect(experts[0]!.medianReviewSeconds as number).toBeGreaterThanOrEqual(90);
    expect(experts[0]!.medianReviewSeconds as number).toBeLessThan(120);

    // Everything accepted: nothing remains; agreement by day is today's mean of the accepted tasks' agreement.
    p = await campaignProgress();
    expect(p.remainingTasks).toBe(0);
    expect(p.eta.days).toBe(0);
    expect(p.labelsDone).toBe(4);
    const accepted = await stack.prisma.task.findMany({ where: { batchId, status: 'ACCEPTED' }, select: { agreement: true } });
    const mean = accepted.reduce((s, t) => s + (t.agreement ?? 0), 0) / accepted.length;
    expect(p.agreementByDay.at(-1)!.value).toBeCloseTo(mean, 10);
    expect(p.agreementByDay.at(-1)!.value).toBeLessThan(1);
    expect(p.agreementByDay[0]!.value).toBeNull();
    // Diversity: both accepted tasks counted by media kind; demographics are not in the de-identified metadata.
    const kind = p.diversity.find((d) => d.dimension === 'media kind')!;
    expect(kind.available).toBe(true);
    expect(kind.counts.reduce((s, c) => s + c.tasks, 0)).toBe(2);
    expect(p.diversity.find((d) => d.dimension === 'sex')!.available).toBe(false);
    expect(p.diversity.find((d) => d.dimension === 'age band')!.available).toBe(false);
    const qaWaiting = await stack.prisma.qaAudit.count({ where: { batchId, verdict: null } });
    expect(p.stages.find((s) => s.stage === 'QA')!.depth).toBe(qaWaiting);

    // The batch's progress is the campaign's (one batch).
    const batch = (await gql<{ batchProgress: Progress }>(stack.apiUrl, ops.token, BATCH_PROGRESS, { b: batchId })).batchProgress;
    expect(batch.tasksByStatus).toEqual(p.tasksByStatus);
    expect(batch.labelsDone).toBe(4);

    // Ann's own numbers: 2 labels, both accepted, 300 s of active time, 150 s a task, two labels today.
    const mine = (await gql<{ myDashboard: Record<string, unknown> & { labelsByDay: Array<{ value: number }> } }>(stack.apiUrl, ann1.token, MINE, { c: campaignId })).myDashboard;
    expect(mine).toMatchObject({ labels: 2, accepted: 2, secondsPerTask: 150, goldAccuracy: null, goldAnswered: 0 });
    expect(mine.activeHours).toBeCloseTo(300 / 3600, 10);
    expect(mine.agreementWithConsensus).toBe(1);
    expect(mine.labelsByDay).toHaveLength(30);
    expect(mine.labelsByDay.at(-1)!.value).toBe(2);
    // Ben's: one of his two labels lost to the consensus.
    const bens = (await gql<{ myDashboard: Record<string, unknown> }>(stack.apiUrl, ann2.token, MINE, { c: campaignId })).myDashboard;
    expect(bens).toMatchObject({ labels: 2, accepted: 2, secondsPerTask: 50 });
    expect(bens.agreementWithConsensus).toBeCloseTo(0.5, 10);
  });

  it('keeps progress and experts from annotators and each annotator to their own numbers', async () => {
    await expect(gql(stack.apiUrl, ann1.token, CAMPAIGN_PROGRESS, { c: campaignId })).rejects.toThrow(/role|not authorized|permission/i);
    await expect(gql(stack.apiUrl, ann1.token, EXPERTS, { c: campaignId })).rejects.toThrow(/role|not authorized|permission/i);
    await expect(gql(stack.apiUrl, ops.token, MINE, { c: campaignId })).rejects.toThrow(/role|not authorized|permission/i);
    const missing = (await gql<{ batchProgress: { code?: string } }>(stack.apiUrl, ops.token, BATCH_PROGRESS, { b: '00000000-0000-0000-0000-000000000000' })).batchProgress;
    expect(missing.code).toBe('NOT_FOUND');
  });
});
