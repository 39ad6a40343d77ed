// Keypoints: `{objects: [{label, points: [[x, y, v], ...], attributes?}], frame?}`, exactly one point per
// name of schema.keypoints, in order; v 0 = not labelled ([0, 0, 0]), 1 = labelled but not visible, 2 = visible.
// The rules, summary and agreement (OKS) are the server module's.
import type { LabelSchema } from '$lib/types';
import { cleanAttributes, isFiniteNumber, objectsOf, round2, withFrame } from '../common';
import type { AnnotationKind } from '../kind';

export type Keypoint = [number, number, 0 | 1 | 2];
export interface KeypointsObject {
  label: string;
  points: Keypoint[];
  attributes?: Record<string, boolean | number | string>;
  confidence?: number;
}

function isKeypoint(value: unknown): value is Keypoint {
  return Array.isArray(value) && value.length === 3 && isFiniteNumber(value[0]) && isFiniteNumber(value[1]) && (value[2] === 0 || value[2] === 1 || value[2] === 2);
}

/** Instances whose point list fits the schema (missing points padded as not labelled). */
export function asKeypoints(data: unknown, schema: LabelSchema): KeypointsObject[] {
  const n = schema.keypoints?.length ?? 0;
  return objectsOf(data)
    .filter((o) => Array.isArray(o.points) && o.points.length <= n && o.points.every(isKeypoint))
    .map((o) => {
      const points = (o.points as Keypoint[]).map((p) => (p[2] === 0 ? ([0, 0, 0] as Keypoint) : ([p[0], p[1], p[2]] as Keypoint)));
      while (points.length < n) points.push([0, 0, 0]);
      return {
        label: o.label,
        points,
        ...(o.attributes !== undefined ? { attributes: o.attributes as KeypointsObject['attributes'] } : {}),
        ...(isFiniteNumber(o.confidence) ? { confidence: o.confidence } : {}),
      };
    });
}

export function keypointsData(objects: KeypointsObject[], schema: LabelSchema, frame: number | null) {
  return withFrame(
    {
      objects: objects.map((o) => {
        const attributes = cleanAttributes(schema, o.attributes);
        return { label: o.label, points: o.points.map(([x, y, v]) => (v === 0 ? [0, 0, 0] : [round2(x), round2(y), v]) as Keypoint), ...(attributes ? { attributes } : {}) };
      }),
    },
    frame,
  );
}

/** Bones of the skeleton as index pairs into schema.keypoints. */
export function skeletonBones(schema: LabelSchema): Array<[number, number]> {
  const names = schema.keypoints ?? [];
  return (schema.skeleton ?? []).map(([a, b]) => [names.indexOf(a), names.indexOf(b)] as [number, number]).filter(([a, b]) => a >= 0 && b >= 0);
}

export const keypoints: AnnotationKind = {
  kind: 'keypoints',
  title: 'Keypoints',
  payload: (value, ctx) => ({ ok: true, data: keypointsData(asKeypoints(value, ctx.schema), ctx.schema, ctx.frameIndex) }),
  overlay: (data, schema) => asKeypoints(data, schema).map((o) => ({ label: o.label, shape: { type: 'keypoints', points: o.points, bones: skeletonBones(schema) } })),
};
