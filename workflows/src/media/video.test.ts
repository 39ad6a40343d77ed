import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
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
  thumbnail,
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

describe('burned-in text in long and 4K videos', () => {
  const font = () => spawnSync('fc-match', ['-f', '%{file}', 'DejaVu Sans'], { encoding: 'utf8' }).stdout.trim();

  it('scans a long video in at most maxScannedFrames frames, evenly spread, and says which', async () => {
    const long = join(dir, 'long.mp4');
    // 120 s at 2 frames/s, an id burned in throughout.
    ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'color=c=0x604030:s=320x240:r=2:d=120',
      '-vf',
      `drawtext=fontfile=${font()}:text='ID 0721 12/07/94':x=20:y=20:fontsize=22:fontcolor=white`,
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-pix_fmt',
      'yuv420p',
      long,
    ]);
    let calls = 0;
    const detector = createTextDetector();
    const counting = (image: Parameters<typeof detector>[0]) => {
      calls++;
      return detector(image);
    };
    const report = await deidentifyVideo(long, join(dir, 'long-deid.mp4'), { textDetector: counting, sampleInterval: 1, maxScannedFrames: 10 });
    expect(calls).toBe(report.framesScanned);
    expect(report.framesScanned).toBeLessThanOrEqual(10);
    expect(report.framesScanned).toBeGreaterThanOrEqual(9);
    expect(report.scanInterval).toBeGreaterThan(12);
    expect(report.scannedTimes![0]).toBe(0);
    expect(report.scannedTimes!.at(-1)).toBeGreaterThan(100);
    // The windows cover the whole video: the id is blacked out at any time, scanned or not.
    const covered = (t: number) => report.windows.some((w) => w.start <= t && w.end >= t && w.boxes.some((b) => b.x <= 25 && b.x + b.width >= 200));
    for (const t of [0, 7, 33, 61, 97, 119]) expect(covered(t), `t=${t}`).toBe(true);
    expect(report.reviewReasons.some((r) => r.includes('budget'))).toBe(false);
  });

  it('finds 16 px text in a 4K video (frames are scanned at their own size, in tiles)', { timeout: 180_000 }, async () => {
    const uhd = join(dir, 'uhd.mp4');
    ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'color=c=0x202020:s=3840x2160:r=2:d=1',
      '-vf',
      `drawtext=fontfile=${font()}:text='DOE^JANE MRN 12345678':x=3500:y=2100:fontsize=16:fontcolor=white`,
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-pix_fmt',
      'yuv420p',
      uhd,
    ]);
    const report = await deidentifyVideo(uhd, join(dir, 'uhd-deid.mp4'), { textDetector: createTextDetector(), sampleInterval: 0.5 });
    expect(report.redacted).toBe(true);
    const boxes = report.windows.flatMap((w) => w.boxes);
    expect(boxes.some((b) => b.x <= 3500 && b.x + b.width >= 3700 && b.y <= 2100 && b.y + b.height >= 2114)).toBe(true);
  });
});

// ------------------------------------------------------------------ bitstream privacy

/** What a recorder may write beside the pixels: a name and MRN in SEI user data, captions, tags, subtitles. */
const PLANTED = ['PATIENT^JOHN', 'MRN12345678', 'JOHN MRN', 'Dr Who'];
const SEI_UUID = '086f3693-b7b3-4f2c-9653-21492feee5b8';

/**
 * Inserts an SEI NAL unit with ATSC A/53 closed captions (T.35 "GA94" cc_data) before every slice of an
 * Annex B H.264 stream: the caption bytes carry `text` two characters per cc triple, as a captioned OR
 * recording carries speech.
 */
function withClosedCaptions(annexB: Buffer, text: string): Buffer {
  const bytes = Buffer.from(text, 'latin1');
  const triples: number[] = [];
  for (let i = 0; i < bytes.length; i += 2) triples.push(0xfc, bytes[i]!, bytes[i + 1] ?? 0x80);
  const payload = [0xb5, 0x00, 0x31, ...Buffer.from('GA94'), 0x03, 0x40 | (triples.length / 3), 0xff, ...triples, 0xff];
  const sei = Buffer.from([0, 0, 0, 1, 0x06, 0x04, payload.length, ...payload, 0x80]);
  const starts: number[] = [];
  for (let p = 0; p + 3 < annexB.length; p++) {
    if (annexB[p] === 0 && annexB[p + 1] === 0 && annexB[p + 2] === 1) {
      starts.push(p);
      p += 2;
    }
  }
  const parts: Buffer[] = [annexB.subarray(0, starts[0] ?? 0)];
  starts.forEach((s, k) => {
    const type = annexB[s + 3]! & 0x1f;
    if (type === 1 || type === 5) parts.push(sei);
    parts.push(annexB.subarray(s, starts[k + 1] ?? annexB.length));
  });
  return Buffer.concat(parts);
}

/** Planted strings (and the caption triples, which interleave a marker byte) found in a file's bytes. */
function plantedIn(path: string): string[] {
  const bytes = readFileSync(path);
  const found = PLANTED.filter((s) => bytes.includes(Buffer.from(s, 'latin1')));
  if (bytes.includes(Buffer.from([0xfc, 0x50, 0x41, 0xfc, 0x54, 0x49]))) found.push('closed captions');
  if (bytes.includes(Buffer.from(SEI_UUID.replaceAll('-', ''), 'hex'))) found.push('SEI uuid');
  return found;
}

function streamsOf(path: string): { types: string[]; chapters: number } {
  const r = spawnSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_type:chapter=id', '-of', 'json', path], { encoding: 'utf8' });
  const json = JSON.parse(r.stdout) as { streams?: Array<{ codec_type: string }>; chapters?: unknown[] };
  return { types: (json.streams ?? []).map((s) => s.codec_type), chapters: json.chapters?.length ?? 0 };
}

describe('video bitstream privacy', () => {
  const pdir = tempDir('suture-video-privacy-');
  const mkv = join(pdir, 'planted.mkv');
  const mp4 = join(pdir, 'planted.mp4');
  const hevc = join(pdir, 'planted-hevc.mp4');
  const mpeg4 = join(pdir, 'planted-mpeg4.mkv');

  beforeAll(() => {
    const font = spawnSync('fc-match', ['-f', '%{file}', 'DejaVu Sans'], { encoding: 'utf8' }).stdout.trim();
    // Burned-in text in the first second, so that the redacting (re-encoding) path of deidentifyVideo runs too.
    const annexB = join(pdir, 'plain.h264');
    ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'color=c=0x604030:s=320x240:r=25:d=3',
      '-vf',
      `drawtext=fontfile=${font}:text='ID 0721 12/07/94':x=20:y=20:fontsize=22:fontcolor=white:enable='lt(t,1)'`,
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-pix_fmt',
      'yuv420p',
      '-bsf:v',
      `h264_metadata=sei_user_data=${SEI_UUID}+PATIENT^JOHN MRN12345678`,
      '-f',
      'h264',
      annexB,
    ]);
    const captioned = join(pdir, 'captioned.h264');
    writeFileSync(captioned, withClosedCaptions(readFileSync(annexB), 'PATIENT^JOHN MRN12345678'));
    writeFileSync(join(pdir, 'speech.srt'), '1\n00:00:00,000 --> 00:00:02,000\nPATIENT^JOHN MRN12345678\n');
    writeFileSync(join(pdir, 'meta.txt'), ';FFMETADATA1\ntitle=PATIENT^JOHN\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=0\nEND=1000\ntitle=MRN12345678\n');
    writeFileSync(join(pdir, 'note.txt'), 'MRN12345678');
    // MKV holds every kind of stream: video, audio, subtitles, an attachment; plus chapters and tags.
    ffmpeg([
      '-r',
      '25',
      '-i',
      captioned,
      '-f',
      'lavfi',
      '-i',
      'sine=f=440:d=3',
      '-i',
      join(pdir, 'speech.srt'),
      '-i',
      join(pdir, 'meta.txt'),
      '-map',
      '0',
      '-map',
      '1',
      '-map',
      '2',
      '-map_metadata',
      '3',
      '-map_chapters',
      '3',
      '-c:v',
      'copy',
      '-c:a',
      'aac',
      '-c:s',
      'srt',
      '-metadata',
      'artist=Dr Who',
      '-metadata:s:a:0',
      'title=PATIENT^JOHN',
      '-attach',
      join(pdir, 'note.txt'),
      '-metadata:s:t',
      'mimetype=text/plain',
      mkv,
    ]);
    ffmpeg(['-i', mkv, '-map', '0:v', '-map', '0:a', '-map', '0:s', '-map_chapters', '0', '-c', 'copy', '-c:s', 'mov_text', '-metadata', 'comment=Dr Who', mp4]);
    // HEVC and MPEG-4 Part 2 copies: the encoders write the decoded user data SEI back (udu_sei).
    ffmpeg([
      '-i',
      mkv,
      '-map',
      '0:v',
      '-map',
      '0:a',
      '-c:v',
      'libx265',
      '-preset',
      'ultrafast',
      '-udu_sei',
      '1',
      '-x265-params',
      'log-level=error',
      '-c:a',
      'copy',
      '-metadata',
      'title=PATIENT^JOHN',
      hevc,
    ]);
    ffmpeg(['-i', mkv, '-map', '0:v', '-map', '0:a', '-c:v', 'mpeg4', '-q:v', '4', '-c:a', 'copy', '-metadata', 'title=PATIENT^JOHN', mpeg4]);
  });

  it('plants the name and MRN where a recorder would: SEI, captions, tags, chapters, subtitles, attachments, audio', () => {
    expect(plantedIn(mkv)).toEqual(expect.arrayContaining(['PATIENT^JOHN', 'MRN12345678', 'JOHN MRN', 'Dr Who', 'closed captions', 'SEI uuid']));
    expect(streamsOf(mkv).types).toEqual(['video', 'audio', 'subtitle', 'attachment']);
    expect(plantedIn(mp4)).toEqual(expect.arrayContaining(['JOHN MRN', 'closed captions', 'SEI uuid']));
    expect(plantedIn(hevc)).toEqual(expect.arrayContaining(['JOHN MRN', 'SEI uuid']));
    expect(spawnSync('ffprobe', ['-hide_banner', mp4], { encoding: 'utf8' }).stderr).toContain('Closed Captions');
  });

  it('leaves none of it in any output of video.ts, copied or re-encoded, and keeps audio only when asked', { timeout: 300_000 }, async () => {
    const outputs: Array<{ path: string; audio: boolean; video: boolean }> = [];
    const out = (name: string, audio = false, video = true) => {
      const path = join(pdir, `out-${name}`);
      outputs.push({ path, audio, video });
      return path;
    };
    // Stream-copying paths, for every codec and container.
    for (const [name, input] of [
      ['mkv', mkv],
      ['mp4', mp4],
      ['hevc', hevc],
      ['mpeg4', mpeg4],
    ] as const) {
      await stripVideoMetadata(input, out(`${name}-strip.mp4`));
      await deidentifyVideo(input, out(`${name}-deid.mp4`));
    }
    await stripVideoMetadata(mkv, out('mkv-strip-audio.mp4', true), { keepAudio: true });
    await deidentifyVideo(hevc, out('hevc-deid-audio.mp4', true), { keepAudio: true });
    // Re-encoding paths: the decoder hands SEI user data and captions to the encoder as side data.
    await transcodeProxy(mkv, out('proxy.mp4'));
    await transcodeProxy(mkv, out('proxy-audio.mp4', true), { keepAudio: true });
    await trimFrames(mkv, out('trim.mp4'), 5, 30);
    await trimTime(mp4, out('trimtime.mp4'), 0.2, 1.2);
    // The redacting path: burned-in text found, the video re-encoded with boxes drawn.
    const detector = createTextDetector();
    expect((await deidentifyVideo(mkv, out('redacted.mp4'), { textDetector: detector, sampleInterval: 0.5, window: 1 })).redacted).toBe(true);
    expect((await deidentifyVideo(mp4, out('redacted-audio.mp4', true), { textDetector: detector, sampleInterval: 0.5, window: 1, keepAudio: true })).redacted).toBe(true);
    await spriteStrip(mkv, out('sprite.jpg', false, false), { count: 4, width: 32 });
    await thumbnail(mkv, 0.5, out('thumb.jpg', false, false));
    await extractFrame(mkv, await frameIndexOf(mkv), 3, out('frame.png', false, false));
    expect(readdirSync(pdir).filter((f) => f.startsWith('out-'))).toHaveLength(outputs.length);

    const leaks: string[] = [];
    for (const o of outputs) {
      const name = o.path.slice(pdir.length + 1);
      for (const p of plantedIn(o.path)) leaks.push(`${name}: ${p}`);
      if (!o.video) continue;
      const { types, chapters } = streamsOf(o.path);
      const expected = o.audio ? ['video', 'audio'] : ['video'];
      if (types.join() !== expected.join()) leaks.push(`${name}: streams ${types.join()}`);
      if (chapters > 0) leaks.push(`${name}: chapters`);
      // No SEI survives at all, not even the encoder's own settings string.
      if (readFileSync(o.path).includes(Buffer.from('x264 - core'))) leaks.push(`${name}: encoder SEI`);
    }
    expect(leaks).toEqual([]);
  });

  it('copies H.264 and HEVC without re-encoding and re-encodes any other codec', async () => {
    const copied = join(pdir, 'copied.mp4');
    const report = await deidentifyVideo(mkv, copied);
    expect(report.video).toBe('copied');
    expect(report.audio).toBe('dropped');
    expect((await probeVideo(copied)).frameCount).toBe((await probeVideo(mkv)).frameCount);
    // Stream copy: every packet lost its caption SEI unit (the first also the user data SEI) and nothing else
    // (give or take the trailing zero byte of the last unit).
    const sizeOf = (p: string) =>
      spawnSync('ffprobe', ['-v', 'error', '-select_streams', 'v', '-show_entries', 'packet=size', '-of', 'csv=p=0', p], { encoding: 'utf8' })
        .stdout.trim()
        .split('\n')
        .map(Number);
    const before = sizeOf(mkv);
    const shrink = sizeOf(copied).map((s, i) => before[i]! - s);
    expect(shrink).toHaveLength(before.length);
    const rest = shrink.slice(1);
    expect(Math.min(...rest)).toBeGreaterThan(40);
    expect(Math.max(...rest) - Math.min(...rest)).toBeLessThanOrEqual(1);
    expect(shrink[0]).toBeGreaterThan(Math.max(...rest));
    expect((await deidentifyVideo(hevc, join(pdir, 'copied-hevc.mp4'))).video).toBe('copied');
    expect((await probeVideo(join(pdir, 'copied-hevc.mp4'))).codec).toBe('hevc');
    const other = await deidentifyVideo(mpeg4, join(pdir, 'reencoded.mp4'), { keepAudio: true });
    expect(other).toMatchObject({ video: 're-encoded', audio: 'kept' });
    expect((await probeVideo(join(pdir, 'reencoded.mp4'))).codec).toBe('h264');
  });
});
