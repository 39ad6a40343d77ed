import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { deidentifyImage, probeImage } from './image.ts';
import { createTextDetector, mergeBoxes } from './ocr.ts';
import { ffmpeg, tempDir } from './test-support.ts';

const dir = tempDir();

describe('still images and text detection', () => {
  it('finds burned-in text, blacks it out, drops metadata and leaves the rest alone', async () => {
    const font = spawnSync('fc-match', ['-f', '%{file}', 'DejaVu Sans'], { encoding: 'utf8' }).stdout.trim();
    const src = join(dir, 'frame.png');
    ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'color=c=0x803020:s=400x300',
      '-frames:v',
      '1',
      '-vf',
      `drawtext=fontfile=${font}:text='DOE JOHN 1931-08-20':x=30:y=240:fontsize=24:fontcolor=white`,
      src,
    ]);
    const withExif = join(dir, 'frame.jpg');
    await sharp(src)
      .withExif({ IFD0: { Artist: 'Dr Secret', ImageDescription: 'patient 4711' } })
      .jpeg({ quality: 98 })
      .toFile(withExif);
    expect((await probeImage(withExif)).hasMetadata).toBe(true);
    const out = join(dir, 'clean.png');
    const report = await deidentifyImage(withExif, out, { textDetector: createTextDetector() });
    expect(report.regions.length).toBeGreaterThan(0);
    expect(report.needsHumanReview).toBe(true);
    const meta = await sharp(out).metadata();
    expect(meta.exif).toBeUndefined();
    const { data, info } = await sharp(out).raw().toBuffer({ resolveWithObject: true });
    let bright = 0;
    for (let y = 235; y < 270; y++) for (let x = 25; x < 330; x++) if (data[(y * info.width + x) * info.channels]! > 200) bright++;
    expect(bright).toBe(0);
    // Background far from the text keeps its colour.
    expect(data[(50 * info.width + 200) * info.channels]).toBeGreaterThan(100);
  });

  it('merges overlapping boxes', () => {
    expect(
      mergeBoxes([
        { x: 0, y: 0, width: 10, height: 10 },
        { x: 8, y: 2, width: 10, height: 10 },
        { x: 100, y: 100, width: 5, height: 5 },
      ]),
    ).toEqual([
      { x: 0, y: 0, width: 18, height: 12 },
      { x: 100, y: 100, width: 5, height: 5 },
    ]);
  });
});
