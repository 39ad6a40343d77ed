// People, skills, credentials, pay rates and campaigns: what operations managers and admins set up.
import { z } from 'zod';
import { randomBytes } from 'node:crypto';
import type { Prisma, Role } from '@suture/db';
import { labelSchemaSchema, qaSettingsSchema } from '@suture/workflows/domain/label-schema';
import { consensusMethods, labelSchemaProblems } from '@suture/workflows/annotation/registry';
import { displayName, freeText, MAX_GUIDELINES } from '@suture/workflows/domain/text';
import { DEFAULT_MEDIA_POLICY, mediaPolicySchema, type MediaPolicy } from '@suture/workflows/domain/media-policy';
import { appendAudit } from '@suture/workflows/services/audit-log';
import { pwnedCount, weakPasswordReason, type PasswordContext } from '../auth/breached.ts';
import { hashPassword, verifyPassword } from '../auth/passwords.ts';
import { checkConsensusSetting } from './consensus.ts';
import { recordFirstGuidelines } from './guidelines.ts';
import { releaseMemberClaims } from './tenancy.ts';
import type { AuthUser } from '../auth/sessions.ts';
import type { Services } from '../context.ts';
import { DomainError, InvalidInputError, NotFoundError } from '../errors.ts';
import { CONFLICTING_ROLES } from './roles.ts';
import { setCampaignMember, type MemberInput } from './tenancy.ts';
import { queueSettingsShape } from './queues.ts';

function parseOrThrow<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new InvalidInputError(
    `invalid ${what}`,
    result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`),
  );
}

/** A hash no password matches: unknown accounts cost the same scrypt work as known ones (no timing oracle). */
let decoyHash: Promise<string> | undefined;

/**
 * Signs in with email and password. Every refusal reads the same ("wrong email or password"), takes the
 * same work whether the account exists or not, and counts against both the account name and the client
 * address; past a few failures each must wait, doubling with every further failure.
 */
export async function login(services: Services, email: string, password: string, clientAddress: string | null = null): Promise<{ token: string; expiresAt: Date; userId: string }> {
  const account = email.trim().toLowerCase();
  const { failedLoginsByAccount: byAccount, failedLoginsByClient: byClient } = services.sessions;
  const clientKey = clientAddress ?? 'unknown-client';
  const wait = Math.max(byAccount.waitFor(account), byClient.waitFor(clientKey));
  if (wait > 0) throw new DomainError('TOO_MANY_REQUESTS', `too many failed logins; try again in ${Math.ceil(wait / 1000)} s`);
  const user = account.length <= 320 ? await services.prisma.user.findUnique({ where: { email: account } }) : null;
  decoyHash ??= hashPassword(randomBytes(32).toString('base64'));
  const passwordOk = await verifyPassword(password.slice(0, 1024), user?.passwordHash ?? (await decoyHash));
  if (!user || !user.active || !passwordOk) {
    byAccount.fail(account);
    byClient.fail(clientKey);
    // The attempt is recorded against the account it named, when one exists; never the password or the email.
    if (user) await services.prisma.$transaction((tx) => appendAudit(tx, { actorId: null, action: 'user.login-failed', entityType: 'User', entityId: user.id }));
    else services.log('warn', 'failed login for an unknown account', { clientAddress });
    throw new DomainError('UNAUTHENTICATED', 'wrong email or password');
  }
  byAccount.succeed(account);
  const session = await services.sessions.create(user.id);
  await services.prisma.$transaction((tx) => appendAudit(tx, { actorId: user.id, action: 'user.login', entityType: 'User', entityId: user.id, data: { method: 'password' } }));
  return { ...session, userId: user.id };
}

const registerSchema = z.object({
  email: z.string().trim().toLowerCase().email().max(320),
  name: displayName(),
  password: z.string().min(12, 'passwords need at least 12 characters').max(128, 'passwords may have at most 128 characters'),
  roles: z.array(z.enum(['ADMIN', 'OPS_MANAGER', 'ANNOTATOR', 'EXPERT', 'QA_AUDITOR', 'FINANCE', 'PRIVACY_OFFICER'])).min(1, 'give at least one role'),
});

export { CONFLICTING_ROLES } from './roles.ts';

/** Refuses role sets that break separation of duties, and roles the actor may not hand out. */
function assertRolesAllowed(actor: AuthUser, roles: readonly Role[]): void {
  if (roles.includes('ADMIN') && !actor.roles.includes('ADMIN')) throw new DomainError('FORBIDDEN', 'only an admin can grant the admin role');
  const problems = CONFLICTING_ROLES.filter(([a, b]) => roles.includes(a) && roles.includes(b)).map(([a, b, why]) => `${a} and ${b} cannot be held together (${why})`);
  if (problems.length) throw new InvalidInputError('these roles break separation of duties', problems);
}

/** Refuses a new password that is breached, a disguise of a common one, or built from the person's name or email. */
async function assertPasswordSafe(services: Services, password: string, context: PasswordContext): Promise<void> {
  const reason = weakPasswordReason(password, context);
  if (reason) throw new InvalidInputError(`password: ${reason}`);
  const seen = await pwnedCount(password, services.config.SUTURE_BREACHED_PASSWORDS_API, (message) => services.log('warn', message));
  if (seen) throw new InvalidInputError(`password: this password appears in ${seen.toLocaleString('en')} breached records; choose another`);
}

export async function registerUser(services: Services, actor: AuthUser, input: unknown): Promise<string> {
  const data = parseOrThrow(registerSchema, input, 'user');
  assertRolesAllowed(actor, data.roles as Role[]);
  await assertPasswordSafe(services, data.password, { email: data.email, name: data.name });
  const exists = await services.prisma.user.findUnique({ where: { email: data.email }, select: { id: true } });
  if (exists) throw new DomainError('CONFLICT', 'a user with this email exists');
  const passwordHash = await hashPassword(data.password);
  return services.prisma.$transaction(async (tx) => {
    const user = await tx.user.create({ data: { email: data.email, name: data.name, passwordHash, roles: data.roles as Role[], organizationId: actor.organizationId } });
    await appendAudit(tx, { actorId: actor.id, action: 'user.registered', entityType: 'User', entityId: user.id, data: { roles: data.roles } });
    return user.id;
  });
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A user of the actor's organisation; anyone else does not exist for them. */
async function userInOrganization(tx: Prisma.TransactionClient, actor: AuthUser, userId: string) {
  const user = UUID.test(userId) ? await tx.user.findUnique({ where: { id: userId }, select: { id: true, roles: true, active: true, organizationId: true } }) : null;
  if (!user || user.organizationId !== actor.organizationId) throw new NotFoundError('user');
  return user;
}

/** Who may change another account: admins anyone, ops managers anyone but admins, in their organisation; nobody themselves here. */
async function managedUser(tx: Prisma.TransactionClient, actor: AuthUser, userId: string) {
  const user = await userInOrganization(tx, actor, userId);
  if (user.id === actor.id) throw new DomainError('FORBIDDEN', 'you cannot change your own account here; another admin must');
  if (user.roles.includes('ADMIN') && !actor.roles.includes('ADMIN')) throw new DomainError('FORBIDDEN', 'only an admin can change an admin');
  return user;
}

/** Deactivates (or reactivates) an account; deactivation ends its sessions everywhere at once. */
export async function setUserActive(services: Services, actor: AuthUser, userId: string, active: boolean): Promise<string> {
  return services.prisma.$transaction(async (tx) => {
    const user = await managedUser(tx, actor, userId);
    if (user.active === active) return user.id;
    await tx.user.update({ where: { id: user.id }, data: { active } });
    const sessions = active ? 0 : await services.sessions.revokeUser(tx, user.id);
    if (!active) await releaseMemberClaims(tx, actor, null, user.id, ['LABEL', 'REWORK', 'REVIEW', 'AUDIT'], 'account deactivated');
    await appendAudit(tx, {
      actorId: actor.id,
      action: active ? 'user.reactivated' : 'user.deactivated',
      entityType: 'User',
      entityId: user.id,
      data: { sessionsEnded: sessions },
    });
    return user.id;
  });
}

/** Replaces an account's roles (separation of duties checked); its sessions end so the new roles apply at once. */
export async function setUserRoles(services: Services, actor: AuthUser, userId: string, roles: Role[]): Promise<string> {
  if (roles.length === 0) throw new InvalidInputError('give at least one role');
  assertRolesAllowed(actor, roles);
  return services.prisma.$transaction(async (tx) => {
    const user = await managedUser(tx, actor, userId);
    await tx.user.update({ where: { id: user.id }, data: { roles: [...new Set(roles)] } });
    await services.sessions.revokeUser(tx, user.id);
    const lost = user.roles.filter((r) => !roles.includes(r));
    const kinds = [...(lost.includes('ANNOTATOR') ? ['LABEL', 'REWORK'] : []), ...(lost.includes('EXPERT') ? ['REVIEW'] : []), ...(lost.includes('QA_AUDITOR') ? ['AUDIT'] : [])];
    if (kinds.length) await releaseMemberClaims(tx, actor, null, user.id, kinds, 'roles changed');
    await appendAudit(tx, { actorId: actor.id, action: 'user.roles-changed', entityType: 'User', entityId: user.id, data: { from: user.roles, to: [...new Set(roles)] } });
    return user.id;
  });
}

/** Ends every session of an account (a lost laptop, a shared screen). */
export async function revokeUserSessions(services: Services, actor: AuthUser, userId: string): Promise<number> {
  return services.prisma.$transaction(async (tx) => {
    const user = await managedUser(tx, actor, userId);
    const ended = await services.sessions.revokeUser(tx, user.id);
    await appendAudit(tx, { actorId: actor.id, action: 'user.sessions-revoked', entityType: 'User', entityId: user.id, data: { sessionsEnded: ended } });
    return ended;
  });
}

/** Sets a new password for another account (a reset): a random one-time password is returned once, sessions end. */
export async function resetPassword(services: Services, actor: AuthUser, userId: string): Promise<string> {
  const password = randomBytes(12).toString('base64url');
  const passwordHash = await hashPassword(password);
  await services.prisma.$transaction(async (tx) => {
    const user = await managedUser(tx, actor, userId);
    await tx.user.update({ where: { id: user.id }, data: { passwordHash } });
    await services.sessions.revokeUser(tx, user.id);
    await appendAudit(tx, { actorId: actor.id, action: 'user.password-reset', entityType: 'User', entityId: user.id });
  });
  return password;
}

/** A user changes their own password: the current one is checked, and every other session ends. */
export async function changeOwnPassword(services: Services, user: AuthUser, current: string, next: string, keepToken: string | null): Promise<string> {
  const parsed = registerSchema.shape.password.safeParse(next);
  if (!parsed.success) throw new InvalidInputError(parsed.error.issues[0]?.message ?? 'the new password is not acceptable');
  await assertPasswordSafe(services, next, { email: user.email, name: user.name });
  const stored = await services.prisma.user.findUniqueOrThrow({ where: { id: user.id }, select: { passwordHash: true } });
  if (!(await verifyPassword(current, stored.passwordHash))) throw new DomainError('UNAUTHENTICATED', 'the current password is wrong');
  const passwordHash = await hashPassword(next);
  await services.prisma.$transaction(async (tx) => {
    await tx.user.update({ where: { id: user.id }, data: { passwordHash } });
    await services.sessions.revokeUser(tx, user.id);
    await appendAudit(tx, { actorId: user.id, action: 'user.password-changed', entityType: 'User', entityId: user.id });
  });
  // The session that made the change goes on: a fresh one replaces it.
  return keepToken ? (await services.sessions.create(user.id)).token : '';
}

export async function upsertSkill(services: Services, actor: AuthUser, key: string, name: string): Promise<string> {
  if (!/^[a-z0-9][a-z0-9_-]{0,63}$/.test(key)) throw new InvalidInputError('skill key: use lowercase letters, digits, - and _');
  const skillName = parseOrThrow(displayName(), name, 'skill name');
  return services.prisma.$transaction(async (tx) => {
    const skill = await tx.skill.upsert({ where: { key }, create: { key, name: skillName }, update: { name: skillName } });
    await appendAudit(tx, { actorId: actor.id, action: 'skill.upserted', entityType: 'Skill', entityId: skill.id });
    return skill.id;
  });
}

export async function setUserSkill(services: Services, actor: AuthUser, userId: string, skillKey: string, level: number): Promise<string> {
  if (!Number.isInteger(level) || level < 1 || level > 5) throw new InvalidInputError('level must be an integer from 1 (novice) to 5 (expert)');
  return services.prisma.$transaction(async (tx) => {
    const skill = await tx.skill.findUnique({ where: { key: skillKey } });
    if (!skill) throw new NotFoundError(`skill '${skillKey}'`);
    await userInOrganization(tx, actor, userId);
    await tx.userSkill.upsert({ where: { userId_skillId: { userId, skillId: skill.id } }, create: { userId, skillId: skill.id, level }, update: { level } });
    await appendAudit(tx, { actorId: actor.id, action: 'user.skill-set', entityType: 'User', entityId: userId, data: { skill: skillKey, level } });
    return userId;
  });
}

export async function grantCredential(services: Services, actor: AuthUser, userId: string, kind: string, issuer: string, expiresAt: Date | null): Promise<string> {
  if (!kind.trim() || !issuer.trim()) throw new InvalidInputError('credential kind and issuer are required');
  if (userId === actor.id) throw new DomainError('FORBIDDEN', 'you cannot grant yourself a credential; another admin or ops manager must');
  return services.prisma.$transaction(async (tx) => {
    const user = await userInOrganization(tx, actor, userId);
    // Experts' credentials gate review; annotators' gate labelling of campaigns that ask for one (Campaign.labelCredential).
    if (!user.roles.includes('EXPERT') && !user.roles.includes('ANNOTATOR'))
      throw new InvalidInputError('credentials are for experts (review) and annotators (labelling): give the user the EXPERT or ANNOTATOR role first');
    await tx.credential.upsert({ where: { userId_kind: { userId, kind } }, create: { userId, kind, issuer, expiresAt }, update: { issuer, expiresAt, verifiedAt: new Date() } });
    await appendAudit(tx, { actorId: actor.id, action: 'user.credential-granted', entityType: 'User', entityId: userId, data: { kind } });
    return userId;
  });
}

/** Pre-label models live under models/ in the bucket; never a key that reaches uploads, derivatives or exports. */
export const MODEL_KEY = /^models\/(?!.*\.\.)[A-Za-z0-9][A-Za-z0-9._/-]{0,250}\.onnx$/;

const campaignSchema = z.object({
  name: displayName(),
  description: freeText(5000).default(''),
  labelSchema: z.unknown(),
  guidelines: freeText(MAX_GUIDELINES).default(''),
  overlap: z.number().int().min(2, 'overlap must be at least 2 independent labels per task').max(10),
  agreementThreshold: z.number().min(0).max(1),
  qaSettings: z.unknown().default({}),
  budgetCents: z.number().int().min(0).default(0),
  claimSlaSeconds: z
    .number()
    .int()
    .min(30)
    .max(7 * 24 * 3600)
    .default(1800),
  // Caps per annotator per batch and stage SLAs (services/queues.ts, which also changes them later).
  capPerBatch: queueSettingsShape.capPerBatch.default(null),
  capSharePerBatch: queueSettingsShape.capSharePerBatch.default(null),
  reviewSlaSeconds: queueSettingsShape.reviewSlaSeconds.default(86400),
  qaSlaSeconds: queueSettingsShape.qaSlaSeconds.default(86400),
  reviewCredential: z.string().trim().min(1).nullable().default(null),
  prelabelModelKey: z.string().trim().regex(MODEL_KEY, 'a pre-label model key is models/<name>.onnx in the bucket').nullable().default(null),
  requiredSkills: z.array(z.object({ key: z.string(), minLevel: z.number().int().min(1).max(5) })).default([]),
  payRates: z.array(z.object({ kind: z.enum(['LABEL', 'REVIEW', 'AUDIT', 'REWORK']), amountCents: z.number().int().min(0) })).default([]),
  mediaPolicy: z.unknown().optional(),
  members: z
    .array(z.object({ userId: z.string(), roles: z.array(z.enum(['ADMIN', 'OPS_MANAGER', 'ANNOTATOR', 'EXPERT', 'QA_AUDITOR', 'FINANCE', 'PRIVACY_OFFICER'])).min(1) }))
    .max(10_000)
    .default([]),
});

export async function createCampaign(services: Services, actor: AuthUser, input: unknown): Promise<string> {
  const data = parseOrThrow(campaignSchema, input, 'campaign');
  const labelSchema = parseOrThrow(labelSchemaSchema, data.labelSchema, 'label schema');
  const schemaProblems = labelSchemaProblems(labelSchema);
  if (schemaProblems.length) throw new InvalidInputError('the label schema does not fit its annotation type', schemaProblems);
  const qaSettings = parseOrThrow(qaSettingsSchema, data.qaSettings, 'QA settings');
  checkConsensusSetting(labelSchema, qaSettings.consensus);
  const mediaPolicy = data.mediaPolicy === undefined || data.mediaPolicy === null ? DEFAULT_MEDIA_POLICY : parseOrThrow(mediaPolicySchema, data.mediaPolicy, 'media policy');
  return services.prisma.$transaction(async (tx) => {
    const skills = await tx.skill.findMany({ where: { key: { in: data.requiredSkills.map((s) => s.key) } } });
    const missing = data.requiredSkills.filter((s) => !skills.some((k) => k.key === s.key)).map((s) => s.key);
    if (missing.length)
      throw new InvalidInputError(
        'unknown skills',
        missing.map((m) => `'${m}' does not exist; create it first`),
      );
    const campaign = await tx.campaign.create({
      data: {
        name: data.name,
        description: data.description,
        labelSchema: labelSchema as Prisma.InputJsonValue,
        guidelines: data.guidelines,
        overlap: data.overlap,
        agreementThreshold: data.agreementThreshold,
        qaSettings: qaSettings as Prisma.InputJsonValue,
        budgetCents: data.budgetCents,
        claimSlaSeconds: data.claimSlaSeconds,
        capPerBatch: data.capPerBatch,
        capSharePerBatch: data.capSharePerBatch,
        reviewSlaSeconds: data.reviewSlaSeconds,
        qaSlaSeconds: data.qaSlaSeconds,
        reviewCredential: data.reviewCredential,
        prelabelModelKey: data.prelabelModelKey,
        mediaPolicy: mediaPolicy as Prisma.InputJsonValue,
        createdById: actor.id,
        organizationId: actor.organizationId,
        // Whoever creates a campaign manages it (an admin oversees every campaign without a membership).
        ...(actor.roles.includes('OPS_MANAGER') ? { members: { create: { userId: actor.id, roles: ['OPS_MANAGER'], addedById: actor.id } } } : {}),
        skills: { create: data.requiredSkills.map((s) => ({ skillId: skills.find((k) => k.key === s.key)!.id, minLevel: s.minLevel })) },
        payRates: { create: data.payRates.map((r) => ({ kind: r.kind, amountCents: r.amountCents })) },
      },
    });
    await recordFirstGuidelines(tx, campaign.id, data.guidelines, actor.id);
    await appendAudit(tx, {
      actorId: actor.id,
      action: 'campaign.created',
      entityType: 'Campaign',
      entityId: campaign.id,
      data: { overlap: data.overlap, consensus: qaSettings.consensus?.method ?? consensusMethods(labelSchema).default, ...mediaPolicyAudit(mediaPolicy) },
    });
    for (const member of data.members) if (member.userId !== actor.id) await setCampaignMember(services, actor, campaign.id, member as MemberInput, tx);
    return campaign.id;
  });
}

/** What the audit log records of a media policy: its settings, which are never PHI. */
function mediaPolicyAudit(policy: MediaPolicy): Record<string, string | boolean | null> {
  return { originals: policy.originals, sse: policy.sse ?? null, normalizeBrightness: policy.normalizeBrightness !== undefined && policy.normalizeBrightness !== false };
}

/**
 * Sets what ingest does with this campaign's originals and proxies from now on; assets already ingested
 * keep what was done to them.
 */
export async function setCampaignMediaPolicy(services: Services, actor: AuthUser, campaignId: string, policy: unknown): Promise<string> {
  const parsed = parseOrThrow(mediaPolicySchema, policy, 'media policy');
  return services.prisma.$transaction(async (tx) => {
    const campaign = await tx.campaign.findUnique({ where: { id: campaignId }, select: { id: true } });
    if (!campaign) throw new NotFoundError('campaign');
    await tx.campaign.update({ where: { id: campaignId }, data: { mediaPolicy: parsed as Prisma.InputJsonValue } });
    await appendAudit(tx, { actorId: actor.id, action: 'campaign.media-policy', entityType: 'Campaign', entityId: campaignId, data: mediaPolicyAudit(parsed) });
    return campaignId;
  });
}

export async function setCampaignStatus(services: Services, actor: AuthUser, campaignId: string, status: 'DRAFT' | 'ACTIVE' | 'PAUSED' | 'CLOSED'): Promise<string> {
  return services.prisma.$transaction(async (tx) => {
    const campaign = await tx.campaign.findUnique({ where: { id: campaignId }, select: { id: true } });
    if (!campaign) throw new NotFoundError('campaign');
    await tx.campaign.update({ where: { id: campaignId }, data: { status } });
    await appendAudit(tx, { actorId: actor.id, action: 'campaign.status', entityType: 'Campaign', entityId: campaignId, data: { status } });
    return campaignId;
  });
}
