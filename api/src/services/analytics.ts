// Read models behind the progress pages and dashboards: experts' reviews, campaign and batch progress (burn-down,
// ETA, bottleneck, agreement over time, diversity) and an annotator's own numbers.
import { Prisma } from '@suture/db';
import { wilsonInterval } from '@suture/workflows/quality';
import type { Services } from '../context.ts';
import type { AuthUser } from '../auth/sessions.ts';
import { NotFoundError } from '../errors.ts';
import { bottleneckStage, etaForecast, median, type Eta, type Stage, type StageQueue } from './forecast.ts';
import { ownGoldAccuracy, type GoldAccuracyView } from './gold.ts';
import { annotatorMetrics } from './metrics.ts';

/** Days of history in burn-down, agreement and trend series. */
export const HISTORY_DAYS = 30;
/** Days of recent throughput the ETA is forecast from. */
export const THROUGHPUT_DAYS = 14;

export interface ExpertMetrics {
  userId: string;
  name: string;
  reviews: number;
  corrected: number;
  /** CORRECTED share of reviews. */
  overrideRate: number | null;
  medianReviewSeconds: number | null;
  /** For ACCEPT_ANNOTATION: whose label the expert accepted, by annotator (for ops only). */
  sidedWith: Array<{ annotatorName: string; accepted: number }>;
}

export async function expertMetrics(services: Services, campaignId: string): Promise<ExpertMetrics[]> {
  const { prisma } = services;
  const rows = await prisma.$queryRaw<Array<{ userId: string; name: string; decision: string; seconds: number | null; annotatorName: string | null }>>`
    SELECT r."reviewerId"::text AS "userId", u.name, r.decision::text AS decision,
           (SELECT coalesce(extract(epoch FROM a."submittedAt" - a."claimedAt"), a."activeSeconds")::float8 FROM "Assignment" a
             WHERE a."taskId" = r."taskId" AND a."userId" = r."reviewerId" AND a.kind = 'REVIEW' AND a.round = r.round AND a.status = 'SUBMITTED'
             ORDER BY a."submittedAt" DESC LIMIT 1) AS seconds,
           au.name AS "annotatorName"
    FROM "Review" r JOIN "Task" t ON t.id = r."taskId" JOIN "User" u ON u.id = r."reviewerId"
    LEFT JOIN "Annotation" an ON an.id = r."chosenAnnotationId" AND r.decision = 'ACCEPT_ANNOTATION'
    LEFT JOIN "User" au ON au.id = an."userId"
    WHERE t."campaignId" = ${campaignId}::uuid`;
  const byExpert = new Map<string, typeof rows>();
  for (const r of rows) byExpert.set(r.userId, [...(byExpert.get(r.userId) ?? []), r]);
  return [...byExpert.values()]
    .map((list) => {
      const corrected = list.filter((r) => r.decision === 'CORRECTED').length;
      const sided = new Map<string, number>();
      for (const r of list) if (r.annotatorName !== null) sided.set(r.annotatorName, (sided.get(r.annotatorName) ?? 0) + 1);
      return {
        userId: list[0]!.userId,
        name: list[0]!.name,
        reviews: list.length,
        corrected,
        overrideRate: corrected / list.length,
        medianReviewSeconds: median(list.flatMap((r) => (r.seconds === null ? [] : [r.seconds]))),
        sidedWith: [...sided]
          .map(([annotatorName, accepted]) => ({ annotatorName, accepted }))
          .sort((a, b) => b.accepted - a.accepted || a.annotatorName.localeCompare(b.annotatorName)),
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

export type ProgressScope = { campaignId: string } | { batchId: string };

export interface DayValue {
  day: string;
  value: number | null;
}
export interface DiversityDimension {
  dimension: string;
  /** False when the de-identified metadata keeps nothing for this dimension ("not available"). */
  available: boolean;
  counts: Array<{ value: string; tasks: number }>;
}
export interface Progress {
  tasksByStatus: Array<{ status: string; tasks: number }>;
  labelsDone: number;
  labelsNeeded: number;
  remainingTasks: number;
  /** Remaining (not yet accepted) tasks at the end of each of the last HISTORY_DAYS days. */
  burnDown: DayValue[];
  eta: Eta;
  stages: StageQueue[];
  bottleneck: Stage | null;
  /** Mean Task.agreement of the tasks accepted each day. */
  agreementByDay: DayValue[];
  diversity: DiversityDimension[];
}

/** De-identified metadata dimensions counted over accepted tasks; paths into Asset.metadata. */
const DIVERSITY: Array<{ dimension: string; sql: Prisma.Sql }> = [
  { dimension: 'media kind', sql: Prisma.sql`ast.kind::text` },
  { dimension: 'procedure', sql: Prisma.sql`ast.metadata->'probe'->>'procedure'` },
  { dimension: 'site', sql: Prisma.sql`ast.metadata->'probe'->>'site'` },
  { dimension: 'device', sql: Prisma.sql`ast.metadata->'probe'->>'manufacturer'` },
  { dimension: 'modality', sql: Prisma.sql`ast.metadata->'probe'->>'modality'` },
  { dimension: 'body part', sql: Prisma.sql`ast.metadata->'probe'->>'bodyPartExamined'` },
  { dimension: 'video codec', sql: Prisma.sql`ast.metadata->'probe'->>'codec'` },
  {
    dimension: 'resolution',
    sql: Prisma.sql`coalesce((ast.metadata->'probe'->>'width') || 'x' || (ast.metadata->'probe'->>'height'), (ast.metadata->'probe'->>'columns') || 'x' || (ast.metadata->'probe'->>'rows'))`,
  },
  { dimension: 'age band', sql: Prisma.sql`ast.metadata->'probe'->>'patientAgeBand'` },
  { dimension: 'sex', sql: Prisma.sql`ast.metadata->'probe'->>'patientSex'` },
];

export async function progress(services: Services, scope: ProgressScope): Promise<Progress> {
  const { prisma } = services;
  const where = 'batchId' in scope ? Prisma.sql`t."batchId" = ${scope.batchId}::uuid` : Prisma.sql`t."campaignId" = ${scope.campaignId}::uuid`;
  const campaign =
    'batchId' in scope
      ? (await prisma.batch.findUnique({ where: { id: scope.batchId }, select: { campaign: { select: { overlap: true } } } }))?.campaign
      : await prisma.campaign.findUnique({ where: { id: scope.campaignId }, select: { overlap: true } });
  if (!campaign) throw new NotFoundError('batchId' in scope ? 'batch' : 'campaign');
  const real = Prisma.sql`${where} AND t."goldItemId" IS NULL`;
  const [statuses, [labels], burn, throughput, stages, agreement, ...diversity] = await Promise.all([
    prisma.$queryRaw<Array<{ status: string; n: number }>>`SELECT t.status::text AS status, count(*)::int AS n FROM "Task" t WHERE ${real} GROUP BY t.status ORDER BY t.status`,
    prisma.$queryRaw<Array<{ done: number }>>`
      SELECT count(*)::int AS done FROM "Assignment" a JOIN "Task" t ON t.id = a."taskId"
      WHERE ${real} AND a.kind IN ('LABEL', 'REWORK') AND a.status = 'SUBMITTED' AND a.round = t.round`,
    prisma.$queryRaw<Array<{ day: string; n: number }>>`
      SELECT to_char(d, 'YYYY-MM-DD') AS day,
             (SELECT count(*)::int FROM "Task" t WHERE ${real} AND t.status <> 'EXCLUDED' AND t."createdAt" < d + interval '1 day'
                AND (t."acceptedAt" IS NULL OR t."acceptedAt" >= d + interval '1 day')) AS n
      FROM generate_series(date_trunc('day', now() AT TIME ZONE 'UTC') - make_interval(days => ${HISTORY_DAYS - 1}::int), date_trunc('day', now() AT TIME ZONE 'UTC'), interval '1 day') d
      ORDER BY d`,
    prisma.$queryRaw<Array<{ n: number }>>`
      SELECT (SELECT count(*)::int FROM "Task" t WHERE ${real} AND t."acceptedAt" >= d AND t."acceptedAt" < d + interval '1 day') AS n
      FROM generate_series(date_trunc('day', now() AT TIME ZONE 'UTC') - make_interval(days => ${THROUGHPUT_DAYS - 1}::int), date_trunc('day', now() AT TIME ZONE 'UTC'), interval '1 day') d`,
    prisma.$queryRaw<Array<{ stage: Stage; wait: number }>>`
      SELECT 'LABELING' AS stage, extract(epoch FROM now() AT TIME ZONE 'UTC' - t."createdAt")::float8 AS wait FROM "Task" t WHERE ${real} AND t.status = 'OPEN'
      UNION ALL
      SELECT 'REVIEW', extract(epoch FROM now() AT TIME ZONE 'UTC' - coalesce(
               (SELECT max(a."submittedAt") FROM "Assignment" a WHERE a."taskId" = t.id AND a.kind IN ('LABEL', 'REWORK') AND a.round = t.round), t."createdAt"))::float8
      FROM "Task" t WHERE ${real} AND t.status = 'IN_REVIEW'
        AND NOT EXISTS (SELECT 1 FROM "Assignment" a WHERE a."taskId" = t.id AND a.kind = 'REVIEW' AND a.status = 'ACTIVE')
      UNION ALL
      SELECT 'QA', extract(epoch FROM now() AT TIME ZONE 'UTC' - q."createdAt")::float8 FROM "QaAudit" q JOIN "Task" t ON t.id = q."taskId" WHERE ${real} AND q.verdict IS NULL`,
    prisma.$queryRaw<Array<{ day: string; value: number | null }>>`
      SELECT to_char(d, 'YYYY-MM-DD') AS day,
             (SELECT avg(t.agreement)::float8 FROM "Task" t WHERE ${real} AND t."acceptedAt" >= d AND t."acceptedAt" < d + interval '1 day') AS value
      FROM generate_series(date_trunc('day', now() AT TIME ZONE 'UTC') - make_interval(days => ${HISTORY_DAYS - 1}::int), date_trunc('day', now() AT TIME ZONE 'UTC'), interval '1 day') d
      ORDER BY d`,
    ...DIVERSITY.map(
      (d) => prisma.$queryRaw<Array<{ value: string | null; n: number }>>`
        SELECT ${d.sql} AS value, count(*)::int AS n FROM "Task" t LEFT JOIN "Asset" ast ON ast.id = t."assetId"
        WHERE ${real} AND t.status = 'ACCEPTED' GROUP BY 1 ORDER BY 2 DESC, 1`,
    ),
  ]);
  const count = (s: string) => statuses.find((r) => r.status === s)?.n ?? 0;
  const total = statuses.reduce((s, r) => s + r.n, 0) - count('EXCLUDED');
  const remainingTasks = total - count('ACCEPTED');
  const queues: StageQueue[] = (['LABELING', 'REVIEW', 'QA'] as const).map((stage) => {
    const waits = stages.filter((s) => s.stage === stage).map((s) => s.wait);
    return { stage, depth: waits.length, medianWaitSeconds: median(waits) };
  });
  return {
    tasksByStatus: statuses.map((r) => ({ status: r.status, tasks: r.n })),
    labelsDone: labels?.done ?? 0,
    labelsNeeded: total * campaign.overlap,
    remainingTasks,
    burnDown: burn.map((r) => ({ day: r.day, value: r.n })),
    eta: etaForecast(
      remainingTasks,
      throughput.map((r) => r.n),
    ),
    stages: queues,
    bottleneck: bottleneckStage(queues),
    agreementByDay: agreement,
    diversity: DIVERSITY.map((d, i) => {
      const rows = diversity[i]!;
      return {
        dimension: d.dimension,
        available: rows.some((r) => r.value !== null),
        counts: rows.map((r) => ({ value: r.value ?? 'unknown', tasks: r.n })),
      };
    }),
  };
}

export interface MyDashboard {
  labels: number;
  accepted: number;
  activeHours: number;
  secondsPerTask: number | null;
  /** Mean agreement of my labels with the consensus of decided tasks (annotatorMetrics); null over every campaign. */
  agreementWithConsensus: number | null;
  gold: GoldAccuracyView | null;
  qaPassed: number;
  qaAudited: number;
  qaPassRate: { estimate: number; lower: number; upper: number } | null;
  earningsByWeek: Array<{ week: string; cents: number }>;
  labelsByDay: DayValue[];
}

/** The annotator's own figures in one campaign (or over every campaign when campaignId is null). */
export async function myDashboard(services: Services, user: AuthUser, campaignId: string | null): Promise<MyDashboard> {
  const { prisma } = services;
  const inCampaign = campaignId === null ? Prisma.sql`TRUE` : Prisma.sql`t."campaignId" = ${campaignId}::uuid`;
  const ledgerCampaign = campaignId === null ? Prisma.sql`TRUE` : Prisma.sql`l."campaignId" = ${campaignId}::uuid`;
  const [[work], [qa], earnings, daily, gold, metrics] = await Promise.all([
    prisma.$queryRaw<Array<{ submitted: number; accepted: number; active: number }>>`
      SELECT count(*)::int AS submitted,
             count(*) FILTER (WHERE t.status = 'ACCEPTED' AND t.round = a.round)::int AS accepted,
             coalesce(sum(a."activeSeconds"), 0)::int AS active
      FROM "Assignment" a JOIN "Task" t ON t.id = a."taskId"
      WHERE a."userId" = ${user.id}::uuid AND ${inCampaign} AND a.kind IN ('LABEL', 'REWORK') AND a.status = 'SUBMITTED' AND t."goldItemId" IS NULL`,
    prisma.$queryRaw<Array<{ passed: number; audited: number }>>`
      SELECT count(*) FILTER (WHERE q.verdict = 'PASS')::int AS passed, count(*)::int AS audited
      FROM "QaAudit" q JOIN "Task" t ON t.id = q."taskId"
      WHERE ${inCampaign} AND q.verdict IS NOT NULL
        AND EXISTS (SELECT 1 FROM "Assignment" a WHERE a."taskId" = q."taskId" AND a."userId" = ${user.id}::uuid AND a.kind IN ('LABEL', 'REWORK') AND a.status = 'SUBMITTED')`,
    prisma.$queryRaw<Array<{ week: string; cents: number }>>`
      SELECT to_char(date_trunc('week', l."createdAt"), 'YYYY-MM-DD') AS week, sum(l."amountCents")::int AS cents
      FROM "LedgerEntry" l WHERE l."userId" = ${user.id}::uuid AND ${ledgerCampaign} GROUP BY 1 ORDER BY 1`,
    prisma.$queryRaw<DayValue[]>`
      SELECT to_char(d, 'YYYY-MM-DD') AS day,
             (SELECT count(*)::int FROM "Assignment" a JOIN "Task" t ON t.id = a."taskId"
               WHERE a."userId" = ${user.id}::uuid AND ${inCampaign} AND a.kind IN ('LABEL', 'REWORK') AND a.status = 'SUBMITTED'
                 AND a."submittedAt" >= d AND a."submittedAt" < d + interval '1 day') AS value
      FROM generate_series(date_trunc('day', now() AT TIME ZONE 'UTC') - make_interval(days => ${HISTORY_DAYS - 1}::int), date_trunc('day', now() AT TIME ZONE 'UTC'), interval '1 day') d
      ORDER BY d`,
    // Gold accuracy as the annotator may see it: lagged by OWN_ACCURACY_DELAY_HOURS (gold.ts).
    campaignId === null ? Promise.resolve(null) : ownGoldAccuracy(services, user, campaignId),
    // Consensus exists only on decided tasks, so this never shows another annotator's label early.
    campaignId === null ? Promise.resolve([]) : annotatorMetrics(services, campaignId),
  ]);
  const submitted = work?.submitted ?? 0;
  const passed = qa?.passed ?? 0;
  const audited = qa?.audited ?? 0;
  const interval = audited > 0 ? wilsonInterval(passed, audited, 0.95) : null;
  return {
    labels: submitted,
    accepted: work?.accepted ?? 0,
    activeHours: (work?.active ?? 0) / 3600,
    secondsPerTask: submitted > 0 ? (work?.active ?? 0) / submitted : null,
    agreementWithConsensus: metrics.find((m) => m.userId === user.id)?.agreementWithConsensus ?? null,
    gold,
    qaPassed: passed,
    qaAudited: audited,
    qaPassRate: interval ? { estimate: interval.estimate, lower: interval.lower, upper: interval.upper } : null,
    earningsByWeek: earnings,
    labelsByDay: daily,
  };
}
