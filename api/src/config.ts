// The API's configuration, parsed once from the environment at boot.
import { z } from 'zod';

const schema = z.object({
  DATABASE_URL: z.string().url('DATABASE_URL must be a postgresql:// URL'),
  API_PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  API_HOST: z.string().default('127.0.0.1'),
  TEMPORAL_ADDRESS: z.string().min(1).default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('suture-lifecycle'),
  S3_ENDPOINT: z.string().url().optional(),
  /** Endpoint browsers use for presigned URLs when it differs from the server's (e.g. behind a proxy). */
  S3_PUBLIC_ENDPOINT: z.string().url().optional(),
  S3_REGION: z.string().default('us-east-1'),
  S3_BUCKET: z.string().min(1, 'S3_BUCKET is required'),
  S3_ACCESS_KEY_ID: z.string().min(1, 'S3_ACCESS_KEY_ID is required'),
  S3_SECRET_ACCESS_KEY: z.string().min(1, 'S3_SECRET_ACCESS_KEY is required'),
  S3_FORCE_PATH_STYLE: z
    .enum(['true', 'false'])
    .default('true')
    .transform((v) => v === 'true'),
  SESSION_TTL_HOURS: z.coerce.number().positive().default(12),
  /** How often a batch re-reads its progress when nothing woke it: a backstop, since accepted tasks, QA verdicts
   * and privacy decisions nudge it and lease expiries set its timer. Short values churn workflow history. */
  BATCH_POLL_SECONDS: z.coerce.number().positive().default(60),
  TASK_RECHECK_SECONDS: z.coerce.number().positive().default(300),
  S3_SSE: z.enum(['AES256', 'aws:kms']).optional(),
  /** The deployment's de-identification secret; the API uses it to key annotator pseudonyms in label exports. */
  SUTURE_DEID_KEY: z.string().min(32, 'SUTURE_DEID_KEY must be a secret of at least 32 characters').optional(),
  /** A Pwned Passwords range API (k-anonymity; e.g. https://api.pwnedpasswords.com/range/) asked about new passwords besides the offline list. */
  SUTURE_BREACHED_PASSWORDS_API: z.string().url().optional(),
  /** Keys the audit chain; the API needs it to verify the chain (verifyAuditLog). The worker seals with the same key. */
  SUTURE_AUDIT_KEY: z.string().min(32, 'SUTURE_AUDIT_KEY must be a secret of at least 32 characters').optional(),
  /** Where the worker anchors the audit chain's head: s3://bucket/key or file:///path; s3://<S3_BUCKET>/audit/anchor.json by default. */
  SUTURE_AUDIT_ANCHOR: z.string().url().optional(),
  /** Schema introspection for signed-in callers (GraphiQL, codegen); off in production. */
  GRAPHQL_INTROSPECTION: z.enum(['on', 'off']).default('off'),
  /** Origins allowed to call the API from a browser (comma separated). */
  CORS_ORIGINS: z.string().default(''),
  /** Single sign-on (OpenID Connect): on when issuer, client id, secret and redirect URI are all set; see oidcSettingsFrom. */
  OIDC_ISSUER: z.string().url('OIDC_ISSUER must be the provider URL (https://...)').optional(),
  OIDC_CLIENT_ID: z.string().min(1).optional(),
  OIDC_CLIENT_SECRET: z.string().min(1).optional(),
  /** The console's callback, as registered at the provider: https://<console>/login/oidc/callback. */
  OIDC_REDIRECT_URI: z.string().url('OIDC_REDIRECT_URI must be the console URL of /login/oidc/callback').optional(),
  /** The provider's name on the login page ("Sign in with <name>"). */
  OIDC_NAME: z.string().trim().min(1).max(60).optional(),
});

export type ApiConfig = z.infer<typeof schema>;

export function parseApiConfig(env: Record<string, string | undefined>): ApiConfig {
  const result = schema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n');
    throw new Error(`Suture API configuration is invalid:\n${problems}`);
  }
  return result.data;
}
