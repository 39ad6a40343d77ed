import { describe, expect, it } from 'vitest';
import { native } from './native.ts';
import { collect, memorySource, trimmedFrameMap, videoAsset } from '../testing.ts';

describe('native JSON', () => {
  it('holds consensus, every label by pseudonym, review and provenance, with frames mapped to source frames', async () => {
    const source = memorySource({
      schema: {
        geometry: 'phases',
        classes: [{ key: 'x', name: 'X' }],
        phases: [
          { key: 'prep', name: 'Preparation' },
          { key: 'clip', name: 'Clipping' },
        ],
      },
      frames: { v1: trimmedFrameMap(100, 25, 250) },
      tasks: [
        {
          id: 't1',
          asset: videoAsset('v1', 100),
          consensus: {
            segments: [
              { phase: 'prep', start: 0, end: 40 },
              { phase: 'clip', start: 40, end: 100 },
            ],
          },
          labels: [
            { annotator: 'ann-aaa', data: { segments: [{ phase: 'prep', start: 0, end: 38 }] } },
            { annotator: 'ann-bbb', data: { segments: [{ phase: 'prep', start: 0, end: 42 }] } },
          ],
          review: { decision: 'CORRECTED', reviewer: 'ann-ccc', chosenAnnotator: null },
          prelabeled: true,
        },
      ],
    });
    const bytes = await collect(native, source);
    expect((await collect(native, source)).equals(bytes)).toBe(true);
    const doc = JSON.parse(bytes.toString('utf8'));
    expect(doc).toMatchObject({ format: 'suture-native', version: 1, campaign: { guidelinesVersion: 3 }, labelSchema: { geometry: 'phases' } });
    expect(doc.conventions.emptyMasks).toMatch(/IoU = Dice = 1/);
    const [t] = doc.tasks;
    expect(t.consensus.segments).toEqual([
      { phase: 'prep', start: 250, end: 290 },
      { phase: 'clip', start: 290, end: 350 },
    ]);
    expect(t.labels.map((l: { annotator: string }) => l.annotator)).toEqual(['ann-aaa', 'ann-bbb']);
    expect(t.labels[1].data.segments[0].end).toBe(292);
    expect(t).toMatchObject({ review: { decision: 'CORRECTED', reviewer: 'ann-ccc' }, guidelinesVersion: 3, prelabelModelKey: 'models/test.onnx', agreement: 1 });
  });

  it("records the campaign's consensus method, each task's method and the annotators' reliability by pseudonym", async () => {
    const consensus = {
      method: 'mace',
      title: 'MACE (competence and guessing)',
      minTasks: 30,
      seed: 'campaign-seed',
      options: { restarts: 4 },
      effectiveMethod: 'mace',
      categories: ['a', 'b'],
      annotators: [
        { annotator: 'ann-aaa', answers: 40, reliability: 0.93, skill: 0.93 },
        { annotator: 'ann-bbb', answers: 40, reliability: 0.41, skill: 0.41 },
      ],
      convergence: { iterations: 12, converged: true },
    };
    const source = memorySource({
      schema: { geometry: 'classification', classes: ['a', 'b'].map((key) => ({ key, name: key })) },
      consensus,
      tasks: [
        { id: 't1', consensus: { label: 'b' }, consensusMethod: 'mace' },
        { id: 't2', consensus: { label: 'a' }, consensusMethod: 'mace-weighted-vote' },
        { id: 't3', consensus: { label: 'a' }, consensusMethod: 'majority-vote' },
      ],
    });
    const doc = JSON.parse((await collect(native, source)).toString('utf8'));
    expect(doc.consensus).toEqual(consensus);
    expect(doc.tasks.map((t: { consensusMethod: string }) => t.consensusMethod)).toEqual(['mace', 'mace-weighted-vote', 'majority-vote']);
    expect(doc.conventions.emptyMasks).toMatch(/^Two empty masks score IoU 1.*cocoapi's maskUtils gives 0/);
  });

  it('maps per-frame labels and track keyframes to source frames', async () => {
    const source = memorySource({
      schema: { geometry: 'track', classes: [{ key: 'grasper', name: 'Grasper' }] },
      frames: { v1: trimmedFrameMap(100, 25, 10) },
      tasks: [
        {
          id: 't1',
          asset: videoAsset('v1', 100),
          consensus: {
            tracks: [
              {
                id: 1,
                label: 'grasper',
                keyframes: [
                  { frame: 0, box: [0, 0, 5, 5] },
                  { frame: 9, box: [9, 0, 5, 5], outside: true },
                ],
              },
            ],
          },
        },
      ],
    });
    const doc = JSON.parse((await collect(native, source)).toString('utf8'));
    expect(doc.tasks[0].consensus.tracks[0].keyframes.map((k: { frame: number }) => k.frame)).toEqual([10, 19]);
  });
});
