// Task comment threads and an annotator's own feedback in GraphQL; services/feedback.ts decides who reads what.
import { builder } from './builder.ts';
import { addTaskComment, myFeedback, taskComments, type CommentView } from '../services/feedback.ts';

const CommentKindEnum = builder.enumType('CommentKind', { values: ['NOTE', 'QA_NOTE', 'CORRECTION', 'SKIP'] as const });

const TaskCommentRef = builder.objectRef<CommentView>('TaskComment').implement({
  description: "A comment on a task: a note, a QA auditor's note, an expert's correction, or a skip reason (operations only). Authors appear by role only.",
  fields: (t) => ({
    id: t.exposeID('id'),
    taskId: t.exposeID('taskId'),
    round: t.exposeInt('round'),
    kind: t.field({ type: CommentKindEnum, resolve: (c) => c.kind }),
    objectId: t.exposeString('objectId', { nullable: true, description: 'The object of the label the comment is about, when it is about one' }),
    body: t.exposeString('body'),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    authorRole: t.exposeString('authorRole', { description: "'annotator', 'expert', 'QA auditor' or 'operations'" }),
    mine: t.exposeBoolean('mine'),
    correctedLabel: t.field({ type: 'JSON', nullable: true, description: "A correction's label, in the campaign type's canonical form", resolve: (c) => c.correctedLabel ?? null }),
  }),
});

const FeedbackPageRef = builder.objectRef<{ items: CommentView[]; endCursor: string | null; hasNextPage: boolean }>('FeedbackPage').implement({
  fields: (t) => ({
    items: t.field({ type: [TaskCommentRef], resolve: (p) => p.items }),
    endCursor: t.exposeString('endCursor', { nullable: true }),
    hasNextPage: t.exposeBoolean('hasNextPage'),
  }),
});

builder.queryFields((t) => ({
  taskComments: t.withAuth({ authenticated: true }).field({
    type: [TaskCommentRef],
    errors: {},
    description: "A task's thread, oldest first, as the blind rules let you read it.",
    args: { taskId: t.arg.id() },
    resolve: (_root, args, ctx) => taskComments(ctx, String(args.taskId)),
  }),
  myFeedback: t.withAuth({ authenticated: true }).field({
    type: FeedbackPageRef,
    errors: {},
    description: 'QA notes and corrections about your own labels, newest first.',
    args: { first: t.arg.int({ required: false }), after: t.arg.string({ required: false }) },
    resolve: (_root, args, ctx) => myFeedback(ctx, { first: args.first ?? null, after: args.after ?? null }),
  }),
}));

builder.mutationFields((t) => ({
  addTaskComment: t.withAuth({ authenticated: true }).field({
    type: TaskCommentRef,
    errors: {},
    description: 'Adds a note to a task you work on now (or oversee as its expert, QA auditor or operations); objectId names an object of the label.',
    args: { taskId: t.arg.id(), body: t.arg.string(), objectId: t.arg.string({ required: false }) },
    resolve: (_root, args, ctx) => addTaskComment(ctx, { taskId: String(args.taskId), body: args.body, objectId: args.objectId ?? null }),
  }),
}));
