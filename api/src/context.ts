// What every request carries: the services (built once at boot) and who is asking.
import type { S3Client } from '@aws-sdk/client-s3';
import type { Client } from '@temporalio/client';
import type { PrismaClient } from '@suture/db';
import type { AuditChainConfig, AuditEventInput } from '@suture/workflows/services/audit-log';
import type { AuthUser, SessionStore } from './auth/sessions.ts';
import type { OidcLogin } from './auth/oidc.ts';
import type { ApiConfig } from './config.ts';
import type { CampaignAccess } from './services/tenancy.ts';

export interface Services {
  prisma: PrismaClient;
  s3: S3Client;
  /** Signs URLs for browsers; may point at a public endpoint different from `s3`. */
  s3Presign: S3Client;
  temporal: Client;
  sessions: SessionStore;
  /** Single sign-on through an OpenID Connect provider; absent when not configured (OIDC_*). */
  oidc?: OidcLogin | undefined;
  config: Pick<ApiConfig, 'S3_BUCKET' | 'TEMPORAL_TASK_QUEUE' | 'BATCH_POLL_SECONDS' | 'TASK_RECHECK_SECONDS'> & {
    BATCH_HISTORY_BUDGET?: number;
    /** Keys annotator pseudonyms in exports; without it exportLabels refuses. */
    SUTURE_DEID_KEY?: string | undefined;
    S3_SSE?: 'AES256' | 'aws:kms' | undefined;
    /** A Pwned Passwords range API asked about new passwords (auth/breached.ts); the offline list is always checked. */
    SUTURE_BREACHED_PASSWORDS_API?: string | undefined;
  };
  log: (level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>) => void;
  /** The audit chain's key and anchor (SUTURE_AUDIT_KEY, SUTURE_AUDIT_ANCHOR): verifyAuditLog needs them. */
  audit?: AuditChainConfig | undefined;
}

export interface Context {
  services: Services;
  user: AuthUser | null;
  token: string | null;
  requestId: string;
  /** The client's network address as the server saw it (login throttling); null when unknown. */
  clientAddress: string | null;
  /** Reads noted for the audit log during this operation (see audit-reads.ts). */
  auditReads?: AuditEventInput[];
  /** The caller's access per campaign, memoised for this operation (services/tenancy.ts). */
  campaignAccess?: Map<string, Promise<CampaignAccess | null>>;
  /** Which campaign a batch, asset, task, audit or assignment belongs to, memoised for this operation. */
  entityCampaign?: Map<string, Promise<string | null>>;
}

export type AuthedContext = Context & { user: AuthUser };
