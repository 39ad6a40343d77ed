// The registry of annotation types: kind -> module. The API, the worker, the metrics, the exports and the
// console ask it; nothing else knows a kind. Adding a type is one module here and one editor in the console.
import { geometryKinds, type ConsensusSetting, type GeometryKind, type LabelSchema } from '../domain/label-schema.ts';
import { resolveConsensus } from './consensus.ts';
import { bbox } from './kinds/bbox.ts';
import { classification } from './kinds/classification.ts';
import { keypoints } from './kinds/keypoints.ts';
import { mask } from './kinds/mask.ts';
import { phases } from './kinds/phases.ts';
import { polygon } from './kinds/polygon.ts';
import { polyline } from './kinds/polyline.ts';
import { track } from './kinds/track.ts';
import { volume } from './kinds/volume.ts';
import type { AnnotationContext, AnnotationType, ConsensusMethods, ConsensusResult, LabelOf, PairAgreement, ParseResult } from './module.ts';

/** Each module knows its own payload type; callers hand it payloads it parsed itself. */
const erase = <D>(m: AnnotationType<D>): AnnotationType => m as unknown as AnnotationType;

const modules: Record<GeometryKind, AnnotationType> = {
  classification: erase(classification),
  bbox: erase(bbox),
  polygon: erase(polygon),
  mask: erase(mask),
  keypoints: erase(keypoints),
  polyline: erase(polyline),
  track: erase(track),
  phases: erase(phases),
  volume: erase(volume),
};

/** The module of a kind. */
export function annotationType(kind: GeometryKind): AnnotationType {
  const m = modules[kind];
  if (!m) throw new Error(`no annotation type module for '${kind}' (known: ${geometryKinds.join(', ')})`);
  return m;
}

/** Every registered kind with its title, for pickers. */
export const annotationKinds: ReadonlyArray<{ kind: GeometryKind; title: string }> = geometryKinds.map((kind) => ({ kind, title: modules[kind].title }));

/** Validates a payload for a task: the canonical label, or every problem, each naming its field. */
export function parseLabel(ctx: AnnotationContext, data: unknown): ParseResult<unknown> {
  const result = annotationType(ctx.schema.geometry).payload(ctx).safeParse(data);
  if (result.success) return { ok: true, value: result.data };
  const problems = result.error.issues.slice(0, 50).map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`);
  if (result.error.issues.length > 50) problems.push(`and ${result.error.issues.length - 50} more`);
  return { ok: false, problems };
}

/** A label that did not pass its module's check at a later stage (stored before a rule existed, or a bug). */
export class LabelRejectedError extends Error {
  constructor(
    readonly annotator: string,
    readonly problems: string[],
  ) {
    super(`a label of annotator ${annotator} does not pass the ${problems.length === 1 ? 'rule' : 'rules'}: ${problems.slice(0, 5).join('; ')}`);
    this.name = 'LabelRejectedError';
  }
}

/** Parses stored labels again (canonical form) before agreement or consensus; throws LabelRejectedError. */
export function parseLabels(ctx: AnnotationContext, labels: ReadonlyArray<LabelOf<unknown>>): Array<LabelOf<unknown>> {
  return labels.map((l) => {
    const parsed = parseLabel(ctx, l.data);
    if (!parsed.ok) throw new LabelRejectedError(l.annotator, parsed.problems);
    return { annotator: l.annotator, data: parsed.value };
  });
}

export interface TaskAgreement {
  /** Mean over annotator pairs, in [0, 1]. */
  value: number;
  metric: string;
  pairs: Array<{ a: string; b: string } & PairAgreement>;
}

/** Agreement among two or more parsed labels of one task: the mean of the module's pairwise agreement. */
export function taskAgreement(ctx: AnnotationContext, labels: ReadonlyArray<LabelOf<unknown>>): TaskAgreement {
  if (labels.length < 2) throw new Error(`agreement needs at least two labels, got ${labels.length}`);
  const m = annotationType(ctx.schema.geometry);
  const pairs: TaskAgreement['pairs'] = [];
  for (let i = 0; i < labels.length; i++)
    for (let j = i + 1; j < labels.length; j++) {
      const p = m.agreement(labels[i]!.data, labels[j]!.data, ctx);
      if (!(p.value >= 0 && p.value <= 1)) throw new Error(`${m.kind} agreement out of [0, 1]: ${p.value}`);
      pairs.push({ a: labels[i]!.annotator, b: labels[j]!.annotator, ...p });
    }
  return { value: pairs.reduce((s, p) => s + p.value, 0) / pairs.length, metric: pairs[0]!.metric, pairs };
}

/** The consensus of parsed labels, with the method's id. */
export function taskConsensus(ctx: AnnotationContext, labels: ReadonlyArray<LabelOf<unknown>>): ConsensusResult<unknown> {
  if (labels.length === 0) throw new Error('consensus needs at least one label');
  return annotationType(ctx.schema.geometry).consensus(labels, ctx);
}

export type {
  AnnotationContext,
  AnnotationType,
  ConsensusChoice,
  ConsensusMethods,
  ConsensusResult,
  CrowdAnnotator,
  CrowdModel,
  LabelOf,
  MediaBounds,
  PairAgreement,
  ParseResult,
} from './module.ts';
export {
  AUTO,
  CONSENSUS_FIELD,
  MIN_CROWD_ANSWERS,
  MIN_CROWD_TASKS,
  crowdConsensus,
  crowdMethodOptions,
  effectiveCrowdMethod,
  resolveConsensus,
  seenLabels,
  type CampaignConsensus,
  type ConsensusResolution,
} from './consensus.ts';

/** The consensus methods a campaign with this label schema may choose, and the default. */
export function consensusMethods(schema: LabelSchema): ConsensusMethods {
  return annotationType(schema.geometry).consensusMethods(schema);
}

/** Problems of a campaign's consensus setting for its label schema (none = it fits), each naming its field. */
export function consensusSettingProblems(schema: LabelSchema, setting: ConsensusSetting | undefined): string[] {
  const resolved = resolveConsensus(schema, consensusMethods(schema), setting);
  return resolved.ok ? [] : resolved.problems;
}
export { mediaBoundsOf } from './media-bounds.ts';

/** Kind-specific problems of a label schema (e.g. a keypoints campaign without keypoint names). */
export function labelSchemaProblems(schema: Parameters<NonNullable<AnnotationType['checkSchema']>>[0]): string[] {
  return annotationType(schema.geometry).checkSchema?.(schema) ?? [];
}
