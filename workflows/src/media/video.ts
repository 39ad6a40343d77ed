// Video through ffmpeg/ffprobe, always file to file (never a whole video in memory): probe, browser proxy
// (H.264 CFR, faststart, dense keyframes), frame index, frame extraction, sprite strip, frame-exact trim,
// metadata stripping and burned-in text redaction over time.
import { spawn } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { MediaError } from './errors.ts';
import { type Box, type TextDetector, type TiledTextDetector, mergeBoxes } from './ocr.ts';

/** Drop container, stream and chapter metadata (creation time, device, GPS ...) and write no encoder tags. */
const STRIP_METADATA_ARGS = ['-map_metadata', '-1', '-map_metadata:s', '-1', '-map_chapters', '-1', '-fflags', '+bitexact', '-flags:v', '+bitexact'];

/**
 * Bitstream filters that drop every SEI unit (user data unregistered, A/53 closed captions in registered
 * user data, and the rest) from the codecs whose streams are copied. Recorders write patient names and MRNs
 * there, and captions carry speech. Any other codec is re-encoded instead of copied.
 */
const SEI_FILTERS: Record<string, string> = {
  h264: 'filter_units=remove_types=6',
  // prefix and suffix SEI
  hevc: 'filter_units=remove_types=39|40',
};

/**
 * Every libx264 encode: the decoder hands the source's captions and user data SEI to the encoder as side
 * data, which libx264 writes back by default (a53cc); the output filter also drops x264's own SEI.
 */
const X264_PRIVACY_ARGS = ['-a53cc', '0', '-udu_sei', '0', '-bsf:v', SEI_FILTERS.h264!];

/** Audio: dropped unless the caller's policy keeps it (speech in the OR is PHI); kept audio is re-encoded. */
function audioArgs(keep: boolean | undefined, hasAudio: boolean): string[] {
  return keep && hasAudio ? ['-map', '0:a:0', '-c:a', 'aac', '-b:a', '128k', '-flags:a', '+bitexact'] : ['-an'];
}

export interface ToolOptions {
  ffmpegPath?: string;
  ffprobePath?: string;
}

interface RunResult {
  stdout: string;
  stderrTail: string;
}

/** Runs a tool; stdout is collected as text unless `onStdout` takes it. stderr keeps only a short tail. */
function run(command: string, args: string[], options: { onStdout?: (chunk: Buffer) => void; signal?: AbortSignal } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...(options.signal ? { signal: options.signal } : {}) });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (options.onStdout ? options.onStdout(chunk) : out.push(chunk)));
    child.stderr.on('data', (chunk: Buffer) => {
      err = (err + chunk.toString('utf8')).slice(-4000);
    });
    child.on('error', (error) => reject(new MediaError('TOOL_FAILED', `${command} could not be started.`, { tool: command }, { cause: error })));
    child.on('close', (code) => {
      if (code === 0) resolve({ stdout: Buffer.concat(out).toString('utf8'), stderrTail: err });
      else {
        const e = new MediaError('TOOL_FAILED', `${command} failed with exit code ${code}.`, { tool: command, exitCode: code ?? -1 });
        (e as MediaError & { stderrTail?: string }).stderrTail = err;
        reject(e);
      }
    });
  });
}

function rational(text: string | undefined): number | undefined {
  if (!text) return undefined;
  const [n, d] = text.split('/').map(Number);
  if (n === undefined || !Number.isFinite(n)) return undefined;
  if (d === undefined) return n;
  return d === 0 ? undefined : n / d;
}

export interface VideoProbe {
  kind: 'video';
  container: string;
  codec: string;
  profile?: string;
  pixelFormat?: string;
  width: number;
  height: number;
  /** average frame rate (frames/s) */
  frameRate: number;
  /** the stream's nominal rate (r_frame_rate) */
  nominalFrameRate: number;
  variableFrameRate: boolean;
  frameCount: number;
  /** seconds */
  duration: number;
  /** container start time offset, seconds (first presentation time) */
  startTime: number;
  bitRate?: number;
  hasAudio: boolean;
  rotation?: number;
  size: number;
}

interface FfprobeStream {
  codec_type?: string;
  codec_name?: string;
  profile?: string;
  pix_fmt?: string;
  width?: number;
  height?: number;
  r_frame_rate?: string;
  avg_frame_rate?: string;
  nb_frames?: string;
  nb_read_packets?: string;
  duration?: string;
  start_time?: string;
  side_data_list?: Array<{ rotation?: number }>;
  tags?: Record<string, string>;
}

interface FfprobeOutput {
  streams?: FfprobeStream[];
  format?: { format_name?: string; duration?: string; start_time?: string; bit_rate?: string };
}

function classify(error: unknown): never {
  const tail = (error as { stderrTail?: string }).stderrTail ?? '';
  if (/moov atom not found|Invalid data found|End of file|partial file|Truncating|error reading header/i.test(tail)) {
    throw new MediaError('TRUNCATED', 'The video container is incomplete or corrupt (cut short, or the index is missing).', {}, { cause: error });
  }
  throw error instanceof MediaError ? error : new MediaError('TOOL_FAILED', 'ffprobe failed.', {}, { cause: error });
}

/** Frame pts deltas of the first seconds: true when they vary by more than 10 % of the median. */
async function ptsDeltasVary(path: string, tools: ToolOptions): Promise<boolean> {
  const { stdout } = await run(tools.ffprobePath ?? 'ffprobe', [
    '-v',
    'error',
    '-select_streams',
    'v:0',
    '-read_intervals',
    '%+10',
    '-show_entries',
    'packet=pts_time',
    '-of',
    'csv=p=0',
    path,
  ]);
  const pts = stdout
    .split('\n')
    .map((l) => Number.parseFloat(l))
    .filter((n) => Number.isFinite(n))
    .sort((a, b) => a - b);
  if (pts.length < 3) return false;
  const deltas = pts.slice(1).map((p, i) => p - pts[i]!);
  const sorted = [...deltas].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  return deltas.some((d) => Math.abs(d - median) > median * 0.1 + 1e-4);
}

/**
 * MP4/MOV: every sample the index (moov) lists must lie inside the file. A file cut inside mdat still has
 * a complete moov when it was written with +faststart. Reading the sample table does not read mdat.
 */
async function checkSampleTable(path: string, size: number, tools: ToolOptions): Promise<void> {
  let end = 0;
  let rest = '';
  const take = (line: string): void => {
    const [pos, bytes] = line.split(',').map(Number);
    if (pos !== undefined && bytes !== undefined && Number.isFinite(pos) && Number.isFinite(bytes)) end = Math.max(end, pos + bytes);
  };
  const { stderrTail } = await run(tools.ffprobePath ?? 'ffprobe', ['-v', 'error', '-show_entries', 'packet=pos,size', '-of', 'csv=p=0', path], {
    onStdout: (chunk) => {
      const lines = (rest + chunk.toString('utf8')).split('\n');
      rest = lines.pop() ?? '';
      lines.forEach(take);
    },
  }).catch(classify);
  take(rest);
  if (/partial file/i.test(stderrTail)) {
    throw new MediaError('TRUNCATED', 'The video file is cut short: samples listed in its index are missing from the end of the file.');
  }
  if (end > size) {
    throw new MediaError('TRUNCATED', `The video file is cut short: its index points ${end - size} bytes past the end of the file.`, { missingBytes: end - size });
  }
}

/** ffprobe: codec, resolution, frame rate (and whether it varies), frame count, duration, start offset. */
export async function probeVideo(path: string, tools: ToolOptions = {}): Promise<VideoProbe> {
  const size = (await stat(path)).size;
  if (size === 0) throw new MediaError('EMPTY_FILE', 'The file is empty (0 bytes).');
  let json: FfprobeOutput;
  try {
    const { stdout } = await run(tools.ffprobePath ?? 'ffprobe', ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', path]);
    json = JSON.parse(stdout) as FfprobeOutput;
  } catch (error) {
    classify(error);
  }
  const video = json.streams?.find((s) => s.codec_type === 'video');
  if (!video) throw new MediaError('UNSUPPORTED_FORMAT', 'The file has no video stream.');
  const nominal = rational(video.r_frame_rate) ?? 0;
  const average = rational(video.avg_frame_rate) ?? nominal;
  const duration = Number.parseFloat(json.format?.duration ?? video.duration ?? '0') || 0;
  let frameCount = Number.parseInt(video.nb_frames ?? '', 10);
  if (!Number.isFinite(frameCount) || frameCount <= 0) {
    // Containers without a frame count (MKV, WebM, TS): count packets (demux only, no decode).
    try {
      const { stdout } = await run(tools.ffprobePath ?? 'ffprobe', [
        '-v',
        'error',
        '-select_streams',
        'v:0',
        '-count_packets',
        '-show_entries',
        'stream=nb_read_packets',
        '-of',
        'csv=p=0',
        path,
      ]);
      frameCount = Number.parseInt(stdout.trim(), 10) || Math.round(duration * average);
    } catch (error) {
      classify(error);
    }
  }
  if (!video.width || !video.height || frameCount <= 0) {
    throw new MediaError('TRUNCATED', 'The video stream has no decodable frames (the file may be cut short).');
  }
  if (/mp4|mov/.test(json.format?.format_name ?? '')) await checkSampleTable(path, size, tools);
  const ratesDiffer = nominal > 0 && average > 0 && Math.abs(nominal - average) / nominal > 0.01;
  const variableFrameRate = ratesDiffer || (await ptsDeltasVary(path, tools));
  const rotation = video.side_data_list?.find((s) => s.rotation !== undefined)?.rotation;
  return {
    kind: 'video',
    container: json.format?.format_name ?? 'unknown',
    codec: video.codec_name ?? 'unknown',
    ...(video.profile ? { profile: video.profile } : {}),
    ...(video.pix_fmt ? { pixelFormat: video.pix_fmt } : {}),
    width: video.width,
    height: video.height,
    frameRate: average,
    nominalFrameRate: nominal,
    variableFrameRate,
    frameCount,
    duration,
    startTime: Number.parseFloat(json.format?.start_time ?? video.start_time ?? '0') || 0,
    ...(json.format?.bit_rate ? { bitRate: Number(json.format.bit_rate) } : {}),
    hasAudio: (json.streams ?? []).some((s) => s.codec_type === 'audio'),
    ...(rotation !== undefined ? { rotation } : {}),
    size,
  };
}

// ------------------------------------------------------------------ frame index

/**
 * Presentation time of every frame, run-length encoded: a run is [firstFrame, firstPts, step, count] in
 * time-base ticks. A constant-frame-rate proxy is one run.
 */
export interface FrameIndex {
  timeBase: { num: number; den: number };
  frameCount: number;
  runs: Array<[firstFrame: number, firstPts: number, step: number, count: number]>;
}

export function buildFrameIndex(ptsTicks: number[], timeBase: { num: number; den: number }): FrameIndex {
  const sorted = [...ptsTicks].sort((a, b) => a - b);
  const runs: FrameIndex['runs'] = [];
  for (let i = 0; i < sorted.length; i++) {
    const last = runs[runs.length - 1];
    const pts = sorted[i]!;
    if (last) {
      const [first, firstPts, step, count] = last;
      const expected = firstPts + step * count;
      if (count === 1 && pts > firstPts) {
        last[2] = pts - firstPts;
        last[3] = 2;
        continue;
      }
      if (pts === expected && first + count === i) {
        last[3] = count + 1;
        continue;
      }
    }
    runs.push([i, pts, 0, 1]);
  }
  return { timeBase, frameCount: sorted.length, runs };
}

/** Presentation time (s) of frame n (0-based). */
export function timeOfFrame(index: FrameIndex, n: number): number {
  if (!Number.isInteger(n) || n < 0 || n >= index.frameCount) throw new MediaError('INVALID_ARGUMENT', `Frame ${n} is out of range (0..${index.frameCount - 1}).`);
  let lo = 0;
  let hi = index.runs.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (index.runs[mid]![0] <= n) lo = mid;
    else hi = mid - 1;
  }
  const [first, pts, step] = index.runs[lo]!;
  return ((pts + step * (n - first)) * index.timeBase.num) / index.timeBase.den;
}

/** The frame on screen at time t (s): the last frame whose presentation time is <= t. */
export function frameAtTime(index: FrameIndex, t: number): number {
  if (index.frameCount === 0) throw new MediaError('INVALID_ARGUMENT', 'The frame index is empty.');
  let lo = 0;
  let hi = index.frameCount - 1;
  if (t < timeOfFrame(index, 0)) return 0;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (timeOfFrame(index, mid) <= t + 1e-9) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Reads the presentation time of every video packet (demux only) and builds the index. */
export async function frameIndexOf(path: string, tools: ToolOptions = {}): Promise<FrameIndex> {
  const { stdout: tbText } = await run(tools.ffprobePath ?? 'ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=time_base', '-of', 'csv=p=0', path]);
  const [num, den] = tbText.trim().split('/').map(Number);
  const ticks: number[] = [];
  let rest = '';
  await run(tools.ffprobePath ?? 'ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'packet=pts', '-of', 'csv=p=0', path], {
    onStdout: (chunk) => {
      const text = rest + chunk.toString('utf8');
      const lines = text.split('\n');
      rest = lines.pop() ?? '';
      for (const l of lines) {
        const v = Number.parseInt(l, 10);
        if (Number.isFinite(v)) ticks.push(v);
      }
    },
  });
  const v = Number.parseInt(rest, 10);
  if (Number.isFinite(v)) ticks.push(v);
  return buildFrameIndex(ticks, { num: num ?? 1, den: den ?? 1 });
}

// ------------------------------------------------------------------ proxy

export interface RedactionWindow {
  /** seconds, source timeline */
  start: number;
  end: number;
  boxes: Box[];
}

export interface ProxyOptions extends ToolOptions {
  /** output frame rate; default: the source's average rate rounded to 3 decimals */
  fps?: number;
  /** maximum output height (keeps aspect); default 1080 */
  maxHeight?: number;
  crf?: number;
  preset?: string;
  /** keyframe interval in frames; default fps (one per second) */
  gop?: number;
  /** brightness/contrast normalisation for dark endoscopic footage */
  normalize?: boolean | { brightness?: number; contrast?: number };
  /** black boxes over time (source pixel coordinates) */
  redact?: RedactionWindow[];
  keepAudio?: boolean;
  threads?: number;
  /** transcodeProxy: called with the fraction (0..1) of the output written, from ffmpeg's `-progress` report; 1 when done */
  onProgress?: (fraction: number) => void;
}

/**
 * ffmpeg `-progress pipe:1` (key=value lines on stdout) as a fraction of `duration` seconds of output.
 * Returns the arguments to add and a `run` that reads them.
 */
function progressReporter(
  onProgress: ((fraction: number) => void) | undefined,
  duration: number,
): { args: string[]; run: (command: string, args: string[]) => Promise<RunResult> } {
  if (!onProgress) return { args: [], run: (command, args) => run(command, args) };
  let rest = '';
  let last = -1;
  const onStdout = (chunk: Buffer): void => {
    const lines = (rest + chunk.toString('utf8')).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) {
      // out_time_us (and, despite its name, out_time_ms) are microseconds of output written.
      const m = /^out_time_(?:us|ms)=(\d+)/.exec(line.trim());
      if (!m || !(duration > 0)) continue;
      const fraction = Math.min(1, Math.max(0, Number(m[1]) / 1e6 / duration));
      if (fraction > last) {
        last = fraction;
        onProgress(fraction);
      }
    }
  };
  return { args: ['-progress', 'pipe:1', '-nostats'], run: (command, args) => run(command, args, { onStdout }) };
}

function drawboxFilters(redact: RedactionWindow[]): string[] {
  const filters: string[] = [];
  for (const w of redact) {
    for (const b of w.boxes) {
      filters.push(
        `drawbox=x=${Math.floor(b.x)}:y=${Math.floor(b.y)}:w=${Math.ceil(b.width)}:h=${Math.ceil(b.height)}:color=black:t=fill:enable='between(t,${w.start.toFixed(3)},${w.end.toFixed(3)})'`,
      );
    }
  }
  return filters;
}

function normalizeFilter(n: ProxyOptions['normalize']): string[] {
  if (!n) return [];
  if (n === true) return ['normalize=blackpt=black:whitept=white:smoothing=24:independence=0'];
  return [`eq=brightness=${n.brightness ?? 0}:contrast=${n.contrast ?? 1}`];
}

/** Browser proxy: H.264 yuv420p, constant frame rate, +faststart, a keyframe every second (gop), no metadata. */
export async function transcodeProxy(input: string, output: string, options: ProxyOptions = {}): Promise<{ probe: VideoProbe; index: FrameIndex; fps: number }> {
  const source = await probeVideo(input, options);
  const fps = options.fps ?? Math.round((source.frameRate || source.nominalFrameRate || 25) * 1000) / 1000;
  // One keyframe per second: scrubbing seeks decode at most a second of video.
  const gop = options.gop ?? Math.max(1, Math.round(fps));
  const maxHeight = options.maxHeight ?? 1080;
  // Redaction boxes are drawn in source coordinates before scaling; times are source times from zero.
  const filters = [
    'setpts=PTS-STARTPTS',
    ...drawboxFilters(options.redact ?? []),
    ...normalizeFilter(options.normalize),
    `fps=${fps}`,
    // Scale only when needed: a no-op scale still costs a conversion pass per frame.
    ...(source.height > maxHeight || source.width % 2 === 1 || source.height % 2 === 1 ? [`scale=w=-2:h='min(${maxHeight},ih)':flags=bicubic`] : []),
    ...(source.pixelFormat === 'yuv420p' ? [] : ['format=yuv420p']),
  ];
  const { args: progressArgs, run: runFfmpeg } = progressReporter(options.onProgress, source.duration);
  await runFfmpeg(options.ffmpegPath ?? 'ffmpeg', [
    '-hide_banner',
    '-v',
    'error',
    '-y',
    '-i',
    input,
    '-map',
    '0:V:0',
    ...audioArgs(options.keepAudio, source.hasAudio),
    '-sn',
    '-dn',
    '-vf',
    filters.join(','),
    '-c:v',
    'libx264',
    ...X264_PRIVACY_ARGS,
    '-preset',
    options.preset ?? 'veryfast',
    '-crf',
    String(options.crf ?? 23),
    '-pix_fmt',
    'yuv420p',
    '-g',
    String(gop),
    '-keyint_min',
    String(gop),
    '-sc_threshold',
    '0',
    '-fps_mode',
    'cfr',
    ...(options.threads ? ['-threads', String(options.threads)] : []),
    ...STRIP_METADATA_ARGS,
    ...progressArgs,
    '-movflags',
    '+faststart',
    output,
  ]).catch(classify);
  const index = await frameIndexOf(output, options);
  const probe = await probeVideo(output, options);
  options.onProgress?.(1);
  return { probe, index, fps };
}

/** Extracts frame n (by the index of that same file) as a PNG/JPEG file, frame-exact. */
export async function extractFrame(path: string, index: FrameIndex, n: number, output: string, tools: ToolOptions = {}): Promise<void> {
  const t = timeOfFrame(index, n);
  const previous = n > 0 ? timeOfFrame(index, n - 1) : t - 1;
  // Seek to just after the previous frame: the first frame at or after that time is frame n.
  const seek = Math.max(0, t - (t - previous) / 2);
  await run(tools.ffmpegPath ?? 'ffmpeg', ['-hide_banner', '-v', 'error', '-y', '-ss', seek.toFixed(6), '-i', path, '-frames:v', '1', '-an', output]);
}

/** A horizontal strip of `count` thumbnails for the timeline (one image file). */
export async function spriteStrip(
  path: string,
  output: string,
  options: ToolOptions & { count?: number; width?: number } = {},
): Promise<{ count: number; tileWidth: number; interval: number }> {
  const probe = await probeVideo(path, options);
  const count = options.count ?? 20;
  const width = options.width ?? 160;
  const interval = probe.duration / count;
  await run(options.ffmpegPath ?? 'ffmpeg', [
    '-hide_banner',
    '-v',
    'error',
    '-y',
    '-i',
    path,
    '-vf',
    `fps=${(count / Math.max(probe.duration, 1e-3)).toFixed(6)},scale=${width}:-2,tile=${count}x1`,
    '-frames:v',
    '1',
    '-an',
    output,
  ]);
  return { count, tileWidth: width, interval };
}

/** Thumbnail of one time (s) as an image file. */
export async function thumbnail(path: string, time: number, output: string, options: ToolOptions & { width?: number } = {}): Promise<void> {
  await run(options.ffmpegPath ?? 'ffmpeg', [
    '-hide_banner',
    '-v',
    'error',
    '-y',
    '-ss',
    time.toFixed(3),
    '-i',
    path,
    '-frames:v',
    '1',
    '-vf',
    `scale=${options.width ?? 320}:-2`,
    '-an',
    output,
  ]);
}

/** Frame-exact trim [firstFrame, lastFrame] of a constant-frame-rate file (e.g. the proxy): re-encodes. */
export async function trimFrames(input: string, output: string, firstFrame: number, lastFrame: number, options: ProxyOptions = {}): Promise<void> {
  if (!(Number.isInteger(firstFrame) && Number.isInteger(lastFrame) && firstFrame >= 0 && lastFrame >= firstFrame)) {
    throw new MediaError('INVALID_ARGUMENT', 'trimFrames needs 0 <= firstFrame <= lastFrame (integers).');
  }
  const gop = options.gop ?? 15;
  await run(options.ffmpegPath ?? 'ffmpeg', [
    '-hide_banner',
    '-v',
    'error',
    '-y',
    '-i',
    input,
    '-map',
    '0:V:0',
    '-an',
    '-sn',
    '-dn',
    '-vf',
    [`trim=start_frame=${firstFrame}:end_frame=${lastFrame + 1}`, 'setpts=PTS-STARTPTS', ...normalizeFilter(options.normalize), 'format=yuv420p'].join(','),
    '-c:v',
    'libx264',
    ...X264_PRIVACY_ARGS,
    '-preset',
    options.preset ?? 'veryfast',
    '-crf',
    String(options.crf ?? 20),
    '-g',
    String(gop),
    '-sc_threshold',
    '0',
    '-fps_mode',
    'passthrough',
    ...STRIP_METADATA_ARGS,
    '-movflags',
    '+faststart',
    output,
  ]);
}

/** Frame-exact trim by time range (s) using the file's own frame index. */
export async function trimTime(input: string, output: string, start: number, end: number, options: ProxyOptions = {}): Promise<{ firstFrame: number; lastFrame: number }> {
  const index = await frameIndexOf(input, options);
  const firstFrame = frameAtTime(index, start);
  const lastFrame = Math.max(firstFrame, frameAtTime(index, end) - (timeOfFrame(index, frameAtTime(index, end)) >= end - 1e-9 && end > start ? 1 : 0));
  await trimFrames(input, output, firstFrame, lastFrame, options);
  return { firstFrame, lastFrame };
}

export interface StripOptions extends ToolOptions {
  /** keep the first audio track (re-encoded to AAC); default false: speech in the OR is PHI */
  keepAudio?: boolean;
}

/** How stripVideoMetadata wrote the video: stream copy without SEI, or re-encoded (codecs without a SEI filter). */
export type VideoStreamHandling = 'copied' | 're-encoded';

/**
 * Writes the first video stream without anything a recorder may have put beside the pixels: container,
 * stream and chapter metadata, subtitle, data and attachment streams, and SEI units in the bitstream
 * (user data, captions). H.264 and HEVC are copied through a SEI filter; other codecs are re-encoded to
 * H.264 at high quality, since their user data cannot be filtered. Audio is dropped unless kept.
 */
export async function stripVideoMetadata(input: string, output: string, options: StripOptions = {}): Promise<{ video: VideoStreamHandling; audio: 'kept' | 'dropped' | 'none' }> {
  const probe = await probeVideo(input, options);
  const filter = SEI_FILTERS[probe.codec];
  const video = filter
    ? ['-c:v', 'copy', '-bsf:v', filter]
    : [
        // 4:2:0 needs even sizes: pad (never scale) so that pixel coordinates stay those of the source.
        ...(probe.width % 2 === 1 || probe.height % 2 === 1 ? ['-vf', 'pad=ceil(iw/2)*2:ceil(ih/2)*2'] : []),
        '-c:v',
        'libx264',
        ...X264_PRIVACY_ARGS,
        '-preset',
        'veryfast',
        '-crf',
        '16',
        '-fps_mode',
        'passthrough',
      ];
  await run(options.ffmpegPath ?? 'ffmpeg', [
    '-hide_banner',
    '-v',
    'error',
    '-y',
    '-i',
    input,
    '-map',
    '0:V:0',
    ...audioArgs(options.keepAudio, probe.hasAudio),
    '-sn',
    '-dn',
    ...video,
    ...STRIP_METADATA_ARGS,
    '-movflags',
    '+faststart',
    output,
  ]).catch(classify);
  return { video: filter ? 'copied' : 're-encoded', audio: probe.hasAudio ? (options.keepAudio ? 'kept' : 'dropped') : 'none' };
}

export interface SampledFrame {
  time: number;
  width: number;
  height: number;
  data: Uint8Array;
}

/** Decodes frames every `interval` seconds (scaled to at most maxWidth), one at a time, to `onFrame`. */
export async function sampleFrames(
  path: string,
  interval: number,
  onFrame: (frame: SampledFrame) => Promise<void> | void,
  options: ToolOptions & { maxWidth?: number } = {},
): Promise<number> {
  const probe = await probeVideo(path, options);
  const maxWidth = options.maxWidth ?? 960;
  const width = Math.min(probe.width, maxWidth) & ~1;
  const height = Math.round((probe.height * width) / probe.width) & ~1;
  const frameSize = width * height * 3;
  const args = [
    '-hide_banner',
    '-v',
    'error',
    '-i',
    path,
    '-an',
    '-vf',
    `setpts=PTS-STARTPTS,fps=1/${interval}:round=down,scale=${width}:${height}`,
    '-f',
    'rawvideo',
    '-pix_fmt',
    'rgb24',
    'pipe:1',
  ];
  const child = spawn(options.ffmpegPath ?? 'ffmpeg', args, { stdio: ['ignore', 'pipe', 'ignore'] });
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', (error) => reject(new MediaError('TOOL_FAILED', 'ffmpeg could not be started.', {}, { cause: error })));
    child.on('close', resolve);
  });
  // Frames are handed over one by one; the async iterator applies backpressure to ffmpeg. Chunks are copied
  // once into the frame being filled (concatenating them would copy a 4K frame hundreds of times).
  let frame = new Uint8Array(frameSize);
  let filled = 0;
  let n = 0;
  for await (const chunk of child.stdout as AsyncIterable<Buffer>) {
    let offset = 0;
    while (offset < chunk.length) {
      const take = Math.min(frameSize - filled, chunk.length - offset);
      frame.set(chunk.subarray(offset, offset + take), filled);
      filled += take;
      offset += take;
      if (filled === frameSize) {
        await onFrame({ time: n * interval, width, height, data: frame });
        frame = new Uint8Array(frameSize);
        filled = 0;
        n++;
      }
    }
  }
  const code = await exited;
  if (code !== 0) throw new MediaError('TOOL_FAILED', `ffmpeg failed with exit code ${code} while sampling frames.`, { exitCode: code ?? -1 });
  return n;
}

/** Decodes single frames at the given times (s) by seeking: cheap for a few samples of a long video. */
export async function sampleFramesAt(
  path: string,
  times: number[],
  onFrame: (frame: SampledFrame) => Promise<void> | void,
  /** keyframesOnly: take the first keyframe at or after each time (no decoding of the frames in between) */
  options: ToolOptions & { maxWidth?: number; width?: number; height?: number; keyframesOnly?: boolean } = {},
): Promise<void> {
  let width = options.width;
  let height = options.height;
  if (!width || !height) {
    const probe = await probeVideo(path, options);
    width = Math.min(probe.width, options.maxWidth ?? 960) & ~1;
    height = Math.round((probe.height * width) / probe.width) & ~1;
  }
  for (const time of times) {
    const chunks: Buffer[] = [];
    await run(
      options.ffmpegPath ?? 'ffmpeg',
      [
        '-hide_banner',
        '-v',
        'error',
        ...(options.keyframesOnly ? ['-skip_frame', 'nokey'] : []),
        '-ss',
        time.toFixed(3),
        '-i',
        path,
        '-frames:v',
        '1',
        '-an',
        '-vf',
        `scale=${width}:${height}`,
        '-f',
        'rawvideo',
        '-pix_fmt',
        'rgb24',
        'pipe:1',
      ],
      {
        onStdout: (chunk) => chunks.push(chunk),
      },
    );
    const data = Buffer.concat(chunks);
    if (data.length >= width * height * 3) await onFrame({ time, width, height, data: new Uint8Array(data.subarray(0, width * height * 3)) });
  }
}

export interface VideoDeidReport {
  kind: 'video';
  metadataStripped: true;
  /** 'copied': the source's H.264/HEVC without its SEI units; 're-encoded': redacted, or a codec that cannot be filtered */
  video: VideoStreamHandling;
  /** audio is dropped unless `keepAudio` (re-encoded when kept) */
  audio: 'kept' | 'dropped' | 'none';
  framesScanned: number;
  /** seconds between scanned frames: the requested interval, or longer when the video has more than maxScannedFrames of them */
  scanInterval?: number;
  /** source time (s) of every scanned frame */
  scannedTimes?: number[];
  windows: RedactionWindow[];
  redacted: boolean;
  needsHumanReview: boolean;
  reviewReasons: string[];
}

export interface VideoTextScanOptions {
  textDetector?: TextDetector | TiledTextDetector;
  /** seconds between scanned frames; default 1 */
  sampleInterval?: number;
  /** seconds over which the boxes found are unioned and drawn; default max(interval, 5) */
  window?: number;
  /** most frames run through the detector per video (the interval grows for long videos); default 600 */
  maxScannedFrames?: number;
  /** most model runs (whole frames and tiles) per video, with a tiled detector; default 2400 */
  maxPasses?: number;
  /** frames are decoded at the source width up to this (small text must stay small-but-legible); default 3840 */
  scanMaxWidth?: number;
}

/**
 * De-identifies a video: strips metadata, SEI user data and (unless kept) audio; with a text detector,
 * scans a frame every `sampleInterval` seconds (at most `maxScannedFrames` frames: longer videos are
 * scanned at a longer interval), unions the boxes found per window of `window` seconds, and blacks them out
 * over that window, widened by one interval on each side (re-encoded as the proxy format). Without text,
 * H.264/HEVC streams are copied without their SEI units.
 */
export async function deidentifyVideo(input: string, output: string, options: ProxyOptions & VideoTextScanOptions = {}): Promise<VideoDeidReport> {
  const probe = await probeVideo(input, options);
  const reviewReasons: string[] = [];
  const windows: RedactionWindow[] = [];
  let framesScanned = 0;
  let scan: Pick<VideoDeidReport, 'scanInterval' | 'scannedTimes'> = {};
  if (options.textDetector) {
    const maxFrames = Math.max(1, options.maxScannedFrames ?? 600);
    // Samples fall at 0, interval, 2 interval ... <= duration: at most maxFrames of them.
    const interval = Math.max(options.sampleInterval ?? 1, maxFrames > 1 ? probe.duration / (maxFrames - 1) : probe.duration + 1);
    const windowLength = Math.max(options.window ?? Math.max(interval, 5), interval);
    const byWindow = new Map<number, Box[]>();
    const detector = options.textDetector;
    const expectedFrames = Math.max(1, Math.ceil(probe.duration / interval));
    let passesLeft = Math.max(1, options.maxPasses ?? 2400);
    const scannedTimes: number[] = [];
    let budgetReached = false;
    await sampleFrames(
      input,
      interval,
      async (frame) => {
        if (scannedTimes.length >= maxFrames || passesLeft < 1) {
          budgetReached = true;
          return;
        }
        const image = { data: frame.data, width: frame.width, height: frame.height, channels: 3 as const };
        let boxes: Box[];
        if ('scan' in detector) {
          const framesLeft = Math.max(1, expectedFrames - scannedTimes.length);
          const result = await detector.scan(image, { maxPasses: Math.max(1, Math.floor(passesLeft / framesLeft)) });
          boxes = result.boxes;
          passesLeft -= result.passes;
        } else {
          boxes = await detector(image);
          passesLeft -= 1;
        }
        scannedTimes.push(Number(frame.time.toFixed(3)));
        const scale = probe.width / frame.width;
        const w = Math.floor(frame.time / windowLength);
        const list = byWindow.get(w) ?? [];
        for (const b of boxes) list.push({ x: b.x * scale, y: b.y * scale, width: b.width * scale, height: b.height * scale });
        byWindow.set(w, list);
      },
      { ...options, maxWidth: options.scanMaxWidth ?? 3840 },
    );
    framesScanned = scannedTimes.length;
    scan = { scanInterval: Number(interval.toFixed(3)), scannedTimes };
    if (budgetReached) reviewReasons.push('the burned-in text scan reached its frame budget before the end of the video: the rest was not checked');
    for (const [w, boxes] of [...byWindow.entries()].sort((a, b) => a[0] - b[0])) {
      if (boxes.length === 0) continue;
      // Widen each window by one sample on both sides: text may appear between two samples.
      windows.push({ start: Math.max(0, w * windowLength - interval), end: (w + 1) * windowLength + interval, boxes: mergeBoxes(boxes) });
    }
  } else {
    reviewReasons.push('no text detector was given: burned-in text was not checked');
  }
  let written: Awaited<ReturnType<typeof stripVideoMetadata>>;
  if (windows.length > 0) {
    await transcodeProxy(input, output, { ...options, redact: windows, maxHeight: Math.max(probe.height, 2) });
    written = { video: 're-encoded', audio: probe.hasAudio ? (options.keepAudio ? 'kept' : 'dropped') : 'none' };
    reviewReasons.push('burned-in text was detected and redacted over time: a person must confirm that nothing identifying is left');
  } else {
    written = await stripVideoMetadata(input, output, options);
  }
  return {
    kind: 'video',
    metadataStripped: true,
    ...written,
    framesScanned,
    ...scan,
    windows,
    redacted: windows.length > 0,
    needsHumanReview: reviewReasons.length > 0,
    reviewReasons,
  };
}
