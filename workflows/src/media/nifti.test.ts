import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { deidentifyNifti, niftiSlicePng, probeNifti, readNifti } from './nifti.ts';
import { niftiDir, tempDir } from './test-support.ts';

const dir = tempDir();

describe('NIfTI', () => {
  it('reads dimensions, spacing, data type, qform/sform of NIfTI-1 and NIfTI-2, .nii and .nii.gz', async () => {
    const anat = await probeNifti(join(niftiDir, 'anatomical.nii'));
    expect(anat).toMatchObject({ version: 1, littleEndian: false, dims: [33, 41, 25], dataTypeName: 'int16', qformCode: 2, sformCode: 2, compressed: false });
    expect(anat.spacing).toEqual([2, 2, 2]);
    const label = await probeNifti(join(niftiDir, 'anatomical_label.nii.gz'));
    expect(label).toMatchObject({ dims: [33, 41, 25], dataTypeName: 'uint16', qformCode: 1, sformCode: 0, compressed: true });
    const four = await probeNifti(join(niftiDir, 'example4d.nii.gz'));
    expect(four.dims).toEqual([128, 96, 24, 2]);
    expect(four.spacing[2]).toBeCloseTo(2.2);
    expect(four.extensionCodes).toEqual([6, 6]);
    const two = await probeNifti(join(niftiDir, 'example_nifti2.nii.gz'));
    expect(two).toMatchObject({ version: 2, dims: [32, 20, 12, 2], dataTypeName: 'int16' });
    const fn = await probeNifti(join(niftiDir, 'functional.nii'));
    expect(fn.dims).toEqual([17, 21, 3, 20]);
    const ext = await probeNifti(join(niftiDir, 'with_extension.nii.gz'));
    expect(ext).toMatchObject({ littleEndian: false, dataTypeName: 'uint8', extensionCodes: [0] });
    expect(ext.dims.slice(0, 3)).toEqual([161, 191, 151]);
    expect(JSON.stringify(anat)).not.toContain('spm');
  });

  it('renders slice previews', async () => {
    for (const f of ['anatomical.nii', 'example4d.nii.gz', 'example_nifti2.nii.gz', 'with_extension.nii.gz']) {
      const v = await readNifti(join(niftiDir, f));
      const png = await niftiSlicePng(v, { t: 0 });
      const meta = await sharp(png).metadata();
      expect([meta.width, meta.height], f).toEqual([v.header.dims[0], v.header.dims[1]]);
      const stats = await sharp(png).stats();
      expect(stats.channels[0]!.max, f).toBeGreaterThan(0);
    }
  });

  it('de-identifies: descrip, aux_file, intent_name and extensions are gone, voxels unchanged', async () => {
    for (const f of ['anatomical.nii', 'example4d.nii.gz', 'example_nifti2.nii.gz', 'with_extension.nii.gz']) {
      const out = join(dir, f);
      const report = await deidentifyNifti(join(niftiDir, f), out);
      const before = await readNifti(join(niftiDir, f));
      const after = await readNifti(out);
      expect(after.header).toMatchObject({ hasDescrip: false, hasAuxFile: false, hasIntentName: false, extensions: [], dims: before.header.dims });
      const size = after.bytes.length - after.header.voxOffset;
      expect(Buffer.compare(after.bytes.subarray(after.header.voxOffset), before.bytes.subarray(before.header.voxOffset, before.header.voxOffset + size))).toBe(0);
      expect(JSON.stringify(report)).not.toMatch(/spm|FSL|Mango/);
    }
    const r = await deidentifyNifti(join(niftiDir, 'example4d.nii.gz'), join(dir, 'x.nii.gz'));
    expect(r.changes.join(' ')).toContain('header extensions: 2 removed');
  });
});
