// One task's whole history: every claim in every round with each version of its label, the expert's reviews, the
// QA audits, and the task's audit events (for those who may read the audit log).
import { error } from '@sveltejs/kit';
import { gql, isApiError } from '$lib/api';
import { failLoad } from '$lib/errors';
import type { PageLoad } from './$types';

export interface TaskHistory {
  id: string;
  status: string;
  round: number;
  frameIndex: number | null;
  sourceFrame: number | null;
  requiredLevel: number;
  agreement: number | null;
  agreementMetric: string | null;
  consensusMethod: string | null;
  reviewReason: string | null;
  consensus: unknown;
  createdAt: string;
  acceptedAt: string | null;
  campaign: { id: string; name: string };
  batch: { id: string; name: string };
  asset: { id: string; kind: string; fileName: string | null } | null;
  history: Array<{
    id: string;
    kind: string;
    status: string;
    round: number;
    slot: number;
    claimedAt: string;
    submittedAt: string | null;
    releasedAt: string | null;
    releaseReason: string | null;
    activeSeconds: number;
    assignee: { id: string; name: string };
    versions: Array<{ id: string; version: number; submitted: boolean; createdAt: string; data: unknown }>;
  }>;
  reviews: Array<{ id: string; round: number; decision: string; comment: string; createdAt: string; data: unknown; reviewer: { id: string; name: string } }>;
  audits: Array<{ id: string; qaRound: number; stratum: string; verdict: string | null; notes: string; auditedAt: string | null; auditor: { id: string; name: string } | null }>;
}

const TASK = /* GraphQL */ `
  query TaskHistory($id: ID!) {
    task(id: $id) {
      __typename
      ... on DomainError { code message }
      ... on Task {
        id status round frameIndex sourceFrame requiredLevel agreement agreementMetric consensusMethod reviewReason consensus createdAt acceptedAt
        campaign { id name } batch { id name } asset { id kind fileName }
        history { id kind status round slot claimedAt submittedAt releasedAt releaseReason activeSeconds assignee { id name }
                  versions { id version submitted createdAt data } }
        reviews { id round decision comment createdAt data reviewer { id name } }
        audits { id qaRound stratum verdict notes auditedAt auditor { id name } }
      }
    }
  }
`;

const EVENTS = /* GraphQL */ `
  query TaskEvents($id: String!) {
    auditEvents(filter: { entityType: "Task", entityId: $id }, first: 200) {
      __typename
      ... on DomainError { code message }
      ... on AuditEventConnection { nodes { seq at actorName action data } }
    }
  }
`;

export type TaskEvent = { seq: string; at: string; actorName: string | null; action: string; data: Record<string, unknown> };

export const load = (async ({ fetch, url, params }) => {
  const data = await gql<{ task: TaskHistory | null }>(TASK, { id: params.id }, { fetch }).catch((e: unknown) => failLoad(e, url));
  if (!data.task) error(404, { message: 'task not found', code: 'NOT_FOUND' });
  // The audit log is for admins and QA auditors: anyone else sees the history without it.
  let events: TaskEvent[] | null = null;
  try {
    events = (await gql<{ auditEvents: { nodes: TaskEvent[] } }>(EVENTS, { id: params.id }, { fetch })).auditEvents.nodes;
  } catch (e) {
    // Refused by role (a GraphQL error, not a DomainError): the page shows the history without the events.
    if (!isApiError(e)) throw e;
  }
  return { task: data.task, events };
}) satisfies PageLoad;
