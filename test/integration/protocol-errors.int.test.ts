// What a careless or hostile client gets for requests that are wrong at the protocol level: a clear message
// and the right HTTP status, never "internal error", and nothing logged as a crash.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../support/stack.ts';
import { bootstrapAdmin, register, type Person } from '../support/scenario.ts';

describe('protocol errors', () => {
  let stack: Stack;
  let ann: Person;
  const crashes: unknown[] = [];

  beforeAll(async () => {
    stack = await startStack();
    const admin = await bootstrapAdmin(stack);
    ann = await register(stack, admin, 'Ann', ['ANNOTATOR'], [['laparoscopy', 3]]);
    const log = stack.services.log;
    stack.services.log = (level, message, fields) => {
      if (level === 'error') crashes.push({ message, ...fields });
      log(level, message, fields);
    };
  }, 300_000);

  afterAll(async () => {
    await stack?.stop();
  });

  const send = async (init: RequestInit & { path?: string }) => {
    const res = await fetch(`${stack.apiUrl}${init.path ?? '/graphql'}`, init);
    const text = await res.text();
    return { status: res.status, text };
  };
  const json = { 'content-type': 'application/json', authorization: '' };

  it('answers malformed requests with their status and a clear message', async () => {
    const headers = { ...json, authorization: `Bearer ${ann.token}` };
    const malformed = await send({ method: 'POST', headers, body: '{"query": "{ me { id } "' });
    expect(malformed.status).toBe(400);
    expect(malformed.text).not.toMatch(/internal error/i);

    const getMutation = await send({ method: 'GET', path: `/graphql?query=${encodeURIComponent('mutation { logout }')}`, headers: { authorization: `Bearer ${ann.token}` } });
    expect(getMutation.status).toBe(405);
    expect(getMutation.text).toMatch(/mutation/i);

    const wrongType = await send({
      method: 'POST',
      headers,
      body: JSON.stringify({ query: 'query($id: ID!) { task(id: $id) { ... on Task { id } } }', variables: { id: { nested: true } } }),
    });
    expect(wrongType.status).toBe(400);
    expect(wrongType.text).toMatch(/\$id/);

    const huge = await send({ method: 'POST', headers, body: JSON.stringify({ query: '{ me { id } }', variables: { pad: 'x'.repeat(60 * 1024 * 1024) } }) });
    expect(huge.status).toBe(413);

    // GraphQL over HTTP: a client that accepts application/graphql-response+json gets 400 for a document that
    // does not parse; a legacy application/json client gets 200 with the same error, as the spec says.
    const syntax = await send({ method: 'POST', headers: { ...headers, accept: 'application/graphql-response+json' }, body: JSON.stringify({ query: '{ me { id }' }) });
    expect(syntax.status).toBe(400);
    expect(syntax.text).toMatch(/Syntax Error/);
    const legacy = await send({ method: 'POST', headers: { ...headers, accept: 'application/json' }, body: JSON.stringify({ query: '{ me { id }' }) });
    expect(legacy.text).toMatch(/Syntax Error/);
    expect(legacy.text).not.toMatch(/internal error/i);
  });

  it('refuses bad ids and NUL bytes as invalid input, not as crashes', async () => {
    const headers = { ...json, authorization: `Bearer ${ann.token}` };
    const badId = await send({ method: 'POST', headers, body: JSON.stringify({ query: '{ task(id: "not-a-uuid") { ... on Task { id } ... on DomainError { code message } } }' }) });
    expect(badId.text).not.toMatch(/INTERNAL|internal error/);
    expect(badId.text).toMatch(/NOT_FOUND|INVALID_INPUT/);
    const nul = await send({
      method: 'POST',
      headers,
      body: JSON.stringify({
        query: 'mutation($e: String!, $p: String!) { login(email: $e, password: $p) { ... on DomainError { code message } } }',
        variables: { e: 'a\u0000b@x.test', p: 'x\u0000y' },
      }),
    });
    expect(nul.text).not.toMatch(/INTERNAL|internal error/);
    expect(crashes).toEqual([]);
  });
});
