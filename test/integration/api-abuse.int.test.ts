// The GraphQL surface and the login under abuse, on the real API: aliases and depth cannot multiply work,
// one request is at most one password guess, repeated failures wait longer and longer whether or not the
// account exists, failed logins are audited, and anonymous callers get no introspection.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from '@suture/api/app';
import { startStack, type Stack } from '../support/stack.ts';
import { bootstrapAdmin, PASSWORD, register, type Person } from '../support/scenario.ts';

async function post(stack: Stack, body: unknown, token?: string) {
  const res = await fetch(`${stack.apiUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  return {
    status: res.status,
    body: (await res.json()) as { data?: Record<string, { token?: string; code?: string; message?: string } | null> | null; errors?: Array<{ message: string }> },
  };
}

const LOGIN = `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { ... on Session { token } ... on DomainError { code message } } }`;

describe('API abuse', () => {
  let stack: Stack;
  let ann: Person;

  beforeAll(async () => {
    stack = await startStack();
    const admin = await bootstrapAdmin(stack);
    ann = await register(stack, admin, 'Ann', ['ANNOTATOR'], [['laparoscopy', 3]]);
  }, 300_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('allows one login per request: aliases are not extra password guesses', async () => {
    const aliases = Array.from({ length: 50 }, (_, i) => `l${i}: login(email: "${ann.email}", password: "guess-${i}") { ... on Session { token } }`).join('\n');
    const res = await post(stack, { query: `mutation { ${aliases} }` });
    expect(res.body.data ?? null).toBeNull();
    expect(JSON.stringify(res.body.errors)).toMatch(/aliases limit of 10 exceeded/i);
    // Under the alias limit, still one login per operation.
    const two = await post(stack, {
      query: `mutation { a: login(email: "${ann.email}", password: "guess-a") { ... on Session { token } } b: login(email: "${ann.email}", password: "guess-b") { ... on Session { token } } }`,
    });
    expect(two.body.data ?? null).toBeNull();
    expect(JSON.stringify(two.body.errors)).toMatch(/one login per request/);
    expect(await stack.prisma.auditEvent.count({ where: { action: 'user.login-failed' } })).toBe(0);
  });

  it('backs off after repeated failures, for known and unknown accounts alike, and audits them', async () => {
    const attempt = async (email: string, password: string) => (await post(stack, { query: LOGIN, variables: { e: email, p: password } })).body.data!.login!;
    for (const email of [ann.email, 'nobody@suture.test']) {
      const answers = [];
      for (let i = 0; i < 7; i++) answers.push(await attempt(email, `wrong-${i}`));
      expect(answers.slice(0, 5).every((a) => a.code === 'UNAUTHENTICATED' && a.message === 'wrong email or password')).toBe(true);
      expect(answers[5]!.code).toBe('TOO_MANY_REQUESTS');
      // While it waits, even the right password is refused.
      expect((await attempt(email, PASSWORD)).code).toBe('TOO_MANY_REQUESTS');
    }
    // Failures against a real account are in the audit log; nothing of the password or the email is.
    const failed = await stack.prisma.auditEvent.findMany({ where: { action: 'user.login-failed' } });
    expect(failed.length).toBe(5);
    expect(failed.every((e) => e.entityId === ann.id)).toBe(true);
    expect(JSON.stringify(failed.map((e) => ({ ...e, seq: String(e.seq), txid: String(e.txid) })))).not.toMatch(/wrong-|suture\.test/);
  });

  it('refuses deep and alias-heavy operations before executing them', async () => {
    const nest = (depth: number): string => (depth === 0 ? 'id' : `campaign { batches { ${nest(depth - 1)} } }`);
    const deep = await post(stack, { query: `query { batches { ${nest(25)} } }` }, ann.token);
    expect(JSON.stringify(deep.body.errors)).toMatch(/depth limit|cost limit/i);
    expect(deep.body.data ?? null).toBeNull();
    const wide = await post(stack, { query: `query { ${Array.from({ length: 1000 }, (_, i) => `a${i}: me { id }`).join(' ')} }` }, ann.token);
    expect(JSON.stringify(wide.body.errors)).toMatch(/alias|token/i);
    expect(wide.body.data ?? null).toBeNull();
  });

  it('gives no introspection to anonymous callers, nor where the deployment did not enable it', async () => {
    const anonymous = await post(stack, { query: '{ __schema { types { name } } }' });
    expect(JSON.stringify(anonymous.body)).not.toContain('"types"');
    expect(JSON.stringify(anonymous.body.errors)).toMatch(/introspection is disabled/);
    const signedIn = await post(stack, { query: '{ __type(name: "Task") { fields { name } } }' }, ann.token);
    expect(JSON.stringify(signedIn.body.errors)).toMatch(/introspection is disabled/);
    // __typename is not introspection.
    const typename = await post(stack, { query: '{ me { __typename id } }' }, ann.token);
    expect(typename.body.errors).toBeUndefined();
    // No GraphiQL page where introspection is off.
    const page = await fetch(`${stack.apiUrl}/graphql`, { headers: { accept: 'text/html' } });
    expect(await page.text()).not.toMatch(/graphiql/i);
  });

  it('serves GraphiQL with its assets from the API itself where introspection is enabled, for signed-in callers only', async () => {
    const app = createApp(stack.services, { introspection: true });
    const server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
      const html = await (await fetch(url, { headers: { accept: 'text/html' } })).text();
      expect(html).toMatch(/Suture GraphQL/);
      // Nothing is fetched from elsewhere: every script and stylesheet is inline.
      expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+rel="stylesheet"[^>]+href="https?:/);
      const introspect = async (token?: string) =>
        (await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
          body: JSON.stringify({ query: '{ __schema { queryType { name } } }' }),
        }).then((r) => r.json())) as { data?: { __schema: { queryType: { name: string } } }; errors?: unknown[] };
      expect((await introspect()).errors).toBeDefined();
      expect((await introspect(ann.token)).data?.__schema.queryType.name).toBe('Query');
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
