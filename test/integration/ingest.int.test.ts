// Ingest and de-identification as the batch's first stage, on the real files in ../shared/data/medical:
// good files become de-identified derivatives (originals gone), bad files fail with a specific error on
// their asset, are never half-stored, and do not stop the rest of the batch. Campaign media policies:
// originals kept envelope-encrypted and restored by the CLI, brightness normalisation, the ops
// manager's trim (frame-exact, mapped to source frames), sprite strips and ingest progress.
import { frameNumberVideo } from '@suture/workflows/media/test-support';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { readDicom, stringOf, timeOfFrame } from '@suture/workflows/media';
import { deidentifyAsset, sourceFrameOf, type ProxyFrameMap } from '@suture/workflows/activities/ingest';
import { run as mediaCli } from '@suture/api/cli/media';
import { gql, startStack, waitFor, type Stack } from '../support/stack.ts';
import { bootstrapAdmin, register, startBatch, syntheticFrame, uploadAsset, type Person } from '../support/scenario.ts';
import { dataPath } from '../support/paths.ts';

const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');
const LABEL_SCHEMA = {
  geometry: 'classification',
  classes: [
    { key: 'normal', name: 'Normal' },
    { key: 'finding', name: 'Finding' },
  ],
};
const FPS = 20;

/** Mean luma of every decoded frame of a file (after `filter`, if given), in presentation order. */
function frameLumas(path: string, filter?: string): number[] {
  const raw = execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-i', path, ...(filter ? ['-vf', filter] : []), '-f', 'rawvideo', '-pix_fmt', 'yuv420p', 'pipe:1'], {
    maxBuffer: 64 * 2 ** 20,
  });
  const luma = 64 * 48;
  const frame = luma * 1.5;
  const out: number[] = [];
  for (let o = 0; o + frame <= raw.length; o += frame) {
    let sum = 0;
    for (let i = o; i < o + luma; i++) sum += raw[i]!;
    out.push(sum / luma);
  }
  return out;
}

describe('ingest stage', () => {
  let stack: Stack;
  let ops: Person;
  let work: string;
  const originalsKey = randomBytes(32);

  beforeAll(async () => {
    stack = await startStack({ originalsKey });
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
    // The four good files' tasks stay in; an asset the automatic checks could not clear (burned-in text the
    // OCR found in the video, say) waits PENDING for a privacy officer, every other one is open.
    const kept = tasks.filter((t) => t.status !== 'EXCLUDED');
    expect(kept.map((t) => t.assetId).sort()).toEqual(['ct', 'nifti', 'video', 'png'].map((n) => ids[n]).sort());
    for (const t of kept) {
      const held = assets.find((a) => a.id === t.assetId)!.privacyStatus === 'PENDING_REVIEW';
      expect({ asset: t.assetId, status: t.status }).toEqual({ asset: t.assetId, status: held ? 'PENDING' : 'OPEN' });
    }
    for (const n of ['ct', 'nifti', 'png']) expect(kept.find((t) => t.assetId === ids[n])!.status).toBe('OPEN');

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
  async function createCampaign(name: string, mediaPolicy?: unknown): Promise<string> {
    const created = await gql<{ createCampaign: { id?: string; message?: string } }>(
      stack.apiUrl,
      ops.token,
      `mutation($i: CreateCampaignInput!) { createCampaign(input: $i) { ... on Campaign { id } ... on DomainError { message } } }`,
      { i: { name, labelSchema: LABEL_SCHEMA, overlap: 2, agreementThreshold: 1, ...(mediaPolicy === undefined ? {} : { mediaPolicy }) } },
    );
    if (!created.createCampaign.id) throw new Error(`campaign refused: ${created.createCampaign.message}`);
    return created.createCampaign.id;
  }

  type TrimResult = { setAssetTrim: { __typename: string; id?: string; trimStartSeconds?: number; trimEndSeconds?: number; code?: string; message?: string } };
  const setTrim = (assetId: string, startSeconds: number | null, endSeconds: number | null) =>
    gql<TrimResult>(
      stack.apiUrl,
      ops.token,
      `mutation($a: ID!, $s: Float, $e: Float) { setAssetTrim(assetId: $a, startSeconds: $s, endSeconds: $e) { __typename ... on Asset { id trimStartSeconds trimEndSeconds } ... on DomainError { code message } } }`,
      { a: assetId, s: startSeconds, e: endSeconds },
    ).then((r) => r.setAssetTrim);

  async function keysUnder(prefix: string): Promise<string[]> {
    const listed = await stack.s3.client.send(new ListObjectsV2Command({ Bucket: stack.s3.bucket, Prefix: prefix }));
    return (listed.Contents ?? []).map((c) => c.Key!);
  }

  it('trims frame-exactly, normalises brightness, writes a sprite, keeps the original encrypted and restores it', async () => {
    const policy = { originals: 'RETAIN_ENCRYPTED', sse: 'AES256', normalizeBrightness: { brightness: 0.1, contrast: 1 } };
    const campaignId = await createCampaign('Trimmed surgery', policy);
    const shown = await gql<{ campaign: { mediaPolicy: unknown } }>(stack.apiUrl, ops.token, `query($c: ID!) { campaign(id: $c) { mediaPolicy } }`, { c: campaignId });
    expect(shown.campaign.mediaPolicy).toEqual(policy);

    // 3.5 s at 20 fps (70 frames); the second one is 1.5 s long, shorter than its trim.
    const long = join(work, 'long.mp4');
    const short = join(work, 'short.mp4');
    frameNumberVideo(long, 70, FPS, ['-metadata', 'comment=patient 4711']);
    frameNumberVideo(short, 30, FPS, ['-metadata', 'comment=patient 4711']);
    const upload = readFileSync(long);
    const videoId = await uploadAsset(stack, ops, campaignId, upload, 'video/mp4');
    const shortId = await uploadAsset(stack, ops, campaignId, readFileSync(short), 'video/mp4');
    const pngId = await uploadAsset(stack, ops, campaignId, await syntheticFrame(5), 'image/png');

    // The ops manager cuts the set-up time before ingest; bad ranges and non-videos are refused.
    expect(await setTrim(videoId, 1.0, 3.0)).toMatchObject({ __typename: 'Asset', trimStartSeconds: 1, trimEndSeconds: 3 });
    expect(await setTrim(shortId, 1.0, 3.0)).toMatchObject({ __typename: 'Asset' });
    expect(await setTrim(videoId, -1, 3)).toMatchObject({ code: 'INVALID_INPUT', message: 'startSeconds must be a number >= 0 (got -1)' });
    expect(await setTrim(videoId, 2, 2)).toMatchObject({ code: 'INVALID_INPUT', message: 'endSeconds (2) must be after startSeconds (2)' });
    expect(await setTrim(pngId, 1, 2)).toMatchObject({ code: 'INVALID_INPUT', message: `only video assets can be trimmed; asset ${pngId} is IMAGE` });

    const batch = await gql<{ createBatch: { id: string } }>(
      stack.apiUrl,
      ops.token,
      `mutation($c: ID!, $a: [ID!]!, $f: [Int!]) { createBatch(campaignId: $c, name: "trimmed", assetIds: $a, frames: $f) { ... on Batch { id } ... on DomainError { message } } }`,
      // Frames chosen before ingest cannot be checked yet: frame 45 lies past the trimmed proxy's 40 frames.
      { c: campaignId, a: [videoId, shortId], f: [0, 39, 45] },
    );
    await gql(stack.apiUrl, ops.token, `mutation($c: ID!) { setCampaignStatus(id: $c, status: ACTIVE) { ... on Campaign { id } } }`, { c: campaignId });
    await startBatch(stack, ops, batch.createBatch.id);
    // The console's view while it runs: every step seen is one of the documented ones, progress within 0..1.
    const seen = new Set<string>();
    const fractions: number[] = [];
    await waitFor(
      'batch opened',
      async () => {
        for (const a of await stack.prisma.asset.findMany({ where: { id: { in: [videoId, shortId] } }, select: { ingestStep: true, ingestProgress: true } })) {
          if (a.ingestStep) seen.add(a.ingestStep);
          if (a.ingestProgress !== null) fractions.push(a.ingestProgress);
        }
        return (await stack.prisma.batch.findUniqueOrThrow({ where: { id: batch.createBatch.id } })).stage === 'LABELING';
      },
      240_000,
    );
    for (const step of seen) expect(['download', 'hash', 'probe', 'deidentify', 'proxy', 'derivatives', 'done', 'failed']).toContain(step);
    expect(fractions.every((f) => f >= 0 && f <= 1)).toBe(true);

    const video = await stack.prisma.asset.findUniqueOrThrow({ where: { id: videoId } });
    expect({ status: video.status, errorCode: video.errorCode, ingestStep: video.ingestStep, ingestProgress: video.ingestProgress }).toEqual({
      status: 'READY',
      errorCode: null,
      ingestStep: 'done',
      ingestProgress: 1,
    });
    const metadata = video.metadata as {
      trim: unknown;
      proxy: { frameCount: number; fps: number };
      sprite: { count: number };
      original: { key: string; plaintextSha256: string; wrappedKey: unknown };
      needsHumanReview: boolean;
    };
    // Frame 45 is past the end of the trimmed video and left out; the short video failed, so all its tasks are.
    const tasks = await stack.prisma.task.findMany({ where: { batchId: batch.createBatch.id }, select: { assetId: true, frameIndex: true, status: true } });
    expect(tasks.filter((t) => t.assetId === videoId && t.status !== 'EXCLUDED').map((t) => t.frameIndex)).toEqual(expect.arrayContaining([0, 39]));
    expect(
      tasks
        .filter((t) => t.status === 'EXCLUDED')
        .map((t) => `${t.assetId === videoId ? 'video' : 'short'}:${t.frameIndex}`)
        .sort(),
    ).toEqual(['short:0', 'short:39', 'short:45', 'video:45']);
    // 1.0-3.0 s at 20 fps: source frames 20..59, exactly 40 proxy frames.
    expect(metadata.trim).toEqual({ startSeconds: 1, endSeconds: 3, firstSourceFrame: 20, lastSourceFrame: 59 });
    // The API numbers frame tasks in source frames too: proxy frames 0 and 39 are source frames 20 and 59.
    const numbered = await gql<{ t0: { sourceFrame: number | null }; t39: { sourceFrame: number | null } }>(
      stack.apiUrl,
      ops.token,
      `query($a: ID!, $b: ID!) { t0: task(id: $a) { ... on Task { sourceFrame } } t39: task(id: $b) { ... on Task { sourceFrame } } }`,
      {
        a: (await stack.prisma.task.findFirstOrThrow({ where: { batchId: batch.createBatch.id, assetId: videoId, frameIndex: 0 } })).id,
        b: (await stack.prisma.task.findFirstOrThrow({ where: { batchId: batch.createBatch.id, assetId: videoId, frameIndex: 39 } })).id,
      },
    );
    expect([numbered.t0.sourceFrame, numbered.t39.sourceFrame]).toEqual([20, 59]);
    expect(metadata.proxy).toMatchObject({ frameCount: 40, fps: FPS });

    // The console's fields.
    const viewed = await gql<{
      assets: Array<{
        id: string;
        status: string;
        ingestStep: string | null;
        ingestProgress: number | null;
        needsHumanReview: boolean;
        originalRetained: boolean;
        url: string | null;
        spriteUrl: string | null;
        frameIndexUrl: string | null;
        metadata: { original?: Record<string, unknown> };
        errorCode: string | null;
        errorMessage: string | null;
      }>;
    }>(
      stack.apiUrl,
      ops.token,
      `query($c: ID!) { assets(campaignId: $c) { id status ingestStep ingestProgress needsHumanReview originalRetained url spriteUrl frameIndexUrl metadata errorCode errorMessage } }`,
      { c: campaignId },
    );
    const view = viewed.assets.find((a) => a.id === videoId)!;
    expect(view).toMatchObject({ ingestStep: 'done', ingestProgress: 1, originalRetained: true, needsHumanReview: metadata.needsHumanReview });
    // Key material stays on the server.
    expect(view.metadata.original).toEqual({ retained: true, algorithm: 'AES-256-GCM', bytes: upload.length, sse: 'AES256' });
    expect(JSON.stringify(view.metadata)).not.toContain('wrappedKey');

    // frames.json: each proxy frame's presentation time and its source frame.
    const map = (await (await fetch(view.frameIndexUrl!)).json()) as ProxyFrameMap;
    expect(map.frameCount).toBe(40);
    expect(map.trim).toEqual(metadata.trim);
    for (let n = 0; n < map.frameCount; n++) {
      expect(sourceFrameOf(map, n)).toBe(20 + n);
      expect(timeOfFrame(map, n) - timeOfFrame(map, 0)).toBeCloseTo(n / FPS, 6);
    }
    // The proxy's pixels agree: proxy frame n is source frame 20 + n after the campaign's eq normalisation.
    const proxyPath = join(work, 'trimmed-proxy.mp4');
    writeFileSync(proxyPath, Buffer.from(await (await fetch(view.url!)).arrayBuffer()));
    const proxyLumas = frameLumas(proxyPath);
    const sourceLumas = frameLumas(long);
    const normalised = frameLumas(long, 'eq=brightness=0.1:contrast=1');
    expect(proxyLumas).toHaveLength(40);
    proxyLumas.forEach((y, n) => {
      expect(Math.abs(y - normalised[20 + n]!), `proxy frame ${n}`).toBeLessThan(1.5);
      expect(Math.abs(y - sourceLumas[20 + n]!), `proxy frame ${n} is brightened`).toBeGreaterThan(10);
    });

    // The sprite strip for the timeline.
    const sprite = Buffer.from(await (await fetch(view.spriteUrl!)).arrayBuffer());
    expect(sprite.subarray(0, 3)).toEqual(Buffer.from([0xff, 0xd8, 0xff]));
    expect(metadata.sprite.count).toBeGreaterThan(0);

    // The quarantined upload is gone; the original is kept encrypted, and it is not the plaintext.
    const keys = await keysUnder('');
    expect(keys).not.toContain(video.key);
    expect(keys).toContain(`derived/${campaignId}/${videoId}/sprite.jpg`);
    expect(video.originalKey).toBe(`originals/${campaignId}/${videoId}/original.enc`);
    expect(metadata.original.key).toBe(video.originalKey);
    expect(metadata.original.plaintextSha256).toBe(sha256(upload));
    const encrypted = Buffer.from(await (await stack.s3.client.send(new GetObjectCommand({ Bucket: stack.s3.bucket, Key: video.originalKey! }))).Body!.transformToByteArray());
    expect(encrypted.length).toBe(upload.length);
    expect(encrypted.equals(upload)).toBe(false);
    expect(encrypted.includes(Buffer.from('ftyp'))).toBe(false);
    expect(encrypted.includes(Buffer.from('4711'))).toBe(false);

    // `suture media restore-original` decrypts it and verifies the SHA-256; a wrong key is refused.
    const env = {
      DATABASE_URL: stack.db.url,
      S3_ENDPOINT: stack.s3.endpoint,
      S3_BUCKET: stack.s3.bucket,
      S3_ACCESS_KEY_ID: 'S3RVER',
      S3_SECRET_ACCESS_KEY: 'S3RVER',
      SUTURE_ORIGINALS_KEY: originalsKey.toString('base64'),
    };
    const restored = join(work, 'restored.mp4');
    expect(await mediaCli(['restore-original', videoId, restored], env)).toBe(0);
    expect(sha256(readFileSync(restored))).toBe(sha256(upload));
    expect(await mediaCli(['restore-original', videoId, join(work, 'wrong.mp4')], { ...env, SUTURE_ORIGINALS_KEY: randomBytes(32).toString('hex') })).toBe(1);
    expect(await mediaCli(['restore-original', videoId, restored], env)).toBe(2); // OUT exists, no --force
    expect(await stack.prisma.auditEvent.count({ where: { action: 'asset.original-restored', entityId: videoId } })).toBe(1);

    // Key rotation: `suture media rewrap-originals` re-wraps the data key under a new master key; the stored
    // ciphertext stays as it is, the new key restores it, the old one no longer does, and a second run is a no-op.
    const newKey = randomBytes(32).toString('base64');
    const rotateEnv = { ...env, SUTURE_ORIGINALS_KEY: newKey, SUTURE_ORIGINALS_OLD_KEY: env.SUTURE_ORIGINALS_KEY };
    const cipherBefore = sha256(encrypted);
    expect(await mediaCli(['rewrap-originals'], rotateEnv)).toBe(0);
    expect(await mediaCli(['rewrap-originals'], rotateEnv)).toBe(0);
    expect(await stack.prisma.auditEvent.count({ where: { action: 'asset.original-rewrapped', entityId: videoId } })).toBe(1);
    const stillEncrypted = Buffer.from(await (await stack.s3.client.send(new GetObjectCommand({ Bucket: stack.s3.bucket, Key: video.originalKey! }))).Body!.transformToByteArray());
    expect(sha256(stillEncrypted)).toBe(cipherBefore);
    const rotated = join(work, 'rotated.mp4');
    expect(await mediaCli(['restore-original', videoId, rotated], { ...env, SUTURE_ORIGINALS_KEY: newKey })).toBe(0);
    expect(sha256(readFileSync(rotated))).toBe(sha256(upload));
    expect(await mediaCli(['restore-original', videoId, join(work, 'old-key.mp4')], env)).toBe(1);

    // Trim outside the probed duration: the asset fails with INVALID_TRIM and nothing of it is stored.
    const failed = viewed.assets.find((a) => a.id === shortId)!;
    expect(failed).toMatchObject({ status: 'FAILED', errorCode: 'INVALID_TRIM', ingestStep: 'failed', originalRetained: false, spriteUrl: null, frameIndexUrl: null });
    expect(failed.errorMessage).toBe('The trim range 1-3 s lies outside the video, which is 1.5 s long; set a range within it with setAssetTrim and ingest again.');
    expect(keys.some((k) => k.includes(shortId) && !k.startsWith('quarantine/'))).toBe(false);

    // The proxy is final: the trim can no longer change.
    expect(await setTrim(videoId, 0, 2)).toEqual({
      __typename: 'DomainError',
      code: 'CONFLICT',
      message: `asset ${videoId} is READY: its proxy is already made (or ingest gave up), so the trim can no longer change; set the trim while the asset is AWAITING_UPLOAD or QUARANTINED`,
    });
    // Frame tasks address the proxy's frames (40 after the trim), not the upload's 70.
    const frameBatch = (frames: number[]) =>
      gql<{ createBatch: { __typename: string; code?: string; message?: string } }>(
        stack.apiUrl,
        ops.token,
        `mutation($c: ID!, $a: [ID!]!, $f: [Int!]) { createBatch(campaignId: $c, name: "frames", assetIds: $a, frames: $f) { __typename ... on DomainError { code message } } }`,
        { c: campaignId, a: [videoId], f: frames },
      ).then((r) => r.createBatch);
    expect(await frameBatch([0, 40])).toEqual({
      __typename: 'DomainError',
      code: 'INVALID_INPUT',
      message: `frame 40 is past the end of the video: asset ${videoId} has 40 frames (0..39) in its proxy`,
    });
    expect(await frameBatch([0, 39])).toEqual({ __typename: 'Batch' });

    // Audit events carry settings and codes, never file content.
    const events = await stack.prisma.auditEvent.findMany({ where: { entityId: { in: [campaignId, videoId, shortId] } } });
    expect(events.find((e) => e.action === 'campaign.created')?.data).toMatchObject({ originals: 'RETAIN_ENCRYPTED', sse: 'AES256', normalizeBrightness: true });
    for (const e of events) expect(JSON.stringify(e.data)).not.toContain('4711');
  });

  it('fails RETAIN_ENCRYPTED assets without a master key: ORIGINALS_KEY_MISSING, nothing in originals/, the upload kept for a retry', async () => {
    const campaignId = await createCampaign('Retained, no key', { originals: 'RETAIN_ENCRYPTED' });
    const body = await syntheticFrame(9);
    const assetId = await uploadAsset(stack, ops, campaignId, body, 'image/png');
    const asset = await stack.prisma.asset.findUniqueOrThrow({ where: { id: assetId } });
    const deps = { prisma: stack.prisma, s3: stack.s3.client, bucket: stack.s3.bucket, deidSecret: randomBytes(32).toString('hex') };
    // The activity itself, as a worker without SUTURE_ORIGINALS_KEY runs it.
    expect(await deidentifyAsset(deps, asset)).toBe('FAILED');
    const failed = await stack.prisma.asset.findUniqueOrThrow({ where: { id: assetId } });
    expect(failed).toMatchObject({ status: 'FAILED', errorCode: 'ORIGINALS_KEY_MISSING', ingestStep: 'failed', originalKey: null, derivativeKey: null });
    expect(failed.errorMessage).toContain('no SUTURE_ORIGINALS_KEY configured');
    expect(await keysUnder(`originals/${campaignId}/`)).toEqual([]);
    expect(await keysUnder(`derived/${campaignId}/`)).toEqual([]);
    await stack.s3.client.send(new HeadObjectCommand({ Bucket: stack.s3.bucket, Key: asset.key }));

    // Once the key is configured, ops can ingest it again from the kept upload.
    await stack.prisma.asset.update({ where: { id: assetId }, data: { status: 'QUARANTINED', errorCode: null, errorMessage: null, ingestStep: null, ingestProgress: null } });
    const retried = await stack.prisma.asset.findUniqueOrThrow({ where: { id: assetId } });
    // Progress: every step reaches the heartbeat in order; the row is written at most about once a second.
    const beats: Array<{ step: string; progress: number | null }> = [];
    let writes = 0;
    const counted = new Proxy(stack.prisma, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target) as unknown;
        if (prop !== 'asset') return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        const delegate = value as typeof stack.prisma.asset;
        return new Proxy(delegate, {
          get(d, p) {
            const fn = Reflect.get(d, p, d) as unknown;
            if (p === 'updateMany') return (...args: Parameters<typeof delegate.updateMany>) => (writes++, delegate.updateMany(...args));
            return typeof fn === 'function' ? (fn as (...a: unknown[]) => unknown).bind(d) : fn;
          },
        });
      },
    });
    const started = Date.now();
    const outcome = await deidentifyAsset({ ...deps, prisma: counted, originalsKey, heartbeat: (d) => beats.push(d as { step: string; progress: number | null }) }, retried);
    expect(outcome).toBe('READY');
    const steps = beats.map((b) => b.step).filter((step, i, all) => step !== all[i - 1]);
    expect(steps).toEqual(['download', 'hash', 'probe', 'deidentify', 'derivatives', 'done']);
    expect(beats.at(-1)).toEqual({ assetId, step: 'done', progress: 1 });
    expect(beats.every((b) => b.progress === null || (b.progress >= 0 && b.progress <= 1))).toBe(true);
    expect(writes).toBeLessThanOrEqual(2 + Math.ceil((Date.now() - started) / 1000));
    expect(await keysUnder(`originals/${campaignId}/`)).toEqual([`originals/${campaignId}/${assetId}/original.enc`]);
    expect(await keysUnder(`quarantine/${campaignId}/`)).toEqual([]);
    const ready = await stack.prisma.asset.findUniqueOrThrow({ where: { id: assetId } });
    expect(ready).toMatchObject({ status: 'READY', ingestStep: 'done', ingestProgress: 1, originalKey: `originals/${campaignId}/${assetId}/original.enc` });
  });

  it('refuses invalid media policies with specific errors, and records valid ones', async () => {
    const campaignId = await createCampaign('Policies');
    const shown = await gql<{ campaign: { mediaPolicy: unknown } }>(stack.apiUrl, ops.token, `query($c: ID!) { campaign(id: $c) { mediaPolicy } }`, { c: campaignId });
    expect(shown.campaign.mediaPolicy).toEqual({ originals: 'DELETE' });
    const setPolicy = (policy: unknown) =>
      gql<{ setCampaignMediaPolicy: { __typename: string; mediaPolicy?: unknown; code?: string; message?: string } }>(
        stack.apiUrl,
        ops.token,
        `mutation($c: ID!, $p: JSON!) { setCampaignMediaPolicy(campaignId: $c, policy: $p) { __typename ... on Campaign { mediaPolicy } ... on DomainError { code message } } }`,
        { c: campaignId, p: policy },
      ).then((r) => r.setCampaignMediaPolicy);
    expect(await setPolicy({ originals: 'KEEP' })).toEqual({
      __typename: 'DomainError',
      code: 'INVALID_INPUT',
      message: "invalid media policy: originals: originals must be 'DELETE' or 'RETAIN_ENCRYPTED'",
    });
    expect(await setPolicy({ originals: 'DELETE', normalizeBrightness: { brightness: 2 } })).toMatchObject({
      code: 'INVALID_INPUT',
      message: 'invalid media policy: normalizeBrightness.brightness: brightness must be between -1 and 1',
    });
    expect(await setPolicy({ originals: 'DELETE', sse: 'rot13' })).toMatchObject({ message: "invalid media policy: sse: sse must be 'AES256' or 'aws:kms'" });
    const created = await gql<{ createCampaign: { __typename: string; code?: string; message?: string } }>(
      stack.apiUrl,
      ops.token,
      `mutation($i: CreateCampaignInput!) { createCampaign(input: $i) { __typename ... on DomainError { code message } } }`,
      { i: { name: 'Bad policy', labelSchema: LABEL_SCHEMA, overlap: 2, agreementThreshold: 1, mediaPolicy: { originals: 'RETAIN_ENCRYPTED', normalizeBrightness: 'yes' } } },
    );
    expect(created.createCampaign).toEqual({
      __typename: 'DomainError',
      code: 'INVALID_INPUT',
      message: 'invalid media policy: normalizeBrightness: normalizeBrightness must be true, false or { brightness: -1..1, contrast: 0..3 }',
    });
    expect(await stack.prisma.campaign.count({ where: { name: 'Bad policy' } })).toBe(0);

    expect(await setPolicy({ originals: 'RETAIN_ENCRYPTED', normalizeBrightness: true })).toEqual({
      __typename: 'Campaign',
      mediaPolicy: { originals: 'RETAIN_ENCRYPTED', normalizeBrightness: true },
    });
    const event = await stack.prisma.auditEvent.findFirst({ where: { action: 'campaign.media-policy', entityId: campaignId }, orderBy: { seq: 'desc' } });
    expect(event?.data).toEqual({ originals: 'RETAIN_ENCRYPTED', sse: null, normalizeBrightness: true });
  });
});
