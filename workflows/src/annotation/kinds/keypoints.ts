// Keypoints on an image or a video frame: each object (instance) is one class and exactly one point
// [x, y, v] per keypoint of the campaign, in the schema's order, with the COCO visibility flag v (0 not
// labelled, 1 labelled but hidden, 2 visible). Agreement: instances matched by the Hungarian method on OKS
// (>= 0.5), F1 of the matching times class agreement. Consensus: the medoid annotator's instances anchor
// clusters of matched instances, each fused point by point; clusters a strict majority supports are kept.
import { z } from 'zod';
import { fuseKeypoints, hungarian, objectKeypointSimilarity, type Keypoint } from '../../quality/index.ts';
import { LIMITS, attributes, classKey, consensusAttributes, countByClass, mapLabelFrame, medoid, plural, sortKeys } from '../common.ts';
import { onlyMethod } from '../consensus.ts';
import type { AnnotationContext, AnnotationType, LabelOf } from '../module.ts';
import type { LabelSchema } from '../../domain/label-schema.ts';
import { frameOfTask } from './bbox.ts';

export type KeypointVisibility = 0 | 1 | 2;
export interface KeypointsObject {
  label: string;
  /** One [x, y, v] per keypoint of the schema, in its order. */
  points: Array<[number, number, KeypointVisibility]>;
  attributes?: Record<string, boolean | number | string>;
}
export interface KeypointsLabel {
  objects: KeypointsObject[];
  frame?: number;
}

/** Default OKS constant per keypoint when the campaign sets none. */
const DEFAULT_SIGMA = 0.05;
const OKS_THRESHOLD = 0.5;

const sigmasOf = (schema: LabelSchema): number[] =>
  schema.keypointSigmas && schema.keypointSigmas.length === schema.keypoints.length ? schema.keypointSigmas : schema.keypoints.map(() => DEFAULT_SIGMA);
const keypointsOf = (o: KeypointsObject): Keypoint[] => o.points.map(([x, y, v]) => ({ x, y, v }));

/** Area of the bounding box of an instance's labelled points (v > 0). */
function labelledArea(o: KeypointsObject): number {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (const [x, y, v] of o.points) {
    if (v === 0) continue;
    x0 = Math.min(x0, x);
    y0 = Math.min(y0, y);
    x1 = Math.max(x1, x);
    y1 = Math.max(y1, y);
  }
  return x1 >= x0 ? (x1 - x0) * (y1 - y0) : 0;
}

/**
 * Symmetric OKS of two instances: the mean of COCO's OKS taken from each side, with the larger of the two
 * instances' labelled-point bounding-box areas (at least 1) as the scale.
 */
export function instanceOks(a: KeypointsObject, b: KeypointsObject, sigmas: readonly number[]): number {
  const area = Math.max(1, labelledArea(a), labelledArea(b));
  const ka = keypointsOf(a);
  const kb = keypointsOf(b);
  return (objectKeypointSimilarity(ka, kb, sigmas, area) + objectKeypointSimilarity(kb, ka, sigmas, area)) / 2;
}

/** Hungarian matching of instances on OKS, keeping pairs with OKS >= 0.5. */
function matchInstances(a: readonly KeypointsObject[], b: readonly KeypointsObject[], sigmas: readonly number[]): Array<{ a: number; b: number; oks: number }> {
  if (a.length === 0 || b.length === 0) return [];
  const oks = a.map((x) => b.map((y) => instanceOks(x, y, sigmas)));
  const assignment = hungarian(oks.map((row) => row.map((v) => (v >= OKS_THRESHOLD ? 1 - v : 2))));
  const pairs: Array<{ a: number; b: number; oks: number }> = [];
  assignment.forEach((j, i) => {
    if (j >= 0 && oks[i]![j]! >= OKS_THRESHOLD) pairs.push({ a: i, b: j, oks: oks[i]![j]! });
  });
  return pairs;
}

function pairAgreement(a: KeypointsLabel, b: KeypointsLabel, schema: LabelSchema) {
  const pairs = matchInstances(a.objects, b.objects, sigmasOf(schema));
  const total = a.objects.length + b.objects.length;
  const f1 = total === 0 ? 1 : (2 * pairs.length) / total;
  const same = pairs.filter((p) => a.objects[p.a]!.label === b.objects[p.b]!.label).length;
  const classAgreement = pairs.length === 0 ? 1 : same / pairs.length;
  const meanOKS = pairs.length ? pairs.reduce((s, p) => s + p.oks, 0) / pairs.length : null;
  return { value: f1 * classAgreement, metric: 'instance-f1@oks0.5-x-class-agreement', details: { f1, classAgreement, meanOKS } };
}

function consensusOf(labels: ReadonlyArray<LabelOf<KeypointsLabel>>, ctx: AnnotationContext): KeypointsLabel {
  const sigmas = sigmasOf(ctx.schema);
  const frame = labels[0]?.data.frame;
  const anchor = medoid(labels, (a, b) => pairAgreement(a, b, ctx.schema).value);
  const clusters = anchor.data.objects.map((o) => [o]);
  for (const other of labels) {
    if (other === anchor) continue;
    for (const p of matchInstances(anchor.data.objects, other.data.objects, sigmas)) clusters[p.a]!.push(other.data.objects[p.b]!);
  }
  const order = ctx.schema.classes.map((c) => c.key);
  const objects: KeypointsObject[] = [];
  clusters.forEach((members, i) => {
    if (members.length * 2 <= labels.length) return;
    // The class most members gave; ties go to the anchor's class.
    const votes = new Map<string, number>();
    for (const m of members) votes.set(m.label, (votes.get(m.label) ?? 0) + 1);
    const anchorLabel = anchor.data.objects[i]!.label;
    const label = [...votes].sort(([ka, na], [kb, nb]) => nb - na || (ka === anchorLabel ? -1 : kb === anchorLabel ? 1 : order.indexOf(ka) - order.indexOf(kb)))[0]![0];
    const fused = fuseKeypoints(members.map((m) => ({ keypoints: keypointsOf(m) })));
    const attrs = consensusAttributes(members.map((m) => m.attributes ?? {}));
    objects.push({ label, points: fused.map((k) => [k.x, k.y, k.v]), ...(attrs ? { attributes: attrs } : {}) });
  });
  return { objects, ...(frame !== undefined ? { frame } : {}) };
}

export const keypoints: AnnotationType<KeypointsLabel> = {
  classesOf: (d) => d.objects.map((o) => o.label),
  kind: 'keypoints',
  title: 'Keypoints',
  checkSchema(schema) {
    const problems: string[] = [];
    const names = new Set(schema.keypoints);
    if (schema.keypoints.length === 0) problems.push('keypoints: a keypoints campaign needs its keypoint names');
    if (names.size !== schema.keypoints.length) problems.push('keypoints: a keypoint name is listed twice');
    schema.skeleton.forEach((pair, i) => {
      pair.forEach((name, j) => {
        if (!names.has(name)) problems.push(`skeleton.${i}.${j}: unknown keypoint '${name}'; expected one of ${schema.keypoints.join(', ') || 'none'}`);
      });
    });
    if (schema.keypointSigmas !== undefined && schema.keypointSigmas.length !== schema.keypoints.length)
      problems.push(`keypointSigmas: expected one sigma per keypoint (${schema.keypoints.length}), got ${schema.keypointSigmas.length}`);
    return problems;
  },
  payload(ctx) {
    const { width, height } = ctx.media;
    const names = ctx.schema.keypoints;
    const keypoint = z
      .tuple([
        z.number().refine(Number.isFinite, 'x must be a finite number'),
        z.number().refine(Number.isFinite, 'y must be a finite number'),
        z.union([z.literal(0), z.literal(1), z.literal(2)], { error: 'v must be 0 (not labelled), 1 (labelled, not visible) or 2 (visible)' }),
      ])
      .superRefine(([x, y, v], issue) => {
        if (v === 0) {
          if (x !== 0 || y !== 0) issue.addIssue({ code: 'custom', path: [], message: 'a keypoint that is not labelled (v = 0) must be [0, 0, 0]' });
          return;
        }
        if (x < 0 || (width !== undefined && x > width)) issue.addIssue({ code: 'custom', path: [0], message: `x must lie inside the image (0..${width ?? 'width'})` });
        if (y < 0 || (height !== undefined && y > height)) issue.addIssue({ code: 'custom', path: [1], message: `y must lie inside the image (0..${height ?? 'height'})` });
      });
    const object = z
      .strictObject({
        label: classKey(ctx.schema),
        points: z.array(keypoint).refine((p) => p.length === names.length, {
          message: `expected exactly ${names.length} points, one per keypoint in the schema's order (${names.slice(0, 30).join(', ')})`,
        }),
        attributes: attributes(ctx.schema).optional(),
      })
      .transform((o): KeypointsObject => ({ label: o.label, points: o.points, ...(o.attributes ? { attributes: sortKeys(o.attributes) } : {}) }));
    return z
      .strictObject({ objects: z.array(object).max(LIMITS.objects), frame: frameOfTask(ctx) })
      .superRefine((_d, issue) => {
        if (names.length === 0) issue.addIssue({ code: 'custom', path: [], message: 'the campaign has no keypoint names; fix its label schema first' });
      })
      .transform((d): KeypointsLabel => ({ objects: d.objects, ...(d.frame !== undefined ? { frame: d.frame } : {}) }));
  },
  agreement: (a, b, ctx) => pairAgreement(a, b, ctx.schema),
  consensus: (labels, ctx) => ({ data: consensusOf(labels, ctx), method: 'keypoint-fusion' }),
  consensusMethods: () =>
    onlyMethod('keypoint-fusion', 'Keypoint fusion', 'Instances matched across annotators are merged point by point; instances most annotators have are kept.'),
  summarize(data, schema) {
    return data.objects.length === 0
      ? 'no instances'
      : `${plural(data.objects.length, 'instance')}: ${countByClass(
          schema,
          data.objects.map((o) => o.label),
        )}`;
  },
  objectCount: (data) => data.objects.length,
  mapFrames: mapLabelFrame,
};
