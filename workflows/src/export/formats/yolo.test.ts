import { unzipSync, strFromU8 } from 'fflate';
import { describe, expect, it } from 'vitest';
import { yoloDetect, yoloSegment } from './yolo.ts';
import { collect, imageAsset, memorySource } from '../testing.ts';

const classes = [
  { key: 'grasper', name: 'Grasper' },
  { key: 'clip', name: 'Clip' },
];

describe('YOLO', () => {
  it('writes data.yaml and one normalised label file per image, empty for images without objects', async () => {
    const source = memorySource({
      schema: { geometry: 'bbox', classes },
      tasks: [
        {
          id: 't1',
          asset: imageAsset('a1', 200, 100),
          consensus: {
            objects: [
              { label: 'clip', box: [50, 25, 100, 50] },
              { label: 'grasper', box: [0, 0, 20, 10] },
            ],
          },
        },
        { id: 't2', asset: imageAsset('a2', 200, 100), consensus: { objects: [] } },
      ],
    });
    const bytes = await collect(yoloDetect, source);
    expect((await collect(yoloDetect, source)).equals(bytes)).toBe(true);
    const files = unzipSync(new Uint8Array(bytes));
    expect(Object.keys(files)).toEqual(['data.yaml', 'labels/a1.txt', 'labels/a2.txt']);
    expect(strFromU8(files['data.yaml']!)).toContain('nc: 2\nnames:\n  0: "grasper"\n  1: "clip"\n');
    expect(strFromU8(files['data.yaml']!)).toContain('# Consensus: Weighted box fusion (weighted-box-fusion);');
    expect(strFromU8(files['labels/a1.txt']!)).toBe('1 0.5 0.5 0.5 0.5\n0 0.05 0.05 0.1 0.1\n');
    expect(strFromU8(files['labels/a2.txt']!)).toBe('');
  });

  it('writes polygon outlines for segmentation and refuses an image labelled twice', async () => {
    const ring: Array<[number, number]> = [
      [0, 0],
      [100, 0],
      [100, 50],
    ];
    const source = memorySource({
      schema: { geometry: 'polygon', classes },
      tasks: [{ id: 't1', asset: imageAsset('a1', 200, 100), consensus: { objects: [{ label: 'grasper', rings: [ring] }] } }],
    });
    const files = unzipSync(new Uint8Array(await collect(yoloSegment, source)));
    expect(strFromU8(files['labels/a1.txt']!)).toBe('0 0 0 0.5 0 0.5 0.5\n');
    const twice = memorySource({
      schema: { geometry: 'polygon', classes },
      tasks: ['t1', 't2'].map((id) => ({ id, asset: imageAsset('a1', 200, 100), consensus: { objects: [] } })),
    });
    await expect(collect(yoloSegment, twice)).rejects.toThrow(/labelled by two accepted tasks \(t1, t2\)/);
  });
});
