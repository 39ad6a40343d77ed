// Organisations (tenants) are made by whoever operates the installation, with database access
// (`suture org create`): a tenant cannot create another tenant through the API. Each starts with one admin
// who gets a one-time password and sets up the rest (users, campaigns, memberships) through the API.
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { PrismaClient } from '@suture/db';
import { displayName } from '@suture/workflows/domain/text';
import { appendAudit } from '@suture/workflows/services/audit-log';
import { hashPassword } from '../auth/passwords.ts';
import { DomainError, InvalidInputError } from '../errors.ts';

const organizationSchema = z.object({
  name: displayName(),
  adminEmail: z.string().trim().toLowerCase().email('the admin email is not an email address').max(320),
  adminName: displayName(),
});

export interface NewOrganization {
  organizationId: string;
  adminId: string;
  /** The admin's one-time password: shown once, to be handed over out of band and changed at first sign-in. */
  password: string;
}

export async function createOrganization(prisma: PrismaClient, input: { name: string; adminEmail: string; adminName: string }): Promise<NewOrganization> {
  const parsed = organizationSchema.safeParse(input);
  if (!parsed.success)
    throw new InvalidInputError(
      'invalid organisation',
      parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`),
    );
  const data = parsed.data;
  const password = randomBytes(18).toString('base64url');
  const passwordHash = await hashPassword(password);
  return prisma.$transaction(async (tx) => {
    if (await tx.organization.findUnique({ where: { name: data.name }, select: { id: true } })) throw new DomainError('CONFLICT', `an organisation named '${data.name}' exists`);
    if (await tx.user.findUnique({ where: { email: data.adminEmail }, select: { id: true } })) throw new DomainError('CONFLICT', 'a user with this email exists');
    const organization = await tx.organization.create({ data: { name: data.name } });
    const admin = await tx.user.create({ data: { email: data.adminEmail, name: data.adminName, passwordHash, roles: ['ADMIN'], organizationId: organization.id } });
    await appendAudit(tx, { actorId: null, action: 'organization.created', entityType: 'Organization', entityId: organization.id, data: { adminId: admin.id } });
    return { organizationId: organization.id, adminId: admin.id, password };
  });
}
