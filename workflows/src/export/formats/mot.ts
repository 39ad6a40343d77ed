// MOTChallenge ground truth (MOT 1.1 text, as CVAT's "MOT 1.1" reads it) of the consensus tracks, as a zip:
// per video <asset>/gt/gt.txt with "frame,id,x,y,w,h,conf,-1,-1,-1" on every interpolated frame (frames
// 1-based, SOURCE frames; conf 1; absent where the object is `outside`), <asset>/gt/labels.txt (class of
// each MOT id) and <asset>/seqinfo.ini; labels.txt at the root lists the campaign's classes.
import { ExportError, type ExportFormat } from '../format.ts';
import { trackFrames, type TrackLabel } from '../payloads.ts';
import { ZipStream, csvField, num } from '../streams.ts';
import { consensusLine, EMPTY_LABELS_CONVENTION } from '../provenance.ts';

export const mot: ExportFormat = {
  id: 'mot',
  title: 'MOT 1.1 (MOTChallenge CSV)',
  kinds: ['track'],
  standardFor: ['track'],
  extension: 'zip',
  contentType: 'application/zip',
  async *write(source) {
    const zip = new ZipStream();
    zip.add('labels.txt', source.campaign.schema.classes.map((c) => `${c.key}\n`).join(''));
    yield* zip.take();
    const seen = new Set<string>();
    for await (const task of source.tasks()) {
      const data = task.consensus as TrackLabel | null;
      if (!task.asset || !data) continue;
      if (seen.has(task.asset.id)) throw new ExportError('DUPLICATE_IMAGE', `video ${task.asset.id} has two accepted track tasks; export their batches one at a time`);
      seen.add(task.asset.id);
      const frames = await source.frames(task.asset);
      const rows: Array<[number, number, string]> = [];
      const ids: string[] = [];
      data.tracks.forEach((t, i) => {
        const id = i + 1;
        ids.push(`${id},${csvField(String(t.id))},${csvField(t.label)}\n`);
        for (const f of trackFrames(t.keyframes, frames))
          rows.push([f.frame, id, `${f.frame + 1},${id},${num(f.box[0])},${num(f.box[1])},${num(f.box[2])},${num(f.box[3])},1,-1,-1,-1\n`]);
      });
      rows.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      const dir = task.asset.id;
      const gt = zip.entry(`${dir}/gt/gt.txt`);
      for (let i = 0; i < rows.length; i += 5_000) {
        gt.push(
          rows
            .slice(i, i + 5_000)
            .map((r) => r[2])
            .join(''),
        );
        yield* zip.take();
      }
      gt.end();
      zip.add(`${dir}/gt/labels.txt`, `mot_id,track_id,label\n${ids.join('')}`);
      const seqinfo = [
        `; ${consensusLine(source.campaign)}`,
        `; ${EMPTY_LABELS_CONVENTION}`,
        '[Sequence]',
        `name=${dir}`,
        'imDir=img1',
        ...(frames.fps ? [`frameRate=${num(frames.fps)}`] : []),
        ...(frames.sourceFrameCount ? [`seqLength=${frames.sourceFrameCount}`] : []),
        ...(task.asset.width ? [`imWidth=${task.asset.width}`] : []),
        ...(task.asset.height ? [`imHeight=${task.asset.height}`] : []),
        'imExt=.png',
        '',
      ].join('\n');
      zip.add(`${dir}/seqinfo.ini`, seqinfo);
      yield* zip.take();
    }
    zip.end();
    yield* zip.take();
  },
};
