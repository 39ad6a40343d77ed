// Expert review of video and volume labels in a real browser against the real stack: two disagreeing phase
// timelines shown aligned under the video (the frames where they differ marked), the expert picks one and
// the task is accepted with it; two disagreeing volume segmentations over the NIfTI in NiiVue with the map of
// the voxels where they differ, the expert starts from the consensus of both (the server module's STAPLE)
// and submits it; and an annotator submits an empty volume label ("nothing to mark").
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { annotationType, parseLabel, type AnnotationContext } from '@suture/workflows/annotation/registry';
import { gql, startStack, waitFor, type Stack } from '../support/stack.ts';
import { bootstrapAdmin, CLASSES, register, startBatch, uploadAsset, type Person, everyoneAsMembers } from '../support/scenario.ts';
import { allowBrowserStorage, launchChromium, signInAs, startConsole } from '../support/web.ts';

const NIFTI = '/work/shared/data/medical/nifti/anatomical.nii';
const DICOM = '/work/shared/data/medical/dicom/CT_small.dcm';
const DIMS: [number, number, number] = [33, 41, 25];
const PHASES = [
  { key: 'prep', name: 'Preparation' },
  { key: 'dissection', name: 'Dissection' },
];
const ORGANS = [
  { key: 'liver', name: 'Liver' },
  { key: 'tumour', name: 'Tumour' },
];
const CLAIM = `mutation($c: ID!) { claimNextTask(campaignId: $c) { ... on Assignment { id taskId } ... on DomainError { code message } } }`;
const SUBMIT = `mutation($a: ID!, $d: JSON!, $k: String!) { submitAnnotation(assignmentId: $a, data: $d, idempotencyKey: $k) { ... on Annotation { id } ... on DomainError { code message } } }`;

/** A volume label of one box of liver [x0, x1) × [y0, y1) × [z0, z1) on the NIfTI's grid. */
function liverBox([x0, x1]: [number, number], [y0, y1]: [number, number], [z0, z1]: [number, number]) {
  const [X, Y, Z] = DIMS;
  const counts: number[] = [];
  let on = false;
  let run = 0;
  for (let z = 0; z < Z; z++)
    for (let y = 0; y < Y; y++)
      for (let x = 0; x < X; x++) {
        const inside = x >= x0 && x < x1 && y >= y0 && y < y1 && z >= z0 && z < z1;
        if (inside !== on) {
          counts.push(run);
          run = 0;
          on = inside;
        }
        run++;
      }
  counts.push(run);
  return { dims: DIMS, segments: [{ label: 'liver', rle: { counts } }] };
}

describe('expert review of video and volume labels in Chromium', () => {
  let stack: Stack;
  let web: Awaited<ReturnType<typeof startConsole>>;
  let browser: Browser;
  let ops: Person;
  let ann: Person;
  let ben: Person;
  let expert: Person;
  let work: string;
  const campaigns: Record<'phases' | 'volume' | 'empty' | 'dicom', string> = { phases: '', volume: '', empty: '', dicom: '' };

  async function campaignWithTask(kind: 'phases' | 'volume', name: string, schema: Record<string, unknown>, body: Buffer, contentType: string) {
    const created = await gql<{ createCampaign: { id?: string; message?: string } }>(
      stack.apiUrl,
      ops.token,
      `mutation($i: CreateCampaignInput!) { createCampaign(input: $i) { ... on Campaign { id } ... on DomainError { message } } }`,
      {
        i: {
          name,
          labelSchema: { geometry: kind, ...schema },
          overlap: 2,
          agreementThreshold: 0.99,
          qaSettings: { tolerableErrorRate: 0.9, confidence: 0.1, seed: 'review-media', minPerStratum: 0 },
          claimSlaSeconds: 3600,
          reviewCredential: 'board-certified-surgeon',
          requiredSkills: [{ key: 'laparoscopy', minLevel: 1 }],
          members: await everyoneAsMembers(stack, ops),
          payRates: [
            { kind: 'LABEL', amountCents: 10 },
            { kind: 'REVIEW', amountCents: 50 },
          ],
        },
      },
    );
    const campaignId = created.createCampaign.id;
    if (!campaignId) throw new Error(`createCampaign ${name}: ${created.createCampaign.message}`);
    const assetId = await uploadAsset(stack, ops, campaignId, body, contentType);
    const batch = await gql<{ createBatch: { id?: string; message?: string } }>(
      stack.apiUrl,
      ops.token,
      `mutation($c: ID!, $a: [ID!]!) { createBatch(campaignId: $c, name: "Whole", assetIds: $a) { ... on Batch { id } ... on DomainError { message } } }`,
      { c: campaignId, a: [assetId] },
    );
    if (!batch.createBatch.id) throw new Error(`createBatch ${name}: ${batch.createBatch.message}`);
    await gql(stack.apiUrl, ops.token, `mutation($c: ID!) { setCampaignStatus(id: $c, status: ACTIVE) { ... on Campaign { id } } }`, { c: campaignId });
    await startBatch(stack, ops, batch.createBatch.id);
    return { campaignId, batchId: batch.createBatch.id };
  }

  beforeAll(async () => {
    stack = await startStack();
    await allowBrowserStorage(stack);
    work = await mkdtemp(join(tmpdir(), 'suture-review-media-'));
    const admin = await bootstrapAdmin(stack);
    ops = await register(stack, admin, 'Olivia Ops', ['OPS_MANAGER']);
    ann = await register(stack, admin, 'Ann', ['ANNOTATOR'], [['laparoscopy', 3]]);
    ben = await register(stack, admin, 'Ben', ['ANNOTATOR'], [['laparoscopy', 3]]);
    expert = await register(stack, admin, 'Dr Eve Expert', ['EXPERT'], [], 'board-certified-surgeon');

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
      'testsrc=size=160x120:rate=20:duration=3',
      '-pix_fmt',
      'yuv420p',
      '-c:v',
      'libx264',
      videoPath,
    ]);
    const video = await readFile(videoPath);
    const nifti = await readFile(NIFTI);
    const made = [
      ['phases', await campaignWithTask('phases', 'Phases review', { classes: CLASSES.map((k) => ({ key: k, name: k })), phases: PHASES }, video, 'video/mp4')],
      ['volume', await campaignWithTask('volume', 'Volume review', { classes: ORGANS }, nifti, 'application/x-nifti')],
      ['empty', await campaignWithTask('volume', 'Volume, maybe empty', { classes: ORGANS }, nifti, 'application/x-nifti')],
      ['dicom', await campaignWithTask('volume', 'DICOM volume', { classes: ORGANS }, await readFile(DICOM), 'application/dicom')],
    ] as const;
    for (const [kind, { campaignId, batchId }] of made) {
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

  const signIn = (person: Person, name: string): Promise<Page> => signInAs(browser, web.url, person, { viewport: { width: 1400, height: 1000 }, label: name });

  /** Ann and Ben submit their labels through the API; resolves when the task waits for an expert. */
  async function labelled(campaignId: string, labels: Array<[Person, unknown]>) {
    let taskId = '';
    for (const [who, data] of labels) {
      const claim = (await gql<{ claimNextTask: { id?: string; taskId?: string; message?: string } }>(stack.apiUrl, who.token, CLAIM, { c: campaignId })).claimNextTask;
      expect(claim.id, claim.message).toBeTruthy();
      taskId = claim.taskId!;
      const res = (
        await gql<{ submitAnnotation: { id?: string; message?: string } }>(stack.apiUrl, who.token, SUBMIT, { a: claim.id, d: data, k: `label-${who.id}-${campaignId}` })
      ).submitAnnotation;
      expect(res.id, res.message).toBeTruthy();
    }
    await waitFor('task in review', async () => (await stack.prisma.task.findUniqueOrThrow({ where: { id: taskId } })).status === 'IN_REVIEW', 120_000);
    const ids = await Promise.all(labels.map(async ([who]) => (await stack.prisma.annotation.findFirstOrThrow({ where: { taskId, userId: who.id, submitted: true } })).id));
    return { taskId, ids };
  }

  async function claimReview(): Promise<Page> {
    const page = await signIn(expert, 'expert');
    await page.goto(`${web.url}/review`);
    await page.locator('main[data-hydrated="true"]').waitFor({ timeout: 30_000 });
    await page.getByTestId('claim-next').click();
    await page.waitForURL(/\/review\/[0-9a-f-]{36}/);
    await page.locator('main[data-hydrated="true"]').waitFor({ timeout: 30_000 });
    return page;
  }

  async function accepted(taskId: string) {
    return waitFor('task accepted', async () => {
      const t = await stack.prisma.task.findUniqueOrThrow({ where: { id: taskId } });
      return t.status === 'ACCEPTED' ? t : null;
    });
  }

  it('phases: two disagreeing timelines aligned under the video; the expert picks one and the task is accepted with it', async () => {
    const annData = {
      segments: [
        { phase: 'prep', start: 0, end: 20 },
        { phase: 'dissection', start: 20, end: 60 },
      ],
    };
    const benData = {
      segments: [
        { phase: 'prep', start: 0, end: 45 },
        { phase: 'dissection', start: 45, end: 60 },
      ],
    };
    const {
      taskId,
      ids: [annId, benId],
    } = await labelled(campaigns.phases, [
      [ann, annData],
      [ben, benData],
    ]);
    const page = await claimReview();

    // One row per annotator, on one time axis.
    const lane = (id: string, i: number) => page.getByTestId(`phases-lane-${id}-segment-${i}`);
    await page.getByTestId(`phases-row-${annId}`).waitFor();
    expect([await lane(annId!, 0).getAttribute('data-end'), await lane(benId!, 0).getAttribute('data-end')]).toEqual(['20', '45']);
    const annBox = (await lane(annId!, 1).boundingBox())!;
    const benBox = (await lane(benId!, 1).boundingBox())!;
    expect(Math.abs(annBox.x + annBox.width - (benBox.x + benBox.width))).toBeLessThan(2); // both end at the video's end
    expect(benBox.x - annBox.x).toBeGreaterThan(annBox.width * 0.5); // Ben's dissection starts 25 of 60 frames later
    // Frames 20–44 differ; the consensus preview (per-frame majority of the server module) is shown.
    const caption = page.getByTestId('video-frame');
    await expect.poll(() => caption.getAttribute('data-timing'), { timeout: 30_000 }).toBe('frames.json');
    const differ = page.getByTestId('phases-differ');
    await expect.poll(() => differ.getAttribute('data-runs')).toBe('20-45');
    expect(await differ.getAttribute('data-frames')).toBe('25');
    await page.getByTestId('phases-consensus-row').waitFor();
    // The shared playhead: clicking a lane at 3/4 of its width moves the video there.
    await page.getByTestId(`phases-lane-${benId}`).scrollIntoViewIfNeeded();
    const track = (await page.getByTestId(`phases-lane-${benId}`).boundingBox())!;
    await page.mouse.click(track.x + track.width * 0.75 + 1, track.y + track.height / 2);
    await expect.poll(async () => Number(await caption.getAttribute('data-frame')), { timeout: 15_000 }).toBe(45);

    await page.getByTestId(`review-choose-${annId}`).click();
    await page.waitForURL((url) => url.pathname === '/review', { timeout: 30_000 });
    expect((await accepted(taskId)).consensus).toEqual(annData);
  });

  it('volume: the map of voxels where two segmentations differ over the NIfTI; the expert starts from their consensus and submits it', async () => {
    const annData = liverBox([5, 21], [5, 26], [5, 16]);
    const benData = liverBox([8, 24], [5, 26], [5, 16]);
    const {
      taskId,
      ids: [annId, benId],
    } = await labelled(campaigns.volume, [
      [ann, annData],
      [ben, benData],
    ]);
    const page = await claimReview();

    const status = page.getByTestId('volume-review-slice');
    await expect.poll(() => status.getAttribute('data-state'), { timeout: 60_000 }).toBe('ready');
    expect(await status.getAttribute('data-dims')).toBe(DIMS.join('x'));
    await expect.poll(() => status.getAttribute('data-drawn')).toBe('true');
    // Ann's box is x 5–20, Ben's 8–23: they differ on 3 + 3 columns of 21 × 11 voxels, agree on 13.
    const map = page.getByTestId('volume-disagreement');
    expect(await map.getAttribute('data-voxels')).toBe(String(6 * 21 * 11));
    expect(await page.getByTestId('volume-agreed-liver').getAttribute('data-voxels')).toBe(String(13 * 21 * 11));
    expect(await page.getByTestId(`review-layer-${annId}`).getAttribute('data-voxels')).toBe(String(16 * 21 * 11));
    // Hide Ben: nothing to compare, no disagreement; show him again.
    await page.getByTestId(`review-toggle-${benId}`).uncheck();
    await expect.poll(() => map.getAttribute('data-voxels')).toBe('0');
    await page.getByTestId(`review-toggle-${benId}`).check();
    await expect.poll(() => map.getAttribute('data-voxels')).toBe(String(6 * 21 * 11));

    // Merge: the server module's consensus (STAPLE) of both labels, loaded into the volume editor.
    const schema = {
      geometry: 'volume' as const,
      classes: ORGANS,
      attributes: [],
      phases: [],
      keypoints: [],
      skeleton: [],
      multiLabel: false,
      phaseOverlap: false,
      polylineTolerance: 10,
    } as unknown as AnnotationContext['schema'];
    const ctx: AnnotationContext = { schema, media: { volume: { dims: DIMS } }, frame: null };
    const expected = annotationType('volume').consensus(
      [
        { annotator: 'ann', data: annData },
        { annotator: 'ben', data: benData },
      ],
      ctx,
    ).data as { segments: Array<{ rle: { counts: number[] } }> };
    const expectedVoxels = expected.segments.reduce((n, s) => n + s.rle.counts.filter((_, k) => k % 2 === 1).reduce((a, b) => a + b, 0), 0);
    expect(expectedVoxels).toBeGreaterThan(0);

    await page.getByTestId('review-start-consensus').click();
    expect(await page.getByTestId('review-consensus-source').textContent()).toContain('staple');
    const editor = page.getByTestId('volume-slice');
    await expect.poll(() => editor.getAttribute('data-state'), { timeout: 60_000 }).toBe('ready');
    expect(await page.getByTestId('volume-voxels-liver').getAttribute('data-voxels')).toBe(String(expectedVoxels));
    await page.getByTestId('review-submit-correction').click();
    await page.waitForURL((url) => url.pathname === '/review', { timeout: 30_000 });
    const task = await accepted(taskId);
    const canonical = parseLabel(ctx, expected);
    expect(canonical.ok).toBe(true);
    expect(task.consensus).toEqual(canonical.ok ? canonical.value : null);
  });

  /** Ann claims the campaign's task in the console; the volume editor has loaded. */
  async function openVolumeTask(campaignId: string, name: string) {
    const page = await signIn(ann, name);
    await page.goto(`${web.url}/work`);
    await page.locator('main[data-hydrated="true"]').waitFor({ timeout: 30_000 });
    await page.getByTestId('claim-campaign').selectOption(campaignId);
    await page.getByTestId('claim-next').click();
    await page.waitForURL(/\/work\/[0-9a-f-]{36}/);
    await page.locator('main[data-hydrated="true"]').waitFor({ timeout: 30_000 });
    const assignmentId = new URL(page.url()).pathname.split('/').pop()!;
    await expect.poll(() => page.getByTestId('volume-slice').getAttribute('data-state'), { timeout: 60_000 }).toBe('ready');
    return { page, assignmentId };
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

  it('volume: an annotator who finds nothing to mark submits an empty label', async () => {
    const { page, assignmentId } = await openVolumeTask(campaigns.empty, 'empty');
    expect(await page.getByTestId('volume-nothing-to-mark').textContent()).toContain('nothing to mark');
    expect(await submitAndReadBack(page, assignmentId)).toEqual({ dims: DIMS, segments: [] });
  });

  it('DICOM: NiiVue opens the de-identified DICOM as a columns × rows × frames volume and a painted label passes its bounds', async () => {
    const { page, assignmentId } = await openVolumeTask(campaigns.dicom, 'dicom');
    expect(await page.getByTestId('volume-slice').getAttribute('data-dims')).toBe('128x128x1');
    await page.getByTestId('volume-view-axial').click();
    await page.getByTestId('volume-class-tumour').check();
    const b = (await page.getByTestId('volume-canvas').boundingBox())!;
    await page.mouse.move(b.x + b.width / 2 - 40, b.y + b.height / 2);
    await page.mouse.down();
    await page.mouse.move(b.x + b.width / 2 + 40, b.y + b.height / 2, { steps: 10 });
    await page.mouse.up();
    await expect.poll(async () => Number(await page.getByTestId('volume-voxels-tumour').getAttribute('data-voxels'))).toBeGreaterThan(0);
    const data = (await submitAndReadBack(page, assignmentId)) as { dims: number[]; segments: Array<{ label: string; rle: { counts: number[] } }> };
    expect(data.dims).toEqual([128, 128, 1]);
    expect(data.segments.map((s) => s.label)).toEqual(['tumour']);
    expect(data.segments[0]!.rle.counts.reduce((a, c) => a + c, 0)).toBe(128 * 128);
  });
});
