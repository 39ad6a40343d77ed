// The picture an annotation stage draws: the task's image or video element (kept hidden by MediaStage,
// which seeks the video to the task's frame), its pixel size, and a counter bumped when the picture changes.
export interface MediaSurface {
  element: HTMLImageElement | HTMLVideoElement | null;
  size: { width: number; height: number } | null;
  version: number;
}
