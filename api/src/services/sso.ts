// Single sign-on: an OpenID Connect identity becomes a Suture session. Only existing, active accounts sign on
// (no self-registration), matched by the provider's verified email; the provider's identity (issuer and
// `sub`) is bound to the account at the first sign-on and must match at every later one.
import { appendAudit } from '@suture/workflows/services/audit-log';
import type { OidcFlow, OidcIdentity } from '../auth/oidc.ts';
import type { Services } from '../context.ts';
import { DomainError } from '../errors.ts';

function provider(services: Services) {
  if (!services.oidc) throw new DomainError('NOT_FOUND', 'single sign-on is not configured on this Suture');
  return services.oidc;
}

/** A provider that cannot be reached: logged for operators, said plainly to the user. */
function unavailable(services: Services, error: unknown): never {
  if (error instanceof DomainError) throw error;
  services.log('warn', 'single sign-on provider unavailable', { reason: error instanceof Error ? error.message : String(error) });
  throw new DomainError('UNAUTHENTICATED', 'the sign-on provider is not answering; try again in a moment or sign in with your password');
}

export async function beginOidcLogin(services: Services): Promise<OidcFlow & { authorizationUrl: string }> {
  const sso = provider(services);
  try {
    return await sso.begin();
  } catch (error) {
    return unavailable(services, error);
  }
}

/**
 * Finishes a sign-on from the provider's callback (its query string) and the flow secrets the console kept,
 * and opens a session as `login` does. Refusals name the reason; the audit log and the logs carry ids and
 * reasons only, never the email or any claim.
 */
export async function completeOidcLogin(
  services: Services,
  callbackQuery: string,
  flow: OidcFlow,
  clientAddress: string | null = null,
): Promise<{ token: string; expiresAt: Date; userId: string }> {
  const sso = provider(services);
  let identity: OidcIdentity;
  try {
    identity = await sso.complete(callbackQuery, flow);
  } catch (error) {
    if (error instanceof DomainError) services.log('warn', 'single sign-on refused by the protocol checks', { clientAddress, reason: error.message });
    return unavailable(services, error);
  }
  const email = identity.email?.trim().toLowerCase() ?? '';
  if (!email || !identity.emailVerified) {
    services.log('warn', 'single sign-on without a verified email', { clientAddress });
    throw new DomainError('UNAUTHENTICATED', 'the sign-on provider did not confirm an email address for you; Suture needs a verified email');
  }
  const user = email.length <= 320 ? await services.prisma.user.findUnique({ where: { email }, select: { id: true, active: true, oidcIssuer: true, oidcSubject: true } }) : null;
  if (!user) {
    services.log('warn', 'single sign-on for an email without a Suture account', { clientAddress });
    throw new DomainError('UNAUTHENTICATED', 'there is no Suture account for this email; ask an administrator to invite you');
  }
  const refuse = async (reason: string, message: string): Promise<never> => {
    await services.prisma.$transaction((tx) =>
      appendAudit(tx, { actorId: null, action: 'user.login-failed', entityType: 'User', entityId: user.id, data: { method: 'oidc', reason } }),
    );
    throw new DomainError('UNAUTHENTICATED', message);
  };
  if (!user.active) return refuse('deactivated', 'your Suture account is deactivated; ask an administrator');
  const bound = user.oidcSubject !== null || user.oidcIssuer !== null;
  if (bound && (user.oidcSubject !== identity.subject || user.oidcIssuer !== identity.issuer)) {
    return refuse('identity-mismatch', 'your Suture account is bound to another single sign-on identity; ask an administrator');
  }
  if (!bound) {
    const other = await services.prisma.user.findFirst({ where: { oidcIssuer: identity.issuer, oidcSubject: identity.subject, NOT: { id: user.id } }, select: { id: true } });
    if (other) return refuse('identity-in-use', 'this single sign-on identity is bound to another Suture account; ask an administrator');
    await services.prisma.$transaction(async (tx) => {
      // Only an unbound, active account is bound: a concurrent sign-on or deactivation wins.
      const { count } = await tx.user.updateMany({ where: { id: user.id, active: true, oidcSubject: null }, data: { oidcIssuer: identity.issuer, oidcSubject: identity.subject } });
      if (count !== 1) throw new DomainError('CONFLICT', 'your account changed during sign-on; try again');
      await appendAudit(tx, { actorId: user.id, action: 'user.sso-bound', entityType: 'User', entityId: user.id, data: { method: 'oidc' } });
    });
  }
  const session = await services.sessions.create(user.id);
  await services.prisma.$transaction((tx) => appendAudit(tx, { actorId: user.id, action: 'user.login', entityType: 'User', entityId: user.id, data: { method: 'oidc' } }));
  return { ...session, userId: user.id };
}
