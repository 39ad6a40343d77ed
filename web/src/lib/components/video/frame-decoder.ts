// Decodes the proxy's frames around a focus frame with WebCodecs, one GOP at a time: the sample table is read
// with mp4box.js (the moov fetched by byte range), each GOP's bytes are fetched by range and fed to a
// VideoDecoder; decoded frames go to `onFrame` with their proxy frame number. Holds the GOP shown and the
// next one in the stepping direction (wantedGops); a jump elsewhere stops the GOP being decoded.
import type { Movie, MultiBufferStream, VisualSampleEntry } from 'mp4box';
import { frameLayout, gopOfFrame, wantedGops, type CodedSample, type FrameLayout } from './frame-layout';

/** First read of the file (a faststart proxy's moov is at its start: about 12 bytes a frame). */
const HEAD_BYTES = 2 << 20;
/** Give up looking for the moov after this many bytes read. */
const MAX_HEADER_BYTES = 64 << 20;

export class FrameDecoderError extends Error {}

async function fetchRange(url: string, start: number, end: number, signal: AbortSignal): Promise<{ bytes: ArrayBuffer; total: number | null }> {
  const response = await fetch(url, { headers: { Range: `bytes=${start}-${end}` }, signal });
  if (response.status !== 206) {
    await response.body?.cancel();
    throw new FrameDecoderError(response.ok ? 'the video storage does not serve byte ranges' : `the video storage answered ${response.status}`);
  }
  const total = Number(response.headers.get('content-range')?.split('/')[1]);
  return { bytes: await response.arrayBuffer(), total: Number.isFinite(total) ? total : null };
}

interface Job {
  gop: number;
  aborted: boolean;
}

export class FrameDecoder {
  readonly layout: FrameLayout;
  /** Each decoded frame, with its proxy frame number; the receiver closes it. */
  onFrame: (n: number, frame: VideoFrame) => void = (_n, frame) => frame.close();
  /** Decoding started or stopped, or failed for good (`failure`). */
  onStateChange: () => void = () => {};
  #url: string;
  #samples: CodedSample[];
  #config: VideoDecoderConfig;
  #decoder: VideoDecoder;
  #controller = new AbortController();
  #decoded = new Set<number>();
  #bytes = new Map<number, Promise<Uint8Array>>();
  #focus = 0;
  #direction: 1 | -1 = 1;
  #job: Job | null = null;
  #running = false;
  #failure: Error | null = null;

  private constructor(url: string, samples: CodedSample[], layout: FrameLayout, config: VideoDecoderConfig) {
    this.#url = url;
    this.#samples = samples;
    this.layout = layout;
    this.#config = config;
    this.#decoder = new VideoDecoder({
      output: (frame) => this.#output(frame),
      error: (error) => {
        if (!this.#controller.signal.aborted) this.#fail(error);
      },
    });
    this.#decoder.configure(config);
  }

  /** Reads the proxy's sample table and checks that this browser decodes its codec; throws with the reason it cannot. */
  static async open(url: string, signal: AbortSignal): Promise<FrameDecoder> {
    if (typeof VideoDecoder !== 'function') throw new FrameDecoderError('this browser has no WebCodecs video decoder here');
    const { createFile, DataStream, Endianness, MP4BoxBuffer } = await import('mp4box');
    const file = createFile(false);
    let movie: Movie | null = null;
    let problem: string | null = null;
    file.onReady = (info) => (movie = info);
    file.onError = (_module, message) => (problem = message);
    let position = 0;
    let read = 0;
    let chunk = HEAD_BYTES;
    while (movie === null) {
      const { bytes, total } = await fetchRange(url, position, position + chunk - 1, signal);
      if (bytes.byteLength === 0) throw new FrameDecoderError('the proxy ended before its moov');
      read += bytes.byteLength;
      const next = file.appendBuffer(MP4BoxBuffer.fromArrayBuffer(bytes, position));
      if (problem) throw new FrameDecoderError(`the proxy cannot be read: ${problem}`);
      if (movie) break;
      const end = position + bytes.byteLength;
      if ((total !== null && end >= total) || read >= MAX_HEADER_BYTES) throw new FrameDecoderError('no moov found in the proxy');
      position = next > position ? next : end;
      chunk = Math.min(chunk * 2, 16 << 20);
    }
    const info = movie as Movie;
    const track = info.videoTracks[0];
    if (!track?.video) throw new FrameDecoderError('the proxy has no video track');
    const trak = file.getTrackById(track.id);
    const entry = trak.mdia.minf.stbl.stsd.entries[0] as VisualSampleEntry | undefined;
    const box = entry?.avcC ?? entry?.hvcC ?? entry?.vpcC ?? entry?.av1C;
    let description: Uint8Array | undefined;
    if (box) {
      const stream = new DataStream(undefined, 0, Endianness.BIG_ENDIAN);
      box.write(stream as unknown as MultiBufferStream); // every box writes through DataStream's methods
      description = new Uint8Array(stream.buffer, 8); // without the box header
    }
    const samples: CodedSample[] = (file.getTrackSamplesInfo(track.id) ?? []).map((s) => ({ cts: s.cts, isSync: s.is_sync, offset: s.offset, size: s.size }));
    const layout = frameLayout(samples, track.timescale);
    const config: VideoDecoderConfig = {
      codec: track.codec,
      codedWidth: track.video.width,
      codedHeight: track.video.height,
      ...(description ? { description } : {}),
      optimizeForLatency: true,
    };
    const support = await VideoDecoder.isConfigSupported(config);
    if (!support.supported) throw new FrameDecoderError(`this browser cannot decode ${track.codec} at ${track.video.width}×${track.video.height}`);
    signal.throwIfAborted();
    return new FrameDecoder(url, samples, layout, config);
  }

  get busy(): boolean {
    return this.#running;
  }

  get failure(): Error | null {
    return this.#failure;
  }

  /** Whether frame n is in a GOP held for the current focus. */
  wants(n: number): boolean {
    return wantedGops(this.layout.gopFrames, this.#focus, this.#direction).includes(gopOfFrame(this.layout.gopFrames, n));
  }

  /** Moves the focus to frame n, stepping in `direction`: decodes the GOPs wanted there that are not decoded yet. */
  focus(n: number, direction: 1 | -1) {
    if (this.#failure || n < 0 || n >= this.layout.frameCount) return;
    this.#focus = n;
    this.#direction = direction;
    const wanted = wantedGops(this.layout.gopFrames, n, direction);
    for (const g of this.#decoded) if (!wanted.includes(g)) this.#decoded.delete(g);
    for (const g of this.#bytes.keys()) if (!wanted.includes(g)) this.#bytes.delete(g);
    for (const g of wanted) if (!this.#decoded.has(g)) this.#gopBytes(g).catch(() => {}); // fetched ahead; a failure shows when decoding
    if (this.#job && !wanted.includes(this.#job.gop)) {
      // A jump elsewhere: stop decoding a GOP no one wants any more.
      this.#job.aborted = true;
      this.#decoder.reset();
      this.#decoder.configure(this.#config);
    }
    void this.#run();
  }

  /** Forgets what was decoded (the frames were dropped, e.g. for a new size): the wanted GOPs decode again. */
  redecode() {
    this.#decoded.clear();
    if (this.#job) {
      this.#job.aborted = true;
      this.#decoder.reset();
      this.#decoder.configure(this.#config);
    }
    this.focus(this.#focus, this.#direction);
  }

  close() {
    this.#controller.abort();
    if (this.#decoder.state !== 'closed') this.#decoder.close();
    this.#failure ??= new FrameDecoderError('closed');
  }

  async #run() {
    if (this.#running || this.#failure) return;
    this.#running = true;
    this.onStateChange();
    try {
      for (;;) {
        const gop = wantedGops(this.layout.gopFrames, this.#focus, this.#direction).find((g) => !this.#decoded.has(g));
        if (gop === undefined || this.#failure) break;
        const job: Job = { gop, aborted: false };
        this.#job = job;
        try {
          await this.#decodeGop(job);
          if (!job.aborted) this.#decoded.add(gop);
        } catch (error) {
          if (!job.aborted && !this.#failure) this.#fail(error);
        } finally {
          this.#job = null;
        }
      }
    } finally {
      this.#running = false;
      this.onStateChange();
    }
  }

  #gopBytes(gop: number): Promise<Uint8Array> {
    let bytes = this.#bytes.get(gop);
    if (!bytes) {
      const { start, end } = this.#gopRange(gop);
      const fetched = fetchRange(this.#url, start, end - 1, this.#controller.signal).then(({ bytes }) => {
        if (bytes.byteLength !== end - start) throw new FrameDecoderError(`the video storage sent ${bytes.byteLength} of ${end - start} bytes`);
        return new Uint8Array(bytes);
      });
      fetched.catch(() => this.#bytes.get(gop) === fetched && this.#bytes.delete(gop));
      this.#bytes.set(gop, fetched);
      bytes = fetched;
    }
    return bytes;
  }

  /** Decode indices [from, to) of a GOP and the bytes [start, end) of the file that hold them. */
  #gopRange(gop: number) {
    const from = this.layout.gopStarts[gop]!;
    const to = this.layout.gopStarts[gop + 1]!;
    let start = Infinity;
    let end = 0;
    for (let i = from; i < to; i++) {
      const s = this.#samples[i]!;
      start = Math.min(start, s.offset);
      end = Math.max(end, s.offset + s.size);
    }
    return { from, to, start, end };
  }

  async #decodeGop(job: Job) {
    const bytes = await this.#gopBytes(job.gop);
    if (job.aborted || this.#failure) return;
    const { from, to, start } = this.#gopRange(job.gop);
    for (let i = from; i < to; i++) {
      const s = this.#samples[i]!;
      // The timestamp carries the proxy frame number through the decoder.
      this.#decoder.decode(new EncodedVideoChunk({ type: i === from ? 'key' : 'delta', timestamp: this.layout.frameOf[i]!, data: bytes.subarray(s.offset - start, s.offset - start + s.size) }));
    }
    await this.#decoder.flush();
  }

  #output(frame: VideoFrame) {
    const n = frame.timestamp;
    if (this.#failure || !this.wants(n)) frame.close();
    else this.onFrame(n, frame);
  }

  #fail(error: unknown) {
    if (this.#failure) return;
    this.#failure = error instanceof Error ? error : new Error(String(error));
    this.close();
    this.onStateChange();
  }
}
