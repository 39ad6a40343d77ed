// Account administration on the real API: deactivation ends a user's sessions in every API process at once
// (PostgreSQL NOTIFY, not a cache timeout), roles change with their sessions, passwords are reset or changed,
// and role sets or credentials that break separation of duties are refused.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '@suture/api/app';
import { SessionStore } from '@suture/api/auth/sessions';
import { gql, startStack, waitFor, type Stack } from '../support/stack.ts';
import { bootstrapAdmin, login, PASSWORD, register, type Person } from '../support/scenario.ts';

const ME = `{ me { id roles } }`;

async function raw(apiUrl: string, token: string, query: string, variables: Record<string, unknown> = {}) {
  const res = await fetch(`${apiUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as { data?: Record<string, unknown> | null; errors?: Array<{ message: string }> };
}

describe('accounts', () => {
  let stack: Stack;
  let admin: Person;
  let ops: Person;
  let ann: Person;
  /** A second API process: its own session cache, listening for revocations like the first. */
  let otherApiUrl: string;
  let otherServer: Server;
  let stopOther: () => Promise<void>;

  beforeAll(async () => {
    stack = await startStack();
    admin = await bootstrapAdmin(stack);
    ops = await register(stack, admin, 'Olivia Ops', ['OPS_MANAGER']);
    ann = await register(stack, admin, 'Ann', ['ANNOTATOR'], [['laparoscopy', 3]]);
    const sessions = new SessionStore(stack.prisma, 12);
    stopOther = await sessions.listen();
    const app = createApp({ ...stack.services, sessions });
    otherServer = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    otherApiUrl = `http://127.0.0.1:${(otherServer.address() as AddressInfo).port}`;
  }, 300_000);

  afterAll(async () => {
    await new Promise<void>((resolve) => otherServer?.close(() => resolve()));
    await stopOther?.();
    await stack?.stop();
  });

  it('ends a deactivated user’s sessions in every API process at once', async () => {
    // Both processes have the session cached.
    expect((await raw(stack.apiUrl, ann.token, ME)).data?.me).toBeTruthy();
    expect((await raw(otherApiUrl, ann.token, ME)).data?.me).toBeTruthy();
    const off = await gql<{ setUserActive: { id?: string; message?: string } }>(
      stack.apiUrl,
      ops.token,
      `mutation($u: ID!) { setUserActive(userId: $u, active: false) { ... on User { id } ... on DomainError { message } } }`,
      { u: ann.id },
    );
    expect(off.setUserActive.id).toBe(ann.id);
    expect((await raw(stack.apiUrl, ann.token, ME)).data?.me ?? null).toBeNull();
    // The other process hears of it well within its 15 s cache lifetime.
    await waitFor('the other API process to drop the session', async () => ((await raw(otherApiUrl, ann.token, ME)).data?.me ?? null) === null, 10_000, 50);
    await expect(login(stack, ann.email)).rejects.toThrow(/wrong email or password/);
    const events = await stack.prisma.auditEvent.findMany({ where: { action: 'user.deactivated', entityId: ann.id } });
    expect(events).toHaveLength(1);
    await gql(stack.apiUrl, ops.token, `mutation($u: ID!) { setUserActive(userId: $u, active: true) { ... on User { id } } }`, { u: ann.id });
    ann.token = await login(stack, ann.email);
  });

  it('changes roles (their sessions end), and refuses role sets that break separation of duties', async () => {
    const both = await gql<{ setUserRoles: { id?: string; code?: string; message?: string } }>(
      stack.apiUrl,
      ops.token,
      `mutation($u: ID!) { setUserRoles(userId: $u, roles: [ANNOTATOR, EXPERT]) { ... on User { id } ... on DomainError { code message } } }`,
      { u: ann.id },
    );
    expect(both.setUserRoles.code).toBe('INVALID_INPUT');
    expect(both.setUserRoles.message).toMatch(/ANNOTATOR and EXPERT cannot be held together/);
    const created = await gql<{ registerUser: { id?: string; message?: string } }>(
      stack.apiUrl,
      ops.token,
      `mutation { registerUser(email: "sock@suture.test", name: "Sock", password: "long enough password", roles: [ANNOTATOR, EXPERT, FINANCE]) { ... on User { id } ... on DomainError { message } } }`,
    );
    expect(created.registerUser.message).toMatch(/separation of duties/);
    expect(await stack.prisma.user.count({ where: { email: 'sock@suture.test' } })).toBe(0);
    const toAdmin = await gql<{ setUserRoles: { code?: string } }>(
      stack.apiUrl,
      ops.token,
      `mutation($u: ID!) { setUserRoles(userId: $u, roles: [ADMIN]) { ... on User { id } ... on DomainError { code } } }`,
      { u: ann.id },
    );
    expect(toAdmin.setUserRoles.code).toBe('FORBIDDEN');
    const onAdmin = await gql<{ setUserActive: { code?: string } }>(
      stack.apiUrl,
      ops.token,
      `mutation($u: ID!) { setUserActive(userId: $u, active: false) { ... on User { id } ... on DomainError { code } } }`,
      { u: admin.id },
    );
    expect(onAdmin.setUserActive.code).toBe('FORBIDDEN');

    const qa = await gql<{ setUserRoles: { id?: string } }>(
      stack.apiUrl,
      ops.token,
      `mutation($u: ID!) { setUserRoles(userId: $u, roles: [QA_AUDITOR]) { ... on User { id } ... on DomainError { code } } }`,
      { u: ann.id },
    );
    expect(qa.setUserRoles.id).toBe(ann.id);
    expect((await raw(stack.apiUrl, ann.token, ME)).data?.me ?? null).toBeNull();
    ann.token = await login(stack, ann.email);
    expect(((await raw(stack.apiUrl, ann.token, ME)).data?.me as { roles: string[] }).roles).toEqual(['QA_AUDITOR']);
  });

  it('refuses credentials granted to oneself or to a non-expert', async () => {
    const self = await gql<{ grantCredential: { code?: string; message?: string } }>(
      stack.apiUrl,
      ops.token,
      `mutation($u: ID!) { grantCredential(userId: $u, kind: "board-certified-surgeon", issuer: "Board") { ... on User { id } ... on DomainError { code message } } }`,
      { u: ops.id },
    );
    expect(self.grantCredential.code).toBe('FORBIDDEN');
    const nonExpert = await gql<{ grantCredential: { code?: string; message?: string } }>(
      stack.apiUrl,
      ops.token,
      `mutation($u: ID!) { grantCredential(userId: $u, kind: "board-certified-surgeon", issuer: "Board") { ... on User { id } ... on DomainError { code message } } }`,
      { u: ann.id },
    );
    expect(nonExpert.grantCredential.message).toMatch(/for experts/);
    expect(await stack.prisma.credential.count()).toBe(0);
  });

  it('resets and changes passwords, ending old sessions', async () => {
    const reset = await gql<{ resetPassword: { data?: string } | string }>(
      stack.apiUrl,
      admin.token,
      `mutation($u: ID!) { resetPassword(userId: $u) { ... on MutationResetPasswordSuccess { data } ... on DomainError { message } } }`,
      { u: ann.id },
    );
    const temporary = (reset.resetPassword as { data: string }).data;
    expect(temporary.length).toBeGreaterThanOrEqual(16);
    expect((await raw(stack.apiUrl, ann.token, ME)).data?.me ?? null).toBeNull();
    await expect(login(stack, ann.email)).rejects.toThrow(/wrong email or password/);
    const token = await login(stack, ann.email, temporary);

    const change = (current: string, next: string, t: string) =>
      raw(
        stack.apiUrl,
        t,
        `mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) { ... on MutationChangePasswordSuccess { data } ... on DomainError { code message } } }`,
        {
          c: current,
          n: next,
        },
      );
    expect(JSON.stringify(await change('not it', 'a brand new passphrase', token))).toMatch(/the current password is wrong/);
    expect(JSON.stringify(await change(temporary, 'short', token))).toMatch(/at least 12 characters/);
    const changed = (await change(temporary, 'a brand new passphrase', token)).data?.changePassword as { data: string };
    expect((await raw(stack.apiUrl, token, ME)).data?.me ?? null).toBeNull();
    expect((await raw(stack.apiUrl, changed.data, ME)).data?.me).toBeTruthy();
    expect(await login(stack, ann.email, 'a brand new passphrase')).toBeTruthy();
    await expect(login(stack, ann.email, PASSWORD)).rejects.toThrow();
  });
});
