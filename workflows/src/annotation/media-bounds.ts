// The bounds of a task's media, read from what ingest recorded on the asset (never PHI): image and frame
// size, the video's frame count, the volume grid. Labels are checked against these.
import type { MediaBounds } from './module.ts';

interface AssetLike {
  kind: string;
  metadata: unknown;
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : undefined);
const obj = (v: unknown): Record<string, unknown> => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

/** Bounds of an asset as ingest described it; empty when the asset is unknown or not ingested. */
export function mediaBoundsOf(asset: AssetLike | null | undefined): MediaBounds {
  if (!asset) return {};
  const meta = obj(asset.metadata);
  const probe = obj(meta.probe);
  switch (asset.kind) {
    case 'IMAGE':
      return strip({ width: num(probe.width), height: num(probe.height) });
    case 'VIDEO': {
      // Frame numbers in labels are those of the proxy the workspace plays; exports map them to the source.
      const proxy = obj(meta.proxy);
      return strip({ width: num(proxy.width) ?? num(probe.width), height: num(proxy.height) ?? num(probe.height), frameCount: num(proxy.frameCount) });
    }
    case 'DICOM': {
      const width = num(probe.columns);
      const height = num(probe.rows);
      const frames = num(probe.numberOfFrames) ?? 1;
      const series = obj(meta.series);
      const slices = num(series.slices);
      const depth = slices ?? frames;
      return strip({ width, height, frameCount: frames, volume: width && height ? { dims: [width, height, depth] } : undefined });
    }
    case 'NIFTI': {
      const dims = Array.isArray(probe.dims) ? (probe.dims as unknown[]).map(num) : [];
      const spacing = Array.isArray(probe.spacing) ? (probe.spacing as unknown[]).map(num) : [];
      const [x, y, z = 1] = dims;
      if (!x || !y) return {};
      const sp = spacing[0] && spacing[1] ? ([spacing[0], spacing[1], spacing[2] ?? 1] as [number, number, number]) : undefined;
      return { width: x, height: y, frameCount: z, volume: { dims: [x, y, z], ...(sp ? { spacing: sp } : {}) } };
    }
    default:
      return {};
  }
}

function strip(b: Record<string, unknown>): MediaBounds {
  return Object.fromEntries(Object.entries(b).filter(([, v]) => v !== undefined)) as MediaBounds;
}
