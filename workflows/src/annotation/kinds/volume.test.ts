import { describe, expect, it } from 'vitest';
import { labelSchemaSchema } from '../../domain/label-schema.ts';
import { volumeAgreement } from '../../quality/index.ts';
import type { AnnotationContext, MediaBounds } from '../module.ts';
import { annotationType, parseLabels, taskConsensus } from '../registry.ts';
import { volumeFromLabelMap, volumeLabelMap, type VolumeLabel } from './volume.ts';
import { expectProblem, parseOk } from '../test-helpers.ts';

const schema = labelSchemaSchema.parse({
  geometry: 'volume',
  classes: [
    { key: 'liver', name: 'Liver' },
    { key: 'tumour', name: 'Tumour' },
    { key: 'vessel', name: 'Vessel' },
  ],
});
const DIMS: [number, number, number] = [10, 8, 6];
const N = DIMS[0] * DIMS[1] * DIMS[2];
const ctxOf = (media: MediaBounds = { volume: { dims: DIMS, spacing: [0.8, 0.8, 2] } }): AnnotationContext => ({ schema, media, frame: null });
const ctx = ctxOf();

const parse = (c: AnnotationContext, data: unknown): VolumeLabel => parseOk<VolumeLabel>(c, data);

/** Runs (x-fastest) of the box [x0, x1) × [y0, y1) × [z0, z1) on the test grid. */
function cube(x0: number, x1: number, y0: number, y1: number, z0: number, z1: number, dims = DIMS): number[] {
  const [X, Y, Z] = dims;
  const counts: number[] = [];
  let current = 0;
  let run = 0;
  for (let z = 0; z < Z; z++)
    for (let y = 0; y < Y; y++)
      for (let x = 0; x < X; x++) {
        const v = x >= x0 && x < x1 && y >= y0 && y < y1 && z >= z0 && z < z1 ? 1 : 0;
        if (v !== current) {
          counts.push(run);
          run = 0;
          current = v;
        }
        run++;
      }
  counts.push(run);
  return counts;
}
const seg = (label: string, counts: number[]) => ({ label, rle: { counts } });

describe('volume payload', () => {
  it('parses to one canonical form (class order, normalised runs, no empty segment) whatever the key order', () => {
    const liver = cube(1, 6, 1, 6, 1, 5);
    const tumour = cube(7, 9, 6, 8, 0, 2);
    const a = parse(ctx, { dims: DIMS, segments: [seg('liver', liver), seg('tumour', tumour)] });
    const b = parse(ctx, {
      segments: [{ rle: { counts: [tumour[0]! - 1, 0, 1, ...tumour.slice(1)] }, label: 'tumour' }, seg('vessel', [N]), { rle: { counts: liver }, label: 'liver' }],
      dims: DIMS,
    });
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    expect(a.segments.map((s) => s.label)).toEqual(['liver', 'tumour']);
    expect(annotationType('volume').agreement(a, b, ctx)).toMatchObject({ value: 1, metric: 'mean-dice', details: { meanHD95: 0, 'dice:liver': 1, 'dice:tumour': 1 } });
    expect(annotationType('volume').summarize(a, schema)).toBe('2 segments: Liver, Tumour');
  });

  it('refuses malformed volumes, naming the field', () => {
    const liver = cube(1, 6, 1, 6, 1, 5);
    expectProblem(ctx, { dims: [10, 8, 5], segments: [] }, 'dims', /must equal the volume's dims \[10, 8, 6\]/);
    expectProblem(ctx, { dims: [10, 8, 0], segments: [] }, 'dims.2', /Z must be >= 1/);
    expectProblem(ctxOf({}), { dims: [2048, 2048, 2048], segments: [] }, 'dims', /at most 2147483648 voxels/);
    expectProblem(
      ctx,
      { dims: DIMS, segments: [seg('liver', [...liver.slice(0, -1), liver[liver.length - 1]! + 1])] },
      'segments.0.rle.counts',
      /sum to 481, expected X·Y·Z = 480/,
    );
    expectProblem(ctx, { dims: DIMS, segments: [seg('liver', [10, -5, 475])] }, 'segments.0.rle.counts.1', /non-negative integer/);
    expectProblem(ctx, { dims: DIMS, segments: [seg('liver', [10, '5', 465] as unknown as number[])] }, 'segments.0.rle.counts.1', /non-negative integer/);
    expectProblem(ctx, { dims: DIMS, segments: [{ label: 'liver', rle: { counts: 'abc' } }] }, 'segments.0.rle.counts', /array of run lengths/);
    expectProblem(ctx, { dims: DIMS, segments: [{ label: 'liver', rle: { counts: liver, size: [1, 2] } }] }, 'segments.0.rle', /unrecognized key/i);
    expectProblem(ctx, { dims: DIMS, segments: [seg('bone', liver)] }, 'segments.0.label', /unknown class/);
    expectProblem(ctx, { dims: DIMS, segments: [seg('liver', liver), seg('liver', cube(0, 1, 0, 1, 0, 1))] }, 'segments.1.label', /already has a segment \(segments\.0\)/);
    // A tumour voxel inside the liver: a voxel carries one class.
    expectProblem(
      ctx,
      { dims: DIMS, segments: [seg('liver', liver), seg('tumour', cube(5, 8, 5, 7, 4, 6))] },
      'segments.1.rle.counts',
      /overlaps segments\.0 \(liver\) at voxel \[5, 5, 4\]/,
    );
    // Touching is not overlapping.
    parse(ctx, { dims: DIMS, segments: [seg('liver', liver), seg('tumour', cube(6, 8, 1, 6, 1, 5))] });
  });
});

describe('volume agreement', () => {
  const agree = (a: VolumeLabel, b: VolumeLabel) => annotationType('volume').agreement(a, b, ctx);

  it('is the mean Dice over the classes present, with HD95 equal to the whole-grid computation', () => {
    const a = parse(ctx, { dims: DIMS, segments: [seg('liver', cube(1, 6, 1, 6, 1, 5)), seg('tumour', cube(7, 9, 6, 8, 0, 2))] });
    const b = parse(ctx, { dims: DIMS, segments: [seg('liver', cube(2, 6, 1, 6, 1, 5))] });
    const x = agree(a, b);
    expect(x.value).toBeCloseTo((2 * 80) / (100 + 80) / 2, 12);
    expect(x.details!.meanHD95).toBeNull();
    expect(agree(b, a)).toEqual(x);
    // The crop gives what the whole grid gives.
    const c = parse(ctx, { dims: DIMS, segments: [seg('liver', cube(2, 5, 2, 5, 2, 4))] });
    const full = volumeAgreement(
      { dims: DIMS, data: volumeLabelMap(b, schema).data, spacing: [0.8, 0.8, 2] },
      { dims: DIMS, data: volumeLabelMap(c, schema).data, spacing: [0.8, 0.8, 2] },
    );
    const y = agree(b, c);
    expect(y.value).toBeCloseTo(full[0]!.dice, 12);
    expect(y.details!.meanHD95).toBeCloseTo(full[0]!.hd95!, 12);
    // One slice each: the crop keeps a margin so that the slices' faces are still surfaces.
    const slice1 = parse(ctx, { dims: DIMS, segments: [seg('liver', cube(1, 8, 1, 7, 3, 4))] });
    const slice2 = parse(ctx, { dims: DIMS, segments: [seg('liver', cube(3, 7, 2, 6, 3, 4))] });
    const fullSlices = volumeAgreement(
      { dims: DIMS, data: volumeLabelMap(slice1, schema).data, spacing: [0.8, 0.8, 2] },
      { dims: DIMS, data: volumeLabelMap(slice2, schema).data, spacing: [0.8, 0.8, 2] },
    );
    expect(agree(slice1, slice2).details!.meanHD95).toBeCloseTo(fullSlices[0]!.hd95!, 12);
    const far = parse(ctx, { dims: DIMS, segments: [seg('liver', cube(8, 10, 6, 8, 4, 6))] });
    expect(agree(b, far).value).toBe(0);
    expect(agree(parse(ctx, { dims: DIMS, segments: [] }), parse(ctx, { dims: DIMS, segments: [] })).value).toBe(1);
  });
});

describe('volume consensus and export', () => {
  it('gives the majority geometry per class (STAPLE) and keeps classes apart', () => {
    const liver = cube(1, 6, 1, 6, 1, 5);
    const tumour = cube(6, 9, 2, 4, 2, 4);
    const labels = parseLabels(ctx, [
      { annotator: 'a', data: { dims: DIMS, segments: [seg('liver', liver), seg('tumour', tumour)] } },
      { annotator: 'b', data: { dims: DIMS, segments: [seg('liver', liver), seg('tumour', tumour)] } },
      { annotator: 'c', data: { dims: DIMS, segments: [seg('liver', cube(0, 3, 0, 3, 0, 6)), seg('vessel', cube(7, 10, 6, 8, 0, 6))] } },
    ]);
    const c = taskConsensus(ctx, labels);
    expect(c.method).toBe('staple');
    expect(c.data).toEqual({ dims: DIMS, segments: [seg('liver', liver), seg('tumour', tumour)] });
    expect(parse(ctx, c.data)).toEqual(c.data);
  });

  it("uses the campaign's voxel majority vote when it chose one", () => {
    const labels = parseLabels(ctx, [
      { annotator: 'a', data: { dims: DIMS, segments: [seg('liver', cube(0, 4, 0, 4, 0, 4))] } },
      { annotator: 'b', data: { dims: DIMS, segments: [seg('liver', cube(2, 6, 0, 4, 0, 4))] } },
      { annotator: 'c', data: { dims: DIMS, segments: [seg('liver', cube(2, 6, 2, 6, 0, 4))] } },
    ]);
    const voted = taskConsensus({ ...ctx, consensusMethod: 'voxel-majority-vote' }, labels);
    expect(voted.method).toBe('voxel-majority-vote');
    // Two of three: x 2..3 for y 0..3 (a and b), and x 2..5 for y 2..3 (b and c), on slices 0..3.
    const map = volumeLabelMap(voted.data as VolumeLabel, schema);
    for (let z = 0; z < DIMS[2]; z++)
      for (let y = 0; y < DIMS[1]; y++)
        for (let x = 0; x < DIMS[0]; x++) {
          const inside = z < 4 && ((x >= 2 && x < 4 && y < 4) || (x >= 2 && x < 6 && y >= 2 && y < 4));
          expect(map.data[x + DIMS[0] * (y + DIMS[1] * z)], `voxel ${x},${y},${z}`).toBe(inside ? 1 : 0);
        }
    expect(taskConsensus(ctx, labels).method).toBe('staple');
  });

  it('round-trips through a label map', () => {
    const label = parse(ctx, { dims: DIMS, segments: [seg('liver', cube(1, 6, 1, 6, 1, 5)), seg('vessel', cube(7, 9, 0, 8, 0, 6))] });
    const map = volumeLabelMap(label, schema);
    expect(map.dims).toEqual(DIMS);
    expect(map.classes).toEqual([
      { value: 1, key: 'liver' },
      { value: 2, key: 'tumour' },
      { value: 3, key: 'vessel' },
    ]);
    expect(map.data[1 + 10 * (1 + 8 * 1)]).toBe(1);
    expect(map.data[7 + 10 * (0 + 8 * 0)]).toBe(3);
    expect(map.data[0]).toBe(0);
    expect(volumeFromLabelMap(map, schema)).toEqual(label);
    expect(() => volumeFromLabelMap({ dims: [2, 1, 1], data: [0, 9] }, schema)).toThrow(/not a class/);
  });
});
