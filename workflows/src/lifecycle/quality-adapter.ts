// The lifecycle's view of the quality engine: per-task agreement and consensus by geometry kind,
// the spot-check plan and its sample. Pure and deterministic.
import type { GeometryKind, QaSettings } from '../domain/label-schema.ts';

export interface SubmittedLabel {
  annotationId: string;
  userId: string;
  data: unknown;
}

export interface TaskAgreement {
  /** In [0, 1] for the metrics used per task (pairwise agreement, mean IoU, segment overlap). */
  value: number;
  metric: string;
}

export function taskAgreement(geometry: GeometryKind, labels: SubmittedLabel[]): TaskAgreement {
  if (labels.length < 2) throw new Error(`agreement needs at least two labels, got ${labels.length}`);
  const pairs: Array<[SubmittedLabel, SubmittedLabel]> = [];
  for (let i = 0; i < labels.length; i++) for (let j = i + 1; j < labels.length; j++) pairs.push([labels[i]!, labels[j]!]);
  switch (geometry) {
    case 'classification': {
      const same = pairs.filter(([a, b]) => labelOf(a.data) === labelOf(b.data)).length;
      return { value: same / pairs.length, metric: 'pairwise-percent-agreement' };
    }
    case 'bbox': {
      const ious = pairs.map(([a, b]) => matchedBoxIou(boxesOf(a.data), boxesOf(b.data)));
      return { value: ious.reduce((s, v) => s + v, 0) / ious.length, metric: 'mean-matched-box-iou' };
    }
    default: {
      const same = pairs.filter(([a, b]) => JSON.stringify(a.data) === JSON.stringify(b.data)).length;
      return { value: same / pairs.length, metric: 'exact-match' };
    }
  }
}

export interface TaskConsensus {
  data: unknown;
  method: string;
  /** Per annotator: 1 when their label equals the consensus, else their overlap with it. */
  support: Record<string, number>;
}

export function taskConsensus(geometry: GeometryKind, labels: SubmittedLabel[]): TaskConsensus {
  if (labels.length === 0) throw new Error('consensus needs at least one label');
  if (geometry === 'classification') {
    const votes = new Map<string, number>();
    for (const l of labels) votes.set(labelOf(l.data), (votes.get(labelOf(l.data)) ?? 0) + 1);
    // Tie policy: the label whose first vote came earliest (submission order) wins.
    let best = labelOf(labels[0]!.data);
    for (const [label, n] of votes) if (n > (votes.get(best) ?? 0)) best = label;
    return { data: { label: best }, method: 'majority-vote', support: Object.fromEntries(labels.map((l) => [l.userId, labelOf(l.data) === best ? 1 : 0])) };
  }
  // Geometry without a fusion method yet: the label that agrees most with the others.
  let bestIndex = 0;
  let bestScore = -1;
  labels.forEach((candidate, i) => {
    const others = labels.filter((_, j) => j !== i);
    const score = others.length === 0 ? 1 : others.reduce((s, o) => s + taskAgreement(geometry, [candidate, o]).value, 0) / others.length;
    if (score > bestScore) {
      bestScore = score;
      bestIndex = i;
    }
  });
  const chosen = labels[bestIndex]!;
  return {
    data: chosen.data,
    method: 'medoid',
    support: Object.fromEntries(labels.map((l) => [l.userId, l === chosen ? 1 : taskAgreement(geometry, [chosen, l]).value])),
  };
}

function labelOf(data: unknown): string {
  return typeof data === 'object' && data !== null && 'label' in data ? String((data as { label: unknown }).label) : JSON.stringify(data);
}

type Box = { label: string; box: [number, number, number, number] };
function boxesOf(data: unknown): Box[] {
  return typeof data === 'object' && data !== null && Array.isArray((data as { objects?: unknown }).objects) ? (data as { objects: Box[] }).objects : [];
}

function iou(a: Box['box'], b: Box['box']): number {
  const x1 = Math.max(a[0], b[0]);
  const y1 = Math.max(a[1], b[1]);
  const x2 = Math.min(a[0] + a[2], b[0] + b[2]);
  const y2 = Math.min(a[1] + a[3], b[1] + b[3]);
  const inter = Math.max(0, x2 - x1) * Math.max(0, y2 - y1);
  const union = a[2] * a[3] + b[2] * b[3] - inter;
  return union === 0 ? 1 : inter / union;
}

/** Greedy one-to-one matching by IoU; unmatched objects count as zero. Two empty sets agree fully. */
function matchedBoxIou(a: Box[], b: Box[]): number {
  if (a.length === 0 && b.length === 0) return 1;
  const candidates: Array<[number, number, number]> = [];
  a.forEach((x, i) => b.forEach((y, j) => x.label === y.label && candidates.push([iou(x.box, y.box), i, j])));
  candidates.sort((p, q) => q[0] - p[0]);
  const usedA = new Set<number>();
  const usedB = new Set<number>();
  let sum = 0;
  for (const [v, i, j] of candidates) {
    if (usedA.has(i) || usedB.has(j)) continue;
    usedA.add(i);
    usedB.add(j);
    sum += v;
  }
  return sum / Math.max(a.length, b.length);
}

export interface SpotCheckPlan {
  kind: QaSettings['plan'];
  lotSize: number;
  sampleSize: number;
  acceptNumber: number;
}

/** Smallest n such that a lot with the tolerable error rate shows no error in n draws with probability <= 1 - confidence. */
export function spotCheckPlan(lotSize: number, settings: QaSettings): SpotCheckPlan {
  if (lotSize <= 0) return { kind: settings.plan, lotSize, sampleSize: 0, acceptNumber: 0 };
  const defects = Math.max(1, Math.ceil(settings.tolerableErrorRate * lotSize));
  let pZero = 1;
  for (let n = 1; n <= lotSize; n++) {
    pZero *= (lotSize - defects - (n - 1)) / (lotSize - (n - 1));
    if (pZero <= 1 - settings.confidence) return { kind: settings.plan, lotSize, sampleSize: n, acceptNumber: 0 };
  }
  return { kind: settings.plan, lotSize, sampleSize: lotSize, acceptNumber: 0 };
}

export interface SampleItem {
  id: string;
  stratum: string;
}

/** Seeded, stratified (proportional, with a minimum per stratum) sample without replacement. */
export function drawSpotCheckSample(items: SampleItem[], size: number, seed: string, minPerStratum: number): string[] {
  const rng = mulberry32(hashSeed(seed));
  const strata = new Map<string, string[]>();
  for (const item of [...items].sort((a, b) => (a.id < b.id ? -1 : 1))) {
    const list = strata.get(item.stratum) ?? [];
    list.push(item.id);
    strata.set(item.stratum, list);
  }
  const keys = [...strata.keys()].sort();
  const total = items.length;
  const quota = new Map(keys.map((k) => [k, Math.min(strata.get(k)!.length, Math.max(minPerStratum, Math.floor((size * strata.get(k)!.length) / total)))]));
  let allocated = [...quota.values()].reduce((s, v) => s + v, 0);
  for (let i = 0; allocated < Math.min(size, total); i = (i + 1) % keys.length) {
    const k = keys[i]!;
    if (quota.get(k)! < strata.get(k)!.length) {
      quota.set(k, quota.get(k)! + 1);
      allocated += 1;
    }
  }
  const picked: string[] = [];
  for (const k of keys) {
    const pool = [...strata.get(k)!];
    for (let n = 0; n < quota.get(k)!; n++) {
      const idx = Math.floor(rng() * pool.length);
      picked.push(pool.splice(idx, 1)[0]!);
    }
  }
  return picked.sort();
}

function hashSeed(seed: string): number {
  let h = 2166136261;
  for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 16777619);
  return h >>> 0;
}

function mulberry32(a: number): () => number {
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
