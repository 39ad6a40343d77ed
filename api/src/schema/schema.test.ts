// The printed schema is the API contract the console and clients build against: it must be the
// checked-in api/schema.graphql (regenerate with `pnpm --filter @suture/api exec tsx src/print-schema.ts`).
import { readFileSync } from 'node:fs';
import { printSchema } from 'graphql';
import { describe, expect, it } from 'vitest';
import { schema } from './index.ts';

describe('GraphQL schema', () => {
  const printed = printSchema(schema);

  it('matches the checked-in contract', () => {
    expect(`${printed}\n`).toBe(readFileSync(new URL('../../schema.graphql', import.meta.url), 'utf8'));
  });

  it('returns expected failures as typed errors on every mutation that can fail', () => {
    for (const name of ['claimNextTask', 'submitAnnotation', 'submitReview', 'submitAuditVerdict', 'createCampaign', 'requestAssetUpload', 'login']) {
      expect(printed).toMatch(new RegExp(`${name}\\([^)]*\\): Mutation\\w+Result!`));
    }
  });
});
