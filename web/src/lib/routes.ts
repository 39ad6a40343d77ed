// Every URL of the console, and which roles open which section. Nothing else builds paths by hand.
import type { Role } from './types';

const id = (value: string) => encodeURIComponent(value);

export const routes = {
  home: '/',
  login: (redirectTo?: string) => (redirectTo && redirectTo !== '/' ? `/login?redirectTo=${encodeURIComponent(redirectTo)}` : '/login'),
  logout: '/logout',
  /** Starts a single sign-on (src/routes/login/oidc). */
  sso: (redirectTo?: string) => (redirectTo && redirectTo !== '/' ? `/login/oidc?redirectTo=${encodeURIComponent(redirectTo)}` : '/login/oidc'),
  /** Your own account: change your password. */
  account: '/account',
  admin: {
    users: '/admin/users',
  },
  /** The same-origin GraphQL proxy (src/routes/graphql/+server.ts). */
  graphql: '/graphql',
  ops: {
    campaigns: '/ops/campaigns',
    campaign: (campaignId: string) => `/ops/campaigns/${id(campaignId)}`,
    batch: (batchId: string) => `/ops/batches/${id(batchId)}`,
    /** The task browser of a campaign, filtered (TaskListQuery) and paged (after = a page's endCursor). */
    tasks: (campaignId: string, query: TaskListQuery = {}) => withQuery(`/ops/campaigns/${id(campaignId)}/tasks`, { ...query }),
    /** One task's whole history. */
    task: (taskId: string) => `/ops/tasks/${id(taskId)}`,
  },
  work: {
    queue: '/work',
    assignment: (assignmentId: string) => `/work/${id(assignmentId)}`,
    /** A campaign's qualification test, taken before its labelling work. */
    qualify: (campaignId: string) => `/work/qualify/${id(campaignId)}`,
  },
  review: {
    queue: '/review',
    assignment: (assignmentId: string) => `/review/${id(assignmentId)}`,
  },
  qa: {
    queue: '/qa',
  },
  guidelines: {
    /** Uploads a guideline picture through the console's proxy (src/routes/api/campaigns/[id]/guideline-images). */
    upload: (campaignId: string) => `/api/campaigns/${id(campaignId)}/guideline-images`,
  },
  privacy: {
    /** Flagged assets waiting for a privacy officer, optionally of one campaign. */
    queue: (campaignId?: string | null) => (campaignId ? `/privacy?campaign=${id(campaignId)}` : '/privacy'),
  },
  finance: {
    report: (campaignId?: string | null) => (campaignId ? `/finance?campaign=${id(campaignId)}` : '/finance'),
  },
  audit: {
    /** The audit log, filtered (AuditLogQuery) and paged (after = a page's endCursor). */
    log: (query: AuditLogQuery = {}) => withQuery('/audit', { ...query }),
    /** The streamed export (JSON lines or CSV) of the same filter, through the console's proxy. */
    export: (format: 'jsonl' | 'csv', query: AuditLogQuery = {}) => withQuery('/audit/export', { ...query, after: undefined, format }),
  },
} as const;

export type TaskListQuery = {
  batchId?: string | undefined;
  status?: string | undefined;
  round?: string | undefined;
  gold?: string | undefined;
  after?: string | undefined;
};

export type AuditLogQuery = {
  actorId?: string | undefined;
  action?: string | undefined;
  entityType?: string | undefined;
  entityId?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  after?: string | undefined;
};

function withQuery(path: string, query: Record<string, string | undefined>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v) params.set(k, v);
  const q = params.toString();
  return q ? `${path}?${q}` : path;
}

export type SectionKey = 'ops' | 'work' | 'review' | 'qa' | 'privacy' | 'finance' | 'audit' | 'admin';

export interface Section {
  key: SectionKey;
  label: string;
  href: string;
  /** Paths under this prefix belong to the section. */
  prefix: string;
  roles: readonly Role[];
}

export const sections: readonly Section[] = [
  { key: 'ops', label: 'Campaigns', href: routes.ops.campaigns, prefix: '/ops', roles: ['ADMIN', 'OPS_MANAGER'] },
  { key: 'work', label: 'My work', href: routes.work.queue, prefix: '/work', roles: ['ANNOTATOR'] },
  { key: 'review', label: 'Expert review', href: routes.review.queue, prefix: '/review', roles: ['EXPERT'] },
  { key: 'qa', label: 'QA audits', href: routes.qa.queue, prefix: '/qa', roles: ['QA_AUDITOR'] },
  { key: 'privacy', label: 'Privacy review', href: routes.privacy.queue(), prefix: '/privacy', roles: ['PRIVACY_OFFICER', 'ADMIN'] },
  { key: 'finance', label: 'Finance', href: routes.finance.report(), prefix: '/finance', roles: ['FINANCE', 'ADMIN'] },
  { key: 'admin', label: 'Users', href: routes.admin.users, prefix: '/admin', roles: ['ADMIN', 'OPS_MANAGER'] },
  { key: 'audit', label: 'Audit log', href: routes.audit.log(), prefix: '/audit', roles: ['QA_AUDITOR', 'ADMIN'] },
];

/** Paths a signed-out visitor may open. */
const publicPaths = [routes.login(), routes.logout];

export function isPublicPath(pathname: string): boolean {
  return publicPaths.some((p) => pathname === p || pathname.startsWith(`${p}/`));
}

export function section(key: SectionKey): Section {
  const found = sections.find((s) => s.key === key);
  if (!found) throw new Error(`unknown section ${key}`);
  return found;
}

export function sectionsFor(roles: readonly Role[]): Section[] {
  return sections.filter((s) => s.roles.some((r) => roles.includes(r)));
}

/** Where a user lands after signing in: their first section, or the overview when they have none. */
export function homeFor(roles: readonly Role[]): string {
  return sectionsFor(roles)[0]?.href ?? routes.home;
}

/** Only same-site paths are followed after login, never another origin. */
export function safeRedirect(target: string | null | undefined, fallback: string): string {
  if (!target || !target.startsWith('/') || target.startsWith('//') || target.startsWith('/\\')) return fallback;
  if (isPublicPath(target.split('?')[0] ?? target)) return fallback;
  return target;
}
