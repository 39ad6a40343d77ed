// A campaign's media policy (Campaign.mediaPolicy): what ingest does with uploaded originals, which
// server-side encryption its objects get, and whether video proxies are brightness-normalised (dark
// endoscopic footage). The API validates it; the console edits it through a form draft.

export type OriginalsPolicy = 'DELETE' | 'RETAIN_ENCRYPTED';
export type SseChoice = 'AES256' | 'aws:kms';
export type BrightnessSetting = boolean | { brightness?: number; contrast?: number };

export interface MediaPolicy {
  originals: OriginalsPolicy;
  sse?: SseChoice;
  normalizeBrightness?: BrightnessSetting;
}

export const DEFAULT_MEDIA_POLICY: MediaPolicy = { originals: 'DELETE' };

/** The form's view of a policy. */
export interface MediaPolicyDraft {
  originals: OriginalsPolicy;
  /** '' = the deployment's default (S3_SSE). */
  sse: '' | SseChoice;
  brightness: 'off' | 'auto' | 'custom';
  /** ffmpeg `eq` brightness, -1..1 (custom only). */
  brightnessValue: number;
  /** ffmpeg `eq` contrast, 0..3 (custom only). */
  contrastValue: number;
}

export const SSE_LABELS: Record<SseChoice, string> = { AES256: 'SSE-S3 (AES256)', 'aws:kms': 'SSE-KMS (aws:kms)' };

/** The stored policy as the API returned it; anything unrecognised reads as the default. */
export function asMediaPolicy(value: unknown): MediaPolicy {
  if (typeof value !== 'object' || value === null) return { ...DEFAULT_MEDIA_POLICY };
  const v = value as Record<string, unknown>;
  const policy: MediaPolicy = { originals: v.originals === 'RETAIN_ENCRYPTED' ? 'RETAIN_ENCRYPTED' : 'DELETE' };
  if (v.sse === 'AES256' || v.sse === 'aws:kms') policy.sse = v.sse;
  const nb = v.normalizeBrightness;
  if (typeof nb === 'boolean') policy.normalizeBrightness = nb;
  else if (typeof nb === 'object' && nb !== null) {
    const { brightness, contrast } = nb as Record<string, unknown>;
    policy.normalizeBrightness = {
      ...(typeof brightness === 'number' ? { brightness } : {}),
      ...(typeof contrast === 'number' ? { contrast } : {}),
    };
  }
  return policy;
}

export function draftOf(policy: MediaPolicy): MediaPolicyDraft {
  const nb = policy.normalizeBrightness;
  const custom = typeof nb === 'object' ? nb : null;
  return {
    originals: policy.originals,
    sse: policy.sse ?? '',
    brightness: custom ? 'custom' : nb === true ? 'auto' : 'off',
    brightnessValue: custom?.brightness ?? 0.1,
    contrastValue: custom?.contrast ?? 1.2,
  };
}

/** The policy the API receives for a draft (unset fields left out). */
export function policyOf(draft: MediaPolicyDraft): MediaPolicy {
  return {
    originals: draft.originals,
    ...(draft.sse ? { sse: draft.sse } : {}),
    ...(draft.brightness === 'auto'
      ? { normalizeBrightness: true }
      : draft.brightness === 'custom'
        ? { normalizeBrightness: { brightness: Number(draft.brightnessValue), contrast: Number(draft.contrastValue) } }
        : {}),
  };
}

/** Whether two policies mean the same (an unchanged form has nothing to save). */
export function samePolicy(a: MediaPolicy, b: MediaPolicy): boolean {
  const norm = (p: MediaPolicy) => JSON.stringify(policyOf(draftOf(asMediaPolicy(p))));
  return norm(a) === norm(b);
}

export function describeOriginals(policy: MediaPolicy): string {
  return policy.originals === 'RETAIN_ENCRYPTED' ? 'kept, envelope-encrypted (AES-256-GCM)' : 'deleted once de-identified';
}

export function describeSse(policy: MediaPolicy): string {
  return policy.sse ? SSE_LABELS[policy.sse] : 'deployment default';
}

export function describeBrightness(policy: MediaPolicy): string {
  const nb = policy.normalizeBrightness;
  if (nb === true) return 'automatic (ffmpeg normalize)';
  if (typeof nb === 'object') return `brightness ${nb.brightness ?? 0}, contrast ${nb.contrast ?? 1}`;
  return 'off';
}
