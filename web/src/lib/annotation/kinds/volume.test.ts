import { describe, expect, it } from 'vitest';
import type { LabelSchema } from '$lib/types';
import { decodeRuns, encodeRuns, interpolateSlices, labelsFromVolume, nativeToRas, rasToNative, runVoxels, slicesWith, volumeData, type Dims } from './volume';

const schema: LabelSchema = { geometry: 'volume', classes: [{ key: 'liver', name: 'Liver' }, { key: 'tumour', name: 'Tumour' }] };

describe('volume runs', () => {
  it('encodes runs starting with 0s and decodes them back', () => {
    const labels = Uint8Array.from([1, 1, 0, 2, 1, 0, 0]);
    expect(encodeRuns(labels, 1)).toEqual([0, 2, 2, 1, 2]);
    expect(encodeRuns(labels, 2)).toEqual([3, 1, 3]);
    expect(encodeRuns(labels, 3)).toEqual([7]);
    const out = new Uint8Array(7);
    expect(decodeRuns([0, 2, 2, 1, 2], out, 1)).toBe(3);
    expect([...out]).toEqual([1, 1, 0, 0, 1, 0, 0]);
  });

  it('one segment per painted class in schema order; the runs sum to X·Y·Z and round-trip', () => {
    const dims: Dims = [4, 3, 2];
    const labels = new Uint8Array(24);
    labels[5] = 2;
    labels[1 + 4 * (2 + 3 * 1)] = 1;
    labels[0] = 1;
    const data = volumeData(labels, dims, schema);
    expect(data.segments.map((s) => s.label)).toEqual(['liver', 'tumour']);
    for (const s of data.segments) expect(s.rle.counts.reduce((a, b) => a + b, 0)).toBe(24);
    expect(data.segments.map((s) => runVoxels(s.rle.counts))).toEqual([2, 1]);
    expect([...labelsFromVolume(data, schema)]).toEqual([...labels]);
    expect(volumeData(new Uint8Array(24), dims, schema).segments).toEqual([]);
  });

  it('maps a RAS-ordered grid onto native voxels and back (flipped x, swapped y/z)', () => {
    // Native 2×3×4 (x-fastest); RAS axes: x flipped, RAS y = native z, RAS z = native y.
    const native = Uint8Array.from({ length: 24 }, (_, i) => i);
    const map = { dimsRAS: [2, 4, 3] as Dims, start: [1, 0, 0] as Dims, step: [-1, 6, 2] as Dims };
    const ras = nativeToRas(native, map);
    // RAS voxel (0, 1, 2) = native x 1, z 1, y 2 = 1 + 2·(2 + 3·1) = 11.
    expect(ras[0 + 2 * (1 + 4 * 2)]).toBe(11);
    expect([...rasToNative(ras, map)]).toEqual([...native]);
  });
});

describe('fill between slices', () => {
  /** A square of `value` on axial slice z from (x0, y0), `size` wide. */
  function square(labels: Uint8Array, [X, Y]: Dims, z: number, x0: number, y0: number, size: number, value: number) {
    for (let y = y0; y < y0 + size; y++) for (let x = x0; x < x0 + size; x++) labels[x + X * (y + Y * z)] = value;
  }

  it('interpolates a shape between two drawn slices, growing from one size to the other', () => {
    const dims: Dims = [20, 20, 9];
    const labels = new Uint8Array(20 * 20 * 9);
    square(labels, dims, 0, 5, 5, 4, 1);
    square(labels, dims, 8, 5, 5, 8, 1);
    const added = interpolateSlices(labels, dims, 2, 1);
    expect(slicesWith(labels, dims, 2, 1)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    const area = (z: number) => labels.subarray(400 * z, 400 * (z + 1)).filter((v) => v === 1).length;
    expect(area(0)).toBe(16);
    expect(area(8)).toBe(64);
    expect(area(4)).toBeGreaterThan(16);
    expect(area(4)).toBeLessThan(64);
    for (let z = 1; z < 8; z++) expect(area(z)).toBeGreaterThanOrEqual(area(z - 1));
    expect(added).toBe([1, 2, 3, 4, 5, 6, 7].reduce((s, z) => s + area(z), 0));
  });

  it('fills every gap between consecutive drawn slices, never over another class, and along other axes', () => {
    const dims: Dims = [10, 10, 10];
    const labels = new Uint8Array(1000);
    for (const z of [1, 4, 7]) square(labels, dims, z, 2, 2, 4, 1);
    labels[3 + 10 * (3 + 10 * 2)] = 2;
    interpolateSlices(labels, dims, 2, 1);
    expect(slicesWith(labels, dims, 2, 1)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(labels[3 + 10 * (3 + 10 * 2)]).toBe(2);
    // Sagittal: two drawn x slices.
    const side = new Uint8Array(1000);
    for (const x of [0, 6]) for (let z = 2; z < 5; z++) for (let y = 2; y < 5; y++) side[x + 10 * (y + 10 * z)] = 2;
    interpolateSlices(side, dims, 0, 2);
    expect(slicesWith(side, dims, 0, 2)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(side.filter((v) => v === 2).length).toBe(7 * 9);
  });
});
