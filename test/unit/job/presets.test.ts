// The 24 CT presets ship as data and resolve into exact encodings; CT's keep_ratio / no_enlarge rules.
import { PRESETS } from '../../../lib/presets/data.js';
import {
  presetNames,
  resolveVideoEncoding,
  parseCodecOptions,
  resolveSize,
  checkFrame,
  resolveAudio,
} from '../../../lib/presets/resolve.js';
import type { OutputSpec } from '../../../lib/schema/ct-job.js';
import { ladderFor, requestedLadder, renditionFrame } from '../../../lib/media/ladder.js';

const out = (o: Partial<OutputSpec>): OutputSpec =>
  ({ output_type: 'VIDEO', output_bucket: 'out-bucket', output_file: '/dir/out.mp4', ...o }) as OutputSpec;

test('all 24 presets exist, with aac audio and valid numbers', () => {
  expect(PRESETS).toHaveLength(24);
  expect(new Set(presetNames()).size).toBe(24);
  for (const p of PRESETS) {
    expect(p.audio_codec).toBe('aac');
    expect(typeof p.frame_rate).toBe('number');
    expect(p.video_bitrate).toMatch(/^\d+k$/);
    expect(p.size).toMatch(/^-?\d+x\d+$/);
  }
  expect(PRESETS.find((p) => p.name === 'hls1M-generic')!.frame_rate).toBe(29.97);
});

test('every preset resolves against a 1920x1080 input with keep_ratio/no_enlarge off', () => {
  for (const name of presetNames()) {
    const r = resolveVideoEncoding(out({ preset: name, keep_ratio: false, no_enlarge: false }), { width: 1920, height: 1080 });
    expect(r.ok).toBe(true);
    if (!r.ok) continue;
    expect(r.value.videoCodec).toBe('libx264');
    expect(r.value.container).toBe('mp4');
    expect(r.value.profile).toMatch(/^(baseline|main|high)$/);
    expect(r.value.level).toBeDefined();
    expect(r.value.maxReferenceFrames).toBeGreaterThan(0);
  }
});

test('codec options are parsed (Key:Value and Key=Value)', () => {
  expect(parseCodecOptions('MaxReferenceFrames:3,Profile:baseline,Level:3.1')).toEqual({
    maxReferenceFrames: 3,
    profile: 'baseline',
    level: '3.1',
  });
  expect(parseCodecOptions('Profile=High, Level=4')).toEqual({ profile: 'high', level: '4' });
  expect(parseCodecOptions(undefined)).toEqual({});
});

test('720p-generic resolves exactly, overrides win', () => {
  const r = resolveVideoEncoding(out({ preset: '720p-generic' }), { width: 1920, height: 1080 });
  expect(r).toEqual({
    ok: true,
    value: {
      width: 1280,
      height: 720,
      fps: 29.97,
      videoCodec: 'libx264',
      audioCodec: 'aac',
      videoBitrate: '2400k',
      audioBitrate: '160k',
      profile: 'baseline',
      level: '3.1',
      maxReferenceFrames: 3,
      container: 'mp4',
    },
  });
  const o = resolveVideoEncoding(
    out({
      preset: '720p-generic',
      size: '640x360',
      video_bitrate: '500k',
      audio_bitrate: '64k',
      frame_rate: 25,
      audio_codec: 'libfdk_aac',
    }),
    {
      width: 1920,
      height: 1080,
    },
  );
  expect(o.ok && o.value).toMatchObject({ width: 640, height: 360, videoBitrate: '500k', audioBitrate: '64k', fps: 25, audioCodec: 'aac' });
});

test('480p-generic keeps the input ratio with an even width', () => {
  const r = resolveVideoEncoding(out({ preset: '480p-generic' }), { width: 1920, height: 1080 });
  expect(r.ok && [r.value.width, r.value.height]).toEqual([854, 480]);
  const r43 = resolveVideoEncoding(out({ preset: '480p-generic' }), { width: 640, height: 480 });
  expect(r43.ok && [r43.value.width, r43.value.height]).toEqual([640, 480]);
  expect(resolveSize('-2x480', { width: 1000, height: 1000 })).toEqual({ width: 480, height: 480 });
});

test('unknown preset, ratio and enlargement errors as CT defines them', () => {
  const unknown = resolveVideoEncoding(out({ preset: 'nope' }), { width: 1920, height: 1080 });
  expect(unknown).toMatchObject({ ok: false, reason: 'UNKNOWN_PRESET' });
  const ratio = resolveVideoEncoding(out({ preset: '480p-4.3-generic' }), { width: 1920, height: 1080 });
  expect(ratio).toMatchObject({ ok: false, reason: 'RATIO_ERROR' });
  expect(resolveVideoEncoding(out({ preset: '480p-4.3-generic', keep_ratio: false }), { width: 1920, height: 1080 }).ok).toBe(true);
  const big = resolveVideoEncoding(out({ preset: '1080p-generic' }), { width: 640, height: 360 });
  expect(big).toMatchObject({ ok: false, reason: 'ENLARGEMENT_ERROR' });
  expect(resolveVideoEncoding(out({ preset: '1080p-generic', no_enlarge: false }), { width: 640, height: 360 }).ok).toBe(true);
  // 854x480 vs 1920x1080: 1.8 == 1.8 (one decimal, CT's rounding)
  expect(checkFrame({ width: 854, height: 480 }, { width: 1920, height: 1080 }, {}).ok).toBe(true);
  expect(resolveVideoEncoding(out({ preset: '720p-generic', output_file: 'a.xyz' }), { width: 1920, height: 1080 })).toMatchObject({
    ok: false,
    reason: 'CONVERSION_TYPE_ERROR',
  });
});

test('audio outputs pick codec and muxer from the extension', () => {
  expect(resolveAudio(out({ output_type: 'AUDIO', output_file: 'a/b.m4a' }))).toEqual({
    ok: true,
    value: { audioCodec: 'aac', audioBitrate: '128k', container: 'ipod' },
  });
  expect(resolveAudio(out({ output_type: 'AUDIO', output_file: 'a/b.mp3', audio_bitrate: '192k' }))).toEqual({
    ok: true,
    value: { audioCodec: 'libmp3lame', audioBitrate: '192k', container: 'mp3' },
  });
  expect(resolveAudio(out({ output_type: 'AUDIO', output_file: 'a/b.mkv' }))).toMatchObject({ ok: false, reason: 'CONVERSION_TYPE_ERROR' });
});

test('HLS ladder: input resolution plus the PeerTube ladder below it, never above', () => {
  expect(ladderFor(1080)).toEqual([1080, 720, 480, 360, 240, 144]);
  expect(ladderFor(360)).toEqual([360, 240, 144]);
  expect(ladderFor(718)).toEqual([718, 480, 360, 240, 144]);
  expect(requestedLadder([720, 1080, 360], 720, false)).toEqual({ kept: [720, 360], dropped: [1080] });
  expect(requestedLadder([1080], 720, true)).toEqual({ kept: [1080], dropped: [] });
  expect(renditionFrame(360, { width: 1920, height: 1080 })).toEqual({ width: 640, height: 360 });
  expect(renditionFrame(360, { width: 1080, height: 1920 })).toEqual({ width: 360, height: 640 });
});
