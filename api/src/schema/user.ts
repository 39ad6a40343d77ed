import { builder } from './builder.ts';
import { recordAudit } from '@suture/workflows/services/audit-log';
import {
  changeOwnPassword,
  grantCredential,
  login,
  registerUser,
  resetPassword,
  revokeUserSessions,
  setUserActive,
  setUserRoles,
  setUserSkill,
  upsertSkill,
} from '../services/admin.ts';

export const RoleEnum = builder.enumType('Role', { values: ['ADMIN', 'OPS_MANAGER', 'ANNOTATOR', 'EXPERT', 'QA_AUDITOR', 'FINANCE', 'PRIVACY_OFFICER'] as const });

builder.prismaObject('User', {
  description: 'A person working in Suture (never a patient).',
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    email: t.exposeString('email', { authScopes: (user, _args, ctx) => user.id === ctx.user?.id || (ctx.user?.roles.some((r) => r === 'ADMIN' || r === 'OPS_MANAGER') ?? false) }),
    roles: t.field({ type: [RoleEnum], resolve: (u) => u.roles }),
    active: t.exposeBoolean('active', {
      authScopes: (user, _args, ctx) => user.id === ctx.user?.id || (ctx.user?.roles.some((r) => r === 'ADMIN' || r === 'OPS_MANAGER') ?? false),
    }),
    skills: t.relation('skills'),
    credentials: t.relation('credentials'),
    organization: t.relation('organization'),
  }),
});

builder.prismaObject('UserSkill', {
  fields: (t) => ({
    level: t.exposeInt('level'),
    skill: t.relation('skill'),
  }),
});

builder.prismaObject('Skill', {
  fields: (t) => ({
    id: t.exposeID('id'),
    key: t.exposeString('key'),
    name: t.exposeString('name'),
  }),
});

builder.prismaObject('Credential', {
  fields: (t) => ({
    kind: t.exposeString('kind'),
    issuer: t.exposeString('issuer'),
    verifiedAt: t.expose('verifiedAt', { type: 'DateTime' }),
    expiresAt: t.expose('expiresAt', { type: 'DateTime', nullable: true }),
  }),
});

export const Session = builder.objectRef<{ token: string; expiresAt: Date; userId: string }>('Session').implement({
  fields: (t) => ({
    token: t.exposeString('token'),
    expiresAt: t.expose('expiresAt', { type: 'DateTime' }),
    user: t.prismaField({ type: 'User', resolve: (query, s, _a, ctx) => ctx.services.prisma.user.findUniqueOrThrow({ ...query, where: { id: s.userId } }) }),
  }),
});

builder.queryFields((t) => ({
  me: t.withAuth({ authenticated: true }).prismaField({
    type: 'User',
    resolve: (query, _root, _args, ctx) => ctx.services.prisma.user.findUniqueOrThrow({ ...query, where: { id: ctx.user.id } }),
  }),
  users: t.withAuth({ anyRole: ['ADMIN', 'OPS_MANAGER', 'FINANCE'] }).prismaField({
    type: ['User'],
    args: { role: t.arg({ type: RoleEnum, required: false }) },
    description: "The users of the caller's organisation",
    resolve: (query, _root, args, ctx) =>
      ctx.services.prisma.user.findMany({
        ...query,
        where: { organizationId: ctx.user.organizationId, ...(args.role ? { roles: { has: args.role } } : {}) },
        orderBy: { name: 'asc' },
      }),
  }),
  skills: t.withAuth({ authenticated: true }).prismaField({
    type: ['Skill'],
    resolve: (query, _root, _args, ctx) => ctx.services.prisma.skill.findMany({ ...query, orderBy: { key: 'asc' } }),
  }),
}));

builder.mutationFields((t) => ({
  login: t.field({
    type: Session,
    errors: {},
    args: { email: t.arg.string(), password: t.arg.string() },
    resolve: (_root, args, ctx) => login(ctx.services, args.email, args.password, ctx.clientAddress),
  }),
  logout: t.withAuth({ authenticated: true }).boolean({
    resolve: async (_root, _args, ctx) => {
      if (ctx.token) await ctx.services.sessions.revoke(ctx.token);
      await recordAudit(ctx.services.prisma, { actorId: ctx.user.id, action: 'user.logout', entityType: 'User', entityId: ctx.user.id });
      return true;
    },
  }),
  registerUser: t.withAuth({ anyRole: ['ADMIN', 'OPS_MANAGER'] }).prismaField({
    type: 'User',
    errors: {},
    args: { email: t.arg.string(), name: t.arg.string(), password: t.arg.string(), roles: t.arg({ type: [RoleEnum] }) },
    resolve: async (query, _root, args, ctx) => ctx.services.prisma.user.findUniqueOrThrow({ ...query, where: { id: await registerUser(ctx.services, ctx.user, args) } }),
  }),
  upsertSkill: t.withAuth({ anyRole: ['ADMIN', 'OPS_MANAGER'] }).prismaField({
    type: 'Skill',
    errors: {},
    args: { key: t.arg.string(), name: t.arg.string() },
    resolve: async (query, _root, args, ctx) =>
      ctx.services.prisma.skill.findUniqueOrThrow({ ...query, where: { id: await upsertSkill(ctx.services, ctx.user, args.key, args.name) } }),
  }),
  setUserSkill: t.withAuth({ anyRole: ['ADMIN', 'OPS_MANAGER'] }).prismaField({
    type: 'User',
    errors: {},
    args: { userId: t.arg.id(), skillKey: t.arg.string(), level: t.arg.int() },
    resolve: async (query, _root, args, ctx) =>
      ctx.services.prisma.user.findUniqueOrThrow({ ...query, where: { id: await setUserSkill(ctx.services, ctx.user, String(args.userId), args.skillKey, args.level) } }),
  }),
  setUserActive: t.withAuth({ anyRole: ['ADMIN', 'OPS_MANAGER'] }).prismaField({
    type: 'User',
    errors: {},
    description: 'Deactivates (or reactivates) an account; deactivation ends its sessions in every API process at once.',
    args: { userId: t.arg.id(), active: t.arg.boolean() },
    resolve: async (query, _root, args, ctx) =>
      ctx.services.prisma.user.findUniqueOrThrow({ ...query, where: { id: await setUserActive(ctx.services, ctx.user, String(args.userId), args.active) } }),
  }),
  setUserRoles: t.withAuth({ anyRole: ['ADMIN', 'OPS_MANAGER'] }).prismaField({
    type: 'User',
    errors: {},
    description: "Replaces an account's roles; role pairs that break separation of duties are refused; its sessions end.",
    args: { userId: t.arg.id(), roles: t.arg({ type: [RoleEnum] }) },
    resolve: async (query, _root, args, ctx) =>
      ctx.services.prisma.user.findUniqueOrThrow({ ...query, where: { id: await setUserRoles(ctx.services, ctx.user, String(args.userId), [...args.roles]) } }),
  }),
  revokeUserSessions: t.withAuth({ anyRole: ['ADMIN', 'OPS_MANAGER'] }).int({
    errors: { directResult: false },
    description: 'Ends every session of an account; returns how many ended.',
    args: { userId: t.arg.id() },
    resolve: (_root, args, ctx) => revokeUserSessions(ctx.services, ctx.user, String(args.userId)),
  }),
  resetPassword: t.withAuth({ anyRole: ['ADMIN', 'OPS_MANAGER'] }).string({
    errors: { directResult: false },
    description: 'Gives an account a new random password, returned once (hand it over out of band); its sessions end.',
    args: { userId: t.arg.id() },
    resolve: (_root, args, ctx) => resetPassword(ctx.services, ctx.user, String(args.userId)),
  }),
  changePassword: t.withAuth({ authenticated: true }).string({
    errors: { directResult: false },
    description: 'Changes your own password; every session ends and a new token for this one is returned.',
    args: { currentPassword: t.arg.string(), newPassword: t.arg.string() },
    resolve: (_root, args, ctx) => changeOwnPassword(ctx.services, ctx.user, args.currentPassword, args.newPassword, ctx.token),
  }),
  grantCredential: t.withAuth({ anyRole: ['ADMIN', 'OPS_MANAGER'] }).prismaField({
    type: 'User',
    errors: {},
    args: { userId: t.arg.id(), kind: t.arg.string(), issuer: t.arg.string(), expiresAt: t.arg({ type: 'DateTime', required: false }) },
    resolve: async (query, _root, args, ctx) =>
      ctx.services.prisma.user.findUniqueOrThrow({
        ...query,
        where: { id: await grantCredential(ctx.services, ctx.user, String(args.userId), args.kind, args.issuer, args.expiresAt ?? null) },
      }),
  }),
}));
