// Helpers shared by the media tests: where the shared sample data lives, and small generated fixtures.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** ../shared/data/medical, relative to the repository root (never copied into the repo). */
export const medicalData = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../shared/data/medical');
export const dicomDir = join(medicalData, 'dicom');
export const niftiDir = join(medicalData, 'nifti');

export function tempDir(prefix = 'suture-media-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function ffmpeg(args: string[]): void {
  const r = spawnSync('ffmpeg', ['-hide_banner', '-v', 'error', '-y', ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ffmpeg failed: ${r.stderr}`);
}

/**
 * A test video whose frame n has luma 16 + 3n (grey, uniform) so that any extracted frame tells its own
 * number; `frames` at `fps`.
 */
export function frameNumberVideo(path: string, frames = 60, fps = 25, extra: string[] = []): void {
  ffmpeg([
    '-f',
    'lavfi',
    '-i',
    `nullsrc=s=64x48:r=${fps}:d=${frames / fps},geq=lum='16+3*N':cb=128:cr=128`,
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-qp',
    '0',
    '-pix_fmt',
    'yuv420p',
    ...extra,
    path,
  ]);
}

/** Frame number from the luma of a frame made by frameNumberVideo. */
export function frameNumberOfLuma(y: number): number {
  return Math.round((y - 16) / 3);
}
