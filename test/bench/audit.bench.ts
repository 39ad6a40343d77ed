// Audited-write throughput: N clients each run transactions that change a row and append an audit event,
// with the unlocked append (this design: one INSERT, chained later by the sealer) beside the previous
// design measured in the same run on the same database (a global advisory lock held to commit, the last
// hash read, a SHA-256 chained at append). Then how fast the sealer chains and verify checks the log.
import { createHash, randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { BenchFigure, BenchSuite } from './types.ts';

const CLIENTS = [1, 16, 64];
const SECONDS = 4;
/** Work inside each audited transaction besides the append, as a real write has (ms of round trips). */
const ROWS = 64;

const suite: BenchSuite = {
  id: 'audit',
  title: 'Audit log: audited writes with the unlocked append vs the global chain lock',
  async run(): Promise<BenchFigure[]> {
    const [{ createTestDatabase }, { createPrisma }, auditLog] = await Promise.all([
      import('../support/db.ts'),
      import('@suture/db'),
      import('@suture/workflows/services/audit-log'),
    ]);
    const db = await createTestDatabase('suture_bench_audit');
    const prisma = createPrisma(db.appUrl, { max: Math.max(...CLIENTS) });
    const figures: BenchFigure[] = [];
    try {
      // One row per client to change (no contention besides the audit log's own).
      const skills = await Promise.all(Array.from({ length: ROWS }, (_, i) => prisma.skill.create({ data: { key: `bench-${i}`, name: `Bench ${i}` }, select: { id: true } })));
      type Append = (tx: Parameters<Parameters<typeof prisma.$transaction>[0]>[0], i: number) => Promise<void>;
      const unlocked: Append = (tx, i) => auditLog.appendAudit(tx, { actorId: null, action: 'bench.write', entityType: 'Skill', entityId: skills[i % ROWS]!.id, data: { i } });
      // The previous design: the lock is taken at the append and held to commit, so every audited
      // transaction of the system runs one at a time from that point.
      const locked: Append = async (tx, i) => {
        await tx.$executeRaw`SELECT pg_advisory_xact_lock(7201411)`;
        const last = await tx.auditEvent.findFirst({ orderBy: { seq: 'desc' }, select: { seq: true } });
        createHash('sha256')
          .update(String(last?.seq ?? 0))
          .update(String(i))
          .digest('hex');
        await tx.auditEvent.create({ data: { action: 'bench.write', entityType: 'Skill', entityId: skills[i % ROWS]!.id, data: { i } }, select: { seq: true } });
      };
      const measure = async (clients: number, append: Append): Promise<number> => {
        let done = 0;
        const deadline = performance.now() + SECONDS * 1000;
        const t0 = performance.now();
        await Promise.all(
          Array.from({ length: clients }, async (_, c) => {
            while (performance.now() < deadline) {
              const i = c;
              await prisma.$transaction(async (tx) => {
                // The audited change, then the append, then the rest of the transaction (one more statement).
                await tx.$executeRaw`UPDATE "Skill" SET name = name WHERE id = ${skills[i % ROWS]!.id}::uuid`;
                await append(tx, done);
                await tx.$queryRaw`SELECT 1`;
              });
              done += 1;
            }
          }),
        );
        return done / ((performance.now() - t0) / 1000);
      };
      for (const clients of CLIENTS) {
        // Baseline first and after, alternating, to spread any drift.
        const lockedA = await measure(clients, locked);
        const free = await measure(clients, unlocked);
        const lockedB = await measure(clients, locked);
        const baseline = (lockedA + lockedB) / 2;
        figures.push({
          name: `audited writes, ${clients} concurrent clients, unlocked append`,
          unit: 'writes/s',
          value: free,
          baselineName: 'same, global chain lock held to commit (previous design)',
          baselineValue: baseline,
          ratio: free / baseline,
          note: 'higher is better',
          extra: { lockedBefore: Math.round(lockedA), lockedAfter: Math.round(lockedB) },
        });
      }
      // The sealer chains everything appended above; verify recomputes it.
      const key = randomBytes(32).toString('base64url');
      const events = await prisma.auditEvent.count();
      let t = performance.now();
      let sealed = 0;
      for (;;) {
        const r = await auditLog.sealAuditLog(prisma, { key, anchors: null });
        sealed += r.sealed;
        if (r.sealed === 0) break;
      }
      const sealPerSecond = sealed / ((performance.now() - t) / 1000);
      t = performance.now();
      const verified = await auditLog.verifyAuditChain(prisma, { key, anchors: null });
      const verifyPerSecond = verified.events / ((performance.now() - t) / 1000);
      const peakAppends = figures.at(-1)!.value;
      figures.push({
        name: `sealer: events chained (${events} events)`,
        unit: 'events/s',
        value: sealPerSecond,
        baselineName: `appends at ${CLIENTS.at(-1)} clients (the rate it must keep up with)`,
        baselineValue: peakAppends,
        ratio: sealPerSecond / peakAppends,
        note: 'above 1: one sealer keeps up with the peak append rate',
        extra: { sealed, ok: String(verified.ok) },
      });
      figures.push({
        name: `verifyAuditChain (${verified.events} events)`,
        unit: 'events/s',
        value: verifyPerSecond,
        baselineName: 'sealer rate',
        baselineValue: sealPerSecond,
        ratio: verifyPerSecond / sealPerSecond,
        note: 'higher is better',
        extra: { ok: String(verified.ok) },
      });
      return figures;
    } finally {
      await prisma.$disconnect();
      await db.drop();
    }
  },
};

export default suite;
