import { describe, expect, it } from 'vitest';
import { cvat } from './cvat.ts';
import { collect, imageAsset, memorySource, trimmedFrameMap, videoAsset } from '../testing.ts';

const classes = [
  { key: 'grasper', name: 'Grasper' },
  { key: 'clip', name: 'Clip' },
];

/** CVAT's mask runs (row-major inside its box, starting with 0s) back to the set of foreground pixels. */
function maskPixels(rle: string, left: number, top: number, width: number): Set<string> {
  const out = new Set<string>();
  let pos = 0;
  rle
    .split(',')
    .map(Number)
    .forEach((run, k) => {
      if (k % 2 === 1) for (let p = pos; p < pos + run; p++) out.add(`${left + (p % width)},${top + Math.floor(p / width)}`);
      pos += run;
    });
  return out;
}

describe('CVAT XML 1.1', () => {
  it('writes images with boxes, attributes, and a polygon with holes as a mask', async () => {
    const source = memorySource({
      schema: { geometry: 'polygon', classes, attributes: [{ key: 'tip', name: 'Tip', type: 'enum', options: ['open', 'closed'] }] },
      tasks: [
        {
          id: 't1',
          asset: imageAsset('a1', 20, 20),
          consensus: {
            objects: [
              {
                label: 'grasper',
                rings: [
                  [
                    [2, 2],
                    [8, 2],
                    [8, 8],
                    [2, 8],
                  ],
                  [
                    [4, 4],
                    [6, 4],
                    [6, 6],
                    [4, 6],
                  ],
                ],
              },
              {
                label: 'clip',
                rings: [
                  [
                    [10, 10],
                    [15, 10],
                    [15, 15],
                  ],
                ],
                attributes: { tip: 'open' },
              },
            ],
          },
        },
      ],
    });
    const xml = (await collect(cvat, source)).toString('utf8');
    expect(xml).toContain('<version>1.1</version>');
    expect(xml).toMatch(/^<\?xml [^\n]*\n<!-- Consensus: Most representative label \(medoid\)[^\n]* -->\n<!-- Two empty masks score IoU 1[^\n]* -->\n<annotations>/);
    expect(xml).toContain('<image id="0" name="a1.png" width="20" height="20">');
    expect(xml).toContain('<polygon label="clip" source="manual" occluded="0" points="10,10;15,10;15,15" z_order="0"><attribute name="tip">open</attribute></polygon>');
    const m = /<mask label="grasper" source="manual" occluded="0" rle="([\d, ]+)" left="(\d+)" top="(\d+)" width="(\d+)" height="(\d+)"/.exec(xml)!;
    expect(m.slice(2).map(Number)).toEqual([2, 2, 6, 6]);
    const pixels = maskPixels(m[1]!, 2, 2, 6);
    expect(pixels.size).toBe(36 - 4);
    expect(pixels.has('4,4')).toBe(false);
    expect(pixels.has('2,2')).toBe(true);
  });

  it('writes tracks on source frames with keyframe, outside and interpolated boxes', async () => {
    const source = memorySource({
      schema: { geometry: 'track', classes },
      frames: { v1: trimmedFrameMap(30, 25, 100) },
      tasks: [
        {
          id: 't1',
          asset: videoAsset('v1', 30),
          consensus: {
            tracks: [
              {
                id: 1,
                label: 'clip',
                keyframes: [
                  { frame: 0, box: [0, 0, 4, 4] },
                  { frame: 2, box: [4, 0, 4, 4], occluded: true },
                  { frame: 3, box: [4, 0, 4, 4], outside: true },
                ],
              },
            ],
          },
        },
      ],
    });
    const xml = (await collect(cvat, source)).toString('utf8');
    expect(xml).toContain('<mode>interpolation</mode>');
    const boxes = [...xml.matchAll(/<box frame="(\d+)" keyframe="(\d)" outside="(\d)" occluded="(\d)" xtl="([\d.]+)"/g)].map((b) => b.slice(1).map(Number));
    expect(boxes).toEqual([
      [100, 1, 0, 0, 0],
      [101, 0, 0, 0, 2],
      [102, 1, 0, 1, 4],
      [103, 1, 1, 0, 4],
    ]);
  });
});
