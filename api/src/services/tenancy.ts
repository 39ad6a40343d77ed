// Tenancy: organisations, campaign membership and per-campaign roles. One place decides what a user may do
// in a campaign, and every resolver that takes a campaign, batch, asset, task or audit asks it.
//
//   - A user and a campaign each belong to one organisation. Nothing of another organisation exists for
//     the caller: it answers NOT_FOUND, exactly like an id that was never issued.
//   - Within their organisation, a user acts in a campaign only in the roles of their membership
//     (CampaignMember.roles), and only in those their organisation granted them (User.roles): removing a
//     global role removes it from every campaign at once.
//   - ADMIN oversees every campaign of the organisation (and counts as its operations manager).
//   - A DRAFT campaign is visible to its operations managers and admins only.
// The blind rule (access.ts) is applied on top: whoever labels a task sees no one else's label of it.
import type { Prisma, Role } from '@suture/db';
import { appendAudit } from '@suture/workflows/services/audit-log';
import type { AuthUser } from '../auth/sessions.ts';
import type { Context, Services } from '../context.ts';
import { DomainError, InvalidInputError, NotFoundError } from '../errors.ts';
import { CAMPAIGN_CONFLICTING_ROLES, CONFLICTING_ROLES } from './roles.ts';

/** The organisation of single-tenant installations and of everything written before tenancy (the migration makes it). */
export const DEFAULT_ORGANIZATION_ID = '00000000-0000-4000-8000-000000000001';

/** Roles that mean something inside one campaign (ADMIN is organisation-wide). */
export const CAMPAIGN_ROLES: readonly Role[] = ['OPS_MANAGER', 'ANNOTATOR', 'EXPERT', 'QA_AUDITOR', 'FINANCE', 'PRIVACY_OFFICER'];
export const MANAGES: readonly Role[] = ['ADMIN', 'OPS_MANAGER'];

export interface CampaignAccess {
  campaignId: string;
  status: 'DRAFT' | 'ACTIVE' | 'PAUSED' | 'CLOSED';
  /** The caller's effective roles in this campaign (ADMIN when they administer the organisation). */
  roles: ReadonlySet<Role>;
}

/** The caller's effective roles in a campaign, or null when the campaign does not exist for them. */
export function effectiveRoles(user: AuthUser, memberRoles: readonly Role[]): Set<Role> {
  const roles = new Set<Role>(memberRoles.filter((r) => r !== 'ADMIN' && user.roles.includes(r)));
  if (user.roles.includes('ADMIN')) roles.add('ADMIN');
  return roles;
}

function visible(access: { status: CampaignAccess['status']; roles: ReadonlySet<Role> }): boolean {
  if (access.roles.size === 0) return false;
  return access.status !== 'DRAFT' || access.roles.has('ADMIN') || access.roles.has('OPS_MANAGER');
}

async function loadAccess(services: Services, user: AuthUser, campaignId: string): Promise<CampaignAccess | null> {
  if (!UUID.test(campaignId)) return null;
  const campaign = await services.prisma.campaign.findUnique({
    where: { id: campaignId },
    select: { id: true, status: true, organizationId: true, members: { where: { userId: user.id }, select: { roles: true } } },
  });
  if (!campaign || campaign.organizationId !== user.organizationId) return null;
  const access = { campaignId: campaign.id, status: campaign.status, roles: effectiveRoles(user, campaign.members[0]?.roles ?? []) };
  return visible(access) ? access : null;
}

/** An id as the database writes them (uuid); checked before a query so that a malformed id is a clear error. */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The caller's access to a campaign (memoised for the request), or null when it does not exist for them. */
export function campaignAccess(ctx: Context, campaignId: string): Promise<CampaignAccess | null> {
  const user = ctx.user;
  if (!user) return Promise.resolve(null);
  ctx.campaignAccess ??= new Map();
  let hit = ctx.campaignAccess.get(campaignId);
  if (!hit) {
    hit = loadAccess(ctx.services, user, campaignId);
    ctx.campaignAccess.set(campaignId, hit);
  }
  return hit;
}

/** Whether the caller holds one of `roles` in the campaign. */
export async function hasCampaignRole(ctx: Context, campaignId: string, roles: readonly Role[]): Promise<boolean> {
  const access = await campaignAccess(ctx, campaignId);
  return access !== null && roles.some((r) => access.roles.has(r));
}

/**
 * Demands one of `roles` in the campaign: NOT_FOUND when the campaign does not exist for the caller (another
 * organisation, no membership, someone else's draft), FORBIDDEN when they see it but act in other roles.
 */
export async function requireCampaignRole(ctx: Context, campaignId: string, roles: readonly Role[], what = 'campaign'): Promise<CampaignAccess> {
  const access = await campaignAccess(ctx, campaignId);
  if (!access) throw new NotFoundError(what);
  if (!roles.some((r) => access.roles.has(r))) throw new DomainError('FORBIDDEN', `your role in this campaign does not allow this (needs ${roles.join(' or ')})`);
  return access;
}

/** The campaigns a user may see, as a Prisma filter; with `roles`, only those where they act in one of them. */
export function visibleCampaigns(user: AuthUser, roles: readonly Role[] = [...CAMPAIGN_ROLES, 'ADMIN']): Prisma.CampaignWhereInput {
  if (user.roles.includes('ADMIN') && roles.includes('ADMIN')) return { organizationId: user.organizationId };
  const memberRoles = roles.filter((r) => r !== 'ADMIN' && user.roles.includes(r));
  if (memberRoles.length === 0) return { id: { in: [] } };
  return {
    organizationId: user.organizationId,
    members: { some: { userId: user.id, roles: { hasSome: memberRoles } } },
    OR: [{ status: { not: 'DRAFT' } }, ...(user.roles.includes('OPS_MANAGER') ? [{ members: { some: { userId: user.id, roles: { has: 'OPS_MANAGER' as Role } } } }] : [])],
  };
}

type Entity = 'batch' | 'asset' | 'task' | 'qaAudit' | 'assignment';

async function lookupCampaignId(services: Services, entity: Entity, id: string): Promise<string | null> {
  if (!UUID.test(id)) return null;
  const prisma = services.prisma;
  switch (entity) {
    case 'batch':
      return (await prisma.batch.findUnique({ where: { id }, select: { campaignId: true } }))?.campaignId ?? null;
    case 'asset':
      return (await prisma.asset.findUnique({ where: { id }, select: { campaignId: true } }))?.campaignId ?? null;
    case 'task':
      return (await prisma.task.findUnique({ where: { id }, select: { campaignId: true } }))?.campaignId ?? null;
    case 'qaAudit':
      return (await prisma.qaAudit.findUnique({ where: { id }, select: { batch: { select: { campaignId: true } } } }))?.batch.campaignId ?? null;
    case 'assignment':
      return (await prisma.assignment.findUnique({ where: { id }, select: { task: { select: { campaignId: true } } } }))?.task.campaignId ?? null;
  }
}

/** The campaign something belongs to (memoised for the request; an entity never changes campaign). */
function campaignIdOf(ctx: Context, entity: Entity, id: string): Promise<string | null> {
  ctx.entityCampaign ??= new Map();
  const key = `${entity}:${id}`;
  let hit = ctx.entityCampaign.get(key);
  if (!hit) {
    hit = lookupCampaignId(ctx.services, entity, id);
    ctx.entityCampaign.set(key, hit);
  }
  return hit;
}

/** Like requireCampaignRole, for something that belongs to a campaign; NOT_FOUND names the thing asked for. */
export async function requireRoleOn(ctx: Context, entity: Entity, id: string, roles: readonly Role[]): Promise<CampaignAccess> {
  const what = entity === 'qaAudit' ? 'QA audit' : entity;
  const campaignId = await campaignIdOf(ctx, entity, id);
  if (!campaignId) throw new NotFoundError(what);
  return requireCampaignRole(ctx, campaignId, roles, what);
}

/** Whether the caller holds one of `roles` in the campaign of something; false when it does not exist for them. */
export async function hasRoleOn(ctx: Context, entity: Entity, id: string, roles: readonly Role[]): Promise<boolean> {
  const campaignId = await campaignIdOf(ctx, entity, id);
  return campaignId !== null && hasCampaignRole(ctx, campaignId, roles);
}

export interface MemberInput {
  userId: string;
  roles: Role[];
}

/**
 * Sets one person's roles in a campaign (an empty list removes them). The person must belong to the
 * campaign's organisation and hold each role there; role pairs that break separation of duties are refused
 * within a campaign as everywhere; nobody changes their own membership (another manager must).
 */
export async function setCampaignMember(services: Services, actor: AuthUser, campaignId: string, input: MemberInput, tx?: Prisma.TransactionClient): Promise<void> {
  const run = async (db: Prisma.TransactionClient) => {
    const roles = [...new Set(input.roles)];
    if (roles.includes('ADMIN')) throw new InvalidInputError('ADMIN is not a campaign role: admins oversee every campaign of their organisation');
    if (input.userId === actor.id) throw new DomainError('FORBIDDEN', 'you cannot change your own membership; another operations manager or an admin must');
    const campaign = await db.campaign.findUnique({ where: { id: campaignId }, select: { organizationId: true } });
    if (!campaign || campaign.organizationId !== actor.organizationId) throw new NotFoundError('campaign');
    const user = UUID.test(input.userId) ? await db.user.findUnique({ where: { id: input.userId }, select: { id: true, roles: true, organizationId: true, active: true } }) : null;
    if (!user || user.organizationId !== campaign.organizationId) throw new NotFoundError('user');
    const missing = roles.filter((r) => !user.roles.includes(r));
    if (missing.length)
      throw new InvalidInputError(
        'a member acts only in roles their organisation granted them',
        missing.map((r) => `the user does not hold ${r}`),
      );
    const conflicts = [...CONFLICTING_ROLES, ...CAMPAIGN_CONFLICTING_ROLES]
      .filter(([a, b]) => roles.includes(a) && roles.includes(b))
      .map(([a, b, why]) => `${a} and ${b} cannot be held together (${why})`);
    if (conflicts.length) throw new InvalidInputError('these roles break separation of duties', conflicts);
    const before = await db.campaignMember.findUnique({ where: { campaignId_userId: { campaignId, userId: user.id } }, select: { roles: true } });
    if (roles.length === 0) {
      if (before) await db.campaignMember.delete({ where: { campaignId_userId: { campaignId, userId: user.id } } });
    } else {
      await db.campaignMember.upsert({
        where: { campaignId_userId: { campaignId, userId: user.id } },
        create: { campaignId, userId: user.id, roles, addedById: actor.id },
        update: { roles },
      });
    }
    await appendAudit(db, {
      actorId: actor.id,
      action: roles.length ? 'campaign.member-set' : 'campaign.member-removed',
      entityType: 'Campaign',
      entityId: campaignId,
      data: { userId: user.id, from: before?.roles ?? [], to: roles },
    });
    // Work in hand in a role the member no longer holds goes back to the queue at once, not when its lease runs out.
    const lost = (before?.roles ?? []).filter((r) => !roles.includes(r));
    const kinds = [...(lost.includes('ANNOTATOR') ? ['LABEL', 'REWORK'] : []), ...(lost.includes('EXPERT') ? ['REVIEW'] : []), ...(lost.includes('QA_AUDITOR') ? ['AUDIT'] : [])];
    if (kinds.length) await releaseMemberClaims(db, actor, campaignId, user.id, kinds);
  };
  if (tx) return run(tx);
  return services.prisma.$transaction(run);
}

/**
 * Releases a member's active claims of the given kinds on a campaign's tasks (every campaign's when null): labelling slots reopen (the task's
 * open slot count goes back up), reviews and audits become claimable by another member. Audited per task.
 */
export async function releaseMemberClaims(
  db: Prisma.TransactionClient,
  actor: AuthUser,
  campaignId: string | null,
  userId: string,
  kinds: string[],
  reason = 'membership changed',
): Promise<void> {
  const released = await db.$queryRaw<Array<{ taskId: string; kind: string }>>`
    UPDATE "Assignment" a SET status = 'RELEASED'
    FROM "Task" t
    WHERE t.id = a."taskId" AND (${campaignId}::uuid IS NULL OR t."campaignId" = ${campaignId}::uuid) AND a."userId" = ${userId}::uuid
      AND a.status = 'ACTIVE' AND a.kind::text = ANY(${kinds}::text[])
    RETURNING a."taskId" AS "taskId", a.kind::text AS kind`;
  const reopened = released.filter((r) => r.kind === 'LABEL' || r.kind === 'REWORK').map((r) => r.taskId);
  if (reopened.length) await db.$executeRaw`UPDATE "Task" SET "openSlots" = "openSlots" + 1 WHERE id = ANY(${reopened}::uuid[])`;
  for (const r of released) await appendAudit(db, { actorId: actor.id, action: 'claims.released', entityType: 'Task', entityId: r.taskId, data: { userId, kind: r.kind, reason } });
}
