// The campaign's crowd model for categorical consensus: Dawid-Skene fitted on every submitted label of the
// campaign's current rounds, once enough tasks have two or more labels. The worker refits it at most once a
// minute per campaign; the classification module uses it for tasks whose annotators it knows well enough.
import { Prisma } from '@suture/db';
import type { CrowdModel } from '../annotation/module.ts';
import type { LabelSchema } from '../domain/label-schema.ts';
import { dawidSkene } from '../quality/index.ts';

/** Tasks with two or more labels before the campaign's labels say enough about its annotators. */
export const MIN_CROWD_TASKS = 30;
const REFIT_MS = 60_000;

type Reader = Pick<Prisma.TransactionClient, '$queryRaw'>;

/** Fits the model, or null when the campaign is not single-label classification or has too few labels. */
export async function fitCrowdModel(db: Reader, campaignId: string, schema: LabelSchema): Promise<CrowdModel | null> {
  if (schema.geometry !== 'classification' || schema.multiLabel) return null;
  const rows = await db.$queryRaw<Array<{ taskId: string; userId: string; label: string | null }>>`
    SELECT an."taskId"::text AS "taskId", an."userId"::text AS "userId", an.data->>'label' AS label
    FROM "Annotation" an JOIN "Assignment" a ON a.id = an."assignmentId" JOIN "Task" t ON t.id = an."taskId"
    WHERE t."campaignId" = ${campaignId}::uuid AND an.submitted AND a.status = 'SUBMITTED' AND a.kind IN ('LABEL', 'REWORK') AND a.round = t.round`;
  const keys = schema.classes.map((c) => c.key);
  const known = new Set(keys);
  const answers = rows.filter((r) => r.label !== null && known.has(r.label)).map((r) => ({ task: r.taskId, annotator: r.userId, label: r.label! }));
  const perTask = new Map<string, number>();
  for (const a of answers) perTask.set(a.task, (perTask.get(a.task) ?? 0) + 1);
  if ([...perTask.values()].filter((n) => n >= 2).length < MIN_CROWD_TASKS) return null;
  const fit = dawidSkene(answers, { categories: keys });
  return {
    method: 'dawid-skene',
    categories: fit.categories,
    priors: fit.priors,
    annotators: new Map(fit.annotators.map((a) => [a.annotator, { confusion: a.confusion, answers: a.answers }])),
    answers: answers.length,
  };
}

/** Per-campaign models, refitted when older than a minute. */
export class CrowdModels {
  private readonly cache = new Map<string, { model: CrowdModel | null; at: number }>();
  constructor(private readonly now: () => number = Date.now) {}

  async get(db: Reader, campaignId: string, schema: LabelSchema): Promise<CrowdModel | null> {
    if (schema.geometry !== 'classification' || schema.multiLabel) return null;
    const hit = this.cache.get(campaignId);
    if (hit && this.now() - hit.at < REFIT_MS) return hit.model;
    const model = await fitCrowdModel(db, campaignId, schema);
    this.cache.set(campaignId, { model, at: this.now() });
    return model;
  }
}
