// Quality engine benchmarks: Dawid-Skene at 1M labels, RLE mask IoU at 1080p, STAPLE on a 5-rater volume.
import { performance } from 'node:perf_hooks';
import { bitmapIoU, createRng, dawidSkeneEncoded, majorityVoteEncoded, pixelMajorityVote, rleEncode, rleIoU, staple, type Bitmap, type Rng } from '@suture/workflows/quality';
import type { BenchFigure, BenchSuite } from './types.ts';

function best(runs: number, fn: () => void): number {
  let min = Infinity;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    fn();
    min = Math.min(min, performance.now() - t);
  }
  return min;
}

function dawidSkeneFigure(): BenchFigure {
  const rng = createRng('bench-ds');
  const nTasks = 200_000;
  const perTask = 5;
  const nWorkers = 500;
  const K = 4;
  const accuracy = Array.from({ length: nWorkers }, () => 0.35 + 0.6 * rng.next());
  const n = nTasks * perTask;
  const taskOf = new Int32Array(n);
  const workerOf = new Int32Array(n);
  const labelOf = new Int32Array(n);
  const truth = new Int32Array(nTasks);
  for (let t = 0, i = 0; t < nTasks; t++) {
    const y = rng.int(K);
    truth[t] = y;
    const start = rng.int(nWorkers);
    for (let k = 0; k < perTask; k++, i++) {
      const w = (start + k * 97) % nWorkers;
      taskOf[i] = t;
      workerOf[i] = w;
      labelOf[i] = rng.next() < (accuracy[w] as number) ? y : (y + 1 + rng.int(K - 1)) % K;
    }
  }
  let result = dawidSkeneEncoded({ nTasks, nWorkers, nClasses: K, taskOf, workerOf, labelOf });
  const dsMs = best(3, () => {
    result = dawidSkeneEncoded({ nTasks, nWorkers, nClasses: K, taskOf, workerOf, labelOf });
  });
  let mv: Int32Array = new Int32Array(0);
  const mvMs = best(3, () => {
    mv = majorityVoteEncoded(nTasks, K, taskOf, labelOf);
  });
  const acc = (labels: Int32Array) => labels.reduce((s, l, t) => s + (l === truth[t] ? 1 : 0), 0) / nTasks;
  return {
    name: 'Dawid-Skene, 1,000,000 labels (200k tasks × 5, 4 classes, 500 workers)',
    unit: 'ms',
    value: dsMs,
    baselineName: 'majority vote, same labels',
    baselineValue: mvMs,
    ratio: dsMs / mvMs,
    target: 'under 2000 ms',
    met: dsMs < 2000,
    note: 'lower is better; best of 3 runs',
    extra: { iterations: result.iterations, dsAccuracy: Number(acc(result.labels).toFixed(4)), mvAccuracy: Number(acc(mv).toFixed(4)) },
  };
}

/** A 1920×1080 instrument-like mask: a few elongated capsules (shafts and jaws) covering a few % of the frame. */
function instrumentMask(rng: Rng, width: number, height: number): Bitmap {
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

function rleFigure(): BenchFigure {
  const rng = createRng('bench-rle');
  const pairs = 20;
  const masks = Array.from({ length: pairs * 2 }, () => instrumentMask(rng, 1920, 1080));
  const coverage = masks.reduce((s, m) => s + m.data.reduce((a, v) => a + v, 0) / m.data.length, 0) / masks.length;
  const rles = masks.map(rleEncode);
  let sink = 0;
  const rounds = 20;
  const rleMs = best(3, () => {
    for (let r = 0; r < rounds; r++) for (let p = 0; p < pairs; p++) sink += rleIoU(rles[2 * p]!, rles[2 * p + 1]!);
  });
  const bitmapMs = best(3, () => {
    for (let p = 0; p < pairs; p++) sink += bitmapIoU(masks[2 * p]!, masks[2 * p + 1]!);
  });
  const rlePerSec = (rounds * pairs) / (rleMs / 1000);
  const bitmapPerSec = pairs / (bitmapMs / 1000);
  return {
    name: 'RLE IoU, 1920×1080 instrument masks (pre-encoded)',
    unit: 'pairs/s',
    value: rlePerSec,
    baselineName: 'typed-array bitmap IoU loop',
    baselineValue: bitmapPerSec,
    ratio: rlePerSec / bitmapPerSec,
    target: 'at least 3× the bitmap loop',
    met: rlePerSec >= 3 * bitmapPerSec,
    note: 'higher is better',
    extra: { meanCoverage: Number(coverage.toFixed(4)), meanRuns: Math.round(rles.reduce((s, r) => s + r.counts.length, 0) / rles.length), checksum: Number(sink.toFixed(3)) },
  };
}

function stapleFigure(): BenchFigure {
  const rng = createRng('bench-staple');
  const [X, Y, Z] = [256, 256, 100];
  const n = X * Y * Z;
  const truth = new Uint8Array(n);
  for (let z = 0; z < Z; z++)
    for (let y = 0; y < Y; y++)
      for (let x = 0; x < X; x++) {
        if ((x - 128) ** 2 / 60 ** 2 + (y - 128) ** 2 / 40 ** 2 + (z - 50) ** 2 / 30 ** 2 <= 1) truth[x + X * (y + Y * z)] = 1;
      }
  const raters = [0.02, 0.03, 0.05, 0.08, 0.2].map((flip) => truth.map((v) => (rng.next() < flip ? 1 - v : v)));
  let result = staple(raters);
  const stapleMs = best(2, () => {
    result = staple(raters);
  });
  let mv: Uint8Array = new Uint8Array(0);
  const mvMs = best(2, () => {
    mv = pixelMajorityVote(raters);
  });
  let agree = 0;
  for (let i = 0; i < n; i++) if ((result.probability[i]! >= 0.5 ? 1 : 0) === truth[i]) agree++;
  let mvAgree = 0;
  for (let i = 0; i < n; i++) if (mv[i] === truth[i]) mvAgree++;
  return {
    name: 'STAPLE, 5 raters × 256×256×100 volume',
    unit: 'ms',
    value: stapleMs,
    baselineName: 'pixel majority vote, same volume',
    baselineValue: mvMs,
    ratio: stapleMs / mvMs,
    note: 'lower is better; best of 2 runs',
    extra: { iterations: result.iterations, stapleVoxelAccuracy: Number((agree / n).toFixed(5)), mvVoxelAccuracy: Number((mvAgree / n).toFixed(5)) },
  };
}

const suite: BenchSuite = {
  id: 'quality',
  title: 'Quality engine (agreement and consensus)',
  async run() {
    return [dawidSkeneFigure(), rleFigure(), stapleFigure()];
  },
};

export default suite;
