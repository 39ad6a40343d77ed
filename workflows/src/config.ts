// The worker's configuration, parsed once from the environment; nothing else reads process.env.
import { z } from 'zod';
import { EnvelopeError, parseMasterKey } from './media/envelope.ts';

const schema = z.object({
  DATABASE_URL: z.string().url('DATABASE_URL must be a postgresql:// URL'),
  TEMPORAL_ADDRESS: z.string().min(1).default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('suture-lifecycle'),
  S3_ENDPOINT: z.string().url().optional(),
  S3_REGION: z.string().default('us-east-1'),
  S3_BUCKET: z.string().min(1, 'S3_BUCKET is required'),
  S3_ACCESS_KEY_ID: z.string().min(1, 'S3_ACCESS_KEY_ID is required'),
  S3_SECRET_ACCESS_KEY: z.string().min(1, 'S3_SECRET_ACCESS_KEY is required'),
  S3_FORCE_PATH_STYLE: z
    .enum(['true', 'false'])
    .default('true')
    .transform((v) => v === 'true'),
  S3_SSE: z.enum(['AES256', 'aws:kms']).optional(),
  BATCH_POLL_SECONDS: z.coerce.number().positive().default(60),
  /** The project's de-identification secret: keys UID remapping, pseudonymous patient IDs and date shifts. */
  SUTURE_DEID_KEY: z.string().min(32, 'SUTURE_DEID_KEY must be a secret of at least 32 characters (it keys UID remapping and pseudonyms)'),
  /** Keys the audit chain (HMAC of every seal and of the anchored head); the worker runs the sealer. */
  SUTURE_AUDIT_KEY: z.string().min(32, 'SUTURE_AUDIT_KEY must be a secret of at least 32 characters (it keys the audit chain)'),
  /** Where the audit chain's head is anchored: s3://bucket/key or file:///path; s3://<S3_BUCKET>/audit/anchor.json by default. */
  SUTURE_AUDIT_ANCHOR: z.string().url().optional(),
  /**
   * Master key that wraps the per-asset data keys of originals retained encrypted (campaign media policy
   * RETAIN_ENCRYPTED): 32 random bytes as base64 or hex. Optional; without it such assets fail with
   * ORIGINALS_KEY_MISSING and stay in quarantine.
   */
  SUTURE_ORIGINALS_KEY: z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value.trim() === '') return undefined;
      try {
        return parseMasterKey(value);
      } catch (error) {
        if (!(error instanceof EnvelopeError)) throw error;
        ctx.addIssue({ code: 'custom', message: error.message });
        return z.NEVER;
      }
    }),
});

export type WorkerConfig = z.infer<typeof schema>;

export function parseWorkerConfig(env: Record<string, string | undefined>): WorkerConfig {
  const result = schema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n');
    throw new Error(`Suture worker configuration is invalid:\n${problems}`);
  }
  return result.data;
}
