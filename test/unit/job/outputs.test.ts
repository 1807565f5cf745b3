// operator/job/outputs/: one handler per CT output type, and the placement rule the api-server follows.
import { OUTPUT_HANDLERS } from '../../../operator/job/outputs/index.js';
import { hlsKeys, normalizeKey, prefixOf, previewKey } from '../../../operator/job/outputs/keys.js';
import { OUTPUT_TYPES } from '../../../lib/schema/ct-job.js';
import { playlistMediaField } from '../../../lib/jobs/placement.js';

test('every CT output type has its own handler, registered under its type', () => {
  expect(Object.keys(OUTPUT_HANDLERS).sort()).toEqual([...OUTPUT_TYPES].sort());
  for (const t of OUTPUT_TYPES) expect(OUTPUT_HANDLERS[t].type).toBe(t);
  // Only VIDEO needs I/O before planning (watermark image, audio-merge still image).
  expect(OUTPUT_TYPES.filter((t) => OUTPUT_HANDLERS[t].preCheck)).toEqual(['VIDEO']);
});

test('key naming: normalized keys, HLS renditions, previews and thumbnail prefixes', () => {
  expect(normalizeKey('//a//b/c.mp4')).toBe('a/b/c.mp4');
  expect(hlsKeys('/out/hls/master.m3u8', 720)).toEqual({ video: 'out/hls/master-720-fragmented.mp4', playlist: 'out/hls/master-720.m3u8' });
  expect(previewKey('out/v.mp4')).toBe('out/v-preview.jpg');
  expect(prefixOf('/t/x.jpg')).toBe('t/');
  expect(prefixOf('x.jpg')).toBe('');
});

test('playlist rewrite: named by the placement; tasks of older plans keep the HLS flag; other fields are stored as sent', () => {
  const named = { bucket: 'b', rewrites: { 'payload[resolutionPlaylistFile]': 'payload[videoFile]' } };
  expect(playlistMediaField(named, 'payload[resolutionPlaylistFile]')).toBe('payload[videoFile]');
  expect(playlistMediaField(named, 'payload[videoFile]')).toBeUndefined();
  expect(playlistMediaField({ bucket: 'b', rewritePlaylist: true }, 'payload[resolutionPlaylistFile]')).toBe('payload[videoFile]');
  expect(playlistMediaField({ bucket: 'b' }, 'payload[resolutionPlaylistFile]')).toBeUndefined();
});
