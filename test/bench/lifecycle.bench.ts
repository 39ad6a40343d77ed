// The batch lifecycle at scale, for real: one batch of SUTURE_BENCH_LIFECYCLE_TASKS tasks (default
// 10,000) driven from start to ACCEPTED beside 200-task batches driven the same way in the same run, one
// before and one after it (the baseline is their mean, or the larger where a bound is compared).
//
// Set-up: startStack() with the worker in this process, a real Temporal dev server, PostgreSQL and
// s3rver. People and campaigns go through GraphQL (test/support/scenario.ts); assets are inserted in SQL
// as READY image derivatives, so ingest has nothing to do and is not what is measured; the batch is
// created with the batches service and started through GraphQL, as ops would. Simulated people then
// call the API's services in-process: SUTURE_BENCH_LIFECYCLE_ANNOTATORS annotators (default 6) loop
// claimNextTask -> submitAnnotation, each mislabelling about 1 task in 37 (tasks they disagree on go to
// review; two annotators never give the same wrong label); 2 experts loop claimNextReview ->
// submitReview picking the true label; a QA auditor gives submitAuditVerdict, failing the first task of
// QA round 1 so that one task goes through a rework round and the lot through a second QA round.
// Fault injection: one in SUTURE_BENCH_LIFECYCLE_DROP_SIGNAL_EVERY (default 50) of the API's signals to
// task workflows is dropped, as if the API had crashed between its commit and its signal; the batch must
// still finish with nothing lost (the batch's progress read nudges stalled tasks).
//
// Settings: the batch polls its progress every 0.5 s (the test stack's default; production uses 5 s), so
// a run of minutes makes as many polls as hours of production and the batch history really does reach
// its budget and continue as new. Task workflows are moved on by the API's signals and re-check their
// task only every TASK_RECHECK_SECONDS (production's default). Every other setting is the product's
// default, including the history budgets in workflows/src/lifecycle/definitions.ts.
//
// Figures: wall time and label throughput (first-round labels / time from the first claim to the last
// first-round label), the number of batchLifecycle runs (continue-as-new), the longest history of any batch run and
// of any task workflow (events, read from Temporal), the workflow executions started, and the number of
// integrity problems found in the database and in Temporal (tasks lost or duplicated).
import { performance } from 'node:perf_hooks';
import os from 'node:os';
import type { Client, WorkflowExecutionInfo } from '@temporalio/client';
import type { Role } from '@suture/db';
import type { BenchFigure, BenchSuite } from './types.ts';

const TASKS = Number(process.env.SUTURE_BENCH_LIFECYCLE_TASKS ?? '10000');
const BASELINE_TASKS = Number(process.env.SUTURE_BENCH_LIFECYCLE_BASELINE_TASKS ?? '200');
const ANNOTATORS = Number(process.env.SUTURE_BENCH_LIFECYCLE_ANNOTATORS ?? '6');
const EXPERTS = 2;
const OVERLAP = 2;
const BATCH_POLL_SECONDS = 0.5;
/** One in this many signals the API sends to task workflows is dropped (fault injection: a lost nudge). */
/** Infrastructure errors a simulated person retries (per batch) before the bench gives up. */
const MAX_TRANSIENT_ERRORS = 200;
const DROP_SIGNAL_EVERY = Number(process.env.SUTURE_BENCH_LIFECYCLE_DROP_SIGNAL_EVERY ?? '50');
/** Annotator k mislabels asset i when (i + MISLABEL_STRIDE * k) % MISLABEL_PERIOD === 0. */
const MISLABEL_PERIOD = 37;
const MISLABEL_STRIDE = 13;

interface Person {
  id: string;
  email: string;
  name: string;
  roles: Role[];
  organizationId: string;
}

interface BatchRun {
  label: string;
  tasks: number;
  batchId: string;
  campaignId: string;
  wallMs: number;
  /** startBatch -> the batch reached LABELING (every task workflow started and every task open). */
  openMs: number;
  /** First claim to the last label of the first round (rework rounds wait for QA and are left out). */
  labelWindowMs: number;
  labels: number;
  firstRoundLabels: number;
  reviews: number;
  verdicts: number;
  claimMs: number[];
  submitMs: number[];
  noTask: number;
  /** claimNextReview failed with a unique violation: two experts raced for one review (see the report). */
  reviewClaimRaces: number;
  signalsDropped: number;
  transientErrors: number;
  firstTransientError?: string;
  stages: Array<{ stage: string; qaRound: number; atMs: number }>;
}

interface TemporalFacts {
  batchRuns: number;
  batchRunHistories: number[];
  /** Tasks the batch's progress reads nudged because their signal was lost. */
  stalledNudged: number;
  maxBatchRunHistory: number;
  taskExecutions: number;
  taskWorkflowIds: number;
  maxTaskHistory: number;
  meanTaskHistory: number;
  taskContinuedAsNew: number;
  executions: number;
  missingTaskWorkflows: number;
  unexpectedTaskWorkflows: number;
  openTaskWorkflows: number;
}

interface Integrity {
  problems: number;
  details: Record<string, number>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function percentile(values: number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * (sorted.length - 1)))]!;
}

const ratioOf = (value: number, baseline: number): number => (baseline === 0 ? (value === 0 ? 1 : Number.POSITIVE_INFINITY) : value / baseline);

async function listAll(client: Client, query: string): Promise<WorkflowExecutionInfo[]> {
  const out: WorkflowExecutionInfo[] = [];
  for await (const e of client.workflow.list({ query, pageSize: 1000 })) out.push(e);
  return out;
}

const suite: BenchSuite = {
  id: 'lifecycle',
  title: `Batch lifecycle at scale: a ${TASKS.toLocaleString('en')}-task batch from start to ACCEPTED vs ${BASELINE_TASKS}-task batches run before and after it (real Temporal, PostgreSQL, S3)`,
  async run(): Promise<BenchFigure[]> {
    const [{ startStack, waitFor, gql }, scenario, work, batches, errors, definitions] = await Promise.all([
      import('../support/stack.ts'),
      import('../support/scenario.ts'),
      import('@suture/api/services/work'),
      import('@suture/api/services/batches'),
      import('@suture/api/errors'),
      import('@suture/workflows/lifecycle/definitions'),
    ]);
    const { CLASSES } = scenario;
    const { DomainError } = errors;
    const stack = await startStack({ inProcessWorker: true, batchPollSeconds: BATCH_POLL_SECONDS, taskRecheckSeconds: definitions.TASK_RECHECK_SECONDS });
    const { prisma, services } = stack;
    const client = stack.temporal.client;
    try {
      const adminP = await scenario.bootstrapAdmin(stack);
      const opsP = await scenario.register(stack, adminP, 'Olivia Ops', ['OPS_MANAGER']);
      const annotatorPs = [];
      for (let k = 0; k < ANNOTATORS; k++) annotatorPs.push(await scenario.register(stack, adminP, `Annotator ${k}`, ['ANNOTATOR'], [['laparoscopy', 3]]));
      const expertPs = [];
      for (let k = 0; k < EXPERTS; k++) expertPs.push(await scenario.register(stack, adminP, `Dr Expert ${k}`, ['EXPERT'], [], 'board-certified-surgeon'));
      const auditorP = await scenario.register(stack, adminP, 'Quinn QA', ['QA_AUDITOR']);
      const asUser = async (id: string): Promise<Person> =>
        prisma.user.findUniqueOrThrow({ where: { id }, select: { id: true, email: true, name: true, roles: true, organizationId: true } });
      const ops = await asUser(opsP.id);
      const annotators = await Promise.all(annotatorPs.map((p) => asUser(p.id)));
      const experts = await Promise.all(expertPs.map((p) => asUser(p.id)));
      const auditor = await asUser(auditorP.id);

      /** A campaign (through GraphQL) with `tasks` READY image assets (in SQL) and a batch over them (the service). */
      const prepare = async (name: string, tasks: number) => {
        const created = await gql<{ createCampaign: { id?: string; message?: string } }>(
          stack.apiUrl,
          opsP.token,
          `mutation($i: CreateCampaignInput!) { createCampaign(input: $i) { ... on Campaign { id } ... on DomainError { message } } }`,
          {
            i: {
              name,
              labelSchema: { geometry: 'classification', classes: CLASSES.map((k) => ({ key: k, name: k })) },
              overlap: OVERLAP,
              agreementThreshold: 1,
              qaSettings: { plan: 'zero-acceptance', tolerableErrorRate: 0.05, confidence: 0.9, minPerStratum: 1, seed: 'bench' },
              claimSlaSeconds: 600,
              reviewCredential: 'board-certified-surgeon',
              requiredSkills: [{ key: 'laparoscopy', minLevel: 2 }],
              members: await scenario.everyoneAsMembers(stack, opsP),
              payRates: [
                { kind: 'LABEL', amountCents: 10 },
                { kind: 'REWORK', amountCents: 12 },
                { kind: 'REVIEW', amountCents: 50 },
                { kind: 'AUDIT', amountCents: 20 },
              ],
            },
          },
        );
        const campaignId = created.createCampaign.id;
        if (!campaignId) throw new Error(`createCampaign: ${created.createCampaign.message}`);
        // createdAt a millisecond apart (the column keeps milliseconds): the asset order, which decides each
        // asset's true class, is the same whenever it is read again (and ties fall back to the id).
        await prisma.$executeRaw`
          INSERT INTO "Asset" (id, "campaignId", kind, key, "derivativeKey", sha256, "sizeBytes", "contentType", status, metadata, "createdAt")
          SELECT gen_random_uuid(), ${campaignId}::uuid, 'IMAGE'::"AssetKind", 'quarantine/' || ${campaignId} || '/bench-' || g,
                 'derived/' || ${campaignId} || '/bench-' || g || '/display.png', encode(sha256(convert_to(${campaignId} || ':' || g, 'UTF8')), 'hex'),
                 2048, 'image/png', 'READY'::"AssetStatus", '{"width": 96, "height": 64}'::jsonb, now() + g * interval '1 millisecond'
          FROM generate_series(1, ${tasks}::int) g`;
        const assets = await prisma.asset.findMany({ where: { campaignId }, select: { id: true }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
        const assetIndex = new Map(assets.map((a, i) => [a.id, i]));
        const batchId = await batches.createBatch(services, ops, { campaignId, name, assetIds: assets.map((a) => a.id) });
        await gql(stack.apiUrl, opsP.token, `mutation($c: ID!) { setCampaignStatus(id: $c, status: ACTIVE) { ... on Campaign { id } } }`, { c: campaignId });
        await prisma.$executeRawUnsafe(`VACUUM ANALYZE "Task"`);
        await prisma.$executeRawUnsafe(`VACUUM ANALYZE "Asset"`);
        return { campaignId, batchId, assetIndex };
      };

      /** Starts the batch through GraphQL and drives it with the simulated people until it is ACCEPTED. */
      const drive = async (label: string, tasks: number): Promise<BatchRun> => {
        const { campaignId, batchId, assetIndex } = await prepare(label, tasks);
        const truth = (assetId: string): string => CLASSES[assetIndex.get(assetId)! % CLASSES.length]!;
        const answer = (k: number, assetId: string): string => {
          const i = assetIndex.get(assetId)!;
          return (i + MISLABEL_STRIDE * k) % MISLABEL_PERIOD === 0 ? CLASSES[(i + 1) % CLASSES.length]! : truth(assetId);
        };
        const run: BatchRun = {
          label,
          tasks,
          batchId,
          campaignId,
          wallMs: 0,
          openMs: 0,
          labelWindowMs: 0,
          labels: 0,
          firstRoundLabels: 0,
          reviews: 0,
          verdicts: 0,
          claimMs: [],
          submitMs: [],
          noTask: 0,
          reviewClaimRaces: 0,
          signalsDropped: 0,
          transientErrors: 0,
          stages: [],
        };
        // The people's API: the real services, except that one in DROP_SIGNAL_EVERY signals to a task
        // workflow is lost, as when the API crashes between its commit and its signal. The batch's
        // stalled-task sweep must make every one of them good.
        let taskSignals = 0;
        const realWorkflow = services.temporal.workflow;
        const lossyWorkflow = new Proxy(realWorkflow, {
          get(target, prop, receiver) {
            if (prop !== 'getHandle') return Reflect.get(target, prop, receiver) as unknown;
            return (workflowId: string, ...rest: unknown[]) => {
              const handle = (target.getHandle as (...a: unknown[]) => ReturnType<typeof target.getHandle>)(workflowId, ...rest);
              if (!workflowId.startsWith('task-') || DROP_SIGNAL_EVERY <= 0 || ++taskSignals % DROP_SIGNAL_EVERY !== 0) return handle;
              run.signalsDropped += 1;
              return { ...handle, signal: () => Promise.reject(new Error('bench: this signal was dropped on purpose')) };
            };
          },
        });
        const api = {
          ...services,
          temporal: new Proxy(services.temporal, { get: (target, prop, receiver) => (prop === 'workflow' ? lossyWorkflow : Reflect.get(target, prop, receiver)) as unknown }),
        };
        let stop = false;
        let firstClaimAt = Number.POSITIVE_INFINITY;
        let lastLabelAt = 0;
        const deadlineMs = 10 * 60_000 + tasks * 300;
        const people: Array<Promise<void>> = [];
        /** One simulated person repeating `step` until the batch is done; an unexpected domain error stops everyone. */
        const person = (step: () => Promise<void>) =>
          people.push(
            (async () => {
              while (!stop) {
                try {
                  await step();
                } catch (error) {
                  if (error instanceof DomainError || run.transientErrors >= MAX_TRANSIENT_ERRORS) throw error;
                  // An infrastructure hiccup (the shared PostgreSQL out of connections, a timeout): a real
                  // client retries. A claim held is returned again, a submission repeats its idempotency key.
                  run.transientErrors += 1;
                  run.firstTransientError ??= ((error as Error).message ?? String(error)).replace(/\s+/g, ' ').slice(0, 300);
                  await sleep(1_000);
                }
              }
            })().catch((error: unknown) => {
              stop = true;
              throw error;
            }),
          );
        const expected = (error: unknown, ...codes: string[]) => error instanceof DomainError && codes.includes(error.code);

        const t0 = performance.now();
        await scenario.startBatch(stack, opsP, batchId);

        annotators.forEach((who, k) =>
          person(async () => {
            const c0 = performance.now();
            let assignmentId: string;
            try {
              assignmentId = (await work.claimNextTask(api, who, campaignId)).id;
            } catch (error) {
              if (!expected(error, 'NO_TASK_AVAILABLE', 'CONFLICT')) throw error;
              run.noTask += 1;
              await sleep(100);
              return;
            }
            const c1 = performance.now();
            run.claimMs.push(c1 - c0);
            firstClaimAt = Math.min(firstClaimAt, c0);
            const a = await prisma.assignment.findUniqueOrThrow({ where: { id: assignmentId }, select: { round: true, task: { select: { assetId: true } } } });
            const s0 = performance.now();
            await work.submitAnnotation(api, who, { assignmentId, data: { label: answer(k, a.task.assetId!) }, idempotencyKey: `submit:${assignmentId}` });
            const s1 = performance.now();
            run.submitMs.push(s1 - s0);
            run.labels += 1;
            if (a.round === 0) {
              run.firstRoundLabels += 1;
              lastLabelAt = s1;
            }
          }),
        );
        for (const expert of experts)
          person(async () => {
            let assignmentId: string;
            try {
              assignmentId = await work.claimNextReview(api, expert);
            } catch (error) {
              // claimNextReview does not look again when a concurrent claim took the same review (the
              // unique index Assignment_live_review_key reports it): the expert simply claims again.
              if (/\b23505\b/.test((error as Error).message)) {
                run.reviewClaimRaces += 1;
                return;
              }
              if (!expected(error, 'NO_TASK_AVAILABLE')) throw error;
              await sleep(200);
              return;
            }
            const a = await prisma.assignment.findUniqueOrThrow({ where: { id: assignmentId }, select: { taskId: true, round: true, task: { select: { assetId: true } } } });
            const wanted = truth(a.task.assetId!);
            const labels = await prisma.annotation.findMany({
              where: { taskId: a.taskId, submitted: true, assignment: { round: a.round, kind: { in: ['LABEL', 'REWORK'] }, status: 'SUBMITTED' } },
              select: { id: true, data: true },
            });
            const chosen = labels.find((l) => (l.data as { label?: string }).label === wanted);
            await work.submitReview(api, expert, {
              assignmentId,
              ...(chosen ? { chosenAnnotationId: chosen.id } : { correctedData: { label: wanted } }),
              idempotencyKey: `review:${assignmentId}`,
            });
            run.reviews += 1;
          });
        let failedOne = false;
        person(async () => {
          const queue = await prisma.qaAudit.findMany({
            where: { batchId, verdict: null, batch: { stage: 'QA' } },
            select: { id: true, qaRound: true },
            orderBy: { taskId: 'asc' },
            take: 500,
          });
          if (queue.length === 0) {
            await sleep(200);
            return;
          }
          for (const audit of queue) {
            // One failure in the first QA round: that task is reworked and the lot audited again.
            const verdict = audit.qaRound === 1 && !failedOne ? 'FAIL' : 'PASS';
            try {
              await work.submitAuditVerdict(api, auditor, { auditId: audit.id, verdict, notes: verdict === 'FAIL' ? 'wrong instrument class' : null });
            } catch (error) {
              if (!expected(error, 'CONFLICT')) throw error;
              continue;
            }
            if (verdict === 'FAIL') failedOne = true;
            run.verdicts += 1;
          }
        });

        // The watcher: stage changes, progress lines, the end of the batch.
        let lastStage = '';
        let lastReport = performance.now();
        const watched = waitFor(
          `${label} accepted`,
          async () => {
            if (stop) return true;
            const b = await prisma.batch.findUniqueOrThrow({ where: { id: batchId }, select: { status: true, stage: true, qaRound: true } });
            const now = performance.now();
            if (`${b.stage}:${b.qaRound}` !== lastStage) {
              lastStage = `${b.stage}:${b.qaRound}`;
              run.stages.push({ stage: b.stage, qaRound: b.qaRound, atMs: Math.round(now - t0) });
              if (b.stage === 'LABELING' && run.openMs === 0) run.openMs = now - t0;
              console.log(`  [${label}] ${((now - t0) / 1000).toFixed(1)} s: stage ${b.stage}, QA round ${b.qaRound}`);
            }
            if (now - lastReport > 15_000) {
              lastReport = now;
              const byStatus = await prisma.task.groupBy({ by: ['status'], where: { batchId }, _count: true });
              console.log(
                `  [${label}] ${((now - t0) / 1000).toFixed(0)} s: ${byStatus.map((r) => `${r.status} ${r._count}`).join(', ')}; labels ${run.labels}, reviews ${run.reviews}, verdicts ${run.verdicts}; load ${os.loadavg()[0]!.toFixed(1)}`,
              );
            }
            return b.status === 'ACCEPTED';
          },
          deadlineMs,
          250,
        ).finally(() => {
          stop = true;
        });
        await Promise.all([watched, ...people]);
        run.wallMs = performance.now() - t0;
        run.labelWindowMs = lastLabelAt - firstClaimAt;
        console.log(
          `  [${label}] accepted in ${(run.wallMs / 1000).toFixed(1)} s: ${run.labels} labels, ${run.reviews} reviews, ${run.verdicts} verdicts; ${run.signalsDropped} task signals dropped, ${run.reviewClaimRaces} review claim races, ${run.transientErrors} transient errors retried; claim p50 ${percentile(run.claimMs, 0.5).toFixed(1)} ms, p99 ${percentile(run.claimMs, 0.99).toFixed(1)} ms; submit p50 ${percentile(run.submitMs, 0.5).toFixed(1)} ms, p99 ${percentile(run.submitMs, 0.99).toFixed(1)} ms`,
        );
        return run;
      };

      /** What Temporal recorded for one batch: its runs, its task workflows and their histories. */
      const temporalFacts = async (run: BatchRun): Promise<TemporalFacts> => {
        const batchWorkflowId = definitions.batchWorkflowId(run.batchId);
        // The batch workflow's last run returns once completeBatch is done; the task workflows close as their tasks are accepted.
        await client.workflow.getHandle(batchWorkflowId).result();
        const tasks = await prisma.task.findMany({ where: { batchId: run.batchId }, select: { id: true, round: true } });
        const expectedIds = new Set(tasks.flatMap((t) => Array.from({ length: t.round + 1 }, (_, r) => definitions.taskWorkflowId(t.id, r))));
        const taskIds = new Set(tasks.map((t) => t.id));
        const ofBatch = (e: WorkflowExecutionInfo) => taskIds.has(e.workflowId.replace(/^task-/, '').replace(/-r\d+$/, ''));
        let taskExecutions: WorkflowExecutionInfo[] = [];
        await waitFor(
          `${run.label} task workflows closed and visible`,
          async () => {
            taskExecutions = (await listAll(client, `WorkflowType = 'taskLifecycle'`)).filter(ofBatch);
            const closed = taskExecutions.filter((e) => e.status.name !== 'RUNNING');
            return closed.length >= expectedIds.size && taskExecutions.every((e) => e.status.name !== 'RUNNING');
          },
          120_000,
          1_000,
        ).catch((error: unknown) => console.log(`  [${run.label}] ${(error as Error).message}`));
        // In the order the runs started (visibility lists the newest first).
        const runs = (await listAll(client, `WorkflowId = '${batchWorkflowId}'`)).sort((x, y) => x.startTime.getTime() - y.startTime.getTime());
        // Exact event counts from the histories themselves (visibility's count is only a summary).
        const batchRunHistories: number[] = [];
        let stalledNudged = 0;
        for (const r of runs) {
          const events = (await client.workflow.getHandle(batchWorkflowId, r.runId).fetchHistory()).events ?? [];
          batchRunHistories.push(events.length);
          // The batch's progress reads report the stalled tasks they nudged (signals that were lost).
          for (const e of events) {
            const data = e.activityTaskCompletedEventAttributes?.result?.payloads?.[0]?.data;
            if (!data || data.length === 0) continue; // void results are 'binary/null' payloads
            const result = JSON.parse(Buffer.from(data).toString('utf8')) as { stalledNudged?: unknown } | null;
            if (typeof result?.stalledNudged === 'number') stalledNudged += result.stalledNudged;
          }
        }
        const lengths = taskExecutions.map((e) => e.historyLength);
        const longest = taskExecutions.reduce<WorkflowExecutionInfo | undefined>((m, e) => (!m || e.historyLength > m.historyLength ? e : m), undefined);
        const longestExact = longest ? ((await client.workflow.getHandle(longest.workflowId, longest.runId).fetchHistory()).events?.length ?? 0) : 0;
        const seenIds = new Set(taskExecutions.map((e) => e.workflowId));
        return {
          batchRuns: runs.length,
          batchRunHistories,
          stalledNudged,
          maxBatchRunHistory: Math.max(0, ...batchRunHistories),
          taskExecutions: taskExecutions.length,
          taskWorkflowIds: seenIds.size,
          maxTaskHistory: Math.max(longestExact, ...lengths),
          meanTaskHistory: lengths.length ? lengths.reduce((s, n) => s + n, 0) / lengths.length : 0,
          taskContinuedAsNew: taskExecutions.filter((e) => e.status.name === 'CONTINUED_AS_NEW').length,
          executions: runs.length + taskExecutions.length,
          missingTaskWorkflows: [...expectedIds].filter((id) => !seenIds.has(id)).length,
          unexpectedTaskWorkflows: [...seenIds].filter((id) => !expectedIds.has(id)).length,
          openTaskWorkflows: taskExecutions.filter((e) => e.status.name === 'RUNNING').length,
        };
      };

      /** Nothing lost, nothing twice: counted in PostgreSQL. */
      const integrity = async (run: BatchRun, facts: TemporalFacts): Promise<Integrity> => {
        const id = run.batchId;
        const [tasks] = await prisma.$queryRaw<Array<{ total: number; accepted: number; groups_expected: number }>>`
          SELECT count(*)::int AS total, count(*) FILTER (WHERE status = 'ACCEPTED')::int AS accepted, coalesce(sum(round + 1), 0)::int AS groups_expected
          FROM "Task" WHERE "batchId" = ${id}::uuid`;
        const [groups] = await prisma.$queryRaw<Array<{ groups: number; bad: number; labels: number }>>`
          WITH g AS (
            SELECT a."taskId", a.round, count(*) AS n, count(DISTINCT a."userId") AS users
            FROM "Assignment" a JOIN "Task" t ON t.id = a."taskId"
            WHERE t."batchId" = ${id}::uuid AND a.kind IN ('LABEL', 'REWORK') AND a.status = 'SUBMITTED'
            GROUP BY a."taskId", a.round
          )
          SELECT count(*)::int AS groups, count(*) FILTER (WHERE n <> ${OVERLAP} OR users <> ${OVERLAP})::int AS bad, coalesce(sum(n), 0)::int AS labels FROM g`;
        const [annotations] = await prisma.$queryRaw<Array<{ bad: number }>>`
          SELECT count(*)::int AS bad FROM (
            SELECT a.id, count(an.id) FILTER (WHERE an.submitted) AS k
            FROM "Assignment" a JOIN "Task" t ON t.id = a."taskId" LEFT JOIN "Annotation" an ON an."assignmentId" = a.id
            WHERE t."batchId" = ${id}::uuid AND a.kind IN ('LABEL', 'REWORK') AND a.status = 'SUBMITTED'
            GROUP BY a.id
          ) x WHERE k <> 1`;
        const [counts] = await prisma.$queryRaw<
          Array<{
            ledger_labels: number;
            ledger_reviews: number;
            ledger_audits: number;
            ledger_entries: number;
            ledger_keys: number;
            reviews: number;
            audited: number;
            audit_keys: number;
          }>
        >`
          SELECT (SELECT count(*) FROM "LedgerEntry" WHERE "batchId" = ${id}::uuid AND kind IN ('LABEL', 'REWORK'))::int AS ledger_labels,
                 (SELECT count(*) FROM "LedgerEntry" WHERE "batchId" = ${id}::uuid AND kind = 'REVIEW')::int AS ledger_reviews,
                 (SELECT count(*) FROM "LedgerEntry" WHERE "batchId" = ${id}::uuid AND kind = 'AUDIT')::int AS ledger_audits,
                 (SELECT count(*) FROM "LedgerEntry" WHERE "batchId" = ${id}::uuid)::int AS ledger_entries,
                 (SELECT count(DISTINCT "idempotencyKey") FROM "LedgerEntry" WHERE "batchId" = ${id}::uuid)::int AS ledger_keys,
                 (SELECT count(*) FROM "Review" r JOIN "Task" t ON t.id = r."taskId" WHERE t."batchId" = ${id}::uuid)::int AS reviews,
                 (SELECT count(*) FROM "QaAudit" WHERE "batchId" = ${id}::uuid AND verdict IS NOT NULL)::int AS audited,
                 (SELECT count(DISTINCT ("taskId", "qaRound")) FROM "QaAudit" WHERE "batchId" = ${id}::uuid AND verdict IS NOT NULL)::int AS audit_keys`;
        const wrongLabels = await prisma.task.findMany({ where: { batchId: id }, select: { assetId: true, consensus: true } });
        const assetTruth = new Map(
          (await prisma.asset.findMany({ where: { campaignId: run.campaignId }, select: { id: true }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] })).map((a, i) => [
            a.id,
            CLASSES[i % CLASSES.length],
          ]),
        );
        const details: Record<string, number> = {
          tasksMissing: Math.abs(tasks!.total - run.tasks),
          tasksNotAccepted: tasks!.total - tasks!.accepted,
          taskRoundsWithoutExactlyOverlapLabels: groups!.bad,
          taskRoundsMissing: Math.abs(tasks!.groups_expected - groups!.groups),
          labelAssignmentsWithoutExactlyOneSubmission: annotations!.bad,
          labelsNotInLedgerOrTwice: Math.abs(counts!.ledger_labels - groups!.labels),
          labelsCountedByDriverButNotStored: Math.abs(run.labels - groups!.labels),
          reviewsNotInLedgerOrTwice: Math.abs(counts!.ledger_reviews - counts!.reviews) + Math.abs(run.reviews - counts!.reviews),
          auditsNotInLedgerOrTwice: Math.abs(counts!.ledger_audits - counts!.audited) + Math.abs(run.verdicts - counts!.audited) + (counts!.audited - counts!.audit_keys),
          ledgerKeysDuplicated: counts!.ledger_entries - counts!.ledger_keys,
          taskWorkflowsMissing: facts.missingTaskWorkflows,
          taskWorkflowsUnexpected: facts.unexpectedTaskWorkflows,
          taskWorkflowsStillRunning: facts.openTaskWorkflows,
          consensusWrong: wrongLabels.filter((t) => (t.consensus as { label?: string } | null)?.label !== assetTruth.get(t.assetId!)).length,
        };
        return { problems: Object.values(details).reduce((s, n) => s + n, 0), details };
      };

      // The small batch runs before and after the big one: other work on the machine shifts the figures
      // over a run of minutes, and the mean of the two brackets the big batch.
      const measure = async (label: string, tasks: number) => {
        const run = await drive(label, tasks);
        const facts = await temporalFacts(run);
        const checked = await integrity(run, facts);
        console.log(`  [${label}] ${JSON.stringify({ facts, integrity: checked })}`);
        return { run, facts, integrity: checked, load1: os.loadavg()[0]! };
      };
      const before = await measure(`${BASELINE_TASKS}-task batch (before)`, BASELINE_TASKS);
      const big = await measure(`${TASKS}-task batch`, TASKS);
      const after = await measure(`${BASELINE_TASKS}-task batch (after)`, BASELINE_TASKS);
      const chain = await stack.verifyAudit();

      const labelsPerSecond = (r: BatchRun) => r.firstRoundLabels / (r.labelWindowMs / 1000);
      const mean = (f: (m: typeof big) => number) => (f(before) + f(after)) / 2;
      const most = (f: (m: typeof big) => number) => Math.max(f(before), f(after));
      const pair = (f: (m: typeof big) => number, digits = 1) => `${f(before).toFixed(digits)} / ${f(after).toFixed(digits)}`;
      const extraOf = (r: BatchRun, f: TemporalFacts) => ({
        labels: r.labels,
        reviews: r.reviews,
        verdicts: r.verdicts,
        openSeconds: Number((r.openMs / 1000).toFixed(1)),
        labelWindowSeconds: Number((r.labelWindowMs / 1000).toFixed(1)),
        claimP50Ms: Number(percentile(r.claimMs, 0.5).toFixed(1)),
        claimP99Ms: Number(percentile(r.claimMs, 0.99).toFixed(1)),
        submitP50Ms: Number(percentile(r.submitMs, 0.5).toFixed(1)),
        submitP99Ms: Number(percentile(r.submitMs, 0.99).toFixed(1)),
        claimsWithNoTask: r.noTask,
        signalsDropped: r.signalsDropped,
        reviewClaimRaces: r.reviewClaimRaces,
        transientErrorsRetried: r.transientErrors,
        ...(r.firstTransientError ? { firstTransientError: r.firstTransientError } : {}),
        stages: r.stages.map((s) => `${s.stage}${s.stage === 'QA' || s.stage === 'REWORK' ? s.qaRound : ''}@${(s.atMs / 1000).toFixed(0)}s`).join(' '),
        batchRunHistories: f.batchRunHistories.join(' '),
        taskExecutions: f.taskExecutions,
        meanTaskHistory: Number(f.meanTaskHistory.toFixed(1)),
        taskContinuedAsNew: f.taskContinuedAsNew,
        stalledTasksNudgedByBatch: f.stalledNudged,
      });
      const settings = `${ANNOTATORS} annotators, ${EXPERTS} experts, 1 auditor, overlap ${OVERLAP}; batch poll ${BATCH_POLL_SECONDS} s, task re-check ${definitions.TASK_RECHECK_SECONDS} s`;
      const big_ = `${TASKS}-task batch`;
      const base_ = `${BASELINE_TASKS}-task batch, same driver, same run (mean of one before and one after)`;
      const baseMax_ = `${BASELINE_TASKS}-task batch, same driver, same run (larger of before and after)`;
      const problems = before.integrity.problems + big.integrity.problems + after.integrity.problems;
      return [
        {
          name: `${big_}: wall time, startBatch to ACCEPTED`,
          unit: 's',
          value: big.run.wallMs / 1000,
          baselineName: base_,
          baselineValue: mean((m) => m.run.wallMs / 1000),
          ratio: big.run.wallMs / 1000 / mean((m) => m.run.wallMs / 1000),
          note: `lower is better; ${(TASKS / BASELINE_TASKS).toFixed(0)}x the tasks; ${settings}; 1-minute load after each batch (before / big / after): ${before.load1.toFixed(1)} / ${big.load1.toFixed(1)} / ${after.load1.toFixed(1)}`,
          extra: {
            ...extraOf(big.run, big.facts),
            baselineWallSeconds: pair((m) => m.run.wallMs / 1000),
            baselineOpenSeconds: pair((m) => m.run.openMs / 1000),
            baselineStages: `${extraOf(before.run, before.facts).stages} | ${extraOf(after.run, after.facts).stages}`,
          },
        },
        {
          name: `${big_}: label throughput (first-round labels / first claim to last first-round label)`,
          unit: 'labels/s',
          value: labelsPerSecond(big.run),
          baselineName: base_,
          baselineValue: mean((m) => labelsPerSecond(m.run)),
          ratio: labelsPerSecond(big.run) / mean((m) => labelsPerSecond(m.run)),
          target: '>= 0.8x the small batch (throughput holds at scale)',
          met: labelsPerSecond(big.run) / mean((m) => labelsPerSecond(m.run)) >= 0.8,
          note: 'higher is better; the simulated people call the API services in this process, beside the worker; the machine is shared (see the load in the wall-time note)',
          extra: {
            baselineLabelsPerSecond: pair((m) => labelsPerSecond(m.run)),
            claimP50Ms: Number(percentile(big.run.claimMs, 0.5).toFixed(1)),
            claimP99Ms: Number(percentile(big.run.claimMs, 0.99).toFixed(1)),
            baselineClaimP50Ms: pair((m) => percentile(m.run.claimMs, 0.5)),
            baselineClaimP99Ms: pair((m) => percentile(m.run.claimMs, 0.99)),
            submitP50Ms: Number(percentile(big.run.submitMs, 0.5).toFixed(1)),
            submitP99Ms: Number(percentile(big.run.submitMs, 0.99).toFixed(1)),
            baselineSubmitP50Ms: pair((m) => percentile(m.run.submitMs, 0.5)),
            baselineSubmitP99Ms: pair((m) => percentile(m.run.submitMs, 0.99)),
          },
        },
        {
          name: `${big_}: batchLifecycle runs (1 + continue-as-new count)`,
          unit: 'runs',
          value: big.facts.batchRuns,
          baselineName: baseMax_,
          baselineValue: most((m) => m.facts.batchRuns),
          ratio: ratioOf(
            big.facts.batchRuns,
            most((m) => m.facts.batchRuns),
          ),
          target: '> 1 (the batch continued as new)',
          met: big.facts.batchRuns > 1,
          note: 'a run continues as new when its history nears the budget; the history grows with polls (time) and nudges, not with tasks',
          extra: {
            batchRunHistoriesInRunOrder: big.facts.batchRunHistories.join(' '),
            baselineBatchRunHistories: `${before.facts.batchRunHistories.join(' ')} / ${after.facts.batchRunHistories.join(' ')}`,
          },
        },
        {
          name: `${big_}: longest history of any batchLifecycle run`,
          unit: 'events',
          value: big.facts.maxBatchRunHistory,
          baselineName: baseMax_,
          baselineValue: most((m) => m.facts.maxBatchRunHistory),
          ratio: ratioOf(
            big.facts.maxBatchRunHistory,
            most((m) => m.facts.maxBatchRunHistory),
          ),
          target: `< ${definitions.BATCH_HISTORY_BUDGET} (BATCH_HISTORY_BUDGET)`,
          met: big.facts.maxBatchRunHistory < definitions.BATCH_HISTORY_BUDGET,
          note: "lower is better; Temporal warns at 10,240 events and stops a run at 51,200; counted from each run's fetched history",
        },
        {
          name: `${big_}: longest history of any taskLifecycle workflow`,
          unit: 'events',
          value: big.facts.maxTaskHistory,
          baselineName: baseMax_,
          baselineValue: most((m) => m.facts.maxTaskHistory),
          ratio: ratioOf(
            big.facts.maxTaskHistory,
            most((m) => m.facts.maxTaskHistory),
          ),
          target: `< ${definitions.TASK_HISTORY_BUDGET} (TASK_HISTORY_BUDGET)`,
          met: big.facts.maxTaskHistory < definitions.TASK_HISTORY_BUDGET,
          note: 'lower is better; a task round with labels, review, rework; no periodic re-checks while the task waits',
          extra: { meanTaskHistory: Number(big.facts.meanTaskHistory.toFixed(1)), baselineMeanTaskHistory: pair((m) => m.facts.meanTaskHistory) },
        },
        {
          name: `${big_}: workflow executions started (batch runs + task workflows)`,
          unit: 'executions',
          value: big.facts.executions,
          baselineName: baseMax_,
          baselineValue: most((m) => m.facts.executions),
          ratio: ratioOf(
            big.facts.executions,
            most((m) => m.facts.executions),
          ),
          target: `= batch runs + one per task round (${TASKS} tasks + reworked rounds)`,
          met:
            big.facts.missingTaskWorkflows === 0 &&
            big.facts.unexpectedTaskWorkflows === 0 &&
            big.facts.taskExecutions === big.facts.taskWorkflowIds + big.facts.taskContinuedAsNew,
          note: 'task workflows are started by the openBatch activity (pages of 500, 16 starts in flight, heartbeats), never as children of the batch',
          extra: {
            batchRuns: big.facts.batchRuns,
            taskExecutions: big.facts.taskExecutions,
            taskWorkflowIds: big.facts.taskWorkflowIds,
            taskContinuedAsNew: big.facts.taskContinuedAsNew,
          },
        },
        {
          name: `${big_}: tasks lost or duplicated (integrity problems in PostgreSQL and Temporal)`,
          unit: 'problems',
          value: big.integrity.problems,
          baselineName: `${BASELINE_TASKS}-task batches, before + after`,
          baselineValue: before.integrity.problems + after.integrity.problems,
          ratio: ratioOf(big.integrity.problems, before.integrity.problems + after.integrity.problems),
          target: '0',
          met: problems === 0 && chain.ok,
          note: `every task ACCEPTED once; exactly overlap SUBMITTED labels by distinct annotators per task and round; one ledger entry per label, review and verdict; one task workflow per task round, all closed; the audit chain verifies; with 1 in ${DROP_SIGNAL_EVERY} task signals dropped on purpose`,
          extra: {
            ...big.integrity.details,
            signalsDropped: big.run.signalsDropped,
            stalledTasksNudgedByBatch: big.facts.stalledNudged,
            auditChainOk: String(chain.ok),
            auditEvents: chain.events,
          },
        },
      ];
    } finally {
      await stack.stop();
    }
  },
};

export default suite;
