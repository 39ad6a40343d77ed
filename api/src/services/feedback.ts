// Feedback that reaches people: comment threads on a task, QA notes and expert corrections written as comments
// about each annotator whose label they concern, skip reasons for operations, and an annotator's own feedback list.
//
// Blind rules, decided here for every reader:
//   - annotators see other authors only by role, never names or ids;
//   - a note by an annotator reaches the other annotators of the task only once that round is decided;
//   - a QA note or correction about an annotator reaches that annotator, and those who rework the task in a later
//     round (who did not label the round it is about); never a peer of the round it is about;
//   - skip reasons reach the campaign's operations only.
import type { CommentKind, Prisma, Role } from '@suture/db';
import { freeText } from '@suture/workflows/domain/text';
import { appendAudit } from '@suture/workflows/services/audit-log';
import type { AuthUser } from '../auth/sessions.ts';
import type { Context } from '../context.ts';
import { ForbiddenError, InvalidInputError, NotFoundError } from '../errors.ts';
import { campaignAccess, MANAGES } from './tenancy.ts';

/** Longest comment, in characters. */
export const MAX_COMMENT = 5000;
const LABELLING = ['LABEL', 'REWORK'] as const;
const STAFF: readonly Role[] = ['ADMIN', 'OPS_MANAGER', 'EXPERT', 'QA_AUDITOR'];

export type AuthorRole = 'annotator' | 'expert' | 'QA auditor' | 'operations';

export interface CommentView {
  id: string;
  taskId: string;
  round: number;
  kind: CommentKind;
  objectId: string | null;
  body: string;
  createdAt: Date;
  /** The author's part in the task, never who they are. */
  authorRole: AuthorRole;
  mine: boolean;
  /** For a correction: the expert's label, shown to those the correction reaches. */
  correctedLabel: unknown;
}

type CommentRow = Prisma.TaskCommentGetPayload<{ select: typeof COMMENT_SELECT }>;
const COMMENT_SELECT = { id: true, taskId: true, round: true, kind: true, objectId: true, body: true, createdAt: true, authorId: true, aboutUserId: true } as const;

/** How the caller stands to a task: staff who never labelled it see the whole thread; labellers see it through the blind rules. */
interface Standing {
  task: { id: string; campaignId: string; round: number; status: string };
  /** Rounds in which the caller held a labelling slot (any status). */
  labelledRounds: Set<number>;
  /** Holds an active assignment (labelling or review) on the task now. */
  working: boolean;
  staff: boolean;
  manages: boolean;
}

async function standing(ctx: Context & { user: AuthUser }, taskId: string): Promise<Standing> {
  const { prisma } = ctx.services;
  const task = /^[0-9a-f-]{36}$/i.test(taskId)
    ? await prisma.task.findUnique({ where: { id: taskId }, select: { id: true, campaignId: true, round: true, status: true, goldItemId: true } })
    : null;
  const access = task ? await campaignAccess(ctx, task.campaignId) : null;
  if (!task || !access) throw new NotFoundError('task');
  const mine = await prisma.assignment.findMany({ where: { taskId, userId: ctx.user.id }, select: { kind: true, round: true, status: true } });
  const labelledRounds = new Set(mine.filter((a) => (LABELLING as readonly string[]).includes(a.kind)).map((a) => a.round));
  // The blind rule wins over every role: whoever labelled the task reads its thread as an annotator.
  const staff = labelledRounds.size === 0 && STAFF.some((r) => access.roles.has(r)) && task.goldItemId === null;
  return {
    task,
    labelledRounds,
    working: mine.some((a) => a.status === 'ACTIVE'),
    staff,
    manages: staff && MANAGES.some((r) => access.roles.has(r)),
  };
}

/** Whether a comment reaches an annotator of the task (someone who labelled it in some round). */
function reachesLabeller(c: CommentRow, me: string, s: Standing, labellers: Map<number, Set<string>>): boolean {
  if (c.authorId === me) return c.kind !== 'SKIP' || s.manages;
  if (c.kind === 'SKIP') return false;
  if (c.kind === 'QA_NOTE' || c.kind === 'CORRECTION') {
    if (c.aboutUserId === me) return true;
    // Those who rework the task later read what went wrong before, unless they were a peer of that round.
    return [...s.labelledRounds].some((r) => r > c.round) && !s.labelledRounds.has(c.round);
  }
  // A NOTE: about someone else is never for me; by another annotator of an undecided round it could leak a label.
  if (c.aboutUserId !== null && c.aboutUserId !== me) return false;
  const byLabeller = labellers.get(c.round)?.has(c.authorId) ?? false;
  if (!byLabeller) return true;
  return s.task.round > c.round || s.task.status === 'ACCEPTED';
}

async function views(ctx: Context & { user: AuthUser }, rows: CommentRow[]): Promise<CommentView[]> {
  if (rows.length === 0) return [];
  const { prisma } = ctx.services;
  const taskIds = [...new Set(rows.map((r) => r.taskId))];
  const authors = [...new Set(rows.map((r) => r.authorId))];
  const work = await prisma.assignment.findMany({ where: { taskId: { in: taskIds }, userId: { in: authors } }, select: { taskId: true, userId: true, kind: true } });
  const tasks = await prisma.task.findMany({ where: { id: { in: taskIds } }, select: { id: true, campaignId: true } });
  const members = await prisma.campaignMember.findMany({
    where: { campaignId: { in: [...new Set(tasks.map((t) => t.campaignId))] }, userId: { in: authors } },
    select: { campaignId: true, userId: true, roles: true },
  });
  const corrections = await prisma.review.findMany({ where: { taskId: { in: taskIds }, decision: 'CORRECTED' }, select: { taskId: true, round: true, data: true } });
  const roleOf = (c: CommentRow): AuthorRole => {
    if (c.kind === 'QA_NOTE') return 'QA auditor';
    if (c.kind === 'CORRECTION') return 'expert';
    const kinds = work.filter((w) => w.taskId === c.taskId && w.userId === c.authorId).map((w) => w.kind);
    if (kinds.some((k) => k === 'LABEL' || k === 'REWORK')) return 'annotator';
    if (kinds.includes('REVIEW')) return 'expert';
    const campaignId = tasks.find((t) => t.id === c.taskId)?.campaignId;
    const roles = members.find((m) => m.campaignId === campaignId && m.userId === c.authorId)?.roles ?? [];
    if (roles.includes('OPS_MANAGER')) return 'operations';
    if (roles.includes('QA_AUDITOR')) return 'QA auditor';
    if (roles.includes('EXPERT')) return 'expert';
    return 'operations';
  };
  return rows.map((c) => ({
    id: c.id,
    taskId: c.taskId,
    round: c.round,
    kind: c.kind,
    objectId: c.objectId,
    body: c.body,
    createdAt: c.createdAt,
    authorRole: roleOf(c),
    mine: c.authorId === ctx.user.id,
    correctedLabel: c.kind === 'CORRECTION' ? (corrections.find((r) => r.taskId === c.taskId && r.round === c.round)?.data ?? null) : null,
  }));
}

/** A task's thread as the caller may read it, oldest first. */
export async function taskComments(ctx: Context & { user: AuthUser }, taskId: string): Promise<CommentView[]> {
  const s = await standing(ctx, taskId);
  const { prisma } = ctx.services;
  if (!s.staff && s.labelledRounds.size === 0) throw new ForbiddenError('only those working on this task, and its experts, QA auditors and operations, read its comments');
  const rows = await prisma.taskComment.findMany({ where: { taskId }, select: COMMENT_SELECT, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
  if (s.staff)
    return views(
      ctx,
      rows.filter((c) => c.kind !== 'SKIP' || s.manages),
    );
  const labelling = await prisma.assignment.findMany({ where: { taskId, kind: { in: [...LABELLING] } }, select: { round: true, userId: true } });
  const labellers = new Map<number, Set<string>>();
  for (const a of labelling) labellers.set(a.round, (labellers.get(a.round) ?? new Set()).add(a.userId));
  const visible = rows.filter((c) => reachesLabeller(c, ctx.user.id, s, labellers));
  // The same QA note or correction is written once per annotator concerned: a reworker reads it once.
  const seen = new Set<string>();
  return views(
    ctx,
    visible.filter((c) => {
      if (c.aboutUserId === ctx.user.id || (c.kind !== 'QA_NOTE' && c.kind !== 'CORRECTION')) return true;
      const key = `${c.kind}|${c.round}|${c.authorId}|${c.objectId ?? ''}|${c.body}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    }),
  );
}

/** Adds a note to a task's thread: for whoever works on it now, and its campaign's experts, QA auditors and operations. */
export async function addTaskComment(ctx: Context & { user: AuthUser }, input: { taskId: string; body: string; objectId?: string | null }): Promise<CommentView> {
  const body = freeText(MAX_COMMENT).safeParse(input.body.trim());
  if (!body.success)
    throw new InvalidInputError(
      'invalid comment',
      body.error.issues.map((i) => `body: ${i.message}`),
    );
  if (body.data === '') throw new InvalidInputError('the comment is empty');
  const objectId = input.objectId?.trim() || null;
  if (objectId !== null && !/^[A-Za-z0-9_.:-]{1,100}$/.test(objectId)) throw new InvalidInputError('objectId is the id of an object of the label (1-100 letters, digits, _ . : -)');
  const s = await standing(ctx, input.taskId);
  if (!s.working && !s.staff) throw new ForbiddenError('only whoever works on this task now, and its experts, QA auditors and operations, may comment on it');
  const row = await ctx.services.prisma.$transaction(async (tx) => {
    const created = await tx.taskComment.create({
      data: { taskId: s.task.id, round: s.task.round, authorId: ctx.user.id, kind: 'NOTE', objectId, body: body.data },
      select: COMMENT_SELECT,
    });
    await appendAudit(tx, { actorId: ctx.user.id, action: 'comment.added', entityType: 'Task', entityId: s.task.id, data: { commentId: created.id, round: s.task.round } });
    return created;
  });
  return (await views(ctx, [row]))[0]!;
}

/** Feedback about the caller's own labels (QA notes, corrections), newest first, a page at a time. */
export async function myFeedback(
  ctx: Context & { user: AuthUser },
  page: { first?: number | null; after?: string | null },
): Promise<{ items: CommentView[]; endCursor: string | null; hasNextPage: boolean }> {
  const take = Math.min(Math.max(page.first ?? 20, 1), 100);
  if (page.after && !/^[0-9a-f-]{36}$/i.test(page.after)) throw new InvalidInputError('after is the endCursor of a previous page');
  const rows = await ctx.services.prisma.taskComment.findMany({
    where: { aboutUserId: ctx.user.id, kind: { in: ['QA_NOTE', 'CORRECTION'] } },
    select: COMMENT_SELECT,
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: take + 1,
    ...(page.after ? { cursor: { id: page.after }, skip: 1 } : {}),
  });
  const items = await views(ctx, rows.slice(0, take));
  return { items, endCursor: items.at(-1)?.id ?? null, hasNextPage: rows.length > take };
}
