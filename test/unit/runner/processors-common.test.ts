import { fpsFilter, muxerFor, safeFileName, scaleToHeight, splitName } from '../../../runner/processors/common.js';
import { overlayPosition, watermarkGraph } from '../../../runner/processors/ct-video.js';
import { hlsFileNames } from '../../../runner/processors/hls.js';

describe('processor helpers', () => {
  test('CT watermark offsets: >= 0 from left/top, < 0 from right/bottom', () => {
    expect(overlayPosition(10, 20)).toBe('x=10:y=20');
    expect(overlayPosition(-10, -5)).toBe('x=main_w-overlay_w-10:y=main_h-overlay_h-5');
    expect(overlayPosition(0, -1)).toBe('x=0:y=main_h-overlay_h-1');
  });

  test('CT watermark graph: output size and fps first, overlay scaled and alpha multiplied by opacity', () => {
    expect(watermarkGraph(640, 360, 25, { fileUrl: 'u', width: 64, height: 32, opacity: 0.7, x: -10, y: 10 })).toBe(
      '[0:v]scale=640:360,fps=25[base];[1:v]scale=64:32,format=rgba,colorchannelmixer=aa=0.7[wm];[base][wm]overlay=x=main_w-overlay_w-10:y=10:format=auto[vout]',
    );
    expect(watermarkGraph(320, 240, 30, { fileUrl: 'u', opacity: 1, x: 0, y: 0 })).toContain('[1:v]format=rgba,colorchannelmixer=aa=1[wm]');
    expect(watermarkGraph(320, 240, 30, { fileUrl: 'u', width: 50, opacity: 1, x: 0, y: 0 })).toContain('[1:v]scale=50:-1,');
  });

  test('HLS names as the official runner names them', () => {
    expect(hlsFileNames('abc', 720)).toEqual({ playlist: 'abc-720.m3u8', video: 'abc-720-fragmented.mp4' });
  });

  test('muxers from container names', () => {
    expect(muxerFor('mp4')).toBe('mp4');
    expect(muxerFor('.MKV')).toBe('matroska');
    expect(muxerFor('m4a')).toBe('mp4');
    expect(muxerFor('ts')).toBe('mpegts');
    expect(muxerFor('webm')).toBe('webm');
  });

  test('file names: base name only, safe characters', () => {
    expect(safeFileName('../../etc/out.mp4', 'fileName')).toBe('out.mp4');
    expect(safeFileName('my clip_1.mp4', 'fileName')).toBe('my clip_1.mp4');
    expect(() => safeFileName('.hidden', 'fileName')).toThrow(/not a usable file name/);
    expect(() => safeFileName('a;rm -rf.mp4', 'fileName')).toThrow(/fileName "a;rm -rf.mp4"/);
    expect(() => safeFileName('', 'fileName')).toThrow();
  });

  test('split names and filters', () => {
    expect(splitName('thumb.jpg', 'jpg')).toEqual({ stem: 'thumb', ext: 'jpg' });
    expect(splitName('a.b.png', 'jpg')).toEqual({ stem: 'a.b', ext: 'png' });
    expect(splitName('noext', 'jpg')).toEqual({ stem: 'noext', ext: 'jpg' });
    expect(scaleToHeight(144)).toBe('scale=-2:144');
    expect(scaleToHeight(145)).toBe('scale=-2:146');
    expect(fpsFilter(30)).toBe(',fps=30');
    expect(fpsFilter(0)).toBe('');
  });
});
