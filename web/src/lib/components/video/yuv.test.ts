import { describe, expect, it } from 'vitest';
import { yuvToRgba, type Plane } from './yuv';

/** A width×height I420 picture of one colour per pixel (from `at`), planes packed without padding. */
function i420(width: number, height: number, at: (x: number, y: number) => [number, number, number]): { bytes: Uint8Array; planes: Plane[] } {
  const cw = width / 2;
  const ch = height / 2;
  const bytes = new Uint8Array(width * height + 2 * cw * ch);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) bytes[y * width + x] = at(x, y)[0];
  for (let y = 0; y < ch; y++)
    for (let x = 0; x < cw; x++) {
      const [, u, v] = at(2 * x, 2 * y);
      bytes[width * height + y * cw + x] = u;
      bytes[width * height + cw * ch + y * cw + x] = v;
    }
  return { bytes, planes: [{ offset: 0, stride: width }, { offset: width * height, stride: cw }, { offset: width * height + cw * ch, stride: cw }] };
}

const rgb = (out: Uint8ClampedArray, i: number) => [out[4 * i], out[4 * i + 1], out[4 * i + 2], out[4 * i + 3]];
const bt709 = { matrix: 'bt709', fullRange: false };

describe('YUV pictures to RGBA', () => {
  it('converts limited-range BT.709 black, white and red', () => {
    const colours: Array<[number, number, number]> = [
      [16, 128, 128],
      [235, 128, 128],
      [63, 102, 240],
      [16, 128, 128],
    ];
    const { bytes, planes } = i420(4, 2, (x) => colours[x]!);
    const out = new Uint8ClampedArray(4 * 2 * 4);
    // Chroma is shared by pixel pairs: pixels 0–1 black/white with neutral chroma, pixels 2–3 with red's.
    yuvToRgba(bytes, 'I420', planes, 4, 2, bt709, out, 4, 2);
    expect(rgb(out, 0)).toEqual([0, 0, 0, 255]);
    expect(rgb(out, 1)).toEqual([255, 255, 255, 255]);
    const red = rgb(out, 2);
    expect(Math.abs(red[0]! - 255)).toBeLessThanOrEqual(2);
    expect(red[1]).toBeLessThanOrEqual(2);
    expect(red[2]).toBeLessThanOrEqual(3);
  });

  it('uses the BT.601 matrix when the picture says so (or is SD without saying)', () => {
    // BT.601 limited red: Y 81, U 90, V 240.
    const { bytes, planes } = i420(2, 2, () => [81, 90, 240]);
    const out = new Uint8ClampedArray(2 * 2 * 4);
    yuvToRgba(bytes, 'I420', planes, 2, 2, { matrix: null, fullRange: null }, out, 2, 2);
    const red = rgb(out, 0);
    expect(Math.abs(red[0]! - 255)).toBeLessThanOrEqual(2);
    expect(red[1]).toBeLessThanOrEqual(2);
    expect(red[2]).toBeLessThanOrEqual(2);
  });

  it('scales down to the size shown, averaging the pixels a sample falls between', () => {
    // 8×2: black | white in halves; shown 4×1 it stays black | white, 2 wide each; shown 3×1 the middle is grey.
    const { bytes, planes } = i420(8, 2, (x) => (x < 4 ? [16, 128, 128] : [235, 128, 128]));
    const four = new Uint8ClampedArray(4 * 4);
    yuvToRgba(bytes, 'I420', planes, 8, 2, bt709, four, 4, 1);
    expect([0, 1, 2, 3].map((i) => rgb(four, i)[0])).toEqual([0, 0, 255, 255]);
    const three = new Uint8ClampedArray(3 * 4);
    yuvToRgba(bytes, 'I420', planes, 8, 2, bt709, three, 3, 1);
    expect(rgb(three, 0)[0]).toBe(0);
    expect(rgb(three, 1)[0]).toBeGreaterThan(100);
    expect(rgb(three, 1)[0]).toBeLessThan(160);
    expect(rgb(three, 2)[0]).toBe(255);
  });

  it('reads NV12 (interleaved chroma) as I420', () => {
    const at = (x: number, y: number): [number, number, number] => [16 + 20 * x + 40 * y, 100 + 10 * x, 150 - 10 * y];
    const { bytes, planes } = i420(4, 4, at);
    const nv12 = new Uint8Array(16 + 8);
    nv12.set(bytes.subarray(0, 16));
    for (let i = 0; i < 4; i++) [nv12[16 + 2 * i], nv12[17 + 2 * i]] = [bytes[16 + i]!, bytes[20 + i]!];
    const a = new Uint8ClampedArray(4 * 4 * 4);
    const b = new Uint8ClampedArray(4 * 4 * 4);
    yuvToRgba(bytes, 'I420', planes, 4, 4, bt709, a, 4, 4);
    yuvToRgba(nv12, 'NV12', [{ offset: 0, stride: 4 }, { offset: 16, stride: 4 }], 4, 4, bt709, b, 4, 4);
    expect([...b]).toEqual([...a]);
  });

  it('refuses an output buffer too small or missing planes', () => {
    const { bytes, planes } = i420(2, 2, () => [16, 128, 128]);
    expect(() => yuvToRgba(bytes, 'I420', planes, 2, 2, bt709, new Uint8ClampedArray(8), 2, 2)).toThrow('the RGBA buffer holds 8 bytes, not 16');
    expect(() => yuvToRgba(bytes, 'I420', planes.slice(0, 2), 2, 2, bt709, new Uint8ClampedArray(16), 2, 2)).toThrow('a I420 picture needs 3 planes');
  });
});
