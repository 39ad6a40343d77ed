import { describe, expect, it } from 'vitest';
import { rleEncode, rleFromString, rleToString, rleDecode } from '../../quality/geometry/rle.ts';
import { coco } from './coco.ts';
import { collect, imageAsset, memorySource, trimmedFrameMap, videoAsset } from '../testing.ts';

const classes = [
  { key: 'grasper', name: 'Grasper' },
  { key: 'clip', name: 'Clip' },
];
type Coco = {
  info: Record<string, unknown>;
  categories: Array<{ id: number; name: string; keypoints?: string[]; skeleton?: number[][] }>;
  images: Array<{ id: number; file_name: string; width: number; height: number; frame: number | null }>;
  annotations: Array<{
    id: number;
    image_id: number;
    category_id: number;
    bbox: number[];
    area: number;
    segmentation: unknown;
    keypoints?: number[];
    num_keypoints?: number;
    iscrowd: number;
  }>;
};
const parse = (b: Buffer) => JSON.parse(b.toString('utf8')) as Coco;

describe('COCO', () => {
  it('writes boxes with categories, one image per (asset, source frame) and identical bytes twice', async () => {
    const source = memorySource({
      schema: { geometry: 'bbox', classes },
      frames: { v1: trimmedFrameMap(50, 25, 100) },
      tasks: [
        { id: 't1', asset: imageAsset('a1'), consensus: { objects: [{ label: 'clip', box: [10, 20, 30, 40], confidence: 0.9 }] } },
        {
          id: 't2',
          asset: videoAsset('v1', 50),
          frame: 5,
          consensus: {
            objects: [
              { label: 'grasper', box: [1, 2, 3, 4] },
              { label: 'clip', box: [5, 5, 2, 2] },
            ],
          },
        },
        { id: 't3', asset: imageAsset('a2'), consensus: { objects: [] } },
      ],
    });
    const bytes = await collect(coco, source);
    expect((await collect(coco, source)).equals(bytes)).toBe(true);
    const doc = parse(bytes);
    expect(doc.categories.map((c) => [c.id, c.name])).toEqual([
      [1, 'grasper'],
      [2, 'clip'],
    ]);
    expect(doc.images).toEqual([
      expect.objectContaining({ id: 1, file_name: 'a1.png', width: 100, height: 80, frame: null }),
      expect.objectContaining({ id: 2, file_name: 'v1_frame_000105.png', width: 64, height: 48, frame: 105 }),
      expect.objectContaining({ id: 3, file_name: 'a2.png' }),
    ]);
    expect(doc.annotations.map((a) => [a.id, a.image_id, a.category_id, a.bbox, a.area])).toEqual([
      [1, 1, 2, [10, 20, 30, 40], 1200],
      [2, 2, 1, [1, 2, 3, 4], 12],
      [3, 2, 2, [5, 5, 2, 2], 4],
    ]);
  });

  it('computes polygon area minus holes and writes a polygon with holes as RLE', async () => {
    const outline: Array<[number, number]> = [
      [0, 0],
      [10, 0],
      [10, 10],
      [0, 10],
    ];
    const hole: Array<[number, number]> = [
      [2, 2],
      [4, 2],
      [4, 4],
      [2, 4],
    ];
    const triangle: Array<[number, number]> = [
      [20, 20],
      [30, 20],
      [20, 30],
    ];
    const source = memorySource({
      schema: { geometry: 'polygon', classes },
      tasks: [
        {
          id: 't1',
          asset: imageAsset('a1', 40, 40),
          consensus: {
            objects: [
              { label: 'grasper', rings: [outline, hole] },
              { label: 'clip', rings: [triangle] },
            ],
          },
        },
      ],
    });
    const doc = parse(await collect(coco, source));
    const [withHole, plain] = doc.annotations;
    expect(withHole!.area).toBe(96);
    expect(withHole!.bbox).toEqual([0, 0, 10, 10]);
    const rle = rleFromString(withHole!.segmentation as { size: [number, number]; counts: string });
    expect(rle.size).toEqual([40, 40]);
    const bitmap = rleDecode(rle);
    expect(bitmap.data.reduce((s, v) => s + v, 0)).toBe(96);
    expect(bitmap.data[3 * 40 + 3]).toBe(0); // inside the hole
    expect(bitmap.data[1 * 40 + 1]).toBe(1);
    expect(plain!.area).toBe(50);
    expect(plain!.segmentation).toEqual([[20, 20, 30, 20, 20, 30]]);
  });

  it('keeps masks as compressed RLE with the area and box counted from the runs', async () => {
    const data = new Uint8Array(100 * 80);
    for (let y = 5; y < 15; y++) for (let x = 10; x < 20; x++) data[y * 100 + x] = 1;
    data[70 * 100 + 90] = 1;
    const rle = rleEncode({ width: 100, height: 80, data });
    const stored = { size: rle.size, counts: rleToString(rle) };
    const source = memorySource({
      schema: { geometry: 'mask', classes },
      tasks: [{ id: 't1', asset: imageAsset('a1'), consensus: { objects: [{ label: 'clip', rle: stored }] } }],
    });
    const doc = parse(await collect(coco, source));
    expect(doc.annotations[0]).toMatchObject({ area: 101, bbox: [10, 5, 81, 66], iscrowd: 0, segmentation: stored });
    // The info block names the consensus method and the empty-mask convention behind the accepted labels.
    expect(doc.info).toMatchObject({
      consensus_method: 'staple',
      consensus: expect.stringContaining('Consensus: STAPLE (staple)'),
      empty_masks: expect.stringMatching(/^Two empty masks score IoU 1/),
    });
  });

  it('writes keypoints in schema order with a 1-based skeleton', async () => {
    const source = memorySource({
      schema: {
        geometry: 'keypoints',
        classes,
        keypoints: ['tip', 'joint', 'base'],
        skeleton: [
          ['tip', 'joint'],
          ['joint', 'base'],
        ],
      },
      tasks: [
        {
          id: 't1',
          asset: imageAsset('a1'),
          consensus: {
            objects: [
              {
                label: 'grasper',
                points: [
                  [10, 10, 2],
                  [20, 30, 1],
                  [0, 0, 0],
                ],
              },
            ],
          },
        },
      ],
    });
    const doc = parse(await collect(coco, source));
    expect(doc.categories[0]).toMatchObject({
      keypoints: ['tip', 'joint', 'base'],
      skeleton: [
        [1, 2],
        [2, 3],
      ],
    });
    expect(doc.annotations[0]).toMatchObject({ keypoints: [10, 10, 2, 20, 30, 1, 0, 0, 0], num_keypoints: 2, bbox: [10, 10, 10, 20], area: 200 });
  });
});
