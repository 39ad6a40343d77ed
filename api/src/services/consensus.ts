// A campaign's consensus method: what it is set to, what the lifecycle uses now and each annotator's estimated
// reliability under it (a read model for the campaign's staff), and the setting itself, checked against the
// campaign's annotation type and audited.
import type { Prisma } from '@suture/db';
import { consensusSettingSchema, labelSchemaSchema, type ConsensusSetting, type LabelSchema } from '@suture/workflows/domain/label-schema';
import { CONSENSUS_FIELD, consensusMethods, effectiveCrowdMethod, type ConsensusChoice } from '@suture/workflows/annotation/registry';
import { campaignConsensus, CrowdModels } from '@suture/workflows/lifecycle/crowd';
import { appendAudit } from '@suture/workflows/services/audit-log';
import type { AuthUser } from '../auth/sessions.ts';
import type { Services } from '../context.ts';
import { InvalidInputError, NotFoundError } from '../errors.ts';

/** Who may read annotators' reliability: as the per-annotator metrics (annotatorMetrics). Annotators never see their peers'. */
export const CONSENSUS_READERS = ['ADMIN', 'OPS_MANAGER', 'FINANCE', 'QA_AUDITOR'] as const;

export interface ConsensusAnnotatorView {
  userId: string;
  /** The name the per-annotator metrics show. */
  name: string;
  answers: number;
  reliability: number;
  /** Dawid-Skene: confusion[true][given], in `categories` order. */
  confusion: number[][] | null;
  /** MACE competence, GLAD alpha, or the method's own skill. */
  skill: number | null;
}

export interface CampaignConsensusView {
  /** The configured method (the type's default when the campaign set none). */
  method: string;
  title: string;
  description: string;
  /** Tasks with two or more labels before a fitted method decides; null for methods that fit nothing. */
  minTasks: number | null;
  seed: string | null;
  options: Record<string, unknown>;
  /** The method the lifecycle uses now (majority vote until enough labels, for fitted methods). */
  effectiveMethod: string;
  effectiveTitle: string;
  /** When the reliabilities shown were fitted; null when there is nothing to fit. */
  fittedAt: Date | null;
  answers: number;
  tasksWithLabels: number;
  converged: boolean | null;
  iterations: number | null;
  categories: string[];
  annotators: ConsensusAnnotatorView[];
  choices: readonly ConsensusChoice[];
}

/**
 * Fits of the campaigns' crowd models in this API process, as the worker keeps its own: the same labels and
 * setting give the same model, refitted at most once a minute (or at once when the setting changes).
 */
const models = new CrowdModels();

async function campaignOf(db: Pick<Prisma.TransactionClient, 'campaign'>, campaignId: string): Promise<{ schema: LabelSchema; qaSettings: unknown }> {
  const campaign = await db.campaign.findUnique({ where: { id: campaignId }, select: { labelSchema: true, qaSettings: true } });
  if (!campaign) throw new NotFoundError('campaign');
  return { schema: labelSchemaSchema.parse(campaign.labelSchema), qaSettings: campaign.qaSettings };
}

/** The campaign's consensus method and its annotators' estimated reliability. */
export async function campaignConsensusView(services: Services, campaignId: string): Promise<CampaignConsensusView> {
  const { prisma } = services;
  const { schema, qaSettings } = await campaignOf(prisma, campaignId);
  const resolved = campaignConsensus(schema, qaSettings);
  if (!resolved.ok) throw new InvalidInputError("the campaign's stored consensus setting does not fit its annotation type; set it again", resolved.problems);
  const consensus = resolved.value;
  const { choices } = consensusMethods(schema);
  const model = await models.get(prisma, campaignId, schema, consensus);
  const effective = model?.method ?? effectiveCrowdMethod(consensus, 0) ?? consensus.method;
  const titleOf = (id: string) => choices.find((c) => c.id === id)?.title ?? id;
  const users = model ? await prisma.user.findMany({ where: { id: { in: [...model.annotators.keys()] } }, select: { id: true, name: true } }) : [];
  const names = new Map(users.map((u) => [u.id, u.name]));
  const fitted = consensus.choice.crowd !== undefined && consensus.choice.crowd !== 'majority';
  return {
    method: consensus.method,
    title: consensus.choice.title,
    description: consensus.choice.description,
    minTasks: fitted ? consensus.minTasks : null,
    seed: consensus.seed === undefined ? null : String(consensus.seed),
    options: consensus.options,
    effectiveMethod: effective,
    effectiveTitle: titleOf(effective),
    fittedAt: model?.fittedAt ?? null,
    answers: model?.answers ?? 0,
    tasksWithLabels: model?.tasksWithLabels ?? 0,
    converged: model ? model.convergence.converged : null,
    iterations: model ? model.convergence.iterations : null,
    categories: model?.categories ?? [],
    annotators: model
      ? [...model.annotators.entries()]
          .map(([userId, a]) => ({
            userId,
            name: names.get(userId) ?? 'unknown user',
            answers: a.answers,
            reliability: a.reliability,
            confusion: a.confusion ?? null,
            skill: a.skill ?? null,
          }))
          .sort((x, y) => y.reliability - x.reliability || (x.name < y.name ? -1 : x.name > y.name ? 1 : 0))
      : [],
    choices,
  };
}

/** Refuses a consensus setting that does not fit the label schema, naming the field and the methods allowed. */
export function checkConsensusSetting(schema: LabelSchema, setting: ConsensusSetting | undefined): void {
  const resolved = campaignConsensus(schema, { consensus: setting });
  if (!resolved.ok) throw new InvalidInputError('the consensus method does not fit the annotation type', resolved.problems);
}

/**
 * Sets the campaign's consensus method (with its options) for the tasks scored from now on; tasks accepted
 * before keep the method recorded with them. Audited with the setting (no label data).
 */
export async function setCampaignConsensus(services: Services, actor: AuthUser, campaignId: string, input: unknown): Promise<string> {
  const parsed = consensusSettingSchema.safeParse(input);
  if (!parsed.success)
    throw new InvalidInputError(
      'invalid consensus setting',
      parsed.error.issues.map((i) => `${[CONSENSUS_FIELD, ...i.path].join('.')}: ${i.message}`),
    );
  const setting = parsed.data;
  return services.prisma.$transaction(async (tx) => {
    const [locked] = await tx.$queryRaw<Array<{ id: string }>>`SELECT id FROM "Campaign" WHERE id = ${campaignId}::uuid FOR UPDATE`;
    if (!locked) throw new NotFoundError('campaign');
    const { schema, qaSettings } = await campaignOf(tx, campaignId);
    checkConsensusSetting(schema, setting);
    const qa = typeof qaSettings === 'object' && qaSettings !== null && !Array.isArray(qaSettings) ? (qaSettings as Record<string, unknown>) : {};
    await tx.campaign.update({ where: { id: campaignId }, data: { qaSettings: { ...qa, consensus: setting } as Prisma.InputJsonValue } });
    await appendAudit(tx, {
      actorId: actor.id,
      action: 'campaign.consensus',
      entityType: 'Campaign',
      entityId: campaignId,
      data: { method: setting.method, minTasks: setting.minTasks ?? null, seed: setting.seed ?? null, options: JSON.stringify(setting.options ?? {}) },
    });
    return campaignId;
  });
}
