// Suture's own JSON: every accepted task with its consensus, every submitted label of the accepted round
// (pseudonymous annotators), agreement, review and provenance, frames as SOURCE frames. Any kind.
import { annotationType } from '../../annotation/registry.ts';
import { geometryKinds, type GeometryKind } from '../../domain/label-schema.ts';
import type { ExportFormat, ExportSource, ExportTask } from '../format.ts';
import { EMPTY_LABELS_CONVENTION } from '../provenance.ts';

export const CONVENTIONS = {
  frames:
    "Frame numbers are frames of the uploaded (source) video, 0-based; labels were drawn on a proxy and are mapped through its frame index. Phase segments are [start, end) in source frames; seconds count from the source video's first frame.",
  emptyMasks: EMPTY_LABELS_CONVENTION,
  annotators: 'Annotator and reviewer ids are HMAC-SHA256 pseudonyms of user ids under the deployment secret: stable across exports, never names or e-mail addresses.',
  consensus:
    "consensus is the accepted label; consensusMethod names how it was formed (e.g. dawid-skene, mace, mace-weighted-vote for a task the campaign's model had not seen, majority-vote before the model applied, staple, weighted-box-fusion, expert-review:corrected). The head's consensus records the campaign's configured method and each annotator's estimated reliability under it at export time.",
};

async function taskRecord(source: ExportSource, task: ExportTask, kind: GeometryKind): Promise<Record<string, unknown>> {
  const frames = task.asset ? await source.frames(task.asset) : null;
  // The kind's module knows where its payload names frames; kinds without frames have no mapFrames.
  const { mapFrames } = annotationType(kind);
  const map = (data: unknown) => (frames && mapFrames && data !== null ? mapFrames(data, (n) => frames.source(n)) : data);
  const { asset } = task;
  return {
    id: task.id,
    batchId: task.batchId,
    asset: asset ? { id: asset.id, kind: asset.kind, fileName: asset.fileName, width: asset.width, height: asset.height } : null,
    frame: task.frame === null || !frames ? null : { source: frames.source(task.frame), proxy: task.frame, seconds: frames.seconds(task.frame) },
    round: task.round,
    consensus: map(task.consensus),
    consensusMethod: task.consensusMethod,
    agreement: task.agreement,
    agreementMetric: task.agreementMetric,
    labels: task.labels.map((l) => ({ annotator: l.annotator, data: map(l.data), guidelineVersion: l.guidelineVersion ?? null })),
    review: task.review,
    guidelinesVersion: source.campaign.guidelinesVersion,
    prelabelModelKey: task.prelabeled ? source.campaign.prelabelModelKey : null,
  };
}

export const native: ExportFormat = {
  id: 'native',
  title: 'Suture JSON (every label, full provenance)',
  kinds: geometryKinds,
  extension: 'json',
  contentType: 'application/json',
  async *write(source) {
    const { campaign } = source;
    const head = {
      format: 'suture-native',
      version: 1,
      campaign: { id: campaign.id, name: campaign.name, guidelinesVersion: campaign.guidelinesVersion, prelabelModelKey: campaign.prelabelModelKey },
      batchId: source.batchId,
      labelSchema: campaign.schema,
      consensus: campaign.consensus,
      conventions: CONVENTIONS,
    };
    yield `${JSON.stringify(head).slice(0, -1)},"tasks":[`;
    let first = true;
    for await (const task of source.tasks()) {
      yield `${first ? '\n' : ',\n'}${JSON.stringify(await taskRecord(source, task, campaign.schema.geometry))}`;
      first = false;
    }
    yield '\n]}\n';
  },
};
