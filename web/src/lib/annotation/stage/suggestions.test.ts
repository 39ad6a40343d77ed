import { describe, expect, it } from 'vitest';
import type { LabelSchema } from '$lib/types';
import { asBoxes, boxData, type BoxGeometry } from '../kinds/bbox';
import { asPolygons, polygonData } from '../kinds/polygon';
import { checkLabel } from '../modules';
import type { StageObject } from './object';
import { acceptAllSuggestions, acceptSuggestion, discardSuggestion, labelObjects, stageObjects, suggestionsOf } from './suggestions';

const classes = [
  { key: 'grasper', name: 'Grasper' },
  { key: 'hook', name: 'Hook' },
];
const bboxSchema: LabelSchema = { geometry: 'bbox', classes };
const asset = { kind: 'IMAGE', metadata: { probe: { width: 320, height: 240 } } };

// What BboxEditor does: read the pre-label with the kind's reader, publish the objects that are not suggestions.
const readBoxes = (data: unknown) => asBoxes(data).map((o) => ({ ...o, geometry: o.box }));
const publishBoxes = (objects: StageObject<BoxGeometry>[], frame: number | null) =>
  boxData(
    labelObjects(objects).map((o) => ({ label: o.label, box: o.geometry, attributes: o.attributes })),
    bboxSchema,
    frame,
  );

describe('pre-label suggestions', () => {
  // The task's `prelabel` for object kinds: `{objects: [...], confidence}` (workflows/src/activities/prelabel.ts).
  const prelabel = {
    objects: [
      { label: 'hook', box: [10, 20, 30, 40] },
      { label: 'grasper', box: [100, 100, 50, 50], confidence: 0.42 },
      { label: 'hook', box: [200, 10, 20, 20] },
    ],
    confidence: 0.8,
  };

  it("become suggested objects with their own confidence or the pre-label's; none is sent until accepted", () => {
    const objects = suggestionsOf(prelabel, readBoxes(prelabel));
    expect(objects.map((o) => [o.label, o.suggested, o.confidence])).toEqual([
      ['hook', true, 0.8],
      ['grasper', true, 0.42],
      ['hook', true, 0.8],
    ]);
    expect(new Set(objects.map((o) => o.id)).size).toBe(3);
    expect(publishBoxes(objects, null)).toEqual({ objects: [] });
    expect(suggestionsOf(null, readBoxes(null))).toEqual([]);
    expect(suggestionsOf({ objects: [{ label: 'hook', box: [1, 2, 3, 4] }] }, readBoxes({ objects: [{ label: 'hook', box: [1, 2, 3, 4] }] }))[0]!.confidence).toBeUndefined();
  });

  it('accept keeps a suggestion as an ordinary object, discard drops it, accept all takes the rest; the label passes the server module', () => {
    const drafted = stageObjects(readBoxes({ objects: [{ label: 'grasper', box: [5, 5, 10, 10] }] }));
    let objects = [...drafted, ...suggestionsOf(prelabel, readBoxes(prelabel))];
    const [, first, second, third] = objects;

    objects = acceptSuggestion(objects, first!.id);
    expect(objects[1]).toEqual({ id: first!.id, label: 'hook', geometry: [10, 20, 30, 40] });
    expect(publishBoxes(objects, 3)).toEqual({
      objects: [
        { label: 'grasper', box: [5, 5, 10, 10] },
        { label: 'hook', box: [10, 20, 30, 40] },
      ],
      frame: 3,
    });

    objects = discardSuggestion(objects, second!.id);
    expect(objects.map((o) => o.id)).toEqual([drafted[0]!.id, first!.id, third!.id]);
    // Discard only drops suggestions; an accepted object stays.
    expect(discardSuggestion(objects, first!.id)).toEqual(objects);

    objects = acceptAllSuggestions(objects);
    expect(objects.every((o) => !o.suggested && o.confidence === undefined)).toBe(true);
    const payload = publishBoxes(objects, 3);
    expect(payload.objects.map((o) => o.box)).toEqual([
      [5, 5, 10, 10],
      [10, 20, 30, 40],
      [200, 10, 20, 20],
    ]);
    expect(checkLabel(payload, { schema: bboxSchema, asset, frameIndex: 3 })).toEqual({ ok: true, data: payload });
  });

  it('work for every object kind through its reader (polygons here), attributes kept', () => {
    const schema: LabelSchema = { geometry: 'polygon', classes, attributes: [{ key: 'occluded', name: 'Occluded', type: 'boolean' }] };
    const ring: Array<[number, number]> = [
      [0, 0],
      [20, 0],
      [20, 20],
    ];
    const pre = { objects: [{ label: 'hook', rings: [ring], attributes: { occluded: true } }], confidence: 0.65 };
    const read = (data: unknown) => asPolygons(data).map((o) => ({ ...o, geometry: o.rings }));
    const objects = acceptAllSuggestions(suggestionsOf(pre, read(pre)));
    const payload = polygonData(
      labelObjects(objects).map((o) => ({ label: o.label, rings: o.geometry, attributes: o.attributes })),
      schema,
      null,
    );
    expect(payload).toEqual({ objects: [{ label: 'hook', rings: [ring], attributes: { occluded: true } }] });
    expect(checkLabel(payload, { schema, asset, frameIndex: null }).ok).toBe(true);
  });
});
