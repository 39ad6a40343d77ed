// Creating batches at the largest size allowed, on a real PostgreSQL database: 100,000 tasks are written in
// one transaction (the asset ids travel as one array parameter, so PostgreSQL's 65,535-parameter limit is
// never near), and bad input is refused with a short, specific message and nothing written.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrisma, type PrismaClient } from '@suture/db';
import type { AuthUser } from '@suture/api/auth/sessions';
import type { Services } from '@suture/api/context';
import { DomainError } from '@suture/api/errors';
import { createBatch, MAX_TASKS_PER_BATCH } from '@suture/api/services/batches';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';

describe('createBatch at scale', () => {
  let db: TestDatabase;
  let prisma: PrismaClient;
  /** createBatch needs only the database; the other services stay out of this test. */
  let services: Services;
  let ops: AuthUser;
  let campaignId: string;
  let otherCampaignId: string;
  let assetIds: string[];

  beforeAll(async () => {
    db = await createTestDatabase();
    prisma = createPrisma(db.url);
    services = { prisma } as unknown as Services;
    const user = await prisma.user.create({ data: { email: 'ops@suture.test', name: 'Ops', passwordHash: 'unused', roles: ['OPS_MANAGER'] } });
    ops = { id: user.id, email: user.email, name: user.name, roles: user.roles };
    const campaign = (name: string) =>
      prisma.campaign.create({ data: { name, status: 'ACTIVE', labelSchema: { geometry: 'classification', classes: [{ key: 'a', name: 'a' }] }, qaSettings: {} } });
    campaignId = (await campaign('Large')).id;
    otherCampaignId = (await campaign('Other')).id;
    // The largest batch's assets, written straight into the database.
    const rows = await prisma.$queryRaw<Array<{ id: string }>>`
      INSERT INTO "Asset" (id, "campaignId", kind, key, "contentType", status)
      SELECT gen_random_uuid(), ${campaignId}::uuid, 'IMAGE', 'bulk/' || g, 'image/png', 'READY' FROM generate_series(1, ${MAX_TASKS_PER_BATCH}::int) g
      RETURNING id::text`;
    assetIds = rows.map((r) => r.id);
  }, 120_000);

  afterAll(async () => {
    await prisma?.$disconnect();
    await db?.drop();
  });

  const refusal = async (input: Parameters<typeof createBatch>[2]): Promise<DomainError> => {
    const error = await createBatch(services, ops, input).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DomainError);
    return error as DomainError;
  };

  it(`writes a batch of ${MAX_TASKS_PER_BATCH} tasks in one go, each asset once, however often it is listed`, async () => {
    const batchId = await createBatch(services, ops, { campaignId, name: 'Everything', assetIds: [...assetIds, ...assetIds.slice(0, 500)] });
    const tasks = await prisma.task.groupBy({ by: ['assetId'], where: { batchId }, _count: true });
    expect(tasks).toHaveLength(MAX_TASKS_PER_BATCH);
    expect(tasks.every((t) => t._count === 1)).toBe(true);
    expect(new Set(tasks.map((t) => t.assetId))).toEqual(new Set(assetIds));
    const audit = await prisma.auditEvent.findFirstOrThrow({ where: { action: 'batch.created', entityId: batchId } });
    expect(audit.data).toEqual({ tasks: MAX_TASKS_PER_BATCH, pilot: false });
  }, 120_000);

  it('writes one task per listed frame of each asset', async () => {
    const batchId = await createBatch(services, ops, { campaignId, name: 'Frames', assetIds: assetIds.slice(0, 3), frames: [0, 10, 10, 20] });
    const tasks = await prisma.task.findMany({ where: { batchId }, select: { assetId: true, frameIndex: true } });
    expect(tasks).toHaveLength(9);
    for (const id of assetIds.slice(0, 3))
      expect(
        tasks
          .filter((t) => t.assetId === id)
          .map((t) => t.frameIndex)
          .sort((a, b) => a! - b!),
      ).toEqual([0, 10, 20]);
  });

  it('refuses bad input with a specific, bounded message and writes nothing', async () => {
    const batchesBefore = await prisma.batch.count();
    const tasksBefore = await prisma.task.count();

    const tooMany = await refusal({ campaignId, name: 'Too big', assetIds: assetIds.slice(0, 2), frames: Array.from({ length: MAX_TASKS_PER_BATCH / 2 + 1 }, (_, i) => i) });
    expect(tooMany.message).toBe(`a batch holds at most ${MAX_TASKS_PER_BATCH} tasks; split it`);

    const malformed = await refusal({ campaignId, name: 'Typos', assetIds: [assetIds[0]!, ...Array.from({ length: 30 }, (_, i) => `not-a-uuid-${i}`)] });
    expect(malformed.code).toBe('INVALID_INPUT');
    expect(malformed.message).toMatch(/^asset ids must be UUIDs: asset "not-a-uuid-0"; .*; asset "not-a-uuid-19"; and 10 more$/);

    // Valid ids of assets elsewhere (another campaign, or none at all): named, and the list is bounded.
    const elsewhere = await prisma.asset.create({ data: { campaignId: otherCampaignId, kind: 'IMAGE', key: 'other/1', contentType: 'image/png', status: 'READY' } });
    const strangers = [elsewhere.id, ...Array.from({ length: 24 }, () => randomUUID())];
    const missing = await refusal({ campaignId, name: 'Strangers', assetIds: [...assetIds.slice(0, 1000), ...strangers] });
    expect(missing.message).toMatch(new RegExp(`^assets not in this campaign: asset ${elsewhere.id}; .*; and 5 more$`));

    const negative = await refusal({ campaignId, name: 'Negative', assetIds: assetIds.slice(0, 1), frames: [-1] });
    expect(negative.message).toBe('frames must be non-negative integers');
    expect((await refusal({ campaignId: randomUUID(), name: 'Nowhere', assetIds: assetIds.slice(0, 1) })).code).toBe('NOT_FOUND');

    expect(await prisma.batch.count()).toBe(batchesBefore);
    expect(await prisma.task.count()).toBe(tasksBefore);
  });
});
