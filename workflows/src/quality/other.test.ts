import { describe, expect, it } from 'vitest';
import { pixelMajorityVote, staple, thresholdProbability } from './consensus/staple.ts';
import { annotatorReliability, fuseBoxes, fuseKeypoints } from './consensus/fusion.ts';
import { COCO_PERSON_SIGMAS, objectKeypointSimilarity, type Keypoint } from './keypoints.ts';
import { hungarian, matchObjects } from './objects.ts';
import { polylineDistances } from './polyline.ts';
import { forAllSeeds } from './testing.ts';
import { segmentConsensus, temporalAgreement, trackBoxAt, trackIoU } from './video.ts';
import { surfaceDistances, volumeAgreement } from './volume.ts';

describe('keypoints (COCO OKS)', () => {
  it('follows cocoeval: exp(−d²/(2·area·(2σ)²)) averaged over labelled reference keypoints', () => {
    const gt: Keypoint[] = COCO_PERSON_SIGMAS.map((_, i) => ({ x: i * 10, y: 5, v: i < 10 ? 2 : 0 }));
    const dt: Keypoint[] = gt.map((k) => ({ x: k.x + 3, y: k.y + 4, v: 2 }));
    const area = 2000;
    let expected = 0;
    for (let i = 0; i < 10; i++) expected += Math.exp(-25 / (2 * (COCO_PERSON_SIGMAS[i] as number)) ** 2 / area / 2);
    expect(objectKeypointSimilarity(gt, dt, COCO_PERSON_SIGMAS, area)).toBeCloseTo(expected / 10, 12);
    expect(objectKeypointSimilarity(gt, gt, COCO_PERSON_SIGMAS, area)).toBe(1);
    const none = gt.map((k) => ({ ...k, v: 0 as const }));
    expect(objectKeypointSimilarity(none, none, COCO_PERSON_SIGMAS, area)).toBe(1);
    expect(() => objectKeypointSimilarity(gt, dt.slice(1), COCO_PERSON_SIGMAS, area)).toThrow(/as many keypoints/);
  });
});

describe('polylines', () => {
  it('measures parallel lines and follows the empty convention', () => {
    const d = polylineDistances(
      [
        [0, 0],
        [10, 0],
      ],
      [
        [0, 2],
        [10, 2],
      ],
    );
    expect(d.symmetricMean).toBeCloseTo(2, 10);
    expect(d.hausdorff).toBeCloseTo(2, 10);
    expect(
      polylineDistances(
        [
          [0, 0],
          [10, 0],
        ],
        [
          [0, 0],
          [12, 0],
        ],
      ).hausdorff,
    ).toBeCloseTo(2, 10);
    expect(polylineDistances([], [])).toEqual({ symmetricMean: 0, hausdorff: 0 });
    expect(polylineDistances([], [[0, 0]])).toEqual({ symmetricMean: null, hausdorff: null });
  });
});

describe('object matching', () => {
  it('solves assignments optimally (checked against brute force)', () => {
    forAllSeeds(30, (rng) => {
      const n = 1 + rng.int(5);
      const m = 1 + rng.int(5);
      const cost = Array.from({ length: n }, () => Array.from({ length: m }, () => rng.int(20)));
      const assign = hungarian(cost);
      const total = assign.reduce((s, j, i) => s + (j >= 0 ? ((cost[i] as number[])[j] as number) : 0), 0);
      const best = (i: number, used: Set<number>): number => {
        if (i === n) return 0;
        let b = n > m ? best(i + 1, used) : Infinity;
        for (let j = 0; j < m; j++) {
          if (used.has(j)) continue;
          used.add(j);
          b = Math.min(b, ((cost[i] as number[])[j] as number) + best(i + 1, used));
          used.delete(j);
        }
        return b;
      };
      if (n <= m) expect(total).toBe(best(0, new Set()));
      expect(new Set(assign.filter((j) => j >= 0)).size).toBe(Math.min(n, m));
    });
  });

  it('reports precision, recall, F1 and class agreement', () => {
    const a = [
      { label: 'grasper', box: { x: 0, y: 0, width: 10, height: 10 } },
      { label: 'hook', box: { x: 50, y: 50, width: 10, height: 10 } },
      { label: 'clip', box: { x: 100, y: 0, width: 5, height: 5 } },
    ];
    const b = [
      { label: 'grasper', box: { x: 1, y: 0, width: 10, height: 10 } },
      { label: 'grasper', box: { x: 51, y: 50, width: 10, height: 10 } },
    ];
    const r = matchObjects(a, b);
    expect(r.pairs.map((p) => [p.a, p.b])).toEqual([
      [0, 0],
      [1, 1],
    ]);
    expect(r.precision).toBeCloseTo(2 / 3, 12);
    expect(r.recall).toBe(1);
    expect(r.f1).toBeCloseTo(0.8, 12);
    expect(r.classAgreement).toBe(0.5);
    expect(matchObjects([], []).f1).toBe(1);
  });
});

describe('video', () => {
  it('interpolates tracks and averages IoU over the union of frames', () => {
    const t = {
      keyframes: [
        { frame: 0, box: { x: 0, y: 0, width: 10, height: 10 } },
        { frame: 10, box: { x: 10, y: 0, width: 10, height: 10 } },
      ],
    };
    expect(trackBoxAt(t, 5)).toEqual({ x: 5, y: 0, width: 10, height: 10 });
    expect(trackIoU(t, t)).toBe(1);
    const shorter = { keyframes: t.keyframes.slice(0, 1).concat([{ frame: 4, box: { x: 4, y: 0, width: 10, height: 10 } }]) };
    expect(trackIoU(t, shorter)).toBeCloseTo(5 / 11, 12);
  });

  it('computes frame accuracy, MS-TCN segmental F1, edit score and boundary error', () => {
    const ref = [
      { start: 0, end: 40, label: 'prep' },
      { start: 40, end: 80, label: 'dissect' },
      { start: 80, end: 100, label: 'close' },
    ];
    const pred = [
      { start: 0, end: 45, label: 'prep' },
      { start: 45, end: 70, label: 'dissect' },
      { start: 70, end: 100, label: 'close' },
    ];
    const r = temporalAgreement(pred, ref, 100);
    expect(r.frameAccuracy).toBeCloseTo(0.85, 12);
    expect(r.edit).toBe(1);
    expect(r.f1['0.5']).toBe(1);
    expect(r.boundaryError).toBeCloseTo(7.5, 12);
    const oversegmented = [{ start: 0, end: 20, label: 'prep' }, { start: 20, end: 25, label: 'close' }, ...ref.slice(1), { start: 25, end: 40, label: 'prep' }];
    const o = temporalAgreement(oversegmented, ref, 100);
    expect(o.edit).toBeCloseTo(1 - 2 / 5, 12);
    expect(o.f1['0.1']).toBeCloseTo((2 * 3) / (5 + 3), 12);
    expect(() => temporalAgreement([{ start: 0, end: 200, label: 'x' }], ref, 100)).toThrow(/ends at 200, after the last frame/);
    expect(segmentConsensus([ref, pred, ref], 100)).toEqual(ref);
  });
});

describe('volumes', () => {
  it('computes Dice, IoU and HD95 with spacing', () => {
    const dims = [10, 10, 10] as const;
    const a = new Uint8Array(1000);
    const b = new Uint8Array(1000);
    for (let z = 2; z < 6; z++) for (let y = 2; y < 6; y++) for (let x = 2; x < 6; x++) a[x + 10 * (y + 10 * z)] = 1;
    for (let z = 2; z < 6; z++) for (let y = 2; y < 6; y++) for (let x = 3; x < 7; x++) b[x + 10 * (y + 10 * z)] = 2;
    const r = volumeAgreement({ dims, data: a, spacing: [2, 1, 1] }, { dims, data: b, spacing: [2, 1, 1] });
    expect(r.map((x) => x.label)).toEqual([1, 2]);
    expect(r[0]).toMatchObject({ dice: 0, iou: 0, voxelsA: 64, voxelsB: 0, hd95: null });
    const same = volumeAgreement({ dims, data: b }, { dims, data: b })[0];
    expect(same).toMatchObject({ label: 2, dice: 1, iou: 1, hd95: 0, hausdorff: 0 });
    const bin = Uint8Array.from(b, (v) => (v ? 1 : 0));
    const d = surfaceDistances(a, bin, dims, [2, 1, 1]);
    // Shift by one voxel along x with spacing 2: every surface voxel is at most 2 from the other surface.
    expect(d.hausdorff).toBeCloseTo(2, 12);
    expect(d.hd95).toBeCloseTo(2, 12);
  });
});

describe('STAPLE and pixel vote', () => {
  it('recovers the segmentation from identical raters (property)', () => {
    forAllSeeds(5, (rng) => {
      const truth = new Uint8Array(32 * 32 * 4).map(() => (rng.next() < 0.3 ? 1 : 0));
      const r = staple([truth, truth.slice(), truth.slice()]);
      expect(thresholdProbability(r.probability)).toEqual(truth);
      for (const p of r.sensitivity) expect(p).toBeGreaterThan(0.999);
    });
  });

  it('weights good raters above a noisy one', () => {
    const rng = { s: 1 };
    const rand = () => (rng.s = (rng.s * 16807) % 2147483647) / 2147483647;
    const truth = new Uint8Array(20_000).map((_, i) => (i % 7 < 2 ? 1 : 0));
    // Foreground misses are 2.5× as likely as false alarms, which keeps each rater's foreground share at the
    // truth's 2/7, so STAPLE's prior (mean of the raters) is unbiased.
    const noisy = (miss: number) => truth.map((v) => (rand() < (v ? miss : miss / 2.5) ? 1 - v : v));
    const raters = [noisy(0.02), noisy(0.05), noisy(0.4)];
    const r = staple(raters);
    expect(r.sensitivity[2]).toBeLessThan(r.sensitivity[0] as number);
    const s = thresholdProbability(r.probability);
    const errors = (m: Uint8Array) => m.reduce((e, v, i) => e + (v !== truth[i] ? 1 : 0), 0);
    expect(errors(s)).toBeLessThanOrEqual(errors(pixelMajorityVote(raters)));
  });
});

describe('fusion, reliability and lifecycle helpers', () => {
  it('fuses boxes with confidence weights and keypoints', () => {
    const fused = fuseBoxes([
      { annotator: 'a', label: 'hook', box: { x: 0, y: 0, width: 10, height: 10 }, confidence: 1 },
      { annotator: 'b', label: 'hook', box: { x: 2, y: 0, width: 10, height: 10 }, confidence: 3 },
      { annotator: 'c', label: 'hook', box: { x: 90, y: 90, width: 5, height: 5 } },
    ]);
    expect(fused).toHaveLength(1);
    expect(fused[0]?.box.x).toBeCloseTo(1.5, 12);
    expect(fuseKeypoints([{ keypoints: [{ x: 0, y: 0, v: 2 }] }, { keypoints: [{ x: 4, y: 2, v: 1 }], confidence: 3 }])).toEqual([{ x: 3, y: 1.5, v: 2 }]);
  });

  it('gives reliabilities in [0, 1] from consensus', () => {
    const r = annotatorReliability(
      [
        { task: 't', annotator: 'a', label: 1 },
        { task: 't', annotator: 'b', label: 2 },
      ],
      [{ task: 't', label: '1' }],
    );
    expect(r).toEqual([
      { annotator: 'a', reliability: 2 / 3, agreements: 1, answers: 1 },
      { annotator: 'b', reliability: 1 / 3, agreements: 0, answers: 1 },
    ]);
  });
});
