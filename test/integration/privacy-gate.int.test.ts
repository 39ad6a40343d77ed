// The privacy gate on the real stack: two endoscopy DICOM frames with burned-in text (flagged by the real text
// detector) wait for a privacy officer beside a clean frame. Before release no annotator can claim their tasks
// (not even if a task were OPEN) or get their media; people who are not the campaign's privacy officer are
// refused; the officer adds a box (and removes another), the worker blacks it out on the de-identified derivative,
// the officer releases the asset, its task opens and the batch finishes. The rejected asset's task is never
// claimed, its derivatives are deleted, and its batches complete without it (one of them with nothing left).
// Every decision is in the audit log, without the rejection's words.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import sharp from 'sharp';
import { batchState, batchWorkflowId, type BatchLifecycleState } from '@suture/workflows/lifecycle/definitions';
import { decodeFrame, extractFrame, frameIndexOf, readDicom } from '@suture/workflows/media';
import { gql, startStack, waitFor, type Stack } from '../support/stack.ts';
import { bootstrapAdmin, register, setMember, startBatch, syntheticFrame, uploadAsset, type Person } from '../support/scenario.ts';
import { audit } from '../support/crowd.ts';
import { dataPath } from '../support/paths.ts';

type Outcome = { __typename?: string; id?: string; code?: string; message?: string; taskId?: string };
type Box = { id: string | null; x: number; y: number; width: number; height: number; automatic: boolean };
type Review = {
  __typename?: string;
  code?: string;
  message?: string;
  reasons: string[];
  revision: number;
  appliedRevision: number;
  applying: boolean;
  boxes: Box[];
  automaticBoxCount: number;
  frames: Array<{ frame: number; width: number; height: number; url: string; automaticBoxes: Box[] }>;
  asset: { id: string };
};

const REVIEW_FIELDS = `reasons revision appliedRevision applying automaticBoxCount boxes { id x y width height automatic }
  frames { frame width height url automaticBoxes { id x y width height automatic } } asset { id }`;
const CLAIM = `mutation($c: ID!) { claimNextTask(campaignId: $c) { __typename ... on Assignment { id taskId } ... on DomainError { code message } } }`;
const SUBMIT = `mutation($a: ID!, $d: JSON!, $k: String!) { submitAnnotation(assignmentId: $a, data: $d, idempotencyKey: $k) { __typename ... on Annotation { id } ... on DomainError { code message } } }`;
const RELEASE = `mutation($a: ID!) { releaseAsset(assetId: $a) { __typename ... on Asset { id privacyStatus } ... on DomainError { code message } } }`;
const REJECT = `mutation($a: ID!, $r: String!) { rejectAsset(assetId: $a, reason: $r) { __typename ... on Asset { id privacyStatus } ... on DomainError { code message } } }`;
const ADD_BOX = `mutation($a: ID!, $b: RedactionBoxInput!) { addRedactionBox(assetId: $a, box: $b) { __typename ... on PrivacyReview { ${REVIEW_FIELDS} } ... on DomainError { code message } } }`;
const REMOVE_BOX = `mutation($a: ID!, $b: ID!) { removeRedactionBox(assetId: $a, boxId: $b) { __typename ... on PrivacyReview { ${REVIEW_FIELDS} } ... on DomainError { code message } } }`;
const REVIEW = `query($a: ID!) { privacyReview(assetId: $a) { __typename ... on PrivacyReview { ${REVIEW_FIELDS} } ... on DomainError { code message } } }`;
const QUEUE = `{ privacyReviewQueue { ${REVIEW_FIELDS} } }`;
const ASSETS = `query($c: ID!) { assets(campaignId: $c) { id status privacyStatus url privacyReview { reason decidedAt decidedBy { id } } } }`;
const REASON = 'a name and an exam date run across the whole frame';

describe('the privacy gate', () => {
  let stack: Stack;
  let ops: Person;
  let officer: Person;
  let strangerOfficer: Person;
  let dual: Person;
  let ann1: Person;
  let ann2: Person;
  let qa: Person;
  let campaignId: string;
  let batchId: string;
  let lonelyBatchId: string;
  const ids = { released: '', rejected: '', clean: '' };
  const taskOf: Record<string, string> = {};

  const ask = <T = Record<string, Outcome>>(who: Person, query: string, variables: Record<string, unknown> = {}) => gql<T>(stack.apiUrl, who.token, query, variables);
  const objectBytes = async (key: string) =>
    Buffer.from(await (await stack.s3.client.send(new GetObjectCommand({ Bucket: stack.s3.bucket, Key: key }))).Body!.transformToByteArray());
  const keysUnder = async (prefix: string) =>
    ((await stack.s3.client.send(new ListObjectsV2Command({ Bucket: stack.s3.bucket, Prefix: prefix }))).Contents ?? []).map((c) => c.Key!);
  /** What the API answers, whether a role check refused the operation outright or the resolver answered a DomainError. */
  const refusal = async (who: Person, query: string, variables: Record<string, unknown>): Promise<{ code?: string; message?: string }> => {
    const res = await fetch(`${stack.apiUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${who.token}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as { data?: Record<string, Outcome | null> | null; errors?: Array<{ message: string; extensions?: { code?: string } }> };
    const error = body.errors?.[0];
    if (error) return { code: error.extensions?.code, message: error.message };
    return Object.values(body.data ?? {})[0] ?? {};
  };
  const lifecycle = (id: string) => stack.temporal.client.workflow.getHandle(batchWorkflowId(id)).query(batchState) as Promise<BatchLifecycleState>;

  beforeAll(async () => {
    stack = await startStack();
    const admin = await bootstrapAdmin(stack);
    // An ops manager who is a privacy officer elsewhere: in this campaign they manage, and may not release.
    ops = await register(stack, admin, 'Olivia Ops', ['OPS_MANAGER', 'PRIVACY_OFFICER']);
    officer = await register(stack, admin, 'Pia Privacy', ['PRIVACY_OFFICER']);
    strangerOfficer = await register(stack, admin, 'Sam Stranger', ['PRIVACY_OFFICER']);
    // Both roles in the organisation, for different campaigns: never both in one.
    dual = await register(stack, admin, 'Dana Dual', ['ANNOTATOR', 'PRIVACY_OFFICER'], [['laparoscopy', 3]]);
    ann1 = await register(stack, admin, 'Ann One', ['ANNOTATOR'], [['laparoscopy', 3]]);
    ann2 = await register(stack, admin, 'Ann Two', ['ANNOTATOR'], [['laparoscopy', 3]]);
    qa = await register(stack, admin, 'Quinn QA', ['QA_AUDITOR']);

    const created = await ask<{ createCampaign: Outcome }>(
      ops,
      `mutation($i: CreateCampaignInput!) { createCampaign(input: $i) { __typename ... on Campaign { id } ... on DomainError { code message } } }`,
      {
        i: {
          name: 'Endoscopy frames',
          labelSchema: { geometry: 'classification', classes: ['grasper', 'hook'].map((k) => ({ key: k, name: k })) },
          overlap: 2,
          agreementThreshold: 1,
          qaSettings: { tolerableErrorRate: 0.5, confidence: 0.5, seed: 'privacy' },
          claimSlaSeconds: 600,
          requiredSkills: [{ key: 'laparoscopy', minLevel: 1 }],
          members: [
            { userId: officer.id, roles: ['PRIVACY_OFFICER'] },
            { userId: ann1.id, roles: ['ANNOTATOR'] },
            { userId: ann2.id, roles: ['ANNOTATOR'] },
            { userId: qa.id, roles: ['QA_AUDITOR'] },
          ],
          payRates: [{ kind: 'LABEL', amountCents: 10 }],
        },
      },
    );
    campaignId = created.createCampaign.id!;
    expect(campaignId, created.createCampaign.message).toBeTruthy();
    const dicom = (name: string) => readFileSync(dataPath('medical', 'dicom', name));
    ids.released = await uploadAsset(stack, ops, campaignId, dicom('WG04_VL1_RLE_endoscopy.dcm'), 'application/dicom');
    ids.rejected = await uploadAsset(stack, ops, campaignId, dicom('WG04_VL2_J2KI_endoscopy.dcm'), 'application/dicom');
    ids.clean = await uploadAsset(stack, ops, campaignId, await syntheticFrame(1));
    const batch = await ask<{ createBatch: Outcome }>(
      ops,
      `mutation($c: ID!, $a: [ID!]!) { createBatch(campaignId: $c, name: "Gate", assetIds: $a) { __typename ... on Batch { id } ... on DomainError { code message } } }`,
      {
        c: campaignId,
        a: [ids.released, ids.rejected, ids.clean],
      },
    );
    batchId = batch.createBatch.id!;
    await ask(ops, `mutation($c: ID!) { setCampaignStatus(id: $c, status: ACTIVE) { __typename ... on Campaign { id } } }`, { c: campaignId });
    await startBatch(stack, ops, batchId);
    for (const task of await stack.prisma.task.findMany({ where: { batchId } })) taskOf[task.assetId!] = task.id;
  }, 300_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('keeps flagged assets from everyone but the privacy officer until released', async () => {
    await waitFor(
      'the clean frame open and both flagged frames waiting with their reviews prepared',
      async () => {
        const tasks = await stack.prisma.task.findMany({ where: { batchId }, select: { assetId: true, status: true } });
        const reviews = await stack.prisma.privacyReview.count({ where: { assetId: { in: [ids.released, ids.rejected] } } });
        return tasks.find((t) => t.assetId === ids.clean)?.status === 'OPEN' && reviews === 2;
      },
      240_000,
    );
    const assets = await stack.prisma.asset.findMany({ where: { campaignId }, select: { id: true, status: true, privacyStatus: true, metadata: true } });
    const byId = (id: string) => assets.find((a) => a.id === id)!;
    expect([byId(ids.released), byId(ids.rejected), byId(ids.clean)].map((a) => [a.status, a.privacyStatus])).toEqual([
      ['READY', 'PENDING_REVIEW'],
      ['READY', 'PENDING_REVIEW'],
      ['READY', 'NOT_REQUIRED'],
    ]);
    expect(await stack.prisma.task.findMany({ where: { id: { in: [taskOf[ids.released]!, taskOf[ids.rejected]!] } }, select: { status: true } })).toEqual([
      { status: 'PENDING' },
      { status: 'PENDING' },
    ]);

    // The batch waits visibly: labelling the rest, two assets held at the gate (not failed, not stuck in ingest).
    await waitFor('the batch reports what waits at the gate', async () => (await lifecycle(batchId)).privacy?.waiting === 2);
    const progress = await ask<{ batch: { status: string; stage: string; progress: { privacyWaiting: number; pending: number; open: number } } }>(
      ops,
      `query($b: ID!) { batch(id: $b) { status stage progress { privacyWaiting pending open } } }`,
      { b: batchId },
    );
    expect(progress.batch).toEqual({ status: 'RUNNING', stage: 'LABELING', progress: { privacyWaiting: 2, pending: 2, open: 1 } });

    // Annotators get the clean frame only, then nothing.
    for (const who of [ann1, ann2]) {
      const claim = (await ask<{ claimNextTask: Outcome }>(who, CLAIM, { c: campaignId })).claimNextTask;
      expect(claim.taskId).toBe(taskOf[ids.clean]);
      const sent = (await ask<{ submitAnnotation: Outcome }>(who, SUBMIT, { a: claim.id, d: { label: 'grasper' }, k: `label-${who.id}-clean` })).submitAnnotation;
      expect(sent.__typename).toBe('Annotation');
    }
    expect((await ask<{ claimNextTask: Outcome }>(ann1, CLAIM, { c: campaignId })).claimNextTask).toMatchObject({ code: 'NO_TASK_AVAILABLE' });
    // Even a task that something opened by mistake stays unclaimable: the claim itself checks the gate.
    await stack.prisma.task.update({ where: { id: taskOf[ids.released]! }, data: { status: 'OPEN', openSlots: 2, slots: 2 } });
    expect((await ask<{ claimNextTask: Outcome }>(ann1, CLAIM, { c: campaignId })).claimNextTask).toMatchObject({ code: 'NO_TASK_AVAILABLE' });
    await stack.prisma.task.update({ where: { id: taskOf[ids.released]! }, data: { status: 'PENDING', openSlots: 0, slots: 0 } });

    // Media: annotators cannot reach the task; operations managers see the asset without any URL of it.
    const asAnnotator = await gql<{ task: Outcome }>(
      stack.apiUrl,
      ann1.token,
      `query($t: ID!) { task(id: $t) { __typename ... on Task { asset { url } } ... on DomainError { code } } }`,
      {
        t: taskOf[ids.released],
      },
    );
    expect(asAnnotator.task).toMatchObject({ code: 'NOT_FOUND' });
    const listed = (await ask<{ assets: Array<{ id: string; url: string | null; privacyStatus: string }> }>(ops, ASSETS, { c: campaignId })).assets;
    expect(listed.find((a) => a.id === ids.released)).toMatchObject({ url: null, privacyStatus: 'PENDING_REVIEW' });
    expect(listed.find((a) => a.id === ids.clean)!.url).toMatch(/^http/);

    // People who are not this campaign's privacy officer are refused.
    expect(await refusal(ann1, RELEASE, { a: ids.released })).toMatchObject({ code: 'FORBIDDEN' });
    expect(await refusal(ann1, ADD_BOX, { a: ids.released, b: { x: 1, y: 1, width: 5, height: 5 } })).toMatchObject({ code: 'FORBIDDEN' });
    expect((await ask<{ releaseAsset: Outcome }>(ops, RELEASE, { a: ids.released })).releaseAsset).toMatchObject({
      code: 'FORBIDDEN',
      message: 'your role in this campaign does not allow this (needs PRIVACY_OFFICER or ADMIN)',
    });
    expect((await ask<{ releaseAsset: Outcome }>(strangerOfficer, RELEASE, { a: ids.released })).releaseAsset).toMatchObject({ code: 'NOT_FOUND' });
    expect((await ask<{ privacyReviewQueue: Review[] }>(strangerOfficer, QUEUE)).privacyReviewQueue).toEqual([]);
    expect(await refusal(ann1, REVIEW, { a: ids.released })).toMatchObject({ code: 'FORBIDDEN' });
    // Separation of duties: no one is privacy officer and annotator of one campaign.
    const both = await ask<{ setCampaignMember: Outcome }>(
      ops,
      `mutation($c: ID!, $u: ID!, $r: [Role!]!) { setCampaignMember(campaignId: $c, userId: $u, roles: $r) { __typename ... on Campaign { id } ... on DomainError { code message } } }`,
      { c: campaignId, u: dual.id, r: ['ANNOTATOR', 'PRIVACY_OFFICER'] },
    );
    expect(both.setCampaignMember).toMatchObject({ code: 'INVALID_INPUT' });
    expect(both.setCampaignMember.message).toContain('PRIVACY_OFFICER and ANNOTATOR cannot be held together');
    await setMember(stack, ops, campaignId, dual.id, ['PRIVACY_OFFICER']);
    await setMember(stack, ops, campaignId, dual.id, []);

    // The officer's queue: both flagged frames, why they were flagged, their automatic boxes, frames to look at.
    const queue = (await ask<{ privacyReviewQueue: Review[] }>(officer, QUEUE)).privacyReviewQueue;
    expect(queue.map((r) => r.asset.id).sort()).toEqual([ids.released, ids.rejected].sort());
    for (const review of queue) {
      expect(review.reasons.join(' ')).toContain('burned-in text was detected and redacted');
      expect(review.automaticBoxCount).toBeGreaterThan(0);
      expect(review.frames).toHaveLength(1);
      expect(review.frames[0]!.automaticBoxes.length).toBe(review.automaticBoxCount);
      const png = await fetch(review.frames[0]!.url);
      expect(png.status).toBe(200);
      expect((await sharp(Buffer.from(await png.arrayBuffer())).metadata()).width).toBe(review.frames[0]!.width);
    }
  });

  it('blacks out the officer’s box on the derivative, releases the asset and finishes the batch', async () => {
    // Another batch of only the asset about to be rejected: it must finish with nothing left.
    const lonely = await ask<{ createBatch: Outcome }>(
      ops,
      `mutation($c: ID!, $a: [ID!]!) { createBatch(campaignId: $c, name: "Lonely", assetIds: $a) { __typename ... on Batch { id } ... on DomainError { code message } } }`,
      {
        c: campaignId,
        a: [ids.rejected],
      },
    );
    lonelyBatchId = lonely.createBatch.id!;
    await startBatch(stack, ops, lonelyBatchId);

    const review = (await ask<{ privacyReview: Review }>(officer, REVIEW, { a: ids.released })).privacyReview;
    const frame = review.frames[0]!;
    const derivative = `derived/${campaignId}/${ids.released}/deidentified.dcm`;
    // A box over the middle of the frame, where the picture (not the automatic boxes) is.
    const box = { x: Math.round(frame.width / 2) - 30, y: Math.round(frame.height / 2) - 20, width: 60, height: 40 };
    const inside = async (): Promise<number[]> => {
      const decoded = await decodeFrame(readDicom(await objectBytes(derivative)), 0);
      const values: number[] = [];
      for (let y = box.y; y < box.y + box.height; y++)
        for (let x = box.x; x < box.x + box.width; x++)
          for (let s = 0; s < decoded.samplesPerPixel; s++) values.push(decoded.data[(y * decoded.width + x) * decoded.samplesPerPixel + s]!);
      return values;
    };
    expect((await inside()).some((v) => v > 0)).toBe(true);

    const outside = (await ask<{ addRedactionBox: Review }>(officer, ADD_BOX, { a: ids.released, b: { x: frame.width - 10, y: 0, width: 20, height: 20 } })).addRedactionBox;
    expect(outside).toMatchObject({ code: 'INVALID_INPUT' });
    expect(outside.message).toContain(`past the frame's width of ${frame.width} pixels`);
    const added = (await ask<{ addRedactionBox: Review }>(officer, ADD_BOX, { a: ids.released, b: box })).addRedactionBox;
    expect(added.boxes).toMatchObject([{ ...box, automatic: false }]);
    const extra = (await ask<{ addRedactionBox: Review }>(officer, ADD_BOX, { a: ids.released, b: { x: 4, y: 4, width: 10, height: 10 } })).addRedactionBox;
    const extraId = extra.boxes.find((b) => b.x === 4)!.id!;
    const removed = (await ask<{ removeRedactionBox: Review }>(officer, REMOVE_BOX, { a: ids.released, b: extraId })).removeRedactionBox;
    expect(removed.boxes.map((b) => b.id)).toEqual([added.boxes[0]!.id]);
    expect(removed.revision).toBe(3);
    expect((await ask<{ removeRedactionBox: Review }>(officer, REMOVE_BOX, { a: ids.released, b: extraId })).removeRedactionBox).toMatchObject({ code: 'NOT_FOUND' });

    const applied = await waitFor('the worker applied the boxes', async () => {
      const r = (await ask<{ privacyReview: Review }>(officer, REVIEW, { a: ids.released })).privacyReview;
      return !r.applying && r.appliedRevision === 3 ? r : null;
    });
    expect(applied.boxes).toHaveLength(1);
    // The de-identified derivative (and the frame the officer sees) now has the box black; the rest is as it was.
    expect(new Set(await inside())).toEqual(new Set([0]));
    const shown = await sharp(Buffer.from(await (await fetch(applied.frames[0]!.url)).arrayBuffer()))
      .extract({ left: box.x + 2, top: box.y + 2, width: box.width - 4, height: box.height - 4 })
      .raw()
      .toBuffer();
    expect(Math.max(...shown)).toBe(0);

    expect((await ask<{ releaseAsset: Outcome }>(officer, RELEASE, { a: ids.released })).releaseAsset).toMatchObject({ privacyStatus: 'RELEASED' });
    expect((await ask<{ releaseAsset: Outcome }>(officer, RELEASE, { a: ids.released })).releaseAsset).toMatchObject({ code: 'CONFLICT' });
    expect((await ask<{ addRedactionBox: Review }>(officer, ADD_BOX, { a: ids.released, b: box })).addRedactionBox).toMatchObject({ code: 'CONFLICT' });
    await waitFor('the released asset’s task open', async () => (await stack.prisma.task.findUniqueOrThrow({ where: { id: taskOf[ids.released]! } })).status === 'OPEN');
    // What annotators get now: the redacted derivative; the copies kept for the review are gone.
    expect(await keysUnder(`derived/${campaignId}/${ids.released}/privacy/base/`)).toEqual([]);
    const listed = (await ask<{ assets: Array<{ id: string; url: string | null }> }>(ops, ASSETS, { c: campaignId })).assets;
    expect(listed.find((a) => a.id === ids.released)!.url).toMatch(/^http/);

    // The other flagged frame is rejected: a reason is required.
    expect((await ask<{ rejectAsset: Outcome }>(officer, REJECT, { a: ids.rejected, r: '  ' })).rejectAsset).toMatchObject({ code: 'INVALID_INPUT' });
    expect((await ask<{ rejectAsset: Outcome }>(officer, REJECT, { a: ids.rejected, r: REASON })).rejectAsset).toMatchObject({ privacyStatus: 'REJECTED' });
    await waitFor(
      'the rejected asset’s task out of the batch',
      async () => (await stack.prisma.task.findUniqueOrThrow({ where: { id: taskOf[ids.rejected]! } })).status === 'EXCLUDED',
    );
    await waitFor('the rejected asset’s derivatives deleted', async () => (await keysUnder(`derived/${campaignId}/${ids.rejected}/`)).length === 0);
    expect(await stack.prisma.asset.findUniqueOrThrow({ where: { id: ids.rejected }, select: { derivativeKey: true } })).toEqual({ derivativeKey: null });
    const rejectedRow = (await ask<{ assets: Array<{ id: string; privacyReview: { reason: string; decidedBy: { id: string } } }> }>(ops, ASSETS, { c: campaignId })).assets.find(
      (a) => a.id === ids.rejected,
    );
    expect(rejectedRow?.privacyReview).toMatchObject({ reason: REASON, decidedBy: { id: officer.id } });
    const again = await ask<{ createBatch: Outcome }>(
      ops,
      `mutation($c: ID!, $a: [ID!]!) { createBatch(campaignId: $c, name: "Again", assetIds: $a) { __typename ... on Batch { id } ... on DomainError { code message } } }`,
      {
        c: campaignId,
        a: [ids.rejected],
      },
    );
    expect(again.createBatch).toMatchObject({ code: 'INVALID_INPUT' });

    // Annotators label the released frame; QA audits what it draws; the batch completes without the rejected one.
    for (const who of [ann1, ann2]) {
      const claim = (await ask<{ claimNextTask: Outcome }>(who, CLAIM, { c: campaignId })).claimNextTask;
      expect(claim.taskId).toBe(taskOf[ids.released]);
      expect((await ask<{ submitAnnotation: Outcome }>(who, SUBMIT, { a: claim.id, d: { label: 'hook' }, k: `label-${who.id}-released` })).submitAnnotation.__typename).toBe(
        'Annotation',
      );
    }
    let accepted = false;
    const watch = waitFor('the batch accepted', async () => (accepted = (await stack.prisma.batch.findUniqueOrThrow({ where: { id: batchId } })).status === 'ACCEPTED'), 240_000);
    await audit(
      stack,
      qa,
      () => accepted,
      () => 'PASS',
    );
    await watch;
    const tasks = await stack.prisma.task.findMany({ where: { batchId }, select: { assetId: true, status: true } });
    expect(Object.fromEntries(tasks.map((t) => [t.assetId, t.status]))).toEqual({ [ids.released]: 'ACCEPTED', [ids.clean]: 'ACCEPTED', [ids.rejected]: 'EXCLUDED' });
    expect(await stack.prisma.assignment.count({ where: { task: { assetId: ids.rejected } } })).toBe(0);
    await waitFor(
      'the batch of only the rejected asset completed with nothing left',
      async () => (await stack.prisma.batch.findUniqueOrThrow({ where: { id: lonelyBatchId } })).status === 'ACCEPTED',
    );
  });

  it('on a flagged image, a box removed is a box no longer blacked out', async () => {
    // A photo with a name, a birth date and an MRN written into it.
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="320" height="240"><rect width="320" height="240" fill="#5a2a22"/><circle cx="200" cy="140" r="60" fill="#c87a5a"/>
      <text x="12" y="30" font-family="DejaVu Sans" font-size="20" fill="white">DOE JOHN 1962-04-01</text><text x="12" y="228" font-family="DejaVu Sans" font-size="16" fill="white">MRN 4711-0815</text></svg>`;
    const imageId = await uploadAsset(stack, ops, campaignId, await sharp(Buffer.from(svg)).png().toBuffer());
    const made = await ask<{ createBatch: Outcome }>(
      ops,
      `mutation($c: ID!, $a: [ID!]!) { createBatch(campaignId: $c, name: "Photo", assetIds: $a) { __typename ... on Batch { id } ... on DomainError { code message } } }`,
      {
        c: campaignId,
        a: [imageId],
      },
    );
    await startBatch(stack, ops, made.createBatch.id!);
    const review = await waitFor('the photo’s review', async () => (await ask<{ privacyReview: Review | null }>(officer, REVIEW, { a: imageId })).privacyReview, 240_000);
    expect(review.frames[0]).toMatchObject({ frame: 0, width: 320, height: 240 });
    expect(review.frames[0]!.automaticBoxes.length).toBe(2);
    const derivative = `derived/${campaignId}/${imageId}/deidentified.png`;
    const circle = { left: 180, top: 120, width: 40, height: 40 };
    const brightest = async () =>
      Math.max(
        ...(await sharp(await objectBytes(derivative))
          .extract(circle)
          .raw()
          .toBuffer()),
      );
    const untouched = await brightest();
    expect(untouched).toBeGreaterThan(100);
    const appliedAt = (revision: number) =>
      waitFor(`revision ${revision} applied`, async () => {
        const r = (await ask<{ privacyReview: Review }>(officer, REVIEW, { a: imageId })).privacyReview;
        return r.appliedRevision === revision && !r.applying ? r : null;
      });

    const added = (await ask<{ addRedactionBox: Review }>(officer, ADD_BOX, { a: imageId, b: { x: 170, y: 110, width: 60, height: 60 } })).addRedactionBox;
    await appliedAt(1);
    expect(await brightest()).toBe(0);
    await ask(officer, REMOVE_BOX, { a: imageId, b: added.boxes[0]!.id });
    await appliedAt(2);
    expect(await brightest()).toBe(untouched);
    // The text de-identification blacked out stays black whatever the officer does.
    const text = await sharp(await objectBytes(derivative))
      .extract({ left: 14, top: 14, width: 200, height: 16 })
      .raw()
      .toBuffer();
    expect(Math.max(...text)).toBe(0);
    expect((await ask<{ releaseAsset: Outcome }>(officer, RELEASE, { a: imageId })).releaseAsset).toMatchObject({ privacyStatus: 'RELEASED' });
    await waitFor('the photo’s task open', async () => (await stack.prisma.task.findFirstOrThrow({ where: { assetId: imageId } })).status === 'OPEN');
  });

  it('blacks out a box on a flagged video: its proxy keeps every frame and shows the box on all of them', async () => {
    // testsrc2 draws moving digits: the real detector flags the video.
    const dir = mkdtempSync(join(tmpdir(), 'suture-privacy-video-'));
    const path = join(dir, 'clip.mp4');
    execFileSync('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=10:duration=2', '-pix_fmt', 'yuv420p', path]);
    const videoId = await uploadAsset(stack, ops, campaignId, readFileSync(path), 'video/mp4');
    rmSync(dir, { recursive: true, force: true });
    const made = await ask<{ createBatch: Outcome }>(
      ops,
      `mutation($c: ID!, $a: [ID!]!) { createBatch(campaignId: $c, name: "Video", assetIds: $a) { __typename ... on Batch { id } ... on DomainError { code message } } }`,
      {
        c: campaignId,
        a: [videoId],
      },
    );
    await startBatch(stack, ops, made.createBatch.id!);
    const review = await waitFor(
      'the video’s review with sampled frames',
      async () => {
        const r = (await ask<{ privacyReview: Review | null }>(officer, REVIEW, { a: videoId })).privacyReview;
        return r && r.frames.length > 0 ? r : null;
      },
      240_000,
    );
    const asset = await stack.prisma.asset.findUniqueOrThrow({ where: { id: videoId } });
    const proxy = (asset.metadata as { proxy: { frameCount: number; width: number; height: number } }).proxy;
    // Sampled frames of the proxy: the first, the last and evenly between.
    expect(review.frames.map((f) => f.frame)).toEqual([0, 4, 8, 11, 15, 19].filter((f) => f < proxy.frameCount));
    expect(review.frames[0]).toMatchObject({ width: proxy.width, height: proxy.height });
    const box = { x: 40, y: 30, width: 40, height: 30 };
    expect((await ask<{ addRedactionBox: Review }>(officer, ADD_BOX, { a: videoId, b: box })).addRedactionBox.boxes).toHaveLength(1);
    const applied = await waitFor('the box applied to the video', async () => {
      const r = (await ask<{ privacyReview: Review }>(officer, REVIEW, { a: videoId })).privacyReview;
      return !r.applying ? r : null;
    });
    // Every sampled frame shows it black (H.264 leaves a little noise at the edges: the inside is looked at).
    for (const f of applied.frames) {
      const inner = await sharp(Buffer.from(await (await fetch(f.url)).arrayBuffer()))
        .extract({ left: box.x + 4, top: box.y + 4, width: box.width - 8, height: box.height - 8 })
        .raw()
        .toBuffer();
      expect(Math.max(...inner), `frame ${f.frame}`).toBeLessThan(24);
    }
    expect((await ask<{ releaseAsset: Outcome }>(officer, RELEASE, { a: videoId })).releaseAsset).toMatchObject({ privacyStatus: 'RELEASED' });
    await waitFor('the video’s task open', async () => (await stack.prisma.task.findFirstOrThrow({ where: { assetId: videoId } })).status === 'OPEN');
    // What annotators play: the redacted proxy, frame for frame as frames.json maps it.
    const played = join(tmpdir(), `suture-privacy-proxy-${videoId}.mp4`);
    writeFileSync(played, await objectBytes(`derived/${campaignId}/${videoId}/proxy.mp4`));
    expect((await frameIndexOf(played)).frameCount).toBe(proxy.frameCount);
    const last = join(tmpdir(), `suture-privacy-last-${videoId}.png`);
    await extractFrame(played, await frameIndexOf(played), proxy.frameCount - 1, last);
    const inner = await sharp(last)
      .extract({ left: box.x + 4, top: box.y + 4, width: box.width - 8, height: box.height - 8 })
      .raw()
      .toBuffer();
    expect(Math.max(...inner)).toBeLessThan(24);
    rmSync(played, { force: true });
    rmSync(last, { force: true });
  });

  it('audits every decision with counts, never the reason’s words', async () => {
    const events = await stack.prisma.auditEvent.findMany({ where: { action: { startsWith: 'privacy.' } }, orderBy: { seq: 'asc' } });
    const of = (action: string, assetId: string) => events.filter((e) => e.action === action && e.entityId === assetId);
    expect(of('privacy.review-prepared', ids.released)).toHaveLength(1);
    expect(of('privacy.box-added', ids.released).map((e) => e.actorId)).toEqual([officer.id, officer.id]);
    expect(of('privacy.box-removed', ids.released)).toMatchObject([{ actorId: officer.id, data: { boxes: 1, revision: 3 } }]);
    expect(of('privacy.boxes-applied', ids.released).at(-1)).toMatchObject({ data: { revision: 3, boxes: 1 } });
    expect(of('privacy.released', ids.released)).toMatchObject([{ actorId: officer.id, data: { decision: 'RELEASED', boxes: 1, revision: 3 } }]);
    expect((of('privacy.released', ids.released)[0]!.data as { automaticBoxes: number }).automaticBoxes).toBeGreaterThan(0);
    expect(of('privacy.rejected', ids.rejected)).toMatchObject([{ actorId: officer.id, data: { decision: 'REJECTED', boxes: 0, reasonLength: REASON.length } }]);
    expect(of('privacy.derivatives-deleted', ids.rejected)).toHaveLength(1);
    const excluded = await stack.prisma.auditEvent.findMany({ where: { action: 'batch.tasks-excluded', entityId: { in: [batchId, lonelyBatchId] } } });
    expect(excluded.map((e) => (e.data as { reason?: string }).reason)).toEqual(['rejected by privacy review', 'rejected by privacy review']);
    const frameReads = await stack.prisma.auditEvent.count({ where: { action: 'media.url-presigned', actorId: officer.id, entityId: ids.released } });
    expect(frameReads).toBeGreaterThan(0);
    const everything = JSON.stringify(await stack.prisma.auditEvent.findMany({ select: { data: true } }));
    expect(everything).not.toContain('exam date');
    expect((await stack.verifyAudit()).ok).toBe(true);
  });
});
