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

// Scratch buffers reused by rleEncode (grown on demand, never shrunk): the column and row of each transition.
let transitionX = new Int32Array(1024);
let transitionY = new Int32Array(1024);
let transitionAt = new Float64Array(1024);
let columnStart = new Int32Array(1024);

const differing = new Int32Array(4096);

/**
 * Fills `differing` with the indices, from `from` on, of 8-byte groups that may differ from the group
 * `rowGroups` before (one row up); returns how many (at most its length). The groups are read as doubles, one
 * load per 8 pixels: equal doubles have equal bytes except +0 and −0, which Object.is tells apart, and NaNs
 * compare unequal, so they are only looked at more closely.
 */
function differingGroups(groups: Float64Array, rowGroups: number, from: number): number {
  let found = 0;
  const limit = differing.length;
  // The length in a local: V8 otherwise reloads it on every step once any ArrayBuffer in the process was detached.
  const total = groups.length;
  for (let i = from, above = from - rowGroups; i < total; i++, above++) {
    const a = groups[i] as number;
    const b = groups[above] as number;
    if (a !== b || (a === 0 && !Object.is(a, b))) {
      differing[found++] = i;
      if (found === limit) break;
    }
  }
  return found;
}

/** As {@link differingGroups} for 4-byte groups (rows aligned to 4 bytes only). */
function differingWords(words: Int32Array, rowWords: number, from: number): number {
  let found = 0;
  const limit = differing.length;
  const total = words.length;
  for (let i = from, above = from - rowWords; i < total; i++, above++) {
    if (words[i] !== words[above]) {
      differing[found++] = i;
      if (found === limit) break;
    }
  }
  return found;
}

function growTransitions(needed: number): void {
  const size = Math.max(needed, transitionX.length * 2);
  const x = new Int32Array(size);
  const y = new Int32Array(size);
  x.set(transitionX);
  y.set(transitionY);
  transitionX = x;
  transitionY = y;
}

/**
 * Encodes a row-major bitmap into COCO RLE (runs over columns, i.e. Fortran order, starting with 0s).
 *
 * Column-major runs change value exactly where a pixel differs from the one above it (or, in row 0, from the
 * bottom pixel of the previous column), so the bitmap is read row by row in its own memory order, eight or
 * four pixels per comparison when the rows are 8- or 4-byte aligned, and the few transitions are then sorted
 * by column.
 */
export function rleEncode(mask: Bitmap): Rle {
  const { width: w, height: h, data } = mask;
  assertInteger(w, 'mask width', 0);
  assertInteger(h, 'mask height', 0);
  if (data.length !== w * h) throw new QualityInputError('SHAPE_MISMATCH', `mask data has ${data.length} values, expected ${w}×${h} = ${w * h}`);
  let n = 0;
  if (h > 0) {
    const last = (h - 1) * w;
    for (let x = 0; x < w; x++) {
      const above = x === 0 ? false : data[last + x - 1] !== 0;
      if ((data[x] !== 0) !== above) {
        if (n === transitionX.length) growTransitions(n + 1);
        transitionX[n] = x;
        transitionY[n] = 0;
        n++;
      }
    }
  }
  // Pixel groups of 8 (or 4) bytes against the group one row above, when rows start on such a boundary; the
  // search loops are kept tiny so they compile tight, and the few differing groups are then read byte by byte.
  const bytes = ArrayBuffer.isView(data) && data.BYTES_PER_ELEMENT === 1 && h > 1 && w * h < 2 ** 31;
  const group = bytes && (w & 7) === 0 && (data.byteOffset & 7) === 0 ? 8 : bytes && (w & 3) === 0 && (data.byteOffset & 3) === 0 ? 4 : 0;
  if (group > 0) {
    const view = group === 8 ? new Float64Array(data.buffer, data.byteOffset, (w * h) >> 3) : new Int32Array(data.buffer, data.byteOffset, (w * h) >> 2);
    const rowGroups = w / group;
    for (let from = rowGroups; from < view.length;) {
      const found = group === 8 ? differingGroups(view as Float64Array, rowGroups, from) : differingWords(view as Int32Array, rowGroups, from);
      for (let k = 0; k < found; k++) {
        const start = (differing[k] as number) * group;
        const y = Math.floor(start / w);
        for (let p = start, stop = start + group; p < stop; p++) {
          if ((data[p] !== 0) !== (data[p - w] !== 0)) {
            if (n === transitionX.length) growTransitions(n + 1);
            transitionX[n] = p - y * w;
            transitionY[n] = y;
            n++;
          }
        }
      }
      from = found === differing.length ? (differing[found - 1] as number) + 1 : view.length;
    }
  } else {
    for (let y = 1; y < h; y++) {
      for (let x = 0, p = y * w; x < w; x++, p++) {
        if ((data[p] !== 0) !== (data[p - w] !== 0)) {
          if (n === transitionX.length) growTransitions(n + 1);
          transitionX[n] = x;
          transitionY[n] = y;
          n++;
        }
      }
    }
  }
  // Stable counting sort by column: rows were visited in order, so positions come out in column-major order.
  if (columnStart.length < w + 1) columnStart = new Int32Array(Math.max(w + 1, columnStart.length * 2));
  else columnStart.fill(0, 0, w + 1);
  if (transitionAt.length < n) transitionAt = new Float64Array(Math.max(n, transitionAt.length * 2));
  for (let t = 0; t < n; t++) columnStart[(transitionX[t] as number) + 1]! += 1;
  for (let x = 0; x < w; x++) columnStart[x + 1]! += columnStart[x] as number;
  for (let t = 0; t < n; t++) {
    const x = transitionX[t] as number;
    transitionAt[columnStart[x]!++] = x * h + (transitionY[t] as number);
  }
  const counts: number[] = [];
  let previous = 0;
  for (let t = 0; t < n; t++) {
    const at = transitionAt[t] as number;
    counts.push(at - previous);
    previous = at;
  }
  counts.push(w * h - previous);
  return { size: [h, w], counts };
}

/** Decodes COCO RLE (or a prepared mask) to a row-major bitmap. */
export function rleDecode(rle: Rle | PreparedRle): Bitmap {
  const r = rle instanceof PreparedRle ? rle : prepareRle(rle);
  const [h, w] = r.size;
  const data = new Uint8Array(h * w);
  const counts = r.counts;
  let pos = 0;
  for (let k = 0; k < counts.length; k++) {
    const c = counts[k] as number;
    if (k % 2 === 1 && c > 0) {
      // Fill the run column by column: no division per pixel.
      let x = Math.floor(pos / h);
      let y = pos - x * h;
      let left = c;
      while (left > 0) {
        const take = Math.min(h - y, left);
        for (let i = y * w + x, stop = (y + take) * w + x; i < stop; i += w) data[i] = 1;
        left -= take;
        x++;
        y = 0;
      }
    }
    pos += c;
  }
  return { width: w, height: h, data };
}

/** Number of foreground pixels. */
export function rleArea(rle: Rle | PreparedRle): number {
  if (rle instanceof PreparedRle) return rle.area;
  let a = 0;
  for (let k = 1; k < rle.counts.length; k += 2) a += rle.counts[k] as number;
  return a;
}

// Character codes of rleToString, flushed into the string in slices String.fromCharCode's arguments can take.
const stringChunk = new Uint16Array(4096);

/** maskApi.c rleToString: 5-bit groups with a continuation bit, offset 48, deltas against counts[i−2] for i > 2. */
export function rleToString(rle: Rle | PreparedRle): string {
  if (!(rle instanceof PreparedRle)) assertRle(rle);
  const c = rle.counts;
  let s = '';
  let n = 0;
  for (let i = 0; i < c.length; i++) {
    let x = (c[i] as number) - (i > 2 ? (c[i - 2] as number) : 0);
    if (n > stringChunk.length - 16) {
      s += String.fromCharCode.apply(null, stringChunk.subarray(0, n) as unknown as number[]);
      n = 0;
    }
    if (x >= -0x40000000 && x < 0x40000000) {
      // Small integers: two's complement bit operations give the same groups as the general path below.
      for (let more = true; more;) {
        let chunk = x & 0x1f;
        x >>= 5;
        more = chunk & 0x10 ? x !== -1 : x !== 0;
        if (more) chunk |= 0x20;
        stringChunk[n++] = chunk + 48;
      }
    } else {
      for (let more = true; more;) {
        let chunk = ((x % 32) + 32) % 32;
        x = Math.floor(x / 32);
        more = chunk & 0x10 ? x !== -1 : x !== 0;
        if (more) chunk |= 0x20;
        stringChunk[n++] = chunk + 48;
      }
    }
  }
  return s + String.fromCharCode.apply(null, stringChunk.subarray(0, n) as unknown as number[]);
}

/** Parses the maskApi string form into run lengths (no check of their sum). */
function parseCounts(s: string): number[] {
  const counts: number[] = [];
  const length = s.length;
  let p = 0;
  while (p < length) {
    let x = 0;
    let shift = 0;
    let c: number;
    // Up to six groups (30 bits) in integer arithmetic, the common case; longer numbers continue in doubles.
    do {
      if (p >= length) throw new QualityInputError('INVALID_RLE', `compressed RLE string ends inside a number at character ${p}`);
      c = s.charCodeAt(p) - 48;
      if (c < 0 || c > 63) throw new QualityInputError('INVALID_RLE', `compressed RLE has an invalid character '${s[p]}' at ${p}`);
      x |= (c & 0x1f) << shift;
      shift += 5;
      p++;
    } while ((c & 0x20) !== 0 && shift < 30);
    if ((c & 0x20) !== 0) {
      let scale = 2 ** 30;
      do {
        if (p >= length) throw new QualityInputError('INVALID_RLE', `compressed RLE string ends inside a number at character ${p}`);
        c = s.charCodeAt(p) - 48;
        if (c < 0 || c > 63) throw new QualityInputError('INVALID_RLE', `compressed RLE has an invalid character '${s[p]}' at ${p}`);
        x += (c & 0x1f) * scale;
        scale *= 32;
        p++;
      } while ((c & 0x20) !== 0);
      if (c & 0x10) x -= scale;
    } else if (c & 0x10) x -= 1 << shift;
    const k = counts.length;
    counts.push(k > 2 ? x + (counts[k - 2] as number) : x);
  }
  return counts;
}

function assertCompressed(compressed: CompressedRle): void {
  if (!compressed || typeof compressed.counts !== 'string') throw new QualityInputError('INVALID_RLE', 'compressed RLE needs a string counts');
  assertSize(compressed.size, 'compressed RLE');
}

/** maskApi.c rleFrString: the inverse of {@link rleToString}. */
export function rleFromString(compressed: CompressedRle): Rle {
  assertCompressed(compressed);
  const rle: Rle = { size: [compressed.size[0], compressed.size[1]], counts: parseCounts(compressed.counts) };
  if (checkedArea(rle) < 0) assertRle(rle, 'decoded RLE');
  return rle;
}

/** Accepts any form; a prepared mask gives a copy of its run lengths. */
export function toRle(mask: Rle | CompressedRle | PreparedRle): Rle {
  if (mask instanceof PreparedRle) return { size: [mask.size[0], mask.size[1]], counts: mask.counts.slice() };
  return typeof mask.counts === 'string' ? rleFromString(mask as CompressedRle) : (mask as Rle);
}

/**
 * A mask validated and decoded once, for comparing it with many others: IoU and Dice on prepared masks skip
 * the string decoding and the validation of the run lengths. Build it with {@link prepareRle}. The run
 * lengths are a private copy; treat them as read-only.
 */
export class PreparedRle {
  readonly size: readonly [number, number];
  readonly counts: readonly number[];
  /** Number of foreground pixels. */
  readonly area: number;

  /** Use {@link prepareRle}: the constructor trusts that `counts` are valid for `size`. */
  constructor(size: readonly [number, number], counts: readonly number[], area: number) {
    this.size = size;
    this.counts = counts;
    this.area = area;
  }
}

/** Decodes and validates a compressed mask; errors are prefixed with `what`. */
function prepareCompressed(compressed: CompressedRle, what: string): PreparedRle {
  try {
    assertCompressed(compressed);
    const rle: Rle = { size: [compressed.size[0], compressed.size[1]], counts: parseCounts(compressed.counts) };
    let area = checkedArea(rle);
    if (area < 0) {
      assertRle(rle, 'decoded RLE');
      area = rleArea(rle);
    }
    return new PreparedRle(rle.size, rle.counts, area);
  } catch (error) {
    if (error instanceof QualityInputError) throw new QualityInputError(error.code, `${what}: ${error.message}`);
    throw error;
  }
}

/**
 * Validates a mask once (decoding a compressed string once) for many comparisons: IoU, Dice, merge and decode
 * accept the result without checking it again. `what` names the mask in errors.
 */
export function prepareRle(mask: Rle | CompressedRle | PreparedRle, what = 'rle'): PreparedRle {
  if (mask instanceof PreparedRle) return mask;
  if (mask && typeof mask === 'object' && typeof mask.counts === 'string') return prepareCompressed(mask as CompressedRle, what);
  const rle = mask as Rle;
  const area = checkedArea(rle);
  if (area >= 0) return new PreparedRle([rle.size[0], rle.size[1]], rle.counts.slice(), area);
  assertRle(rle, what);
  // Array.from also turns holes of a sparse array (skipped by the validation) into explicit zeros.
  const counts = Array.from(rle.counts, (c) => c ?? 0);
  return new PreparedRle([rle.size[0], rle.size[1]], counts, rleArea({ size: rle.size, counts }));
}

// Compressed masks that rleIoU/rleDice decoded, by object, so that comparing the same objects pair by pair (an
// N×M matching through objectIoU) decodes each string once. A string cannot change in place, so an entry is
// valid while its object still holds the same string and size (checked on every hit). Only this per-pair path
// remembers: rleIoUMatrix and prepareRle decode once per call anyway, and filling a WeakMap with short-lived
// objects would cost more garbage-collection time than it saves.
const decodedStrings = new WeakMap<object, { counts: string; height: number; width: number; prepared: PreparedRle }>();

function rememberedCompressed(compressed: CompressedRle, what: string): PreparedRle {
  const known = decodedStrings.get(compressed);
  if (known && known.counts === compressed.counts && known.height === compressed.size[0] && known.width === compressed.size[1]) return known.prepared;
  const prepared = prepareCompressed(compressed, what);
  decodedStrings.set(compressed, { counts: compressed.counts, height: prepared.size[0], width: prepared.size[1], prepared });
  return prepared;
}

/**
 * Foreground area of a plain RLE, validating it on the way (non-negative integer runs summing to
 * height·width); −1 when it needs the careful path of {@link prepareRle} (invalid input, which then throws
 * the specific error, or runs beyond 2³² pixels).
 */
function checkedArea(rle: Rle): number {
  if (!rle || typeof rle !== 'object' || !Array.isArray(rle.size) || rle.size.length !== 2 || !Array.isArray(rle.counts)) return -1;
  const h = rle.size[0];
  const w = rle.size[1];
  if (!Number.isInteger(h) || h < 0 || !Number.isInteger(w) || w < 0) return -1;
  const c = rle.counts;
  const n = c.length;
  let sum = 0;
  let area = 0;
  let i = 0;
  // Pairs (zeros run, ones run); x >>> 0 === x holds exactly for integers in [0, 2³²).
  for (; i < n - 1; i += 2) {
    const zeros = c[i] as number;
    const ones = c[i + 1] as number;
    if (zeros >>> 0 !== zeros || ones >>> 0 !== ones) return -1;
    sum += zeros + ones;
    area += ones;
  }
  if (i < n) {
    const zeros = c[i] as number;
    if (zeros >>> 0 !== zeros) return -1;
    sum += zeros;
  }
  return sum === h * w ? area : -1;
}

/**
 * Area of the intersection of two same-size run lists: a merge of the foreground intervals [start, end),
 * whose positions are summed on the fly (O(runs), no allocation).
 */
function intersectRuns(ca: readonly number[], cb: readonly number[]): number {
  const na = ca.length - 1;
  const nb = cb.length - 1;
  if (na < 1 || nb < 1) return 0;
  let i = 0;
  let j = 0;
  let inter = 0;
  let startA = ca[0] as number;
  let endA = startA + (ca[1] as number);
  let startB = cb[0] as number;
  let endB = startB + (cb[1] as number);
  for (;;) {
    if (endA <= startB) {
      i += 2;
      if (i >= na) break;
      startA = endA + (ca[i] as number);
      endA = startA + (ca[i + 1] as number);
    } else if (endB <= startA) {
      j += 2;
      if (j >= nb) break;
      startB = endB + (cb[j] as number);
      endB = startB + (cb[j + 1] as number);
    } else if (endA < endB) {
      inter += endA - (startA > startB ? startA : startB);
      i += 2;
      if (i >= na) break;
      startA = endA + (ca[i] as number);
      endA = startA + (ca[i + 1] as number);
    } else {
      inter += endB - (startA > startB ? startA : startB);
      j += 2;
      if (j >= nb) break;
      startB = endB + (cb[j] as number);
      endB = startB + (cb[j + 1] as number);
    }
  }
  return inter;
}

/** Area of the intersection of two RLEs of the same size (O(runs)). */
export function rleIntersectionArea(a: Rle | PreparedRle, b: Rle | PreparedRle): number {
  return intersectRuns(a.counts, b.counts);
}

function sameSize(a: { size: readonly number[] }, b: { size: readonly number[] }): void {
  if (a.size[0] !== b.size[0] || a.size[1] !== b.size[1]) throw new QualityInputError('SHAPE_MISMATCH', `mask sizes differ: ${a.size.join('×')} vs ${b.size.join('×')}`);
}

/**
 * A comparison operand: the area of a plain RLE that passed the fast check (its own counts are then used as
 * they are, without a copy), or the prepared form of anything else (which throws the specific error).
 */
function operand(mask: Rle | CompressedRle | PreparedRle, what: string): number | PreparedRle {
  if (mask instanceof PreparedRle) return mask;
  if (mask && typeof mask === 'object' && typeof mask.counts === 'string') return rememberedCompressed(mask as CompressedRle, what);
  const area = checkedArea(mask as Rle);
  return area >= 0 ? area : prepareRle(mask, what);
}

function iouOf(inter: number, areaA: number, areaB: number, gtIsCrowd: boolean): number {
  if (gtIsCrowd) return areaA === 0 && areaB > 0 ? 0 : overlapRatio(inter, areaA);
  return overlapRatio(inter, areaA + areaB - inter);
}

/**
 * IoU of a detection/annotation mask `dt` against a reference `gt`, as pycocotools `maskUtils.iou`: with
 * `gtIsCrowd`, the denominator is the area of `dt` (the crowd region may cover many objects).
 * Two empty masks: **1** (the engine's convention, `overlapRatio`; pycocotools gives 0). Accepts plain,
 * compressed (each object decoded once and remembered weakly) or prepared ({@link prepareRle}) masks.
 */
export function rleIoU(dt: Rle | CompressedRle | PreparedRle, gt: Rle | CompressedRle | PreparedRle, gtIsCrowd = false): number {
  const a = operand(dt, 'dt');
  const b = operand(gt, 'gt');
  sameSize(dt as { size: readonly number[] }, gt as { size: readonly number[] });
  const inter = intersectRuns(typeof a === 'number' ? (dt as Rle).counts : a.counts, typeof b === 'number' ? (gt as Rle).counts : b.counts);
  return iouOf(inter, typeof a === 'number' ? a : a.area, typeof b === 'number' ? b : b.area, gtIsCrowd);
}

/**
 * IoU of every `dt` mask against every `gt` mask (rows: dt, columns: gt), as pycocotools `maskUtils.iou`
 * with lists; each mask is validated and decoded once. `gtIsCrowd` is one flag for all gt masks or one per
 * gt mask. Two empty masks: 1.
 */
export function rleIoUMatrix(
  dt: readonly (Rle | CompressedRle | PreparedRle)[],
  gt: readonly (Rle | CompressedRle | PreparedRle)[],
  gtIsCrowd: boolean | readonly boolean[] = false,
): number[][] {
  if (Array.isArray(gtIsCrowd) && gtIsCrowd.length !== gt.length)
    throw new QualityInputError('LENGTH_MISMATCH', `gtIsCrowd has ${gtIsCrowd.length} flags for ${gt.length} gt masks`);
  const a = dt.map((m, i) => prepareRle(m, `dt ${i}`));
  const b = gt.map((m, j) => prepareRle(m, `gt ${j}`));
  return a.map((x, i) =>
    b.map((y, j) => {
      if (x.size[0] !== y.size[0] || x.size[1] !== y.size[1])
        throw new QualityInputError('SHAPE_MISMATCH', `dt ${i} vs gt ${j}: mask sizes differ: ${x.size.join('×')} vs ${y.size.join('×')}`);
      const crowd = typeof gtIsCrowd === 'boolean' ? gtIsCrowd : (gtIsCrowd[j] as boolean);
      return iouOf(intersectRuns(x.counts, y.counts), x.area, y.area, crowd);
    }),
  );
}

/** Dice of two RLE masks (two empty masks: 1). */
export function rleDice(a: Rle | CompressedRle | PreparedRle, b: Rle | CompressedRle | PreparedRle): number {
  const x = operand(a, 'a');
  const y = operand(b, 'b');
  sameSize(a as { size: readonly number[] }, b as { size: readonly number[] });
  const inter = intersectRuns(typeof x === 'number' ? (a as Rle).counts : x.counts, typeof y === 'number' ? (b as Rle).counts : y.counts);
  return overlapRatio(2 * inter, (typeof x === 'number' ? x : x.area) + (typeof y === 'number' ? y : y.area));
}

/** Union (default) or intersection of several same-size RLEs, as pycocotools `merge`. */
export function rleMerge(masks: readonly (Rle | CompressedRle | PreparedRle)[], intersect = false): Rle {
  if (masks.length === 0) throw new QualityInputError('EMPTY_INPUT', 'rleMerge needs at least one mask');
  const list = masks.map((m, i) => prepareRle(m, `mask ${i}`));
  let acc: { size: readonly [number, number]; counts: readonly number[] } = list[0] as PreparedRle;
  for (let i = 1; i < list.length; i++) {
    const b = list[i] as PreparedRle;
    sameSize(acc, b);
    acc = mergeTwo(acc, b, intersect);
  }
  return { size: [acc.size[0], acc.size[1]], counts: acc.counts.slice() };
}

function mergeTwo(a: { size: readonly [number, number]; counts: readonly number[] }, b: { counts: readonly number[] }, intersect: boolean): Rle {
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
  return { size: [a.size[0], a.size[1]], counts: out };
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
