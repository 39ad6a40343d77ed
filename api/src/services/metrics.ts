// Per-annotator metrics as README.md (Metric definitions) defines them. A read model: one query per figure family.
import type { Services } from '../context.ts';
import { labelSchemaSchema, type LabelSchema } from '@suture/workflows/domain/label-schema';
import { annotationType, mediaBoundsOf, parseLabel, type AnnotationContext } from '@suture/workflows/annotation/registry';
import { cohenKappaFromAnswers, krippendorffAlpha, QualityInputError, wilsonInterval } from '@suture/workflows/quality';
import { NotFoundError } from '../errors.ts';

/** Below this much active time a labels-per-hour figure says nothing (and its hours read 0.00). */
export const MIN_RATE_ACTIVE_SECONDS = 60;

export interface AnnotatorMetrics {
  userId: string;
  name: string;
  labelsSubmitted: number;
  acceptedLabels: number;
  activeHours: number;
  /** Accepted labels per hour of active time; null under MIN_RATE_ACTIVE_SECONDS of it. */
  throughputPerHour: number | null;
  /** Accepted labels per calendar day with any submission. */
  throughputPerDay: number | null;
  /** Mean active seconds per submitted task. */
  secondsPerTask: number | null;
  costCents: number;
  costPerAcceptedLabelCents: number | null;
  /** Mean agreement of this annotator's labels with the consensus of accepted tasks. */
  agreementWithConsensus: number | null;
  /** Mean pairwise agreement with the other annotators of the same tasks. */
  agreementWithPeers: number | null;
  /** Cohen's kappa with each peer over the classification tasks they share, averaged weighted by shared tasks. */
  kappaWithPeers: number | null;
  /** Share of this annotator's QA-audited tasks that passed. */
  qaPassRate: number | null;
  qaAudited: number;
  /** 95% Wilson interval of qaPassRate; null before the first audit. */
  qaPassLower: number | null;
  qaPassUpper: number | null;
}

export async function annotatorMetrics(services: Services, campaignId: string): Promise<AnnotatorMetrics[]> {
  const { prisma } = services;
  const campaign = await prisma.campaign.findUnique({ where: { id: campaignId }, select: { labelSchema: true } });
  if (!campaign) throw new NotFoundError('campaign');
  const schema = labelSchemaSchema.parse(campaign.labelSchema);
  const [work, cost, labels, qa] = await Promise.all([
    prisma.$queryRaw<Array<{ userId: string; name: string; submitted: bigint; accepted: bigint; active: bigint; days: bigint }>>`
      SELECT a."userId", u.name,
             count(*)::bigint AS submitted,
             count(*) FILTER (WHERE t.status = 'ACCEPTED' AND t.round = a.round)::bigint AS accepted,
             coalesce(sum(a."activeSeconds"), 0)::bigint AS active,
             count(DISTINCT date_trunc('day', a."submittedAt"))::bigint AS days
      FROM "Assignment" a JOIN "Task" t ON t.id = a."taskId" JOIN "User" u ON u.id = a."userId"
      WHERE t."campaignId" = ${campaignId}::uuid AND a.kind IN ('LABEL', 'REWORK') AND a.status = 'SUBMITTED'
      GROUP BY a."userId", u.name`,
    prisma.$queryRaw<Array<{ userId: string; cents: bigint }>>`
      SELECT "userId", sum("amountCents")::bigint AS cents FROM "LedgerEntry" WHERE "campaignId" = ${campaignId}::uuid AND "userId" IS NOT NULL GROUP BY "userId"`,
    prisma.$queryRaw<LabelRow[]>`
      SELECT an."taskId", an."userId", an.data, t.consensus, t."frameIndex", ast.kind::text AS "assetKind", ast.metadata AS "assetMetadata"
      FROM "Annotation" an JOIN "Assignment" a ON a.id = an."assignmentId" JOIN "Task" t ON t.id = an."taskId" LEFT JOIN "Asset" ast ON ast.id = t."assetId"
      WHERE t."campaignId" = ${campaignId}::uuid AND t."goldItemId" IS NULL AND an.submitted AND a.status = 'SUBMITTED' AND a.round = t.round`,
    prisma.$queryRaw<Array<{ userId: string; passed: bigint; audited: bigint }>>`
      SELECT a."userId", count(*) FILTER (WHERE q.verdict = 'PASS')::bigint AS passed, count(q.verdict)::bigint AS audited
      FROM "QaAudit" q JOIN "Assignment" a ON a."taskId" = q."taskId" AND a.kind IN ('LABEL', 'REWORK') AND a.status = 'SUBMITTED'
      JOIN "Task" t ON t.id = q."taskId"
      WHERE t."campaignId" = ${campaignId}::uuid AND q.verdict IS NOT NULL
      GROUP BY a."userId"`,
  ]);
  const vsConsensus = new Map<string, number[]>();
  const vsPeers = new Map<string, number[]>();
  const push = (m: Map<string, number[]>, k: string, v: number) => m.set(k, [...(m.get(k) ?? []), v]);
  for (const task of scoredTasks(schema, labels)) {
    for (const l of task.labels) {
      if (task.consensus !== null) push(vsConsensus, l.userId, task.agree(l.data, task.consensus).value);
      for (const other of task.labels) if (other.userId !== l.userId) push(vsPeers, l.userId, task.agree(l.data, other.data).value);
    }
  }
  const mean = (xs: number[] | undefined) => (xs && xs.length ? xs.reduce((s, v) => s + v, 0) / xs.length : null);
  const kappa = schema.geometry === 'classification' ? kappaWithPeers(labels) : new Map<string, number>();
  return work
    .map((w) => {
      const accepted = Number(w.accepted);
      const activeHours = Number(w.active) / 3600;
      const costCents = Number(cost.find((c) => c.userId === w.userId)?.cents ?? 0);
      const q = qa.find((r) => r.userId === w.userId);
      const audited = Number(q?.audited ?? 0);
      const qaInterval = audited > 0 ? wilsonInterval(Number(q!.passed), audited, 0.95) : null;
      return {
        userId: w.userId,
        name: w.name,
        labelsSubmitted: Number(w.submitted),
        acceptedLabels: accepted,
        activeHours,
        // Under a minute of active time a rate says nothing (240 labels/h beside 0.00 active hours): none is given.
        throughputPerHour: Number(w.active) >= MIN_RATE_ACTIVE_SECONDS ? accepted / activeHours : null,
        throughputPerDay: Number(w.days) > 0 ? accepted / Number(w.days) : null,
        secondsPerTask: Number(w.submitted) > 0 ? Number(w.active) / Number(w.submitted) : null,
        costCents,
        costPerAcceptedLabelCents: accepted > 0 ? costCents / accepted : null,
        agreementWithConsensus: mean(vsConsensus.get(w.userId)),
        agreementWithPeers: mean(vsPeers.get(w.userId)),
        kappaWithPeers: kappa.get(w.userId) ?? null,
        qaPassRate: q && Number(q.audited) > 0 ? Number(q.passed) / Number(q.audited) : null,
        qaAudited: audited,
        qaPassLower: qaInterval?.lower ?? null,
        qaPassUpper: qaInterval?.upper ?? null,
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

interface LabelRow {
  taskId: string;
  userId: string;
  data: unknown;
  consensus: unknown;
  frameIndex: number | null;
  assetKind: string | null;
  assetMetadata: unknown;
}

/**
 * The campaign's labels grouped by task, parsed by the campaign's annotation type module against the task's
 * media (labels or consensus it refuses are left out of the figures), with the module's pairwise agreement.
 */
function scoredTasks(schema: LabelSchema, rows: readonly LabelRow[]) {
  const module = annotationType(schema.geometry);
  const byTask = new Map<string, LabelRow[]>();
  for (const r of rows) byTask.set(r.taskId, [...(byTask.get(r.taskId) ?? []), r]);
  return [...byTask.values()].map((list) => {
    const first = list[0]!;
    const ctx: AnnotationContext = { schema, media: mediaBoundsOf(first.assetKind ? { kind: first.assetKind, metadata: first.assetMetadata } : null), frame: first.frameIndex };
    const parse = (data: unknown) => {
      const p = parseLabel(ctx, data);
      return p.ok ? p.value : null;
    };
    const labels = list.flatMap((l) => {
      const data = parse(l.data);
      return data === null ? [] : [{ userId: l.userId, data }];
    });
    const consensus = first.consensus === null || first.consensus === undefined ? null : parse(first.consensus);
    return { labels, consensus, agree: (a: unknown, b: unknown) => module.agreement(a, b, ctx) };
  });
}

/** Per annotator: Cohen's kappa with each peer on shared tasks (pairs with at least 2 shared tasks), weighted by shared tasks. */
function kappaWithPeers(labels: Array<{ taskId: string; userId: string; data: unknown }>): Map<string, number> {
  const labelOf = (d: unknown) => String((d as { label?: unknown }).label);
  const byUser = new Map<string, Map<string, string>>();
  for (const l of labels) {
    const m = byUser.get(l.userId) ?? new Map<string, string>();
    m.set(l.taskId, labelOf(l.data));
    byUser.set(l.userId, m);
  }
  const sums = new Map<string, { weighted: number; weight: number }>();
  const users = [...byUser.keys()].sort();
  for (let i = 0; i < users.length; i++)
    for (let j = i + 1; j < users.length; j++) {
      const a = byUser.get(users[i]!)!;
      const b = byUser.get(users[j]!)!;
      const shared = [...a.keys()].filter((t) => b.has(t));
      if (shared.length < 2) continue;
      let k: number;
      try {
        k = cohenKappaFromAnswers(
          shared.flatMap((t) => [
            { task: t, annotator: 'a', label: a.get(t)! },
            { task: t, annotator: 'b', label: b.get(t)! },
          ]),
        );
      } catch (error) {
        if (error instanceof QualityInputError) continue;
        throw error;
      }
      for (const u of [users[i]!, users[j]!]) {
        const s = sums.get(u) ?? { weighted: 0, weight: 0 };
        sums.set(u, { weighted: s.weighted + k * shared.length, weight: s.weight + shared.length });
      }
    }
  return new Map([...sums].map(([u, s]) => [u, s.weighted / s.weight]));
}

export interface CampaignAgreement {
  /** Krippendorff's alpha (nominal) over every submitted single-label classification of the current rounds; null when undefined or not classification. */
  krippendorffAlpha: number | null;
  /** Mean pairwise agreement over the tasks with two or more labels, in the campaign's annotation type metric (every kind). */
  meanAgreement: number | null;
  /** The metric behind meanAgreement (e.g. 'object-f1@0.5-x-class-agreement', 'segmental-f1@0.5', 'mean-dice'). */
  metric: string | null;
  labels: number;
  tasks: number;
}

export async function campaignAgreement(services: Services, campaignId: string): Promise<CampaignAgreement> {
  const campaign = await services.prisma.campaign.findUnique({ where: { id: campaignId }, select: { labelSchema: true } });
  if (!campaign) throw new NotFoundError('campaign');
  const schema = labelSchemaSchema.parse(campaign.labelSchema);
  const rows = await services.prisma.$queryRaw<LabelRow[]>`
    SELECT an."taskId", an."userId", an.data, NULL::jsonb AS consensus, t."frameIndex", ast.kind::text AS "assetKind", ast.metadata AS "assetMetadata"
    FROM "Annotation" an JOIN "Assignment" a ON a.id = an."assignmentId" JOIN "Task" t ON t.id = an."taskId" LEFT JOIN "Asset" ast ON ast.id = t."assetId"
    WHERE t."campaignId" = ${campaignId}::uuid AND t."goldItemId" IS NULL AND an.submitted AND a.status = 'SUBMITTED' AND a.round = t.round`;
  const tasks = new Set(rows.map((r) => r.taskId)).size;
  let sum = 0;
  let pairs = 0;
  let metric: string | null = null;
  for (const task of scoredTasks(schema, rows)) {
    for (let i = 0; i < task.labels.length; i++)
      for (let j = i + 1; j < task.labels.length; j++) {
        const pair = task.agree(task.labels[i]!.data, task.labels[j]!.data);
        sum += pair.value;
        metric = pair.metric;
        pairs += 1;
      }
  }
  let alpha: number | null = null;
  if (schema.geometry === 'classification' && !schema.multiLabel) {
    try {
      alpha = krippendorffAlpha(
        rows.map((r) => ({ task: r.taskId, annotator: r.userId, label: String((r.data as { label?: unknown }).label) })),
        'nominal',
      );
    } catch (error) {
      if (!(error instanceof QualityInputError)) throw error;
    }
  }
  return { krippendorffAlpha: alpha !== null && Number.isFinite(alpha) ? alpha : null, meanAgreement: pairs > 0 ? sum / pairs : null, metric, labels: rows.length, tasks };
}

export interface CostReport {
  totalCents: number;
  byKind: Array<{ kind: string; cents: number; entries: number }>;
  acceptedLabels: number;
  /** All ledger cost of the campaign / accepted labels. */
  costPerAcceptedLabelCents: number | null;
  budgetCents: number;
}

export async function costReport(services: Services, campaignId: string): Promise<CostReport> {
  const { prisma } = services;
  const campaign = await prisma.campaign.findUnique({ where: { id: campaignId }, select: { budgetCents: true } });
  if (!campaign) throw new NotFoundError('campaign');
  const [byKind, [accepted]] = await Promise.all([
    prisma.$queryRaw<Array<{ kind: string; cents: bigint; entries: bigint }>>`
      SELECT kind::text AS kind, sum("amountCents")::bigint AS cents, count(*)::bigint AS entries FROM "LedgerEntry" WHERE "campaignId" = ${campaignId}::uuid GROUP BY kind ORDER BY kind`,
    prisma.$queryRaw<Array<{ n: bigint }>>`SELECT count(*)::bigint AS n FROM "Task" WHERE "campaignId" = ${campaignId}::uuid AND status = 'ACCEPTED'`,
  ]);
  const totalCents = byKind.reduce((s, r) => s + Number(r.cents), 0);
  const acceptedLabels = Number(accepted?.n ?? 0);
  return {
    totalCents,
    byKind: byKind.map((r) => ({ kind: r.kind, cents: Number(r.cents), entries: Number(r.entries) })),
    acceptedLabels,
    costPerAcceptedLabelCents: acceptedLabels > 0 ? totalCents / acceptedLabels : null,
    budgetCents: campaign.budgetCents,
  };
}
