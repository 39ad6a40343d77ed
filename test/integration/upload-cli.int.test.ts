// The upload command as an ML engineer runs it: presigned multipart parts streamed from disk, an
// interrupted upload resumed from its checkpoint, and the asset ingested like any other.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { gql, startStack, type Stack } from '../support/stack.ts';
import { bootstrapAdmin, PASSWORD, register, type Person } from '../support/scenario.ts';
import { repoRoot } from '../support/paths.ts';

/** Runs the CLI as a child process without blocking: the API under test serves it from this process. */
function suture(args: string[], env: Record<string, string>, input?: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    // Its own config directory: no session from the machine's user leaks in.
    const child = spawn(process.execPath, [join(repoRoot, 'api', 'bin', 'suture.mjs'), ...args], { env: { ...process.env, SUTURE_CONFIG_DIR: configDir, ...env } });
    child.stdin.end(input ?? '');
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

const configDir = mkdtempSync(join(tmpdir(), 'suture-config-'));

describe('suture upload', () => {
  let stack: Stack;
  let ops: Person;
  let dir: string;
  let campaignId: string;

  beforeAll(async () => {
    stack = await startStack();
    const admin = await bootstrapAdmin(stack);
    ops = await register(stack, admin, 'Olivia Ops', ['OPS_MANAGER']);
    const created = await gql<{ createCampaign: { id: string } }>(
      stack.apiUrl,
      ops.token,
      `mutation($i: CreateCampaignInput!) { createCampaign(input: $i) { ... on Campaign { id } } }`,
      { i: { name: 'Uploads', labelSchema: { geometry: 'classification', classes: [{ key: 'a', name: 'A' }] }, overlap: 2, agreementThreshold: 1 } },
    );
    campaignId = created.createCampaign.id;
    dir = mkdtempSync(join(tmpdir(), 'suture-upload-'));
  }, 300_000);

  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await stack?.stop();
  });

  it('resumes an interrupted multi-part upload and lands the exact bytes in quarantine', async () => {
    // 40 MiB: three 16 MiB parts. Random bytes under a video name: the bytes are checked at ingest, not here.
    const file = join(dir, 'long-case.mp4');
    const body = randomBytes(40 * 1024 * 1024);
    writeFileSync(file, body);
    const env = { SUTURE_TOKEN: ops.token };

    const first = await suture(['upload', '--api', stack.apiUrl, '--campaign', campaignId, '--max-parts', '1', file], env);
    expect(first.status).toBe(3);
    expect(first.stderr).toContain('run again to resume');
    expect(existsSync(`${file}.suture-upload.json`)).toBe(true);

    const second = await suture(['upload', '--api', stack.apiUrl, '--campaign', campaignId, file], env);
    expect(second.stderr).toBe('');
    expect(second.status).toBe(0);
    const [result] = JSON.parse(second.stdout.trim().split('\n').pop()!) as Array<{ assetId: string; resumedParts: number }>;
    expect(result!.resumedParts).toBe(1);
    expect(existsSync(`${file}.suture-upload.json`)).toBe(false);

    const asset = await stack.prisma.asset.findUniqueOrThrow({ where: { id: result!.assetId } });
    expect(asset.status).toBe('QUARANTINED');
    expect(asset.key).toBe(`quarantine/${campaignId}/${asset.id}/original`);
    const stored = await stack.s3.client.send(new GetObjectCommand({ Bucket: stack.s3.bucket, Key: asset.key }));
    const bytes = Buffer.from(await stored.Body!.transformToByteArray());
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(createHash('sha256').update(body).digest('hex'));
  });

  it('refuses clearly without a token, with an unknown type, or a missing file', async () => {
    expect((await suture(['upload', '--campaign', campaignId, join(dir, 'x.mp4')], { SUTURE_TOKEN: '' })).stderr).toContain('SUTURE_TOKEN');
    const txt = join(dir, 'notes.txt');
    writeFileSync(txt, 'hello');
    const unknown = await suture(['upload', '--api', stack.apiUrl, '--campaign', campaignId, txt], { SUTURE_TOKEN: ops.token });
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain("unknown file type '.txt'");
    const missing = await suture(['upload', '--api', stack.apiUrl, '--campaign', campaignId, join(dir, 'nope.mp4')], { SUTURE_TOKEN: ops.token });
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('no such file');
  });

  it('checks every file before uploading any, and reports a refused token in one line', async () => {
    const a = join(dir, 'a.png');
    const b = join(dir, 'b.png');
    writeFileSync(a, randomBytes(1000));
    writeFileSync(b, randomBytes(1000));
    const before = await stack.prisma.asset.count();
    const third = await suture(['upload', '--api', stack.apiUrl, '--campaign', campaignId, a, b, join(dir, 'missing.png')], { SUTURE_TOKEN: ops.token });
    expect(third.status).toBe(2);
    expect(third.stderr).toContain('missing.png: no such file');
    expect(third.stderr).toContain('nothing was uploaded');
    expect(await stack.prisma.asset.count()).toBe(before);

    const badToken = await suture(['upload', '--api', stack.apiUrl, '--campaign', campaignId, a], { SUTURE_TOKEN: 'not-a-session' });
    expect(badToken.status).toBe(1);
    expect(badToken.stderr.trim().split('\n')).toHaveLength(1);
    expect(badToken.stderr, badToken.stderr).toMatch(/a\.png: .*(log in first|Not authorized|UNAUTHENTICATED)/);
    expect(badToken.stderr).not.toMatch(/\n\s+at /);
    expect(JSON.parse(badToken.stdout)).toEqual([]);
  });

  it('signs in with suture login (password on standard input) and uploads without a token on the command line', async () => {
    const wrong = await suture(['login', '--api', stack.apiUrl, '--email', ops.email], { SUTURE_TOKEN: '' }, 'not the password\n');
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toContain('wrong email or password');
    const ok = await suture(['login', '--api', stack.apiUrl, '--email', ops.email], { SUTURE_TOKEN: '' }, `${PASSWORD}\n`);
    expect(ok.stderr).toContain(`signed in as ${ops.email}`);
    expect(ok.status).toBe(0);
    expect(existsSync(join(configDir, 'session.json'))).toBe(true);
    const file = join(dir, 'c.png');
    writeFileSync(file, randomBytes(2000));
    const up = await suture(['upload', '--campaign', campaignId, file], { SUTURE_TOKEN: '' });
    expect(up.stderr).toBe('');
    expect(up.status).toBe(0);
    expect(JSON.parse(up.stdout)).toHaveLength(1);
    expect((await suture(['login', 'logout'], { SUTURE_TOKEN: '' })).status).toBe(0);
    expect(existsSync(join(configDir, 'session.json'))).toBe(false);
    expect((await suture(['upload', '--campaign', campaignId, file], { SUTURE_TOKEN: '' })).stderr).toContain('not signed in');
  });
});
