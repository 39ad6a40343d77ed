// The demo that `suture up` seeds: one campaign per annotation type on the public data in ../shared/data,
// each batch ingested through the real pipeline (DICOM and NIfTI de-identification, video proxies) and
// open for the demo annotators, who can claim a task of every campaign.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { geometryKinds } from '@suture/workflows/domain/label-schema';
import { seedDemo, sharedDataDir } from '@suture/api/cli/seed';
import { gql, startStack, waitFor, type Stack } from '../support/stack.ts';
import { login } from '../support/scenario.ts';

describe('demo seed', () => {
  let stack: Stack;
  let dataDir: string;

  beforeAll(async () => {
    stack = await startStack();
    dataDir = mkdtempSync(join(tmpdir(), 'suture-demo-'));
  }, 300_000);

  afterAll(async () => {
    await stack?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('seeds one campaign per annotation type on real data, each labelable by the demo annotators', async () => {
    expect(sharedDataDir()).not.toBeNull();
    const seeded = await seedDemo(stack.services, dataDir, { frames: 4 });
    expect(seeded.created).toBe(true);
    const campaigns = await stack.prisma.campaign.findMany({ include: { assets: true, batches: true } });
    const kinds = campaigns.map((c) => (c.labelSchema as { geometry: string }).geometry).sort();
    expect(kinds).toEqual([...geometryKinds].sort());
    // Real data where it exists: endoscopy DICOM frames, a NIfTI volume and a DICOM MR.
    expect(campaigns.flatMap((c) => c.assets.map((a) => a.kind)).filter((k) => k === 'DICOM').length).toBeGreaterThan(0);
    expect(campaigns.flatMap((c) => c.assets.map((a) => a.kind))).toContain('NIFTI');

    await waitFor(
      'every demo batch open for claims',
      async () => {
        const failed = await stack.prisma.asset.findMany({ where: { status: 'FAILED' }, select: { errorCode: true, errorMessage: true } });
        if (failed.length) return { failed };
        const open = await stack.prisma.task.groupBy({ by: ['campaignId'], where: { status: 'OPEN' } });
        return open.length === campaigns.length ? { failed } : null;
      },
      420_000,
    ).then((r) => expect(r.failed).toEqual([]));

    // A demo annotator (their password is in the logins file) claims a task of each campaign.
    const ann = seeded.logins.find((l) => l.email === 'ann@demo.suture')!;
    const token = await login(stack, ann.email, ann.password);
    for (const c of campaigns) {
      const claim = await gql<{ claimNextTask: { id?: string; code?: string; message?: string } }>(
        stack.apiUrl,
        token,
        `mutation($c: ID!) { claimNextTask(campaignId: $c) { ... on Assignment { id } ... on DomainError { code message } } }`,
        { c: c.id },
      );
      expect(claim.claimNextTask.id, `${c.name}: ${claim.claimNextTask.code} ${claim.claimNextTask.message}`).toBeDefined();
      // Release it (one live claim per annotator): expire the lease, as a walk-away would.
      await stack.prisma.assignment.update({ where: { id: claim.claimNextTask.id! }, data: { leaseExpiresAt: new Date(Date.now() - 1000) } });
    }
  });
});
