// Lists that page with cursors and filters (tasks, assets, annotations, ledger), the task browser's history of one
// task, and file names that only the campaign's managers see, on the real stack.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gql, startStack, waitFor, type Stack } from '../support/stack.ts';
import { bootstrapAdmin, createCampaignWithBatch, register, startBatch, type Person } from '../support/scenario.ts';

type Page<T> = { __typename: string; code?: string; message?: string; edges?: Array<{ cursor: string; node: T }>; pageInfo?: { endCursor: string | null; hasNextPage: boolean } };

const TASKS = `query($c: ID!, $first: Int, $after: String, $status: TaskStatusFilter, $batch: ID) {
  tasksPage(campaignId: $c, first: $first, after: $after, status: $status, batchId: $batch) {
    __typename ... on DomainError { code message }
    ... on QueryTasksPageConnection { edges { cursor node { id status } } pageInfo { endCursor hasNextPage } } } }`;
const ASSETS = `query($c: ID!, $first: Int, $after: String, $name: String) {
  assetsPage(campaignId: $c, first: $first, after: $after, fileName: $name) {
    __typename ... on DomainError { code message }
    ... on QueryAssetsPageConnection { edges { cursor node { id fileName } } pageInfo { endCursor hasNextPage } } } }`;
const LABELS = `query($c: ID!, $first: Int, $after: String, $u: ID) {
  annotationsPage(campaignId: $c, first: $first, after: $after, userId: $u, submitted: true) {
    __typename ... on DomainError { code message }
    ... on QueryAnnotationsPageConnection { edges { cursor node { id data annotator { id } } } pageInfo { endCursor hasNextPage } } } }`;
const LEDGER = `query($c: ID!, $first: Int, $after: String, $kind: LedgerKindFilter) {
  ledgerPage(campaignId: $c, first: $first, after: $after, kind: $kind) {
    __typename ... on DomainError { code message }
    ... on QueryLedgerPageConnection { edges { cursor node { id kind amountCents } } pageInfo { endCursor hasNextPage } } } }`;
const CLAIM = `mutation($c: ID) { claimNextTask(campaignId: $c) { __typename ... on Assignment { id taskId } ... on DomainError { code message } } }`;
const DRAFT = `mutation($a: ID!, $d: JSON!) { saveDraft(assignmentId: $a, data: $d) { __typename ... on Annotation { id } ... on DomainError { code message } } }`;
const SUBMIT = `mutation($a: ID!, $d: JSON!, $k: String!) { submitAnnotation(assignmentId: $a, data: $d, idempotencyKey: $k) { ... on Annotation { id } ... on DomainError { code message } } }`;

/** Every node of a connection, walking its pages of `first`; fails on a repeated node or a page over `first`. */
async function walk<T extends { id: string }>(fetchPage: (after: string | null) => Promise<Page<T>>, first: number): Promise<T[]> {
  const seen: T[] = [];
  let after: string | null = null;
  for (let pages = 0; pages < 100; pages++) {
    const page = await fetchPage(after);
    if (!page.edges || !page.pageInfo) throw new Error(`page refused: ${page.code} ${page.message}`);
    expect(page.edges.length).toBeLessThanOrEqual(first);
    seen.push(...page.edges.map((e) => e.node));
    if (!page.pageInfo.hasNextPage) return seen;
    expect(page.edges.length).toBe(first);
    after = page.pageInfo.endCursor;
  }
  throw new Error('more than 100 pages');
}

describe('paged lists and the task browser', () => {
  let stack: Stack;
  let admin: Person;
  let ops: Person;
  let ann1: Person;
  let ann2: Person;
  let fin: Person;
  let campaignId: string;
  let batchId: string;
  const TASK_COUNT = 7;

  beforeAll(async () => {
    stack = await startStack();
    admin = await bootstrapAdmin(stack);
    ops = await register(stack, admin, 'Olivia Ops', ['OPS_MANAGER']);
    ann1 = await register(stack, admin, 'Ann', ['ANNOTATOR'], [['laparoscopy', 3]]);
    ann2 = await register(stack, admin, 'Ben', ['ANNOTATOR'], [['laparoscopy', 3]]);
    fin = await register(stack, admin, 'Fay Finance', ['FINANCE']);
    ({ campaignId, batchId } = await createCampaignWithBatch(stack, ops, { tasks: TASK_COUNT, threshold: 0 }));
    await startBatch(stack, ops, batchId);
    await waitFor('tasks open', async () => (await stack.prisma.task.count({ where: { batchId, status: 'OPEN' } })) === TASK_COUNT);
  }, 600_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('pages every task exactly once in (createdAt, id) order, with filters, while tasks change status', async () => {
    const all = await walk<{ id: string; status: string }>(
      async (after) => (await gql<{ tasksPage: Page<{ id: string; status: string }> }>(stack.apiUrl, ops.token, TASKS, { c: campaignId, first: 3, after })).tasksPage,
      3,
    );
    expect(all).toHaveLength(TASK_COUNT);
    expect(new Set(all.map((t) => t.id)).size).toBe(TASK_COUNT);
    const expected = await stack.prisma.task.findMany({ where: { campaignId, goldItemId: null }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }], select: { id: true } });
    expect(all.map((t) => t.id)).toEqual(expected.map((t) => t.id));

    // A status filter pages over the matching tasks only.
    const first = await gql<{ tasksPage: Page<{ id: string }> }>(stack.apiUrl, ops.token, TASKS, { c: campaignId, first: 2, status: 'OPEN' });
    expect(first.tasksPage.edges).toHaveLength(2);
    const accepted = await gql<{ tasksPage: Page<{ id: string }> }>(stack.apiUrl, ops.token, TASKS, { c: campaignId, first: 2, status: 'ACCEPTED' });
    expect(accepted.tasksPage.edges).toHaveLength(0);
    expect(accepted.tasksPage.pageInfo?.hasNextPage).toBe(false);
  });

  it('refuses the lists to people without the role, and malformed ids with a clear error', async () => {
    await expect(gql(stack.apiUrl, ann1.token, TASKS, { c: campaignId, first: 2 })).rejects.toThrow(/your role does not allow this/);
    await expect(gql(stack.apiUrl, ops.token, LEDGER, { c: campaignId, first: 2 })).rejects.toThrow(/your role does not allow this/);
    // An operations manager of another campaign does not see this one's tasks.
    const outsider = await register(stack, admin, 'Other Ops', ['OPS_MANAGER']);
    const notMine = await gql<{ tasksPage: Page<{ id: string }> }>(stack.apiUrl, outsider.token, TASKS, { c: campaignId, first: 2 });
    expect(notMine.tasksPage.code).toBe('NOT_FOUND');
    const bad = await gql<{ tasksPage: Page<{ id: string }> }>(stack.apiUrl, ops.token, TASKS, { c: campaignId, first: 2, batch: 'not-an-id' });
    expect(bad.tasksPage.code).toBe('INVALID_INPUT');
    expect(bad.tasksPage.message).toMatch(/batch 'not-an-id' is not an id/);
    const tooMany = await gql<{ tasksPage: Page<{ id: string }> }>(stack.apiUrl, ops.token, TASKS, { c: campaignId, first: 5000 });
    // Pothos caps a page at maxSize instead of failing; the page never holds more than 500.
    expect(tooMany.tasksPage.edges!.length).toBeLessThanOrEqual(500);
  });

  it('shows file names to the campaign’s managers only, and filters media by them', async () => {
    const assets = await walk<{ id: string; fileName: string | null }>(
      async (after) => (await gql<{ assetsPage: Page<{ id: string; fileName: string | null }> }>(stack.apiUrl, ops.token, ASSETS, { c: campaignId, first: 4, after })).assetsPage,
      4,
    );
    expect(assets.map((a) => a.fileName).sort()).toEqual(Array.from({ length: TASK_COUNT }, (_, i) => `frame-${String(i).padStart(3, '0')}.png`));
    const named = await gql<{ assetsPage: Page<{ id: string; fileName: string }> }>(stack.apiUrl, ops.token, ASSETS, { c: campaignId, first: 10, name: 'FRAME-003' });
    expect(named.assetsPage.edges!.map((e) => e.node.fileName)).toEqual(['frame-003.png']);
    // The annotator's task shows its media, never the file name (it may name a patient).
    const claim = (await gql<{ claimNextTask: { id: string; taskId: string } }>(stack.apiUrl, ann1.token, CLAIM, { c: campaignId })).claimNextTask;
    const seen = await gql<{ task: { asset: { id: string; fileName: string | null } } }>(
      stack.apiUrl,
      ann1.token,
      `query($t: ID!) { task(id: $t) { ... on Task { asset { id fileName } } } }`,
      { t: claim.taskId },
    );
    expect(seen.task.asset.fileName).toBeNull();
    // No audit event carries a file name.
    const events = await stack.prisma.auditEvent.findMany({ where: { entityType: 'Asset' }, select: { data: true } });
    expect(JSON.stringify(events)).not.toMatch(/frame-0/);
    await gql(stack.apiUrl, ann1.token, SUBMIT, { a: claim.id, d: { label: 'grasper' }, k: `browse:${claim.id}` });
  });

  it('pages labels and the ledger; the task browser shows a task’s claims, label versions and reviews', async () => {
    // Ben drafts twice, then submits, on the task Ann labelled (tasks in progress come first).
    const claim = (await gql<{ claimNextTask: { id: string; taskId: string } }>(stack.apiUrl, ann2.token, CLAIM, { c: campaignId })).claimNextTask;
    await gql(stack.apiUrl, ann2.token, DRAFT, { a: claim.id, d: { label: 'hook' } });
    await gql(stack.apiUrl, ann2.token, SUBMIT, { a: claim.id, d: { label: 'clipper' }, k: `browse:${claim.id}` });
    const labels = await walk<{ id: string; annotator: { id: string } }>(
      async (after) =>
        (await gql<{ annotationsPage: Page<{ id: string; annotator: { id: string } }> }>(stack.apiUrl, ops.token, LABELS, { c: campaignId, first: 1, after })).annotationsPage,
      1,
    );
    expect(labels).toHaveLength(2);
    const bens = await gql<{ annotationsPage: Page<{ id: string }> }>(stack.apiUrl, ops.token, LABELS, { c: campaignId, first: 10, u: ann2.id });
    expect(bens.annotationsPage.edges).toHaveLength(1);
    expect(await stack.prisma.auditEvent.count({ where: { action: 'labels.listed', entityId: campaignId } })).toBeGreaterThan(0);

    await waitFor('ledger entries', async () => (await stack.prisma.ledgerEntry.count({ where: { campaignId, kind: 'LABEL' } })) === 2);
    const ledger = await walk<{ id: string; kind: string; amountCents: number }>(
      async (after) =>
        (await gql<{ ledgerPage: Page<{ id: string; kind: string; amountCents: number }> }>(stack.apiUrl, fin.token, LEDGER, { c: campaignId, first: 1, after, kind: 'LABEL' }))
          .ledgerPage,
      1,
    );
    expect(ledger.map((e) => [e.kind, e.amountCents])).toEqual([
      ['LABEL', 10],
      ['LABEL', 10],
    ]);

    const history = await gql<{
      task: {
        history: Array<{ kind: string; status: string; assignee: { id: string }; versions: Array<{ version: number; submitted: boolean; data: { label: string } }> }>;
      };
    }>(
      stack.apiUrl,
      ops.token,
      `query($t: ID!) { task(id: $t) { ... on Task { history { kind status assignee { id } versions { version submitted data } } reviews { id } audits { id } } } }`,
      { t: claim.taskId },
    );
    const bensClaim = history.task.history.find((h) => h.assignee.id === ann2.id)!;
    expect(bensClaim.status).toBe('SUBMITTED');
    expect(bensClaim.versions.map((v) => [v.version, v.submitted, v.data.label])).toEqual([
      [1, false, 'hook'],
      [2, true, 'clipper'],
    ]);
    // An annotator cannot read the history of the task (nor anyone's claims on it).
    await expect(gql(stack.apiUrl, ann1.token, `query($t: ID!) { task(id: $t) { ... on Task { history { id } } } }`, { t: claim.taskId })).rejects.toThrow(
      /does not allow|not authorized/i,
    );
  });
});
