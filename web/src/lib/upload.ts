// Media uploads straight from the browser to S3: the API hands out a presigned multipart plan, the
// browser PUTs each part to its URL (the bytes never pass through GraphQL or the console), then the
// API assembles the parts and the asset waits in quarantine for the media workflow.
import { DOMAIN_ERROR_FIELDS, gql } from './api';
import type { DomainErrorResult, UploadPlan } from './types';

/** File types the console uploads, longest suffix first (`.nii.gz` before anything shorter). */
const CONTENT_TYPES: ReadonlyArray<readonly [string, string]> = [
  ['.nii.gz', 'application/gzip'],
  ['.png', 'image/png'],
  ['.jpg', 'image/jpeg'],
  ['.jpeg', 'image/jpeg'],
  ['.tif', 'image/tiff'],
  ['.tiff', 'image/tiff'],
  ['.mp4', 'video/mp4'],
  ['.mov', 'video/quicktime'],
  ['.mkv', 'video/x-matroska'],
  ['.webm', 'video/webm'],
  ['.dcm', 'application/dicom'],
  ['.nii', 'application/x-nifti'],
];

/** The file input's `accept` attribute. */
export const UPLOAD_ACCEPT = CONTENT_TYPES.map(([suffix]) => suffix).join(',');

/** The API's limit (hour-long recordings run to tens of GB); `sizeBytes` goes as a Float, since GraphQL Int stops at 2 GiB. */
export const MAX_UPLOAD_BYTES = 50 * 1024 ** 3;

/** A part URL is used only while it has this long left; past that the plan is signed again. */
const URL_MARGIN_MS = 60_000;

/** How often one part is tried before the upload gives up. */
const PART_ATTEMPTS = 3;

/** The content type the API expects for a file name, or null for a type the console does not upload. */
export function contentTypeFor(fileName: string): string | null {
  const name = fileName.toLowerCase();
  return CONTENT_TYPES.find(([suffix]) => name.endsWith(suffix))?.[1] ?? null;
}

const PLAN_FIELDS = 'assetId partSize parts { partNumber url } uploadedParts expiresInSeconds';

const REQUEST_UPLOAD = /* GraphQL */ `
  mutation RequestAssetUpload($campaignId: ID!, $contentType: String!, $sizeBytes: Float!, $fileName: String) {
    requestAssetUpload(campaignId: $campaignId, contentType: $contentType, sizeBytes: $sizeBytes, fileName: $fileName) { ${DOMAIN_ERROR_FIELDS} ... on UploadPlan { ${PLAN_FIELDS} } }
  }
`;
const RESUME_UPLOAD = /* GraphQL */ `
  mutation ResumeAssetUpload($assetId: ID!) {
    resumeAssetUpload(assetId: $assetId) { ${DOMAIN_ERROR_FIELDS} ... on UploadPlan { ${PLAN_FIELDS} } }
  }
`;
const COMPLETE_UPLOAD = /* GraphQL */ `
  mutation CompleteAssetUpload($assetId: ID!, $parts: [CompletedPartInput!]) {
    completeAssetUpload(assetId: $assetId, parts: $parts) { ${DOMAIN_ERROR_FIELDS} ... on Asset { id status } }
  }
`;
const ABORT_UPLOAD = /* GraphQL */ `
  mutation AbortAssetUpload($assetId: ID!) { abortAssetUpload(assetId: $assetId) }
`;

/** A failure of the browser → S3 leg (the API's own refusals arrive as ApiError). */
export class UploadError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UploadError';
  }
}

interface PartResult {
  /** Null when S3 does not expose the ETag header to the page (CORS ExposeHeaders). */
  etag: string | null;
}

/** One PUT of one part; XMLHttpRequest because fetch reports no upload progress. */
function putPart(url: string, body: Blob, onProgress: (loaded: number) => void, signal?: AbortSignal): Promise<PartResult> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    const onAbort = () => xhr.abort();
    xhr.open('PUT', url);
    xhr.upload.onprogress = (event) => onProgress(event.loaded);
    xhr.onload = () => {
      signal?.removeEventListener('abort', onAbort);
      if (xhr.status >= 200 && xhr.status < 300) resolve({ etag: xhr.getResponseHeader('ETag') });
      else reject(new UploadError(`storage answered ${xhr.status}${xhr.statusText ? ` ${xhr.statusText}` : ''}`));
    };
    xhr.onerror = () => {
      signal?.removeEventListener('abort', onAbort);
      reject(new UploadError('the storage service could not be reached (network or CORS)'));
    };
    xhr.onabort = () => {
      signal?.removeEventListener('abort', onAbort);
      reject(new UploadError('the upload was cancelled'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    xhr.send(body);
  });
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface UploadCallbacks {
  /** The asset id once the API has planned the upload. */
  onPlanned?: (assetId: string) => void;
  /** Bytes of the file that have reached storage so far. */
  onProgress?: (sentBytes: number) => void;
  signal?: AbortSignal;
}

/**
 * Uploads one file into the campaign: requestAssetUpload, every part PUT in order (each tried up to
 * three times), then completeAssetUpload. Returns the asset id. A part that cannot be sent aborts the
 * upload at the API, so the asset ends FAILED instead of waiting for bytes forever.
 */
export async function uploadAsset(campaignId: string, file: File, { onPlanned, onProgress, signal }: UploadCallbacks = {}): Promise<string> {
  const contentType = contentTypeFor(file.name);
  if (!contentType) throw new UploadError(`“${file.name}” is not a supported file type (${UPLOAD_ACCEPT})`);
  if (file.size > MAX_UPLOAD_BYTES) throw new UploadError(`“${file.name}” is larger than ${MAX_UPLOAD_BYTES / 1024 ** 3} GiB, the most one upload may hold`);

  const { requestAssetUpload: plan } = await gql<{ requestAssetUpload: UploadPlan | DomainErrorResult }>(
    REQUEST_UPLOAD,
    { campaignId, contentType, sizeBytes: file.size, fileName: file.name },
    { signal },
  );
  onPlanned?.(plan.assetId);

  const parts: Array<{ partNumber: number; etag: string }> = [];
  try {
    let sent = 0;
    let signedAt = Date.now();
    const urls = new Map(plan.parts.map((p) => [p.partNumber, p.url]));
    for (const part of [...plan.parts].sort((a, b) => a.partNumber - b.partNumber)) {
      if (Date.now() - signedAt > plan.expiresInSeconds * 1000 - URL_MARGIN_MS) {
        // A long upload outlives its URLs: fresh ones for the same upload.
        const { resumeAssetUpload: fresh } = await gql<{ resumeAssetUpload: UploadPlan | DomainErrorResult }>(RESUME_UPLOAD, { assetId: plan.assetId }, { signal });
        signedAt = Date.now();
        for (const p of fresh.parts) urls.set(p.partNumber, p.url);
      }
      const url = urls.get(part.partNumber)!;
      const body = file.slice((part.partNumber - 1) * plan.partSize, part.partNumber * plan.partSize);
      let result: PartResult | null = null;
      for (let attempt = 1; result === null; attempt++) {
        try {
          result = await putPart(url, body, (loaded) => onProgress?.(sent + Math.min(loaded, body.size)), signal);
        } catch (error) {
          if (signal?.aborted || attempt >= PART_ATTEMPTS) throw error;
          onProgress?.(sent);
          await pause(500 * attempt);
        }
      }
      sent += body.size;
      onProgress?.(sent);
      // An unreadable ETag (S3 CORS without ExposeHeaders: ETag) is recorded as "" and handled below.
      parts.push({ partNumber: part.partNumber, etag: result.etag ?? '' });
    }
  } catch (error) {
    await gql(ABORT_UPLOAD, { assetId: plan.assetId }).catch((abortError: unknown) => console.error('[suture] could not abort the upload', abortError));
    throw error;
  }

  // Without every ETag, the server assembles the parts S3 itself lists as received.
  const complete = parts.every((p) => p.etag !== '') ? parts : [];
  await gql<{ completeAssetUpload: { __typename: 'Asset'; id: string; status: string } | DomainErrorResult }>(COMPLETE_UPLOAD, { assetId: plan.assetId, parts: complete }, { signal });
  return plan.assetId;
}
