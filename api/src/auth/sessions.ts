// Bearer-token sessions. Only the token's SHA-256 is stored; lookups are cached briefly per process
// because every request authenticates and the claim path is hot.
import { createHash, randomBytes } from 'node:crypto';
import type { PoolClient } from 'pg';
import { poolOf, type PrismaClient, type Role } from '@suture/db';
import { FailureThrottle, LOGIN_THROTTLE } from './throttle.ts';

export interface AuthUser {
  id: string;
  email: string;
  name: string;
  roles: Role[];
  /** The organisation (tenant) the user belongs to: they see nothing of any other. */
  organizationId: string;
}

const CACHE_MS = 15_000;
const REVOKED_CHANNEL = 'suture_sessions_revoked';

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

  /**
   * Ends every session of a user (deactivation, role change, password reset) in the database, in this
   * process's cache, and, through PostgreSQL NOTIFY on commit, in the cache of every other API process.
   */
  async revokeUser(tx: Pick<PrismaClient, '$executeRaw'>, userId: string): Promise<number> {
    const removed = await tx.$executeRaw`DELETE FROM "Session" WHERE "userId" = ${userId}::uuid`;
    await tx.$executeRaw`SELECT pg_notify(${REVOKED_CHANNEL}, ${userId})`;
    this.evictUser(userId);
    return removed;
  }

  /** Drops the cached sessions of a user (this process only). */
  evictUser(userId: string): void {
    for (const [hash, entry] of this.cache) if (entry.user?.id === userId) this.cache.delete(hash);
  }

  /**
   * Listens for revocations made by other processes, so that a deactivated user's cached session ends at
   * once everywhere rather than when its cache entry runs out. Returns a function that stops listening.
   */
  async listen(): Promise<() => Promise<void>> {
    const pool = poolOf(this.prisma);
    if (!pool) throw new Error('SessionStore.listen needs a Prisma client made by createPrisma');
    let stopped = false;
    let client: PoolClient | undefined;
    const connect = async (): Promise<void> => {
      const c = await pool.connect();
      c.on('notification', (n) => {
        if (n.channel === REVOKED_CHANNEL && n.payload) this.evictUser(n.payload);
      });
      c.on('error', () => {
        // Revocations may be missed while the connection is down: trust no cached session, and listen again.
        this.cache.clear();
        c.release(true);
        if (!stopped) setTimeout(() => void connect().catch(() => this.cache.clear()), 1_000);
      });
      await c.query(`LISTEN ${REVOKED_CHANNEL}`);
      client = c;
    };
    await connect();
    return async () => {
      stopped = true;
      const c = client;
      client = undefined;
      if (!c) return;
      try {
        await c.query(`UNLISTEN ${REVOKED_CHANNEL}`);
      } finally {
        c.release();
      }
    };
  }

  async resolve(token: string): Promise<AuthUser | null> {
    const tokenHash = SessionStore.hash(token);
    const now = Date.now();
    const hit = this.cache.get(tokenHash);
    if (hit && hit.until > now && hit.expiresAt > now) return hit.user;
    const session = await this.prisma.session.findUnique({
      where: { tokenHash },
      select: { expiresAt: true, user: { select: { id: true, email: true, name: true, roles: true, active: true, organizationId: true } } },
    });
    const valid = session && session.expiresAt.getTime() > now && session.user.active;
    const user = valid ? { id: session.user.id, email: session.user.email, name: session.user.name, roles: session.user.roles, organizationId: session.user.organizationId } : null;
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(tokenHash, { user, until: now + CACHE_MS, expiresAt: session?.expiresAt.getTime() ?? 0 });
    return user;
  }
}
