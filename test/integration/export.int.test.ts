// Exports on real PostgreSQL and S3 (s3rver): a mask campaign with accepted tasks on an image and on video
// frames is seeded in the database, its frames.json uploaded, and runExport streams COCO and native JSON into
// S3. The COCO file is checked by python3 (json + numpy) decoding the RLE from the published maskApi
// definition, not by Suture's code; frame numbers must be source frames; a second export gives the same bytes.
import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { createPrisma, type PrismaClient } from '@suture/db';
import { createApp } from '@suture/api/app';
import { SessionStore } from '@suture/api/auth/sessions';
import { runExport } from '@suture/workflows/export/run';
import { trimmedFrameMap } from '@suture/workflows/export/testing';
import { rleEncode, rleToString } from '@suture/workflows/quality';
import { createTestDatabase, type TestDatabase } from '../support/db.ts';
import { startTestS3, type TestS3 } from '../support/s3.ts';
import { repoRoot } from '../support/paths.ts';
import { gql } from '../support/stack.ts';

const run = promisify(execFile);

/** maskApi.c's RLE string decoding and column-major runs, as published; independent of Suture's code. */
const cocoCheck = String.raw`
import json, sys
import numpy as np

def rle_from_string(s):
    counts, p = [], 0
    while p < len(s):
        x, k, more = 0, 0, True
        while more:
            c = ord(s[p]) - 48
            x |= (c & 0x1f) << (5 * k)
            more = (c & 0x20) != 0
            p += 1; k += 1
            if not more and (c & 0x10):
                x |= -1 << (5 * k)
        if len(counts) > 2:
            x += counts[-2]
        counts.append(x)
    return counts

def decode(seg):
    h, w = seg["size"]
    flat = np.zeros(h * w, dtype=np.uint8)
    pos, val = 0, 0
    for c in rle_from_string(seg["counts"]):
        flat[pos:pos + c] = val
        pos += c; val = 1 - val
    assert pos == h * w, "runs do not cover the image"
    return flat.reshape((w, h)).T  # column-major

doc = json.load(open(sys.argv[1]))
images = {i["id"]: i for i in doc["images"]}
out = []
for a in doc["annotations"]:
    m = decode(a["segmentation"])
    img = images[a["image_id"]]
    ys, xs = np.nonzero(m)
    out.append({"area": int(m.sum()), "declared": a["area"], "bbox": [int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1)],
                "declaredBbox": a["bbox"], "shape": [int(m.shape[0]), int(m.shape[1])], "image": [img["height"], img["width"]], "file": img["file_name"], "frame": img["frame"]})
print(json.dumps(out))
`;

describe('label exports on PostgreSQL and S3', () => {
  let db: TestDatabase;
  let s3: TestS3;
  let prisma: PrismaClient;
  let campaignId: string;
  let batchId: string;
  let videoId: string;
  let annotators: Array<{ id: string; email: string; name: string }>;
  const secret = randomBytes(32).toString('base64url');
  const deps = () => ({ prisma, s3: s3.client, bucket: s3.bucket, pseudonymSecret: secret });

  /** A mask of a w×h rectangle at (x, y) on a width×height image, as stored (COCO compressed RLE). */
  function rectMask(width: number, height: number, x: number, y: number, w: number, h: number) {
    const data = new Uint8Array(width * height);
    for (let r = y; r < y + h; r++) for (let c = x; c < x + w; c++) data[r * width + c] = 1;
    const rle = rleEncode({ width, height, data });
    return { size: rle.size, counts: rleToString(rle) };
  }

  async function download(key: string): Promise<Buffer> {
    const res = await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }));
    return Buffer.from(await res.Body!.transformToByteArray());
  }

  beforeAll(async () => {
    [db, s3] = await Promise.all([createTestDatabase(), startTestS3()]);
    prisma = createPrisma(db.url, { max: 5 });
    annotators = [];
    for (const name of ['Ann Annotator', 'Ben Annotator', 'Eve Expert']) {
      annotators.push(await prisma.user.create({ data: { email: `${name.split(' ')[0]!.toLowerCase()}@suture.test`, name, passwordHash: 'x', roles: ['ANNOTATOR'] } }));
    }
    const campaign = await prisma.campaign.create({
      data: {
        name: 'Export campaign',
        labelSchema: {
          geometry: 'mask',
          classes: [
            { key: 'grasper', name: 'Grasper' },
            { key: 'clip', name: 'Clip' },
          ],
        },
        qaSettings: {},
        guidelinesVersion: 4,
      },
    });
    campaignId = campaign.id;
    batchId = (await prisma.batch.create({ data: { campaignId, name: 'b1' } })).id;
    const image = await prisma.asset.create({
      data: { campaignId, kind: 'IMAGE', key: `q/${randomBytes(4).toString('hex')}`, contentType: 'image/png', status: 'READY', metadata: { probe: { width: 40, height: 30 } } },
    });
    const video = await prisma.asset.create({
      data: {
        campaignId,
        kind: 'VIDEO',
        key: `q/${randomBytes(4).toString('hex')}`,
        contentType: 'video/mp4',
        status: 'READY',
        metadata: { probe: { width: 1920, height: 1080 }, proxy: { fps: 25, frameCount: 50, width: 64, height: 48 } },
      },
    });
    videoId = video.id;
    // The proxy starts at source frame 300 (the ops manager trimmed 12 s of set-up).
    await s3.client.send(
      new PutObjectCommand({
        Bucket: s3.bucket,
        Key: `derived/${campaignId}/${video.id}/frames.json`,
        Body: JSON.stringify(trimmedFrameMap(50, 25, 300)),
        ContentType: 'application/json',
      }),
    );
    const seeds = [
      { asset: image.id, frame: null, w: 40, h: 30, rect: [3, 4, 10, 5] as const },
      { asset: video.id, frame: 0, w: 64, h: 48, rect: [0, 0, 64, 1] as const },
      { asset: video.id, frame: 7, w: 64, h: 48, rect: [20, 10, 7, 9] as const },
    ];
    for (const s of seeds) {
      const consensus = { objects: [{ label: 'clip', rle: rectMask(s.w, s.h, ...s.rect) }] };
      const task = await prisma.task.create({
        data: {
          batchId,
          campaignId,
          assetId: s.asset,
          frameIndex: s.frame,
          status: 'ACCEPTED',
          consensus,
          consensusMethod: 'staple',
          agreement: 0.9,
          agreementMetric: 'mask-iou',
          acceptedAt: new Date(),
        },
      });
      for (const [slot, user] of annotators.slice(0, 2).entries()) {
        const assignment = await prisma.assignment.create({
          data: { taskId: task.id, userId: user.id, kind: 'LABEL', round: 0, slot: slot + 1, status: 'SUBMITTED', leaseExpiresAt: new Date(), submittedAt: new Date() },
        });
        await prisma.annotation.create({
          data: { assignmentId: assignment.id, taskId: task.id, userId: user.id, version: 1, data: consensus, submitted: true, guidelineVersion: 4 },
        });
      }
    }
    // A task still being labelled is not exported.
    await prisma.task.create({ data: { batchId, campaignId, assetId: image.id, status: 'OPEN' } });
  }, 300_000);

  afterAll(async () => {
    await prisma?.$disconnect();
    await s3?.stop();
    await db?.drop();
  });

  it('streams COCO to S3 with RLE areas and boxes that an independent decoder confirms, on source frames', async () => {
    const first = await runExport(deps(), { campaignId, batchId, format: 'coco' });
    expect(first).toMatchObject({ key: `exports/${campaignId}/${batchId}/coco.json`, items: 3 });
    const bytes = await download(first.key);
    expect(bytes.length).toBe(first.bytes);

    const dir = mkdtempSync(join(tmpdir(), 'suture-export-'));
    writeFileSync(join(dir, 'coco.json'), bytes);
    const r = spawnSync('/usr/bin/python3', ['-c', cocoCheck, join(dir, 'coco.json')], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const checked = JSON.parse(r.stdout) as Array<{
      area: number;
      declared: number;
      bbox: number[];
      declaredBbox: number[];
      shape: number[];
      image: number[];
      file: string;
      frame: number | null;
    }>;
    expect(checked).toHaveLength(3);
    for (const c of checked) {
      expect(c.declared).toBe(c.area);
      expect(c.declaredBbox).toEqual(c.bbox);
      expect(c.shape).toEqual(c.image);
    }
    const byArea = Object.fromEntries(checked.map((c) => [c.area, c]));
    expect(byArea[50]).toMatchObject({ bbox: [3, 4, 10, 5], frame: null });
    expect(byArea[64]).toMatchObject({ bbox: [0, 0, 64, 1], frame: 300, file: `${videoId}_frame_000300.png` });
    expect(byArea[63]).toMatchObject({ bbox: [20, 10, 7, 9], frame: 307, file: `${videoId}_frame_000307.png` });

    // Exporting again gives the same bytes.
    const again = await runExport(deps(), { campaignId, batchId, format: 'coco' });
    expect((await download(again.key)).equals(bytes)).toBe(true);
  });

  it('writes native JSON with every label under a pseudonym, source frames and identical bytes twice', async () => {
    const all = await runExport(deps(), { campaignId, format: 'native' });
    expect(all.key).toBe(`exports/${campaignId}/all/native.json`);
    const bytes = await download(all.key);
    const text = bytes.toString('utf8');
    for (const a of annotators) {
      expect(text).not.toContain(a.id);
      expect(text).not.toContain(a.email);
      expect(text).not.toContain(a.name);
    }
    const doc = JSON.parse(text) as {
      tasks: Array<{
        frame: { source: number; proxy: number; seconds: number } | null;
        labels: Array<{ annotator: string; guidelineVersion: number | null }>;
        guidelinesVersion: number;
      }>;
    };
    expect(doc.tasks).toHaveLength(3);
    expect(new Set(doc.tasks.flatMap((t) => t.labels.map((l) => l.annotator))).size).toBe(2);
    expect(doc.tasks.every((t) => t.labels.every((l) => /^ann-[0-9a-f]{20}$/.test(l.annotator)))).toBe(true);
    // Each label carries the guideline version it was written under.
    expect(doc.tasks.every((t) => t.labels.length > 0 && t.labels.every((l) => l.guidelineVersion === 4))).toBe(true);
    const frames = doc.tasks.map((t) => t.frame).filter((f) => f !== null);
    expect(frames.map((f) => [f.proxy, f.source])).toEqual(
      expect.arrayContaining([
        [0, 300],
        [7, 307],
      ]),
    );
    expect(frames.find((f) => f.proxy === 7)!.seconds).toBeCloseTo(307 / 25, 6);
    const again = await runExport(deps(), { campaignId, format: 'native' });
    expect((await download(again.key)).equals(bytes)).toBe(true);
  });

  it('writes a DICOM SEG of a volume task that references the de-identified DICOM in S3 and passes dciodvfy', async () => {
    const campaign = await prisma.campaign.create({
      data: { name: 'Volume campaign', labelSchema: { geometry: 'volume', classes: [{ key: 'brain', name: 'Brain' }] }, qaSettings: {}, guidelinesVersion: 1 },
    });
    const volumeBatch = await prisma.batch.create({ data: { campaignId: campaign.id, name: 'v1' } });
    // emri_small.dcm: an Enhanced MR of 10 frames of 64 x 64, stored as ingest stores a de-identified DICOM.
    const dicom = readFileSync(join(repoRoot, '..', 'shared', 'data', 'medical', 'dicom', 'emri_small.dcm'));
    const asset = await prisma.asset.create({
      data: {
        campaignId: campaign.id,
        kind: 'DICOM',
        key: `q/${randomBytes(4).toString('hex')}`,
        contentType: 'application/dicom',
        status: 'READY',
        metadata: { probe: { columns: 64, rows: 64, numberOfFrames: 10 } },
      },
    });
    await s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: `derived/${campaign.id}/${asset.id}/deidentified.dcm`, Body: dicom, ContentType: 'application/dicom' }));
    // Brain: voxels 100-139 of frame 3 (x fastest: rows 1 and 2 of that frame).
    const n = 64 * 64 * 10;
    const start = 3 * 64 * 64 + 100;
    await prisma.task.create({
      data: {
        batchId: volumeBatch.id,
        campaignId: campaign.id,
        assetId: asset.id,
        status: 'ACCEPTED',
        consensus: { dims: [64, 64, 10], segments: [{ label: 'brain', rle: { counts: [start, 40, n - start - 40] } }] },
        consensusMethod: 'staple',
        agreement: 0.9,
        agreementMetric: 'dice',
        acceptedAt: new Date(),
      },
    });
    const exported = await runExport(deps(), { campaignId: campaign.id, batchId: volumeBatch.id, format: 'dicom-seg' });
    expect(exported).toMatchObject({ key: `exports/${campaign.id}/${volumeBatch.id}/dicom-seg.zip`, items: 1 });
    const dir = mkdtempSync(join(tmpdir(), 'suture-seg-'));
    writeFileSync(join(dir, 'seg.zip'), await download(exported.key));
    expect(spawnSync('unzip', ['-q', join(dir, 'seg.zip'), '-d', dir]).status).toBe(0);
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { instances: Array<{ file: string; asset: string }> };
    expect(manifest.instances).toMatchObject([{ asset: asset.id }]);
    const segPath = join(dir, manifest.instances[0]!.file);
    const checked = spawnSync('dciodvfy', ['-new', segPath], { encoding: 'utf8' });
    const report = `${checked.stdout}${checked.stderr}`;
    expect(report).toContain('Segmentation');
    expect(report.split('\n').filter((l) => l.startsWith('Error'))).toEqual([]);

    // dcmjs as the workflows package has it (the test package does not depend on it).
    const dcmjs = createRequire(join(repoRoot, 'workflows', 'package.json'))('dcmjs') as {
      data: { DicomMessage: { readFile(b: ArrayBuffer): { dict: object } }; DicomMetaDictionary: { naturalizeDataset(d: object): Record<string, unknown> } };
    };
    const read = (b: Uint8Array) => dcmjs.data.DicomMetaDictionary.naturalizeDataset(dcmjs.data.DicomMessage.readFile(new Uint8Array(b).buffer).dict);
    const seg = read(readFileSync(segPath));
    const src = read(dicom);
    expect(seg).toMatchObject({ Modality: 'SEG', NumberOfFrames: 1, StudyInstanceUID: src.StudyInstanceUID });
    expect(seg.ReferencedSeriesSequence).toMatchObject([
      { SeriesInstanceUID: src.SeriesInstanceUID, ReferencedInstanceSequence: [{ ReferencedSOPInstanceUID: src.SOPInstanceUID }] },
    ]);
    const frame = (seg.PerFrameFunctionalGroupsSequence as Array<Record<string, Array<Record<string, Array<Record<string, unknown>>>>>>)[0]!;
    expect(frame.DerivationImageSequence![0]!.SourceImageSequence![0]).toMatchObject({ ReferencedSOPInstanceUID: src.SOPInstanceUID, ReferencedFrameNumber: 4 });
    const bits = new Uint8Array((seg.PixelData as ArrayBuffer[])[0]!);
    const set = Array.from({ length: 64 * 64 }, (_, p) => (bits[p >> 3]! >> (p & 7)) & 1).flatMap((v, p) => (v ? [p] : []));
    expect(set).toEqual(Array.from({ length: 40 }, (_, k) => 100 + k));

    // The NIfTI label map refuses a DICOM volume and says which format to use.
    await expect(runExport(deps(), { campaignId: campaign.id, batchId: volumeBatch.id, format: 'nifti' })).rejects.toThrow(/use DICOM SEG/);
  });

  it('refuses a format that does not hold the campaign kind, naming the ones that do', async () => {
    await expect(runExport(deps(), { campaignId, format: 'mot' })).rejects.toThrow(
      "format 'mot' (MOT 1.1 (MOTChallenge CSV)) does not hold mask labels; formats for mask: native, coco, cvat",
    );
    await expect(runExport(deps(), { campaignId, format: 'pascal' })).rejects.toThrow(/unknown export format 'pascal'/);
  });

  it('exports through GraphQL (ops only) and the CLI, with a presigned download', async () => {
    // The API in process on this database and S3; exports need no Temporal (a lazy client never connects).
    const sessions = new SessionStore(prisma, 1);
    const app = createApp({
      prisma,
      s3: s3.client,
      s3Presign: s3.client,
      temporal: new Client(),
      sessions,
      config: { S3_BUCKET: s3.bucket, TEMPORAL_TASK_QUEUE: 'unused', BATCH_POLL_SECONDS: 1, TASK_RECHECK_SECONDS: 60, SUTURE_DEID_KEY: secret },
      log: () => undefined,
    });
    const server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    try {
      const api = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      // The campaign's manager: a member in the OPS_MANAGER role (tenancy).
      const ops = await prisma.user.create({
        data: { email: 'olivia@suture.test', name: 'Olivia Ops', passwordHash: 'x', roles: ['OPS_MANAGER'], memberships: { create: { campaignId, roles: ['OPS_MANAGER'] } } },
      });
      const { token } = await sessions.create(ops.id);
      const { token: annotatorToken } = await sessions.create(annotators[0]!.id);

      const formats = await gql<{ exportFormats: { data: Array<{ id: string }> } }>(
        api,
        token,
        `query($c: ID!) { exportFormats(campaignId: $c) { ... on QueryExportFormatsSuccess { data { id } } } }`,
        { c: campaignId },
      );
      expect(formats.exportFormats.data.map((f) => f.id)).toEqual(['native', 'coco', 'cvat']);

      const exportQuery = `mutation($c: ID!, $b: ID, $f: String!) { exportLabels(campaignId: $c, batchId: $b, format: $f) { __typename ... on LabelExport { key url items expiresInSeconds } ... on DomainError { code message } } }`;
      const done = await gql<{ exportLabels: { key: string; url: string; items: number; expiresInSeconds: number } }>(api, token, exportQuery, {
        c: campaignId,
        b: batchId,
        f: 'cvat',
      });
      expect(done.exportLabels).toMatchObject({ key: `exports/${campaignId}/${batchId}/cvat.xml`, items: 3, expiresInSeconds: 300 });
      const xml = await (await fetch(done.exportLabels.url)).text();
      expect(xml).toContain(`name="${videoId}_frame_000307.png"`);
      expect((xml.match(/<mask /g) ?? []).length).toBe(3);

      const refused = await gql<{ exportLabels: { code: string; message: string } }>(api, token, exportQuery, { c: campaignId, b: null, f: 'phases-csv' });
      expect(refused.exportLabels).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('does not hold mask labels') });
      await expect(gql(api, annotatorToken, exportQuery, { c: campaignId, b: null, f: 'coco' })).rejects.toThrow(/role does not allow|FORBIDDEN|not authorized/i);

      // The CLI asks the API and downloads the file from the presigned URL.
      const out = join(mkdtempSync(join(tmpdir(), 'suture-export-cli-')), 'labels.json');
      // Spawned asynchronously: the API answering it runs in this process.
      const cli = await run(
        process.execPath,
        ['--import', 'tsx', join(repoRoot, 'api', 'src', 'cli', 'main.ts'), 'export', '--api', api, '--campaign', campaignId, '--format', 'native', '--out', out],
        {
          cwd: repoRoot,
          env: { ...process.env, SUTURE_TOKEN: token },
        },
      );
      expect(cli.stderr).not.toMatch(/suture export:/);
      expect(JSON.parse(cli.stdout.trim().split('\n').pop()!)).toMatchObject({ file: out, items: 3 });
      expect(readFileSync(out).equals(await download(`exports/${campaignId}/all/native.json`))).toBe(true);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
