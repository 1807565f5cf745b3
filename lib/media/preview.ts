// A plain still image for PeerTube's audio merge (audio-only source → video): PeerTube uses the
// video's preview; a CT job has none, so we make a black frame of the output size.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export async function blackFrameJpeg(width: number, height: number): Promise<Buffer> {
  const { stdout } = await exec(
    'ffmpeg',
    [
      '-hide_banner',
      '-loglevel',
      'error',
      '-f',
      'lavfi',
      '-i',
      `color=c=black:s=${width}x${height}`,
      '-frames:v',
      '1',
      '-f',
      'image2',
      '-c:v',
      'mjpeg',
      'pipe:1',
    ],
    { encoding: 'buffer', maxBuffer: 16 * 1024 * 1024 },
  );
  return stdout;
}
