// What the quality engine records in codes (agreement metrics, sampling plans, strata), said in the words a
// QA auditor, an expert and an ops manager use. Unknown codes still read as words, never as raw identifiers.

/** The parts a metric code is made of, in words. */
const METRIC_PARTS: Record<string, string> = {
  'percent-agreement': 'exact agreement',
  jaccard: 'overlap of the chosen labels (Jaccard)',
  'mean-dice': 'mean Dice overlap per structure',
  'class-agreement': 'class agreement',
};

const MATCHED: Record<string, string> = {
  object: 'objects',
  instance: 'instances',
  track: 'tracks',
  line: 'lines',
  segmental: 'phase segments',
};

/** How a threshold after `@` reads: IoU for objects, OKS for keypoints, a tolerance for lines. */
function thresholdWords(what: string, at: string): string {
  if (at.startsWith('oks')) return `${what} matched at keypoint similarity (OKS) ≥ ${at.slice(3)}`;
  if (at === 'tolerance') return `${what} matched within the distance tolerance`;
  return `${what} matched at overlap (IoU) ≥ ${at}`;
}

/** One factor of a metric, e.g. `object-f1@0.5` or `class-agreement`. */
function factorWords(factor: string): string {
  if (METRIC_PARTS[factor]) return METRIC_PARTS[factor];
  const f1 = /^([a-z]+)-f1@(.+)$/.exec(factor);
  if (f1) return `F1 of ${thresholdWords(MATCHED[f1[1]!] ?? f1[1]!, f1[2]!)}`;
  return factor.replace(/[-_]+/g, ' ');
}

/** An agreement metric code in words: `object-f1@0.5-x-class-agreement` → "F1 of objects matched at … × class agreement". */
export function metricInWords(metric: string | null | undefined): string {
  if (!metric) return '';
  return metric
    .split('-x-')
    .map((factor) => factorWords(factor))
    .join(' × ');
}

const PLAN_KIND: Record<string, string> = {
  'zero-acceptance': 'zero-acceptance sampling (any failure rejects the lot)',
  'z1.4': 'ANSI/ASQ Z1.4 sampling, general level II',
  'z14-level-ii': 'ANSI/ASQ Z1.4 sampling, general level II',
};

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** A campaign's sampling plan setting (`zero-acceptance`, `z14-level-ii`) in words. */
export function qaPlanKindInWords(kind: string | null | undefined): string {
  const k = kind ?? 'zero-acceptance';
  return capitalise(PLAN_KIND[k] ?? k.replace(/[-_]+/g, ' '));
}

/** A spot-check plan ({kind, lotSize, sampleSize, acceptNumber}) as a QA auditor states it. */
export function qaPlanInWords(plan: Record<string, unknown> | null | undefined): string {
  if (!plan) return '—';
  const kind = typeof plan.kind === 'string' ? (PLAN_KIND[plan.kind] ?? plan.kind.replace(/[-_]+/g, ' ')) : 'sampling plan';
  const lot = typeof plan.lotSize === 'number' ? plan.lotSize : null;
  const sample = typeof plan.sampleSize === 'number' ? plan.sampleSize : null;
  const accept = typeof plan.acceptNumber === 'number' ? plan.acceptNumber : null;
  const parts = [capitalise(kind)];
  if (sample !== null && lot !== null) parts.push(`check ${plural(sample, 'task')} of ${lot}`);
  if (accept !== null) parts.push(accept === 0 ? 'accept the lot only with no failure' : `accept the lot with at most ${plural(accept, 'failure')}`);
  return parts.join('; ');
}

/**
 * Strata are the annotators behind a consensus (their ids joined). Auditors judge labels, not people: a stratum
 * is shown as a numbered annotator group of the sample, the same number for the same group wherever it appears.
 */
export function strataNames(strata: Iterable<string>): Map<string, string> {
  const distinct = [...new Set([...strata].filter((s) => s !== ''))].sort();
  return new Map(distinct.map((s, i) => [s, `annotator group ${i + 1} of ${distinct.length}`]));
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
