// Who may see the work on a task. Double-blind: an annotator sees only their own labels, through
// every path; an expert sees the labels of tasks in their review queue; ops, QA and admins see all.
import type { Role } from '@suture/db';
import type { Context } from '../context.ts';

const SEES_ALL: Role[] = ['ADMIN', 'OPS_MANAGER', 'QA_AUDITOR'];

export function seesAllWork(ctx: Context): boolean {
  return ctx.user?.roles.some((r) => SEES_ALL.includes(r)) ?? false;
}

export async function canSeeWorkOnTask(ctx: Context, taskId: string): Promise<boolean> {
  if (!ctx.user) return false;
  if (seesAllWork(ctx)) return true;
  if (!ctx.user.roles.includes('EXPERT')) return false;
  const review = await ctx.services.prisma.assignment.findFirst({
    where: { taskId, userId: ctx.user.id, kind: 'REVIEW', status: { in: ['ACTIVE', 'SUBMITTED'] } },
    select: { id: true },
  });
  return review !== null;
}

export async function canSeeAnnotation(ctx: Context, annotation: { userId: string; taskId: string }): Promise<boolean> {
  if (!ctx.user) return false;
  if (annotation.userId === ctx.user.id) return true;
  return canSeeWorkOnTask(ctx, annotation.taskId);
}
