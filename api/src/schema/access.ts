// Who may see the work on a task: one policy for every path. Double-blind wins over every role: whoever
// holds or held a labelling slot on a task (any round) sees no label of it but their own, whatever else
// they are (QA, ops, admin). Otherwise the campaign's operations managers and QA auditors, and the admins of
// its organisation, see all work; an expert sees the labels of the tasks they were given to review. Roles
// count only within the task's campaign (services/tenancy.ts): an auditor of one campaign is nobody in another.
import type { Role } from '@suture/db';
import type { Context } from '../context.ts';
import { hasRoleOn } from '../services/tenancy.ts';

export const SEES_ALL: readonly Role[] = ['ADMIN', 'OPS_MANAGER', 'QA_AUDITOR'];

/** Whether the caller oversees the work of the task's campaign; each task still applies the blind rule (canSeeWorkOnTask). */
export function seesAllWorkOnTask(ctx: Context, taskId: string): Promise<boolean> {
  return hasRoleOn(ctx, 'task', taskId, SEES_ALL);
}

/** Whether the caller may see every label, the agreement and the consensus of a task. */
export async function canSeeWorkOnTask(ctx: Context, taskId: string): Promise<boolean> {
  const user = ctx.user;
  if (!user) return false;
  const own = await ctx.services.prisma.assignment.findMany({ where: { taskId, userId: user.id }, select: { kind: true, status: true } });
  // The blind rule first: a labeller of this task, in any round and whatever became of the slot.
  if (own.some((a) => a.kind === 'LABEL' || a.kind === 'REWORK')) return false;
  if (await seesAllWorkOnTask(ctx, taskId)) return true;
  return own.some((a) => a.kind === 'REVIEW' && (a.status === 'ACTIVE' || a.status === 'SUBMITTED')) && hasRoleOn(ctx, 'task', taskId, ['EXPERT']);
}

export async function canSeeAnnotation(ctx: Context, annotation: { userId: string; taskId: string }): Promise<boolean> {
  if (!ctx.user) return false;
  if (annotation.userId === ctx.user.id) return true;
  return canSeeWorkOnTask(ctx, annotation.taskId);
}
