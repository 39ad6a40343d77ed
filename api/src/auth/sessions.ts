// Bearer-token sessions. Only the token's SHA-256 is stored; lookups are cached briefly per process
// because every request authenticates and the claim path is hot.
import { createHash, randomBytes } from 'node:crypto';
import type { PrismaClient, Role } from '@suture/db';
import { FailureThrottle, LOGIN_THROTTLE } from './throttle.ts';

export interface AuthUser {
  id: string;
  email: string;
  name: string;
  roles: Role[];
}

const CACHE_MS = 15_000;

export class SessionStore {
  private readonly cache = new Map<string, { user: AuthUser | null; until: number; expiresAt: number }>();
  /** Failed logins per account name (existing or not) and per client address. */
  readonly failedLoginsByAccount = new FailureThrottle();
  // A client address may be a whole hospital behind one NAT: more room before it waits.
  readonly failedLoginsByClient = new FailureThrottle({ ...LOGIN_THROTTLE, freeFailures: 30 });

  constructor(
    private readonly prisma: PrismaClient,
    private readonly ttlHours: number,
  ) {}

  static hash(token: string): string {
    return createHash('sha256').update(token).digest('hex');
  }

  async create(userId: string): Promise<{ token: string; expiresAt: Date }> {
    const token = randomBytes(32).toString('base64url');
    const expiresAt = new Date(Date.now() + this.ttlHours * 3_600_000);
    await this.prisma.session.create({ data: { tokenHash: SessionStore.hash(token), userId, expiresAt } });
    return { token, expiresAt };
  }

  async revoke(token: string): Promise<void> {
    const tokenHash = SessionStore.hash(token);
    this.cache.delete(tokenHash);
    await this.prisma.session.deleteMany({ where: { tokenHash } });
  }

  async resolve(token: string): Promise<AuthUser | null> {
    const tokenHash = SessionStore.hash(token);
    const now = Date.now();
    const hit = this.cache.get(tokenHash);
    if (hit && hit.until > now && hit.expiresAt > now) return hit.user;
    const session = await this.prisma.session.findUnique({
      where: { tokenHash },
      select: { expiresAt: true, user: { select: { id: true, email: true, name: true, roles: true, active: true } } },
    });
    const valid = session && session.expiresAt.getTime() > now && session.user.active;
    const user = valid ? { id: session.user.id, email: session.user.email, name: session.user.name, roles: session.user.roles } : null;
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(tokenHash, { user, until: now + CACHE_MS, expiresAt: session?.expiresAt.getTime() ?? 0 });
    return user;
  }
}
