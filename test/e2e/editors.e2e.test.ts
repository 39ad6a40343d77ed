// The video and volume editors in a real browser against the real stack: an annotator marks surgical
// phases on a whole video with the keyboard and drags an edge, tracks an instrument across frames, and
// paints a class on two slices of a NIfTI volume and fills between them; each label is read back through
// GraphQL as the API stored it.
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { gql, startStack, waitFor, type Stack } from '../support/stack.ts';
import { bootstrapAdmin, CLASSES, register, startBatch, uploadAsset, type Person, everyoneAsMembers } from '../support/scenario.ts';
import { allowBrowserStorage, launchChromium, signInAs, startConsole } from '../support/web.ts';

const NIFTI = '/work/shared/data/medical/nifti/anatomical.nii';
const PHASES = [
  { key: 'prep', name: 'Preparation' },
  { key: 'dissection', name: 'Dissection' },
  { key: 'clipping', name: 'Clipping' },
];

describe('video and volume editors in Chromium', () => {
  let stack: Stack;
  let web: Awaited<ReturnType<typeof startConsole>>;
  let browser: Browser;
  let ops: Person;
  let ann: Person;
  let work: string;
  const campaigns: Record<'phases' | 'track' | 'volume', string> = { phases: '', track: '', volume: '' };

  async function campaignWithTask(
    kind: keyof typeof campaigns,
    schema: Record<string, unknown>,
    body: Buffer,
    contentType: string,
  ): Promise<{ campaignId: string; batchId: string }> {
    const created = await gql<{ createCampaign: { id?: string; message?: string } }>(
      stack.apiUrl,
      ops.token,
      `mutation($i: CreateCampaignInput!) { createCampaign(input: $i) { ... on Campaign { id } ... on DomainError { message } } }`,
      {
        i: {
          name: `Editor ${kind}`,
          labelSchema: { geometry: kind, ...schema },
          overlap: 2,
          agreementThreshold: 0.5,
          qaSettings: { tolerableErrorRate: 0.9, confidence: 0.1, seed: 'editors', minPerStratum: 0 },
          claimSlaSeconds: 3600,
          requiredSkills: [{ key: 'laparoscopy', minLevel: 1 }],
          members: await everyoneAsMembers(stack, ops),
          payRates: [{ kind: 'LABEL', amountCents: 10 }],
        },
      },
    );
    const campaignId = created.createCampaign.id;
    if (!campaignId) throw new Error(`createCampaign ${kind}: ${created.createCampaign.message}`);
    const assetId = await uploadAsset(stack, ops, campaignId, body, contentType);
    const batch = await gql<{ createBatch: { id?: string; message?: string } }>(
      stack.apiUrl,
      ops.token,
      `mutation($c: ID!, $a: [ID!]!) { createBatch(campaignId: $c, name: "Whole", assetIds: $a) { ... on Batch { id } ... on DomainError { message } } }`,
      { c: campaignId, a: [assetId] },
    );
    if (!batch.createBatch.id) throw new Error(`createBatch ${kind}: ${batch.createBatch.message}`);
    await gql(stack.apiUrl, ops.token, `mutation($c: ID!) { setCampaignStatus(id: $c, status: ACTIVE) { ... on Campaign { id } } }`, { c: campaignId });
    await startBatch(stack, ops, batch.createBatch.id);
    return { campaignId, batchId: batch.createBatch.id };
  }

  beforeAll(async () => {
    stack = await startStack();
    await allowBrowserStorage(stack);
    work = await mkdtemp(join(tmpdir(), 'suture-editors-'));
    const admin = await bootstrapAdmin(stack);
    ops = await register(stack, admin, 'Olivia Ops', ['OPS_MANAGER']);
    ann = await register(stack, admin, 'Ann', ['ANNOTATOR'], [['laparoscopy', 3]]);

    // 3 s at 20 fps: 60 frames, 160×120.
    const videoPath = join(work, 'procedure.mp4');
    execFileSync('ffmpeg', [
      '-hide_banner',
      '-loglevel',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      // A white dot in a black band at the bottom moves 5 px a frame: each frame shows its own number.
      "testsrc=size=160x120:rate=20:duration=3,drawbox=x=0:y=110:w=160:h=10:color=black:t=fill[bg];color=white:size=4x8:rate=20[dot];[bg][dot]overlay=x='mod(n*5\\,156)':y=111:shortest=1",
      '-pix_fmt',
      'yuv420p',
      '-c:v',
      'libx264',
      videoPath,
    ]);
    const video = await readFile(videoPath);
    const batches = [
      ['phases', await campaignWithTask('phases', { classes: CLASSES.map((k) => ({ key: k, name: k })), phases: PHASES }, video, 'video/mp4')],
      ['track', await campaignWithTask('track', { classes: CLASSES.map((k) => ({ key: k, name: k })) }, video, 'video/mp4')],
      [
        'volume',
        await campaignWithTask(
          'volume',
          {
            classes: [
              { key: 'liver', name: 'Liver' },
              { key: 'tumour', name: 'Tumour' },
            ],
          },
          await readFile(NIFTI),
          'application/x-nifti',
        ),
      ],
    ] as const;
    for (const [kind, { campaignId, batchId }] of batches) {
      campaigns[kind] = campaignId;
      await waitFor(`${kind} task open`, async () => (await stack.prisma.task.count({ where: { batchId, status: 'OPEN' } })) === 1, 240_000);
    }
    web = await startConsole(stack.apiUrl);
    browser = await launchChromium({ webgl: true });
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    await web?.stop();
    await stack?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  /** Ann signs in, claims the campaign's task and lands on its workspace; returns the page and the assignment id. */
  async function claim(kind: keyof typeof campaigns): Promise<{ page: Page; assignmentId: string }> {
    const page = await signInAs(browser, web.url, ann, { viewport: { width: 1400, height: 1000 }, label: kind });
    await page.goto(`${web.url}/work`);
    await page.locator('main[data-hydrated="true"]').waitFor({ timeout: 30_000 });
    await page.getByTestId('claim-campaign').selectOption(campaigns[kind]);
    await page.getByTestId('claim-next').click();
    await page.waitForURL(/\/work\/[0-9a-f-]{36}/);
    await page.locator('main[data-hydrated="true"]').waitFor({ timeout: 30_000 });
    return { page, assignmentId: new URL(page.url()).pathname.split('/').pop()! };
  }

  async function submitAndReadBack(page: Page, assignmentId: string): Promise<unknown> {
    await page.getByTestId('submit-annotation').click();
    await page.waitForURL((url) => url.pathname === '/work', { timeout: 30_000 });
    const read = await gql<{ assignment: { latestAnnotation?: { data: unknown; submitted: boolean }; message?: string } }>(
      stack.apiUrl,
      ann.token,
      `query($id: ID!) { assignment(id: $id) { ... on Assignment { latestAnnotation { data submitted } } ... on DomainError { message } } }`,
      { id: assignmentId },
    );
    expect(read.assignment.latestAnnotation?.submitted, read.assignment.message).toBe(true);
    return read.assignment.latestAnnotation!.data;
  }

  /** Waits until the player shows `frame`, sought through frames.json. */
  async function atFrame(page: Page, frame: number) {
    const caption = page.getByTestId('video-frame');
    await expect.poll(async () => [await caption.getAttribute('data-frame'), await caption.getAttribute('data-settled')], { timeout: 15_000 }).toEqual([String(frame), 'true']);
  }

  async function blur(page: Page) {
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  }

  it('phases: plays the video, marks two phases with keys, drags an edge, and the API stores the segments', async () => {
    const { page, assignmentId } = await claim('phases');
    const caption = page.getByTestId('video-frame');
    await expect.poll(() => caption.getAttribute('data-timing'), { timeout: 30_000 }).toBe('frames.json');
    expect(await caption.getAttribute('data-frame-count')).toBe('60');
    expect(await page.getByTestId('phase-shortcuts').textContent()).toContain('start that phase at the playhead');
    await expect.poll(() => page.getByTestId('video-sprite').evaluate((img) => (img as HTMLImageElement).naturalWidth), { timeout: 15_000 }).toBeGreaterThan(0);

    // Play: the frame advances; pause lands exactly on a frame.
    await page.getByTestId('video-play').click();
    await expect.poll(async () => Number(await caption.getAttribute('data-frame')), { timeout: 15_000 }).toBeGreaterThan(3);
    await page.getByTestId('video-play').click();
    await expect.poll(() => caption.getAttribute('data-settled'), { timeout: 15_000 }).toBe('true');
    expect(await page.getByTestId('video-play').getAttribute('data-playing')).toBe('false');

    // Back to frame 0 through the frame field, then mark with the keyboard.
    await page.getByTestId('video-frame-input').fill('0');
    await page.getByTestId('video-frame-input').press('Enter');
    await blur(page);
    await atFrame(page, 0);
    await page.keyboard.press('1');
    await page.keyboard.press('Shift+ArrowRight');
    await page.keyboard.press('Shift+ArrowRight');
    await atFrame(page, 20);
    expect(await page.getByTestId('phase-segment-0').getAttribute('data-end')).toBe('21');
    await page.keyboard.press('2');
    for (const key of ['Shift+ArrowRight', 'Shift+ArrowRight', '.', '.', '.', '.', '.']) await page.keyboard.press(key);
    await atFrame(page, 45);
    await page.keyboard.press('e');
    const segment = (i: number) => page.getByTestId(`phase-segment-${i}`);
    expect([await segment(0).getAttribute('data-phase'), await segment(0).getAttribute('data-start'), await segment(0).getAttribute('data-end')]).toEqual(['prep', '0', '20']);
    expect([await segment(1).getAttribute('data-phase'), await segment(1).getAttribute('data-start'), await segment(1).getAttribute('data-end')]).toEqual([
      'dissection',
      '20',
      '46',
    ]);

    // Drag the end of the first segment back to the boundary of frame 15 (it snaps to frames).
    const handle = (await page.getByTestId('phase-segment-0-end').boundingBox())!;
    const track = (await page.getByTestId('phase-timeline').boundingBox())!;
    await page.mouse.move(handle.x + handle.width / 2, handle.y + handle.height / 2);
    await page.mouse.down();
    await page.mouse.move(track.x + (track.width * 15.2) / 60, handle.y + handle.height / 2, { steps: 8 });
    await page.mouse.up();
    await expect.poll(() => segment(0).getAttribute('data-end')).toBe('15');

    const data = await submitAndReadBack(page, assignmentId);
    expect(data).toEqual({
      segments: [
        { phase: 'prep', start: 0, end: 15 },
        { phase: 'dissection', start: 20, end: 46 },
      ],
    });
  });

  it('track: draws a box on frame 0, moves it 10 frames later, marks it outside later, and the API stores the keyframes', async () => {
    const { page, assignmentId } = await claim('track');
    const caption = page.getByTestId('video-frame');
    await expect.poll(() => caption.getAttribute('data-timing'), { timeout: 30_000 }).toBe('frames.json');
    await atFrame(page, 0);
    await page.getByTestId('track-class-hook').check();

    // Draw from video pixel (32, 24) to (80, 72) on the 160×120 frame.
    const canvas = page.getByTestId('track-canvas');
    const box = (await canvas.boundingBox())!;
    const at = (x: number, y: number): [number, number] => [box.x + (x / 160) * box.width, box.y + (y / 120) * box.height];
    await page.mouse.move(...at(32, 24));
    await page.mouse.down();
    await page.mouse.move(...at(80, 72), { steps: 8 });
    await page.mouse.up();
    await page.getByTestId('track-row-1').waitFor();

    await page.keyboard.press('Shift+ArrowRight');
    await atFrame(page, 10);
    // The box holds on frame 10 (one keyframe); drag it 40 px right and 20 px down: a keyframe here.
    await page.mouse.move(...at(56, 48));
    await page.mouse.down();
    await page.mouse.move(...at(96, 68), { steps: 8 });
    await page.mouse.up();
    await expect.poll(() => page.getByTestId('track-row-1').getAttribute('data-keyframes')).toBe('2');

    // Paused frame steps come from the WebCodecs frame decoder, drawn on the player's canvas: the picture of frame
    // 11 must be the proxy's frame 11 as a bare <video> seek shows it in the same browser, not frame 10 or 12.
    await expect.poll(() => caption.getAttribute('data-decoder'), { timeout: 30_000 }).toMatch(/^(ready|busy)$/);
    await blur(page);
    await page.keyboard.press('ArrowRight');
    await atFrame(page, 11);
    await expect.poll(() => caption.getAttribute('data-on-canvas')).toBe('true');
    const shown = await page.evaluate(() => {
      const canvas = document.querySelector('[data-testid="video-canvas"]') as HTMLCanvasElement;
      const c = document.createElement('canvas');
      c.width = 160;
      c.height = 120;
      const ctx = c.getContext('2d', { willReadFrequently: true })!;
      ctx.drawImage(canvas, 0, 0, 160, 120);
      return { src: (document.querySelector('.player-stage video') as HTMLVideoElement).src, rgba: Array.from(ctx.getImageData(0, 0, 160, 120).data) };
    });
    // The reference: the proxy's own frames as ffmpeg decodes them (RGB, BT.601 limited range like the browser).
    const proxyPath = join(work, 'track-proxy.mp4');
    await writeFile(proxyPath, Buffer.from(await (await fetch(shown.src)).arrayBuffer()));
    const reference = (frame: number) =>
      execFileSync('ffmpeg', [
        '-hide_banner',
        '-loglevel',
        'error',
        '-i',
        proxyPath,
        '-vf',
        `select=eq(n\\,${frame})`,
        '-frames:v',
        '1',
        '-f',
        'rawvideo',
        '-pix_fmt',
        'rgb24',
        '-',
      ]);
    // Where the moving dot is on row 115 (mean x of bright pixels): that tells the frame.
    const dotX = (value: (x: number) => number) => {
      let sum = 0;
      let count = 0;
      for (let x = 0; x < 160; x++)
        if (value(x) > 180) {
          sum += x;
          count++;
        }
      return count ? sum / count : -1;
    };
    const onCanvas = dotX((x) => shown.rgba[4 * (115 * 160 + x) + 1]!);
    const [previous, same, next] = [10, 11, 12].map((f) => {
      const rgb = reference(f);
      return dotX((x) => rgb[3 * (115 * 160 + x) + 1]!);
    });
    expect(new Set([previous, same, next]).size).toBe(3);
    expect(Math.abs(onCanvas - same!)).toBeLessThanOrEqual(1);
    await page.keyboard.press('ArrowLeft');
    await atFrame(page, 10);

    // Frame 5 shows the interpolated box; frame 30: the instrument leaves the view.
    await page.getByTestId('video-frame-input').fill('30');
    await page.getByTestId('video-frame-input').press('Enter');
    await atFrame(page, 30);
    await page.getByTestId('track-outside-1').check();
    await expect.poll(() => page.getByTestId('track-row-1').getAttribute('data-keyframes')).toBe('3');

    const data = (await submitAndReadBack(page, assignmentId)) as {
      tracks: Array<{ id: number; label: string; keyframes: Array<{ frame: number; box: number[]; outside?: boolean }> }>;
    };
    expect(data.tracks).toHaveLength(1);
    const [t] = data.tracks;
    expect(t).toMatchObject({ id: 1, label: 'hook' });
    expect(t!.keyframes.map((k) => k.frame)).toEqual([0, 10, 30]);
    const [k0, k10, k30] = t!.keyframes;
    k0!.box.forEach((v, i) => expect(Math.abs(v - [32, 24, 48, 48][i]!)).toBeLessThan(2));
    k10!.box.forEach((v, i) => expect(Math.abs(v - [72, 44, 48, 48][i]!)).toBeLessThan(2));
    expect(k0!.outside).toBeUndefined();
    expect(k30).toMatchObject({ frame: 30, outside: true });
  });

  it('volume: paints one class on two slices of a NIfTI, fills between them, and the API stores the mask', async () => {
    const { page, assignmentId } = await claim('volume');
    const status = page.getByTestId('volume-slice');
    await expect.poll(() => status.getAttribute('data-state'), { timeout: 60_000 }).toBe('ready');
    expect(await status.getAttribute('data-dims')).toBe('33x41x25');
    await page.getByTestId('volume-view-axial').click();
    await page.getByTestId('volume-window').selectOption('soft');
    expect(await page.getByTestId('volume-window-values').textContent()).toContain('W 400 · L 40');
    await page.getByTestId('volume-window').selectOption('auto');
    await page.getByTestId('volume-class-liver').check();

    const canvas = page.getByTestId('volume-canvas');
    const paint = async () => {
      const b = (await canvas.boundingBox())!;
      const cx = b.x + b.width / 2;
      const cy = b.y + b.height / 2;
      for (const dy of [-30, -15, 0, 15, 30]) {
        await page.mouse.move(cx - 60, cy + dy);
        await page.mouse.down();
        await page.mouse.move(cx + 60, cy + dy, { steps: 12 });
        await page.mouse.up();
      }
    };
    const start = Number(await status.getAttribute('data-slice'));
    await paint();
    await expect.poll(() => status.getAttribute('data-drawn-slices')).toBe(String(start));
    for (let i = 0; i < 4; i++) await page.getByTestId('volume-slice-next').click();
    await expect.poll(() => status.getAttribute('data-slice')).toBe(String(start + 4));
    await paint();
    await expect.poll(() => status.getAttribute('data-drawn-slices')).toBe(`${start},${start + 4}`);
    const voxels = page.getByTestId('volume-voxels-liver');
    const painted = Number(await voxels.getAttribute('data-voxels'));
    expect(painted).toBeGreaterThan(0);

    await page.getByTestId('volume-fill').click();
    await expect.poll(() => status.getAttribute('data-drawn-slices')).toBe([0, 1, 2, 3, 4].map((i) => start + i).join(','));
    const filled = Number(await voxels.getAttribute('data-voxels'));
    expect(filled).toBeGreaterThan(painted * 2);

    const data = (await submitAndReadBack(page, assignmentId)) as { dims: number[]; segments: Array<{ label: string; rle: { counts: number[] } }> };
    expect(data.dims).toEqual([33, 41, 25]);
    expect(data.segments.map((s) => s.label)).toEqual(['liver']);
    const counts = data.segments[0]!.rle.counts;
    expect(counts.reduce((a, b) => a + b, 0)).toBe(33 * 41 * 25);
    expect(counts.filter((_, k) => k % 2 === 1).reduce((a, b) => a + b, 0)).toBe(filled);
    // The painted voxels lie on five consecutive slices along one of the file's axes.
    const coords: Array<Set<number>> = [new Set(), new Set(), new Set()];
    let pos = 0;
    counts.forEach((c, k) => {
      if (k % 2 === 1)
        for (let i = pos; i < pos + c; i++) {
          coords[0]!.add(i % 33);
          coords[1]!.add(Math.floor(i / 33) % 41);
          coords[2]!.add(Math.floor(i / (33 * 41)));
        }
      pos += c;
    });
    expect(coords.map((s) => s.size)).toContain(5);
  });
});
