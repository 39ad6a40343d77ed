// How an asset's ingest reads in the console: its step (Asset.ingestStep), the progress over all steps,
// and what a READY video's metadata says about its proxy, trim and sprite strip.

/** The working steps of ingest in order; then `done` or `failed`. Not every kind runs every step. */
export const INGEST_STEPS = ['download', 'hash', 'probe', 'deidentify', 'proxy', 'derivatives'] as const;

const STEP_LABELS: Record<string, string> = {
  download: 'Downloading the upload',
  hash: 'Hashing',
  probe: 'Probing',
  deidentify: 'De-identifying',
  proxy: 'Making the proxy',
  derivatives: 'Storing derivatives',
  done: 'Done',
  failed: 'Failed',
};

/** "Making the proxy"; a step this console does not know reads as itself. */
export function ingestStepLabel(step: string | null): string {
  if (step === null) return 'Not started';
  return STEP_LABELS[step] ?? step;
}

/** Whether ingest is working on the asset now (a step, neither done nor failed). */
export function ingestRunning(step: string | null): boolean {
  return step !== null && step !== 'done' && step !== 'failed';
}

/** Progress over the whole of ingest, 0..1: the step's place plus its own progress; null before it starts or after a failure. */
export function ingestFraction(step: string | null, progress: number | null): number | null {
  if (step === 'done') return 1;
  const at = INGEST_STEPS.indexOf(step as (typeof INGEST_STEPS)[number]);
  if (at < 0) return null;
  const within = progress !== null && Number.isFinite(progress) ? Math.min(1, Math.max(0, progress)) : 0;
  return (at + within) / INGEST_STEPS.length;
}

const num = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null);
const obj = (value: unknown): Record<string, unknown> => (typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {});

export interface VideoFacts {
  duration: number | null;
  frameCount: number | null;
  fps: number | null;
  width: number | null;
  height: number | null;
  sprite: { count: number; interval: number | null } | null;
  /** The trim ingest applied, with the source frames it kept. */
  trim: { startSeconds: number; endSeconds: number; firstSourceFrame: number | null; lastSourceFrame: number | null } | null;
}

/** What a video's ingest metadata says (all null before ingest made a proxy). */
export function videoFacts(metadata: unknown): VideoFacts {
  const m = obj(metadata);
  const proxy = obj(m.proxy);
  const probe = obj(m.probe);
  const sprite = obj(m.sprite);
  const trim = obj(m.trim);
  const spriteCount = num(sprite.count);
  const trimStart = num(trim.startSeconds);
  const trimEnd = num(trim.endSeconds);
  return {
    duration: num(proxy.duration) ?? num(probe.duration),
    frameCount: num(proxy.frameCount),
    fps: num(proxy.fps) ?? num(m.proxyFps),
    width: num(proxy.width) ?? num(probe.width),
    height: num(proxy.height) ?? num(probe.height),
    sprite: spriteCount ? { count: spriteCount, interval: num(sprite.interval) } : null,
    trim: trimStart !== null && trimEnd !== null ? { startSeconds: trimStart, endSeconds: trimEnd, firstSourceFrame: num(trim.firstSourceFrame), lastSourceFrame: num(trim.lastSourceFrame) } : null,
  };
}

/** 1.5 -> "1.5 s", 75 -> "1:15", null -> "—". */
export function seconds(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  if (value < 60) return `${Number(value.toFixed(2))} s`;
  const s = Math.round(value);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${rest}` : `${m}:${rest}`;
}

/** "0.5–2.5 s", "from 0.5 s", "until 2.5 s", or null without a trim. */
export function trimRange(start: number | null | undefined, end: number | null | undefined): string | null {
  const s = start ?? null;
  const e = end ?? null;
  if (s === null && e === null) return null;
  if (s !== null && e !== null) return `${Number(s.toFixed(3))}–${Number(e.toFixed(3))} s`;
  return s !== null ? `from ${Number(s.toFixed(3))} s` : `until ${Number(e!.toFixed(3))} s`;
}
