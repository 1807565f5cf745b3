// Strict PeerTube payload mode and the studio watermark field name (PeerTube 6.3's misspelt
// `horitonzalMarginRatio`, packages/models/src/server/job.model.ts).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertStrictPayload } from '../../../runner/peertube-strict.js';
import { studioProcessor } from '../../../runner/processors/studio.js';
import { loadConfig } from '../../../runner/config.js';
import { PEERTUBE_JOB_TYPES } from '../../../lib/peertube/job-types.js';

const dir = mkdtempSync(join(tmpdir(), 'ct-runner-strict-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const studio = (options: Record<string, unknown>) => ({
  input: { videoFileUrl: 'http://s/v', separatedAudioFileUrl: [] },
  tasks: [{ name: 'add-watermark', options: { file: 'http://s/wm.png', watermarkSizeRatio: 0.1, verticalMarginRatio: 0.02, ...options } }],
});

test("strict mode takes PeerTube's exact payloads and refuses other field names or extra keys", () => {
  expect(() => assertStrictPayload('video-studio-transcoding', studio({ horitonzalMarginRatio: 0.02 }))).not.toThrow();
  expect(() => assertStrictPayload('video-studio-transcoding', studio({ horizontalMarginRatio: 0.02 }))).toThrow(/horitonzalMarginRatio/);
  const web = { input: { videoFileUrl: 'http://s/v', separatedAudioFileUrl: [] }, output: { resolution: 360, fps: 25 } };
  expect(() => assertStrictPayload('vod-web-video-transcoding', web)).not.toThrow();
  expect(() => assertStrictPayload('vod-web-video-transcoding', { ...web, output: { ...web.output, videoBitrate: '1M' } })).toThrow(
    /videoBitrate: is not allowed/,
  );
  expect(() =>
    assertStrictPayload('vod-hls-transcoding', { input: web.input, output: { resolution: 360, fps: 25, separatedAudio: false } }),
  ).not.toThrow();
  expect(() =>
    assertStrictPayload('vod-audio-merge-transcoding', {
      input: { audioFileUrl: 'a', previewFileUrl: 'p' },
      output: { resolution: 480, fps: 25 },
    }),
  ).not.toThrow();
  expect(() => assertStrictPayload('ct-thumbnails', {})).toThrow(/not a standard PeerTube job type/);
});

test('our studio processor accepts both spellings and reads the margin from either', () => {
  const a = studioProcessor.payload.assert(studio({ horitonzalMarginRatio: 0.03 }));
  const b = studioProcessor.payload.assert(studio({ horizontalMarginRatio: 0.04 }));
  expect(a.tasks[0]).toMatchObject({ options: { horitonzalMarginRatio: 0.03 } });
  expect(b.tasks[0]).toMatchObject({ options: { horitonzalMarginRatio: 0.04 } });
  expect(() => studioProcessor.payload.assert(studio({}))).toThrow(/horitonzalMarginRatio/);
});

test('--peertube-strict: standard job types only', () => {
  const env = { XDG_CONFIG_HOME: join(dir, 'xdg') };
  const r = loadConfig(['--url', 'http://s', '--name', 'n', '--peertube-strict'], env);
  expect(!r.help && r.config).toMatchObject({ peertubeStrict: true, jobTypes: [...PEERTUBE_JOB_TYPES] });
  const e = loadConfig(['--url', 'http://s', '--name', 'n'], { ...env, CT_RUNNER_PEERTUBE_STRICT: 'true' });
  expect(!e.help && e.config.peertubeStrict).toBe(true);
  expect(() => loadConfig(['--url', 'http://s', '--peertube-strict', '--job-type', 'ct-thumbnails'], env)).toThrow(/ct-thumbnails/);
});
