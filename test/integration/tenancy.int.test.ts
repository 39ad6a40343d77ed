// Tenancy on the real stack: organisations see nothing of each other, a campaign belongs to its staff (per
// campaign roles within the roles the organisation granted), drafts stay with their managers, and the audit
// log is read per organisation. Before tenancy every ops manager managed every campaign and any user read
// every campaign, drafts included: each refusal below was an answer then.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrganization } from '@suture/api/services/organizations';
import { gql, startStack, waitFor, type Stack } from '../support/stack.ts';
import { bootstrapAdmin, createCampaignWithBatch, login, register, setMember, startBatch, type Person } from '../support/scenario.ts';

type Outcome = { __typename?: string; id?: string; code?: string; message?: string; taskId?: string };

const CLAIM = `mutation { claimNextTask { __typename ... on Assignment { id taskId } ... on DomainError { code message } } }`;
const CAMPAIGN = `query($id: ID!) { campaign(id: $id) { id name status myRoles } }`;
const CAMPAIGNS = `{ campaigns { id } }`;
const SET_STATUS = `mutation($c: ID!, $s: CampaignStatus!) { setCampaignStatus(id: $c, status: $s) { __typename ... on Campaign { id } ... on DomainError { code message } } }`;
const SET_MEMBER = `mutation($c: ID!, $u: ID!, $r: [Role!]!) { setCampaignMember(campaignId: $c, userId: $u, roles: $r) { __typename ... on Campaign { id } ... on DomainError { code message } } }`;

describe('tenancy: organisations, campaign membership and per-campaign roles', () => {
  let stack: Stack;
  let admin: Person;
  let opsA: Person;
  let opsB: Person;
  let ann1: Person;
  let ann2: Person;
  let outsider: Person;
  let dual: Person;
  let finance: Person;
  let campaignX: string;
  let batchX: string;
  let campaignY: string;
  let otherAdmin: Person;

  const ask = <T = Record<string, Outcome>>(who: Person, query: string, variables: Record<string, unknown> = {}) => gql<T>(stack.apiUrl, who.token, query, variables);

  beforeAll(async () => {
    stack = await startStack();
    admin = await bootstrapAdmin(stack);
    opsA = await register(stack, admin, 'Olivia Ops', ['OPS_MANAGER']);
    opsB = await register(stack, admin, 'Oscar Ops', ['OPS_MANAGER']);
    ann1 = await register(stack, admin, 'Ann One', ['ANNOTATOR'], [['laparoscopy', 3]]);
    ann2 = await register(stack, admin, 'Ann Two', ['ANNOTATOR'], [['laparoscopy', 3]]);
    outsider = await register(stack, admin, 'Otto Outsider', ['ANNOTATOR'], [['laparoscopy', 3]]);
    // Labels in one campaign and audits another: each role counts only where the membership gives it.
    dual = await register(stack, admin, 'Dana Dual', ['ANNOTATOR', 'QA_AUDITOR'], [['laparoscopy', 3]]);
    finance = await register(stack, admin, 'Fay Finance', ['FINANCE']);
    ({ campaignId: campaignX, batchId: batchX } = await createCampaignWithBatch(stack, opsA, {
      tasks: 2,
      members: [
        { userId: ann1.id, roles: ['ANNOTATOR'] },
        { userId: ann2.id, roles: ['ANNOTATOR'] },
        { userId: dual.id, roles: ['QA_AUDITOR'] },
      ],
    }));
    await startBatch(stack, opsA, batchX);
    await waitFor('tasks open for claims', async () => (await stack.prisma.task.count({ where: { batchId: batchX, status: 'OPEN' } })) === 2);

    const y = await ask<{ createCampaign: Outcome }>(
      opsB,
      `mutation($i: CreateCampaignInput!) { createCampaign(input: $i) { __typename ... on Campaign { id } ... on DomainError { code message } } }`,
      {
        i: {
          name: 'Phase recognition (draft)',
          labelSchema: { geometry: 'classification', classes: [{ key: 'a', name: 'A' }] },
          overlap: 2,
          agreementThreshold: 0.8,
          members: [
            { userId: ann1.id, roles: ['ANNOTATOR'] },
            { userId: dual.id, roles: ['ANNOTATOR'] },
            { userId: finance.id, roles: ['FINANCE'] },
          ],
        },
      },
    );
    campaignY = y.createCampaign.id!;
    expect(campaignY, y.createCampaign.message).toBeTruthy();

    const other = await createOrganization(stack.prisma, { name: 'St Elsewhere Hospital', adminEmail: 'admin@elsewhere.test', adminName: 'Elsie Admin' });
    otherAdmin = { id: other.adminId, email: 'admin@elsewhere.test', token: await login(stack, 'admin@elsewhere.test', other.password) };
  }, 300_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('gives each campaign to its own staff: other ops managers neither see nor manage it', async () => {
    const mine = await ask<{ campaigns: Array<{ id: string }> }>(opsA, CAMPAIGNS);
    expect(mine.campaigns.map((c) => c.id)).toEqual([campaignX]);
    const theirs = await ask<{ campaigns: Array<{ id: string }> }>(opsB, CAMPAIGNS);
    expect(theirs.campaigns.map((c) => c.id)).toEqual([campaignY]);
    expect((await ask<{ campaign: unknown }>(opsB, CAMPAIGN, { id: campaignX })).campaign).toBeNull();

    // Managing someone else's campaign answers exactly like a campaign that does not exist.
    const status = await ask<{ setCampaignStatus: Outcome }>(opsB, SET_STATUS, { c: campaignX, s: 'PAUSED' });
    expect(status.setCampaignStatus).toMatchObject({ code: 'NOT_FOUND' });
    const upload = await ask<{ requestAssetUpload: Outcome }>(
      opsB,
      `mutation($c: ID!) { requestAssetUpload(campaignId: $c, contentType: "image/png", sizeBytes: 10) { __typename ... on UploadPlan { assetId } ... on DomainError { code message } } }`,
      { c: campaignX },
    );
    expect(upload.requestAssetUpload).toMatchObject({ code: 'NOT_FOUND' });
    const batch = await ask<{ startBatch: Outcome }>(opsB, `mutation($b: ID!) { startBatch(id: $b) { __typename ... on Batch { id } ... on DomainError { code message } } }`, {
      b: batchX,
    });
    expect(batch.startBatch).toMatchObject({ code: 'NOT_FOUND' });
    const exported = await ask<{ exportLabels: Outcome }>(
      opsB,
      `mutation($c: ID!) { exportLabels(campaignId: $c, format: "native") { __typename ... on LabelExport { key } ... on DomainError { code message } } }`,
      { c: campaignX },
    );
    expect(exported.exportLabels).toMatchObject({ code: 'NOT_FOUND' });
    expect((await ask<{ batch: unknown }>(opsB, `query($b: ID!) { batch(id: $b) { id } }`, { b: batchX })).batch).toBeNull();
    const metrics = await ask<{ annotatorMetrics: Outcome }>(opsB, `query($c: ID!) { annotatorMetrics(campaignId: $c) { __typename ... on DomainError { code message } } }`, {
      c: campaignX,
    });
    expect(metrics.annotatorMetrics).toMatchObject({ code: 'NOT_FOUND' });
    // The admin oversees every campaign of the organisation.
    const all = await ask<{ campaigns: Array<{ id: string }> }>(admin, CAMPAIGNS);
    expect(all.campaigns.map((c) => c.id).sort()).toEqual([campaignX, campaignY].sort());
  });

  it('keeps a draft with its managers, and work with the members who hold the role', async () => {
    // Y is a DRAFT: its annotators do not see it until it is activated.
    expect((await ask<{ campaign: unknown }>(ann1, CAMPAIGN, { id: campaignY })).campaign).toBeNull();
    expect((await ask<{ campaigns: Array<{ id: string }> }>(ann1, CAMPAIGNS)).campaigns.map((c) => c.id)).toEqual([campaignX]);
    expect((await ask<{ campaign: { myRoles: string[] } }>(opsB, CAMPAIGN, { id: campaignY })).campaign.myRoles).toEqual(['OPS_MANAGER']);

    // Someone with the ANNOTATOR role but no membership gets no work, although tasks are waiting.
    const none = await ask<{ claimNextTask: Outcome }>(outsider, CLAIM);
    expect(none.claimNextTask).toMatchObject({ code: 'NO_TASK_AVAILABLE' });
    expect((await ask<{ campaigns: unknown[] }>(outsider, CAMPAIGNS)).campaigns).toEqual([]);
    // dual is QA in X, not an annotator there: no labelling work from X.
    expect((await ask<{ claimNextTask: Outcome }>(dual, CLAIM)).claimNextTask).toMatchObject({ code: 'NO_TASK_AVAILABLE' });

    const claim = await ask<{ claimNextTask: Outcome }>(ann1, CLAIM);
    expect(claim.claimNextTask.__typename).toBe('Assignment');
    const taskId = claim.claimNextTask.taskId!;
    // dual audits X: sees its tasks and their work; outsider and the other campaign's manager do not.
    const asDual = await ask<{ task: { id: string } }>(dual, `query($t: ID!) { task(id: $t) { ... on Task { id } ... on DomainError { code } } }`, { t: taskId });
    expect(asDual.task).toMatchObject({ id: taskId });
    const asOpsB = await ask<{ task: Outcome }>(opsB, `query($t: ID!) { task(id: $t) { ... on Task { id } ... on DomainError { code } } }`, { t: taskId });
    expect(asOpsB.task).toMatchObject({ code: 'NOT_FOUND' });

    // Once Y is activated, its members see it.
    expect((await ask<{ setCampaignStatus: Outcome }>(opsB, SET_STATUS, { c: campaignY, s: 'ACTIVE' })).setCampaignStatus.__typename).toBe('Campaign');
    expect((await ask<{ campaign: { myRoles: string[] } }>(ann1, CAMPAIGN, { id: campaignY })).campaign.myRoles).toEqual(['ANNOTATOR']);

    // Finance of Y reads Y's ledger, not X's.
    const ledgerY = await gql<{ ledger: unknown[] }>(stack.apiUrl, finance.token, `query($c: ID!) { ledger(campaignId: $c) { ... on LedgerEntry { id } } }`, { c: campaignY });
    expect(ledgerY.ledger).toEqual([]);
    await expect(gql(stack.apiUrl, finance.token, `query($c: ID!) { ledger(campaignId: $c) { id } }`, { c: campaignX })).rejects.toThrow(/not found/i);

    // Taking the outsider on gives them work at once; taking the role away (from the organisation) ends it.
    await setMember(stack, opsA, campaignX, outsider.id, ['ANNOTATOR']);
    const now = await ask<{ claimNextTask: Outcome }>(outsider, CLAIM);
    expect(now.claimNextTask.__typename).toBe('Assignment');

    // Taking them off the campaign releases the slot they hold at once (not when its lease runs out): the task
    // has its slot open again and the release is audited.
    const held = await stack.prisma.assignment.findUniqueOrThrow({ where: { id: now.claimNextTask.id! } });
    const slotsBefore = (await stack.prisma.task.findUniqueOrThrow({ where: { id: held.taskId } })).openSlots;
    await setMember(stack, opsA, campaignX, outsider.id, []);
    expect((await stack.prisma.assignment.findUniqueOrThrow({ where: { id: held.id } })).status).toBe('RELEASED');
    expect((await stack.prisma.task.findUniqueOrThrow({ where: { id: held.taskId } })).openSlots).toBe(slotsBefore + 1);
    expect(await stack.prisma.auditEvent.count({ where: { action: 'claims.released', entityId: held.taskId } })).toBe(1);
    const submit = await ask<{ submitAnnotation: Outcome }>(
      outsider,
      `mutation($a: ID!, $d: JSON!, $k: String!) { submitAnnotation(assignmentId: $a, data: $d, idempotencyKey: $k) { __typename ... on DomainError { code message } } }`,
      { a: held.id, d: { label: 'a' }, k: 'after-removal' },
    );
    expect(submit.submitAnnotation?.code ?? JSON.stringify(submit)).toMatch(/LEASE_EXPIRED|FORBIDDEN|NOT_FOUND/);
  });

  it('refuses memberships outside the organisation, roles not granted, separation-of-duties breaks and self-service', async () => {
    const set = (who: Person, userId: string, roles: string[], campaign = campaignX) =>
      ask<{ setCampaignMember: Outcome }>(who, SET_MEMBER, { c: campaign, u: userId, r: roles }).then((r) => r.setCampaignMember);
    expect(await set(opsA, finance.id, ['ANNOTATOR'])).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/does not hold ANNOTATOR/) });
    expect(await set(opsA, dual.id, ['ANNOTATOR', 'QA_AUDITOR'])).toMatchObject({ __typename: 'Campaign' });
    expect(await set(opsA, ann2.id, ['ADMIN'])).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/not a campaign role/) });
    expect(await set(opsA, opsA.id, ['OPS_MANAGER', 'ANNOTATOR'])).toMatchObject({ code: 'FORBIDDEN' });
    expect(await set(opsA, otherAdmin.id, ['OPS_MANAGER'])).toMatchObject({ code: 'NOT_FOUND' });
    expect(await set(opsB, ann2.id, [], campaignX)).toMatchObject({ code: 'NOT_FOUND' });
    const annExpert = await register(stack, admin, 'Dr Edna Expert', ['EXPERT'], [], 'board-certified-surgeon');
    expect(await set(opsA, annExpert.id, ['EXPERT'])).toMatchObject({ __typename: 'Campaign' });
    // Each change is in the audit log, with who changed whom (no names).
    const events = await stack.prisma.auditEvent.findMany({ where: { action: 'campaign.member-set', entityId: campaignX } });
    expect(events.length).toBeGreaterThanOrEqual(3);

    const members = await ask<{ campaign: { members: Array<{ user: { id: string }; roles: string[] }> } }>(
      opsA,
      `query($id: ID!) { campaign(id: $id) { members { user { id } roles } } }`,
      { id: campaignX },
    );
    expect(members.campaign.members.find((m) => m.user.id === dual.id)?.roles.sort()).toEqual(['ANNOTATOR', 'QA_AUDITOR']);
    // Removing a member: no more work from the campaign.
    expect(await set(opsA, ann2.id, [])).toMatchObject({ __typename: 'Campaign' });
    expect((await ask<{ claimNextTask: Outcome }>(ann2, CLAIM)).claimNextTask).toMatchObject({ code: 'NO_TASK_AVAILABLE' });
  });

  it('keeps organisations apart: users, campaigns, tasks and the audit log', async () => {
    expect((await ask<{ campaigns: unknown[] }>(otherAdmin, CAMPAIGNS)).campaigns).toEqual([]);
    expect((await ask<{ campaign: unknown }>(otherAdmin, CAMPAIGN, { id: campaignX })).campaign).toBeNull();
    const users = await ask<{ users: Array<{ id: string }> }>(otherAdmin, `{ users { id } }`);
    expect(users.users.map((u) => u.id)).toEqual([otherAdmin.id]);
    const deactivate = await ask<{ setUserActive: Outcome }>(
      otherAdmin,
      `mutation($u: ID!) { setUserActive(userId: $u, active: false) { __typename ... on User { id } ... on DomainError { code message } } }`,
      { u: ann1.id },
    );
    expect(deactivate.setUserActive).toMatchObject({ code: 'NOT_FOUND' });
    const status = await ask<{ setCampaignStatus: Outcome }>(otherAdmin, SET_STATUS, { c: campaignX, s: 'CLOSED' });
    expect(status.setCampaignStatus).toMatchObject({ code: 'NOT_FOUND' });

    // A user the other admin registers lands in their organisation, and can be made staff of their campaigns only.
    const theirOps = await register(stack, otherAdmin, 'Tom Theirs', ['OPS_MANAGER']);
    expect(await stack.prisma.user.findUniqueOrThrow({ where: { id: theirOps.id }, select: { organizationId: true } })).toMatchObject({
      organizationId: (await stack.prisma.user.findUniqueOrThrow({ where: { id: otherAdmin.id } })).organizationId,
    });
    expect((await ask<{ users: Array<{ id: string }> }>(opsA, `{ users { id } }`)).users.map((u) => u.id)).not.toContain(theirOps.id);

    // The audit log: each organisation's auditors read their own events only.
    const EVENTS = `{ auditEvents(first: 100) { ... on AuditEventConnection { nodes { entityId action } } ... on DomainError { code message } } }`;
    await waitFor('audit events of both organisations', async () => (await stack.prisma.auditEvent.count({ where: { organizationId: { not: null } } })) > 0);
    const theirs = await ask<{ auditEvents: { nodes: Array<{ entityId: string; action: string }> } }>(otherAdmin, EVENTS);
    expect(theirs.auditEvents.nodes.length).toBeGreaterThan(0);
    const foreign = [campaignX, campaignY, batchX, ann1.id, opsA.id, admin.id];
    expect(theirs.auditEvents.nodes.filter((e) => foreign.includes(e.entityId))).toEqual([]);
    const ours = await ask<{ auditEvents: { nodes: Array<{ entityId: string }> } }>(admin, EVENTS);
    expect(ours.auditEvents.nodes.some((e) => e.entityId === campaignX)).toBe(true);
    expect(ours.auditEvents.nodes.filter((e) => e.entityId === theirOps.id || e.entityId === otherAdmin.id)).toEqual([]);
  });
});
