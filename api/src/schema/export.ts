import { builder } from './builder.ts';
import { requireCampaignRole } from '../services/tenancy.ts';
import { exportFormatsFor, exportLabels, type ExportFormatInfo, type LabelExport } from '../services/exports.ts';

const OPS = ['ADMIN', 'OPS_MANAGER'] as const;

const ExportFormatRef = builder.objectRef<ExportFormatInfo>('ExportFormat').implement({
  fields: (t) => ({ id: t.exposeID('id'), title: t.exposeString('title'), extension: t.exposeString('extension'), contentType: t.exposeString('contentType') }),
});

const LabelExportRef = builder.objectRef<LabelExport>('LabelExport').implement({
  fields: (t) => ({
    key: t.exposeString('key'),
    format: t.exposeString('format'),
    bytes: t.exposeFloat('bytes'),
    items: t.exposeInt('items', { description: 'Accepted tasks in the export' }),
    url: t.exposeString('url', { description: 'Short-lived presigned GET URL of the export' }),
    expiresInSeconds: t.exposeInt('expiresInSeconds'),
  }),
});

builder.queryFields((t) => ({
  exportFormats: t.withAuth({ anyRole: [...OPS] }).field({
    type: [ExportFormatRef],
    errors: {},
    description: "Export formats that can hold the campaign's labels",
    args: { campaignId: t.arg.id() },
    resolve: async (_root, args, ctx) => {
      await requireCampaignRole(ctx, String(args.campaignId), OPS);
      return exportFormatsFor(ctx.services, String(args.campaignId));
    },
  }),
}));

builder.mutationFields((t) => ({
  exportLabels: t.withAuth({ anyRole: [...OPS] }).field({
    type: LabelExportRef,
    errors: {},
    description:
      'Exports the accepted labels of a campaign (or one batch) in a format from exportFormats to S3; returns a short-lived download URL. Deterministic: the same labels give the same bytes.',
    args: { campaignId: t.arg.id(), batchId: t.arg.id({ required: false }), format: t.arg.string() },
    resolve: async (_root, args, ctx) => {
      await requireCampaignRole(ctx, String(args.campaignId), OPS);
      return exportLabels(ctx.services, ctx.user, { campaignId: String(args.campaignId), batchId: args.batchId ? String(args.batchId) : null, format: args.format });
    },
  }),
}));
