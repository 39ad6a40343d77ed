// Burned-in text detection on frames built from the shared real images: small text on 4K frames, a whole
// exam-ID/date line on an ultrasound frame, clean radiographs without false boxes, and bounded work on a
// 96-frame series.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { T } from './dicom/dictionary.ts';
import { readDicom } from './dicom/parse.ts';
import { decodeFrame, toDisplay } from './dicom/pixels.ts';
import {
  type Box,
  type TextDetector,
  type TextImage,
  chooseFrames,
  createTextDetector,
  differenceHash,
  hammingDistance,
  isPlausibleTextLine,
  joinLines,
  planPasses,
  scanFrames,
} from './ocr.ts';
import { dicomDir, ffmpeg, tempDir } from './test-support.ts';

const dir = tempDir('suture-ocr-');
const font = spawnSync('fc-match', ['-f', '%{file}', 'DejaVu Sans'], { encoding: 'utf8' }).stdout.trim();
const detector = createTextDetector();

/** Frame 0 of a DICOM file from the shared data, as displayed, written to a PNG. */
async function dicomPng(name: string): Promise<string> {
  const file = readDicom(readFileSync(join(dicomDir, name)));
  const frame = await decodeFrame(file, 0);
  const display = toDisplay(file, frame, 0);
  const out = join(dir, `${name}.png`);
  await sharp(Buffer.from(display.data), { raw: { width: frame.width, height: frame.height, channels: display.channels } })
    .png()
    .toFile(out);
  return out;
}

/** The WG04 XA angiogram: 12-bit JPEG, which pixels.ts does not decode; ffmpeg does. */
function angiogramPng(): string {
  const file = readDicom(readFileSync(join(dicomDir, 'WG04_XA1_JPLY.dcm')));
  const fragment = file.dataset.get(T.PixelData)!.fragments!.find((f) => f.length > 1000)!;
  writeFileSync(join(dir, 'xa.jpg'), fragment);
  const out = join(dir, 'xa.png');
  ffmpeg(['-i', join(dir, 'xa.jpg'), '-vf', 'normalize,format=gray', out]);
  return out;
}

/** Letterboxed into width x height, as a recorder or viewer shows it. */
function fitInto(src: string, out: string, width: number, height: number): string {
  ffmpeg(['-i', src, '-vf', `scale=${width}:${height}:force_original_aspect_ratio=decrease,pad=${width}:${height}:(ow-iw)/2:(oh-ih)/2,format=rgb24`, '-frames:v', '1', out]);
  return out;
}

interface TextItem {
  text: string;
  /** pixels, or a drawtext expression ('w-tw-4': right-aligned) */
  x: number | string;
  y: number | string;
  size: number;
  color: string;
}

function drawText(src: string, out: string, items: TextItem[]): string {
  const filters = items.map((t) => `drawtext=fontfile=${font}:text='${t.text}':x=${t.x}:y=${t.y}:fontsize=${t.size}:fontcolor=${t.color}`);
  ffmpeg(['-i', src, '-vf', [...filters, 'format=rgb24'].join(','), '-frames:v', '1', out]);
  return out;
}

async function load(path: string): Promise<TextImage> {
  const { data, info } = await sharp(path).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data), width: info.width, height: info.height, channels: info.channels as 3 };
}

/** Pixels the text changed (inside `area`), and how many of them no box covers. */
function uncovered(clean: TextImage, text: TextImage, boxes: Box[], area: [number, number, number, number]): { text: number; uncovered: number } {
  const [x0, y0, x1, y1] = area;
  let changed = 0;
  let missed = 0;
  for (let y = Math.max(0, y0); y < Math.min(text.height, y1); y++) {
    for (let x = Math.max(0, x0); x < Math.min(text.width, x1); x++) {
      const o = (y * text.width + x) * text.channels;
      let diff = 0;
      for (let c = 0; c < 3; c++) diff = Math.max(diff, Math.abs(text.data[o + c]! - clean.data[o + c]!));
      if (diff <= 40) continue;
      changed++;
      if (!boxes.some((b) => x >= b.x && x < b.x + b.width && y >= b.y && y < b.y + b.height)) missed++;
    }
  }
  return { text: changed, uncovered: missed };
}

const area = (b: Box, image: TextImage) => (b.width * b.height) / (image.width * image.height);

// 16 px text (font size) in the four places a recorder puts it: corners over the black border, and one
// line over the image itself.
const smallText: TextItem[] = [
  { text: 'DOE^JANE', x: 40, y: 40, size: 16, color: 'white' },
  { text: 'MRN 12345678', x: 3600, y: 60, size: 16, color: 'yellow' },
  { text: 'DOB 1961-04-23', x: 60, y: 2080, size: 16, color: '0xb0b0b0' },
  { text: 'ACC 2024-0117-55', x: 1800, y: 1500, size: 16, color: 'white' },
];
const smallTextAreas: Array<[number, number, number, number]> = smallText.map((t) => [Number(t.x) - 4, Number(t.y) - 4, Number(t.x) + 16 * t.text.length, Number(t.y) + 24]);

describe('burned-in text detection', () => {
  const frames: Record<string, { clean: string; text?: string }> = {};

  beforeAll(async () => {
    const endoscopy = await dicomPng('WG04_VL2_J2KI_endoscopy.dcm');
    const ct = await dicomPng('bad_sequence.dcm');
    frames.endoscopy = { clean: fitInto(endoscopy, join(dir, '4k-endoscopy.png'), 3840, 2160) };
    frames.endoscopy.text = drawText(frames.endoscopy.clean, join(dir, '4k-endoscopy-text.png'), smallText);
    frames.ct = { clean: fitInto(ct, join(dir, '4k-ct.png'), 3840, 2160) };
    frames.ct.text = drawText(frames.ct.clean, join(dir, '4k-ct-text.png'), smallText);
    frames.angiogram = { clean: fitInto(angiogramPng(), join(dir, '4k-xa.png'), 3840, 2160) };
  }, 180_000);

  it('finds 16 px text on 4K frames: at least 3 of the 4 items covered whole on every frame', async () => {
    for (const name of ['endoscopy', 'ct']) {
      const clean = await load(frames[name]!.clean);
      const text = await load(frames[name]!.text!);
      const scan = await detector.scan(text);
      const covered = smallTextAreas.filter((a) => {
        const u = uncovered(clean, text, scan.boxes, a);
        return u.text > 50 && u.uncovered === 0;
      });
      expect(covered.length, `${name}: items covered`).toBeGreaterThanOrEqual(3);
      // Tiles are bounded: the whole frame plus a few tiles, never one model run per 960 px of 4K at full size.
      expect(scan.passes).toBeLessThanOrEqual(16);
      expect(scan.passes).toBeGreaterThan(1);
    }
  });

  it('covers the whole exam-ID/date line of an ultrasound frame, to its last character', async () => {
    const us = await dicomPng('JPGLosslessP14SV1_1s_1f_8b.dcm');
    const clean = fitInto(us, join(dir, 'us-hd.png'), 1920, 1080);
    const line = 'ID 20240117-0042   DOB 02/03/1961   17/01/2024 10\\:32\\:05';
    for (const color of ['white', '0xb0b0b0']) {
      // Bottom right, right-aligned against the frame's edge, as the machine writes it.
      const withLine = drawText(clean, join(dir, `us-hd-${color}.png`), [{ text: line, x: 'w-tw-4', y: 'h-th-6', size: 14, color }]);
      const image = await load(withLine);
      const boxes = await detector(image);
      const u = uncovered(await load(clean), image, boxes, [1300, 1030, 1920, 1080]);
      expect(u.text, color).toBeGreaterThan(500);
      expect(u.uncovered, `${color}: text pixels left uncovered`).toBe(0);
    }
  });

  it('puts no box on clean radiographs from the data, at their size or letterboxed into 4K', async () => {
    const clean = [await dicomPng('bad_sequence.dcm'), await dicomPng('WG04_CT2_JLSN.dcm'), angiogramPng(), frames.ct!.clean, frames.angiogram!.clean];
    for (const path of clean) {
      const image = await load(path);
      const scan = await detector.scan(image);
      expect(
        scan.boxes.every((b) => area(b, image) <= 0.25),
        path,
      ).toBe(true);
      // A vertebral arch at 4K looked like a giant glyph (a box over 5 % of the frame); it is rejected now.
      expect(scan.boxes, path).toEqual([]);
    }
  });

  it('rejects regions no text line has: most of the frame, a lone giant glyph, a sparse ring', () => {
    const frame = { width: 2000, height: 1600 };
    const line = (x: number, y: number, width: number, height: number, fill = 0.8) => ({ x, y, width, height, kernelHeight: height / 2, fill });
    expect(isPlausibleTextLine(line(100, 100, 300, 30), frame)).toBe(true);
    // two joined lines of an endoscopy overlay: tall but wide
    expect(isPlausibleTextLine(line(50, 100, 220, 110), { width: 756, height: 486 })).toBe(true);
    expect(isPlausibleTextLine(line(50, 50, 1900, 1450), frame)).toBe(false);
    expect(isPlausibleTextLine(line(800, 600, 400, 380), frame)).toBe(false);
    expect(isPlausibleTextLine(line(800, 600, 700, 200, 0.2), frame)).toBe(false);
  });

  it('plans tiles only when small text would be too small for the whole-image pass, within the pass cap', () => {
    expect(planPasses(1024, 768)).toHaveLength(1);
    const uhd = planPasses(3840, 2160);
    expect(uhd.length).toBeGreaterThan(1);
    expect(uhd.length).toBeLessThanOrEqual(16);
    // The tiles cover the frame and overlap.
    for (let y = 0; y < 2160; y += 40)
      for (let x = 0; x < 3840; x += 40) expect(uhd.slice(1).some((p) => x >= p.left && x < p.left + p.width && y >= p.top && y < p.top + p.height)).toBe(true);
    const capped = planPasses(3840, 2160, { maxPasses: 4 });
    expect(capped.length).toBeLessThanOrEqual(4);
    expect(planPasses(3840, 2160, { maxPasses: 1 })).toHaveLength(1);
  });

  it('joins the pieces of a line and keeps separate lines apart', () => {
    expect(
      joinLines([
        { x: 0, y: 0, width: 100, height: 20 },
        { x: 120, y: 2, width: 80, height: 18 },
        { x: 0, y: 18, width: 100, height: 20 },
        { x: 500, y: 0, width: 50, height: 20 },
      ]),
    ).toEqual([
      { x: 0, y: 0, width: 200, height: 20 },
      { x: 0, y: 18, width: 100, height: 20 },
      { x: 500, y: 0, width: 50, height: 20 },
    ]);
  });
});

describe('multi-frame series', () => {
  it('scans a 96-frame series in at most 12 frames and a bounded number of model runs, first, last and changed content included', async () => {
    // An ultrasound cine of 96 frames (its real burned-in labels on every frame, the image drifting), with an
    // endoscopy frame (its own burned-in patient number and date) cut in for frames 60-67.
    const us = await load(await dicomPng('JPGLosslessP14SV1_1s_1f_8b.dcm'));
    const endoscopyPng = await dicomPng('WG04_VL2_J2KI_endoscopy.dcm');
    const { data: endo } = await sharp(endoscopyPng).resize(us.width, us.height, { fit: 'fill' }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const frameAt = (i: number): TextImage => {
      if (i >= 60 && i < 68) return { data: new Uint8Array(endo), width: us.width, height: us.height, channels: 3 };
      const data = new Uint8Array(us.data);
      // Drift the sector's speckle a little from frame to frame (the labels stay put).
      for (let y = 150; y < 700; y++)
        for (let x = 150; x < 900; x++) for (let c = 0; c < 3; c++) data[(y * us.width + x) * 3 + c] = us.data[((y + (i % 7)) * us.width + x) * 3 + c]!;
      return { data, width: us.width, height: us.height, channels: 3 };
    };
    let calls = 0;
    const counting = Object.assign((image: TextImage) => detector(image), {
      scan: (image: TextImage, limits?: { maxPasses?: number }) => {
        calls++;
        return detector.scan(image, limits);
      },
    });
    const scan = await scanFrames(96, frameAt, counting);
    expect(calls).toBe(scan.framesScanned.length);
    expect(scan.framesScanned.length).toBeLessThanOrEqual(12);
    expect(scan.passes).toBeLessThanOrEqual(96);
    expect(scan.framesScanned).toContain(0);
    expect(scan.framesScanned).toContain(95);
    expect(scan.framesScanned.some((f) => f >= 60 && f < 68)).toBe(true);
    expect(scan.budgetReached).toBe(false);
    // The boxes to black out on every frame hold the cine's labels and the cut-in frame's patient number.
    const inside = (x: number, y: number) => scan.boxes.some((b) => x >= b.x && x < b.x + b.width && y >= b.y && y < b.y + b.height);
    expect(inside(40, 35)).toBe(true); // "Adult Echo"
    expect(inside(Math.round((100 * us.width) / 756), Math.round((50 * us.height) / 486))).toBe(true); // "0721"

    // A plain detector (no tiles) counts one model run per frame; the pass budget stops the scan.
    let plain = 0;
    const small = await scanFrames(96, frameAt, ((image: TextImage) => (plain++, detector(image))) as TextDetector, { maxFrames: 6, maxPasses: 4 });
    expect(plain).toBe(4);
    expect(small.framesScanned).toHaveLength(4);
    expect(small.budgetReached).toBe(true);
  });

  it('chooses first, last, evenly spaced and changed frames by difference hash', () => {
    const grey = (v: (x: number, y: number) => number): TextImage => {
      const data = new Uint8Array(64 * 48);
      for (let y = 0; y < 48; y++) for (let x = 0; x < 64; x++) data[y * 64 + x] = v(x, y);
      return { data, width: 64, height: 48, channels: 1 };
    };
    const ramp = differenceHash(grey((x) => x * 4));
    const other = differenceHash(grey((x, y) => ((x * 7 + y * 13) % 32) * 8));
    expect(hammingDistance(ramp, ramp)).toBe(0);
    expect(hammingDistance(ramp, other)).toBeGreaterThan(40);
    const hashes = Array.from({ length: 100 }, (_, i) => (i === 41 ? other : ramp));
    const chosen = chooseFrames(hashes, { maxFrames: 8 });
    expect(chosen).toHaveLength(8);
    expect(chosen.slice(0, 2)).toEqual([0, 99]);
    expect(chosen).toContain(41);
    expect(new Set(chosen).size).toBe(8);
    expect(chooseFrames(hashes.slice(0, 5), { maxFrames: 8 })).toEqual([0, 1, 2, 3, 4]);
  });
});
