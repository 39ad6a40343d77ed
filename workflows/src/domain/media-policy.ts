// A campaign's media policy: what ingest does with the uploaded original and how it renders the proxy.
// Pure (zod only): the API validates it on input, the ingest activity reads it.
//
//   originals            DELETE (default): the quarantined original is deleted once de-identified.
//                        RETAIN_ENCRYPTED: it is kept envelope-encrypted (AES-256-GCM, per-asset data key
//                        wrapped with the worker's SUTURE_ORIGINALS_KEY) at originals/<campaign>/<asset>/.
//   sse                  server-side encryption for this campaign's objects; overrides the deployment's S3_SSE.
//   normalizeBrightness  brightness/contrast normalisation of video proxies (dark endoscopic footage):
//                        true for ffmpeg's `normalize`, or explicit `eq` brightness (-1..1) / contrast (0..3).
import { z } from 'zod';

export const originalsPolicies = ['DELETE', 'RETAIN_ENCRYPTED'] as const;
export type OriginalsPolicy = (typeof originalsPolicies)[number];

export const mediaPolicySchema = z
  .object({
    originals: z.enum(originalsPolicies, { message: "originals must be 'DELETE' or 'RETAIN_ENCRYPTED'" }),
    sse: z.enum(['AES256', 'aws:kms'], { message: "sse must be 'AES256' or 'aws:kms'" }).optional(),
    normalizeBrightness: z
      .union(
        [
          z.boolean(),
          z
            .object({
              brightness: z.number().min(-1, 'brightness must be between -1 and 1').max(1, 'brightness must be between -1 and 1').optional(),
              contrast: z.number().min(0, 'contrast must be between 0 and 3').max(3, 'contrast must be between 0 and 3').optional(),
            })
            .strict(),
        ],
        { message: 'normalizeBrightness must be true, false or { brightness: -1..1, contrast: 0..3 }' },
      )
      .optional(),
  })
  .strict();

export type MediaPolicy = z.infer<typeof mediaPolicySchema>;

export const DEFAULT_MEDIA_POLICY: MediaPolicy = { originals: 'DELETE' };

/** Problems of a policy as `path: message` lines (empty when valid); for clear input errors. */
export function mediaPolicyProblems(value: unknown): string[] {
  const result = mediaPolicySchema.safeParse(value);
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
}

/**
 * The stored policy of a campaign. A stored value is validated on write; one that no longer parses (an
 * older shape) must not silently drop originals, so it fails loudly here.
 */
export function parseMediaPolicy(value: unknown): MediaPolicy {
  const result = mediaPolicySchema.safeParse(value ?? DEFAULT_MEDIA_POLICY);
  if (!result.success) throw new Error(`the campaign's media policy is invalid: ${mediaPolicyProblems(value).join('; ')}`);
  return result.data;
}
