// COCO run-length encoded masks with pycocotools semantics (maskApi.c): column-major (Fortran) order, counts
// alternate runs of 0s and 1s starting with 0s, and the compact string form of rleToString/rleFrString.
import { overlapRatio } from '../conventions.ts';
import { assertInteger, QualityInputError } from '../errors.ts';

/** Uncompressed COCO RLE: `size` is [height, width]; counts sum to height·width. */
export interface Rle {
  size: [number, number];
  counts: number[];
}

/** Compressed COCO RLE as stored in COCO JSON (`counts` is the maskApi string). */
export interface CompressedRle {
  size: [number, number];
  counts: string;
}

/** A binary mask in row-major order (index y·width + x), values 0 or non-zero. */
export interface Bitmap {
  width: number;
  height: number;
  data: Uint8Array;
}

function assertSize(size: readonly number[], what: string): void {
  if (!Array.isArray(size) || size.length !== 2) throw new QualityInputError('INVALID_RLE', `${what}.size must be [height, width]`);
  assertInteger(size[0] as number, `${what} height`, 0);
  assertInteger(size[1] as number, `${what} width`, 0);
}

/** Validates an uncompressed RLE (non-negative integer counts summing to height·width). */
export function assertRle(rle: Rle, what = 'rle'): void {
  if (!rle || typeof rle !== 'object') throw new QualityInputError('INVALID_RLE', `${what} must be an object {size, counts}`);
  assertSize(rle.size, what);
  if (!Array.isArray(rle.counts)) throw new QualityInputError('INVALID_RLE', `${what}.counts must be an array (decode compressed strings with rleFromString)`);
  let sum = 0;
  rle.counts.forEach((c, i) => {
    if (!Number.isInteger(c) || c < 0) throw new QualityInputError('INVALID_RLE', `${what}.counts[${i}] must be a non-negative integer, got ${c}`);
    sum += c;
  });
  const [h, w] = rle.size;
  if (sum !== h * w) throw new QualityInputError('INVALID_RLE', `${what}.counts sum to ${sum}, expected height·width = ${h * w}`);
}

/** Encodes a row-major bitmap into COCO RLE (runs over columns, i.e. Fortran order, starting with 0s). */
export function rleEncode(mask: Bitmap): Rle {
  const { width: w, height: h, data } = mask;
  assertInteger(w, 'mask width', 0);
  assertInteger(h, 'mask height', 0);
  if (data.length !== w * h) throw new QualityInputError('SHAPE_MISMATCH', `mask data has ${data.length} values, expected ${w}×${h} = ${w * h}`);
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
}

/** Decodes COCO RLE to a row-major bitmap. */
export function rleDecode(rle: Rle): Bitmap {
  assertRle(rle);
  const [h, w] = rle.size;
  const data = new Uint8Array(h * w);
  let pos = 0;
  rle.counts.forEach((c, k) => {
    if (k % 2 === 1) {
      for (let p = pos; p < pos + c; p++) data[(p % h) * w + Math.floor(p / h)] = 1;
    }
    pos += c;
  });
  return { width: w, height: h, data };
}

/** Number of foreground pixels. */
export function rleArea(rle: Rle): number {
  let a = 0;
  for (let k = 1; k < rle.counts.length; k += 2) a += rle.counts[k] as number;
  return a;
}

/** maskApi.c rleToString: 5-bit groups with a continuation bit, offset 48, deltas against counts[i−2] for i > 2. */
export function rleToString(rle: Rle): string {
  assertRle(rle);
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
}

/** maskApi.c rleFrString: the inverse of {@link rleToString}. */
export function rleFromString(compressed: CompressedRle): Rle {
  if (!compressed || typeof compressed.counts !== 'string') throw new QualityInputError('INVALID_RLE', 'compressed RLE needs a string counts');
  assertSize(compressed.size, 'compressed RLE');
  const s = compressed.counts;
  const counts: number[] = [];
  let p = 0;
  while (p < s.length) {
    let x = 0;
    let k = 0;
    for (let more = true; more;) {
      if (p >= s.length) throw new QualityInputError('INVALID_RLE', `compressed RLE string ends inside a number at character ${p}`);
      const c = s.charCodeAt(p) - 48;
      if (c < 0 || c > 63) throw new QualityInputError('INVALID_RLE', `compressed RLE has an invalid character '${s[p]}' at ${p}`);
      x += (c & 0x1f) * 2 ** (5 * k);
      more = (c & 0x20) !== 0;
      p++;
      k++;
      if (!more && c & 0x10) x -= 2 ** (5 * k);
    }
    if (counts.length > 2) x += counts[counts.length - 2] as number;
    counts.push(x);
  }
  const rle: Rle = { size: [compressed.size[0], compressed.size[1]], counts };
  assertRle(rle, 'decoded RLE');
  return rle;
}

/** Accepts either form. */
export function toRle(mask: Rle | CompressedRle): Rle {
  return typeof mask.counts === 'string' ? rleFromString(mask as CompressedRle) : (mask as Rle);
}

/** Area of the intersection of two RLEs of the same size, by walking both run lists (O(runs)). */
export function rleIntersectionArea(a: Rle, b: Rle): number {
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
}

function sameSize(a: Rle, b: Rle): void {
  if (a.size[0] !== b.size[0] || a.size[1] !== b.size[1]) throw new QualityInputError('SHAPE_MISMATCH', `mask sizes differ: ${a.size.join('×')} vs ${b.size.join('×')}`);
}

/**
 * IoU of a detection/annotation mask `dt` against a reference `gt`, as pycocotools `maskUtils.iou`: with
 * `gtIsCrowd`, the denominator is the area of `dt` (the crowd region may cover many objects). Two empty masks: 1.
 */
export function rleIoU(dt: Rle | CompressedRle, gt: Rle | CompressedRle, gtIsCrowd = false): number {
  const a = toRle(dt);
  const b = toRle(gt);
  assertRle(a, 'dt');
  assertRle(b, 'gt');
  sameSize(a, b);
  const inter = rleIntersectionArea(a, b);
  const areaA = rleArea(a);
  const areaB = rleArea(b);
  if (gtIsCrowd) return areaA === 0 && areaB > 0 ? 0 : overlapRatio(inter, areaA);
  return overlapRatio(inter, areaA + areaB - inter);
}

/** Dice of two RLE masks (two empty masks: 1). */
export function rleDice(a: Rle | CompressedRle, b: Rle | CompressedRle): number {
  const x = toRle(a);
  const y = toRle(b);
  assertRle(x, 'a');
  assertRle(y, 'b');
  sameSize(x, y);
  return overlapRatio(2 * rleIntersectionArea(x, y), rleArea(x) + rleArea(y));
}

/** Union (default) or intersection of several same-size RLEs, as pycocotools `merge`. */
export function rleMerge(masks: readonly (Rle | CompressedRle)[], intersect = false): Rle {
  if (masks.length === 0) throw new QualityInputError('EMPTY_INPUT', 'rleMerge needs at least one mask');
  const list = masks.map(toRle);
  list.forEach((m, i) => assertRle(m, `mask ${i}`));
  let acc = list[0] as Rle;
  for (let i = 1; i < list.length; i++) {
    const b = list[i] as Rle;
    sameSize(acc, b);
    acc = mergeTwo(acc, b, intersect);
  }
  return { size: [acc.size[0], acc.size[1]], counts: acc.counts.slice() };
}

function mergeTwo(a: Rle, b: Rle, intersect: boolean): Rle {
  const ca = a.counts;
  const cb = b.counts;
  const out: number[] = [];
  let ia = 0;
  let ib = 0;
  let ra = ca[0] ?? 0;
  let rb = cb[0] ?? 0;
  let va = 0;
  let vb = 0;
  let current = 0;
  let run = 0;
  while (ia < ca.length && ib < cb.length) {
    const step = Math.min(ra, rb);
    if (step > 0) {
      const v = intersect ? va & vb : va | vb;
      if (v !== current) {
        out.push(run);
        run = 0;
        current = v;
      }
      run += step;
    }
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
  out.push(run);
  return { size: a.size, counts: out };
}

/** IoU of two plain bitmaps (same size); two empty masks: 1. */
export function bitmapIoU(a: Bitmap, b: Bitmap): number {
  if (a.width !== b.width || a.height !== b.height || a.data.length !== b.data.length)
    throw new QualityInputError('SHAPE_MISMATCH', `mask sizes differ: ${a.width}×${a.height} vs ${b.width}×${b.height}`);
  let inter = 0;
  let union = 0;
  const x = a.data;
  const y = b.data;
  for (let i = 0; i < x.length; i++) {
    const p = x[i] !== 0;
    const q = y[i] !== 0;
    if (p && q) inter++;
    if (p || q) union++;
  }
  return overlapRatio(inter, union);
}

/** Dice of two plain bitmaps; two empty masks: 1. */
export function bitmapDice(a: Bitmap, b: Bitmap): number {
  if (a.width !== b.width || a.height !== b.height || a.data.length !== b.data.length)
    throw new QualityInputError('SHAPE_MISMATCH', `mask sizes differ: ${a.width}×${a.height} vs ${b.width}×${b.height}`);
  let inter = 0;
  let sum = 0;
  for (let i = 0; i < a.data.length; i++) {
    const p = a.data[i] !== 0;
    const q = b.data[i] !== 0;
    if (p && q) inter++;
    sum += (p ? 1 : 0) + (q ? 1 : 0);
  }
  return overlapRatio(2 * inter, sum);
}
