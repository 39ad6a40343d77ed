// The campaign's crowd model for categorical consensus: the campaign's consensus method (Dawid-Skene for 'auto',
// or MACE, GLAD ...) fitted on every submitted label of the campaign's current rounds, once enough tasks have two
// or more labels (majority vote before). The worker refits it at most once a minute per campaign, and at once when
// the campaign's method changes; the classification module uses it for each task's consensus, the API shows each
// annotator's estimated reliability from it, and exports record it.
import { Prisma } from '@suture/db';
import {
  annotationType,
  CONSENSUS_FIELD,
  crowdMethodOptions,
  effectiveCrowdMethod,
  resolveConsensus,
  seenLabels,
  type CampaignConsensus,
  type ConsensusResolution,
} from '../annotation/registry.ts';
import type { CrowdAnnotator, CrowdModel } from '../annotation/module.ts';
import { consensusSettingSchema, type LabelSchema } from '../domain/label-schema.ts';
import { runConsensusMethod, type CategoricalAnswer, type CrowdMethodName } from '../quality/index.ts';

export { MIN_CROWD_TASKS } from '../annotation/consensus.ts';
const REFIT_MS = 60_000;

type Reader = Pick<Prisma.TransactionClient, '$queryRaw'>;

/** One submitted class of a task by an annotator. */
export interface CrowdAnswer extends CategoricalAnswer {
  task: string;
  annotator: string;
  label: string;
}

/**
 * The campaign's consensus setting (`qaSettings.consensus`, absent = its type's default) checked against its
 * annotation type. The API refuses settings that do not fit, so problems here mean a row written around it.
 */
export function campaignConsensus(schema: LabelSchema, qaSettings: unknown): ConsensusResolution {
  const raw = typeof qaSettings === 'object' && qaSettings !== null ? (qaSettings as { consensus?: unknown }).consensus : undefined;
  const setting = consensusSettingSchema.optional().safeParse(raw);
  if (!setting.success) return { ok: false, problems: setting.error.issues.map((i) => `${[CONSENSUS_FIELD, ...i.path].join('.')}: ${i.message}`) };
  return resolveConsensus(schema, annotationType(schema.geometry).consensusMethods(schema), setting.data);
}

/** Whether the campaign's labels are single categorical answers a truth-inference method can fit. */
export function fitsCrowdModel(schema: LabelSchema): boolean {
  return schema.geometry === 'classification' && !schema.multiLabel && schema.classes.length >= 2;
}

/** Every submitted class of the campaign's current rounds (labels outside the schema's classes, and gold tasks' answers, left out). */
export async function campaignAnswers(db: Reader, campaignId: string, schema: LabelSchema): Promise<CrowdAnswer[]> {
  const rows = await db.$queryRaw<Array<{ taskId: string; userId: string; label: string | null }>>`
    SELECT an."taskId"::text AS "taskId", an."userId"::text AS "userId", an.data->>'label' AS label
    FROM "Annotation" an JOIN "Assignment" a ON a.id = an."assignmentId" JOIN "Task" t ON t.id = an."taskId"
    WHERE t."campaignId" = ${campaignId}::uuid AND t."goldItemId" IS NULL AND an.submitted AND a.status = 'SUBMITTED' AND a.kind IN ('LABEL', 'REWORK') AND a.round = t.round
    ORDER BY an."taskId", an."userId", an.id`;
  const known = new Set(schema.classes.map((c) => c.key));
  return rows.filter((r) => r.label !== null && known.has(r.label)).map((r) => ({ task: r.taskId, annotator: r.userId, label: r.label! }));
}

/** Tasks with two or more answers. */
export function tasksWithLabels(answers: readonly CrowdAnswer[]): number {
  const perTask = new Map<string, number>();
  for (const a of answers) perTask.set(a.task, (perTask.get(a.task) ?? 0) + 1);
  let n = 0;
  for (const count of perTask.values()) if (count >= 2) n++;
  return n;
}

/**
 * Fits `method` on the answers: each annotator's reliability (with Dawid-Skene's confusion matrix, MACE's
 * competence, GLAD's alpha ... as `skill`), the class priors (mean posterior) and each task's consensus with the
 * labels it had. Throws the quality engine's QualityInputError on input the method refuses.
 */
export function fitCrowd(answers: readonly CrowdAnswer[], schema: LabelSchema, consensus: CampaignConsensus, method: CrowdMethodName, fittedAt: Date): CrowdModel {
  const categories = schema.classes.map((c) => c.key);
  // The configured options belong to the configured method; majority vote (before enough labels) runs with none.
  const options = method === consensus.choice.crowd ? crowdMethodOptions(consensus, categories) : { categories };
  const fit = runConsensusMethod(method, answers, options as never);
  const K = fit.categories.length;
  const priors = new Array<number>(K).fill(0);
  for (const t of fit.tasks) t.posterior.forEach((p, k) => (priors[k]! += p / fit.tasks.length));
  const seen = new Map<string, Array<{ annotator: string; label: string }>>();
  for (const a of answers) {
    const list = seen.get(a.task);
    if (list) list.push(a);
    else seen.set(a.task, [a]);
  }
  return {
    method,
    categories: fit.categories,
    priors,
    annotators: new Map(
      fit.annotators.map((a): [string, CrowdAnnotator] => [
        a.annotator,
        { answers: a.answers, reliability: a.reliability, ...(a.confusion ? { confusion: a.confusion } : {}), ...(a.skill !== undefined ? { skill: a.skill } : {}) },
      ]),
    ),
    tasks: new Map(fit.tasks.map((t) => [t.task, { seen: seenLabels(seen.get(t.task) ?? []), label: t.label }])),
    answers: answers.length,
    tasksWithLabels: tasksWithLabels(answers),
    convergence: fit.convergence,
    fittedAt,
  };
}

/**
 * The model the campaign's labels give now under its consensus setting: the configured method once `minTasks`
 * tasks have two or more labels, a majority-vote model before (or for 'majority'), which says how often each
 * annotator agrees with the majority. Null for kinds without categorical labels, and before any answer.
 */
export async function fitCampaignCrowd(db: Reader, campaignId: string, schema: LabelSchema, consensus: CampaignConsensus, now = new Date()): Promise<CrowdModel | null> {
  if (!fitsCrowdModel(schema) || consensus.choice.crowd === undefined) return null;
  const answers = await campaignAnswers(db, campaignId, schema);
  if (answers.length === 0) return null;
  const method = effectiveCrowdMethod(consensus, tasksWithLabels(answers))!;
  return fitCrowd(answers, schema, consensus, method, now);
}

/** Per-campaign models, refitted when older than a minute or when the campaign's consensus setting changed. */
export class CrowdModels {
  private readonly cache = new Map<string, { model: CrowdModel | null; at: number; setting: string }>();
  constructor(private readonly now: () => number = Date.now) {}

  /** The campaign's current model (a majority-vote model until the configured method applies), or null. */
  async get(db: Reader, campaignId: string, schema: LabelSchema, consensus: CampaignConsensus): Promise<CrowdModel | null> {
    if (!fitsCrowdModel(schema) || consensus.choice.crowd === undefined) return null;
    const setting = JSON.stringify([consensus.method, consensus.minTasks, consensus.seed ?? null, consensus.options, schema.classes.map((c) => c.key)]);
    const hit = this.cache.get(campaignId);
    const at = this.now();
    if (hit && hit.setting === setting && at - hit.at < REFIT_MS) return hit.model;
    const model = await fitCampaignCrowd(db, campaignId, schema, consensus, new Date(at));
    this.cache.set(campaignId, { model, at, setting });
    return model;
  }
}
