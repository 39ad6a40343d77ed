import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { unzipSync, strFromU8 } from 'fflate';
import { describe, expect, it } from 'vitest';
import { parseNiftiHeader } from '../../media/nifti.ts';
import { niftiDir, tempDir } from '../../media/test-support.ts';
import type { ExportAsset } from '../format.ts';
import { nifti } from './nifti.ts';
import { collect, memorySource } from '../testing.ts';

const classes = [
  { key: 'liver', name: 'Liver' },
  { key: 'tumour', name: 'Tumour' },
];
const volumeAsset = (id: string, dims: [number, number, number]): ExportAsset => ({
  id,
  kind: 'NIFTI',
  fileName: null,
  width: dims[0],
  height: dims[1],
  frameCount: dims[2],
  volume: { dims },
});

/** Runs from a list of foreground voxel ranges [start, end) over n voxels. */
function runs(n: number, ranges: Array<[number, number]>): number[] {
  const out: number[] = [];
  let pos = 0;
  for (const [a, b] of ranges) {
    out.push(a - pos, b - a);
    pos = b;
  }
  out.push(n - pos);
  return out;
}

const python = '/usr/bin/python3';

describe('NIfTI label map', () => {
  it.each([
    ['anatomical.nii', [33, 41, 25] as [number, number, number]],
    ['example_nifti2.nii.gz', [32, 20, 12] as [number, number, number]],
  ])('keeps the geometry of %s; nibabel reads the affine and voxel counts back', async (file, dims) => {
    const raw = readFileSync(join(niftiDir, file));
    const sourceBytes = file.endsWith('.gz') ? gunzipSync(raw) : raw;
    const n = dims[0] * dims[1] * dims[2];
    const slice = dims[0] * dims[1];
    const source = memorySource({
      schema: { geometry: 'volume', classes },
      niftiHeaders: { vol1: new Uint8Array(sourceBytes.subarray(0, 540)) },
      tasks: [
        {
          id: 't1',
          asset: volumeAsset('vol1', dims),
          consensus: {
            dims,
            segments: [
              {
                label: 'liver',
                rle: {
                  counts: runs(n, [
                    [slice + 3, slice + 103],
                    [5 * slice, 5 * slice + 7],
                  ]),
                },
              },
              { label: 'tumour', rle: { counts: runs(n, [[n - 11, n - 1]]) } },
            ],
          },
        },
      ],
    });
    const bytes = await collect(nifti, source);
    expect((await collect(nifti, source)).equals(bytes)).toBe(true);
    const files = unzipSync(new Uint8Array(bytes));
    expect(JSON.parse(strFromU8(files['dataset.json']!)).labels).toEqual({ background: 0, liver: 1, tumour: 2 });
    const labelMap = files['labelsTr/vol1.nii.gz']!;
    const header = parseNiftiHeader(gunzipSync(labelMap));
    expect(header).toMatchObject({ dims, datatype: 2, intentCode: 1002 });

    const dir = tempDir('suture-export-');
    writeFileSync(join(dir, 'label.nii.gz'), labelMap);
    const script = [
      'import sys, json, nibabel as nib, numpy as np',
      'src = nib.load(sys.argv[1]); lab = nib.load(sys.argv[2])',
      'data = np.asarray(lab.dataobj)',
      'print(json.dumps({"affine": bool(np.allclose(src.affine, lab.affine)), "qform": bool(np.allclose(src.get_qform(), lab.get_qform())), "sform": bool(np.allclose(src.get_sform(), lab.get_sform())),',
      '  "shape": list(data.shape), "dtype": str(data.dtype), "counts": {str(k): int(v) for k, v in zip(*np.unique(data, return_counts=True))},',
      '  "at": [int(data[tuple(p)]) for p in json.loads(sys.argv[3])]}))',
    ].join('\n');
    // x is fastest: voxel X·Y+3 is (3, 0, 1), the last tumour voxel n-2 is (X-2, Y-1, Z-1).
    const probes = [
      [3, 0, 1],
      [2, 0, 1],
      [0, 0, 5],
      [7, 0, 5],
      [dims[0] - 2, dims[1] - 1, dims[2] - 1],
      [dims[0] - 1, dims[1] - 1, dims[2] - 1],
    ];
    const r = spawnSync(python, ['-c', script, join(niftiDir, file), join(dir, 'label.nii.gz'), JSON.stringify(probes)], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout) as { affine: boolean; qform: boolean; sform: boolean; shape: number[]; dtype: string; counts: Record<string, number>; at: number[] };
    expect(out).toMatchObject({ affine: true, qform: true, sform: true, shape: dims, dtype: 'uint8' });
    expect(out.counts).toEqual({ '0': n - 107 - 10, '1': 107, '2': 10 });
    expect(out.at).toEqual([1, 0, 1, 0, 2, 0]);
  });

  it('refuses a label whose grid differs from its source volume', async () => {
    const raw = readFileSync(join(niftiDir, 'anatomical.nii'));
    const source = memorySource({
      schema: { geometry: 'volume', classes },
      niftiHeaders: { vol1: new Uint8Array(raw.subarray(0, 540)) },
      tasks: [{ id: 't1', asset: volumeAsset('vol1', [2, 2, 2]), consensus: { dims: [2, 2, 2], segments: [] } }],
    });
    await expect(collect(nifti, source)).rejects.toThrow('the label volume is 2×2×2 but its source volume is 33×41×25');
  });
});
