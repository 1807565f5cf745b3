// The 24 Cloud Transcode presets (CloudTranscode-FFMpeg-presets, docs/ct-protocol.md) as
// data, in CT's own preset format so existing preset files can be compared line by line. Changes from
// the originals: `aac` instead of `libfdk_aac` (not in common ffmpeg builds), hls1M-generic's fps
// "auto" → 29.97 (it failed CT's preset schema), kindleFireHDX-generic's broken JSON fixed with the
// codec options of its 1080p siblings, and 480p-generic's `-2x480` (keep-ratio width) is supported.

export interface CtPreset {
  name: string;
  description: string;
  /** `WxH`; W may be -2 (keep the input ratio, even width). */
  size: string;
  frame_rate: number;
  video_bitrate: string;
  audio_bitrate: string;
  video_codec: string;
  audio_codec: string;
  /** Comma list of `Key:Value` with keys MaxReferenceFrames, Profile, Level. */
  video_codec_options?: string;
}

const p = (
  name: string,
  description: string,
  size: string,
  fps: number,
  vb: string,
  ab: string,
  refs: number,
  profile: string,
  level: string,
): CtPreset => ({
  name,
  description,
  size,
  frame_rate: fps,
  video_bitrate: vb,
  audio_bitrate: ab,
  video_codec: 'libx264',
  audio_codec: 'aac',
  video_codec_options: `MaxReferenceFrames:${refs},Profile:${profile},Level:${level}`,
});

export const PRESETS: readonly CtPreset[] = [
  p('1080p-generic', 'Generic 1080p', '1920x1080', 29.97, '5400k', '160k', 3, 'baseline', '4'),
  p('320x240-generic', 'Generic 320x240', '320x240', 21, '300k', '64k', 3, 'baseline', '1.3'),
  p('360p-16.9-generic', 'Generic 360p 16:9', '640x360', 29.97, '720k', '128k', 3, 'baseline', '3'),
  p('360p-4.3-generic', 'Generic 360p 4:3', '480x360', 29.97, '600k', '128k', 3, 'baseline', '3'),
  p('480p-16.9-generic', 'Generic 480p 16:9', '854x480', 29.97, '1200k', '128k', 3, 'baseline', '3.1'),
  p('480p-4.3-generic', 'Generic 480p 4:3', '640x480', 29.97, '900k', '128k', 3, 'baseline', '3'),
  p('480p-generic', 'Generic 480p, width from the input ratio', '-2x480', 29.97, '1200k', '128k', 3, 'baseline', '3.1'),
  p('720p-generic', 'Generic 720p', '1280x720', 29.97, '2400k', '160k', 3, 'baseline', '3.1'),
  p('appleTV2G-generic', 'AppleTV 2nd generation', '1280x720', 30, '5000k', '160k', 3, 'main', '3.1'),
  p('appleTV3G-generic', 'AppleTV 3rd generation', '1920x1080', 30, '5000k', '160k', 3, 'high', '4'),
  p('hls1.5M-generic', 'HLS 1.5M', '960x640', 29.97, '1372k', '128k', 3, 'main', '3.1'),
  p('hls1M-generic', 'HLS 1M', '640x432', 29.97, '872k', '128k', 3, 'main', '3.1'),
  p('hls2M-generic', 'HLS 2M', '1024x768', 29.97, '1872k', '128k', 3, 'main', '3.1'),
  p('hls400k-generic', 'HLS 400k', '400x288', 29.97, '272k', '128k', 1, 'baseline', '3'),
  p('hls600k-generic', 'HLS 600k', '480x320', 29.97, '472k', '128k', 3, 'baseline', '3'),
  p('iphone3GS-generic', 'iPhone 3GS', '640x480', 30, '600k', '128k', 3, 'baseline', '3'),
  p('iphone4-generic', 'iPhone 4', '1280x720', 30, '2200k', '160k', 3, 'main', '3.1'),
  p('iphone4S-generic', 'iPhone 4S', '1920x1080', 30, '5000k', '160k', 3, 'high', '4.1'),
  p('ipodTouch-generic', 'iPod touch', '640x480', 30, '1500k', '128k', 3, 'baseline', '3'),
  p('kindleFire-generic', 'Kindle Fire', '1024x576', 30, '1600k', '160k', 3, 'main', '3.1'),
  p('kindleFireHD-generic', 'Kindle Fire HD', '1280x720', 30, '2200k', '160k', 3, 'main', '4'),
  p('kindleFireHD8.9-generic', 'Kindle Fire HD 8.9', '1920x1080', 30, '5400k', '160k', 3, 'main', '4'),
  p('kindleFireHDX-generic', 'Kindle Fire HDX', '1920x1080', 30, '5000k', '160k', 3, 'high', '4.1'),
  p('web-generic', 'Web', '1280x720', 30, '2200k', '160k', 3, 'main', '3.1'),
];
