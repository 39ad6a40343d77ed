// The fast RLE paths against the previous implementation, kept here verbatim as the oracle: every encoding,
// string, decoding, IoU, Dice and merge must be identical (not close), on random and endoscopy-sized masks.
import { describe, expect, it } from 'vitest';
import { overlapRatio } from '../conventions.ts';
import { QualityInputError } from '../errors.ts';
import { createRng, type Rng } from '../random.ts';
import { forAllSeeds } from '../testing.ts';
import {
  PreparedRle,
  prepareRle,
  rleArea,
  rleDecode,
  rleDice,
  rleEncode,
  rleFromString,
  rleIoU,
  rleIoUMatrix,
  rleMerge,
  rleToString,
  type Bitmap,
  type CompressedRle,
  type Rle,
} from './rle.ts';
import { instrumentMask, shiftedMask } from './synthetic-masks.ts';

// ---- Oracle: the implementation before the fast paths (validation left out: the inputs here are valid). ----
const oracle = {
  encode(mask: Bitmap): Rle {
    const { width: w, height: h, data } = mask;
    const counts: number[] = [];
    let current = 0;
    let run = 0;
    for (let x = 0; x < w; x++) {
      for (let y = 0, i = x; y < h; y++, i += w) {
        const v = data[i] ? 1 : 0;
        if (v !== current) {
          counts.push(run);
          run = 0;
          current = v;
        }
        run++;
      }
    }
    counts.push(run);
    return { size: [h, w], counts };
  },
  decode(rle: Rle): Uint8Array {
    const [h, w] = rle.size;
    const data = new Uint8Array(h * w);
    let pos = 0;
    rle.counts.forEach((c, k) => {
      if (k % 2 === 1) {
        for (let p = pos; p < pos + c; p++) data[(p % h) * w + Math.floor(p / h)] = 1;
      }
      pos += c;
    });
    return data;
  },
  area(rle: Rle): number {
    let a = 0;
    for (let k = 1; k < rle.counts.length; k += 2) a += rle.counts[k] as number;
    return a;
  },
  toString(rle: Rle): string {
    let s = '';
    const c = rle.counts;
    for (let i = 0; i < c.length; i++) {
      let x = (c[i] as number) - (i > 2 ? (c[i - 2] as number) : 0);
      for (let more = true; more;) {
        let chunk = ((x % 32) + 32) % 32;
        x = Math.floor(x / 32);
        more = chunk & 0x10 ? x !== -1 : x !== 0;
        if (more) chunk |= 0x20;
        s += String.fromCharCode(chunk + 48);
      }
    }
    return s;
  },
  fromString(s: string): number[] {
    const counts: number[] = [];
    let p = 0;
    while (p < s.length) {
      let x = 0;
      let k = 0;
      for (let more = true; more;) {
        const c = s.charCodeAt(p) - 48;
        x += (c & 0x1f) * 2 ** (5 * k);
        more = (c & 0x20) !== 0;
        p++;
        k++;
        if (!more && c & 0x10) x -= 2 ** (5 * k);
      }
      if (counts.length > 2) x += counts[counts.length - 2] as number;
      counts.push(x);
    }
    return counts;
  },
  intersection(a: Rle, b: Rle): number {
    const ca = a.counts;
    const cb = b.counts;
    let ia = 0;
    let ib = 0;
    let ra = ca[0] ?? 0;
    let rb = cb[0] ?? 0;
    let va = 0;
    let vb = 0;
    let inter = 0;
    while (ia < ca.length && ib < cb.length) {
      const step = Math.min(ra, rb);
      if (va & vb) inter += step;
      ra -= step;
      rb -= step;
      if (ra === 0) {
        ia++;
        va ^= 1;
        ra = ca[ia] ?? 0;
      }
      if (rb === 0) {
        ib++;
        vb ^= 1;
        rb = cb[ib] ?? 0;
      }
    }
    return inter;
  },
  iou(a: Rle, b: Rle, gtIsCrowd = false): number {
    const inter = oracle.intersection(a, b);
    const areaA = oracle.area(a);
    const areaB = oracle.area(b);
    if (gtIsCrowd) return areaA === 0 && areaB > 0 ? 0 : overlapRatio(inter, areaA);
    return overlapRatio(inter, areaA + areaB - inter);
  },
  dice(a: Rle, b: Rle): number {
    return overlapRatio(2 * oracle.intersection(a, b), oracle.area(a) + oracle.area(b));
  },
};

// ---- Mask generators covering the encoder's paths (4-byte words or bytes) and its edge cases. ----
function randomMask(rng: Rng, width: number, height: number, unaligned = false): Bitmap {
  const style = rng.int(4);
  const density = rng.next();
  const on = [1, 255, 7][rng.int(3)] as number;
  const storage = new Uint8Array(width * height + 1);
  const data = unaligned ? storage.subarray(1) : storage.subarray(0, width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const set =
        style === 0
          ? rng.next() < density // salt and pepper
          : style === 1
            ? (x * height + y) % (3 + (x % 5)) < 2 // column-major runs that cross column boundaries
            : style === 2
              ? Math.hypot(x - width / 2, y - height / 2) < (density * Math.min(width, height)) / 1.5 // one blob
              : x % 3 === 0 || y === height - 1; // whole columns and the last row
      if (set) data[y * width + x] = on;
    }
  }
  return { width, height, data };
}

function bitmapOf(width: number, height: number, on: Array<[number, number]>): Bitmap {
  const data = new Uint8Array(width * height);
  for (const [x, y] of on) data[y * width + x] = 1;
  return { width, height, data };
}

function edgeMasks(): Bitmap[] {
  const list: Bitmap[] = [];
  for (const [w, h] of [
    [0, 0],
    [0, 5],
    [5, 0],
    [1, 1],
    [1, 9],
    [9, 1],
    [4, 1],
    [8, 3],
    [7, 5],
    [12, 12],
  ] as const) {
    list.push(bitmapOf(w, h, [])); // empty
    if (w * h === 0) continue;
    list.push({ width: w, height: h, data: new Uint8Array(w * h).fill(1) }); // full
    for (const [x, y] of [
      [0, 0],
      [w - 1, 0],
      [0, h - 1],
      [w - 1, h - 1],
      [w >> 1, h >> 1],
    ] as const)
      list.push(bitmapOf(w, h, [[x, y]])); // one pixel, at each corner and in the middle
    // A run from the bottom of one column into the top of the next.
    if (w > 1)
      list.push(
        bitmapOf(w, h, [
          [0, h - 1],
          [1, 0],
        ]),
      );
  }
  return list;
}

/** Index of the first differing byte, or −1 (vitest's deep equality is far too slow on megapixel arrays). */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

function expectSameEncoding(mask: Bitmap): Rle {
  const expected = oracle.encode(mask);
  const rle = rleEncode(mask);
  expect(rle).toEqual(expected);
  const text = rleToString(rle);
  expect(text).toBe(oracle.toString(expected));
  expect(rleFromString({ size: rle.size, counts: text }).counts).toEqual(oracle.fromString(text));
  const pixels = oracle.decode(expected);
  expect(firstDifference(rleDecode(rle).data, pixels)).toBe(-1);
  expect(firstDifference(rleDecode(prepareRle({ size: rle.size, counts: text })).data, pixels)).toBe(-1);
  expect(rleArea(rle)).toBe(oracle.area(expected));
  return rle;
}

function expectSameComparisons(a: Rle, b: Rle): void {
  const compressedA: CompressedRle = { size: a.size, counts: rleToString(a) };
  const compressedB: CompressedRle = { size: b.size, counts: rleToString(b) };
  for (const crowd of [false, true]) {
    const expected = oracle.iou(a, b, crowd);
    expect(rleIoU(a, b, crowd)).toBe(expected);
    expect(rleIoU(compressedA, compressedB, crowd)).toBe(expected);
    expect(rleIoU(prepareRle(a), compressedB, crowd)).toBe(expected);
    expect(rleIoUMatrix([a, compressedA], [b], crowd)).toEqual([[expected], [expected]]);
  }
  expect(rleDice(a, b)).toBe(oracle.dice(a, b));
  expect(rleDice(compressedA, prepareRle(b))).toBe(oracle.dice(a, b));
}

describe('RLE fast paths are identical to the previous implementation', () => {
  it('encodes, compresses, parses and decodes every edge case the same', () => {
    for (const mask of edgeMasks()) expectSameEncoding(mask);
  });

  it('encodes pixel values whose 8-byte groups read as −0 or NaN the same (the 8-byte comparison path)', () => {
    // Little-endian doubles: [0 ×7, 0x80] is −0 and equals +0 (all zeros) as a number; [.., 0xf8, 0xff] is NaN.
    const rows = [
      [0, 0, 0, 0, 0, 0, 0, 0],
      [0, 0, 0, 0, 0, 0, 0, 0x80],
      [0, 0, 0, 0, 0, 0, 0, 0],
      [1, 0, 3, 0, 0, 9, 0xf8, 0xff],
      [0, 2, 0, 0, 7, 0, 0xf8, 0xff],
      [0, 0, 0, 0, 0, 0, 0, 0x80],
    ];
    const storage = new Float64Array(rows.length);
    const data = new Uint8Array(storage.buffer);
    rows.forEach((row, y) => data.set(row, y * 8));
    const rle = expectSameEncoding({ width: 8, height: rows.length, data });
    expect(rleArea(rle)).toBe(11);
  });

  it('encodes random masks the same, through the 8-byte, 4-byte and byte paths (property)', () => {
    forAllSeeds(60, (rng, i) => {
      // Widths divisible by 8 or 4 compare 8 or 4 bytes at a time unless the data starts at an odd byte offset.
      const width = i % 2 === 0 ? 4 * (1 + rng.int(10)) : 1 + rng.int(40);
      const height = 1 + rng.int(40);
      expectSameEncoding(randomMask(rng, width, height, i % 3 === 0));
    });
  });

  it('compares random masks the same: IoU, crowd IoU, Dice, matrix and merge, from plain, compressed and prepared forms (property)', () => {
    forAllSeeds(60, (rng) => {
      const width = 1 + rng.int(30);
      const height = 1 + rng.int(30);
      const a = rleEncode(randomMask(rng, width, height));
      const b = rleEncode(randomMask(rng, width, height));
      expectSameComparisons(a, b);
      expectSameComparisons(a, a);
      const union = oracle.decode(a).map((v, k) => v | (oracle.decode(b)[k] as number));
      expect(rleDecode(rleMerge([a, { size: b.size, counts: rleToString(b) }])).data).toEqual(union);
    });
  });

  it('compares run lists with zero-length runs inside (valid, not canonical) the same', () => {
    const a: Rle = { size: [3, 4], counts: [0, 0, 2, 3, 0, 4, 3] };
    const b: Rle = { size: [3, 4], counts: [1, 5, 0, 2, 4] };
    expectSameComparisons(a, b);
    expect(rleDecode(a).data).toEqual(oracle.decode(a));
    expect(rleToString(a)).toBe(oracle.toString(a));
  });

  it('handles masks beyond 2³² pixels (runs longer than 32 bits) the same', () => {
    const size: [number, number] = [2 ** 17, 2 ** 16];
    const a: Rle = { size, counts: [2 ** 32 + 7, 2 ** 31, 2 ** 31 - 7] };
    const b: Rle = { size, counts: [2 ** 32, 100, 2 ** 32 - 100] };
    expectSameComparisons(a, b);
    expect(rleIoU(a, b)).toBe(93 / (2 ** 31 + 7));
  });

  it('matches on the 1920×1080 endoscopy instrument masks of `pnpm bench quality`', () => {
    const rng = createRng('bench-rle');
    const first = Array.from({ length: 4 }, () => instrumentMask(rng, 1920, 1080));
    const second = first.map((m, i) => shiftedMask(m, i - 2, 2 - i));
    const dt = first.map(expectSameEncoding);
    const gt = second.map(expectSameEncoding);
    const expected = dt.map((a) => gt.map((b) => oracle.iou(a, b)));
    expect(rleIoUMatrix(dt, gt)).toEqual(expected);
    expect(
      rleIoUMatrix(
        dt.map((r) => ({ size: r.size, counts: rleToString(r) })),
        gt.map((r) => prepareRle(r)),
      ),
    ).toEqual(expected);
    // The pairs drawn from the same instruments overlap strongly; the others hardly.
    expected.forEach((row, i) => expect(row[i]).toBeGreaterThan(0.8));
    // An unaligned copy (byte path) encodes the same as the aligned original (word path).
    const storage = new Uint8Array(1920 * 1080 + 1);
    storage.set((first[0] as Bitmap).data, 1);
    expect(rleEncode({ width: 1920, height: 1080, data: storage.subarray(1) })).toEqual(dt[0]);
  });
});

describe('RLE conventions and input errors', () => {
  it('scores two empty masks 1 (the engine convention; pycocotools gives 0) and one empty side 0', () => {
    const empty = rleEncode(bitmapOf(4, 4, []));
    const dot = rleEncode(bitmapOf(4, 4, [[1, 1]]));
    expect(rleIoU(empty, empty)).toBe(1);
    expect(rleIoU(empty, empty, true)).toBe(1);
    expect(rleIoU(empty, dot)).toBe(0);
    expect(rleIoU(empty, dot, true)).toBe(0);
    expect(rleDice(empty, empty)).toBe(1);
    expect(rleIoUMatrix([empty, dot], [empty, dot])).toEqual([
      [1, 0],
      [0, 1],
    ]);
  });

  it('rejects mismatched sizes and bad run lists with specific errors', () => {
    const a = rleEncode(bitmapOf(4, 4, [[1, 1]]));
    const b = rleEncode(bitmapOf(5, 4, []));
    const fails = (fn: () => unknown, code: string, message: RegExp) => {
      expect(fn).toThrow(QualityInputError);
      expect(fn).toThrow(message);
      try {
        fn();
      } catch (error) {
        expect((error as QualityInputError).code).toBe(code);
      }
    };
    fails(() => rleIoU(a, b), 'SHAPE_MISMATCH', /mask sizes differ: 4×4 vs 4×5/);
    fails(() => rleIoU(prepareRle(a), { size: b.size, counts: rleToString(b) }), 'SHAPE_MISMATCH', /mask sizes differ: 4×4 vs 4×5/);
    fails(() => rleDice(a, b), 'SHAPE_MISMATCH', /mask sizes differ/);
    fails(() => rleIoUMatrix([a], [a, b]), 'SHAPE_MISMATCH', /dt 0 vs gt 1: mask sizes differ: 4×4 vs 4×5/);
    fails(() => rleIoUMatrix([a], [a, b], [true]), 'LENGTH_MISMATCH', /gtIsCrowd has 1 flags for 2 gt masks/);
    fails(() => rleIoU({ size: [2, 2], counts: [1, 2] }, a), 'INVALID_RLE', /dt.counts sum to 3, expected height·width = 4/);
    fails(() => rleIoU(a, { size: [4, 4], counts: [10, -1, 7] }), 'INVALID_RLE', /gt.counts\[1\] must be a non-negative integer, got -1/);
    fails(() => rleIoU(a, { size: [4, 4], counts: [10, 1.5, 4.5] }), 'INVALID_RLE', /gt.counts\[1\] must be a non-negative integer, got 1.5/);
    fails(() => rleIoU(a, { size: [4, 4], counts: [10, Number.NaN, 6] }), 'INVALID_RLE', /gt.counts\[1\] must be a non-negative integer, got NaN/);
    fails(() => rleIoUMatrix([a], [{ size: [4, 4], counts: [3] }]), 'INVALID_RLE', /gt 0.counts sum to 3/);
    fails(() => rleIoU(a, { size: [4, 4], counts: '0!' }), 'INVALID_RLE', /^gt: compressed RLE has an invalid character '!' at 1$/);
    fails(() => rleIoU(a, { size: [4, 4], counts: '0' }), 'INVALID_RLE', /^gt: decoded RLE.counts sum to 0, expected height·width = 16$/);
    fails(() => rleIoUMatrix([a, a], [a, { size: [4, 4], counts: '0' }]), 'INVALID_RLE', /^gt 1: decoded RLE.counts sum to 0/);
    fails(() => rleFromString({ size: [4, 4], counts: '0' }), 'INVALID_RLE', /^decoded RLE.counts sum to 0, expected height·width = 16$/);
    fails(() => rleEncode({ width: 3, height: 2, data: new Uint8Array(5) }), 'SHAPE_MISMATCH', /mask data has 5 values, expected 3×2 = 6/);
  });
});

describe('prepared masks', () => {
  it('rleIoU remembers a decoded compressed object but notices when it holds another string or size', () => {
    const one = rleEncode(bitmapOf(3, 3, [[0, 0]]));
    const two = rleEncode(bitmapOf(3, 3, [[2, 2]]));
    const stored: CompressedRle = { size: [3, 3], counts: rleToString(one) };
    expect(rleIoU(stored, one)).toBe(1);
    expect(rleDice(stored, two)).toBe(0);
    stored.counts = rleToString(two);
    expect(rleIoU(stored, one)).toBe(0);
    expect(rleIoU(stored, two)).toBe(1);
    // Same string, other size: decoded again, so the size check applies.
    stored.size = [9, 1];
    expect(() => rleIoU(stored, two)).toThrow(/mask sizes differ: 9×1 vs 3×3/);
    expect(rleIoU(stored, { size: [9, 1], counts: two.counts })).toBe(1);
    expect(prepareRle(stored)).toBeInstanceOf(PreparedRle);
    expect(prepareRle(stored).area).toBe(1);
  });

  it('copy plain run lengths, so later changes to the input do not reach the prepared mask', () => {
    const rle = rleEncode(bitmapOf(2, 2, [[0, 0]]));
    const prepared = prepareRle(rle);
    rle.counts[0] = 4;
    rle.counts.length = 1;
    expect(prepared.counts).toEqual([0, 1, 3]);
    expect(rleIoU(prepared, rleEncode(bitmapOf(2, 2, [[0, 0]])))).toBe(1);
  });
});
