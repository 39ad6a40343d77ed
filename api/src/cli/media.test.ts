import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const dicom = join(root, '../shared/data/medical/dicom');
const nifti = join(root, '../shared/data/medical/nifti');
const dir = mkdtempSync(join(tmpdir(), 'suture-cli-'));
const key = 'cli-test-secret-0123456789';

function suture(args: string[], env: Record<string, string> = {}) {
  const { SUTURE_DEID_KEY: _ignored, ...base } = process.env;
  const emptyDataDir = mkdtempSync(join(tmpdir(), 'suture-data-'));
  // An empty data directory: no local install secret to fall back on unless a test gives one.
  const r = spawnSync(process.execPath, ['api/bin/suture.mjs', 'media', ...args], { cwd: root, encoding: 'utf8', env: { ...base, SUTURE_DATA_DIR: emptyDataDir, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('suture media', () => {
  it('probe prints the probe as JSON', () => {
    const r = suture(['probe', join(dicom, 'CT_small.dcm')]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ kind: 'dicom', modality: 'CT', rows: 128 });
    expect(r.stdout).not.toContain('CompressedSamples');
    const n = suture(['probe', join(nifti, 'example_nifti2.nii.gz')]);
    expect(JSON.parse(n.stdout)).toMatchObject({ kind: 'nifti', version: 2 });
  });

  it('deidentify writes the file and a report of what changed, never old values', () => {
    const out = join(dir, 'ct.dcm');
    const r = suture(['deidentify', join(dicom, 'CT_small.dcm'), out], { SUTURE_DEID_KEY: key });
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { kind: string; changes: Array<{ summary: string }> };
    expect(report.kind).toBe('dicom');
    expect(report.changes.map((c) => c.summary)).toContain('(0010,0010) PatientName: Z (replaced with pseudonym)');
    expect(r.stdout).not.toMatch(/CompressedSamples|JFK IMAGING|1CT1/);
    expect(readFileSync(out).toString('latin1')).not.toContain('CompressedSamples');
    const again = suture(['deidentify', join(dicom, 'CT_small.dcm'), join(dir, 'ct2.dcm')], { SUTURE_DEID_KEY: key });
    // same key, same pseudonymised output
    expect(readFileSync(join(dir, 'ct2.dcm')).equals(readFileSync(out))).toBe(true);
    expect(again.code).toBe(0);
    const n = suture(['deidentify', join(nifti, 'example4d.nii.gz'), join(dir, 'v.nii.gz')], { SUTURE_DEID_KEY: key });
    expect(JSON.parse(n.stdout)).toMatchObject({ kind: 'nifti' });
  });

  it('fails clearly: missing key, bad input, usage', () => {
    const noKey = suture(['deidentify', join(dicom, 'CT_small.dcm'), join(dir, 'x.dcm')]);
    expect(noKey.code).not.toBe(0);
    expect(noKey.stderr).toContain('SUTURE_DEID_KEY is not set');
    // A local install (`suture up`) keeps its secret in the data directory: no export by hand needed.
    const installDir = mkdtempSync(join(tmpdir(), 'suture-install-'));
    writeFileSync(join(installDir, 'secrets.json'), JSON.stringify({ deidKey: key }), { mode: 0o600 });
    const local = suture(['deidentify', join(dicom, 'CT_small.dcm'), join(dir, 'local.dcm')], { SUTURE_DATA_DIR: installDir });
    expect(local.code).toBe(0);
    expect(suture(['deidentify', join(dicom, 'CT_small.dcm'), join(dir, 'explicit.dcm')], { SUTURE_DEID_KEY: key }).code).toBe(0);
    expect(readFileSync(join(dir, 'local.dcm'))).toEqual(readFileSync(join(dir, 'explicit.dcm')));
    const truncated = suture(['deidentify', join(dicom, 'MR_truncated.dcm'), join(dir, 'y.dcm')], { SUTURE_DEID_KEY: key });
    expect(truncated.code).toBe(1);
    expect(truncated.stderr).toMatch(/TRUNCATED/);
    expect(truncated.stdout).toBe('');
    writeFileSync(join(dir, 'empty.mp4'), '');
    const empty = suture(['probe', join(dir, 'empty.mp4')]);
    expect(empty.code).toBe(1);
    expect(empty.stderr).toContain('EMPTY_FILE');
    expect(suture(['probe']).code).toBe(2);
    expect(suture(['probe', join(dir, 'does-not-exist.dcm')]).stderr).toContain('does not exist');
  });
});
