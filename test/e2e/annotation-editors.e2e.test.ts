// In a real browser: an annotator draws polygons (with a hole, a vertex inserted on an edge), paints a mask,
// places keypoints (a skipped one later), draws a polyline and bounding boxes (resize, move, nudge, lock,
// attributes, undo/redo) with real pointer and keyboard events; the stored geometry is read back through
// the GraphQL API.
// And the expert's review page: two disagreeing polygon labels overlaid, the expert picks one, the task is accepted.
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { rleArea, rleDecode, rleFromString } from '@suture/workflows/quality';
import { gql, startStack, waitFor, type Stack } from '../support/stack.ts';
import { bootstrapAdmin, createCampaignWithBatch, register, startBatch, type Person } from '../support/scenario.ts';
import { launchChromium, signInAs, startConsole } from '../support/web.ts';

const WIDTH = 320;
const HEIGHT = 240;
const CLASSES = [
  { key: 'grasper', name: 'Grasper' },
  { key: 'hook', name: 'Hook' },
];

/** A 320×240 frame: a gradient with a bright bar, enough to see where one draws. */
async function frame(): Promise<Buffer> {
  const raw = Buffer.alloc(WIDTH * HEIGHT * 3);
  for (let y = 0; y < HEIGHT; y++)
    for (let x = 0; x < WIDTH; x++) {
      const o = (y * WIDTH + x) * 3;
      const bar = Math.abs(y - 60 - x * 0.3) < 8;
      raw[o] = bar ? 230 : 80 + (x % 60);
      raw[o + 1] = bar ? 230 : 20 + (y % 30);
      raw[o + 2] = bar ? 230 : 30;
    }
  return sharp(raw, { raw: { width: WIDTH, height: HEIGHT, channels: 3 } })
    .png()
    .toBuffer();
}

const CLAIM = `mutation($c: ID!) { claimNextTask(campaignId: $c) { ... on Assignment { id taskId } ... on DomainError { code message } } }`;
const SUBMIT = `mutation($a: ID!, $d: JSON!, $k: String!) { submitAnnotation(assignmentId: $a, data: $d, idempotencyKey: $k) { ... on Annotation { id } ... on DomainError { code message } } }`;
const STORED = `query($id: ID!) { assignment(id: $id) { ... on Assignment { status latestAnnotation { data submitted } } ... on DomainError { code message } } }`;

type Pt = [number, number];

function expectNear(actual: number[], expected: number[], tolerance = 1) {
  expect(actual.length).toBe(expected.length);
  actual.forEach((v, i) => expect(Math.abs(v - expected[i]!), `coordinate ${i}: ${v} vs ${expected[i]}`).toBeLessThanOrEqual(tolerance));
}

describe('annotation editors in Chromium', () => {
  let stack: Stack;
  let web: Awaited<ReturnType<typeof startConsole>>;
  let browser: Browser;
  let ann: Person;
  let ben: Person;
  let expert: Person;
  const campaigns = new Map<string, string>();

  beforeAll(async () => {
    stack = await startStack();
    const admin = await bootstrapAdmin(stack);
    const ops = await register(stack, admin, 'Olivia Ops', ['OPS_MANAGER']);
    ann = await register(stack, admin, 'Ann', ['ANNOTATOR'], [['laparoscopy', 3]]);
    ben = await register(stack, admin, 'Ben', ['ANNOTATOR'], [['laparoscopy', 3]]);
    expert = await register(stack, admin, 'Dr Eve Expert', ['EXPERT'], [], 'board-certified-surgeon');
    const image = await frame();
    const schemas: Record<string, Record<string, unknown>> = {
      polygon: { geometry: 'polygon', classes: CLASSES },
      mask: { geometry: 'mask', classes: CLASSES },
      keypoints: {
        geometry: 'keypoints',
        classes: CLASSES,
        keypoints: ['tip', 'joint', 'base'],
        skeleton: [
          ['tip', 'joint'],
          ['joint', 'base'],
        ],
      },
      polyline: { geometry: 'polyline', classes: CLASSES },
      bbox: { geometry: 'bbox', classes: CLASSES, attributes: [{ key: 'occluded', name: 'Occluded', type: 'boolean' }] },
      review: { geometry: 'polygon', classes: CLASSES },
    };
    const batches: string[] = [];
    for (const [name, labelSchema] of Object.entries(schemas)) {
      const { campaignId, batchId } = await createCampaignWithBatch(stack, ops, { tasks: 1, overlap: 2, threshold: 0.9, frames: [image], labelSchema, minLevel: 1 });
      await startBatch(stack, ops, batchId);
      campaigns.set(name, campaignId);
      batches.push(batchId);
    }
    await waitFor('tasks open', async () => (await stack.prisma.task.count({ where: { batchId: { in: batches }, status: 'OPEN' } })) === batches.length, 240_000);
    web = await startConsole(stack.apiUrl);
    browser = await launchChromium();
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    await web?.stop();
    await stack?.stop();
  });

  const loginAs = (person: Person) => signInAs(browser, web.url, person, { viewport: { width: 1400, height: 1000 } });

  /** Claims Ann's task of a campaign and opens it; returns the page, the assignment and an image→screen mapper. */
  async function openTask(kind: string) {
    const claim = (await gql<{ claimNextTask: { id?: string; message?: string } }>(stack.apiUrl, ann.token, CLAIM, { c: campaigns.get(kind) })).claimNextTask;
    expect(claim.id, claim.message).toBeTruthy();
    const page = await loginAs(ann);
    await page.goto(`${web.url}/work/${claim.id}`);
    await page.locator('main[data-hydrated="true"]').waitFor({ timeout: 30_000 });
    const stage = page.getByTestId('annotation-stage');
    await page.locator('[data-testid="annotation-stage"][data-ready="true"]').waitFor({ timeout: 30_000 });
    const box = (await stage.boundingBox())!;
    const at = ([x, y]: Pt): Pt => [box.x + (x * box.width) / WIDTH, box.y + (y * box.height) / HEIGHT];
    const click = async (p: Pt, options?: { button?: 'left' | 'right' }) => page.mouse.click(...at(p), options);
    const drag = async (from: Pt, to: Pt) => {
      await page.mouse.move(...at(from));
      await page.mouse.down();
      await page.mouse.move(...at(to), { steps: 20 });
      await page.mouse.up();
    };
    return { page, assignmentId: claim.id!, click, drag, at };
  }

  async function submitAndRead(page: Page, assignmentId: string): Promise<{ objects: Array<Record<string, unknown>>; frame?: number }> {
    await page.getByTestId('submit-annotation').click();
    await page.waitForURL((url) => url.pathname === '/work', { timeout: 30_000 });
    const stored = await gql<{ assignment: { latestAnnotation?: { data: unknown; submitted: boolean } } }>(stack.apiUrl, ann.token, STORED, { id: assignmentId });
    expect(stored.assignment.latestAnnotation?.submitted).toBe(true);
    return stored.assignment.latestAnnotation!.data as { objects: Array<Record<string, unknown>> };
  }

  it('polygon: clicks make vertices, a hole, a vertex drag with undo/redo; a self-intersecting polygon is flagged', async () => {
    const { page, assignmentId, click, drag, at } = await openTask('polygon');
    const outline: Pt[] = [
      [40, 40],
      [200, 50],
      [220, 180],
      [60, 170],
    ];
    for (const p of outline) await click(p);
    await page.keyboard.press('Enter');
    await page.keyboard.press('h');
    const hole: Pt[] = [
      [100, 90],
      [150, 90],
      [125, 130],
    ];
    for (const p of hole) await click(p);
    await page.keyboard.press('Enter');
    expect(await page.getByTestId('object-list').locator('li').count()).toBe(1);
    expect(await page.getByTestId('object-0').textContent()).toContain('7 points, 1 hole');

    // A double-click on an edge inserts a vertex there; undo takes it out again.
    await page.mouse.dblclick(...at([120, 45]));
    expect(await page.getByTestId('object-0').textContent()).toContain('8 points, 1 hole');
    await page.keyboard.press('Control+z');
    expect(await page.getByTestId('object-0').textContent()).toContain('7 points, 1 hole');

    await drag([200, 50], [240, 60]);
    await page.keyboard.press('Control+z');
    await page.keyboard.press('Control+Shift+Z');

    // A bow-tie is refused before submit, then deleted.
    await page.keyboard.press('p');
    for (const p of [
      [250, 150],
      [300, 200],
      [300, 150],
      [250, 200],
    ] as Pt[])
      await click(p);
    await page.keyboard.press('Enter');
    await page.getByTestId('geometry-problems').waitFor();
    expect(await page.getByTestId('geometry-problems').textContent()).toContain('#2');
    await page.keyboard.press('Delete');
    await page.getByTestId('geometry-problems').waitFor({ state: 'detached' });

    const data = await submitAndRead(page, assignmentId);
    expect(data.objects).toHaveLength(1);
    const object = data.objects[0] as { label: string; rings: Pt[][] };
    expect(object.label).toBe('grasper');
    expect(object.rings).toHaveLength(2);
    expectNear(object.rings[0]!.flat(), [40, 40, 240, 60, 220, 180, 60, 170]);
    expectNear(object.rings[1]!.flat(), hole.flat());
  });

  it('mask: a brush stroke and an eraser stroke are stored as COCO RLE of the painted area', async () => {
    const { page, assignmentId, drag } = await openTask('mask');
    await page.getByTestId('class-option-hook').click();
    // Brush 24 px: a stroke from x=60 to x=200 at y=100 covers 140×24 plus two half discs.
    await drag([60, 100], [200, 100]);
    expect(await page.getByTestId('object-list').locator('li').count()).toBe(1);
    // Eraser across the band at x=130: removes about a 24×24 square.
    await page.keyboard.press('e');
    await drag([130, 70], [130, 130]);

    const data = await submitAndRead(page, assignmentId);
    expect(data.objects).toHaveLength(1);
    const object = data.objects[0] as { label: string; rle: { size: [number, number]; counts: string } };
    expect(object.label).toBe('hook');
    expect(object.rle.size).toEqual([HEIGHT, WIDTH]);
    expect(typeof object.rle.counts).toBe('string');
    const rle = rleFromString(object.rle);
    const painted = 140 * 24 + Math.PI * 12 ** 2 - 24 * 24;
    expect(Math.abs(rleArea(rle) - painted) / painted).toBeLessThan(0.08);
    const bitmap = rleDecode(rle);
    const at = (x: number, y: number) => bitmap.data[y * WIDTH + x];
    expect(at(80, 100)).toBe(1);
    expect(at(190, 105)).toBe(1);
    expect(at(130, 100)).toBe(0); // erased
    expect(at(80, 130)).toBe(0); // below the stroke
    expect(at(10, 10)).toBe(0);
  });

  it('keypoints: placed in schema order with visibility flags (Shift+click hidden, N skips, V toggles)', async () => {
    const { page, assignmentId, click } = await openTask('keypoints');
    await click([50, 50]);
    await page.keyboard.down('Shift');
    await click([100, 80]);
    await page.keyboard.up('Shift');
    await page.keyboard.press('n');
    expect(await page.getByTestId('object-0').textContent()).toContain('2/3 points');
    const before = await submitDraft(page);
    expect(before).toBeTruthy();
    await page.keyboard.press('v');
    // The skipped keypoint is placed later: its name under the selected instance, then a click.
    await page.getByTestId('object-action-keypoint-base').click();
    await click([150, 120]);
    expect(await page.getByTestId('object-0').textContent()).toContain('3/3 points');

    const data = await submitAndRead(page, assignmentId);
    expect(data.objects).toHaveLength(1);
    const object = data.objects[0] as { label: string; points: Array<[number, number, number]> };
    expect(object.label).toBe('grasper');
    expect(object.points).toHaveLength(3);
    expectNear(object.points[0]!, [50, 50, 2]);
    expectNear(object.points[1]!, [100, 80, 2]);
    expectNear(object.points[2]!, [150, 120, 2]);
  });

  it('polyline: clicked points, Enter finishes, right-click deletes a vertex', async () => {
    const { page, assignmentId, click } = await openTask('polyline');
    const points: Pt[] = [
      [30, 200],
      [100, 150],
      [180, 160],
      [290, 60],
    ];
    for (const p of points) await click(p);
    await page.keyboard.press('Enter');
    await click([180, 160], { button: 'right' });

    const data = await submitAndRead(page, assignmentId);
    expect(data.objects).toHaveLength(1);
    const object = data.objects[0] as { label: string; points: Pt[] };
    expectNear(object.points.flat(), [30, 200, 100, 150, 290, 60]);
  });

  it('bbox: boxes on the shared stage: draw, resize by a handle with undo/redo, move, nudge, per-box class and attributes, lock', async () => {
    const { page, assignmentId, click, drag } = await openTask('bbox');
    expect(await page.getByTestId('tool-box').getAttribute('aria-pressed')).toBe('true');
    await drag([40, 40], [140, 120]);
    await page.keyboard.press('2'); // hook for the next box
    await drag([200, 100], [260, 200]);
    expect(await page.getByTestId('object-list').locator('li').count()).toBe(2);
    expect(await page.getByTestId('object-label-1').inputValue()).toBe('hook');

    // Select box 1 and pull its bottom-right handle; undo, then redo.
    await click([90, 80]);
    await drag([140, 120], [160, 130]);
    expect(await page.getByTestId('object-0').textContent()).toContain('120×90');
    await page.keyboard.press('Control+z');
    expect(await page.getByTestId('object-0').textContent()).toContain('100×80');
    await page.keyboard.press('Control+Shift+Z');
    expect(await page.getByTestId('object-0').textContent()).toContain('120×90');

    // Box 2: moved by a drag, nudged one pixel right, marked occluded.
    await drag([230, 150], [240, 140]);
    await page.keyboard.press('ArrowRight');
    await page.getByTestId('object-1').getByRole('checkbox').check();

    // A locked box does not move.
    await page.getByTestId('object-lock-0').click();
    await drag([90, 80], [20, 20]);
    // Nor can its class be changed until it is unlocked.
    expect(await page.getByTestId('object-label-0').isDisabled()).toBe(true);
    await page.getByTestId('object-lock-0').click();
    expect(await page.getByTestId('object-label-0').isDisabled()).toBe(false);

    const data = await submitAndRead(page, assignmentId);
    const objects = data.objects as Array<{ label: string; box: number[]; attributes?: Record<string, unknown> }>;
    expect(objects.map((o) => o.label)).toEqual(['grasper', 'hook']);
    expectNear(objects[0]!.box, [40, 40, 120, 90]);
    expect(objects[0]!.attributes).toBeUndefined();
    expectNear(objects[1]!.box, [211, 90, 60, 100]);
    expect(objects[1]!.attributes).toEqual({ occluded: true });
  });

  it('review: two disagreeing polygon labels overlaid by agreement; the expert picks one and the task is accepted', async () => {
    const campaignId = campaigns.get('review')!;
    const square = (x: number, y: number, s: number): Pt[][] => [
      [
        [x, y],
        [x + s, y],
        [x + s, y + s],
        [x, y + s],
      ],
    ];
    const shared = { label: 'grasper', rings: square(20, 20, 80) };
    const labels = new Map<Person, unknown>([
      [ann, { objects: [shared, { label: 'hook', rings: square(150, 40, 60) }] }],
      [ben, { objects: [shared, { label: 'hook', rings: square(220, 150, 60) }] }],
    ]);
    let taskId = '';
    for (const [who, data] of labels) {
      const claim = (await gql<{ claimNextTask: { id?: string; taskId?: string; message?: string } }>(stack.apiUrl, who.token, CLAIM, { c: campaignId })).claimNextTask;
      expect(claim.id, claim.message).toBeTruthy();
      taskId = claim.taskId!;
      const res = (await gql<{ submitAnnotation: { id?: string; message?: string } }>(stack.apiUrl, who.token, SUBMIT, { a: claim.id, d: data, k: `review-${who.id}` }))
        .submitAnnotation;
      expect(res.id, res.message).toBeTruthy();
    }
    await waitFor('task in review', async () => (await stack.prisma.task.findUniqueOrThrow({ where: { id: taskId } })).status === 'IN_REVIEW', 120_000);
    const annLabel = await stack.prisma.annotation.findFirstOrThrow({ where: { taskId, userId: ann.id, submitted: true } });
    const benLabel = await stack.prisma.annotation.findFirstOrThrow({ where: { taskId, userId: ben.id, submitted: true } });

    const page = await loginAs(expert);
    await page.goto(`${web.url}/review`);
    await page.locator('main[data-hydrated="true"]').waitFor({ timeout: 30_000 });
    await page.getByTestId('claim-next').click();
    await page.waitForURL(/\/review\/[0-9a-f-]{36}/);
    await page.locator('main[data-hydrated="true"]').waitFor({ timeout: 30_000 });

    // Both labels over the one image: the shared square agrees, each annotator's second square does not.
    const annLayer = page.getByTestId(`review-layer-${annLabel.id}`);
    const benLayer = page.getByTestId(`review-layer-${benLabel.id}`);
    expect(await annLayer.getAttribute('data-agreed')).toBe('1');
    expect(await annLayer.getAttribute('data-disagreed')).toBe('1');
    expect(await benLayer.getAttribute('data-agreed')).toBe('1');
    expect(await benLayer.getAttribute('data-disagreed')).toBe('1');
    expect(await page.getByTestId(`submitted-label-${annLabel.id}`).textContent()).toContain('2 polygons');

    await page.getByTestId(`review-choose-${annLabel.id}`).click();
    await page.waitForURL((url) => url.pathname === '/review', { timeout: 30_000 });
    const accepted = await waitFor('task accepted', async () => {
      const t = await stack.prisma.task.findUniqueOrThrow({ where: { id: taskId } });
      return t.status === 'ACCEPTED' ? t : null;
    });
    expect(accepted.consensus).toEqual(annLabel.data);
  });

  /** Saves a draft through the page (the payload must be valid mid-way too); true when it was saved. */
  async function submitDraft(page: Page): Promise<boolean> {
    await page.getByTestId('save-draft').click();
    await page.getByTestId('toast-success').first().waitFor({ timeout: 15_000 });
    return true;
  }
});
