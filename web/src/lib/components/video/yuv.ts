// Decoded video pictures (planar YUV) to RGBA pixels at the size they are shown: the frame decoder's
// conversion. Chromium draws a VideoFrame onto a 2D canvas through a slow software path when it has no GPU
// (60–140 ms a 1080p frame here), so decoded frames are converted ahead, off the main thread, by this.
// Pure: takes the planes as VideoFrame.copyTo lays them out.

/** Where each plane starts in the buffer and its row length (VideoFrame.copyTo's PlaneLayout). */
export interface Plane {
  offset: number;
  stride: number;
}

/** 'I420' (Y, U, V planes, chroma halved both ways) or 'NV12' (Y, then U and V interleaved). */
export type YuvFormat = 'I420' | 'NV12';

/** The matrix of VideoColorSpace ('bt709', 'bt470bg', 'smpte170m', 'bt2020-ncl'); null: by size, as players do. */
export interface YuvColor {
  matrix: string | null;
  fullRange: boolean | null;
}

const KR_KB: Record<string, [number, number]> = {
  bt709: [0.2126, 0.0722],
  bt470bg: [0.299, 0.114],
  smpte170m: [0.299, 0.114],
  'bt2020-ncl': [0.2627, 0.0593],
};

/** Fixed-point (×1024) YCbCr → RGB coefficients: R = y·Y + rv·V, G = y·Y − gu·U − gv·V, B = y·Y + bu·U, with U, V centred. */
export function yuvCoefficients(color: YuvColor, height: number) {
  const [kr, kb] = KR_KB[color.matrix ?? ''] ?? (height >= 720 ? KR_KB.bt709! : KR_KB.bt470bg!);
  const kg = 1 - kr - kb;
  const full = color.fullRange === true;
  const yScale = full ? 1 : 255 / 219;
  const cScale = full ? 1 : 255 / 224;
  const s = 1024;
  return {
    yOffset: full ? 0 : 16,
    y: Math.round(yScale * s),
    rv: Math.round(2 * (1 - kr) * cScale * s),
    gu: Math.round(((2 * kb * (1 - kb)) / kg) * cScale * s),
    gv: Math.round(((2 * kr * (1 - kr)) / kg) * cScale * s),
    bu: Math.round(2 * (1 - kb) * cScale * s),
  };
}

/** For each output column (or row), the first source sample and the weight (0..256) of the next one: bilinear. */
function taps(out: number, source: number): { first: Int32Array; weight: Int32Array } {
  const first = new Int32Array(out);
  const weight = new Int32Array(out);
  const ratio = source / out;
  for (let i = 0; i < out; i++) {
    const at = Math.max(0, Math.min(source - 1, (i + 0.5) * ratio - 0.5));
    const lo = Math.min(Math.floor(at), source - 2 < 0 ? 0 : source - 2);
    first[i] = lo;
    weight[i] = source > 1 ? Math.round((at - lo) * 256) : 0;
  }
  return { first, weight };
}

const clamp = (v: number) => (v < 0 ? 0 : v > 255 ? 255 : v);

/**
 * Converts a width×height YUV 4:2:0 picture to `out` (RGBA, outWidth×outHeight): luma sampled bilinearly at
 * the output size, chroma at the nearest sample, the colour matrix of `color`.
 */
export function yuvToRgba(
  src: Uint8Array,
  format: YuvFormat,
  planes: readonly Plane[],
  width: number,
  height: number,
  color: YuvColor,
  out: Uint8ClampedArray,
  outWidth: number,
  outHeight: number,
): void {
  if (out.length < outWidth * outHeight * 4) throw new Error(`the RGBA buffer holds ${out.length} bytes, not ${outWidth * outHeight * 4}`);
  const k = yuvCoefficients(color, height);
  const [yPlane, uPlane, vPlane] = planes;
  if (!yPlane || !uPlane || (format === 'I420' && !vPlane)) throw new Error(`a ${format} picture needs ${format === 'I420' ? 3 : 2} planes`);
  const cols = taps(outWidth, width);
  const rows = taps(outHeight, height);
  const chromaX = Int32Array.from(cols.first, (x, i) => Math.min((width - 1) >> 1, (x + (cols.weight[i]! >= 128 ? 1 : 0)) >> 1));
  const nv12 = format === 'NV12';
  for (let oy = 0; oy < outHeight; oy++) {
    const sy = rows.first[oy]!;
    const wy = rows.weight[oy]!;
    const row0 = yPlane.offset + sy * yPlane.stride;
    const row1 = sy + 1 < height ? row0 + yPlane.stride : row0;
    const cy = Math.min((height - 1) >> 1, (sy + (wy >= 128 ? 1 : 0)) >> 1);
    const uRow = uPlane.offset + cy * uPlane.stride;
    const vRow = nv12 ? uRow + 1 : vPlane!.offset + cy * vPlane!.stride;
    const cStep = nv12 ? 2 : 1;
    let p = oy * outWidth * 4;
    for (let ox = 0; ox < outWidth; ox++, p += 4) {
      const sx = cols.first[ox]!;
      const wx = cols.weight[ox]!;
      const sx1 = sx + 1 < width ? sx + 1 : sx;
      const top = src[row0 + sx]! * (256 - wx) + src[row0 + sx1]! * wx;
      const bottom = src[row1 + sx]! * (256 - wx) + src[row1 + sx1]! * wx;
      const luma = ((top * (256 - wy) + bottom * wy) >> 16) - k.yOffset;
      const cx = chromaX[ox]! * cStep;
      const u = src[uRow + cx]! - 128;
      const v = src[vRow + cx]! - 128;
      const yy = luma * k.y + 512;
      out[p] = clamp((yy + k.rv * v) >> 10);
      out[p + 1] = clamp((yy - k.gu * u - k.gv * v) >> 10);
      out[p + 2] = clamp((yy + k.bu * u) >> 10);
      out[p + 3] = 255;
    }
  }
}
