import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTextDetector } from './ocr.ts';
import { ffmpeg, frameNumberOfLuma, frameNumberVideo, tempDir } from './test-support.ts';
import {
  buildFrameIndex,
  deidentifyVideo,
  extractFrame,
  frameAtTime,
  frameIndexOf,
  probeVideo,
  sampleFrames,
  spriteStrip,
  sampleFramesAt,
  stripVideoMetadata,
  timeOfFrame,
  transcodeProxy,
  trimFrames,
  trimTime,
} from './video.ts';

const dir = tempDir();
const src = join(dir, 'numbers.mp4');
const vfr = join(dir, 'vfr.mkv');

async function lumaOf(path: string): Promise<number> {
  const { data } = await sharp(path).greyscale().raw().toBuffer({ resolveWithObject: true });
  // PNG frames are converted to full-range RGB; undo the limited-range expansion of Y.
  const full = data.reduce((a, b) => a + b, 0) / data.length;
  return 16 + (full * 219) / 255;
}

function tags(path: string): string {
  return spawnSync('ffprobe', ['-v', 'error', '-show_entries', 'format_tags:stream_tags', '-of', 'json', path], { encoding: 'utf8' }).stdout;
}

beforeAll(() => {
  frameNumberVideo(src, 60, 25, ['-metadata', 'creation_time=2021-03-04T05:06:07Z', '-metadata', 'location=+48.8584+002.2945/', '-metadata', 'title=Patient 4711']);
  // Variable frame rate: the second half runs at a different pace.
  ffmpeg([
    '-f',
    'lavfi',
    '-i',
    "nullsrc=s=64x48:r=25:d=2,geq=lum='16+3*N':cb=128:cr=128",
    '-vf',
    "setpts='if(lt(N,25),N/25,1+(N-25)/10)/TB'",
    '-fps_mode',
    'vfr',
    '-c:v',
    'libx264',
    '-preset',
    'ultrafast',
    '-qp',
    '0',
    vfr,
  ]);
});

describe('video', () => {
  it('probes codec, size, rate, frame count, duration and start offset, and detects VFR', async () => {
    const p = await probeVideo(src);
    expect(p).toMatchObject({ kind: 'video', codec: 'h264', width: 64, height: 48, frameRate: 25, frameCount: 60, variableFrameRate: false, hasAudio: false });
    expect(p.duration).toBeCloseTo(2.4, 1);
    expect(p.startTime).toBeGreaterThanOrEqual(0);
    // MPEG-TS keeps a start offset (1.4 s muxer delay + 3 s); frames are counted from packets.
    const ts = join(dir, 'offset.ts');
    ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=s=64x48:r=25:d=1', '-c:v', 'libx264', '-preset', 'ultrafast', '-output_ts_offset', '3', ts]);
    const t = await probeVideo(ts);
    expect(t.startTime).toBeCloseTo(4.4, 1);
    expect(t.frameCount).toBe(25);
    const { index } = await transcodeProxy(ts, join(dir, 'offset.mp4'));
    expect(timeOfFrame(index, 0)).toBe(0);
    const v = await probeVideo(vfr);
    expect(v.variableFrameRate).toBe(true);
    expect(v.frameCount).toBe(50);
  });

  it('builds a compact frame index and maps times to frames and back', () => {
    const index = buildFrameIndex(
      Array.from({ length: 1000 }, (_, i) => i * 512),
      { num: 1, den: 12800 },
    );
    expect(index.runs).toHaveLength(1);
    expect(timeOfFrame(index, 10)).toBeCloseTo(0.4);
    expect(frameAtTime(index, 0.4)).toBe(10);
    expect(frameAtTime(index, 0.439)).toBe(10);
    expect(frameAtTime(index, 0.44)).toBe(11);
    const irregular = buildFrameIndex([0, 100, 200, 450, 700, 950], { num: 1, den: 1000 });
    expect(irregular.runs).toEqual([
      [0, 0, 100, 3],
      [3, 450, 250, 3],
    ]);
    expect(frameAtTime(irregular, 0.5)).toBe(3);
  });

  it('makes a CFR faststart proxy with dense keyframes whose frame N is the source frame N', async () => {
    const proxy = join(dir, 'proxy.mp4');
    const { probe, index } = await transcodeProxy(src, proxy, { crf: 12 });
    expect(probe).toMatchObject({ codec: 'h264', pixelFormat: 'yuv420p', frameCount: 60, variableFrameRate: false });
    expect(index.frameCount).toBe(60);
    expect(index.runs).toHaveLength(1);
    // faststart: the moov atom comes before mdat
    const head = readFileSync(proxy).subarray(0, 4096).toString('latin1');
    expect(head.indexOf('moov')).toBeGreaterThan(-1);
    // A keyframe every second (25 frames), at fixed positions.
    const flags = spawnSync('ffprobe', ['-v', 'error', '-select_streams', 'v', '-show_entries', 'packet=flags', '-of', 'csv=p=0', proxy], { encoding: 'utf8' })
      .stdout.trim()
      .split('\n');
    const keyframes = flags.flatMap((f, i) => (f.startsWith('K') ? [i] : []));
    expect(keyframes).toEqual([0, 25, 50]);
    for (const n of [0, 1, 13, 37, 58, 59]) {
      const png = join(dir, `f${n}.png`);
      await extractFrame(proxy, index, n, png);
      expect(frameNumberOfLuma(await lumaOf(png)), `frame ${n}`).toBe(n);
    }
    expect(tags(proxy)).not.toContain('4711');
    // Sampling by seeking: exact frames, or the next keyframe without decoding what lies between.
    const seen: number[] = [];
    await sampleFramesAt(proxy, [timeOfFrame(index, 30)], (f) => void seen.push(frameNumberOfLuma(16 + (f.data[0]! * 219) / 255)));
    await sampleFramesAt(proxy, [timeOfFrame(index, 30)], (f) => void seen.push(frameNumberOfLuma(16 + (f.data[0]! * 219) / 255)), { keyframesOnly: true });
    expect(seen).toEqual([30, 50]);
  });

  it('turns a VFR source into a CFR proxy and keeps frame numbers exact in the proxy', async () => {
    const proxy = join(dir, 'vfr-proxy.mp4');
    const { index, fps } = await transcodeProxy(vfr, proxy, { fps: 25, crf: 12 });
    expect(fps).toBe(25);
    expect(index.runs).toHaveLength(1);
    const n = frameAtTime(index, 2.5);
    await extractFrame(proxy, index, n, join(dir, 'vfr.png'));
    // At t = 2.5 s the source shows its frame 25 + 15 = 40 (10 fps after 1 s).
    expect(frameNumberOfLuma(await lumaOf(join(dir, 'vfr.png')))).toBe(40);
  });

  it('trims frame-exactly by frames and by time, and draws a sprite strip', async () => {
    const proxy = join(dir, 'proxy.mp4');
    const { index } = await transcodeProxy(src, proxy, { crf: 12 });
    const cut = join(dir, 'cut.mp4');
    await trimFrames(proxy, cut, 10, 19);
    const cutIndex = await frameIndexOf(cut);
    expect(cutIndex.frameCount).toBe(10);
    await extractFrame(cut, cutIndex, 0, join(dir, 'cut0.png'));
    expect(frameNumberOfLuma(await lumaOf(join(dir, 'cut0.png')))).toBe(10);
    const byTime = await trimTime(proxy, join(dir, 'cut2.mp4'), timeOfFrame(index, 20), timeOfFrame(index, 30));
    expect(byTime).toEqual({ firstFrame: 20, lastFrame: 29 });
    const sprite = join(dir, 'sprite.jpg');
    const s = await spriteStrip(proxy, sprite, { count: 6, width: 32 });
    const meta = await sharp(sprite).metadata();
    expect(meta.width).toBe(6 * 32);
    expect(s.count).toBe(6);
    // normalisation option runs
    await transcodeProxy(src, join(dir, 'norm.mp4'), { normalize: { brightness: 0.1, contrast: 1.3 } });
  });

  it('strips container and stream metadata', async () => {
    expect(tags(src)).toContain('4711');
    const clean = join(dir, 'clean.mp4');
    await stripVideoMetadata(src, clean);
    const t = tags(clean);
    expect(t).not.toContain('4711');
    expect(t).not.toContain('2021-03-04');
    expect(t).not.toContain('48.8584');
    expect((await probeVideo(clean)).frameCount).toBe(60);
  });

  it('finds burned-in text on sampled frames and blacks it out over its time window', async () => {
    const withText = join(dir, 'text.mp4');
    const font = spawnSync('fc-match', ['-f', '%{file}', 'DejaVu Sans Mono'], { encoding: 'utf8' }).stdout.trim();
    ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'color=c=0x604030:s=320x240:r=10:d=4',
      '-vf',
      `drawtext=fontfile=${font}:text='ID 0721 12/07/94':x=20:y=20:fontsize=22:fontcolor=white:enable='lt(t,2)'`,
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-pix_fmt',
      'yuv420p',
      withText,
    ]);
    const out = join(dir, 'text-deid.mp4');
    const report = await deidentifyVideo(withText, out, { textDetector: createTextDetector(), sampleInterval: 0.5, window: 1 });
    expect(report.redacted).toBe(true);
    expect(report.needsHumanReview).toBe(true);
    expect(report.windows.every((w) => w.start < 2.5)).toBe(true);
    const bright = async (path: string, at: number): Promise<number> => {
      let count = -1;
      await sampleFrames(path, 1, (frame) => {
        if (frame.time !== at) return;
        count = 0;
        for (let y = 15; y < 50; y++) for (let x = 15; x < 260; x++) if (frame.data[(y * frame.width + x) * 3]! > 200) count++;
      });
      return count;
    };
    expect(await bright(withText, 1)).toBeGreaterThan(100);
    let brightEarly = -1;
    let brightLate = -1;
    await sampleFrames(out, 1, (frame) => {
      let n = 0;
      for (let y = 15; y < 50; y++) for (let x = 15; x < 260; x++) if (frame.data[(y * frame.width + x) * 3]! > 200) n++;
      if (frame.time === 1) brightEarly = n;
      if (frame.time === 3) brightLate = n;
    });
    expect(brightEarly).toBe(0);
    expect(brightLate).toBe(0);
    const { data } = await sharp(
      await (async () => {
        await extractFrame(out, await frameIndexOf(out), 35, join(dir, 'late.png'));
        return join(dir, 'late.png');
      })(),
    )
      .raw()
      .toBuffer({ resolveWithObject: true });
    // After the text is gone (t >= 2 s + window), the frame is untouched background.
    expect(data[(100 * 320 + 160) * 3]).toBeGreaterThan(60);
  });
});
