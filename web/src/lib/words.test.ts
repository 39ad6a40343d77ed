import { describe, expect, it } from 'vitest';
import { metricInWords, qaPlanInWords, strataNames } from './words';

describe('codes in words', () => {
  it('says every agreement metric of the annotation types without raw codes', () => {
    expect(metricInWords('object-f1@0.5-x-class-agreement')).toBe('F1 of objects matched at overlap (IoU) ≥ 0.5 × class agreement');
    expect(metricInWords('instance-f1@oks0.5-x-class-agreement')).toBe('F1 of instances matched at keypoint similarity (OKS) ≥ 0.5 × class agreement');
    expect(metricInWords('line-f1@tolerance-x-class-agreement')).toBe('F1 of lines matched within the distance tolerance × class agreement');
    expect(metricInWords('segmental-f1@0.5')).toBe('F1 of phase segments matched at overlap (IoU) ≥ 0.5');
    expect(metricInWords('percent-agreement')).toBe('exact agreement');
    expect(metricInWords('mean-dice')).toBe('mean Dice overlap per structure');
    expect(metricInWords('some_new-metric')).toBe('some new metric');
    expect(metricInWords(null)).toBe('');
  });

  it('states a spot-check plan as an auditor would', () => {
    expect(qaPlanInWords({ kind: 'zero-acceptance', lotSize: 3, sampleSize: 3, acceptNumber: 0 })).toBe(
      'Zero-acceptance sampling (any failure rejects the lot); check 3 tasks of 3; accept the lot only with no failure',
    );
    expect(qaPlanInWords({ kind: 'z1.4', lotSize: 500, sampleSize: 50, acceptNumber: 1 })).toBe(
      'ANSI/ASQ Z1.4 sampling, general level II; check 50 tasks of 500; accept the lot with at most 1 failure',
    );
    expect(qaPlanInWords(undefined)).toBe('—');
  });

  it('numbers strata stably, whatever order they arrive in', () => {
    const a = strataNames(['u2+u3', 'u1+u2', 'u2+u3', '']);
    const b = strataNames(['u1+u2', 'u2+u3']);
    expect(a.get('u1+u2')).toBe('annotator group 1 of 2');
    expect(a.get('u2+u3')).toBe('annotator group 2 of 2');
    expect([...a]).toEqual([...b]);
    expect(a.has('')).toBe(false);
  });
});
