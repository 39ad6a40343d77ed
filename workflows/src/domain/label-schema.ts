// A campaign's label schema (ontology) and the validation of one annotation against it.
// Pure (zod only): used by the API on input and by workflow activities.
import { z } from 'zod';

export const geometryKinds = ['classification', 'bbox', 'polygon', 'mask', 'keypoints', 'polyline', 'phases', 'volume'] as const;
export type GeometryKind = (typeof geometryKinds)[number];

const key = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'use lowercase letters, digits, - and _ (max 64)');

export const labelSchemaSchema = z
  .object({
    geometry: z.enum(geometryKinds),
    classes: z.array(z.object({ key, name: z.string().min(1), color: z.string().optional() })).min(1, 'a label schema needs at least one class'),
    attributes: z
      .array(
        z.object({
          key,
          name: z.string().min(1),
          type: z.enum(['boolean', 'enum', 'number', 'text']),
          options: z.array(z.string()).optional(),
        }),
      )
      .default([]),
    /** Surgical phases or steps, in order, for `phases` campaigns. */
    phases: z.array(z.object({ key, name: z.string().min(1) })).default([]),
    /** Keypoint names for `keypoints` campaigns. */
    keypoints: z.array(key).default([]),
  })
  .superRefine((s, ctx) => {
    const dup = firstDuplicate(s.classes.map((c) => c.key));
    if (dup) ctx.addIssue({ code: 'custom', path: ['classes'], message: `class key '${dup}' is used twice` });
    if (s.geometry === 'phases' && s.phases.length === 0) ctx.addIssue({ code: 'custom', path: ['phases'], message: 'a phases campaign needs its phase list' });
    if (s.geometry === 'keypoints' && s.keypoints.length === 0) ctx.addIssue({ code: 'custom', path: ['keypoints'], message: 'a keypoints campaign needs its keypoint names' });
    for (const a of s.attributes) {
      if (a.type === 'enum' && (!a.options || a.options.length === 0)) ctx.addIssue({ code: 'custom', path: ['attributes'], message: `enum attribute '${a.key}' needs options` });
    }
  });
export type LabelSchema = z.infer<typeof labelSchemaSchema>;

export const qaSettingsSchema = z.object({
  plan: z.enum(['zero-acceptance', 'z14-level-ii']).default('zero-acceptance'),
  /** Largest error rate the lot may have and still be accepted. */
  tolerableErrorRate: z.number().gt(0).lt(1).default(0.1),
  confidence: z.number().gt(0).lt(1).default(0.9),
  /** AQL in percent, for Z1.4 plans. */
  aql: z.number().positive().default(4),
  minPerStratum: z.number().int().min(0).default(1),
  seed: z.string().min(1).default('suture'),
});
export type QaSettings = z.infer<typeof qaSettingsSchema>;

const box = z.tuple([z.number(), z.number(), z.number().nonnegative(), z.number().nonnegative()]);

/** Validates one annotation payload against the schema; returns the parsed payload or a list of problems. */
export function parseAnnotation(schema: LabelSchema, data: unknown): { ok: true; value: AnnotationData } | { ok: false; problems: string[] } {
  const classKeys = new Set(schema.classes.map((c) => c.key));
  const phaseKeys = new Set(schema.phases.map((p) => p.key));
  const label = z.string().refine((v) => classKeys.has(v), { message: 'unknown class' });
  let parser: z.ZodType<AnnotationData>;
  switch (schema.geometry) {
    case 'classification':
      parser = z.object({ label, attributes: z.record(z.string(), z.unknown()).optional() });
      break;
    case 'bbox':
      parser = z.object({ objects: z.array(z.object({ label, box, confidence: z.number().min(0).max(1).optional() })), frame: z.number().int().nonnegative().optional() });
      break;
    case 'polygon':
      parser = z.object({ objects: z.array(z.object({ label, rings: z.array(z.array(z.tuple([z.number(), z.number()])).min(3)).min(1) })) });
      break;
    case 'phases':
      parser = z.object({
        segments: z.array(
          z.object({ phase: z.string().refine((v) => phaseKeys.has(v), { message: 'unknown phase' }), start: z.number().int().nonnegative(), end: z.number().int().nonnegative() }),
        ),
      });
      break;
    default:
      parser = z.object({}).passthrough();
  }
  const result = parser.safeParse(data);
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, problems: result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`) };
}

export type AnnotationData =
  | { label: string; attributes?: Record<string, unknown> }
  | { objects: Array<{ label: string; box: [number, number, number, number]; confidence?: number }>; frame?: number }
  | { objects: Array<{ label: string; rings: Array<Array<[number, number]>> }> }
  | { segments: Array<{ phase: string; start: number; end: number }> }
  | Record<string, unknown>;

function firstDuplicate(values: string[]): string | undefined {
  const seen = new Set<string>();
  for (const v of values) {
    if (seen.has(v)) return v;
    seen.add(v);
  }
  return undefined;
}
