// A campaign's label schema (ontology) and QA settings. Pure (zod only): used by the API and the worker.
// What a label of each kind looks like is its annotation type module's business (annotation/registry.ts).
import { z } from 'zod';
import { displayName } from './text.ts';

export const geometryKinds = ['classification', 'bbox', 'polygon', 'mask', 'keypoints', 'polyline', 'track', 'phases', 'volume'] as const;
export type GeometryKind = (typeof geometryKinds)[number];

const key = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'use lowercase letters, digits, - and _ (max 64)');

export const labelSchemaSchema = z
  .object({
    geometry: z.enum(geometryKinds),
    classes: z
      .array(
        z.object({
          key,
          name: displayName(100),
          color: z
            .string()
            .regex(/^#[0-9a-fA-F]{6}$/, 'a colour is #rrggbb')
            .optional(),
        }),
      )
      .min(1, 'a label schema needs at least one class'),
    attributes: z
      .array(
        z.object({
          key,
          name: displayName(100),
          type: z.enum(['boolean', 'enum', 'number', 'text']),
          options: z.array(z.string()).optional(),
        }),
      )
      .default([]),
    /** Surgical phases or steps, in order, for `phases` campaigns. */
    phases: z
      .array(z.object({ key, name: displayName(100) }))
      .max(200)
      .default([]),
    /** Keypoint names for `keypoints` campaigns. */
    keypoints: z.array(key).default([]),
    /** Keypoint skeleton: pairs of keypoint names joined by a bone (drawn, and exported to COCO). */
    skeleton: z.array(z.tuple([key, key])).default([]),
    /** Per-keypoint OKS constants (COCO sigmas), one per keypoint; default 0.05 each. */
    keypointSigmas: z.array(z.number().positive().max(10)).optional(),
    /** Classification: an item may carry several classes. */
    multiLabel: z.boolean().default(false),
    /** Phases: segments of different phases may overlap in time (steps inside phases). */
    phaseOverlap: z.boolean().default(false),
    /** Polylines: distance in pixels within which two lines count as the same line. */
    polylineTolerance: z.number().positive().max(10_000).default(10),
  })
  .superRefine((s, ctx) => {
    const dup = firstDuplicate(s.classes.map((c) => c.key));
    if (dup) ctx.addIssue({ code: 'custom', path: ['classes'], message: `class key '${dup}' is used twice` });
    for (const a of s.attributes) {
      if (a.type === 'enum' && (!a.options || a.options.length === 0)) ctx.addIssue({ code: 'custom', path: ['attributes'], message: `enum attribute '${a.key}' needs options` });
    }
  });
export type LabelSchema = z.infer<typeof labelSchemaSchema>;

/**
 * How a campaign forms each task's consensus label: one of the methods its annotation type offers
 * (annotation/consensus.ts checks the choice against the type and the method's options). Absent = the type's
 * default, so campaigns stored before the setting existed keep working.
 */
export const consensusSettingSchema = z.strictObject({
  /** A method id of the campaign's annotation type (e.g. 'auto', 'dawid-skene', 'mace', 'staple'). */
  method: z.string().trim().min(1, 'name a consensus method').max(64),
  /** Methods fitted on the campaign's labels: tasks with two or more labels before the fitted model decides (majority vote until then). */
  minTasks: z.number().int().min(1).max(1_000_000).optional(),
  /** Seed of the methods with random initialisation (MACE restarts, KOS, M-MSR); the same labels give the same consensus. */
  seed: z.union([z.string().trim().min(1).max(200), z.number().int()]).optional(),
  /** The method's own options by name (stopping rule, tolerance, iteration cap ...), as the quality engine documents them. */
  options: z.record(z.string().max(64), z.union([z.number(), z.string().max(200), z.array(z.number()).max(1000)])).optional(),
});
export type ConsensusSetting = z.infer<typeof consensusSettingSchema>;

export const qaSettingsSchema = z.object({
  plan: z.enum(['zero-acceptance', 'z14-level-ii']).default('zero-acceptance'),
  /** Largest error rate the lot may have and still be accepted. */
  tolerableErrorRate: z.number().gt(0).lt(1).default(0.1),
  confidence: z.number().gt(0).lt(1).default(0.9),
  /** AQL in percent, for Z1.4 plans. */
  aql: z.number().positive().default(4),
  minPerStratum: z.number().int().min(0).default(1),
  seed: z.string().min(1).default('suture'),
  consensus: consensusSettingSchema.optional(),
  /**
   * Who pays for rework after a failed QA audit: PAID (every rework label is paid at the REWORK rate, the default)
   * or UNPAID_OWN_FAILURE (a rework label of a task is unpaid, recorded at 0, when its annotator labelled the same
   * task in an earlier round and the task failed a QA audit: fixing one's own failed work is not paid twice).
   */
  reworkPay: z.enum(['PAID', 'UNPAID_OWN_FAILURE']).optional(),
});
export type QaSettings = z.infer<typeof qaSettingsSchema>;

function firstDuplicate(values: string[]): string | undefined {
  const seen = new Set<string>();
  for (const v of values) {
    if (seen.has(v)) return v;
    seen.add(v);
  }
  return undefined;
}
