// The registry of annotation kinds in the console: kind -> console module (payload conversion, overlay
// shapes), and the bridge to the server's annotation type modules, which alone know what a label of a
// kind may be (payload rules and media bounds), how it reads (summary) and how two labels agree. The editor
// components are registered beside it in editors.ts. Adding a kind is one module here and one editor there.
import { geometryKinds, type LabelSchema as ServerLabelSchema } from '@suture/workflows/domain/label-schema';
import { annotationType, mediaBoundsOf, parseLabel, type AnnotationContext } from '@suture/workflows/annotation/registry';
import type { Asset, GeometryKind, LabelSchema } from '$lib/types';
import type { AnnotationKind } from './kind';
import { bbox } from './kinds/bbox';
import { classification } from './kinds/classification';
import { jsonKind } from './kinds/json';
import { keypoints } from './kinds/keypoints';
import { mask } from './kinds/mask';
import { phases } from './kinds/phases';
import { track } from './kinds/track';
import { volume } from './kinds/volume';
import { polygon } from './kinds/polygon';
import { polyline } from './kinds/polyline';

export const annotationKinds = {
  classification,
  bbox,
  polygon,
  mask,
  keypoints,
  polyline,
  track,
  phases,
  volume,
} satisfies Record<GeometryKind, AnnotationKind>;

/** The module of a kind (the JSON fallback for a kind this console does not know). */
export function annotationKind(kind: string): AnnotationKind {
  return (annotationKinds as Record<string, AnnotationKind>)[kind] ?? jsonKind(kind, kind);
}

/** A kind the server's registry defines. */
export function isRegisteredKind(kind: string): kind is GeometryKind {
  return (geometryKinds as readonly string[]).includes(kind);
}

/** The campaign's schema as the server modules read it (the API omits defaulted fields). */
export function serverSchema(schema: LabelSchema): ServerLabelSchema {
  return {
    geometry: schema.geometry,
    classes: schema.classes,
    attributes: schema.attributes ?? [],
    phases: schema.phases ?? [],
    keypoints: schema.keypoints ?? [],
    skeleton: schema.skeleton ?? [],
    ...(schema.keypointSigmas ? { keypointSigmas: schema.keypointSigmas } : {}),
    multiLabel: schema.multiLabel ?? false,
    phaseOverlap: schema.phaseOverlap ?? false,
    polylineTolerance: schema.polylineTolerance ?? 10,
  };
}

/**
 * What a label of a task is checked against: the campaign's schema, the bounds of the task's media (from
 * the asset's ingest metadata) and the task's frame. Without an asset (stored labels read back for lists
 * and review) the bounds are unknown and the frame is not checked.
 */
export function annotationContext(schema: LabelSchema, asset: Pick<Asset, 'kind' | 'metadata'> | null = null, frameIndex: number | null = null): AnnotationContext {
  return { schema: serverSchema(schema), media: mediaBoundsOf(asset), frame: frameIndex };
}

const COLLECTIONS: Record<string, string> = { objects: 'object', tracks: 'track', keyframes: 'keyframe', segments: 'segment', rings: 'ring', points: 'point' };

/** "objects.2.box.3: …" reads "object #3 box[3]: …" (objects numbered as the editor's list numbers them). */
export function readableProblem(problem: string): string {
  const colon = problem.indexOf(': ');
  if (colon < 0 || problem.startsWith('(root)')) return problem;
  const parts = problem.slice(0, colon).split('.');
  const out: string[] = [];
  parts.forEach((part, i) => {
    const collection = COLLECTIONS[parts[i - 1] ?? ''];
    if (!/^\d+$/.test(part)) out.push(part);
    else if (collection && out.length) out[out.length - 1] = `${collection} #${Number(part) + 1}`;
    else if (out.length) out[out.length - 1] += `[${part}]`;
    else out.push(`[${part}]`);
  });
  return `${out.join(' ')}: ${problem.slice(colon + 2)}`;
}

export type LabelCheck = { ok: true; data: unknown } | { ok: false; problem: string; problems: string[] };

/**
 * The editor's value as the payload to send, checked by the kind's server module before it goes out:
 * every problem the API would refuse it for, each naming its field.
 */
export function checkLabel(value: unknown, task: { schema: LabelSchema; asset: Pick<Asset, 'kind' | 'metadata'> | null; frameIndex: number | null }): LabelCheck {
  const converted = annotationKind(task.schema.geometry).payload(value, { schema: task.schema, frameIndex: task.frameIndex });
  if (!converted.ok) return { ok: false, problem: converted.problem, problems: [] };
  if (!isRegisteredKind(task.schema.geometry)) return converted; // the API checks kinds this console does not know
  const parsed = parseLabel(annotationContext(task.schema, task.asset, task.frameIndex), converted.data);
  if (parsed.ok) return converted;
  const n = parsed.problems.length;
  return { ok: false, problem: `The label does not pass the campaign's rules (${n} ${n === 1 ? 'problem' : 'problems'}); fix before sending.`, problems: parsed.problems.map(readableProblem) };
}

/** A stored label parsed by its kind's server module (canonical form), or null when it does not pass. */
export function parseStoredLabel(schema: LabelSchema, data: unknown): unknown {
  if (!isRegisteredKind(schema.geometry)) return null;
  const parsed = parseLabel(annotationContext(schema), data);
  return parsed.ok ? parsed.value : null;
}

/** One line describing a label for lists, from its kind's server module. */
export function summarizeLabel(schema: LabelSchema, data: unknown): string {
  if (!isRegisteredKind(schema.geometry)) return JSON.stringify(data);
  const parsed = parseLabel(annotationContext(schema), data);
  if (!parsed.ok) return `label not readable (${readableProblem(parsed.problems[0] ?? 'unknown problem')})`;
  return annotationType(schema.geometry).summarize(parsed.value, serverSchema(schema));
}
