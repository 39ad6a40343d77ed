// Builds a campaign with people and media through the public API, the way an operator would.
import sharp from 'sharp';
import { hashPassword } from '@suture/api/auth/passwords';
import { gql, type Stack } from './stack.ts';

export const PASSWORD = 'correct horse battery staple';
export const CLASSES = ['grasper', 'hook', 'clipper', 'scissors'] as const;

export interface Person {
  id: string;
  email: string;
  token: string;
}

export async function bootstrapAdmin(stack: Stack): Promise<Person> {
  const email = 'admin@suture.test';
  const user = await stack.prisma.user.create({ data: { email, name: 'Admin', passwordHash: await hashPassword(PASSWORD), roles: ['ADMIN'] } });
  const token = await login(stack, email);
  await gql(stack.apiUrl, token, `mutation { upsertSkill(key: "laparoscopy", name: "Laparoscopic instruments") { ... on Skill { id } } }`);
  return { id: user.id, email, token };
}

export async function login(stack: Stack, email: string, password = PASSWORD): Promise<string> {
  const data = await gql<{ login: { token?: string; code?: string; message?: string } }>(
    stack.apiUrl,
    null,
    `mutation($e: String!, $p: String!) { login(email: $e, password: $p) { ... on Session { token } ... on DomainError { code message } } }`,
    { e: email, p: password },
  );
  if (!data.login.token) throw new Error(`login failed for ${email}: ${data.login.code} ${data.login.message}`);
  return data.login.token;
}

export async function register(stack: Stack, admin: Person, name: string, roles: string[], skills: Array<[string, number]> = [], credential?: string): Promise<Person> {
  const email = `${name.toLowerCase().replace(/\W+/g, '.')}@suture.test`;
  const created = await gql<{ registerUser: { id?: string; message?: string } }>(
    stack.apiUrl,
    admin.token,
    `mutation($e: String!, $n: String!, $p: String!, $r: [Role!]!) { registerUser(email: $e, name: $n, password: $p, roles: $r) { ... on User { id } ... on DomainError { message } } }`,
    { e: email, n: name, p: PASSWORD, r: roles },
  );
  const id = created.registerUser.id;
  if (!id) throw new Error(`register ${name}: ${created.registerUser.message}`);
  for (const [skill, level] of skills) {
    const set = await gql<{ setUserSkill: { id?: string; message?: string } }>(
      stack.apiUrl,
      admin.token,
      `mutation($u: ID!, $s: String!, $l: Int!) { setUserSkill(userId: $u, skillKey: $s, level: $l) { ... on User { id } ... on DomainError { message } } }`,
      { u: id, s: skill, l: level },
    );
    if (!set.setUserSkill.id) throw new Error(`setUserSkill ${name}: ${set.setUserSkill.message}`);
  }
  if (credential) {
    const granted = await gql<{ grantCredential: { id?: string; message?: string } }>(
      stack.apiUrl,
      admin.token,
      `mutation($u: ID!, $k: String!) { grantCredential(userId: $u, kind: $k, issuer: "Test Board") { ... on User { id } ... on DomainError { message } } }`,
      { u: id, k: credential },
    );
    if (!granted.grantCredential.id) throw new Error(`grantCredential ${name}: ${granted.grantCredential.message}`);
  }
  return { id, email, token: await login(stack, email) };
}

/** A small synthetic "endoscopic" frame: dark reddish background with a bright instrument-like bar. */
export async function syntheticFrame(i: number): Promise<Buffer> {
  const w = 96;
  const h = 64;
  const raw = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const o = (y * w + x) * 3;
      const bar = Math.abs(y - (10 + ((i * 7) % 40)) - x * 0.2) < 4;
      raw[o] = bar ? 220 : 90 + ((x * 3 + i * 11) % 40);
      raw[o + 1] = bar ? 220 : 20 + ((y + i) % 20);
      raw[o + 2] = bar ? 230 : 25;
    }
  return sharp(raw, { raw: { width: w, height: h, channels: 3 } })
    .png()
    .toBuffer();
}

/** Uploads through the presigned multipart flow: the bytes go to S3, never through GraphQL. */
export async function uploadAsset(stack: Stack, ops: Person, campaignId: string, body: Buffer, contentType = 'image/png', fileName: string | null = null): Promise<string> {
  const plan = await gql<{ requestAssetUpload: { assetId?: string; parts?: Array<{ partNumber: number; url: string }>; message?: string } }>(
    stack.apiUrl,
    ops.token,
    `mutation($c: ID!, $t: String!, $s: Float!, $n: String) { requestAssetUpload(campaignId: $c, contentType: $t, sizeBytes: $s, fileName: $n) { ... on UploadPlan { assetId parts { partNumber url } } ... on DomainError { message } } }`,
    { c: campaignId, t: contentType, s: body.length, n: fileName },
  );
  const { assetId, parts } = plan.requestAssetUpload;
  if (!assetId || !parts) throw new Error(`upload plan refused: ${plan.requestAssetUpload.message}`);
  const etags: Array<{ partNumber: number; etag: string }> = [];
  for (const part of parts) {
    const res = await fetch(part.url, { method: 'PUT', body: new Uint8Array(body) });
    if (!res.ok) throw new Error(`part upload failed: ${res.status} ${await res.text()}`);
    etags.push({ partNumber: part.partNumber, etag: res.headers.get('etag') ?? '' });
  }
  const done = await gql<{ completeAssetUpload: { id?: string; message?: string } }>(
    stack.apiUrl,
    ops.token,
    `mutation($a: ID!, $p: [CompletedPartInput!]!) { completeAssetUpload(assetId: $a, parts: $p) { ... on Asset { id } ... on DomainError { message } } }`,
    { a: assetId, p: etags },
  );
  if (!done.completeAssetUpload.id) throw new Error(`complete refused: ${done.completeAssetUpload.message}`);
  return assetId;
}

export interface CampaignSetup {
  campaignId: string;
  batchId: string;
  assetIds: string[];
}

/** Sets a person's roles in a campaign (an empty list removes them), as its operations manager would. */
export async function setMember(stack: Stack, ops: Person, campaignId: string, userId: string, roles: string[]): Promise<void> {
  const res = await gql<{ setCampaignMember: { id?: string; message?: string } }>(
    stack.apiUrl,
    ops.token,
    `mutation($c: ID!, $u: ID!, $r: [Role!]!) { setCampaignMember(campaignId: $c, userId: $u, roles: $r) { ... on Campaign { id } ... on DomainError { message } } }`,
    { c: campaignId, u: userId, r: roles },
  );
  if (!res.setCampaignMember.id) throw new Error(`setCampaignMember: ${res.setCampaignMember.message}`);
}

/** Everyone of the organisation but `ops` and admins-only accounts, each in every role they hold but ADMIN: a campaign's usual staff in tests. */
export async function everyoneAsMembers(stack: Stack, ops: Person): Promise<Array<{ userId: string; roles: string[] }>> {
  const res = await gql<{ users: Array<{ id: string; roles: string[] }> }>(stack.apiUrl, ops.token, `{ users { id roles } }`);
  return res.users
    .filter((u) => u.id !== ops.id)
    .map((u) => ({ userId: u.id, roles: u.roles.filter((r) => r !== 'ADMIN') }))
    .filter((m) => m.roles.length > 0);
}

export async function createCampaignWithBatch(
  stack: Stack,
  ops: Person,
  options: {
    tasks: number;
    overlap?: number;
    threshold?: number;
    qa?: Record<string, unknown>;
    minLevel?: number;
    reviewCredential?: string;
    prelabelModelKey?: string;
    frames?: Buffer[];
    /** Defaults to a classification of CLASSES. */
    labelSchema?: Record<string, unknown>;
    /** Who works on it; defaults to everyone registered so far (everyoneAsMembers). */
    members?: Array<{ userId: string; roles: string[] }>;
  },
): Promise<CampaignSetup> {
  const created = await gql<{ createCampaign: { id?: string; message?: string } }>(
    stack.apiUrl,
    ops.token,
    `mutation($i: CreateCampaignInput!) { createCampaign(input: $i) { ... on Campaign { id } ... on DomainError { message } } }`,
    {
      i: {
        name: 'Instrument presence',
        labelSchema: options.labelSchema ?? { geometry: 'classification', classes: CLASSES.map((k) => ({ key: k, name: k })) },
        overlap: options.overlap ?? 2,
        agreementThreshold: options.threshold ?? 1,
        qaSettings: options.qa ?? { tolerableErrorRate: 0.2, confidence: 0.8, seed: 'it' },
        claimSlaSeconds: 600,
        reviewCredential: options.reviewCredential ?? 'board-certified-surgeon',
        prelabelModelKey: options.prelabelModelKey ?? null,
        requiredSkills: [{ key: 'laparoscopy', minLevel: options.minLevel ?? 2 }],
        members: options.members ?? (await everyoneAsMembers(stack, ops)),
        payRates: [
          { kind: 'LABEL', amountCents: 10 },
          { kind: 'REWORK', amountCents: 12 },
          { kind: 'REVIEW', amountCents: 50 },
          { kind: 'AUDIT', amountCents: 20 },
        ],
      },
    },
  );
  const campaignId = created.createCampaign.id;
  if (!campaignId) throw new Error(`createCampaign: ${created.createCampaign.message}`);
  const assetIds: string[] = [];
  for (let i = 0; i < options.tasks; i++) {
    assetIds.push(await uploadAsset(stack, ops, campaignId, options.frames?.[i] ?? (await syntheticFrame(i)), 'image/png', `frame-${String(i).padStart(3, '0')}.png`));
  }
  const batch = await gql<{ createBatch: { id?: string; message?: string } }>(
    stack.apiUrl,
    ops.token,
    `mutation($c: ID!, $a: [ID!]!) { createBatch(campaignId: $c, name: "Batch 1", assetIds: $a) { ... on Batch { id } ... on DomainError { message } } }`,
    { c: campaignId, a: assetIds },
  );
  const batchId = batch.createBatch.id;
  if (!batchId) throw new Error(`createBatch: ${batch.createBatch.message}`);
  await gql(stack.apiUrl, ops.token, `mutation($c: ID!) { setCampaignStatus(id: $c, status: ACTIVE) { ... on Campaign { id } } }`, { c: campaignId });
  return { campaignId, batchId, assetIds };
}

export async function startBatch(stack: Stack, ops: Person, batchId: string): Promise<void> {
  const res = await gql<{ startBatch: { id?: string; message?: string } }>(
    stack.apiUrl,
    ops.token,
    `mutation($b: ID!) { startBatch(id: $b) { ... on Batch { id } ... on DomainError { message } } }`,
    { b: batchId },
  );
  if (!res.startBatch.id) throw new Error(`startBatch: ${res.startBatch.message}`);
}
