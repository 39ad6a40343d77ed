// A campaign's consensus method: Campaign.consensus (the method, what the lifecycle uses now and each
// annotator's estimated reliability) and setCampaignConsensus.
import { builder } from './builder.ts';
import type { ConsensusChoice } from '@suture/workflows/annotation/registry';
import type { MethodOptionDoc } from '@suture/workflows/quality';
import { campaignConsensusView, CONSENSUS_READERS, setCampaignConsensus, type CampaignConsensusView, type ConsensusAnnotatorView } from '../services/consensus.ts';
import { MANAGES, requireCampaignRole } from '../services/tenancy.ts';

const ConsensusMethodOptionRef = builder.objectRef<MethodOptionDoc>('ConsensusMethodOption').implement({
  description: "One option of a consensus method, as the quality engine documents it (set in the campaign's consensus options by name).",
  fields: (t) => ({
    name: t.exposeString('name'),
    type: t.exposeString('type', { description: 'integer, number, choice, numbers (a list) or seed' }),
    choices: t.stringList({ nullable: true, resolve: (o) => (o.choices ? [...o.choices] : null) }),
    default: t.exposeString('default'),
    description: t.exposeString('description'),
  }),
});

const ConsensusMethodChoiceRef = builder.objectRef<ConsensusChoice>('ConsensusMethodChoice').implement({
  description: "A consensus method the campaign's annotation type offers.",
  fields: (t) => ({
    id: t.exposeID('id'),
    title: t.exposeString('title'),
    description: t.exposeString('description'),
    fitted: t.boolean({
      description: "The method learns each annotator's reliability from the campaign's labels (it takes minTasks and a seed)",
      resolve: (c) => c.crowd !== undefined && c.crowd !== 'majority',
    }),
    options: t.field({ type: [ConsensusMethodOptionRef], resolve: (c) => [...(c.options ?? [])] }),
  }),
});

const ConfusionRowRef = builder.objectRef<{ trueClass: string; given: number[] }>('ConfusionRow').implement({
  description: "One row of an annotator's confusion matrix.",
  fields: (t) => ({
    trueClass: t.exposeString('trueClass'),
    given: t.exposeFloatList('given', { description: 'P(the annotator gives each class | the true class), in the campaign consensus `categories` order; sums to 1' }),
  }),
});

const ConsensusAnnotatorRef = builder.objectRef<ConsensusAnnotatorView & { categories: readonly string[] }>('ConsensusAnnotator').implement({
  description: "One annotator as the campaign's consensus method estimates them.",
  fields: (t) => ({
    userId: t.exposeID('userId'),
    name: t.exposeString('name'),
    answers: t.exposeInt('answers', { description: 'Labels of the annotator the model was fitted on' }),
    reliability: t.exposeFloat('reliability', { description: "Estimated probability that the annotator's label is right, in [0, 1]" }),
    confusion: t.field({
      type: [ConfusionRowRef],
      nullable: true,
      description: 'Dawid-Skene: one row per true class, P(the annotator gives each class | that true class), in `categories` order',
      resolve: (a) => a.confusion?.map((given, k) => ({ trueClass: a.categories[k] ?? String(k), given })) ?? null,
    }),
    skill: t.exposeFloat('skill', {
      nullable: true,
      description: "The method's own figure: MACE competence, GLAD ability (alpha), or the skill of Wawa, ZBS, one-coin, KOS, M-MSR",
    }),
  }),
});

const CampaignConsensusRef = builder.objectRef<CampaignConsensusView>('CampaignConsensus').implement({
  description: "How the campaign forms each task's consensus label, and what its labels say about each annotator.",
  fields: (t) => ({
    method: t.exposeString('method', { description: 'The configured method (the annotation type’s default when none was set)' }),
    title: t.exposeString('title'),
    description: t.exposeString('description'),
    minTasks: t.exposeInt('minTasks', { nullable: true, description: 'Tasks with two or more labels before a fitted method decides (majority vote until then)' }),
    seed: t.exposeString('seed', { nullable: true }),
    options: t.expose('options', { type: 'JSON', description: "The method's own options as configured" }),
    effectiveMethod: t.exposeString('effectiveMethod', {
      description: "The method tasks are scored with now: 'majority' until the campaign has minTasks tasks with two or more labels",
    }),
    effectiveTitle: t.exposeString('effectiveTitle'),
    fittedAt: t.expose('fittedAt', { type: 'DateTime', nullable: true, description: 'When the reliabilities were fitted (refitted at most once a minute)' }),
    answers: t.exposeInt('answers', { description: 'Labels the model was fitted on' }),
    tasksWithLabels: t.exposeInt('tasksWithLabels', { description: 'Tasks with two or more labels' }),
    converged: t.exposeBoolean('converged', { nullable: true, description: 'Whether the fit met its stopping rule before its iteration cap' }),
    iterations: t.exposeInt('iterations', { nullable: true }),
    categories: t.exposeStringList('categories'),
    annotators: t.field({ type: [ConsensusAnnotatorRef], resolve: (c) => c.annotators.map((a) => ({ ...a, categories: c.categories })) }),
    choices: t.field({ type: [ConsensusMethodChoiceRef], description: 'The methods the campaign may choose', resolve: (c) => [...c.choices] }),
  }),
});

builder.prismaObjectFields('Campaign', (t) => ({
  consensus: t.field({
    type: CampaignConsensusRef,
    errors: {},
    description: "The consensus method and each annotator's estimated reliability; for the campaign's admins, operations managers, finance and QA auditors (as annotatorMetrics).",
    resolve: async (c, _args, ctx) => {
      await requireCampaignRole(ctx, c.id, CONSENSUS_READERS);
      return campaignConsensusView(ctx.services, c.id);
    },
  }),
}));

builder.mutationFields((t) => ({
  setCampaignConsensus: t.withAuth({ anyRole: [...MANAGES] }).prismaField({
    type: 'Campaign',
    errors: {},
    description:
      "Sets how the campaign forms consensus for tasks scored from now on: a method of its annotation type (Campaign.consensus.choices), with minTasks, seed and the method's options for fitted methods.",
    args: {
      campaignId: t.arg.id(),
      method: t.arg.string(),
      minTasks: t.arg.int({ required: false }),
      seed: t.arg.string({ required: false }),
      options: t.arg({ type: 'JSON', required: false }),
    },
    resolve: async (query, _root, args, ctx) => {
      const campaignId = String(args.campaignId);
      await requireCampaignRole(ctx, campaignId, MANAGES);
      const setting = {
        method: args.method,
        ...(args.minTasks != null ? { minTasks: args.minTasks } : {}),
        ...(args.seed != null ? { seed: args.seed } : {}),
        ...(args.options != null ? { options: args.options } : {}),
      };
      return ctx.services.prisma.campaign.findUniqueOrThrow({ ...query, where: { id: await setCampaignConsensus(ctx.services, ctx.user, campaignId, setting) } });
    },
  }),
}));
