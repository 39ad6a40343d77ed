// `suture upload --api URL --campaign ID FILE...`: uploads files to a campaign through presigned
// multipart URLs (bytes go straight to S3, streamed part by part, never whole in memory). Resumable: a
// checkpoint beside each file (<file>.suture-upload.json) lets a broken upload continue from the parts
// S3 already has. The session token comes from SUTURE_TOKEN (never a command-line argument).
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { extname } from 'node:path';
import { uploadPartWithUrl, partRanges } from '@suture/workflows/media';

const TYPES: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.tif': 'image/tiff',
  '.tiff': 'image/tiff',
  '.mp4': 'video/mp4',
  '.mov': 'video/quicktime',
  '.mkv': 'video/x-matroska',
  '.webm': 'video/webm',
  '.dcm': 'application/dicom',
  '.nii': 'application/x-nifti',
  '.gz': 'application/gzip',
};

interface Plan {
  assetId: string;
  partSize: number;
  parts: Array<{ partNumber: number; url: string }>;
  uploadedParts: number[];
}

async function call<T>(api: string, token: string, query: string, variables: Record<string, unknown>): Promise<T> {
  const res = await fetch(`${api.replace(/\/$/, '')}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: Record<string, { __typename?: string; code?: string; message?: string }>; errors?: Array<{ message: string }> };
  if (body.errors?.length) throw new Error(body.errors.map((e) => e.message).join('; '));
  const result = Object.values(body.data ?? {})[0];
  if (!result || result.__typename === 'DomainError') throw new Error(`${result?.code ?? 'ERROR'}: ${result?.message ?? 'no answer'}`);
  return result as T;
}

const PLAN_FIELDS = `__typename ... on UploadPlan { assetId partSize parts { partNumber url } uploadedParts } ... on DomainError { code message }`;

export async function run(argv: string[]): Promise<number> {
  const args = [...argv];
  const take = (flag: string): string | undefined => {
    const i = args.indexOf(flag);
    if (i < 0) return undefined;
    const [, value] = args.splice(i, 2);
    return value;
  };
  const api = take('--api') ?? 'http://127.0.0.1:4000';
  const campaignId = take('--campaign');
  const maxParts = Number(take('--max-parts') ?? Infinity);
  const token = process.env.SUTURE_TOKEN;
  if (!campaignId || args.length === 0 || args.some((a) => a.startsWith('--'))) {
    console.error('usage: SUTURE_TOKEN=... suture upload [--api URL] --campaign ID [--max-parts N] FILE...');
    return 2;
  }
  if (!token) {
    console.error('suture upload: set SUTURE_TOKEN to a session token (from the login mutation)');
    return 2;
  }
  const results: Array<{ file: string; assetId: string; resumedParts: number }> = [];
  for (const file of args) {
    if (!existsSync(file)) {
      console.error(`suture upload: ${file}: no such file`);
      return 2;
    }
    const size = statSync(file).size;
    const contentType = TYPES[extname(file).toLowerCase()];
    if (!contentType) {
      console.error(`suture upload: ${file}: unknown file type '${extname(file)}' (use .png .jpg .tif .mp4 .mov .mkv .webm .dcm .nii .nii.gz)`);
      return 2;
    }
    const checkpoint = `${file}.suture-upload.json`;
    let plan: Plan;
    let done: Array<{ partNumber: number; etag: string }> = [];
    if (existsSync(checkpoint)) {
      const saved = JSON.parse(readFileSync(checkpoint, 'utf8')) as { assetId: string; size: number; parts: Array<{ partNumber: number; etag: string }> };
      if (saved.size !== size) {
        console.error(`suture upload: ${file}: the file changed since the interrupted upload; delete ${checkpoint} to start over`);
        return 2;
      }
      plan = await call<Plan>(api, token, `mutation($a: ID!) { resumeAssetUpload(assetId: $a) { ${PLAN_FIELDS} } }`, { a: saved.assetId });
      done = saved.parts;
    } else {
      plan = await call<Plan>(api, token, `mutation($c: ID!, $t: String!, $s: Int!) { requestAssetUpload(campaignId: $c, contentType: $t, sizeBytes: $s) { ${PLAN_FIELDS} } }`, {
        c: campaignId,
        t: contentType,
        s: size,
      });
    }
    const save = () => writeFileSync(checkpoint, JSON.stringify({ assetId: plan.assetId, size, parts: done }));
    save();
    const ranges = new Map(partRanges(size, plan.partSize).map((r) => [r.partNumber, r]));
    const have = new Set([...done.map((p) => p.partNumber), ...plan.uploadedParts]);
    const resumedParts = have.size;
    let sent = 0;
    for (const part of plan.parts) {
      if (have.has(part.partNumber)) continue;
      if (sent >= maxParts) {
        console.error(`suture upload: ${file}: stopped after ${sent} parts as asked; run again to resume`);
        return 3;
      }
      const etag = await uploadPartWithUrl(part.url, file, ranges.get(part.partNumber)!);
      done.push({ partNumber: part.partNumber, etag });
      save();
      sent += 1;
    }
    // Our own part list when S3 could not list the parts (plan.uploadedParts empty); S3's otherwise.
    const parts = plan.uploadedParts.length > 0 ? null : done;
    await call(
      api,
      token,
      `mutation($a: ID!, $p: [CompletedPartInput!]) { completeAssetUpload(assetId: $a, parts: $p) { __typename ... on Asset { id } ... on DomainError { code message } } }`,
      { a: plan.assetId, p: parts },
    );
    rmSync(checkpoint);
    results.push({ file, assetId: plan.assetId, resumedParts });
  }
  console.log(JSON.stringify(results));
  return 0;
}
