// Feedback written as task comments by the lifecycle and the API alike: a failed audit's note as a QA_NOTE about
// each annotator whose label it judged, and an expert's correction as a CORRECTION about each annotator it changed.
// (Who reads them is decided in api/src/services/feedback.ts.)
import type { Prisma } from '@suture/db';

const LABELLING = ['LABEL', 'REWORK'] as const;

/**
 * Writes a failed audit's note as a QA_NOTE about each annotator whose label of the audited round was judged
 * (inside the caller's transaction; the decision of the lot calls it once per failed audit).
 */
export async function recordQaNotes(tx: Prisma.TransactionClient, audit: { taskId: string; auditorId: string | null; notes: string }): Promise<number> {
  if (!audit.auditorId || audit.notes.trim() === '') return 0;
  const task = await tx.task.findUniqueOrThrow({ where: { id: audit.taskId }, select: { round: true } });
  const labelled = await tx.assignment.findMany({
    where: { taskId: audit.taskId, round: task.round, kind: { in: [...LABELLING] }, status: 'SUBMITTED' },
    select: { userId: true },
  });
  const about = [...new Set(labelled.map((a) => a.userId))];
  await tx.taskComment.createMany({
    data: about.map((userId) => ({ taskId: audit.taskId, round: task.round, authorId: audit.auditorId!, kind: 'QA_NOTE' as const, aboutUserId: userId, body: audit.notes })),
  });
  return about.length;
}

/** An expert's correction as a CORRECTION about each annotator whose label differed from it (inside the review's transaction). */
export async function recordCorrections(
  tx: Prisma.TransactionClient,
  review: { taskId: string; round: number; reviewerId: string; data: unknown; comment: string },
): Promise<number> {
  const labels = await tx.annotation.findMany({
    where: { taskId: review.taskId, submitted: true, assignment: { round: review.round, kind: { in: [...LABELLING] }, status: 'SUBMITTED' } },
    select: { userId: true, data: true },
  });
  const corrected = JSON.stringify(review.data);
  const about = [...new Set(labels.filter((l) => JSON.stringify(l.data) !== corrected).map((l) => l.userId))];
  const body = review.comment.trim() || 'The expert corrected this label.';
  await tx.taskComment.createMany({
    data: about.map((userId) => ({ taskId: review.taskId, round: review.round, authorId: review.reviewerId, kind: 'CORRECTION' as const, aboutUserId: userId, body })),
  });
  return about.length;
}
