// The operator's probe as our runner needs it (ct-* payloads), so the runner does not probe the
// input again. Standard PeerTube payloads have no such field and stay as PeerTube defines them.
import type { CtInputMedia } from '../../../lib/peertube/job-types.js';
import type { ProbeInfo } from '../../../lib/schema/transcode-job.js';

export function inputMedia(probe: ProbeInfo): CtInputMedia {
  const v = probe.video;
  return {
    durationSec: probe.duration,
    hasVideo: v !== undefined,
    hasAudio: probe.audio !== undefined,
    ...(v ? { width: v.width, height: v.height } : {}),
    ...(v && v.fps > 0 ? { fps: v.fps } : {}),
  };
}
