import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { S3Client } from '@aws-sdk/client-s3';
import { anchorMac, anchorStoreFrom, assertAuditKey, canonical, fileAnchorStore, GENESIS, makeAnchor, sealHash, type SealableEvent } from './audit-log.ts';

const KEY = 'k'.repeat(43);
const event: SealableEvent = {
  seq: 7n,
  at: new Date('2026-12-04T10:00:00.000Z'),
  actorId: null,
  action: 'user.login',
  entityType: 'User',
  entityId: 'u1',
  data: { b: 1, a: [1, 2] },
};

describe('audit chain hashes', () => {
  it('canonical JSON sorts keys and writes bigints and dates as strings', () => {
    expect(canonical({ b: 1, a: { d: null, c: 2n }, e: new Date(0), u: undefined })).toBe('{"a":{"c":"2","d":null},"b":1,"e":"1970-01-01T00:00:00.000Z"}');
  });

  it('a seal hash is keyed and covers the position, the previous hash and every field of the event', () => {
    const h = sealHash(KEY, 1n, GENESIS, event);
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    expect(sealHash(KEY, 1n, GENESIS, { ...event, data: { a: [1, 2], b: 1 } })).toBe(h); // key order does not matter
    const changed = [
      sealHash('j'.repeat(43), 1n, GENESIS, event),
      sealHash(KEY, 2n, GENESIS, event),
      sealHash(KEY, 1n, 'f'.repeat(64), event),
      sealHash(KEY, 1n, GENESIS, { ...event, seq: 8n }),
      sealHash(KEY, 1n, GENESIS, { ...event, at: new Date('2026-12-04T10:00:00.001Z') }),
      sealHash(KEY, 1n, GENESIS, { ...event, actorId: 'someone' }),
      sealHash(KEY, 1n, GENESIS, { ...event, action: 'user.logout' }),
      sealHash(KEY, 1n, GENESIS, { ...event, entityId: 'u2' }),
      sealHash(KEY, 1n, GENESIS, { ...event, data: { b: 2, a: [1, 2] } }),
    ];
    expect(new Set([h, ...changed]).size).toBe(changed.length + 1);
  });

  it('anchors carry a MAC over position, hash and time', () => {
    const a = makeAnchor(KEY, 10n, 'ab'.repeat(32), new Date('2026-12-04T10:00:00Z'));
    expect(a).toMatchObject({ pos: '10', at: '2026-12-04T10:00:00.000Z' });
    expect(a.mac).toBe(anchorMac(KEY, a));
    expect(anchorMac(KEY, { ...a, pos: '9' })).not.toBe(a.mac);
    expect(anchorMac('x'.repeat(32), a)).not.toBe(a.mac);
  });

  it('refuses a missing or short key: there is no default', () => {
    expect(() => assertAuditKey(undefined)).toThrow(/SUTURE_AUDIT_KEY/);
    expect(() => assertAuditKey('short')).toThrow(/at least 32/);
    expect(() => assertAuditKey(KEY)).not.toThrow();
  });
});

describe('anchor stores', () => {
  it('a file anchor round-trips and reads as null before the first write', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'anchor-'));
    try {
      const store = fileAnchorStore(join(dir, 'sub', 'anchor.json'));
      expect(await store.read()).toBeNull();
      const a = makeAnchor(KEY, 3n, 'cd'.repeat(32));
      await store.write(a);
      expect(await store.read()).toEqual(a);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is chosen from the setting', () => {
    const s3 = {} as S3Client;
    expect(anchorStoreFrom(undefined, s3, 'bucket').location).toBe('s3://bucket/audit/anchor.json');
    expect(anchorStoreFrom('s3://other/x/head.json', s3, 'bucket').location).toBe('s3://other/x/head.json');
    expect(anchorStoreFrom('file:///var/lib/suture/anchor.json', s3, 'bucket').location).toBe('file:///var/lib/suture/anchor.json');
    expect(() => anchorStoreFrom('http://example.com/a', s3, 'bucket')).toThrow(/SUTURE_AUDIT_ANCHOR/);
  });
});
