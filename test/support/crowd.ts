// Simulated people driving the GraphQL API: annotators, experts and QA auditors working in parallel.
import { gql, type Stack } from './stack.ts';
import { CLASSES, type Person } from './scenario.ts';

export interface Annotator extends Person {
  name: string;
  /** The label this annotator gives a task, given the task's asset index. */
  answer: (assetIndex: number) => string;
}

const CLAIM = `mutation { claimNextTask { ... on Assignment { id round task { id asset { id } } } ... on DomainError { code message } } }`;
const SUBMIT = `mutation($a: ID!, $d: JSON!, $k: String!) { submitAnnotation(assignmentId: $a, data: $d, idempotencyKey: $k) { ... on Annotation { id } ... on DomainError { code message } } }`;

export const truth = (assetIndex: number): string => CLASSES[assetIndex % CLASSES.length]!;

/** One annotator claims and labels until `done()` says stop. Returns the number of submissions. */
export async function annotate(
  stack: Stack,
  who: Annotator,
  assetIndex: Map<string, number>,
  done: () => boolean,
  onSubmit?: (assignmentId: string) => Promise<void>,
): Promise<number> {
  let submitted = 0;
  while (!done()) {
    const claim = await gql<{ claimNextTask: { id?: string; round?: number; task?: { asset: { id: string } }; code?: string; message?: string } }>(stack.apiUrl, who.token, CLAIM);
    const c = claim.claimNextTask;
    if (!c.id) {
      if (c.code !== 'NO_TASK_AVAILABLE') throw new Error(`${who.name} claim failed: ${c.code} ${c.message}`);
      await new Promise((r) => setTimeout(r, 100));
      continue;
    }
    await gql(stack.apiUrl, who.token, `mutation($a: ID!) { heartbeat(assignmentId: $a, active: true) { ... on Assignment { id } ... on DomainError { code } } }`, { a: c.id });
    const index = assetIndex.get(c.task!.asset.id)!;
    const res = await gql<{ submitAnnotation: { id?: string; code?: string; message?: string } }>(stack.apiUrl, who.token, SUBMIT, {
      a: c.id,
      d: { label: who.answer(index) },
      k: `submit:${c.id}`,
    });
    if (!res.submitAnnotation.id) throw new Error(`${who.name} submit failed: ${res.submitAnnotation.code} ${res.submitAnnotation.message}`);
    submitted += 1;
    if (onSubmit) await onSubmit(c.id);
  }
  return submitted;
}

/** An expert adjudicates every disagreement by choosing the label that matches the truth. */
export async function adjudicate(stack: Stack, expert: Person, assetIndex: Map<string, number>, done: () => boolean): Promise<number> {
  let reviews = 0;
  while (!done()) {
    const claim = await gql<{ claimNextReview: { id?: string; task?: { asset: { id: string }; submittedLabels: Array<{ id: string; data: { label: string } }> }; code?: string } }>(
      stack.apiUrl,
      expert.token,
      `mutation { claimNextReview { ... on Assignment { id task { asset { id } submittedLabels { id data } } } ... on DomainError { code message } } }`,
    );
    const c = claim.claimNextReview;
    if (!c.id) {
      await new Promise((r) => setTimeout(r, 100));
      continue;
    }
    const wanted = truth(assetIndex.get(c.task!.asset.id)!);
    const chosen = c.task!.submittedLabels.find((l) => l.data.label === wanted);
    const res = await gql<{ submitReview: { id?: string; message?: string } }>(
      stack.apiUrl,
      expert.token,
      `mutation($a: ID!, $c: ID, $d: JSON, $k: String!) { submitReview(assignmentId: $a, chosenAnnotationId: $c, correctedData: $d, idempotencyKey: $k) { ... on Review { id } ... on DomainError { code message } } }`,
      chosen ? { a: c.id, c: chosen.id, k: `review:${c.id}` } : { a: c.id, d: { label: wanted }, k: `review:${c.id}` },
    );
    if (!res.submitReview.id) throw new Error(`review failed: ${res.submitReview.message}`);
    reviews += 1;
  }
  return reviews;
}

/** A QA auditor judges sampled tasks; `verdictFor` decides each one. */
export async function audit(
  stack: Stack,
  auditor: Person,
  done: () => boolean,
  verdictFor: (audit: { id: string; qaRound: number; taskId: string }) => 'PASS' | 'FAIL',
): Promise<Array<{ taskId: string; qaRound: number; verdict: string }>> {
  const verdicts: Array<{ taskId: string; qaRound: number; verdict: string }> = [];
  while (!done()) {
    const queue = await gql<{ auditQueue: Array<{ id: string; qaRound: number; task: { id: string } }> }>(
      stack.apiUrl,
      auditor.token,
      `{ auditQueue { id qaRound task { id consensus } } }`,
    );
    if (queue.auditQueue.length === 0) {
      await new Promise((r) => setTimeout(r, 100));
      continue;
    }
    for (const a of queue.auditQueue) {
      const verdict = verdictFor({ id: a.id, qaRound: a.qaRound, taskId: a.task.id });
      const res = await gql<{ submitAuditVerdict: { id?: string; code?: string; message?: string } }>(
        stack.apiUrl,
        auditor.token,
        `mutation($a: ID!, $v: QaVerdict!, $n: String) { submitAuditVerdict(auditId: $a, verdict: $v, notes: $n) { ... on QaAudit { id } ... on DomainError { code message } } }`,
        // A failure carries the note the reworking annotator reads (the API refuses one without).
        { a: a.id, v: verdict, n: verdict === 'FAIL' ? 'the consensus names the wrong instrument' : null },
      );
      if (!res.submitAuditVerdict.id) throw new Error(`verdict failed: ${res.submitAuditVerdict.code} ${res.submitAuditVerdict.message}`);
      verdicts.push({ taskId: a.task.id, qaRound: a.qaRound, verdict });
    }
  }
  return verdicts;
}
