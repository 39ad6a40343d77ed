// `suture upload --api URL --campaign ID FILE...`: uploads files to a campaign through presigned
// multipart URLs (bytes go straight to S3, streamed part by part, never whole in memory). Resumable: a
// checkpoint beside each file (<file>.suture-upload.json) lets a broken upload continue from the parts
// S3 already has. Every file is checked before anything is uploaded; a failure stops with a one-line reason
// and the ids of the assets already created. The session comes from `suture login` or SUTURE_TOKEN.
// Any size up to the API's limit (50 GiB): part URLs that would expire before a long upload reaches them
// are signed afresh on the way.
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { uploadPartWithUrl, partRanges } from '@suture/workflows/media/ingest';
import { NOT_SIGNED_IN, resolveAuth } from './session.ts';

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
  expiresInSeconds: number;
}

/** A part URL is used only while it has this long left; past that the plan is signed again. */
const URL_MARGIN_MS = 60_000;

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

const PLAN_FIELDS = `__typename ... on UploadPlan { assetId partSize parts { partNumber url } uploadedParts expiresInSeconds } ... on DomainError { code message }`;
const RESUME = `mutation($a: ID!) { resumeAssetUpload(assetId: $a) { ${PLAN_FIELDS} } }`;

export async function run(argv: string[]): Promise<number> {
  const args = [...argv];
  const take = (flag: string): string | undefined => {
    const i = args.indexOf(flag);
    if (i < 0) return undefined;
    const [, value] = args.splice(i, 2);
    return value;
  };
  const apiFlag = take('--api');
  const campaignId = take('--campaign');
  const maxParts = Number(take('--max-parts') ?? Infinity);
  if (!campaignId || args.length === 0 || args.some((a) => a.startsWith('--'))) {
    console.error('usage: suture upload [--api URL] --campaign ID [--max-parts N] FILE...   (after `suture login`, or with SUTURE_TOKEN)');
    return 2;
  }
  const auth = resolveAuth(apiFlag);
  if (!auth) {
    console.error(`suture upload: ${NOT_SIGNED_IN}`);
    return 2;
  }
  const { api, token } = auth;
  // Every file is checked before the first byte goes up: a missing third file must not leave two orphans.
  const problems = args.flatMap((file) => {
    if (!existsSync(file)) return [`${file}: no such file`];
    if (!TYPES[extname(file).toLowerCase()]) return [`${file}: unknown file type '${extname(file)}' (use .png .jpg .tif .mp4 .mov .mkv .webm .dcm .nii .nii.gz)`];
    return [];
  });
  if (problems.length) {
    for (const p of problems) console.error(`suture upload: ${p}`);
    console.error('suture upload: nothing was uploaded');
    return 2;
  }
  const results: Array<{ file: string; assetId: string; resumedParts: number }> = [];
  for (const file of args) {
    try {
      const outcome = await uploadOne(file);
      if (typeof outcome === 'number') {
        console.log(JSON.stringify(results));
        return outcome;
      }
      results.push(outcome);
    } catch (error) {
      // One line, not a stack: what failed, and what was already uploaded (its ids, so nothing is lost sight of).
      console.error(`suture upload: ${file}: ${(error as Error).message}`);
      if (existsSync(`${file}.suture-upload.json`)) console.error(`suture upload: ${file}: run the same command again to resume it`);
      console.log(JSON.stringify(results));
      return 1;
    }
  }
  console.log(JSON.stringify(results));
  return 0;

  async function uploadOne(file: string): Promise<{ file: string; assetId: string; resumedParts: number } | number> {
    const size = statSync(file).size;
    const contentType = TYPES[extname(file).toLowerCase()]!;
    const checkpoint = `${file}.suture-upload.json`;
    let plan: Plan;
    let done: Array<{ partNumber: number; etag: string }> = [];
    if (existsSync(checkpoint)) {
      const saved = JSON.parse(readFileSync(checkpoint, 'utf8')) as { assetId: string; size: number; parts: Array<{ partNumber: number; etag: string }> };
      if (saved.size !== size) {
        console.error(`suture upload: ${file}: the file changed since the interrupted upload; delete ${checkpoint} to start over`);
        return 2;
      }
      plan = await call<Plan>(api, token, RESUME, { a: saved.assetId });
      done = saved.parts;
    } else {
      // Float: GraphQL Int is 32-bit, and recordings run past 2 GiB.
      plan = await call<Plan>(
        api,
        token,
        `mutation($c: ID!, $t: String!, $s: Float!, $n: String) { requestAssetUpload(campaignId: $c, contentType: $t, sizeBytes: $s, fileName: $n) { ${PLAN_FIELDS} } }`,
        { c: campaignId, t: contentType, s: size, n: basename(file) },
      );
    }
    const save = () => writeFileSync(checkpoint, JSON.stringify({ assetId: plan.assetId, size, parts: done }));
    save();
    const ranges = new Map(partRanges(size, plan.partSize).map((r) => [r.partNumber, r]));
    const have = new Set([...done.map((p) => p.partNumber), ...plan.uploadedParts]);
    const resumedParts = have.size;
    let sent = 0;
    let signedAt = Date.now();
    let urls = new Map(plan.parts.map((p) => [p.partNumber, p.url]));
    for (const { partNumber } of plan.parts) {
      if (have.has(partNumber)) continue;
      if (sent >= maxParts) {
        console.error(`suture upload: ${file}: stopped after ${sent} parts as asked; run again to resume`);
        return 3;
      }
      if (Date.now() - signedAt > plan.expiresInSeconds * 1000 - URL_MARGIN_MS) {
        // A long upload outlives its URLs: fresh ones for the parts still to send (the same upload).
        const fresh = await call<Plan>(api, token, RESUME, { a: plan.assetId });
        signedAt = Date.now();
        urls = new Map(fresh.parts.map((p) => [p.partNumber, p.url]));
      }
      const url = urls.get(partNumber);
      if (!url) continue; // S3 listed it as received
      const etag = await uploadPartWithUrl(url, file, ranges.get(partNumber)!);
      done.push({ partNumber, etag });
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
    return { file, assetId: plan.assetId, resumedParts };
  }
}
