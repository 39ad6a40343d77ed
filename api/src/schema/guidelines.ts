// Versioned guidelines in GraphQL: history for members, publishing for operations, acknowledgement for annotators.
// Pictures go through REST (app.ts: POST /api/campaigns/:id/guideline-images, GET /api/guideline-images/:id).
import { builder } from './builder.ts';
import { acknowledgeGuidelines, guidelineVersions, myGuidelines, publishGuidelines, type GuidelineVersionView, type MyGuidelinesView } from '../services/guidelines.ts';
import { MANAGES, requireCampaignRole } from '../services/tenancy.ts';

const GuidelineVersionRef = builder.objectRef<GuidelineVersionView>('GuidelineVersion').implement({
  description: "One published version of a campaign's guidelines (markdown) and what changed in it.",
  fields: (t) => ({
    version: t.exposeInt('version'),
    body: t.exposeString('body', { description: 'Markdown; pictures are ![alt](/api/guideline-images/<id>)' }),
    changelog: t.exposeString('changelog', { description: 'What changed since the previous version (empty for version 1)' }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

const MyGuidelinesRef = builder.objectRef<MyGuidelinesView>('MyGuidelines').implement({
  description: 'The current guidelines of a campaign as the caller must read them, and whether they acknowledged them.',
  fields: (t) => ({
    campaignId: t.exposeID('campaignId'),
    version: t.exposeInt('version'),
    body: t.exposeString('body'),
    acknowledged: t.exposeBoolean('acknowledged', { description: 'False: labelling claims in this campaign are refused until the current version is acknowledged' }),
    acknowledgedVersion: t.exposeInt('acknowledgedVersion', { nullable: true }),
    changes: t.field({ type: [GuidelineVersionRef], description: 'Every version since the one last acknowledged, newest first', resolve: (g) => g.changes }),
  }),
});

builder.queryFields((t) => ({
  guidelineVersions: t.withAuth({ authenticated: true }).field({
    type: [GuidelineVersionRef],
    errors: {},
    description: "Every version of a campaign's guidelines, newest first; for the campaign's members.",
    args: { campaignId: t.arg.id() },
    resolve: (_root, args, ctx) => guidelineVersions(ctx, String(args.campaignId)),
  }),
  myGuidelines: t.withAuth({ authenticated: true }).field({
    type: MyGuidelinesRef,
    errors: {},
    args: { campaignId: t.arg.id() },
    resolve: (_root, args, ctx) => myGuidelines(ctx, String(args.campaignId)),
  }),
}));

builder.mutationFields((t) => ({
  publishGuidelines: t.withAuth({ anyRole: [...MANAGES] }).prismaField({
    type: 'Campaign',
    errors: {},
    description: 'Publishes the next version of the guidelines; the changelog (required from version 2 on) is what annotators read before they continue.',
    args: { campaignId: t.arg.id(), body: t.arg.string(), changelog: t.arg.string({ required: false }) },
    resolve: async (query, _root, args, ctx) => {
      const campaignId = String(args.campaignId);
      await requireCampaignRole(ctx, campaignId, MANAGES);
      await publishGuidelines(ctx.services, ctx.user, { campaignId, body: args.body, changelog: args.changelog ?? null });
      return ctx.services.prisma.campaign.findUniqueOrThrow({ ...query, where: { id: campaignId } });
    },
  }),
  acknowledgeGuidelines: t.withAuth({ role: 'ANNOTATOR' }).field({
    type: MyGuidelinesRef,
    errors: {},
    description: 'You have read the current version (and its changelog): labelling claims in the campaign are allowed again.',
    args: { campaignId: t.arg.id(), version: t.arg.int() },
    resolve: async (_root, args, ctx) => {
      await acknowledgeGuidelines(ctx, String(args.campaignId), args.version);
      return myGuidelines(ctx, String(args.campaignId));
    },
  }),
}));
