// Versioned guidelines on the real stack: publishing keeps a history with changelogs, a new version holds back an
// annotator's labelling claims until they acknowledge it, labels record the version they were written under, and
// guideline pictures are checked by their bytes and served only to the campaign's members.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gql, startStack, waitFor, type Stack } from '../support/stack.ts';
import { bootstrapAdmin, createCampaignWithBatch, register, startBatch, syntheticFrame, type Person } from '../support/scenario.ts';

type Result = { __typename: string; code?: string; message?: string } & Record<string, unknown>;
const CLAIM = `mutation($c: ID) { claimNextTask(campaignId: $c) { __typename ... on Assignment { id taskId } ... on DomainError { code message } } }`;
const SUBMIT = `mutation($a: ID!, $d: JSON!, $k: String!) { submitAnnotation(assignmentId: $a, data: $d, idempotencyKey: $k) { __typename ... on Annotation { id } ... on DomainError { code message } } }`;
const DRAFT = `mutation($a: ID!, $d: JSON!) { saveDraft(assignmentId: $a, data: $d) { __typename ... on Annotation { id } ... on DomainError { code message } } }`;
const PUBLISH = `mutation($c: ID!, $b: String!, $l: String) { publishGuidelines(campaignId: $c, body: $b, changelog: $l) { __typename ... on Campaign { guidelines guidelinesVersion } ... on DomainError { code message } } }`;
const HISTORY = `query($c: ID!) { guidelineVersions(campaignId: $c) { __typename ... on QueryGuidelineVersionsSuccess { data { version body changelog } } ... on DomainError { code message } } }`;
const MINE = `query($c: ID!) { myGuidelines(campaignId: $c) { __typename ... on MyGuidelines { version body acknowledged acknowledgedVersion changes { version changelog } } ... on DomainError { code message } } }`;
const ACK = `mutation($c: ID!, $v: Int!) { acknowledgeGuidelines(campaignId: $c, version: $v) { __typename ... on MyGuidelines { version acknowledged changes { version } } ... on DomainError { code message } } }`;

describe('guidelines: versions, acknowledgement, labels per version, pictures', () => {
  let stack: Stack;
  let admin: Person;
  let ops: Person;
  let ann1: Person;
  let ann2: Person;
  let campaignId: string;
  let batchId: string;

  const call = async (who: Person, query: string, variables: Record<string, unknown>) =>
    Object.values(await gql<Record<string, Result>>(stack.apiUrl, who.token, query, variables))[0]!;

  beforeAll(async () => {
    stack = await startStack();
    admin = await bootstrapAdmin(stack);
    ops = await register(stack, admin, 'Olivia Ops', ['OPS_MANAGER']);
    ann1 = await register(stack, admin, 'Ann One', ['ANNOTATOR'], [['laparoscopy', 3]]);
    ann2 = await register(stack, admin, 'Ben Two', ['ANNOTATOR'], [['laparoscopy', 3]]);
    ({ campaignId, batchId } = await createCampaignWithBatch(stack, ops, { tasks: 2 }));
    await startBatch(stack, ops, batchId);
    await waitFor('2 tasks open', async () => (await stack.prisma.task.count({ where: { batchId, status: 'OPEN' } })) === 2);
  }, 300_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('publishes versions with changelogs and holds back claims until the annotator acknowledges the current one', async () => {
    // Version 1 is stored with the campaign; it needs no acknowledgement.
    expect(((await call(ann1, HISTORY, { c: campaignId })).data as unknown[]).length).toBe(1);
    expect(await call(ann1, MINE, { c: campaignId })).toMatchObject({ version: 1, acknowledged: true, changes: [] });

    const noChangelog = await call(ops, PUBLISH, { c: campaignId, b: '# Rules\nPick the visible tip.', l: '  ' });
    expect(noChangelog).toMatchObject({ code: 'INVALID_INPUT' });
    expect(noChangelog.message).toMatch(/changelog is required for version 2/);
    await expect(call(ann1, PUBLISH, { c: campaignId, b: 'x', l: 'y' })).rejects.toThrow(/your role does not allow this/);
    expect(await call(ops, PUBLISH, { c: campaignId, b: '# Rules\nPick the visible tip.', l: 'Tips only; shafts do not count.' })).toMatchObject({
      guidelinesVersion: 2,
      guidelines: '# Rules\nPick the visible tip.',
    });
    const history = (await call(ann2, HISTORY, { c: campaignId })).data as Array<{ version: number; changelog: string }>;
    expect(history.map((h) => h.version)).toEqual([2, 1]);
    expect(history[0]!.changelog).toBe('Tips only; shafts do not count.');

    const refused = await call(ann1, CLAIM, { c: campaignId });
    expect(refused).toMatchObject({ code: 'FORBIDDEN' });
    expect(refused.message).toMatch(/guidelines .* changed \(version 2\).*acknowledge/);
    expect(await call(ann1, MINE, { c: campaignId })).toMatchObject({
      version: 2,
      acknowledged: false,
      acknowledgedVersion: null,
      changes: [{ version: 2, changelog: 'Tips only; shafts do not count.' }],
    });
    expect((await call(ann1, ACK, { c: campaignId, v: 1 })).message).toMatch(/version 1 is not the current guidelines; read version 2/);
    expect(await call(ann1, ACK, { c: campaignId, v: 2 })).toMatchObject({ version: 2, acknowledged: true, changes: [] });

    const claimed = await call(ann1, CLAIM, { c: campaignId });
    expect(claimed.__typename).toBe('Assignment');
    // Ben has not acknowledged: still refused while Ann works.
    expect((await call(ann2, CLAIM, { c: campaignId })).code).toBe('FORBIDDEN');

    expect((await call(ann1, DRAFT, { a: claimed.id, d: { label: 'hook' } })).__typename).toBe('Annotation');
    const draft = await stack.prisma.annotation.findFirstOrThrow({ where: { assignmentId: String(claimed.id) } });
    expect(draft.guidelineVersion).toBe(2);

    // A version published while Ann works applies to what she writes from then on.
    await call(ops, PUBLISH, { c: campaignId, b: '# Rules v3', l: 'Hooks count as instruments.' });
    const submitted = await call(ann1, SUBMIT, { a: claimed.id, d: { label: 'hook' }, k: `g:${String(claimed.id)}` });
    expect(submitted.__typename).toBe('Annotation');
    expect((await stack.prisma.annotation.findUniqueOrThrow({ where: { id: String(submitted.id) } })).guidelineVersion).toBe(3);

    // Ann acknowledged 2, so she now reads only what changed in 3.
    expect(await call(ann1, MINE, { c: campaignId })).toMatchObject({ acknowledged: false, acknowledgedVersion: 2, changes: [{ version: 3 }] });
    const audited = await stack.prisma.auditEvent.findMany({
      where: { entityId: campaignId, action: { in: ['campaign.guidelines', 'guidelines.acknowledged'] } },
      orderBy: { seq: 'asc' },
    });
    expect(audited.map((e) => [e.action, e.data])).toEqual([
      ['campaign.guidelines', { version: 2 }],
      ['guidelines.acknowledged', { version: 2 }],
      ['campaign.guidelines', { version: 3 }],
    ]);
  });

  it('keeps the old updateGuidelines mutation on the same path', async () => {
    const UPDATE = `mutation($c: ID!, $g: String!, $l: String) { updateGuidelines(id: $c, guidelines: $g, changelog: $l) { __typename ... on Campaign { guidelinesVersion } ... on DomainError { code message } } }`;
    expect((await call(ops, UPDATE, { c: campaignId, g: 'v4' })).message).toMatch(/changelog is required for version 4/);
    expect(await call(ops, UPDATE, { c: campaignId, g: 'v4', l: 'Shorter.' })).toMatchObject({ guidelinesVersion: 4 });
    expect(await stack.prisma.guidelineVersion.count({ where: { campaignId } })).toBe(4);
  });

  it('stores pictures checked by their bytes and serves them only to members of the campaign', async () => {
    const post = (who: Person | null, body: Uint8Array, id = campaignId) =>
      fetch(`${stack.apiUrl}/api/campaigns/${id}/guideline-images`, {
        method: 'POST',
        headers: { 'content-type': 'image/png', ...(who ? { authorization: `Bearer ${who.token}` } : {}) },
        body,
      });
    const png = await syntheticFrame(3);

    const text = await post(ops, new TextEncoder().encode('<svg onload="alert(1)"></svg>'));
    expect(text.status).toBe(400);
    expect(((await text.json()) as { error: { message: string } }).error.message).toMatch(/not a PNG, JPEG or WebP picture/);
    const oversize = Buffer.concat([png, Buffer.alloc(5 * 1024 * 1024)]);
    const big = await post(ops, oversize);
    expect(big.status).toBe(413);
    expect(((await big.json()) as { error: { message: string } }).error.message).toMatch(/5 MB/);
    expect((await post(ann1, png)).status).toBe(403);
    expect((await post(null, png)).status).toBe(401);
    expect(await stack.prisma.guidelineImage.count()).toBe(0);

    const stored = await post(ops, png);
    expect(stored.status).toBe(201);
    const { id, url } = (await stored.json()) as { id: string; url: string };
    expect(url).toBe(`/api/guideline-images/${id}`);
    const row = await stack.prisma.guidelineImage.findUniqueOrThrow({ where: { id } });
    expect(row).toMatchObject({ campaignId, key: `guidelines/${campaignId}/${id}`, contentType: 'image/png', sizeBytes: png.length });

    const get = (who: Person | null) => fetch(`${stack.apiUrl}${url}`, { headers: who ? { authorization: `Bearer ${who.token}` } : {} });
    for (const member of [ann1, ops, admin]) {
      const res = await get(member);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('image/png');
      expect(res.headers.get('cache-control')).toMatch(/no-store/);
      expect(Buffer.from(await res.arrayBuffer()).equals(png)).toBe(true);
    }
    // Someone of the organisation who is no member of the campaign learns nothing of it.
    const outsider = await register(stack, admin, 'Olga Outsider', ['ANNOTATOR'], [['laparoscopy', 3]]);
    expect((await get(outsider)).status).toBe(404);
    expect((await get(null)).status).toBe(401);
    expect((await fetch(`${stack.apiUrl}/api/guideline-images/not-an-id`, { headers: { authorization: `Bearer ${ann1.token}` } })).status).toBe(404);
    expect(await stack.prisma.auditEvent.count({ where: { action: 'guidelines.image-uploaded', entityId: campaignId } })).toBe(1);
  });
});
