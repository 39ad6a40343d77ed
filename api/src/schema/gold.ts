// Gold (honeypot) tasks in GraphQL: a campaign's gold set and settings for its operations managers, gold accuracy
// per annotator for ops and QA, an annotator's own (delayed) gold accuracy, and lifting a pause. Nothing here is
// reachable from an annotator's work: the Task type never exposes its gold item.
import { builder } from './builder.ts';
import type { Context } from '../context.ts';
import { ForbiddenError, NotFoundError } from '../errors.ts';
import {
  addGoldItem,
  campaignGoldAccuracy,
  deactivateGoldItem,
  ownGoldAccuracy,
  pauseAnnotator,
  setGoldSettings,
  unpauseAnnotator,
  type GoldAccuracyView,
} from '../services/gold.ts';
import { hasCampaignRole, MANAGES, requireCampaignRole } from '../services/tenancy.ts';

/** Who sees annotators' gold accuracy: as the per-annotator metrics, less finance (accuracy is not a cost). */
const ACCURACY_READERS = ['ADMIN', 'OPS_MANAGER', 'QA_AUDITOR'] as const;

/**
 * The gold set's keepers: the campaign's operations managers and admins, unless they also annotate it; the blind
 * rule wins over every role, and gold answers are the one label an annotator must never see.
 */
async function requireGoldKeeper(ctx: Context, campaignId: string): Promise<void> {
  const access = await requireCampaignRole(ctx, campaignId, MANAGES);
  if (access.roles.has('ANNOTATOR'))
    throw new ForbiddenError('you annotate this campaign, so its gold answers stay hidden from you; another operations manager keeps its gold set');
}

async function isGoldKeeper(ctx: Context, campaignId: string): Promise<boolean> {
  return (await hasCampaignRole(ctx, campaignId, MANAGES)) && !(await hasCampaignRole(ctx, campaignId, ['ANNOTATOR']));
}

const GoldPurposeRef = builder.enumType('GoldPurpose', {
  description: "HONEYPOT items are served into annotators' queues; QUALIFICATION items make up the campaign's qualification test.",
  values: ['HONEYPOT', 'QUALIFICATION'] as const,
});

builder.prismaObject('GoldItem', {
  description: "A honeypot: an asset (or a frame of it) of the campaign with a known answer, served into annotators' queues at the campaign's gold rate.",
  // Defence in depth: whatever path reaches a gold item, only its campaign's gold keepers see it.
  authScopes: (g, ctx) => isGoldKeeper(ctx, g.campaignId),
  fields: (t) => ({
    id: t.exposeID('id'),
    assetId: t.exposeID('assetId'),
    asset: t.prismaField({
      type: 'Asset',
      resolve: (query, g, _args, ctx) => ctx.services.prisma.asset.findUniqueOrThrow({ ...query, where: { id: g.assetId } }),
    }),
    frameIndex: t.exposeInt('frameIndex', { nullable: true }),
    answer: t.expose('answer', { type: 'JSON', description: "The reference label, in the campaign annotation type's canonical form" }),
    explanation: t.exposeString('explanation'),
    guidelineSection: t.exposeString('guidelineSection', { nullable: true }),
    purpose: t.expose('purpose', { type: GoldPurposeRef }),
    active: t.exposeBoolean('active', { description: 'Served to annotators; inactive items keep their results' }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    answered: t.relationCount('results', { description: 'Answers scored against this item' }),
    correct: t.relationCount('results', { where: { correct: true }, description: "Answers whose agreement with the answer reached the campaign's threshold" }),
  }),
});

const GoldAccuracyRef = builder.objectRef<GoldAccuracyView>('GoldAccuracy').implement({
  description: "One annotator's answers on a campaign's gold tasks, the accuracy with its 95 % Wilson interval, and their pause.",
  fields: (t) => ({
    userId: t.exposeID('userId'),
    name: t.exposeString('name'),
    answered: t.exposeInt('answered'),
    correct: t.exposeInt('correct'),
    accuracy: t.exposeFloat('accuracy', { nullable: true, description: 'correct / answered; null before the first answer' }),
    lower: t.exposeFloat('lower', { nullable: true, description: 'Lower end of the 95 % Wilson score interval of the accuracy' }),
    upper: t.exposeFloat('upper', {
      nullable: true,
      description: "Upper end of the 95 % Wilson score interval: the annotator is paused when it falls under the campaign's goldMinAccuracy",
    }),
    paused: t.exposeBoolean('paused', { description: 'May not claim labelling work on the campaign until an operations manager lifts the pause' }),
    pausedAt: t.expose('pausedAt', { type: 'DateTime', nullable: true }),
    pauseReason: t.exposeString('pauseReason', { nullable: true }),
    asOf: t.expose('asOf', { type: 'DateTime', nullable: true, description: "Answers given up to this instant are counted (an annotator's own view lags a day); null: all" }),
  }),
});

builder.prismaObjectFields('Campaign', (t) => ({
  goldRate: t.exposeFloat('goldRate', {
    description: "Share (0..1) of each annotator's claims served from the gold set; 0 serves none. For the campaign's staff who oversee quality.",
    authScopes: (c, _args, ctx) => hasCampaignRole(ctx, c.id, ACCURACY_READERS),
  }),
  goldMinAccuracy: t.exposeFloat('goldMinAccuracy', {
    nullable: true,
    description: 'Gold accuracy under which an annotator is paused (null: never)',
    authScopes: (c, _args, ctx) => hasCampaignRole(ctx, c.id, ACCURACY_READERS),
  }),
  goldMinSamples: t.exposeInt('goldMinSamples', {
    description: 'Gold answers an annotator gives before the pause rule judges them',
    authScopes: (c, _args, ctx) => hasCampaignRole(ctx, c.id, ACCURACY_READERS),
  }),
  goldItems: t.prismaField({
    type: ['GoldItem'],
    errors: {},
    description: "The gold set, newest first; for the campaign's operations managers and admins who do not annotate it.",
    resolve: async (query, c, _args, ctx) => {
      await requireGoldKeeper(ctx, c.id);
      return ctx.services.prisma.goldItem.findMany({ ...query, where: { campaignId: c.id }, orderBy: [{ createdAt: 'desc' }, { id: 'asc' }] });
    },
  }),
  goldAccuracy: t.field({
    type: [GoldAccuracyRef],
    errors: {},
    description: "Gold accuracy and pause state of each annotator; for the campaign's admins, operations managers and QA auditors.",
    resolve: async (c, _args, ctx) => {
      await requireCampaignRole(ctx, c.id, ACCURACY_READERS);
      return campaignGoldAccuracy(ctx.services, c.id);
    },
  }),
}));

builder.queryFields((t) => ({
  myGoldAccuracy: t.withAuth({ role: 'ANNOTATOR' }).field({
    type: GoldAccuracyRef,
    errors: {},
    description: 'Your own accuracy on the campaign’s quality-check tasks, over answers at least a day old (so it never tells which task was one), and whether you are paused.',
    args: { campaignId: t.arg.id() },
    resolve: async (_root, args, ctx) => {
      await requireCampaignRole(ctx, String(args.campaignId), ['ANNOTATOR']);
      return ownGoldAccuracy(ctx.services, ctx.user, String(args.campaignId));
    },
  }),
}));

builder.mutationFields((t) => ({
  addGoldItem: t.withAuth({ anyRole: [...MANAGES] }).prismaField({
    type: 'GoldItem',
    errors: {},
    description: "Adds a gold item: a READY asset of the campaign (optionally one frame), and an answer the campaign's annotation type accepts as it accepts a label.",
    args: {
      campaignId: t.arg.id(),
      assetId: t.arg.id(),
      frameIndex: t.arg.int({ required: false }),
      answer: t.arg({ type: 'JSON' }),
      explanation: t.arg.string({ required: false }),
      guidelineSection: t.arg.string({ required: false }),
      purpose: t.arg({ type: GoldPurposeRef, required: false, description: 'HONEYPOT (default) or QUALIFICATION' }),
    },
    resolve: async (query, _root, args, ctx) => {
      const campaignId = String(args.campaignId);
      await requireGoldKeeper(ctx, campaignId);
      const id = await addGoldItem(ctx.services, ctx.user, campaignId, {
        assetId: String(args.assetId),
        frameIndex: args.frameIndex ?? null,
        answer: args.answer,
        explanation: args.explanation ?? '',
        guidelineSection: args.guidelineSection ?? null,
        purpose: args.purpose ?? 'HONEYPOT',
      });
      return ctx.services.prisma.goldItem.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
  deactivateGoldItem: t.withAuth({ anyRole: [...MANAGES] }).prismaField({
    type: 'GoldItem',
    errors: {},
    description: 'Stops serving a gold item; the answers already scored against it stay.',
    args: { id: t.arg.id() },
    resolve: async (query, _root, args, ctx) => {
      const id = String(args.id);
      const item = /^[0-9a-f-]{36}$/i.test(id) ? await ctx.services.prisma.goldItem.findUnique({ where: { id }, select: { campaignId: true } }) : null;
      if (!item) throw new NotFoundError('gold item');
      await requireGoldKeeper(ctx, item.campaignId);
      return ctx.services.prisma.goldItem.findUniqueOrThrow({ ...query, where: { id: await deactivateGoldItem(ctx.services, ctx.user, id) } });
    },
  }),
  setCampaignGold: t.withAuth({ anyRole: [...MANAGES] }).prismaField({
    type: 'Campaign',
    errors: {},
    description: 'Sets the gold rate (0..1), the accuracy under which annotators are paused (null: never) and the answers needed before judging.',
    args: { campaignId: t.arg.id(), goldRate: t.arg.float(), goldMinAccuracy: t.arg.float({ required: false }), goldMinSamples: t.arg.int() },
    resolve: async (query, _root, args, ctx) => {
      const campaignId = String(args.campaignId);
      await requireCampaignRole(ctx, campaignId, MANAGES);
      const id = await setGoldSettings(ctx.services, ctx.user, campaignId, {
        goldRate: args.goldRate,
        goldMinAccuracy: args.goldMinAccuracy ?? null,
        goldMinSamples: args.goldMinSamples,
      });
      return ctx.services.prisma.campaign.findUniqueOrThrow({ ...query, where: { id } });
    },
  }),
  pauseAnnotator: t.withAuth({ anyRole: [...MANAGES] }).field({
    type: GoldAccuracyRef,
    errors: {},
    description: 'Pauses an annotator on the campaign by decision: their claim there goes back to the queue and they claim nothing until the pause is lifted.',
    args: { campaignId: t.arg.id(), userId: t.arg.id(), reason: t.arg.string() },
    resolve: async (_root, args, ctx) => {
      const campaignId = String(args.campaignId);
      await requireCampaignRole(ctx, campaignId, MANAGES);
      await pauseAnnotator(ctx.services, ctx.user, campaignId, String(args.userId), args.reason);
      const [view] = await campaignGoldAccuracy(ctx.services, campaignId, String(args.userId));
      if (!view) throw new NotFoundError('campaign member');
      return view;
    },
  }),
  unpauseAnnotator: t.withAuth({ anyRole: [...MANAGES] }).field({
    type: GoldAccuracyRef,
    errors: {},
    description: 'Lifts an annotator’s pause on the campaign: they claim its work again, and the pause rule judges only their answers from now on.',
    args: { campaignId: t.arg.id(), userId: t.arg.id() },
    resolve: async (_root, args, ctx) => {
      const campaignId = String(args.campaignId);
      await requireCampaignRole(ctx, campaignId, MANAGES);
      await unpauseAnnotator(ctx.services, ctx.user, campaignId, String(args.userId));
      const [view] = await campaignGoldAccuracy(ctx.services, campaignId, String(args.userId));
      if (!view) throw new NotFoundError('campaign member');
      return view;
    },
  }),
}));
