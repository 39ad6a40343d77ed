// Active time on the real stack (PostgreSQL, Temporal, S3, the API and the worker): a heartbeat credits the gap
// since the last one only when the person interacted (active: true) and the gap is at most IDLE_GAP_SECONDS; an
// idle beat from a visible tab keeps the claim alive and earns nothing; the annotator metrics follow. Time is
// moved by writing lastHeartbeatAt in the database, never by waiting.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IDLE_GAP_SECONDS } from '../../api/src/services/work.ts';
import { gql, startStack, waitFor, type Stack } from '../support/stack.ts';
import { bootstrapAdmin, createCampaignWithBatch, register, startBatch, type Person } from '../support/scenario.ts';

const CLAIM = `mutation($c: ID) { claimNextTask(campaignId: $c) { ... on Assignment { id taskId } ... on DomainError { code message } } }`;
const BEAT = `mutation($a: ID!, $active: Boolean!) { heartbeat(assignmentId: $a, active: $active) { ... on Assignment { id status activeSeconds } ... on DomainError { code message } } }`;
const SUBMIT = `mutation($a: ID!, $d: JSON!, $k: String!) { submitAnnotation(assignmentId: $a, data: $d, idempotencyKey: $k) { ... on Annotation { id } ... on DomainError { code message } } }`;
const METRICS = `query($c: ID!) { annotatorMetrics(campaignId: $c) { ... on QueryAnnotatorMetricsSuccess { data { name activeHours throughputPerHour secondsPerTask labelsSubmitted acceptedLabels } } } }`;

type Beat = { id?: string; status?: string; activeSeconds?: number; code?: string; message?: string };
type Metrics = { name: string; activeHours: number; throughputPerHour: number | null; secondsPerTask: number | null; labelsSubmitted: number; acceptedLabels: number };

describe('active time: only interaction earns it', () => {
  let stack: Stack;
  let ops: Person;
  let ann1: Person;
  let ann2: Person;
  let campaignId: string;

  beforeAll(async () => {
    stack = await startStack();
    const admin = await bootstrapAdmin(stack);
    ops = await register(stack, admin, 'Olivia Ops', ['OPS_MANAGER']);
    ann1 = await register(stack, admin, 'Ann Active', ['ANNOTATOR'], [['laparoscopy', 3]]);
    ann2 = await register(stack, admin, 'Ida Idle', ['ANNOTATOR'], [['laparoscopy', 3]]);
    // Threshold 0: the task is accepted after its two labels.
    let batchId: string;
    ({ campaignId, batchId } = await createCampaignWithBatch(stack, ops, { tasks: 1, threshold: 0 }));
    await startBatch(stack, ops, batchId);
    await waitFor('task open', async () => (await stack.prisma.task.count({ where: { batchId, status: 'OPEN' } })) === 1);
  }, 300_000);

  afterAll(async () => {
    await stack?.stop();
  });

  async function claim(who: Person): Promise<string> {
    const c = (await gql<{ claimNextTask: { id?: string; code?: string; message?: string } }>(stack.apiUrl, who.token, CLAIM, { c: campaignId })).claimNextTask;
    if (!c.id) throw new Error(`claim: ${c.code} ${c.message}`);
    return c.id;
  }
  async function beat(who: Person, assignmentId: string, active: boolean): Promise<Beat> {
    return (await gql<{ heartbeat: Beat }>(stack.apiUrl, who.token, BEAT, { a: assignmentId, active })).heartbeat;
  }
  /** The last beat was `seconds` ago, as far as the server can tell. */
  async function lastBeatAgo(assignmentId: string, seconds: number): Promise<Date> {
    const at = new Date(Date.now() - seconds * 1000);
    await stack.prisma.assignment.update({ where: { id: assignmentId }, data: { lastHeartbeatAt: at } });
    return at;
  }
  const active = async (assignmentId: string) => (await stack.prisma.assignment.findUniqueOrThrow({ where: { id: assignmentId } })).activeSeconds;

  it('credits active beats, not idle ones nor gaps beyond the idle limit, and the metrics follow', async () => {
    const a1 = await claim(ann1);
    const start = await active(a1);

    // 30 s of interaction: credited (a second either way for the round trip).
    await lastBeatAgo(a1, 30);
    const first = await beat(ann1, a1, true);
    expect(first.status).toBe('ACTIVE');
    expect(first.activeSeconds! - start).toBeGreaterThanOrEqual(30);
    expect(first.activeSeconds! - start).toBeLessThanOrEqual(31);
    const afterActive = first.activeSeconds!;

    // 30 s of a visible but untouched tab: nothing earned, yet the claim is kept alive (the beat is recorded).
    const written = await lastBeatAgo(a1, 30);
    const idle = await beat(ann1, a1, false);
    expect(idle.status).toBe('ACTIVE');
    expect(idle.activeSeconds).toBe(afterActive);
    const row = await stack.prisma.assignment.findUniqueOrThrow({ where: { id: a1 } });
    expect(row.lastHeartbeatAt.getTime()).toBeGreaterThan(written.getTime() + 20_000);
    expect(row.status).toBe('ACTIVE');

    // Interaction, but after a gap beyond the idle limit (a long absence): nothing earned either.
    await lastBeatAgo(a1, IDLE_GAP_SECONDS + 60);
    expect((await beat(ann1, a1, true)).activeSeconds).toBe(afterActive);

    // Submitting is interaction: the 40 s since the last beat count.
    await lastBeatAgo(a1, 40);
    const submitted = await gql<{ submitAnnotation: { id?: string; message?: string } }>(stack.apiUrl, ann1.token, SUBMIT, { a: a1, d: { label: 'grasper' }, k: `at:${a1}` });
    expect(submitted.submitAnnotation.id).toBeDefined();
    const ann1Seconds = await active(a1);
    expect(ann1Seconds - afterActive).toBeGreaterThanOrEqual(40);
    expect(ann1Seconds - afterActive).toBeLessThanOrEqual(41);

    // The second annotator only ever sends idle beats.
    const a2 = await claim(ann2);
    const idleStart = await active(a2);
    for (let i = 0; i < 3; i++) {
      await lastBeatAgo(a2, 20);
      expect((await beat(ann2, a2, false)).activeSeconds).toBe(idleStart);
    }
    await gql(stack.apiUrl, ann2.token, SUBMIT, { a: a2, d: { label: 'grasper' }, k: `at:${a2}` });
    const ann2Seconds = await active(a2);
    expect(ann2Seconds - idleStart).toBeLessThanOrEqual(1);

    await waitFor('task accepted', async () => (await stack.prisma.task.count({ where: { campaignId, status: 'ACCEPTED' } })) === 1);
    const metrics = (await gql<{ annotatorMetrics: { data: Metrics[] } }>(stack.apiUrl, ops.token, METRICS, { c: campaignId })).annotatorMetrics.data;
    const m1 = metrics.find((m) => m.name === 'Ann Active')!;
    const m2 = metrics.find((m) => m.name === 'Ida Idle')!;
    expect(m1.acceptedLabels).toBe(1);
    expect(m1.secondsPerTask).toBe(ann1Seconds);
    expect(m1.activeHours).toBeCloseTo(ann1Seconds / 3600, 6);
    expect(m1.throughputPerHour).toBeCloseTo(3600 / ann1Seconds, 6);
    // Idle time bought no rate: under a minute of active time there is no labels-per-hour figure.
    expect(m2.acceptedLabels).toBe(1);
    expect(m2.secondsPerTask).toBe(ann2Seconds);
    expect(m2.throughputPerHour).toBeNull();
  }, 300_000);

  it('refuses a beat that does not say whether the person was active', async () => {
    await expect(gql(stack.apiUrl, ann1.token, `mutation { heartbeat(assignmentId: "00000000-0000-0000-0000-000000000000") { __typename } }`)).rejects.toThrow(/"active"/);
  });
});
