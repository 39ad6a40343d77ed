// Synthetic endoscopy instrument masks for the RLE tests and `pnpm bench quality` (seeded, so both see the same masks).
import type { Rng } from '../random.ts';
import type { Bitmap } from './rle.ts';

/** A row-major instrument-like mask: a few elongated capsules (shafts and jaws) covering a few % of the frame. */
export function instrumentMask(rng: Rng, width: number, height: number): Bitmap {
  const data = new Uint8Array(width * height);
  const blobs = 2 + rng.int(3);
  for (let b = 0; b < blobs; b++) {
    const x0 = rng.next() * width;
    const y0 = rng.next() * height;
    const angle = rng.next() * Math.PI;
    const length = 250 + rng.next() * 450;
    const radius = 12 + rng.next() * 28;
    const x1 = x0 + Math.cos(angle) * length;
    const y1 = y0 + Math.sin(angle) * length;
    const minX = Math.max(0, Math.floor(Math.min(x0, x1) - radius));
    const maxX = Math.min(width - 1, Math.ceil(Math.max(x0, x1) + radius));
    const minY = Math.max(0, Math.floor(Math.min(y0, y1) - radius));
    const maxY = Math.min(height - 1, Math.ceil(Math.max(y0, y1) + radius));
    const dx = x1 - x0;
    const dy = y1 - y0;
    const len2 = dx * dx + dy * dy;
    for (let y = minY; y <= maxY; y++) {
      for (let x = minX; x <= maxX; x++) {
        const t = Math.max(0, Math.min(1, ((x - x0) * dx + (y - y0) * dy) / len2));
        if ((x - x0 - t * dx) ** 2 + (y - y0 - t * dy) ** 2 <= radius * radius) data[y * width + x] = 1;
      }
    }
  }
  return { width, height, data };
}

/**
 * The same instruments as drawn by a second annotator: the mask moved by (dx, dy) pixels, cut at the frame
 * edges, so the pair overlaps strongly but not exactly.
 */
export function shiftedMask(mask: Bitmap, dx: number, dy: number): Bitmap {
  const { width, height, data } = mask;
  const out = new Uint8Array(width * height);
  for (let y = Math.max(0, dy); y < Math.min(height, height + dy); y++) {
    const from = (y - dy) * width;
    const x0 = Math.max(0, dx);
    const x1 = Math.min(width, width + dx);
    if (x1 > x0) out.set(data.subarray(from + x0 - dx, from + x1 - dx), y * width + x0);
  }
  return { width, height, data: out };
}
