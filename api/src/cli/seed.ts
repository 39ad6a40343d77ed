// The demo (seeded by `suture up`): a user for every role and one campaign per annotation type, on the
// public medical and surgical data in ../shared/data when it is there (endoscopy frames and a CT/MR volume
// as DICOM and NIfTI, the SurCh prostatectomy step vocabulary) and on media made locally with ffmpeg
// otherwise. Demo passwords are random per installation, written to .data/demo-logins.json (git-ignored).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Role } from '@suture/db';
import { hashPassword } from '../auth/passwords.ts';
import type { AuthUser } from '../auth/sessions.ts';
import type { Services } from '../context.ts';
import { createCampaign, grantCredential, setCampaignStatus, setUserSkill, upsertSkill } from '../services/admin.ts';
import { completeUpload, requestUpload } from '../services/media.ts';
import { createBatch, startBatch } from '../services/batches.ts';
import type { LabelSchema } from '@suture/workflows/domain/label-schema';

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
  { email: 'privacy@demo.suture', name: 'Pia Privacy', roles: ['PRIVACY_OFFICER'] },
];

export const DEMO_CLASSES = ['grasper', 'bipolar', 'hook', 'scissors', 'clipper', 'irrigator', 'none'];

/**
 * Makes demo frames with ffmpeg's synthetic sources (nothing is downloaded). A source without text (testsrc2
 * draws digits, which the burned-in text check rightly sends to the privacy gate).
 */
function demoFrames(dir: string, count: number): string[] {
  mkdirSync(dir, { recursive: true });
  const existing = readdirSync(dir).filter((f) => f.startsWith('still_') && f.endsWith('.png'));
  if (existing.length < count) {
    execFileSync('ffmpeg', [
      '-hide_banner',
      '-loglevel',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      'mandelbrot=size=320x240:rate=1',
      '-vf',
      'hue=h=t*40:s=0.6,eq=brightness=-0.15',
      '-frames:v',
      String(count),
      join(dir, 'still_%03d.png'),
    ]);
  }
  return readdirSync(dir)
    .filter((f) => f.startsWith('still_') && f.endsWith('.png'))
    .sort()
    .slice(0, count)
    .map((f) => join(dir, f));
}

/** ../shared/data beside the repository (the public test and benchmark data), or SUTURE_DEMO_DATA. */
export function sharedDataDir(env: Record<string, string | undefined> = process.env): string | null {
  const dir = env.SUTURE_DEMO_DATA ?? resolve(dirname(fileURLToPath(import.meta.url)), '../../../../shared/data');
  return existsSync(dir) ? dir : null;
}

/** A demo video made with ffmpeg's synthetic source (no text, as for the frames): `seconds` long at 10 frames/s. */
function demoVideo(dir: string, seconds: number): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `demo-clip-${seconds}s.mp4`);
  if (!existsSync(file)) {
    execFileSync('ffmpeg', [
      '-hide_banner',
      '-loglevel',
      'error',
      '-y',
      '-f',
      'lavfi',
      '-i',
      'mandelbrot=size=480x270:rate=10',
      '-t',
      String(seconds),
      '-vf',
      'hue=h=t*6:s=0.5',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      '-pix_fmt',
      'yuv420p',
      file,
    ]);
  }
  return file;
}

interface DemoMedia {
  file: string;
  contentType: string;
}

interface DemoCampaign {
  name: string;
  description: string;
  labelSchema: Partial<LabelSchema> & { geometry: LabelSchema['geometry']; classes: LabelSchema['classes'] };
  guidelines: string;
  media: DemoMedia[];
  /** Frame tasks of each video (whole-asset tasks when absent). */
  frames?: number[];
  agreementThreshold: number;
}

const INSTRUMENTS = ['grasper', 'bipolar', 'hook', 'scissors', 'clipper'].map((k) => ({ key: k, name: k[0]!.toUpperCase() + k.slice(1) }));
const ANATOMY = [
  { key: 'liver', name: 'Liver' },
  { key: 'gallbladder', name: 'Gallbladder' },
  { key: 'prostate', name: 'Prostate' },
];

/** The SurCh step vocabulary (real labels of 296 robotic prostatectomies), or a short list without the data. */
function prostatectomySteps(data: string | null): Array<{ key: string; name: string }> {
  const file = data ? join(data, 'surgical/surch_prostatectomy/segment_metadata.csv') : null;
  if (!file || !existsSync(file))
    return [
      { key: 'access', name: 'Access' },
      { key: 'dissection', name: 'Dissection' },
      { key: 'closure', name: 'Closure' },
    ];
  const steps = readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.split(','))
    .map(([id, name]) => ({ key: id!.toLowerCase().replace(/[^a-z0-9_-]/g, '-'), name: name!.trim() }));
  return [...steps, { key: 'etc', name: 'Other (not a step)' }];
}

function demoCampaigns(dataDir: string, shared: string | null, frameCount: number): DemoCampaign[] {
  const media = join(dataDir, 'demo-media');
  const video: DemoMedia = { file: demoVideo(media, 60), contentType: 'video/mp4' };
  const pngs = demoFrames(media, frameCount).map((file) => ({ file, contentType: 'image/png' }));
  const dicom = (name: string): DemoMedia[] =>
    shared && existsSync(join(shared, 'medical/dicom', name)) ? [{ file: join(shared, 'medical/dicom', name), contentType: 'application/dicom' }] : [];
  const nifti = (name: string): DemoMedia[] =>
    shared && existsSync(join(shared, 'medical/nifti', name)) ? [{ file: join(shared, 'medical/nifti', name), contentType: 'application/x-nifti' }] : [];
  // Real endoscopy frames (DICOM VL endoscopic images) where the shared data is present, synthetic frames otherwise.
  // Their burned-in text sends them to the privacy gate (the demo privacy officer releases them); the synthetic
  // frames beside them are labelable at once.
  const endoscopy = [...dicom('WG04_VL1_RLE_endoscopy.dcm'), ...dicom('WG04_VL2_J2KI_endoscopy.dcm')];
  const frames = endoscopy.length ? [...endoscopy, ...pngs.slice(0, 2)] : pngs.slice(0, 4);
  const everyFive = [0, 50, 100, 150, 200, 250];
  return [
    {
      name: 'Robotic prostatectomy: instrument presence (demo)',
      description: 'Which instrument is in view?',
      labelSchema: { geometry: 'classification', classes: DEMO_CLASSES.map((k) => ({ key: k, name: k[0]!.toUpperCase() + k.slice(1) })) },
      guidelines: 'Pick the instrument whose tip is visible. Choose "none" if no instrument tip is in view.',
      media: pngs,
      agreementThreshold: 1,
    },
    {
      name: 'Instrument boxes on endoscopy frames (demo)',
      description: 'A box around every instrument tip.',
      labelSchema: { geometry: 'bbox', classes: INSTRUMENTS },
      guidelines: 'Draw a tight box around each visible instrument tip (B, then drag). One box per instrument.',
      media: frames,
      agreementThreshold: 0.7,
    },
    {
      name: 'Instrument masks on endoscopy frames (demo)',
      description: 'Paint every instrument.',
      labelSchema: { geometry: 'mask', classes: INSTRUMENTS },
      guidelines: 'Paint each instrument with the brush; erase what spills over.',
      media: frames,
      agreementThreshold: 0.7,
    },
    {
      name: 'Anatomy outlines (demo)',
      description: 'Polygons around the organs in view.',
      labelSchema: { geometry: 'polygon', classes: ANATOMY },
      guidelines: 'Outline each organ; cut holes where an instrument covers it.',
      media: frames,
      agreementThreshold: 0.7,
    },
    {
      name: 'Instrument keypoints (demo)',
      description: 'Tip, joint and shaft of each instrument.',
      labelSchema: {
        geometry: 'keypoints',
        classes: INSTRUMENTS,
        keypoints: ['tip', 'joint', 'shaft'],
        skeleton: [
          ['tip', 'joint'],
          ['joint', 'shaft'],
        ],
      },
      guidelines: 'Place tip, joint and shaft in that order; mark a hidden point as not visible.',
      media: frames,
      agreementThreshold: 0.6,
    },
    {
      name: 'Dissection planes (demo)',
      description: 'Polylines along the planes to dissect, on video frames.',
      labelSchema: { geometry: 'polyline', classes: [{ key: 'plane', name: 'Dissection plane' }], polylineTolerance: 12 },
      guidelines: 'Trace the dissection plane from one end to the other.',
      media: [video],
      frames: everyFive,
      agreementThreshold: 0.6,
    },
    {
      name: 'Instrument tracks through a clip (demo)',
      description: 'Follow every instrument through the clip.',
      labelSchema: { geometry: 'track', classes: INSTRUMENTS },
      guidelines: 'Box each instrument when it appears, move the box at keyframes, mark it outside when it leaves.',
      media: [video],
      agreementThreshold: 0.6,
    },
    {
      name: 'Robotic prostatectomy steps (demo)',
      description: 'Surgical steps on the timeline (SurCh step vocabulary).',
      labelSchema: { geometry: 'phases', classes: [{ key: 'step', name: 'Step' }], phases: prostatectomySteps(shared) },
      guidelines: 'Mark where each step starts and ends while the video plays; "Other" covers time between steps.',
      media: [video],
      agreementThreshold: 0.6,
    },
    {
      name: 'Organ segmentation on CT/MR volumes (demo)',
      description: 'Paint the organ slice by slice; fill between slices.',
      labelSchema: { geometry: 'volume', classes: ANATOMY },
      guidelines: 'Paint the organ on a few slices and fill between them; check all three planes.',
      media: [...nifti('anatomical.nii'), ...dicom('emri_small.dcm')],
      agreementThreshold: 0.8,
    },
  ].filter((c) => c.media.length > 0) as DemoCampaign[];
}

export async function seedDemo(
  services: Services,
  dataDir: string,
  options: { frames?: number; sharedData?: string | null } = {},
): Promise<{ logins: DemoLogin[]; created: boolean; campaigns: number }> {
  const loginsFile = join(dataDir, 'demo-logins.json');
  const { prisma } = services;
  const admin = await prisma.user.findUnique({ where: { email: PEOPLE[0]!.email } });
  if (admin && existsSync(loginsFile)) return { logins: JSON.parse(readFileSync(loginsFile, 'utf8')) as DemoLogin[], created: false, campaigns: 0 };
  if (admin) throw new Error(`the demo users exist but ${loginsFile} is missing; reset the database or restore the file`);

  const logins: DemoLogin[] = [];
  const users = new Map<string, AuthUser>();
  for (const p of PEOPLE) {
    const password = randomBytes(9).toString('base64url');
    const user = await prisma.user.create({ data: { email: p.email, name: p.name, roles: p.roles, passwordHash: await hashPassword(password) } });
    users.set(p.email, { id: user.id, email: p.email, name: p.name, roles: p.roles, organizationId: user.organizationId });
    logins.push({ role: p.roles.join('+'), email: p.email, password });
  }
  const actor = users.get(PEOPLE[0]!.email)!;
  await upsertSkill(services, actor, 'laparoscopy', 'Laparoscopic instrument recognition');
  for (const p of PEOPLE) {
    const u = users.get(p.email)!;
    if (p.skill) await setUserSkill(services, actor, u.id, 'laparoscopy', p.skill);
    if (p.credential) await grantCredential(services, actor, u.id, p.credential, 'Demo Board of Urology', null);
  }
  const campaigns = demoCampaigns(dataDir, options.sharedData === undefined ? sharedDataDir() : options.sharedData, options.frames ?? 12);
  for (const c of campaigns) {
    const campaignId = await createCampaign(services, actor, {
      name: c.name,
      description: c.description,
      labelSchema: c.labelSchema,
      guidelines: c.guidelines,
      overlap: 2,
      agreementThreshold: c.agreementThreshold,
      qaSettings: { tolerableErrorRate: 0.2, confidence: 0.8, seed: 'demo' },
      budgetCents: 50_000,
      claimSlaSeconds: 900,
      reviewCredential: 'board-certified-urologist',
      requiredSkills: [{ key: 'laparoscopy', minLevel: 2 }],
      // Every demo person works on every demo campaign, in each of their roles but ADMIN.
      members: PEOPLE.filter((p) => p.email !== actor.email && p.roles.some((r) => r !== 'ADMIN')).map((p) => ({
        userId: users.get(p.email)!.id,
        roles: p.roles.filter((r) => r !== 'ADMIN'),
      })),
      payRates: [
        { kind: 'LABEL', amountCents: 8 },
        { kind: 'REWORK', amountCents: 10 },
        { kind: 'REVIEW', amountCents: 40 },
        { kind: 'AUDIT', amountCents: 15 },
      ],
    });
    const assetIds: string[] = [];
    for (const m of c.media) assetIds.push(await uploadDemoFile(services, actor, campaignId, m));
    await setCampaignStatus(services, actor, campaignId, 'ACTIVE');
    const batchId = await createBatch(services, actor, { campaignId, name: 'Demo batch 1', assetIds, frames: c.frames ?? null });
    await startBatch(services, actor, batchId);
  }
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(loginsFile, JSON.stringify(logins, null, 2), { mode: 0o600 });
  return { logins, created: true, campaigns: campaigns.length };
}

/** Uploads a demo file the way the console does: presigned parts straight to S3. */
async function uploadDemoFile(services: Services, actor: AuthUser, campaignId: string, media: DemoMedia): Promise<string> {
  const body = readFileSync(media.file);
  const plan = await requestUpload(services, actor, { campaignId, contentType: media.contentType, sizeBytes: body.length });
  const parts: Array<{ partNumber: number; etag: string }> = [];
  for (const part of plan.parts) {
    const res = await fetch(part.url, { method: 'PUT', body: body.subarray((part.partNumber - 1) * plan.partSize, part.partNumber * plan.partSize) });
    if (!res.ok) throw new Error(`demo upload failed with HTTP ${res.status}`);
    parts.push({ partNumber: part.partNumber, etag: res.headers.get('etag') ?? '' });
  }
  return completeUpload(services, actor, { assetId: plan.assetId, parts });
}
