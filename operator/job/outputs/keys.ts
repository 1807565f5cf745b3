// Key naming, once: how CT keys are normalized and where each output type stores its files.
// The planner (placements), the pre-checks (still images) and finalization (master playlist,
// rendition names) all name keys through these helpers.

/** CT keys: a leading '/' is dropped and double slashes collapsed (CT's uploader did the latter). */
export function normalizeKey(key: string): string {
  return key.replace(/\/{2,}/g, '/').replace(/^\/+/, '');
}

export function splitKey(key: string): { dir: string; base: string; stem: string; ext: string } {
  const k = normalizeKey(key);
  const slash = k.lastIndexOf('/');
  const dir = slash < 0 ? '' : k.slice(0, slash);
  const base = k.slice(slash + 1);
  const dot = base.lastIndexOf('.');
  return { dir, base, stem: dot < 0 ? base : base.slice(0, dot), ext: dot < 0 ? '' : base.slice(dot + 1) };
}

export function joinKey(dir: string, name: string): string {
  return dir ? `${dir}/${name}` : name;
}

/** HLS keys beside the master playlist. */
export function hlsKeys(masterKey: string, resolution: number): { video: string; playlist: string } {
  const { dir, stem } = splitKey(masterKey);
  return { video: joinKey(dir, `${stem}-${resolution}-fragmented.mp4`), playlist: joinKey(dir, `${stem}-${resolution}.m3u8`) };
}

/** Where the still image of an audio merge is stored: beside the output. */
export function previewKey(outputKey: string): string {
  const { dir, stem } = splitKey(outputKey);
  return joinKey(dir, `${stem}-preview.jpg`);
}

/** Multi-file results (thumbnails) go under the output's directory and keep their names. */
export function prefixOf(outputKey: string): string {
  const { dir } = splitKey(outputKey);
  return dir ? `${dir}/` : '';
}

export function inputPath(taskUuid: string, videoUuid: string, what: 'max-quality' | 'max-quality/audio' | 'previews/max-quality'): string {
  return `/api/v1/runners/jobs/${taskUuid}/files/videos/${videoUuid}/${what}`;
}

export function taskFilePath(taskUuid: string, videoUuid: string, basename: string): string {
  return `/api/v1/runners/jobs/${taskUuid}/files/videos/${videoUuid}/studio/task-files/${encodeURIComponent(basename)}`;
}
