// A video's frames.json as exports use it: proxy frame (what a label stores) to source frame and to seconds
// on the source's timeline (the proxy's presentation time plus where the trim started).
import { sourceFrameOf, type ProxyFrameMap } from '../activities/ingest.ts';
import { timeOfFrame } from '../media/video.ts';
import type { FrameMapping } from './format.ts';

export function frameMappingOf(map: ProxyFrameMap): FrameMapping {
  if (map.version !== 2 || !map.source || !Array.isArray(map.runs)) throw new Error('frames.json is not a version 2 frame index');
  const t0 = map.frameCount > 0 ? timeOfFrame(map, 0) : 0;
  const offset = map.trim?.startSeconds ?? 0;
  return {
    source: (n) => sourceFrameOf(map, n),
    // One past the last frame is the end of the video: the last frame's time plus one frame.
    seconds: (n) => (n === map.frameCount && n > 0 ? timeOfFrame(map, n - 1) - t0 + 1 / map.fps : timeOfFrame(map, n) - t0) + offset,
    fps: map.fps,
    frameCount: map.frameCount,
    sourceFrameCount: map.source.frameCount,
  };
}
