// The annotation workspace in headless Chromium on the real console against the real stack, each figure
// beside a bare page doing the same in the same run and browser:
//  - video: a 1 h 1080p proxy (25 fps, GOP 25, the ingest proxy's x264 settings). Ingest of a 1 h file would
//    transcode it for about an hour here, so a 2 s 1080p clip goes through the real pipeline (upload, ingest,
//    batch, task) and the 1 h proxy, its frames.json and sprite then replace the asset's derivatives in S3
//    (metadata.proxy updated to match). Figures: opening the task to the first frame presented (rVFC), and
//    one frame step (→ to the new frame presented) at 30 random positions; baseline a bare <video> loading
//    the same signed URL, sought to the times the player gives frames n and n + 1, the two pages in turn.
//    Paused, the player draws frames from its decoder on a canvas: such a frame counts as presented at the
//    second animation frame after the draw (rVFC reports a <video> frame after the compositor has it); the
//    bare page is measured once the player's decoder has stopped decoding ahead, and every 10th step the
//    canvas is compared with the page's own <video> at frames n, n + 1, n + 2 (it must match n + 1).
//  - 2D (one kind per editor, so boxes and polygons are two tasks on the same 1080p frame): the bbox editor
//    with 1,000 boxes and the polygon editor with 300 polygons of 20 vertices (saved drafts): per step of a
//    60-step page.mouse drag of one box (or one vertex) across the stage, the length of the frame that handled
//    it (rAF timestamps); baseline plain Konva (the same version, bundled from web/node_modules) drawing the
//    same shapes and tags, the dragged one draggable. The mask editor: a 100-step brush stroke; baseline the
//    same stroke drawn on a bare 2D canvas over the same image.
//  - volume: a synthetic 512×512×300 int16 NIfTI (sphere in a body, noise) uploaded as .nii through ingest
//    into the volume editor: first render (navigation to NiiVue loaded and drawn, GPU synced by a 1-pixel
//    readPixels) and per slice step (↑ to the next frame drawn and synced); baseline NiiVue alone on a bare
//    page loading the same deidentified.nii.gz with the calls the editor makes (multiplanar, empty drawing),
//    its canvas in a box of the editor's canvas size (checked: both draw the same pixels). The WebGL calls of
//    each step (draws, texture uploads, gl.finish) and where its time goes are logged beside the figures.
//    WebGL is SwiftShader here: the figures say how the editor compares with NiiVue, not how fast a GPU is.
// Goals: video first frame < 1 s, frame step < 50 ms; every figure within 1.5× its bare page.
// Media is generated once into ~/.cache/suture/bench (first run: ~3 min of encoding). Everything started here
// is stopped here; a run takes about 7 minutes. SUTURE_BENCH_WORKSPACE_PARTS=video,2d,volume picks parts.
import { spawn } from 'node:child_process';
import { createReadStream, existsSync } from 'node:fs';
import { cp, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { cpus, homedir, loadavg } from 'node:os';
import { join } from 'node:path';
import { PutBucketCorsCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { frameIndexOf, probeVideo } from '@suture/workflows/media';
import { derivativeKeyFor, proxyFrameMap } from '@suture/workflows/activities/ingest';
import { gql, startStack, waitFor, type Stack } from '../support/stack.ts';
import { bootstrapAdmin, PASSWORD, register, startBatch, type Person } from '../support/scenario.ts';
import { repoRoot } from '../support/paths.ts';
import { launchChromium } from '../support/web.ts';
import type { BenchFigure, BenchSuite } from './types.ts';

const CACHE = join(homedir(), '.cache', 'suture', 'bench');
const FPS = 25;
const HOURS_SECONDS = 3600;
const SEGMENT_SECONDS = 60;
const VIDEO_OPENS = 3;
const VIDEO_STEPS = 30;
const DRAG_STEPS = 60;
const BRUSH_STEPS = 100;
/** One open each: on SwiftShader the first render of a 512×512×300 volume takes about a minute. */
const VOLUME_OPENS = 1;
const VOLUME_STEPS = 30;
const VOLUME_DIMS = [512, 512, 300] as const;
const VIEWPORT = { width: 1400, height: 1000 };
/** SUTURE_BENCH_WORKSPACE_PARTS (e.g. "2d,volume") runs a part of the suite; all by default. */
const PARTS = new Set((process.env.SUTURE_BENCH_WORKSPACE_PARTS ?? 'video,2d,volume').split(','));
/** SUTURE_BENCH_WORKSPACE_TRACE=<dir>: a Chromium trace of the first volume slice steps (both pages) into <dir>/volume-steps.json. */
const TRACE_DIR = process.env.SUTURE_BENCH_WORKSPACE_TRACE ?? null;
const CLASSES = [
  { key: 'grasper', name: 'Grasper' },
  { key: 'hook', name: 'Hook' },
];
// The stage's palette for the first two classes (web/src/lib/annotation/common.ts).
const COLORS = ['#e6194b', '#3cb44b'];

// ------------------------------------------------------------------ small helpers

function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${command} exited ${code}`))));
  });
}

function percentile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}
const median = (values: number[]) => percentile(values, 0.5);
const round = (n: number, digits = 1) => Number(n.toFixed(digits));

/** mulberry32: the same shapes and positions every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function log(message: string) {
  console.log(`  [workspace ${new Date().toISOString().slice(11, 19)}] ${message}`);
}

// ------------------------------------------------------------------ media (cached)

/** The ingest proxy's encoding (workflows/src/media/video.ts transcodeProxy): x264 veryfast CRF 23, GOP = fps, no scene cuts. */
const PROXY_ARGS = [
  '-c:v',
  'libx264',
  '-preset',
  'veryfast',
  '-crf',
  '23',
  '-pix_fmt',
  'yuv420p',
  '-g',
  String(FPS),
  '-keyint_min',
  String(FPS),
  '-sc_threshold',
  '0',
  '-fps_mode',
  'cfr',
];

interface VideoMedia {
  proxy: string;
  framesJson: string;
  sprite: string;
  clip: string;
  frameCount: number;
  size: number;
}

/**
 * A 1 h 1080p proxy: one minute of testsrc2 encoded with the proxy's settings, then the minute concatenated
 * 60 times without re-encoding (every minute starts on a keyframe: the GOP, the B-frames and thus the
 * seeking work are those of a real proxy; encoding a whole hour would take over an hour on 2 cores).
 */
async function videoMedia(): Promise<VideoMedia> {
  await mkdir(CACHE, { recursive: true });
  const segment = join(CACHE, 'seg60.mp4');
  const proxy = join(CACHE, 'proxy-1h.mp4');
  const framesJson = join(CACHE, 'proxy-1h.frames.json');
  const sprite = join(CACHE, 'proxy-1h.sprite.jpg');
  const clip = join(CACHE, 'clip-2s-1080p.mp4');
  if (!existsSync(proxy)) {
    if (!existsSync(segment)) {
      log('encoding one minute of 1080p testsrc2 with the proxy settings (a few minutes on 2 cores)');
      await run('ffmpeg', [
        '-hide_banner',
        '-v',
        'error',
        '-y',
        '-f',
        'lavfi',
        '-i',
        `testsrc2=size=1920x1080:rate=${FPS}:duration=${SEGMENT_SECONDS}`,
        '-vf',
        `fps=${FPS}`,
        ...PROXY_ARGS,
        '-an',
        '-map_metadata',
        '-1',
        '-movflags',
        '+faststart',
        `${segment}.partial.mp4`,
      ]);
      await rename(`${segment}.partial.mp4`, segment);
    }
    log('concatenating the minute into a 1 h proxy');
    const list = join(CACHE, 'seg60.list.txt');
    await writeFile(list, Array.from({ length: HOURS_SECONDS / SEGMENT_SECONDS }, () => `file '${segment}'`).join('\n'));
    await run('ffmpeg', [
      '-hide_banner',
      '-v',
      'error',
      '-y',
      '-f',
      'concat',
      '-safe',
      '0',
      '-i',
      list,
      '-c',
      'copy',
      '-an',
      '-map_metadata',
      '-1',
      '-movflags',
      '+faststart',
      `${proxy}.partial.mp4`,
    ]);
    await rename(`${proxy}.partial.mp4`, proxy);
  }
  if (!existsSync(framesJson)) {
    log('indexing the proxy frames (frames.json)');
    const index = await frameIndexOf(proxy);
    // The proxy is its own source here: proxy frame n shows source frame n.
    await writeFile(framesJson, JSON.stringify(proxyFrameMap(index, FPS, index, 0, null)));
  }
  if (!existsSync(sprite)) {
    // spriteStrip's 20 tiles of 160 px; decoding keyframes only (the full decode of an hour takes minutes).
    await run('ffmpeg', [
      '-hide_banner',
      '-v',
      'error',
      '-y',
      '-skip_frame',
      'nokey',
      '-i',
      proxy,
      '-vf',
      `fps=${20 / HOURS_SECONDS},scale=160:-2,tile=20x1`,
      '-frames:v',
      '1',
      '-an',
      sprite,
    ]);
  }
  if (!existsSync(clip)) {
    await run('ffmpeg', [
      '-hide_banner',
      '-v',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      `testsrc2=size=1920x1080:rate=${FPS}:duration=2`,
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      '-pix_fmt',
      'yuv420p',
      clip,
    ]);
  }
  const frames = JSON.parse(await readFile(framesJson, 'utf8')) as { frameCount: number };
  return { proxy, framesJson, sprite, clip, frameCount: frames.frameCount, size: (await stat(proxy)).size };
}

/** One 1920×1080 frame (testsrc2 at 10 s), the image of the 2D tasks. */
async function framePng(): Promise<string> {
  const path = join(CACHE, 'frame-1080p.png');
  if (!existsSync(path))
    await run('ffmpeg', [
      '-hide_banner',
      '-v',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=1920x1080:rate=25:duration=11',
      '-vf',
      'select=eq(n\\,250)',
      '-frames:v',
      '1',
      path,
    ]);
  return path;
}

/**
 * A 512×512×300 int16 NIfTI-1: air, an elliptic body of soft tissue with noise, a bright sphere. Uploaded
 * uncompressed (.nii, 157 MB): ingest keeps the original without its file name, and refuses gzip content
 * without a .nii.gz name; it writes the deidentified.nii.gz that the editor loads.
 */
async function volumeNifti(): Promise<string> {
  const [X, Y, Z] = VOLUME_DIMS;
  const path = join(CACHE, `volume-${X}x${Y}x${Z}-int16.nii`);
  if (existsSync(path)) return path;
  log('writing the synthetic 512×512×300 NIfTI');
  const header = Buffer.alloc(352);
  header.writeInt32LE(348, 0);
  [3, X, Y, Z, 1, 1, 1, 1].forEach((d, i) => header.writeInt16LE(d, 40 + 2 * i));
  header.writeInt16LE(4, 70); // int16
  header.writeInt16LE(16, 72);
  const pixdim = [1, 0.7, 0.7, 1, 0, 0, 0, 0];
  pixdim.forEach((p, i) => header.writeFloatLE(p, 76 + 4 * i));
  header.writeFloatLE(352, 108); // vox_offset
  header.writeFloatLE(1, 112); // scl_slope
  header.writeUInt8(2 | 8, 123); // xyzt_units: mm, s
  header.writeInt16LE(1, 252); // qform_code
  header.writeInt16LE(1, 254); // sform_code
  const origin = [(-X * 0.7) / 2, (-Y * 0.7) / 2, -Z / 2];
  header.writeFloatLE(origin[0]!, 268);
  header.writeFloatLE(origin[1]!, 272);
  header.writeFloatLE(origin[2]!, 276);
  [
    [0.7, 0, 0, origin[0]!],
    [0, 0.7, 0, origin[1]!],
    [0, 0, 1, origin[2]!],
  ].forEach((row, r) => row.forEach((v, c) => header.writeFloatLE(v, 280 + 16 * r + 4 * c)));
  header.write('n+1\0', 344, 'latin1');
  const data = Buffer.alloc(X * Y * Z * 2);
  const random = seeded(7);
  let o = 0;
  for (let z = 0; z < Z; z++)
    for (let y = 0; y < Y; y++)
      for (let x = 0; x < X; x++, o += 2) {
        const body = ((x - 256) / 230) ** 2 + ((y - 256) / 170) ** 2 <= 1;
        const sphere = (x - 300) ** 2 + (y - 230) ** 2 + ((z - 150) * 1.4) ** 2 <= 90 ** 2;
        const noise = Math.floor(random() * 16) - 8;
        data.writeInt16LE(sphere ? 180 + noise : body ? 40 + noise : -1000, o);
      }
  await writeFile(`${path}.partial`, Buffer.concat([header, data]));
  await rename(`${path}.partial`, path);
  return path;
}

// ------------------------------------------------------------------ the console

/**
 * The built console (adapter-node) from a private copy of web/build: others rebuild web/ while a run goes
 * on, and a rebuild under a running server takes its assets away. The copy sits under web/node_modules so
 * that its runtime imports resolve as from web/build.
 */
async function startConsoleCopy(apiUrl: string): Promise<{ url: string; builtAt: string; stop(): Promise<void> }> {
  const build = join(repoRoot, 'web', 'build');
  if (!existsSync(join(build, 'index.js'))) throw new Error('the console is not built: run `pnpm --filter @suture/web build`');
  const builtAt = (await stat(join(build, 'index.js'))).mtime.toISOString();
  const dir = join(repoRoot, 'web', 'node_modules', '.cache', `suture-bench-console-${process.pid}`);
  await rm(dir, { recursive: true, force: true });
  await cp(build, join(dir, 'build'), { recursive: true });
  const port = await new Promise<number>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [join(dir, 'build', 'index.js')], {
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', ORIGIN: url, API_URL: apiUrl },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  await waitFor('console listening', async () => (await fetch(`${url}/login`)).ok, 60_000);
  return {
    url,
    builtAt,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await new Promise((resolve) => child.once('exit', resolve));
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

// ------------------------------------------------------------------ bare pages and bundles

async function bundles(): Promise<{ konva: string; niivue: string }> {
  // esbuild comes with tsx; Konva and NiiVue are the console's own copies (web/node_modules).
  const fromTsx = createRequire(createRequire(import.meta.url).resolve('tsx'));
  const esbuild = fromTsx(fromTsx.resolve('esbuild')) as { build(options: Record<string, unknown>): Promise<{ outputFiles: Array<{ text: string }> }> };
  const build = async (contents: string) =>
    (
      await esbuild.build({
        stdin: { contents, resolveDir: join(repoRoot, 'web'), loader: 'js' },
        bundle: true,
        format: 'esm',
        platform: 'browser',
        write: false,
        minify: true,
        logLevel: 'error',
      })
    ).outputFiles[0]!.text;
  return {
    konva: await build(`import Konva from 'konva'; window.Konva = Konva;`),
    niivue: await build(`import { Niivue } from '@niivue/niivue'; window.Niivue = Niivue;`),
  };
}

/** Serves the bare pages: /konva.js, /niivue.js, /frame.png, /video?src=, /niivue?src=&w=&h=, /blank. */
async function bareServer(files: { konva: string; niivue: string; frame: Buffer }): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const send = (type: string, body: string | Buffer) => {
      res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    if (url.pathname === '/konva.js') return send('text/javascript', files.konva);
    if (url.pathname === '/niivue.js') return send('text/javascript', files.niivue);
    if (url.pathname === '/frame.png') return send('image/png', files.frame);
    if (url.pathname === '/video') {
      const src = JSON.stringify(url.searchParams.get('src') ?? '');
      return send(
        'text/html',
        `<!doctype html><html><body style="margin:0;background:#000"><video id="v" muted playsinline preload="auto" style="width:960px;height:540px"></video>
<script>const v = document.getElementById('v');
v.addEventListener('loadedmetadata', () => { v.currentTime = 0.5 / ${FPS}; });
addEventListener('keydown', (e) => { if (e.key === 'ArrowRight' && typeof window.__next === 'number') v.currentTime = window.__next; });
v.src = ${src};</script></body></html>`,
      );
    }
    if (url.pathname === '/niivue') {
      const src = JSON.stringify(url.searchParams.get('src') ?? '');
      const w = Number(url.searchParams.get('w') ?? 800);
      const h = Number(url.searchParams.get('h') ?? 600);
      return send(
        'text/html',
        // NiiVue (isResizeCanvas) sizes its canvas to 100% of the parent: a box of the editor's canvas size, as
        // the editor's .volume-canvas-box is (straight in <body>, the canvas came out 1400×150).
        `<!doctype html><html><body style="margin:0"><div style="position:relative;width:${w}px;height:${h}px"><canvas id="gl" data-testid="bare-volume-canvas" style="display:block;width:100%;height:100%"></canvas></div>
<script type="module">import '/niivue.js';
const nv = new window.Niivue({ backColor: [0, 0, 0, 1], show3Dcrosshair: false, dragAndDropEnabled: false, isResizeCanvas: true, logLevel: 'warn', penSize: 1 });
await nv.attachToCanvas(document.getElementById('gl'));
await nv.loadVolumes([{ url: ${src}, name: 'volume.nii.gz' }]);
nv.createEmptyDrawing();
nv.setSliceType(nv.sliceTypeMultiplanar);
const v = nv.volumes[0];
v.cal_min = v.robust_min ?? v.global_min ?? 0; v.cal_max = v.robust_max ?? v.global_max ?? 1; nv.updateGLVolume();
addEventListener('keydown', (e) => { if (e.key === 'ArrowUp') nv.moveCrosshairInVox(0, 0, 1); });
window.__nv = nv;
window.__volumeReady?.();</script></body></html>`,
      );
    }
    if (url.pathname === '/blank') return send('text/html', '<!doctype html><html><body style="margin:0"></body></html>');
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

// ------------------------------------------------------------------ in-page instruments (init scripts)

/**
 * Every <video>: each presented frame (rVFC) with its media time; every keydown's time (capture phase). And
 * the player's frame canvas (paused frames drawn from its decoder): each draw (its data-frame set) counts as
 * presented at the second animation frame after it, i.e. in the rendering steps after the frame holding the
 * draw was committed, where rVFC reports a video frame the compositor has presented (no earlier).
 */
const VIDEO_PROBE = `(() => {
  const b = (window.__bench = { frames: [], keys: [], metadataAt: null });
  addEventListener('keydown', () => b.keys.push(performance.now()), true);
  const hook = (v) => {
    if (v.__benchHooked) return;
    v.__benchHooked = true;
    v.addEventListener('loadedmetadata', () => { if (b.metadataAt === null) b.metadataAt = performance.now(); });
    const cb = (now, meta) => { b.frames.push({ t: performance.now(), mediaTime: meta.mediaTime, via: 'video' }); v.requestVideoFrameCallback(cb); };
    v.requestVideoFrameCallback(cb);
  };
  const hookCanvas = (c) => {
    if (c.__benchHooked) return;
    c.__benchHooked = true;
    new MutationObserver(() => {
      const frame = Number(c.dataset.frame);
      requestAnimationFrame(() => requestAnimationFrame(() => b.frames.push({ t: performance.now(), frame, via: 'canvas' })));
    }).observe(c, { attributes: true, attributeFilter: ['data-frame'] });
  };
  // Frame exactness of the player's canvas: mean absolute difference (per channel, 0–255) from a <video> of
  // the same proxy (CORS, so that its pixels can be read) sought to frames n - 1, n and n + 1.
  window.__canvasMatches = async (n, fps) => {
    const canvas = document.querySelector('canvas[data-testid="video-canvas"]');
    const video = document.createElement('video');
    video.crossOrigin = 'anonymous';
    video.muted = true;
    video.preload = 'auto';
    video.src = document.querySelector('video').currentSrc;
    await new Promise((resolve, reject) => { video.addEventListener('loadeddata', resolve, { once: true }); video.addEventListener('error', () => reject(new Error('the check video did not load')), { once: true }); });
    const { width, height } = canvas;
    const shown = canvas.getContext('2d').getImageData(0, 0, width, height).data;
    const context = new OffscreenCanvas(width, height).getContext('2d');
    const out = [];
    for (const frame of [n - 1, n, n + 1]) {
      await new Promise((resolve) => { video.addEventListener('seeked', resolve, { once: true }); video.currentTime = (frame + 0.5) / fps; });
      context.drawImage(video, 0, 0, width, height);
      const other = context.getImageData(0, 0, width, height).data;
      let sum = 0;
      for (let i = 0; i < other.length; i += 4) sum += Math.abs(other[i] - shown[i]) + Math.abs(other[i + 1] - shown[i + 1]) + Math.abs(other[i + 2] - shown[i + 2]);
      out.push(sum / (other.length / 4) / 3);
    }
    video.removeAttribute('src');
    video.load();
    return out;
  };
  new MutationObserver(() => {
    document.querySelectorAll('video').forEach(hook);
    document.querySelectorAll('canvas[data-testid="video-canvas"]').forEach(hookCanvas);
  }).observe(document, { childList: true, subtree: true });
})();`;

/**
 * The volume canvas: first render (the editor's status says ready, or the bare page's NiiVue has loaded)
 * and each ↑'s next frame, each followed by a 1-pixel readPixels that waits for the GPU to finish the draw.
 */
const VOLUME_PROBE = `(() => {
  const b = (window.__bench = { readyAt: null, renderedAt: null, steps: [], stepsGl: [], renderer: null });
  // WebGL work per step (what the page asked of the GPU): draw calls, texture uploads (bytes), gl.finish.
  const gl = (b.gl = { draws: 0, uploads: 0, uploadBytes: 0, finishes: 0 });
  const proto = WebGL2RenderingContext.prototype;
  const count = (name, f) => { const orig = proto[name]; proto[name] = function (...args) { f(args); return orig.apply(this, args); }; };
  count('drawArrays', () => gl.draws++);
  count('drawElements', () => gl.draws++);
  count('finish', () => gl.finishes++);
  const bytesOf = (args) => { const data = args.find((a) => ArrayBuffer.isView(a)); return data ? data.byteLength : 0; };
  for (const name of ['texImage2D', 'texSubImage2D', 'texImage3D', 'texSubImage3D'])
    count(name, (args) => { gl.uploads++; gl.uploadBytes += bytesOf(args); });
  const canvas = () => document.querySelector('[data-testid="volume-canvas"], [data-testid="bare-volume-canvas"]');
  const sync = () => {
    const gl = canvas()?.getContext('webgl2');
    if (!gl) return;
    const px = new Uint8Array(4);
    gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, px);
    if (!b.renderer) { const ext = gl.getExtension('WEBGL_debug_renderer_info'); b.renderer = ext ? gl.getParameter(ext.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER); }
  };
  // Where a step's time goes: to the animation frame (handlers, style, layout), to the task after it (paint,
  // commit), and waiting on the GPU in readPixels.
  let phases = null;
  const afterFrame = (done) => requestAnimationFrame(() => {
    const raf = performance.now();
    setTimeout(() => { const task = performance.now(); sync(); const read = performance.now(); phases = { raf, task, read }; done(read); }, 0);
  });
  const ready = () => { if (b.readyAt !== null) return; b.readyAt = performance.now(); afterFrame((t) => (b.renderedAt = t)); };
  window.__volumeReady = ready;
  new MutationObserver(() => { if (document.querySelector('[data-testid="volume-slice"][data-state="ready"]')) ready(); })
    .observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-state'] });
  addEventListener('keydown', (e) => {
    if (e.key !== 'ArrowUp') return;
    const t0 = performance.now();
    const g0 = { ...gl };
    afterFrame((t1) => {
      b.steps.push(t1 - t0);
      b.stepsGl.push({
        ...Object.fromEntries(Object.keys(gl).map((k) => [k, gl[k] - g0[k]])),
        toFrameMs: Math.round(phases.raf - t0),
        frameToTaskMs: Math.round(phases.task - phases.raf),
        readPixelsMs: Math.round(phases.read - phases.task),
      });
    });
  }, true);
})();`;

/** rAF timestamps while a gesture runs: window.__frames.start() / stop(). */
const FRAME_PROBE = `(() => {
  const f = (window.__frames = { times: [], on: false, moves: [] });
  const loop = (t) => { if (!f.on) return; f.times.push(t); requestAnimationFrame(loop); };
  f.start = () => { f.times = []; f.moves = []; f.on = true; requestAnimationFrame(loop); };
  f.stop = () => { f.on = false; return { times: f.times, moves: f.moves }; };
  addEventListener('pointermove', () => { if (f.on) f.moves.push(performance.now()); }, true);
})();`;

// ------------------------------------------------------------------ the stack side

const CREATE_CAMPAIGN = `mutation($i: CreateCampaignInput!) { createCampaign(input: $i) { ... on Campaign { id } ... on DomainError { message } } }`;
const CLAIM = `mutation($c: ID!) { claimNextTask(campaignId: $c) { ... on Assignment { id } ... on DomainError { code message } } }`;
const SAVE_DRAFT = `mutation($a: ID!, $d: JSON!) { saveDraft(assignmentId: $a, data: $d) { ... on Annotation { id version } ... on DomainError { code message } } }`;
const ASSET_URLS = `query($id: ID!) { assignment(id: $id) { ... on Assignment { task { asset { id url frameIndexUrl volumeUrl } } } ... on DomainError { message } } }`;

/** Uploads a file through the presigned multipart plan, one part per PART_SIZE slice. */
async function uploadFile(stack: Stack, ops: Person, campaignId: string, body: Buffer, contentType: string): Promise<string> {
  const plan = await gql<{ requestAssetUpload: { assetId?: string; partSize?: number; parts?: Array<{ partNumber: number; url: string }>; message?: string } }>(
    stack.apiUrl,
    ops.token,
    `mutation($c: ID!, $t: String!, $s: Float!) { requestAssetUpload(campaignId: $c, contentType: $t, sizeBytes: $s) { ... on UploadPlan { assetId partSize parts { partNumber url } } ... on DomainError { message } } }`,
    { c: campaignId, t: contentType, s: body.length },
  );
  const { assetId, parts, partSize } = plan.requestAssetUpload;
  if (!assetId || !parts || !partSize) throw new Error(`upload plan refused: ${plan.requestAssetUpload.message}`);
  const etags: Array<{ partNumber: number; etag: string }> = [];
  for (const part of parts) {
    const slice = body.subarray((part.partNumber - 1) * partSize, part.partNumber * partSize);
    const res = await fetch(part.url, { method: 'PUT', body: new Uint8Array(slice) });
    if (!res.ok) throw new Error(`part upload failed: ${res.status} ${await res.text()}`);
    etags.push({ partNumber: part.partNumber, etag: res.headers.get('etag') ?? '' });
  }
  const done = await gql<{ completeAssetUpload: { id?: string; message?: string } }>(
    stack.apiUrl,
    ops.token,
    `mutation($a: ID!, $p: [CompletedPartInput!]!) { completeAssetUpload(assetId: $a, parts: $p) { ... on Asset { id } ... on DomainError { message } } }`,
    { a: assetId, p: etags },
  );
  if (!done.completeAssetUpload.id) throw new Error(`complete refused: ${done.completeAssetUpload.message}`);
  return assetId;
}

/** A campaign of one task on one uploaded file, opened; returns the campaign, batch and asset. */
async function campaignWithTask(stack: Stack, ops: Person, name: string, labelSchema: Record<string, unknown>, body: Buffer, contentType: string) {
  const created = await gql<{ createCampaign: { id?: string; message?: string } }>(stack.apiUrl, ops.token, CREATE_CAMPAIGN, {
    i: {
      name,
      labelSchema,
      overlap: 2,
      agreementThreshold: 0.5,
      qaSettings: { tolerableErrorRate: 0.9, confidence: 0.1, seed: 'bench', minPerStratum: 0 },
      claimSlaSeconds: 3600,
      requiredSkills: [{ key: 'laparoscopy', minLevel: 1 }],
      payRates: [{ kind: 'LABEL', amountCents: 10 }],
    },
  });
  const campaignId = created.createCampaign.id;
  if (!campaignId) throw new Error(`createCampaign ${name}: ${created.createCampaign.message}`);
  const assetId = await uploadFile(stack, ops, campaignId, body, contentType);
  const batch = await gql<{ createBatch: { id?: string; message?: string } }>(
    stack.apiUrl,
    ops.token,
    `mutation($c: ID!, $a: [ID!]!) { createBatch(campaignId: $c, name: "Bench", assetIds: $a) { ... on Batch { id } ... on DomainError { message } } }`,
    { c: campaignId, a: [assetId] },
  );
  const batchId = batch.createBatch.id;
  if (!batchId) throw new Error(`createBatch ${name}: ${batch.createBatch.message}`);
  await gql(stack.apiUrl, ops.token, `mutation($c: ID!) { setCampaignStatus(id: $c, status: ACTIVE) { ... on Campaign { id } } }`, { c: campaignId });
  await startBatch(stack, ops, batchId);
  return { campaignId, batchId, assetId };
}

async function claim(stack: Stack, person: Person, campaignId: string): Promise<string> {
  const r = (await gql<{ claimNextTask: { id?: string; message?: string } }>(stack.apiUrl, person.token, CLAIM, { c: campaignId })).claimNextTask;
  if (!r.id) throw new Error(`claim: ${r.message}`);
  return r.id;
}

async function assetUrls(stack: Stack, person: Person, assignmentId: string): Promise<{ id: string; url: string; frameIndexUrl: string | null; volumeUrl: string | null }> {
  const r = await gql<{ assignment: { task?: { asset: { id: string; url: string; frameIndexUrl: string | null; volumeUrl: string | null } }; message?: string } }>(
    stack.apiUrl,
    person.token,
    ASSET_URLS,
    { id: assignmentId },
  );
  if (!r.assignment.task) throw new Error(`assignment: ${r.assignment.message}`);
  return r.assignment.task.asset;
}

// ------------------------------------------------------------------ shapes

type Box = [number, number, number, number];
type Ring = Array<[number, number]>;

/** 1,000 boxes over the frame; box 0 (the dragged one) at (120, 120) 100×80, first in the list. */
function boxes(): Array<{ label: string; box: Box }> {
  const random = seeded(11);
  const out: Array<{ label: string; box: Box }> = [{ label: 'grasper', box: [120, 120, 100, 80] }];
  while (out.length < 1000) {
    const w = Math.round(20 + random() * 100);
    const h = Math.round(20 + random() * 100);
    const x = Math.round(random() * (1920 - w));
    const y = Math.round(random() * (1080 - h));
    out.push({ label: CLASSES[out.length % 2]!.key, box: [x, y, w, h] });
  }
  return out;
}

/** A star-shaped (hence simple) ring of n vertices around (cx, cy). */
function starRing(random: () => number, cx: number, cy: number, radius: number, n = 20): Ring {
  return Array.from({ length: n }, (_, i) => {
    const a = (i / n) * Math.PI * 2;
    const r = radius * (0.7 + 0.3 * random());
    return [round(Math.min(1920, Math.max(0, cx + r * Math.cos(a))), 2), round(Math.min(1080, Math.max(0, cy + r * Math.sin(a))), 2)];
  });
}

/** 300 polygons of 20 vertices; polygon 0 (whose vertex 0 is dragged) around (250, 250), vertex 0 at (330, 250). */
function polygons(): Array<{ label: string; rings: Ring[] }> {
  const random = seeded(13);
  const first = starRing(random, 250, 250, 80);
  first[0] = [330, 250];
  const out: Array<{ label: string; rings: Ring[] }> = [{ label: 'grasper', rings: [first] }];
  while (out.length < 300) {
    const r = 25 + random() * 60;
    out.push({ label: CLASSES[out.length % 2]!.key, rings: [starRing(random, r + random() * (1920 - 2 * r), r + random() * (1080 - 2 * r), r)] });
  }
  return out;
}

// ------------------------------------------------------------------ measuring in the browser

interface FrameStats {
  median: number;
  p95: number;
  max: number;
  /** distinct frames that handled a move */
  frames: number;
  moves: number;
  /** first move to last move */
  durationMs: number;
}

/**
 * Per step, the length of the frame that handled its pointermove: rAF timestamps t[j] <= move < t[j+1] give
 * t[j+1] - t[j]. Chromium dispatches pointermoves at the start of a frame, before its rAF callbacks (where
 * Konva draws a batchDraw) and paint, so that frame holds the handler, the redraw and the paint; idle frames
 * between steps (Playwright's round trip per event) are not counted.
 */
function frameStats(recorded: { times: number[]; moves: number[] }): FrameStats {
  const { times, moves } = recorded;
  const perStep: number[] = [];
  const frames = new Set<number>();
  for (const m of moves) {
    let j = -1;
    for (let k = 0; k + 1 < times.length; k++)
      if (times[k]! <= m && m < times[k + 1]!) {
        j = k;
        break;
      }
    if (j < 0) continue;
    frames.add(j);
    perStep.push(times[j + 1]! - times[j]!);
  }
  return {
    median: round(median(perStep), 2),
    p95: round(percentile(perStep, 0.95), 2),
    max: round(Math.max(...perStep), 2),
    frames: frames.size,
    moves: perStep.length,
    durationMs: round((moves[moves.length - 1] ?? 0) - (moves[0] ?? 0), 1),
  };
}

/** Moves the mouse along a straight line in `steps` events with the frame probe running. */
async function gesture(page: Page, from: [number, number], to: [number, number], steps: number): Promise<FrameStats> {
  await page.mouse.move(...from);
  await page.mouse.down();
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  await page.evaluate('window.__frames.start()');
  for (let i = 1; i <= steps; i++) await page.mouse.move(from[0] + ((to[0] - from[0]) * i) / steps, from[1] + ((to[1] - from[1]) * i) / steps);
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  const recorded = (await page.evaluate('window.__frames.stop()')) as { times: number[]; moves: number[] };
  await page.mouse.up();
  return frameStats(recorded);
}

async function newPage(context: BrowserContext, name: string, errors: string[]): Promise<Page> {
  const page = await context.newPage();
  page.on('pageerror', (error) => {
    errors.push(`[${name}] ${error.message}`);
    log(`page error [${name}]: ${error.message}`);
  });
  page.on('console', (message) => {
    if (message.type() === 'error') log(`console error [${name}]: ${message.text().slice(0, 300)}`);
  });
  return page;
}

// ------------------------------------------------------------------ the suite

interface Env {
  stack: Stack;
  web: { url: string };
  bare: { url: string };
  admin: Person;
  /** The operations manager who made the campaigns. */
  ops: Person;
  errors: string[];
  /** WebGL renderer string, read by the volume pages. */
  renderer?: string;
}

function figure(
  name: string,
  unit: string,
  value: number,
  baselineName: string,
  baselineValue: number,
  target: { absolute?: number; label: string },
  extra: Record<string, number | string> = {},
  note = 'lower is better',
): BenchFigure {
  const ratio = value / baselineValue;
  const absoluteOk = target.absolute === undefined || value < target.absolute;
  const ratioOk = ratio <= 1.5;
  return {
    name,
    unit,
    value: round(value, 2),
    baselineName,
    baselineValue: round(baselineValue, 2),
    ratio: round(ratio, 3),
    target: target.label,
    met: absoluteOk && ratioOk,
    note: `${note}${!absoluteOk ? `; over the ${target.absolute} ${unit} goal` : ''}${!ratioOk ? '; more than 1.5× the bare page' : ''}`,
    extra,
  };
}

async function videoFigures(env: Env, browser: Browser, campaignId: string, frameCount: number): Promise<BenchFigure[]> {
  const { stack } = env;
  const { person: ann, storage } = await annotator(env, browser, 'Vera Video', [campaignId]);
  const assignmentId = await claim(stack, ann, campaignId);
  // The bare page loads the very URL the console was given (the same signed proxy URL from the API).
  const urls = await assetUrls(stack, ann, assignmentId);
  const bareUrl = `${env.bare.url}/video?src=${encodeURIComponent(urls.url)}`;
  const open = async (kind: 'app' | 'bare'): Promise<{ page: Page; context: BrowserContext; firstFrame: number; metadata: number }> => {
    const context = await browser.newContext({ viewport: VIEWPORT, ...(kind === 'app' ? { storageState: storage } : {}) });
    await context.addInitScript(VIDEO_PROBE);
    const page = await newPage(context, `video ${kind}`, env.errors);
    await page.goto(kind === 'app' ? `${env.web.url}/work/${assignmentId}` : bareUrl);
    await page.waitForFunction('window.__bench.frames.length > 0', undefined, { timeout: 60_000, polling: 20 });
    const b = (await page.evaluate(`({
      t: window.__bench.frames[0].t,
      m: window.__bench.metadataAt,
      html: performance.getEntriesByType('navigation')[0]?.responseEnd,
      video: performance.getEntriesByType('resource').find((e) => e.initiatorType === 'video')?.startTime,
    })`)) as { t: number; m: number; html: number; video?: number };
    log(`video ${kind} open: document ${b.html.toFixed(0)} ms, video request ${b.video?.toFixed(0) ?? '?'} ms, metadata ${b.m?.toFixed(0)} ms, first frame ${b.t.toFixed(0)} ms`);
    return { page, context, firstFrame: b.t, metadata: b.m };
  };
  const appOpens: number[] = [];
  const bareOpens: number[] = [];
  const metadataTimes: { app: number[]; bare: number[] } = { app: [], bare: [] };
  let app!: Awaited<ReturnType<typeof open>>;
  let bare!: Awaited<ReturnType<typeof open>>;
  for (let i = 0; i < VIDEO_OPENS; i++) {
    const a = await open('app');
    appOpens.push(a.firstFrame);
    metadataTimes.app.push(a.metadata);
    const b = await open('bare');
    bareOpens.push(b.firstFrame);
    metadataTimes.bare.push(b.metadata);
    if (i < VIDEO_OPENS - 1) {
      await a.context.close();
      await b.context.close();
    } else {
      app = a;
      bare = b;
    }
  }
  log(`video first frame: app ${appOpens.map((t) => t.toFixed(0)).join(', ')} ms; bare ${bareOpens.map((t) => t.toFixed(0)).join(', ')} ms`);
  const caption = app.page.getByTestId('video-frame');
  await app.page.waitForFunction(() => document.querySelector('[data-testid="video-frame"]')?.getAttribute('data-timing') === 'frames.json', undefined, { timeout: 30_000 });
  const shownCount = Number(await caption.getAttribute('data-frame-count'));
  if (shownCount !== frameCount) throw new Error(`the player counts ${shownCount} frames, frames.json ${frameCount}`);

  // The player's frame decoder starts after the first frame; give it time to read the proxy's sample table.
  const decoderState = () => caption.getAttribute('data-decoder');
  await app.page
    .waitForFunction(() => ['ready', 'busy', 'failed'].includes(document.querySelector('[data-testid="video-frame"]')?.getAttribute('data-decoder') ?? ''), undefined, {
      timeout: 60_000,
    })
    .catch(() => {});
  const decoderAtStart = await decoderState();
  const decoderIdle = () =>
    app.page.waitForFunction(() => !['busy', 'loading'].includes(document.querySelector('[data-testid="video-frame"]')?.getAttribute('data-decoder') ?? ''), undefined, {
      timeout: 60_000,
      polling: 20,
    });

  const random = seeded(5);
  const appSteps: number[] = [];
  const bareSteps: number[] = [];
  const via = { canvas: 0, video: 0 };
  const exact: string[] = [];
  const frameOf = (t: number) => Math.floor(t * FPS + 0.01);
  type Shown = { t: number; mediaTime?: number; frame?: number; via: 'video' | 'canvas' };
  const shows = (f: Shown, n: number) => (f.via === 'canvas' ? f.frame === n : frameOf(f.mediaTime!) === n);
  const lastFrame = async (page: Page) => (await page.evaluate('window.__bench.frames.length')) as number;
  /** Waits until the page has presented a frame showing `n` after frame record `after`; returns its record. */
  const presented = async (page: Page, after: number, n: number) => {
    await page.waitForFunction(
      ([after, n, fps]) => {
        const frames = (window as unknown as { __bench: { frames: Array<{ mediaTime?: number; frame?: number; via: string }> } }).__bench.frames;
        return frames.slice(after).some((f) => (f.via === 'canvas' ? f.frame === n : Math.floor(f.mediaTime! * fps + 0.01) === n));
      },
      [after, n, FPS] as const,
      { timeout: 30_000, polling: 10 },
    );
    const frames = (await page.evaluate('window.__bench.frames')) as Shown[];
    return frames.slice(after).find((f) => shows(f, n))!;
  };
  /**
   * Frame exactness of a step drawn on the player's canvas: the canvas beside the page's own <video> sought to
   * frames n - 1, n and n + 1 (mean absolute difference per channel, 0–255); frame n must be the closest.
   */
  const canvasMatches = (n: number) =>
    app.page.evaluate(([n, fps]) => (window as unknown as { __canvasMatches: (n: number, fps: number) => Promise<number[]> }).__canvasMatches(n, fps), [n, FPS] as const);
  const settle = () => new Promise((r) => setTimeout(r, 80));
  for (let i = 0; i < VIDEO_STEPS; i++) {
    const n = Math.floor(random() * (frameCount - 2));
    // The player: jump to frame n through its frame field, then → once.
    await app.page.bringToFront();
    let mark = await lastFrame(app.page);
    await app.page.getByTestId('video-frame-input').fill(String(n));
    await app.page.getByTestId('video-frame-input').press('Enter');
    await app.page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await presented(app.page, mark, n);
    await app.page.waitForFunction((n) => {
      const c = document.querySelector('[data-testid="video-frame"]');
      return c?.getAttribute('data-frame') === String(n) && c.getAttribute('data-settled') === 'true';
    }, n);
    await settle();
    mark = await lastFrame(app.page);
    await app.page.keyboard.press('ArrowRight');
    const shown = await presented(app.page, mark, n + 1);
    const keyAt = ((await app.page.evaluate('window.__bench.keys')) as number[]).at(-1)!;
    appSteps.push(shown.t - keyAt);
    via[shown.via]++;
    // The decoder decodes ahead after a jump; the bare page is measured once it has stopped, not beside it.
    await decoderIdle();
    if (i % 10 === 0 && shown.via === 'canvas') {
      const [before, at, after] = await canvasMatches(n + 1);
      exact.push(`${n + 1}: ${[before, at, after].map((d) => d!.toFixed(1)).join('/')}`);
      if (!(at! < before! && at! < after! && at! < 3))
        throw new Error(`the canvas after → from ${n} does not show frame ${n + 1} (difference to frames n, n+1, n+2: ${before}, ${at}, ${after})`);
    }

    // The bare element: the times the player gives frames n and n + 1 (the middle of each, frames.json).
    await bare.page.bringToFront();
    mark = await lastFrame(bare.page);
    await bare.page.evaluate(
      ([t, next]) => {
        (window as unknown as { __next: number }).__next = next;
        document.querySelector('video')!.currentTime = t;
      },
      [(n + 0.5) / FPS, (n + 1.5) / FPS] as const,
    );
    await presented(bare.page, mark, n);
    await settle();
    mark = await lastFrame(bare.page);
    await bare.page.keyboard.press('ArrowRight');
    const bareShown = await presented(bare.page, mark, n + 1);
    const bareKey = ((await bare.page.evaluate('window.__bench.keys')) as number[]).at(-1)!;
    bareSteps.push(bareShown.t - bareKey);
  }
  log(
    `video steps: app median ${median(appSteps).toFixed(1)} p95 ${percentile(appSteps, 0.95).toFixed(1)} (decoder ${decoderAtStart}; drawn on the canvas ${via.canvas}, by the <video> ${via.video}; exactness ${exact.join(', ')}); bare median ${median(bareSteps).toFixed(1)} p95 ${percentile(bareSteps, 0.95).toFixed(1)}`,
  );
  await app.context.close();
  await bare.context.close();
  const opensExtra = {
    opensMs: appOpens.map((t) => t.toFixed(0)).join(' / '),
    bareOpensMs: bareOpens.map((t) => t.toFixed(0)).join(' / '),
    metadataMs: median(metadataTimes.app).toFixed(0),
    bareMetadataMs: median(metadataTimes.bare).toFixed(0),
  };
  const proxy = `1 h 1080p proxy (${frameCount} frames, 25 fps, GOP 25)`;
  return [
    figure(
      `Video: opening the task to the first frame shown, ${proxy}, median of ${VIDEO_OPENS} cold opens`,
      'ms',
      median(appOpens),
      'bare <video> page, same signed URL, cold',
      median(bareOpens),
      { absolute: 1000, label: '< 1000 ms and ≤ 1.5× bare' },
      opensExtra,
      'lower is better; from navigation start (SSR of /work/<id> included) to the first rVFC frame',
    ),
    figure(
      `Video: one frame step (→ to the new frame presented), median of ${VIDEO_STEPS} random positions`,
      'ms',
      median(appSteps),
      'bare <video>, currentTime set to the same times',
      median(bareSteps),
      { absolute: 50, label: '< 50 ms and ≤ 1.5× bare' },
      {
        min: round(Math.min(...appSteps)),
        max: round(Math.max(...appSteps)),
        bareMin: round(Math.min(...bareSteps)),
        bareMax: round(Math.max(...bareSteps)),
        decoder: decoderAtStart ?? 'none',
        stepsDrawnFromDecoder: `${via.canvas}/${VIDEO_STEPS}`,
        canvasExactness: exact.join('; '),
      },
      'lower is better; key press to the frame presented: rVFC for a <video>, the second animation frame after the draw for the player canvas',
    ),
    figure(`Video: one frame step, p95 of ${VIDEO_STEPS} random positions`, 'ms', percentile(appSteps, 0.95), 'bare <video>, same times', percentile(bareSteps, 0.95), {
      absolute: 50,
      label: '< 50 ms and ≤ 1.5× bare',
    }),
  ];
}

/** Logs in through the form once; the session is reused by fresh contexts (cold HTTP cache, same cookie). */
type Storage = Awaited<ReturnType<BrowserContext['storageState']>>;

/** An annotator of their own (one claim at a time each) on the staff of `campaignIds`, signed in once through the form. */
async function annotator(env: Env, browser: Browser, name: string, campaignIds: string[]): Promise<{ person: Person; storage: Storage }> {
  const person = await register(env.stack, env.admin, name, ['ANNOTATOR'], [['laparoscopy', 3]]);
  for (const campaignId of campaignIds) await joinCampaign(env, campaignId, person);
  return { person, storage: await loginState(browser, env.web.url, person) };
}

/**
 * Puts an annotator on a campaign's staff where the API has campaign membership (claims are limited to the
 * staff); an API without it lets every annotator with the skill claim.
 */
async function joinCampaign(env: Env, campaignId: string, person: Person): Promise<void> {
  const res = await fetch(`${env.stack.apiUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${env.ops.token}` },
    body: JSON.stringify({
      query: `mutation($c: ID!, $u: ID!) { setCampaignMember(campaignId: $c, userId: $u, roles: [ANNOTATOR]) { ... on Campaign { id } ... on DomainError { message } } }`,
      variables: { c: campaignId, u: person.id },
    }),
  });
  const body = (await res.json()) as { data?: { setCampaignMember?: { id?: string; message?: string } }; errors?: Array<{ message: string }> };
  if (body.errors?.some((e) => /setCampaignMember/.test(e.message))) return; // no campaign membership in this API
  if (!body.data?.setCampaignMember?.id) throw new Error(`setCampaignMember: ${body.data?.setCampaignMember?.message ?? JSON.stringify(body.errors)}`);
}

async function loginState(browser: Browser, webUrl: string, person: Person): Promise<Storage> {
  const context = await browser.newContext({ viewport: VIEWPORT });
  const page = await context.newPage();
  await page.goto(`${webUrl}/login`);
  await page.getByTestId('login-email').fill(person.email);
  await page.getByTestId('login-password').fill(PASSWORD);
  await page.getByTestId('login-submit').click();
  await page.waitForURL((url) => !url.pathname.startsWith('/login'));
  const state = await context.storageState();
  await context.close();
  return state;
}

async function openWorkspace(env: Env, browser: Browser, storage: Storage, assignmentId: string, name: string): Promise<{ page: Page; context: BrowserContext }> {
  const context = await browser.newContext({ viewport: VIEWPORT, storageState: storage });
  await context.addInitScript(FRAME_PROBE);
  const page = await newPage(context, name, env.errors);
  await page.goto(`${env.web.url}/work/${assignmentId}`);
  await page.locator('main[data-hydrated="true"]').waitFor({ timeout: 60_000 });
  await page.locator('[data-testid="annotation-stage"][data-ready="true"]').waitFor({ timeout: 60_000 });
  return { page, context };
}

/**
 * The bare page's scene in plain Konva, built once: the frame, then per box a group (rect and tag) and per
 * polygon a closed line and its tag, as the editors draw them; only the dragged box (a draggable group) or
 * the dragged vertex (a draggable handle that moves the line's first point) listens to the pointer.
 */
const KONVA_SCENE = `window.__buildScene = async ({ stageSize, scene, colors, classes }) => {
  const K = window.Konva;
  const host = document.createElement('div');
  host.id = 'stage';
  host.style.cssText = 'position:absolute;left:0;top:0;width:' + stageSize.width + 'px;height:' + stageSize.height + 'px';
  document.body.append(host);
  const image = new Image();
  image.src = '/frame.png';
  await image.decode();
  const scale = stageSize.width / 1920;
  const stage = new K.Stage({ container: host, width: stageSize.width, height: stageSize.height, scale: { x: scale, y: scale } });
  const background = new K.Layer({ listening: false });
  background.add(new K.Image({ image, width: 1920, height: 1080 }));
  const content = new K.Layer();
  stage.add(background, content);
  const line = 2 / scale;
  const colorOf = (label) => colors[classes.indexOf(label)] ?? colors[0];
  const tag = (parent, x, y, text, color) => {
    const size = 12 / scale;
    const label = new K.Label({ x, y: y - size * 1.6, listening: false });
    label.add(new K.Tag({ fill: color, opacity: 0.85 }));
    label.add(new K.Text({ text, fontSize: size, padding: 2 / scale, fill: '#fff', fontFamily: 'system-ui, sans-serif' }));
    parent.add(label);
  };
  (scene.boxes ?? []).forEach((o, n) => {
    const color = colorOf(o.label);
    const [x, y, w, h] = o.box;
    const group = new K.Group({ x, y, draggable: n === 0, listening: n === 0 });
    group.add(new K.Rect({ width: w, height: h, fill: color + (n === 0 ? '40' : '18'), stroke: color, strokeWidth: n === 0 ? line * 1.6 : line }));
    tag(group, 0, 0, (n + 1) + ' ' + o.label, color);
    content.add(group);
    if (n === 0) window.__dragged = group;
  });
  (scene.polygons ?? []).forEach((o, n) => {
    const color = colorOf(o.label);
    const ring = o.rings[0];
    const poly = new K.Line({ points: ring.flat(), closed: true, fill: color + (n === 0 ? '55' : '30'), stroke: color, strokeWidth: n === 0 ? line * 1.6 : line, listening: false });
    content.add(poly);
    tag(content, ring[0][0], ring[0][1], (n + 1) + ' ' + o.label, color);
    if (n === 0)
      ring.forEach(([x, y], i) => {
        const handle = new K.Circle({ x, y, radius: 5 / scale, fill: '#fff', stroke: color, strokeWidth: 1.5 / scale, draggable: i === 0, listening: i === 0 });
        if (i === 0) {
          window.__dragged = handle;
          handle.on('dragmove', () => {
            const pts = poly.points().slice();
            pts[0] = handle.x();
            pts[1] = handle.y();
            poly.points(pts);
          });
        }
        content.add(handle);
      });
  });
  content.draw();
};`;

/** Plain Konva on a bare page: the frame and the same shapes (with their tags), scaled like the stage. */
async function bareKonva(
  env: Env,
  browser: Browser,
  stageSize: { width: number; height: number },
  scene: { boxes?: Array<{ label: string; box: Box }>; polygons?: Array<{ label: string; rings: Ring[] }> },
): Promise<{ page: Page; context: BrowserContext }> {
  const context = await browser.newContext({ viewport: VIEWPORT });
  await context.addInitScript(FRAME_PROBE);
  const page = await newPage(context, 'bare konva', env.errors);
  await page.goto(`${env.bare.url}/blank`);
  await page.addScriptTag({ url: `${env.bare.url}/konva.js`, type: 'module' });
  await page.waitForFunction('!!window.Konva');
  await page.addScriptTag({ content: KONVA_SCENE });
  await page.evaluate((args) => (window as unknown as { __buildScene: (a: unknown) => Promise<void> }).__buildScene(args), {
    stageSize,
    scene,
    colors: COLORS,
    classes: CLASSES.map((c) => c.key),
  });
  return { page, context };
}

/** The bare brush page: the frame under a 1920×1080 canvas at the stage's size; a pointermove strokes as the mask tool does. */
const BARE_CANVAS = `window.__buildCanvas = async (size) => {
  const wrap = document.createElement('div');
  wrap.id = 'stage';
  wrap.style.cssText = 'position:absolute;left:0;top:0;width:' + size.width + 'px;height:' + size.height + 'px';
  const img = new Image();
  img.src = '/frame.png';
  await img.decode();
  img.style.cssText = 'position:absolute;inset:0;width:100%;height:100%';
  const canvas = document.createElement('canvas');
  canvas.width = 1920;
  canvas.height = 1080;
  canvas.style.cssText = 'position:absolute;inset:0;width:100%;height:100%;opacity:0.45';
  wrap.append(img, canvas);
  document.body.append(wrap);
  const ctx = canvas.getContext('2d');
  let last = null;
  const toImage = (e) => {
    const r = wrap.getBoundingClientRect();
    return [((e.clientX - r.left) * 1920) / r.width, ((e.clientY - r.top) * 1080) / r.height];
  };
  const paint = (p) => {
    ctx.strokeStyle = ctx.fillStyle = '#e6194b';
    ctx.lineWidth = 24;
    ctx.lineCap = ctx.lineJoin = 'round';
    ctx.beginPath();
    ctx.moveTo(...(last ?? p));
    ctx.lineTo(...p);
    ctx.stroke();
    ctx.beginPath();
    ctx.arc(p[0], p[1], 12, 0, Math.PI * 2);
    ctx.fill();
    last = p;
  };
  wrap.addEventListener('pointerdown', (e) => paint(toImage(e)));
  wrap.addEventListener('pointermove', (e) => { if (last) paint(toImage(e)); });
  wrap.addEventListener('pointerup', () => { last = null; });
};`;

async function stageBox(page: Page, selector: string) {
  const box = (await page.locator(selector).boundingBox())!;
  return { ...box, at: ([x, y]: [number, number]): [number, number] => [box.x + (x * box.width) / 1920, box.y + (y * box.height) / 1080] };
}

async function twoDFigures(env: Env, browser: Browser, campaigns: { bbox: string; polygon: string; mask: string }): Promise<BenchFigure[]> {
  const { stack } = env;
  const figures: BenchFigure[] = [];
  const [bob, polly, mark] = [
    await annotator(env, browser, 'Bob Boxes', [campaigns.bbox]),
    await annotator(env, browser, 'Polly Polygons', [campaigns.polygon]),
    await annotator(env, browser, 'Mark Mask', [campaigns.mask]),
  ];
  const boxData = boxes();
  const polygonData = polygons();

  // Boxes: drag box 0 from its centre 1,200 image px to the right and 600 down.
  const boxAssignment = await claim(stack, bob.person, campaigns.bbox);
  const saved = (await gql<{ saveDraft: { id?: string; message?: string } }>(stack.apiUrl, bob.person.token, SAVE_DRAFT, { a: boxAssignment, d: { objects: boxData } })).saveDraft;
  if (!saved.id) throw new Error(`saveDraft boxes: ${saved.message}`);
  const polygonAssignment = await claim(stack, polly.person, campaigns.polygon);
  const savedPolygons = (
    await gql<{ saveDraft: { id?: string; message?: string } }>(stack.apiUrl, polly.person.token, SAVE_DRAFT, { a: polygonAssignment, d: { objects: polygonData } })
  ).saveDraft;
  if (!savedPolygons.id) throw new Error(`saveDraft polygons: ${savedPolygons.message}`);
  const maskAssignment = await claim(stack, mark.person, campaigns.mask);

  const results: Record<string, { app: FrameStats; bare: FrameStats }> = {};
  {
    const { page, context } = await openWorkspace(env, browser, bob.storage, boxAssignment, 'bbox');
    if ((await page.getByTestId('object-list').locator('li').count()) !== 1000) throw new Error('the bbox editor does not list 1,000 boxes');
    const stage = await stageBox(page, '[data-testid="annotation-stage"]');
    const app = await gesture(page, stage.at([170, 160]), stage.at([1370, 760]), DRAG_STEPS);
    if ((await page.getByTestId('undo').isDisabled()) || !(await page.getByTestId('object-0').textContent())?.includes('100×80'))
      throw new Error('the box drag did not move box 1');
    const size = { width: stage.width, height: stage.height };
    await context.close();
    const bare = await bareKonva(env, browser, size, { boxes: boxData });
    const bstage = await stageBox(bare.page, '#stage');
    const bareStats = await gesture(bare.page, bstage.at([170, 160]), bstage.at([1370, 760]), DRAG_STEPS);
    const movedTo = (await bare.page.evaluate('[window.__dragged.x(), window.__dragged.y()]')) as [number, number];
    if (Math.abs(movedTo[0] - 1320) > 5) throw new Error(`plain Konva did not drag the box (at ${movedTo})`);
    await bare.context.close();
    results.boxes = { app, bare: bareStats };
  }
  {
    const { page, context } = await openWorkspace(env, browser, polly.storage, polygonAssignment, 'polygon');
    if ((await page.getByTestId('object-list').locator('li').count()) !== 300) throw new Error('the polygon editor does not list 300 polygons');
    // Tab selects polygon 1 (its vertices become draggable).
    await page.keyboard.press('Tab');
    await page.locator('[data-testid="object-0"].selected').waitFor();
    const stage = await stageBox(page, '[data-testid="annotation-stage"]');
    const app = await gesture(page, stage.at([330, 250]), stage.at([1530, 850]), DRAG_STEPS);
    if (await page.getByTestId('undo').isDisabled()) throw new Error('the vertex drag changed nothing');
    const size = { width: stage.width, height: stage.height };
    await context.close();
    const bare = await bareKonva(env, browser, size, { polygons: polygonData });
    const bstage = await stageBox(bare.page, '#stage');
    const bareStats = await gesture(bare.page, bstage.at([330, 250]), bstage.at([1530, 850]), DRAG_STEPS);
    const vertexAt = (await bare.page.evaluate('[window.__dragged.x(), window.__dragged.y()]')) as [number, number];
    if (Math.abs(vertexAt[0] - 1530) > 5) throw new Error(`plain Konva did not drag the vertex (at ${vertexAt})`);
    await bare.context.close();
    results.polygons = { app, bare: bareStats };
  }
  {
    const { page, context } = await openWorkspace(env, browser, mark.storage, maskAssignment, 'mask');
    const stage = await stageBox(page, '[data-testid="annotation-stage"]');
    const from: [number, number] = [200, 300];
    const to: [number, number] = [1700, 800];
    const app = await gesture(page, stage.at(from), stage.at(to), BRUSH_STEPS);
    await page.getByTestId('object-0').waitFor();
    const size = { width: stage.width, height: stage.height };
    await context.close();
    // Bare: the frame under a 1920×1080 canvas shown at the stage's size; each pointermove strokes the
    // segment and a round cap, as the mask tool does (24 px brush), then draws nothing else.
    const bctx = await browser.newContext({ viewport: VIEWPORT });
    await bctx.addInitScript(FRAME_PROBE);
    const bpage = await newPage(bctx, 'bare canvas', env.errors);
    await bpage.goto(`${env.bare.url}/blank`);
    await bpage.addScriptTag({ content: BARE_CANVAS });
    await bpage.evaluate((size) => (window as unknown as { __buildCanvas: (a: unknown) => Promise<void> }).__buildCanvas(size), size);
    const bstage = await stageBox(bpage, '#stage');
    const bareStats = await gesture(bpage, bstage.at(from), bstage.at(to), BRUSH_STEPS);
    await bctx.close();
    results.brush = { app, bare: bareStats };
  }
  log(`2D: ${JSON.stringify(results)}`);
  const cases: Array<[keyof typeof results, string, string, number]> = [
    ['boxes', 'Box drag, 1,000 boxes on a 1080p frame (bbox editor)', 'plain Konva, same 1,000 boxes and tags, draggable group', DRAG_STEPS],
    ['polygons', 'Vertex drag, 300 polygons × 20 vertices on a 1080p frame (polygon editor)', 'plain Konva, same 300 polygons and tags, draggable handle', DRAG_STEPS],
    ['brush', 'Brush stroke on a 1080p mask (mask editor, 24 px brush)', 'bare 2D canvas over the same image, same stroke', BRUSH_STEPS],
  ];
  for (const [key, name, baselineName, steps] of cases) {
    const { app, bare } = results[key]!;
    const extra = {
      appFrames: app.frames,
      appMoves: app.moves,
      appDurationMs: app.durationMs,
      appMaxMs: app.max,
      bareFrames: bare.frames,
      bareMoves: bare.moves,
      bareDurationMs: bare.durationMs,
      bareMaxMs: bare.max,
    };
    figures.push(
      figure(
        `${name}: frame time, median over a ${steps}-step drag`,
        'ms',
        app.median,
        baselineName,
        bare.median,
        { label: '≤ 1.5× bare' },
        extra,
        'lower is better; rAF intervals during the drag',
      ),
      figure(`${name}: frame time, p95`, 'ms', app.p95, baselineName, bare.p95, { label: '≤ 1.5× bare' }),
    );
  }
  return figures;
}

async function volumeFigures(env: Env, browser: Browser, campaignId: string): Promise<BenchFigure[]> {
  const { stack } = env;
  const { person: ann, storage } = await annotator(env, browser, 'Val Volume', [campaignId]);
  const assignmentId = await claim(stack, ann, campaignId);
  const { volumeUrl } = await assetUrls(stack, ann, assignmentId);
  if (!volumeUrl) throw new Error('the volume task has no volume URL');
  let canvasSize = { width: 800, height: 600 };
  let appBuffer = { width: 0, height: 0 };
  let renderer = '';
  const open = async (kind: 'app' | 'bare') => {
    const context = await browser.newContext({ viewport: VIEWPORT, ...(kind === 'app' ? { storageState: storage } : {}) });
    await context.addInitScript(VOLUME_PROBE);
    const page = await newPage(context, `volume ${kind}`, env.errors);
    await page.goto(
      kind === 'app' ? `${env.web.url}/work/${assignmentId}` : `${env.bare.url}/niivue?src=${encodeURIComponent(volumeUrl)}&w=${canvasSize.width}&h=${canvasSize.height}`,
    );
    await page.waitForFunction('window.__bench.renderedAt !== null', undefined, { timeout: 600_000, polling: 100 }).catch(async (error: unknown) => {
      const state = await page
        .locator('[data-testid="volume-slice"]')
        .getAttribute('data-state', { timeout: 1000 })
        .catch(() => 'none');
      throw new Error(`the ${kind} volume page did not render (editor state ${state}): ${(error as Error).message}`);
    });
    const b = (await page.evaluate('({ ready: window.__bench.readyAt, rendered: window.__bench.renderedAt, renderer: window.__bench.renderer })')) as {
      ready: number;
      rendered: number;
      renderer: string;
    };
    renderer = b.renderer;
    // The size NiiVue draws at (its drawing buffer): the two pages must draw the same number of pixels.
    const buffer = (await page.evaluate(() => {
      const c = document.querySelector('[data-testid="volume-canvas"], [data-testid="bare-volume-canvas"]') as HTMLCanvasElement;
      return { width: c.width, height: c.height };
    })) as { width: number; height: number };
    if (kind === 'app') {
      const box = (await page.getByTestId('volume-canvas').boundingBox())!;
      canvasSize = { width: Math.round(box.width), height: Math.round(box.height) };
      appBuffer = buffer;
      const dims = await page.getByTestId('volume-slice').getAttribute('data-dims');
      if (dims !== VOLUME_DIMS.join('x')) throw new Error(`the editor shows a ${dims} volume`);
    } else if (buffer.width !== appBuffer.width || buffer.height !== appBuffer.height)
      throw new Error(`NiiVue alone draws ${buffer.width}×${buffer.height} pixels, the editor ${appBuffer.width}×${appBuffer.height}`);
    return { page, context, rendered: b.rendered, ready: b.ready };
  };
  const appOpens: number[] = [];
  const bareOpens: number[] = [];
  const steps = { app: [] as number[], bare: [] as number[] };
  const gl: Record<'app' | 'bare', Record<string, number>> = { app: {}, bare: {} };
  for (let i = 0; i < VOLUME_OPENS; i++) {
    const app = await open('app');
    appOpens.push(app.rendered);
    const bare = await open('bare');
    bareOpens.push(bare.rendered);
    if (i === VOLUME_OPENS - 1) {
      // Slice scrolling, the two pages in turn (the machine's load shifts over minutes): ↑ moves one slice
      // along the view's axis (the editor's key; on the bare page the same NiiVue call).
      const before = Number(await app.page.getByTestId('volume-slice').getAttribute('data-slice'));
      for (let s = 0; s < VOLUME_STEPS; s++) {
        if (TRACE_DIR && s === 0) {
          await mkdir(TRACE_DIR, { recursive: true });
          await browser.startTracing(undefined, {
            path: join(TRACE_DIR, 'volume-steps.json'),
            categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'blink', 'cc', 'gpu', 'viz', 'toplevel', 'benchmark', 'disabled-by-default-gpu.service'],
          });
        }
        if (TRACE_DIR && s === 3) await browser.stopTracing();
        for (const o of [app, bare]) {
          await o.page.bringToFront();
          await o.page.keyboard.press('ArrowUp');
          await o.page.waitForFunction((n) => (window as unknown as { __bench: { steps: number[] } }).__bench.steps.length >= n, s + 1, { timeout: 60_000, polling: 10 });
          await new Promise((r) => setTimeout(r, 30));
        }
      }
      const after = Number(await app.page.getByTestId('volume-slice').getAttribute('data-slice'));
      if (after !== before + VOLUME_STEPS) throw new Error(`the editor moved from slice ${before} to ${after}, not ${VOLUME_STEPS} slices`);
      steps.app = (await app.page.evaluate('window.__bench.steps')) as number[];
      steps.bare = (await bare.page.evaluate('window.__bench.steps')) as number[];
      // What each page asked of WebGL per step (median over the steps): draws, texture uploads, gl.finish.
      for (const [kind, page] of [
        ['app', app.page],
        ['bare', bare.page],
      ] as const) {
        const perStep = (await page.evaluate('window.__bench.stepsGl')) as Array<Record<string, number>>;
        gl[kind] = Object.fromEntries(Object.keys(perStep[0] ?? {}).map((k) => [k, median(perStep.map((s) => s[k]!))]));
      }
    }
    await app.context.close();
    await bare.context.close();
  }
  log(
    `volume: first render app ${appOpens.map((t) => t.toFixed(0)).join(', ')}; bare ${bareOpens.map((t) => t.toFixed(0)).join(', ')}; steps app ${median(steps.app).toFixed(1)} bare ${median(steps.bare).toFixed(1)}; WebGL per step app ${JSON.stringify(gl.app)} bare ${JSON.stringify(gl.bare)}`,
  );
  env.renderer = renderer;
  const name = `${VOLUME_DIMS.join('×')} int16 NIfTI (volume editor, multiplanar, canvas ${appBuffer.width}×${appBuffer.height} on both pages)`;
  return [
    figure(
      `Volume: opening the task to the first render, ${name}${VOLUME_OPENS > 1 ? `, median of ${VOLUME_OPENS}` : ', one cold open'}`,
      'ms',
      median(appOpens),
      'NiiVue alone on a bare page, same file and calls',
      median(bareOpens),
      { label: '≤ 1.5× bare' },
      { opensMs: appOpens.map((t) => t.toFixed(0)).join(' / '), bareOpensMs: bareOpens.map((t) => t.toFixed(0)).join(' / ') },
      'lower is better; navigation start to NiiVue loaded and drawn, GPU synced (readPixels)',
    ),
    figure(
      `Volume: one slice step (↑ to the next frame drawn), median of ${VOLUME_STEPS}`,
      'ms',
      median(steps.app),
      'NiiVue alone, moveCrosshairInVox',
      median(steps.bare),
      { label: '≤ 1.5× bare' },
      Object.fromEntries([...Object.entries(gl.app).map(([k, v]) => [`gl ${k}`, v]), ...Object.entries(gl.bare).map(([k, v]) => [`bare gl ${k}`, v])]),
      'lower is better; WebGL calls per step (median) in extra',
    ),
    figure(`Volume: one slice step, p95 of ${VOLUME_STEPS}`, 'ms', percentile(steps.app, 0.95), 'NiiVue alone', percentile(steps.bare, 0.95), { label: '≤ 1.5× bare' }),
  ];
}

/** Replaces the ingested clip's proxy, frames.json and sprite with the 1 h ones, and its metadata to match. */
async function placeHourProxy(stack: Stack, assetId: string, media: VideoMedia): Promise<void> {
  const asset = await stack.prisma.asset.findUniqueOrThrow({ where: { id: assetId } });
  if (asset.status !== 'READY') throw new Error(`the video asset is ${asset.status}`);
  const put = async (name: string, path: string, contentType: string, size: number) =>
    stack.s3.client.send(
      new PutObjectCommand({ Bucket: stack.s3.bucket, Key: derivativeKeyFor(asset, name), Body: createReadStream(path), ContentLength: size, ContentType: contentType }),
    );
  const t = Date.now();
  await put('proxy.mp4', media.proxy, 'video/mp4', media.size);
  await put('frames.json', media.framesJson, 'application/json', (await stat(media.framesJson)).size);
  await put('sprite.jpg', media.sprite, 'image/jpeg', (await stat(media.sprite)).size);
  log(`placed the 1 h proxy (${(media.size / 2 ** 30).toFixed(2)} GiB) in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  const probe = await probeVideo(media.proxy);
  const metadata = (asset.metadata ?? {}) as Record<string, unknown>;
  await stack.prisma.asset.update({
    where: { id: assetId },
    data: {
      metadata: {
        ...metadata,
        probe: JSON.parse(JSON.stringify(probe)),
        proxyFps: FPS,
        proxy: { fps: FPS, frameCount: media.frameCount, width: probe.width, height: probe.height, duration: probe.duration },
        sprite: { count: 20, tileWidth: 160, interval: HOURS_SECONDS / 20 },
      },
    },
  });
}

const environment: Record<string, string | number> = {};

const suite: BenchSuite & { environment: typeof environment } = {
  id: 'workspace',
  title: 'Annotation workspace in Chromium (video, 2D tools, volume) beside bare pages',
  environment,
  async run() {
    const started = Date.now();
    environment.cpus = cpus().length;
    environment.loadAverageAtStart = loadavg()
      .map((l) => l.toFixed(2))
      .join(' / ');
    const [media, frame, volume, code] = await Promise.all([videoMedia(), framePng(), volumeNifti(), bundles()]);
    const frameBytes = await readFile(frame);
    const bare = await bareServer({ ...code, frame: frameBytes });
    let stack: Stack | undefined;
    let web: Awaited<ReturnType<typeof startConsoleCopy>> | undefined;
    const browsers: Browser[] = [];
    const figures: BenchFigure[] = [];
    try {
      stack = await startStack();
      await stack.s3.client.send(
        new PutBucketCorsCommand({
          Bucket: stack.s3.bucket,
          CORSConfiguration: { CORSRules: [{ AllowedOrigins: ['*'], AllowedMethods: ['GET', 'PUT', 'HEAD'], AllowedHeaders: ['*'], ExposeHeaders: ['ETag'] }] },
        }),
      );
      const admin = await bootstrapAdmin(stack);
      const ops = await register(stack, admin, 'Olivia Ops', ['OPS_MANAGER']);
      log('stack up; uploading the clip, the frame and the volume through ingest');
      const classes = CLASSES;
      const video = await campaignWithTask(
        stack,
        ops,
        'Bench phases',
        { geometry: 'phases', classes, phases: [{ key: 'prep', name: 'Preparation' }] },
        await readFile(media.clip),
        'video/mp4',
      );
      const bbox = await campaignWithTask(stack, ops, 'Bench boxes', { geometry: 'bbox', classes }, frameBytes, 'image/png');
      const polygon = await campaignWithTask(stack, ops, 'Bench polygons', { geometry: 'polygon', classes }, frameBytes, 'image/png');
      const mask = await campaignWithTask(stack, ops, 'Bench mask', { geometry: 'mask', classes }, frameBytes, 'image/png');
      const vol = await campaignWithTask(
        stack,
        ops,
        'Bench volume',
        {
          geometry: 'volume',
          classes: [
            { key: 'liver', name: 'Liver' },
            { key: 'tumour', name: 'Tumour' },
          ],
        },
        await readFile(volume),
        'application/x-nifti',
      );
      const all = [video, bbox, polygon, mask, vol];
      // Polled here rather than with waitFor, which would wait out its timeout on a failed ingest.
      for (const deadline = Date.now() + 600_000; ;) {
        const failed = await stack.prisma.asset.findFirst({ where: { id: { in: all.map((c) => c.assetId) }, status: 'FAILED' } });
        if (failed) throw new Error(`ingest of the ${failed.kind} asset failed: ${failed.errorCode} ${failed.errorMessage}`);
        if ((await stack.prisma.task.count({ where: { batchId: { in: all.map((c) => c.batchId) }, status: 'OPEN' } })) === all.length) break;
        if (Date.now() > deadline) throw new Error('timed out waiting for the tasks to open');
        await new Promise((r) => setTimeout(r, 500));
      }
      log(`tasks open after ${((Date.now() - started) / 1000).toFixed(0)} s`);
      if (PARTS.has('video')) await placeHourProxy(stack, video.assetId, media);
      web = await startConsoleCopy(stack.apiUrl);
      environment.consoleBuild = `web/build of ${web.builtAt}, served from a copy`;

      const browser = await launchChromium();
      browsers.push(browser);
      environment.chromium = browser.version();
      const env: Env = { stack, web, bare, admin, ops, errors: [] };
      if (PARTS.has('video')) {
        figures.push(...(await videoFigures(env, browser, video.campaignId, media.frameCount)));
        log(`video done after ${((Date.now() - started) / 1000).toFixed(0)} s`);
      }
      if (PARTS.has('2d')) {
        figures.push(...(await twoDFigures(env, browser, { bbox: bbox.campaignId, polygon: polygon.campaignId, mask: mask.campaignId })));
        log(`2D done after ${((Date.now() - started) / 1000).toFixed(0)} s`);
      }
      environment.rendering2d = 'video and 2D pages: headless Chromium with --disable-gpu (software raster and compositing)';
      if (PARTS.has('volume')) {
        const glBrowser = await launchChromium({ webgl: true });
        browsers.push(glBrowser);
        figures.push(...(await volumeFigures(env, glBrowser, vol.campaignId)));
        environment.webglRenderer = `${env.renderer ?? 'unknown'} (volume pages: --use-angle=swiftshader)`;
      }
      environment.loadAverageAtEnd = loadavg()
        .map((l) => l.toFixed(2))
        .join(' / ');
      environment.durationSeconds = Math.round((Date.now() - started) / 1000);
      environment.videoProxy = `placed as the asset's derivative (ingest of a 1 h file would transcode for ~1 h): ${(media.size / 2 ** 30).toFixed(2)} GiB, x264 veryfast CRF 23, GOP ${FPS}, 1 min of testsrc2 ×60 stream-copied`;
      if (env.errors.length) environment.pageErrors = env.errors.slice(0, 5).join(' | ');
      log(`done after ${environment.durationSeconds} s`);
      return figures;
    } finally {
      for (const b of browsers) await b.close().catch(() => {});
      await web?.stop();
      await stack?.stop();
      await bare.close();
    }
  },
};

export default suite;
