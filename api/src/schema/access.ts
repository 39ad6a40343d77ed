// Who may see the work on a task: one policy for every path. Double-blind wins over every role: whoever
// holds or held a labelling slot on a task (any round) sees no label of it but their own, whatever else
// they are (QA, ops, admin). Otherwise ops, QA and admins see all work; an expert sees the labels of the
// tasks they were given to review.
import type { Role } from '@suture/db';
import type { Context } from '../context.ts';

const SEES_ALL: Role[] = ['ADMIN', 'OPS_MANAGER', 'QA_AUDITOR'];

/** Roles that oversee work in general; each task still applies the blind rule (canSeeWorkOnTask). */
export function seesAllWork(ctx: Context): boolean {
  return ctx.user?.roles.some((r) => SEES_ALL.includes(r)) ?? false;
}

/** Whether the caller may see every label, the agreement and the consensus of a task. */
export async function canSeeWorkOnTask(ctx: Context, taskId: string): Promise<boolean> {
  const user = ctx.user;
  if (!user) return false;
  const own = await ctx.services.prisma.assignment.findMany({ where: { taskId, userId: user.id }, select: { kind: true, status: true } });
  // The blind rule first: a labeller of this task, in any round and whatever became of the slot.
  if (own.some((a) => a.kind === 'LABEL' || a.kind === 'REWORK')) return false;
  if (seesAllWork(ctx)) return true;
  return user.roles.includes('EXPERT') && own.some((a) => a.kind === 'REVIEW' && (a.status === 'ACTIVE' || a.status === 'SUBMITTED'));
}

export async function canSeeAnnotation(ctx: Context, annotation: { userId: string; taskId: string }): Promise<boolean> {
  if (!ctx.user) return false;
  if (annotation.userId === ctx.user.id) return true;
  return canSeeWorkOnTask(ctx, annotation.taskId);
}
