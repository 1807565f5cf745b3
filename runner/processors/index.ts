// Job type → processor.
import type { RunnerJobType } from '../../lib/peertube/job-types.js';
import { audioMergeProcessor } from './audio-merge.js';
import { ctAudioProcessor } from './ct-audio.js';
import { ctThumbnailsProcessor } from './ct-thumbnails.js';
import { ctVideoProcessor } from './ct-video.js';
import { ctVideoConcatProcessor } from './ct-video-concat.js';
import { ctVideoSegmentProcessor } from './ct-video-segment.js';
import { hlsProcessor } from './hls.js';
import { studioProcessor } from './studio.js';
import { runnable, type RunnableProcessor } from './types.js';
import { webVideoProcessor } from './web-video.js';

export const PROCESSORS: Record<RunnerJobType, RunnableProcessor> = {
  'vod-web-video-transcoding': runnable(webVideoProcessor),
  'vod-hls-transcoding': runnable(hlsProcessor),
  'vod-audio-merge-transcoding': runnable(audioMergeProcessor),
  'video-studio-transcoding': runnable(studioProcessor),
  'ct-video-transcoding': runnable(ctVideoProcessor),
  'ct-thumbnails': runnable(ctThumbnailsProcessor),
  'ct-audio-extraction': runnable(ctAudioProcessor),
  'ct-video-segment': runnable(ctVideoSegmentProcessor),
  'ct-video-concat': runnable(ctVideoConcatProcessor),
};
