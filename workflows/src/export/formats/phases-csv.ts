// Surgical phases as CSV, one row per segment: asset, phase key, phase name, first and last SOURCE frame
// (inclusive) and the segment's start and end in seconds on the source timeline (end = start of the frame
// after the segment). Rows per task in task order, segments by start then phase.
import type { ExportFormat } from '../format.ts';
import type { PhasesLabel } from '../payloads.ts';
import { csvField } from '../streams.ts';

export const phasesCsv: ExportFormat = {
  id: 'phases-csv',
  title: 'Surgical phases CSV',
  kinds: ['phases'],
  standardFor: ['phases'],
  extension: 'csv',
  contentType: 'text/csv',
  async *write(source) {
    const names = new Map(source.campaign.schema.phases.map((p) => [p.key, p.name]));
    yield 'asset,phase,phase_name,start_frame,end_frame,start_seconds,end_seconds\n';
    for await (const task of source.tasks()) {
      const data = task.consensus as PhasesLabel | null;
      if (!task.asset || !data) continue;
      const frames = await source.frames(task.asset);
      const segments = [...data.segments].filter((s) => s.end > s.start).sort((a, b) => a.start - b.start || (a.phase < b.phase ? -1 : a.phase > b.phase ? 1 : 0));
      let out = '';
      for (const s of segments) {
        const fields = [task.asset.id, s.phase, names.get(s.phase) ?? s.phase, frames.source(s.start), frames.source(s.end - 1), frames.seconds(s.start), frames.seconds(s.end)];
        out += `${fields.map(csvField).join(',')}\n`;
      }
      if (out) yield out;
    }
  },
};
