// Inputs people type, bounded at the API: names that could pass for something else, oversized guidelines,
// and a pre-label model key that points into uploads or derivatives are refused with a specific message.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gql, startStack, type Stack } from '../support/stack.ts';
import { bootstrapAdmin, CLASSES, register, type Person } from '../support/scenario.ts';

describe('input bounds', () => {
  let stack: Stack;
  let admin: Person;
  let ops: Person;

  beforeAll(async () => {
    stack = await startStack();
    admin = await bootstrapAdmin(stack);
    ops = await register(stack, admin, 'Olivia Ops', ['OPS_MANAGER']);
  }, 300_000);

  afterAll(async () => {
    await stack?.stop();
  });

  const createCampaign = (input: Record<string, unknown>) =>
    gql<{ createCampaign: { id?: string; message?: string } }>(
      stack.apiUrl,
      ops.token,
      `mutation($i: CreateCampaignInput!) { createCampaign(input: $i) { ... on Campaign { id } ... on DomainError { message } } }`,
      {
        i: {
          name: 'Bounds',
          labelSchema: { geometry: 'classification', classes: CLASSES.map((k) => ({ key: k, name: k })) },
          overlap: 2,
          agreementThreshold: 1,
          ...input,
        },
      },
    );

  it('refuses deceptive names for users, campaigns and classes', async () => {
    const user = await gql<{ registerUser: { message?: string } }>(
      stack.apiUrl,
      ops.token,
      `mutation($n: String!) { registerUser(email: "mallory@suture.test", name: $n, password: "long enough password", roles: [ANNOTATOR]) { ... on User { id } ... on DomainError { message } } }`,
      { n: 'Admin\u202Enimda' },
    );
    expect(user.registerUser.message).toMatch(/name: must not contain control, zero-width or bidirectional-override characters/);
    expect((await createCampaign({ name: 'Liver\u200B segmentation' })).createCampaign.message).toMatch(/name: must not contain/);
    const cls = await createCampaign({ labelSchema: { geometry: 'classification', classes: [{ key: 'a', name: 'Gras\u2066per' }] } });
    expect(cls.createCampaign.message).toMatch(/classes\.0\.name: must not contain/);
  });

  it('refuses oversized guidelines and model keys outside models/', async () => {
    expect((await createCampaign({ guidelines: 'x'.repeat(100_001) })).createCampaign.message).toMatch(/guidelines: at most 100000 characters/);
    for (const key of ['quarantine/abc/upload', 'derived/c/a/deidentified.dcm', 'models/../exports/x.onnx', 'models/model.bin']) {
      expect((await createCampaign({ prelabelModelKey: key })).createCampaign.message).toMatch(/prelabelModelKey: a pre-label model key is models\/<name>\.onnx/);
    }
    const ok = await createCampaign({ prelabelModelKey: 'models/tools/v2.onnx', guidelines: 'Short.' });
    expect(ok.createCampaign.id).toBeDefined();
    const big = await gql<{ updateGuidelines: { message?: string } }>(
      stack.apiUrl,
      ops.token,
      `mutation($c: ID!, $g: String!) { updateGuidelines(id: $c, guidelines: $g) { ... on Campaign { id } ... on DomainError { message } } }`,
      { c: ok.createCampaign.id, g: 'x'.repeat(5 * 1024 * 1024) },
    );
    expect(big.updateGuidelines.message).toMatch(/at most 100000 characters/);
    expect((await stack.prisma.campaign.findUniqueOrThrow({ where: { id: ok.createCampaign.id! } })).guidelinesVersion).toBe(1);
  });
});
