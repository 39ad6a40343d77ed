import { describe, expect, it } from 'vitest';
import { forAllSeeds } from '../testing.ts';
import { boxDice, boxIoU } from './box.ts';
import { polygonArea, polygonDice, polygonIntersectionArea, polygonIoU, type Point, type Polygon } from './polygon.ts';
import { bitmapIoU, rleArea, rleDecode, rleEncode, rleFromString, rleIoU, rleMerge, rleToString, type Bitmap } from './rle.ts';

const square = (x: number, y: number, s: number): Point[] => [
  [x, y],
  [x + s, y],
  [x + s, y + s],
  [x, y + s],
];

describe('boxes', () => {
  it('computes IoU and Dice, with empty-versus-empty = 1', () => {
    expect(boxIoU({ x: 0, y: 0, width: 2, height: 2 }, { x: 1, y: 1, width: 2, height: 2 })).toBeCloseTo(1 / 7, 12);
    expect(boxDice({ x: 0, y: 0, width: 2, height: 2 }, { x: 1, y: 1, width: 2, height: 2 })).toBeCloseTo(2 / 8, 12);
    expect(boxIoU({ x: 0, y: 0, width: 0, height: 0 }, { x: 5, y: 5, width: 0, height: 0 })).toBe(1);
    expect(boxIoU({ x: 0, y: 0, width: 0, height: 0 }, { x: 0, y: 0, width: 1, height: 1 })).toBe(0);
    expect(() => boxIoU({ x: 0, y: 0, width: -1, height: 1 }, { x: 0, y: 0, width: 1, height: 1 })).toThrow(/box a has a negative size/);
  });
});

describe('polygons', () => {
  it('handles containment, disjoint, shared edges and identical polygons exactly', () => {
    expect(polygonIoU({ outer: square(0, 0, 4) }, { outer: square(1, 1, 2) })).toBeCloseTo(4 / 16, 12);
    expect(polygonIoU({ outer: square(0, 0, 1) }, { outer: square(5, 5, 1) })).toBe(0);
    // Shared edge, interiors on opposite sides: touching squares do not overlap.
    expect(polygonIntersectionArea({ outer: square(0, 0, 1) }, { outer: square(1, 0, 1) })).toBeCloseTo(0, 12);
    // Shared edges, same side: a square and its left half.
    expect(
      polygonIntersectionArea(
        { outer: square(0, 0, 2) },
        {
          outer: [
            [0, 0],
            [1, 0],
            [1, 2],
            [0, 2],
          ],
        },
      ),
    ).toBeCloseTo(2, 12);
    expect(polygonIoU({ outer: square(0, 0, 3) }, { outer: square(0, 0, 3).reverse() })).toBeCloseTo(1, 12);
    // Partially overlapping with a shared collinear edge.
    expect(polygonIntersectionArea({ outer: square(0, 0, 2) }, { outer: square(1, 0, 2) })).toBeCloseTo(2, 12);
  });

  it('handles holes and concave polygons', () => {
    const ring: Polygon = { outer: square(0, 0, 10), holes: [square(3, 3, 4)] };
    expect(polygonArea(ring)).toBeCloseTo(84, 12);
    expect(polygonIntersectionArea(ring, { outer: square(3, 3, 4) })).toBeCloseTo(0, 12);
    expect(polygonIntersectionArea(ring, { outer: square(2, 2, 6) })).toBeCloseTo(36 - 16, 12);
    const u: Polygon = {
      outer: [
        [0, 0],
        [3, 0],
        [3, 3],
        [2, 3],
        [2, 1],
        [1, 1],
        [1, 3],
        [0, 3],
      ],
    };
    expect(polygonArea(u)).toBeCloseTo(7, 12);
    expect(
      polygonIntersectionArea(u, {
        outer: [
          [0, 2],
          [3, 2],
          [3, 4],
          [0, 4],
        ],
      }),
    ).toBeCloseTo(2, 12);
    expect(polygonDice(u, u)).toBeCloseTo(1, 12);
  });

  it('rejects self-intersecting polygons with the edges involved', () => {
    const bowtie: Polygon = {
      outer: [
        [0, 0],
        [2, 2],
        [2, 0],
        [0, 2],
      ],
    };
    expect(() => polygonIoU(bowtie, { outer: square(0, 0, 1) })).toThrow('region a is self-intersecting at edges 0 and 2');
    expect(() => polygonIoU([{ outer: square(0, 0, 1) }, bowtie], { outer: square(0, 0, 1) })).toThrow(/region a polygon 1 is self-intersecting at edges 0 and 2/);
    expect(() =>
      polygonArea({
        outer: [
          [0, 0],
          [1, 1],
        ],
      }),
    ).toThrow(/at least 3 distinct points/);
  });

  it('matches rasterised IoU within tolerance on random star polygons (property)', () => {
    forAllSeeds(12, (rng) => {
      const star = (cx: number, cy: number): Point[] => {
        const n = 5 + rng.int(8);
        return Array.from({ length: n }, (_, k) => {
          const r = 8 + rng.next() * 12;
          const t = (2 * Math.PI * k) / n;
          return [cx + r * Math.cos(t), cy + r * Math.sin(t)] as Point;
        });
      };
      const a = { outer: star(30, 30) };
      const b = { outer: star(30 + rng.next() * 10, 30 + rng.next() * 10) };
      const exact = polygonIoU(a, b);
      const res = 0.1;
      let inter = 0;
      let union = 0;
      const inside = (poly: Point[], x: number, y: number): boolean => {
        let c = false;
        for (let i = 0, j = poly.length - 1; i < poly.length; j = i++) {
          const p = poly[i] as Point;
          const q = poly[j] as Point;
          if (p[1] > y !== q[1] > y && x < ((q[0] - p[0]) * (y - p[1])) / (q[1] - p[1]) + p[0]) c = !c;
        }
        return c;
      };
      for (let y = res / 2; y < 70; y += res) {
        for (let x = res / 2; x < 70; x += res) {
          const p = inside(a.outer, x, y);
          const q = inside(b.outer, x, y);
          if (p && q) inter++;
          if (p || q) union++;
        }
      }
      expect(Math.abs(exact - inter / union)).toBeLessThan(0.01);
      expect(polygonIoU(b, a)).toBeCloseTo(exact, 10);
    });
  });
});

function bitmap(width: number, height: number, on: Array<[number, number]>): Bitmap {
  const data = new Uint8Array(width * height);
  for (const [x, y] of on) data[y * width + x] = 1;
  return { width, height, data };
}

describe('COCO RLE (pycocotools semantics)', () => {
  it('encodes column-major starting with a zeros run', () => {
    // 3×2 (h=2, w=3): pixel (x=0,y=1) and (x=1,y=0). Column-major order: (0,0)=0,(0,1)=1,(1,0)=1,(1,1)=0,(2,*)=0.
    const m = bitmap(3, 2, [
      [0, 1],
      [1, 0],
    ]);
    expect(rleEncode(m)).toEqual({ size: [2, 3], counts: [1, 2, 3] });
    expect(rleEncode(bitmap(2, 2, [[0, 0]]))).toEqual({ size: [2, 2], counts: [0, 1, 3] });
    expect(rleDecode(rleEncode(m)).data).toEqual(m.data);
    expect(rleArea(rleEncode(m))).toBe(2);
  });

  it('produces the maskApi string form (5-bit groups, offset 48, deltas from index 3)', () => {
    expect(rleToString({ size: [1, 5], counts: [0, 5] })).toBe('05');
    // 40 = 8 + 1·32 → '8'|0x20 then '1': 'X1'.
    expect(rleToString({ size: [1, 45], counts: [3, 40, 2] })).toBe('3X12');
    // counts[3] = 2 is stored as 2 − counts[1] = −8 → 24 + 48 = 'H'.
    expect(rleToString({ size: [1, 18], counts: [1, 10, 5, 2] })).toBe('1:5H');
    forAllSeeds(30, (rng) => {
      const h = 1 + rng.int(40);
      const w = 1 + rng.int(40);
      const data = new Uint8Array(h * w).map(() => (rng.next() < 0.3 ? 1 : 0));
      const rle = rleEncode({ width: w, height: h, data });
      expect(rleFromString({ size: rle.size, counts: rleToString(rle) })).toEqual(rle);
    });
    expect(rleFromString({ size: [200, 300], counts: rleToString({ size: [200, 300], counts: [59_000, 1000] }) }).counts).toEqual([59_000, 1000]);
    expect(() => rleFromString({ size: [2, 2], counts: '0' })).toThrow(/sum to 0, expected height·width = 4/);
  });

  it('matches bitmap IoU, merges like pycocotools and applies iscrowd (property)', () => {
    forAllSeeds(30, (rng) => {
      const h = 1 + rng.int(30);
      const w = 1 + rng.int(30);
      const a = { width: w, height: h, data: new Uint8Array(h * w).map(() => (rng.next() < 0.4 ? 1 : 0)) };
      const b = { width: w, height: h, data: new Uint8Array(h * w).map(() => (rng.next() < 0.4 ? 1 : 0)) };
      const ra = rleEncode(a);
      const rb = rleEncode(b);
      expect(rleIoU(ra, rb)).toBeCloseTo(bitmapIoU(a, b), 12);
      const union = rleDecode(rleMerge([ra, rb])).data;
      const inter = rleDecode(rleMerge([ra, rb], true)).data;
      for (let i = 0; i < union.length; i++) {
        expect(union[i]).toBe(a.data[i] || b.data[i] ? 1 : 0);
        expect(inter[i]).toBe(a.data[i] && b.data[i] ? 1 : 0);
      }
      const areaA = rleArea(ra);
      const expectedCrowd = areaA === 0 ? (rleArea(rb) === 0 ? 1 : 0) : rleArea(rleMerge([ra, rb], true)) / areaA;
      expect(rleIoU(ra, rb, true)).toBeCloseTo(expectedCrowd, 12);
    });
  });

  it('scores two empty masks 1 and rejects size mismatches', () => {
    const empty = rleEncode(bitmap(4, 4, []));
    expect(rleIoU(empty, empty)).toBe(1);
    expect(rleIoU(empty, rleEncode(bitmap(4, 4, [[1, 1]])))).toBe(0);
    expect(() => rleIoU(empty, rleEncode(bitmap(5, 4, [])))).toThrow(/mask sizes differ: 4×4 vs 4×5/);
  });
});
