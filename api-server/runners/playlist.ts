// HLS resolution playlists from runners name the fragmented mp4 the runner made
// (`<uuid>-<res>-fragmented.mp4`, docs/peertube-runner-protocol.md §8); we store the mp4 under the
// placement key, so the stored playlist must reference that name instead.
const MAX_PLAYLIST_BYTES = 1024 * 1024;

export { MAX_PLAYLIST_BYTES };

/** Points every media URI of `playlist` (EXT-X-MAP URI and segment lines) at `mediaName`. */
export function rewritePlaylist(playlist: string, mediaName: string): string {
  return playlist
    .split(/\r?\n/)
    .map((line) => {
      const trimmed = line.trim();
      if (trimmed === '') return line;
      if (trimmed.startsWith('#'))
        return line.replace(/(URI=")([^"]*)(")/g, (_m, a: string, _uri: string, c: string) => `${a}${mediaName}${c}`);
      return mediaName; // a segment URI line
    })
    .join('\n');
}

/** A file name safe to use as the last part of an object key (no path, no traversal, no control chars). */
export function isSafeFileName(name: string): boolean {
  return /^[A-Za-z0-9_][A-Za-z0-9._-]{0,254}$/.test(name) && !name.includes('..');
}
