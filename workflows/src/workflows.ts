// Entry point the worker bundles: every workflow type Suture runs.
export { batchLifecycle } from './lifecycle/batch-lifecycle.ts';
export { taskLifecycle } from './lifecycle/task-lifecycle.ts';
export { privacyRedaction } from './lifecycle/privacy-redaction.ts';
