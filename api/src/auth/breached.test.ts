import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pwnedCount, weakPasswordReason } from './breached.ts';

describe('breached and guessable passwords', () => {
  it('refuses the common passwords of breaches, in every usual disguise', () => {
    for (const p of [
      'password1234',
      'Password1234!',
      'P@ssw0rd2024!!',
      '123456789012',
      'qwertyqwertyqwerty',
      '!!!!Dragon!!!!',
      'iloveyou1234',
      'Summer2024!!!',
      'monkeymonkey',
      'TRUSTNO1TRUSTNO1',
    ])
      expect(weakPasswordReason(p), p).toMatch(/most common in breaches/);
  });

  it('refuses passwords built from the person, or of one or two characters', () => {
    expect(weakPasswordReason('Margaret.Hamilton#1', { name: 'Margaret Hamilton' })).toMatch(/your name or email/);
    expect(weakPasswordReason('mhamilton-apollo11', { email: 'mhamilton@nasa.test' })).toMatch(/your name or email/);
    expect(weakPasswordReason('zzzzzzzzzzzzzzzz')).not.toBeNull();
    expect(weakPasswordReason('xyxyxyxyxyxyxyxy')).not.toBeNull();
  });

  it('accepts passphrases and random passwords', () => {
    for (const p of ['correct horse battery staple', 'a brand new passphrase for Uma', 'long enough password', 'tR7#kq9!Vm2@xL', 'lantern-otter-basalt-nine'])
      expect(weakPasswordReason(p, { name: 'Uma User', email: 'uma@suture.test' }), p).toBeNull();
  });

  describe('a Pwned Passwords range API (a local stand-in for the third-party service)', () => {
    let server: Server;
    let url: string;
    const asked: string[] = [];
    const breached = 'lantern-otter-basalt-nine';
    beforeAll(async () => {
      const sha1 = createHash('sha1').update(breached).digest('hex').toUpperCase();
      server = createServer((req, res) => {
        const prefix = req.url!.split('/').pop()!;
        asked.push(prefix);
        if (prefix === 'FFFFF') return void res.writeHead(503).end();
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end([prefix === sha1.slice(0, 5) ? `${sha1.slice(5)}:42` : '', '0000000000000000000000000000000000A:0'].filter(Boolean).join('\r\n'));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/range`;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it('sends only a five-digit hash prefix and finds the suffix', async () => {
      expect(await pwnedCount(breached, url)).toBe(42);
      expect(await pwnedCount('tR7#kq9!Vm2@xL', url)).toBe(0);
      expect(asked.every((p) => /^[0-9A-F]{5}$/.test(p))).toBe(true);
    });

    it('answers null when not configured or when the service fails', async () => {
      expect(await pwnedCount(breached, undefined)).toBeNull();
      const warnings: string[] = [];
      expect(await pwnedCount(breached, 'http://127.0.0.1:1/range', (m) => warnings.push(m))).toBeNull();
      expect(warnings[0]).toMatch(/did not answer/);
    });
  });
});
