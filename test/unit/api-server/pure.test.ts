// Pure helpers of the api-server: playlist rewriting, safe names/paths, shortUUID, payload URLs,
// configuration checks.
import { rewritePlaylist, isSafeFileName } from '../../../api-server/runners/playlist.js';
import { isSafeStoragePath, shortUuid } from '../../../api-server/videos.js';
import { absolutePayload } from '../../../api-server/runners/view.js';
import { loadConfig } from '../../../api-server/config.js';
import { runnerObjectName } from '../../../api-server/runners/registration.js';
import { sameHash, sha256Hex } from '../../../api-server/tokens.js';

test('rewritePlaylist points the map and segment URIs at the stored mp4', () => {
  const src =
    '#EXTM3U\n#EXT-X-MAP:URI="a1-720-fragmented.mp4",BYTERANGE="10@0"\n#EXTINF:4,\n#EXT-X-BYTERANGE:5@10\na1-720-fragmented.mp4\r\n#EXT-X-ENDLIST\n';
  const out = rewritePlaylist(src, 'final.mp4');
  expect(out).toBe('#EXTM3U\n#EXT-X-MAP:URI="final.mp4",BYTERANGE="10@0"\n#EXTINF:4,\n#EXT-X-BYTERANGE:5@10\nfinal.mp4\n#EXT-X-ENDLIST\n');
});

test('safe file names and storage paths', () => {
  expect(isSafeFileName('000001.jpg')).toBe(true);
  for (const bad of ['', '../a.jpg', 'a/b.jpg', '.hidden', 'a..b', 'x\u0000.jpg']) expect(isSafeFileName(bad)).toBe(false);
  expect(isSafeStoragePath('a/b/c.mp4')).toBe(true);
  for (const bad of ['/a.mp4', '../a.mp4', 'a/../b.mp4', 'a//b.mp4', 'a\\b.mp4', './a.mp4', 'a/\n.mp4'])
    expect(isSafeStoragePath(bad)).toBe(false);
});

test('shortUuid is flickr base58 of the 128 bits (PeerTube short-uuid)', () => {
  const uuid = '00000000-0000-4000-8000-000000000000';
  const n = BigInt('0x' + uuid.replace(/-/g, ''));
  let back = 0n;
  for (const ch of shortUuid(uuid)) back = back * 58n + BigInt('123456789abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ'.indexOf(ch));
  expect(back).toBe(n);
  expect(shortUuid('00000000-0000-0000-0000-000000000001')).toBe('2');
});

test('absolutePayload prefixes stored file paths only', () => {
  const p = {
    input: { videoFileUrl: '/api/v1/runners/jobs/u/files/videos/v/max-quality', separatedAudioFileUrl: ['/api/v1/runners/jobs/u/x'] },
    output: { fileName: '/other', n: 3 },
  };
  expect(absolutePayload(p, 'https://api.example')).toEqual({
    input: {
      videoFileUrl: 'https://api.example/api/v1/runners/jobs/u/files/videos/v/max-quality',
      separatedAudioFileUrl: ['https://api.example/api/v1/runners/jobs/u/x'],
    },
    output: { fileName: '/other', n: 3 },
  });
});

test('loadConfig: defaults and clear errors', () => {
  const c = loadConfig({ CT_PUBLIC_URL: 'https://runners.example.com/', CT_HTTP_PORT: '9000' });
  expect(c).toMatchObject({ publicUrl: 'https://runners.example.com', port: 9000, downloadMode: 'stream', namespace: '' });
  expect(() => loadConfig({ CT_PUBLIC_URL: 'ftp://x' })).toThrow(/CT_PUBLIC_URL/);
  expect(() => loadConfig({ CT_HTTP_PORT: 'abc' })).toThrow(/CT_HTTP_PORT/);
  expect(() => loadConfig({ CT_DOWNLOAD_MODE: 'proxy' })).toThrow(/CT_DOWNLOAD_MODE/);
  expect(() => loadConfig({ CT_ADMIN_TOKEN: 'short' })).toThrow(/CT_ADMIN_TOKEN/);
});

test('runner object names are valid DNS labels and distinct per runner name', () => {
  const a = runnerObjectName('My Runner #1 ✓');
  expect(a).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
  expect(a.length).toBeLessThanOrEqual(63);
  expect(runnerObjectName('my runner 1')).not.toBe(runnerObjectName('My Runner 1'));
});

test('sameHash compares digests in constant time and rejects malformed input', () => {
  const h = sha256Hex('x');
  expect(sameHash(h, sha256Hex('x'))).toBe(true);
  expect(sameHash(h, sha256Hex('y'))).toBe(false);
  expect(sameHash(h, 'abc')).toBe(false);
});
