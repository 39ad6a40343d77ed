// The demo campaign (seeded by `suture up`), with a user for every role and demo media made locally with ffmpeg.
// Demo passwords are random per installation, written to .data/demo-logins.json (git-ignored).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Role } from '@suture/db';
import { hashPassword } from '../auth/passwords.ts';
import type { AuthUser } from '../auth/sessions.ts';
import type { Services } from '../context.ts';
import { createCampaign, grantCredential, setCampaignStatus, setUserSkill, upsertSkill } from '../services/admin.ts';
import { completeUpload, requestUpload } from '../services/media.ts';
import { createBatch, startBatch } from '../services/batches.ts';

export interface DemoLogin {
  role: string;
  email: string;
  password: string;
}

const PEOPLE: Array<{ email: string; name: string; roles: Role[]; skill?: number; credential?: string }> = [
  { email: 'admin@demo.suture', name: 'Ada Admin', roles: ['ADMIN', 'OPS_MANAGER'] },
  { email: 'ops@demo.suture', name: 'Olu Ops', roles: ['OPS_MANAGER'] },
  { email: 'ann@demo.suture', name: 'Ann Annotator', roles: ['ANNOTATOR'], skill: 3 },
  { email: 'ben@demo.suture', name: 'Ben Annotator', roles: ['ANNOTATOR'], skill: 3 },
  { email: 'cai@demo.suture', name: 'Cai Annotator', roles: ['ANNOTATOR'], skill: 2 },
  { email: 'expert@demo.suture', name: 'Dr Eve Expert', roles: ['EXPERT'], credential: 'board-certified-urologist' },
  { email: 'qa@demo.suture', name: 'Quinn QA', roles: ['QA_AUDITOR'] },
  { email: 'finance@demo.suture', name: 'Fay Finance', roles: ['FINANCE'] },
];

export const DEMO_CLASSES = ['grasper', 'bipolar', 'hook', 'scissors', 'clipper', 'irrigator', 'none'];

/** Makes demo frames with ffmpeg's synthetic sources (nothing is downloaded). */
function demoFrames(dir: string, count: number): string[] {
  mkdirSync(dir, { recursive: true });
  const existing = readdirSync(dir).filter((f) => f.endsWith('.png'));
  if (existing.length < count) {
    execFileSync('ffmpeg', [
      '-hide_banner',
      '-loglevel',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      `testsrc2=size=320x240:rate=1:duration=${count}`,
      '-vf',
      'hue=h=t*40:s=0.6,eq=brightness=-0.15',
      '-frames:v',
      String(count),
      join(dir, 'frame_%03d.png'),
    ]);
  }
  return readdirSync(dir)
    .filter((f) => f.endsWith('.png'))
    .sort()
    .slice(0, count)
    .map((f) => join(dir, f));
}

export async function seedDemo(services: Services, dataDir: string, options: { frames?: number } = {}): Promise<{ logins: DemoLogin[]; created: boolean }> {
  const loginsFile = join(dataDir, 'demo-logins.json');
  const { prisma } = services;
  const admin = await prisma.user.findUnique({ where: { email: PEOPLE[0]!.email } });
  if (admin && existsSync(loginsFile)) return { logins: JSON.parse(readFileSync(loginsFile, 'utf8')) as DemoLogin[], created: false };
  if (admin) throw new Error(`the demo users exist but ${loginsFile} is missing; reset the database or restore the file`);

  const logins: DemoLogin[] = [];
  const users = new Map<string, AuthUser>();
  for (const p of PEOPLE) {
    const password = randomBytes(9).toString('base64url');
    const user = await prisma.user.create({ data: { email: p.email, name: p.name, roles: p.roles, passwordHash: await hashPassword(password) } });
    users.set(p.email, { id: user.id, email: p.email, name: p.name, roles: p.roles });
    logins.push({ role: p.roles.join('+'), email: p.email, password });
  }
  const actor = users.get(PEOPLE[0]!.email)!;
  await upsertSkill(services, actor, 'laparoscopy', 'Laparoscopic instrument recognition');
  for (const p of PEOPLE) {
    const u = users.get(p.email)!;
    if (p.skill) await setUserSkill(services, actor, u.id, 'laparoscopy', p.skill);
    if (p.credential) await grantCredential(services, actor, u.id, p.credential, 'Demo Board of Urology', null);
  }
  const campaignId = await createCampaign(services, actor, {
    name: 'Robotic prostatectomy: instrument presence (demo)',
    description: 'Which instrument is in view? Synthetic demo frames generated locally.',
    labelSchema: { geometry: 'classification', classes: DEMO_CLASSES.map((k) => ({ key: k, name: k[0]!.toUpperCase() + k.slice(1) })) },
    guidelines: 'Pick the instrument whose tip is visible. Choose "none" if no instrument tip is in view.',
    overlap: 2,
    agreementThreshold: 1,
    qaSettings: { tolerableErrorRate: 0.2, confidence: 0.8, seed: 'demo' },
    budgetCents: 50_000,
    claimSlaSeconds: 900,
    reviewCredential: 'board-certified-urologist',
    requiredSkills: [{ key: 'laparoscopy', minLevel: 2 }],
    payRates: [
      { kind: 'LABEL', amountCents: 8 },
      { kind: 'REWORK', amountCents: 10 },
      { kind: 'REVIEW', amountCents: 40 },
      { kind: 'AUDIT', amountCents: 15 },
    ],
  });
  const assetIds: string[] = [];
  for (const file of demoFrames(join(dataDir, 'demo-media'), options.frames ?? 12)) {
    const body = readFileSync(file);
    const plan = await requestUpload(services, actor, { campaignId, contentType: 'image/png', sizeBytes: body.length });
    const parts: Array<{ partNumber: number; etag: string }> = [];
    for (const part of plan.parts) {
      const res = await fetch(part.url, { method: 'PUT', body: body.subarray((part.partNumber - 1) * plan.partSize, part.partNumber * plan.partSize) });
      if (!res.ok) throw new Error(`demo upload failed with HTTP ${res.status}`);
      parts.push({ partNumber: part.partNumber, etag: res.headers.get('etag') ?? '' });
    }
    assetIds.push(await completeUpload(services, actor, { assetId: plan.assetId, parts }));
  }
  await setCampaignStatus(services, actor, campaignId, 'ACTIVE');
  const batchId = await createBatch(services, actor, { campaignId, name: 'Demo batch 1', assetIds });
  await startBatch(services, actor, batchId);
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(loginsFile, JSON.stringify(logins, null, 2), { mode: 0o600 });
  return { logins, created: true };
}
