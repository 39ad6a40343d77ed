// Account administration on the real API: deactivation ends a user's sessions in every API process at once
// (PostgreSQL NOTIFY, not a cache timeout), roles change with their sessions, passwords are reset or changed,
// and role sets or credentials that break separation of duties are refused.
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '@suture/api/app';
import { SessionStore } from '@suture/api/auth/sessions';
import { gql, startStack, waitFor, type Stack } from '../support/stack.ts';
import { bootstrapAdmin, createCampaignWithBatch, login, PASSWORD, register, startBatch, type Person } from '../support/scenario.ts';

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
    // Ann holds a labelling slot: deactivation gives it back to the queue at once, not when its lease runs out.
    const { batchId } = await createCampaignWithBatch(stack, ops, { tasks: 1 });
    await startBatch(stack, ops, batchId);
    await waitFor('the task to open', async () => (await stack.prisma.task.count({ where: { batchId, status: 'OPEN' } })) === 1);
    const claim = await gql<{ claimNextTask: { id?: string; message?: string } }>(
      stack.apiUrl,
      ann.token,
      `mutation { claimNextTask { ... on Assignment { id } ... on DomainError { message } } }`,
    );
    expect(claim.claimNextTask.id, claim.claimNextTask.message).toBeTruthy();
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
    const held = await stack.prisma.assignment.findUniqueOrThrow({ where: { id: claim.claimNextTask.id! }, include: { task: true } });
    expect(held.status).toBe('RELEASED');
    expect(held.task.openSlots).toBe(held.task.slots);
    expect(await stack.prisma.auditEvent.count({ where: { action: 'claims.released', entityId: held.taskId } })).toBe(1);
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

  it('refuses breached and guessable passwords at registration and change, offline and through a range API', async () => {
    const REGISTER = `mutation($e: String!, $p: String!) { registerUser(email: $e, name: "Rita Rowe", password: $p, roles: [ANNOTATOR]) { __typename ... on User { id } ... on DomainError { code message } } }`;
    const refused = await gql<{ registerUser: { code?: string; message?: string } }>(stack.apiUrl, admin.token, REGISTER, { e: 'rita@suture.test', p: 'Password2024!!' });
    expect(refused.registerUser).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/password: .*most common in breaches/) });
    const own = await gql<{ registerUser: { code?: string; message?: string } }>(stack.apiUrl, admin.token, REGISTER, { e: 'rita@suture.test', p: 'rita.rowe.is.great' });
    expect(own.registerUser).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/your name or email/) });
    expect(await stack.prisma.user.count({ where: { email: 'rita@suture.test' } })).toBe(0);

    // A Pwned Passwords range API (the third-party service, stood in for locally) knows a passphrase the list does not.
    const { createServer } = await import('node:http');
    const { createHash } = await import('node:crypto');
    const pwned = 'velvet-harbour-quartz-seven';
    const sha1 = createHash('sha1').update(pwned).digest('hex').toUpperCase();
    const prefixes: string[] = [];
    const range = createServer((req, res) => {
      const prefix = req.url!.split('/').pop()!;
      prefixes.push(prefix);
      res.end(prefix === sha1.slice(0, 5) ? `${sha1.slice(5)}:17\r\n` : '');
    });
    await new Promise<void>((resolve) => range.listen(0, '127.0.0.1', resolve));
    const app = createApp({
      ...stack.services,
      config: { ...stack.services.config, SUTURE_BREACHED_PASSWORDS_API: `http://127.0.0.1:${(range.address() as AddressInfo).port}/range/` },
    });
    const server = await new Promise<Server>((resolve) => {
      const srv = app.listen(0, '127.0.0.1', () => resolve(srv));
    });
    try {
      const apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const viaRange = await gql<{ registerUser: { code?: string; message?: string } }>(apiUrl, admin.token, REGISTER, { e: 'rita@suture.test', p: pwned });
      expect(viaRange.registerUser).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/appears in 17 breached records/) });
      expect(prefixes).toEqual([sha1.slice(0, 5)]);
      const fine = await gql<{ registerUser: { __typename: string } }>(apiUrl, admin.token, REGISTER, { e: 'rita@suture.test', p: 'tR7#kq9!Vm2@xL-otter' });
      expect(fine.registerUser.__typename).toBe('User');
      const rita = await login(stack, 'rita@suture.test', 'tR7#kq9!Vm2@xL-otter');
      const change = await gql<{ changePassword: { code?: string; message?: string } }>(
        apiUrl,
        rita,
        `mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) { __typename ... on DomainError { code message } } }`,
        { c: 'tR7#kq9!Vm2@xL-otter', n: 'qwertyuiop123456' },
      );
      expect(change.changePassword).toMatchObject({ code: 'INVALID_INPUT', message: expect.stringMatching(/most common in breaches/) });
      await login(stack, 'rita@suture.test', 'tR7#kq9!Vm2@xL-otter');
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise<void>((resolve) => range.close(() => resolve()));
    }
  });
});
