// Every annotation type end to end on the real stack (PostgreSQL, Temporal, S3, ffmpeg, the API and the
// worker): per kind, two annotators who agree (one sends the same label with its keys in another order)
// reach ACCEPTED with a consensus that agrees with their label; two who disagree send the task to an
// expert, whose choice becomes the consensus. Payloads are built against each asset's ingested bounds.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { annotationType, mediaBoundsOf, parseLabel, type MediaBounds } from '@suture/workflows/annotation/registry';
import { labelSchemaSchema } from '@suture/workflows/domain/label-schema';
import { rleEncode, rleToString } from '@suture/workflows/quality';
import { frameNumberVideo, niftiDir, tempDir } from '@suture/workflows/media/test-support';
import { gql, startStack, waitFor, type Stack } from '../support/stack.ts';
import { bootstrapAdmin, register, startBatch, syntheticFrame, uploadAsset, type Person, everyoneAsMembers } from '../support/scenario.ts';

type Json = Record<string, unknown>;
const CLASSES = [
  { key: 'liver', name: 'Liver' },
  { key: 'gallbladder', name: 'Gallbladder' },
];

/** Reverses the key order of every object, recursively: the same label as far as a person is concerned. */
function reordered(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reordered);
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value)
        .reverse()
        .map(([k, v]) => [k, reordered(v)]),
    );
  return value;
}

function rect(b: MediaBounds, fx: number, fy: number, fw: number, fh: number): [number, number, number, number] {
  const w = b.width!;
  const h = b.height!;
  return [Math.round(fx * w), Math.round(fy * h), Math.max(2, Math.round(fw * w)), Math.max(2, Math.round(fh * h))];
}

function maskRle(b: MediaBounds, r: [number, number, number, number]) {
  const data = new Uint8Array(b.width! * b.height!);
  for (let y = r[1]; y < r[1] + r[3]; y++) for (let x = r[0]; x < r[0] + r[2]; x++) data[y * b.width! + x] = 1;
  const rle = rleEncode({ width: b.width!, height: b.height!, data });
  return { size: rle.size, counts: rleToString(rle) };
}

function volumeRuns(dims: [number, number, number], from: [number, number, number], to: [number, number, number]): number[] {
  const [X, Y, Z] = dims;
  const counts: number[] = [];
  let current = 0;
  let run = 0;
  for (let z = 0; z < Z; z++)
    for (let y = 0; y < Y; y++)
      for (let x = 0; x < X; x++) {
        const v = x >= from[0] && x < to[0] && y >= from[1] && y < to[1] && z >= from[2] && z < to[2] ? 1 : 0;
        if (v !== current) {
          counts.push(run);
          run = 0;
          current = v;
        }
        run++;
      }
  counts.push(run);
  return counts;
}

interface Kind {
  schema: Json;
  media: 'image' | 'video' | 'nifti';
  /** A label, and one that clearly disagrees with it, for a task with these bounds. */
  labels(b: MediaBounds): { a: Json; b: Json };
}

const KINDS: Record<string, Kind> = {
  classification: { schema: {}, media: 'image', labels: () => ({ a: { label: 'liver' }, b: { label: 'gallbladder' } }) },
  bbox: {
    schema: {},
    media: 'image',
    labels: (m) => ({ a: { objects: [{ label: 'liver', box: rect(m, 0.1, 0.1, 0.3, 0.3) }] }, b: { objects: [{ label: 'liver', box: rect(m, 0.6, 0.6, 0.3, 0.3) }] } }),
  },
  polygon: {
    schema: {},
    media: 'image',
    labels: (m) => {
      const ring = ([x, y, w, h]: number[]) => [
        [x, y],
        [x! + w!, y],
        [x! + w!, y! + h!],
        [x, y! + h!],
      ];
      return { a: { objects: [{ label: 'liver', rings: [ring(rect(m, 0.1, 0.1, 0.3, 0.3))] }] }, b: { objects: [{ label: 'liver', rings: [ring(rect(m, 0.6, 0.6, 0.3, 0.3))] }] } };
    },
  },
  mask: {
    schema: {},
    media: 'image',
    labels: (m) => ({
      a: { objects: [{ label: 'liver', rle: maskRle(m, rect(m, 0.1, 0.1, 0.3, 0.3)) }] },
      b: { objects: [{ label: 'liver', rle: maskRle(m, rect(m, 0.6, 0.6, 0.3, 0.3)) }] },
    }),
  },
  keypoints: {
    schema: { keypoints: ['tip', 'joint'], skeleton: [['tip', 'joint']] },
    media: 'image',
    labels: (m) => ({
      a: {
        objects: [
          {
            label: 'liver',
            points: [
              [0.2 * m.width!, 0.2 * m.height!, 2],
              [0.3 * m.width!, 0.3 * m.height!, 2],
            ],
          },
        ],
      },
      b: {
        objects: [
          {
            label: 'liver',
            points: [
              [0.8 * m.width!, 0.8 * m.height!, 2],
              [0.9 * m.width!, 0.7 * m.height!, 2],
            ],
          },
        ],
      },
    }),
  },
  polyline: {
    schema: { polylineTolerance: 3 },
    media: 'image',
    labels: (m) => ({
      a: {
        objects: [
          {
            label: 'liver',
            points: [
              [0.1 * m.width!, 0.1 * m.height!],
              [0.5 * m.width!, 0.4 * m.height!],
            ],
          },
        ],
      },
      b: {
        objects: [
          {
            label: 'liver',
            points: [
              [0.6 * m.width!, 0.9 * m.height!],
              [0.95 * m.width!, 0.6 * m.height!],
            ],
          },
        ],
      },
    }),
  },
  track: {
    schema: {},
    media: 'video',
    labels: (m) => {
      const last = m.frameCount! - 1;
      const track = (fx: number) => ({
        id: 1,
        label: 'liver',
        keyframes: [
          { frame: 0, box: rect(m, fx, 0.1, 0.3, 0.3) },
          { frame: last, box: rect(m, fx + 0.05, 0.2, 0.3, 0.3) },
        ],
      });
      return { a: { tracks: [track(0.05)] }, b: { tracks: [track(0.6)] } };
    },
  },
  phases: {
    schema: {
      phases: [
        { key: 'preparation', name: 'Preparation' },
        { key: 'dissection', name: 'Dissection' },
      ],
    },
    media: 'video',
    labels: (m) => {
      const n = m.frameCount!;
      const half = Math.floor(n / 2);
      return {
        a: {
          segments: [
            { phase: 'preparation', start: 0, end: half },
            { phase: 'dissection', start: half, end: n },
          ],
        },
        b: { segments: [{ phase: 'dissection', start: 0, end: n }] },
      };
    },
  },
  volume: {
    schema: {},
    media: 'nifti',
    labels: (m) => {
      const dims = m.volume!.dims;
      const third = dims.map((d) => Math.floor(d / 3)) as [number, number, number];
      return {
        a: { dims, segments: [{ label: 'liver', rle: { counts: volumeRuns(dims, [0, 0, 0], third) } }] },
        b: { dims, segments: [{ label: 'liver', rle: { counts: volumeRuns(dims, [third[0] * 2, third[1] * 2, third[2] * 2], dims) } }] },
      };
    },
  },
};

const CLAIM = `mutation($c: ID!) { claimNextTask(campaignId: $c) { ... on Assignment { id taskId } ... on DomainError { code message } } }`;
const SUBMIT = `mutation($a: ID!, $d: JSON!, $k: String!) { submitAnnotation(assignmentId: $a, data: $d, idempotencyKey: $k) { ... on Annotation { id } ... on DomainError { code message } } }`;

describe('every annotation type through the lifecycle', () => {
  let stack: Stack;
  let ops: Person;
  let annotators: Person[];
  let expert: Person;
  const campaigns = new Map<string, { campaignId: string; batchId: string }>();

  beforeAll(async () => {
    stack = await startStack();
    const admin = await bootstrapAdmin(stack);
    ops = await register(stack, admin, 'Olivia Ops', ['OPS_MANAGER']);
    annotators = [await register(stack, admin, 'Ann', ['ANNOTATOR'], [['laparoscopy', 3]]), await register(stack, admin, 'Ben', ['ANNOTATOR'], [['laparoscopy', 3]])];
    expert = await register(stack, admin, 'Dr Eve Expert', ['EXPERT'], [], 'board-certified-surgeon');
    const work = tempDir('suture-kinds-');
    const videos = [30, 40].map((frames) => {
      const path = join(work, `clip-${frames}.mp4`);
      frameNumberVideo(path, frames, 25);
      return readFileSync(path);
    });
    const media = {
      image: async () => [await syntheticFrame(1), await syntheticFrame(2)].map((body) => ({ body, type: 'image/png' })),
      video: async () => videos.map((body) => ({ body, type: 'video/mp4' })),
      // Two volumes on the same grid, one plain and one gzipped (uploads carry no file name).
      nifti: async () => [
        { body: readFileSync(join(niftiDir, 'anatomical.nii')), type: 'application/x-nifti' },
        { body: readFileSync(join(niftiDir, 'anatomical_label.nii.gz')), type: 'application/gzip' },
      ],
    };
    for (const [kind, spec] of Object.entries(KINDS)) {
      const created = await gql<{ createCampaign: { id?: string; message?: string } }>(
        stack.apiUrl,
        ops.token,
        `mutation($i: CreateCampaignInput!) { createCampaign(input: $i) { ... on Campaign { id } ... on DomainError { message } } }`,
        {
          i: {
            name: `Kind ${kind}`,
            labelSchema: { geometry: kind, classes: CLASSES, ...spec.schema },
            overlap: 2,
            agreementThreshold: 0.9,
            qaSettings: { tolerableErrorRate: 0.9, confidence: 0.1, seed: 'kinds', minPerStratum: 0 },
            claimSlaSeconds: 600,
            reviewCredential: 'board-certified-surgeon',
            requiredSkills: [{ key: 'laparoscopy', minLevel: 1 }],
            members: await everyoneAsMembers(stack, ops),
            payRates: [{ kind: 'LABEL', amountCents: 10 }],
          },
        },
      );
      const campaignId = created.createCampaign.id;
      if (!campaignId) throw new Error(`createCampaign ${kind}: ${created.createCampaign.message}`);
      const assetIds = [];
      for (const m of await media[spec.media]()) assetIds.push(await uploadAsset(stack, ops, campaignId, m.body, m.type));
      const batch = await gql<{ createBatch: { id?: string; message?: string } }>(
        stack.apiUrl,
        ops.token,
        `mutation($c: ID!, $a: [ID!]!) { createBatch(campaignId: $c, name: "Kinds", assetIds: $a) { ... on Batch { id } ... on DomainError { message } } }`,
        { c: campaignId, a: assetIds },
      );
      if (!batch.createBatch.id) throw new Error(`createBatch ${kind}: ${batch.createBatch.message}`);
      await gql(stack.apiUrl, ops.token, `mutation($c: ID!) { setCampaignStatus(id: $c, status: ACTIVE) { ... on Campaign { id } } }`, { c: campaignId });
      await startBatch(stack, ops, batch.createBatch.id);
      campaigns.set(kind, { campaignId, batchId: batch.createBatch.id });
    }
  }, 600_000);

  afterAll(async () => {
    await stack?.stop();
  });

  for (const kind of Object.keys(KINDS)) {
    it(`${kind}: agreement accepts with consensus, disagreement goes to the expert`, async () => {
      const { campaignId, batchId } = campaigns.get(kind)!;
      const opened = await waitFor(
        `${kind} tasks open`,
        async () => {
          const failed = await stack.prisma.asset.findFirst({ where: { campaignId, status: 'FAILED' } });
          if (failed) return `ingest failed: ${failed.errorCode} ${failed.errorMessage}`;
          return (await stack.prisma.task.count({ where: { batchId, status: 'OPEN' } })) === 2 && 'open';
        },
        240_000,
      );
      expect(opened).toBe('open');
      const campaign = await stack.prisma.campaign.findUniqueOrThrow({ where: { id: campaignId } });
      const schema = labelSchemaSchema.parse(campaign.labelSchema);

      const labelTask = async (who: Person, pick: (m: MediaBounds) => Json, key: string) => {
        const claim = (await gql<{ claimNextTask: { id?: string; taskId?: string; code?: string; message?: string } }>(stack.apiUrl, who.token, CLAIM, { c: campaignId }))
          .claimNextTask;
        if (!claim.id) throw new Error(`${kind} claim: ${claim.code} ${claim.message}`);
        const task = await stack.prisma.task.findUniqueOrThrow({ where: { id: claim.taskId! }, include: { asset: true } });
        const bounds = mediaBoundsOf(task.asset);
        const data = pick(bounds);
        const res = (
          await gql<{ submitAnnotation: { id?: string; code?: string; message?: string } }>(stack.apiUrl, who.token, SUBMIT, { a: claim.id, d: data, k: `${kind}-${key}` })
        ).submitAnnotation;
        if (!res.id) throw new Error(`${kind} submit ${key}: ${res.code} ${res.message}`);
        return { taskId: claim.taskId!, bounds, data, frame: task.frameIndex };
      };

      // Agreement: the second annotator sends the same label with every key in another order.
      const first = await labelTask(annotators[0]!, (m) => KINDS[kind]!.labels(m).a, 'agree-1');
      const second = await labelTask(annotators[1]!, (m) => reordered(KINDS[kind]!.labels(m).a) as Json, 'agree-2');
      expect(second.taskId).toBe(first.taskId);
      const accepted = await waitFor(`${kind} agreeing task accepted`, async () => {
        const t = await stack.prisma.task.findUniqueOrThrow({ where: { id: first.taskId } });
        if (t.status === 'IN_REVIEW') throw new Error(`${kind}: identical labels went to review (agreement ${t.agreement}, ${t.reviewReason})`);
        return t.status === 'ACCEPTED' ? t : null;
      });
      expect(accepted.agreement).toBeCloseTo(1, 6);
      const ctx = { schema, media: first.bounds, frame: first.frame };
      const consensus = parseLabel(ctx, accepted.consensus);
      expect(consensus.ok).toBe(true);
      const canonical = parseLabel(ctx, first.data);
      if (!consensus.ok || !canonical.ok) throw new Error('unreachable');
      expect(annotationType(schema.geometry).agreement(consensus.value, canonical.value, ctx).value).toBeCloseTo(1, 6);

      // Disagreement: to the expert, whose pick is the consensus.
      const third = await labelTask(annotators[0]!, (m) => KINDS[kind]!.labels(m).a, 'disagree-1');
      const fourth = await labelTask(annotators[1]!, (m) => KINDS[kind]!.labels(m).b, 'disagree-2');
      expect(fourth.taskId).toBe(third.taskId);
      await waitFor(`${kind} disagreeing task in review`, async () => (await stack.prisma.task.findUniqueOrThrow({ where: { id: third.taskId } })).status === 'IN_REVIEW');
      // A claim skips a task row another transaction holds (the worker re-checking it): NO_TASK_AVAILABLE for a
      // moment, as an expert's console would see it; the expert asks again.
      const review = await waitFor(`${kind} review claimed`, async () => {
        const claim = (
          await gql<{ claimNextReview: { id?: string; taskId?: string; task?: { submittedLabels: Array<{ id: string; annotator: { id: string } }> }; code?: string } }>(
            stack.apiUrl,
            expert.token,
            `mutation { claimNextReview { ... on Assignment { id taskId task { submittedLabels { id annotator { id } } } } ... on DomainError { code message } } }`,
          )
        ).claimNextReview;
        if (claim.code && claim.code !== 'NO_TASK_AVAILABLE') throw new Error(`${kind} claimNextReview: ${claim.code}`);
        return claim.id ? claim : null;
      });
      expect(review.taskId).toBe(third.taskId);
      const annsLabel = review.task!.submittedLabels.find((l) => l.annotator.id === annotators[0]!.id)!;
      const decided = await gql<{ submitReview: { id?: string; message?: string } }>(
        stack.apiUrl,
        expert.token,
        `mutation($a: ID!, $c: ID!, $k: String!) { submitReview(assignmentId: $a, chosenAnnotationId: $c, idempotencyKey: $k) { ... on Review { id } ... on DomainError { message } } }`,
        { a: review.id, c: annsLabel.id, k: `${kind}-review` },
      );
      expect(decided.submitReview.id).toBeDefined();
      const resolved = await waitFor(`${kind} reviewed task accepted`, async () => {
        const t = await stack.prisma.task.findUniqueOrThrow({ where: { id: third.taskId } });
        return t.status === 'ACCEPTED' ? t : null;
      });
      const stored = parseLabel({ schema, media: third.bounds, frame: third.frame }, third.data);
      expect(stored.ok && resolved.consensus).toEqual(stored.ok ? stored.value : null);
      expect(resolved.consensusMethod).toBe('expert-review:accept_annotation');
    });
  }
});
