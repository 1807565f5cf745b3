// What the api-server does with an uploaded success file beyond storing it, as the task's
// placement says (the output handler that planned the task set it; the upload path knows no
// output type).
import type { TaskStatus } from '../schema/transcode-job.js';

type Placement = TaskStatus['placement'];

/**
 * The success field whose stored key an uploaded playlist must reference, when `field` is a
 * playlist to rewrite; undefined otherwise.
 */
export function playlistMediaField(placement: Placement, field: string): string | undefined {
  const named = placement.rewrites?.[field];
  if (named) return named;
  // Tasks planned before `rewrites` existed carry only the HLS flag.
  return placement.rewritePlaylist && field === 'payload[resolutionPlaylistFile]' ? 'payload[videoFile]' : undefined;
}
