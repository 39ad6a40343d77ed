// Ingest and de-identification as the batch's first stage, on the real files in ../shared/data/medical:
// good files become de-identified derivatives (originals gone), bad files fail with a specific error on
// their asset, are never half-stored, and do not stop the rest of the batch.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { readDicom, stringOf } from '@suture/workflows/media/index';
import { gql, startStack, waitFor, type Stack } from '../support/stack.ts';
import { bootstrapAdmin, register, startBatch, syntheticFrame, uploadAsset, type Person } from '../support/scenario.ts';
import { dataPath } from '../support/paths.ts';

describe('ingest stage', () => {
  let stack: Stack;
  let ops: Person;
  let work: string;

  beforeAll(async () => {
    stack = await startStack();
    const admin = await bootstrapAdmin(stack);
    ops = await register(stack, admin, 'Olivia Ops', ['OPS_MANAGER']);
    work = mkdtempSync(join(tmpdir(), 'suture-ingest-test-'));
  }, 300_000);

  afterAll(async () => {
    rmSync(work, { recursive: true, force: true });
    await stack?.stop();
  });

  it('de-identifies good files, fails bad ones with specific errors, and keeps the batch going', async () => {
    const created = await gql<{ createCampaign: { id: string } }>(
      stack.apiUrl,
      ops.token,
      `mutation($i: CreateCampaignInput!) { createCampaign(input: $i) { ... on Campaign { id } ... on DomainError { message } } }`,
      {
        i: {
          name: 'Mixed media',
          labelSchema: {
            geometry: 'classification',
            classes: [
              { key: 'normal', name: 'Normal' },
              { key: 'finding', name: 'Finding' },
            ],
          },
          overlap: 2,
          agreementThreshold: 1,
        },
      },
    );
    const campaignId = created.createCampaign.id;
    const video = join(work, 'clip.mp4');
    execFileSync('ffmpeg', [
      '-hide_banner',
      '-loglevel',
      'error',
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=160x120:rate=10:duration=2',
      '-metadata',
      'creation_time=2021-03-04T05:06:07Z',
      '-metadata',
      'comment=patient 4711',
      '-pix_fmt',
      'yuv420p',
      video,
    ]);
    const png = await syntheticFrame(3);
    const ct = readFileSync(dataPath('medical', 'dicom', 'CT_small.dcm'));
    const files: Array<{ name: string; body: Buffer; type: string; expect: string }> = [
      { name: 'ct', body: ct, type: 'application/dicom', expect: 'READY' },
      { name: 'nifti', body: readFileSync(dataPath('medical', 'nifti', 'anatomical.nii')), type: 'application/x-nifti', expect: 'READY' },
      { name: 'video', body: readFileSync(video), type: 'video/mp4', expect: 'READY' },
      { name: 'png', body: png, type: 'image/png', expect: 'READY' },
      { name: 'truncated', body: readFileSync(dataPath('medical', 'dicom', 'MR_truncated.dcm')), type: 'application/dicom', expect: 'FAILED' },
      { name: 'mismatch', body: await syntheticFrame(7), type: 'application/dicom', expect: 'FAILED' },
      { name: 'cut-video', body: readFileSync(video).subarray(0, 3000), type: 'video/mp4', expect: 'FAILED' },
    ];
    const ids: Record<string, string> = {};
    for (const f of files) ids[f.name] = await uploadAsset(stack, ops, campaignId, f.body, f.type);
    // The same CT again: whichever copy the worker reaches second is the duplicate.
    const copyId = await uploadAsset(stack, ops, campaignId, ct, 'application/dicom');
    const batch = await gql<{ createBatch: { id: string } }>(
      stack.apiUrl,
      ops.token,
      `mutation($c: ID!, $a: [ID!]!) { createBatch(campaignId: $c, name: "mixed", assetIds: $a) { ... on Batch { id } ... on DomainError { message } } }`,
      {
        c: campaignId,
        a: [...Object.values(ids), copyId],
      },
    );
    const batchId = batch.createBatch.id;
    await gql(stack.apiUrl, ops.token, `mutation($c: ID!) { setCampaignStatus(id: $c, status: ACTIVE) { ... on Campaign { id } } }`, { c: campaignId });
    await startBatch(stack, ops, batchId);
    await waitFor('batch opened', async () => (await stack.prisma.batch.findUniqueOrThrow({ where: { id: batchId } })).stage === 'LABELING', 240_000);

    const assets = await stack.prisma.asset.findMany({ where: { campaignId } });
    const [first, second] = [ids.ct!, copyId].map((id) => assets.find((a) => a.id === id)!).sort((a, b) => (a.status === 'READY' ? -1 : b.status === 'READY' ? 1 : 0));
    expect([first!.status, second!.status]).toEqual(['READY', 'FAILED']);
    expect(second!.errorCode).toBe('DUPLICATE');
    expect(second!.metadata).toMatchObject({ duplicateOf: first!.id });
    ids.ct = first!.id;
    ids.duplicate = second!.id;
    const byName = (n: string) => assets.find((a) => a.id === ids[n])!;
    for (const f of files) expect({ name: f.name, status: byName(f.name).status }).toEqual({ name: f.name, status: f.expect });
    expect(byName('truncated').errorCode).toBeTruthy();
    expect(byName('mismatch').errorCode).toBe('FORMAT_MISMATCH');
    expect(byName('cut-video').errorCode).toBeTruthy();
    for (const a of assets.filter((x) => x.status === 'FAILED')) expect(a.derivativeKey).toBeNull();

    // Failed assets' tasks leave the batch; the others are open for labelling.
    const tasks = await stack.prisma.task.findMany({ where: { batchId } });
    expect(
      tasks
        .filter((t) => t.status === 'EXCLUDED')
        .map((t) => t.assetId)
        .sort(),
    ).toEqual(['truncated', 'mismatch', 'duplicate', 'cut-video'].map((n) => ids[n]).sort());
    expect(tasks.filter((t) => t.status === 'OPEN')).toHaveLength(4);

    // Derivatives exist; originals of good files are gone; nothing of a failed file sits in derived/.
    const listed = await stack.s3.client.send(new ListObjectsV2Command({ Bucket: stack.s3.bucket }));
    const keys = (listed.Contents ?? []).map((c) => c.Key!);
    for (const n of ['ct', 'nifti', 'video', 'png']) {
      expect(keys).toContain(byName(n).derivativeKey);
      expect(keys).not.toContain(byName(n).key);
    }
    for (const n of ['truncated', 'mismatch', 'duplicate', 'cut-video']) expect(keys.some((k) => k.includes(`derived/${campaignId}/${ids[n]}`))).toBe(false);
    expect(keys).toContain(`derived/${campaignId}/${ids.video}/frames.json`);

    // The de-identified DICOM keeps none of the original's identifying values.
    const original = readDicom(ct);
    const phi = [0x00100010, 0x00100020, 0x00080080, 0x00080090].map((tag) => stringOf(original.dataset, tag)).filter((v): v is string => !!v && v.trim().length > 2);
    expect(phi.length).toBeGreaterThan(0);
    const derived = await stack.s3.client.send(new GetObjectCommand({ Bucket: stack.s3.bucket, Key: `derived/${campaignId}/${ids.ct}/deidentified.dcm` }));
    const bytes = Buffer.from(await derived.Body!.transformToByteArray()).toString('latin1');
    for (const value of phi) expect(bytes).not.toContain(value.trim());
    // The video derivative carries no container metadata from the original.
    const proxy = await stack.s3.client.send(new GetObjectCommand({ Bucket: stack.s3.bucket, Key: byName('video').derivativeKey! }));
    const proxyPath = join(work, 'proxy.mp4');
    writeFileSync(proxyPath, await proxy.Body!.transformToByteArray());
    const tags = execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'format_tags:stream_tags', '-of', 'json', proxyPath], { encoding: 'utf8' });
    expect(tags).not.toContain('4711');
    expect(tags).not.toContain('2021-03-04');
    // Audit events name codes, never file content.
    const events = await stack.prisma.auditEvent.findMany({ where: { entityType: 'Asset' } });
    for (const e of events) for (const value of phi) expect(JSON.stringify(e.data)).not.toContain(value.trim());
  });
});
