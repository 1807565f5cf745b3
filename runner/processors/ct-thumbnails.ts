// ct-thumbnails: CT THUMB outputs. snapshot = one frame at snapshotSec; intervals = one frame every
// N seconds named `<stem>NNNNNN.<ext>` from 000001 (CT naming). Both: -f image2 -q:v 8.
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CtThumbnailsPayload } from '../../lib/peertube/job-types.js';
import { validator } from '../../lib/validate.js';
import { newCommand } from '../ffmpeg.js';
import { addInput, addOutputOptions, assertOutput, openCtInput, runToFile, splitName } from './common.js';
import type { Processor } from './types.js';

export const ctThumbnailsProcessor: Processor<CtThumbnailsPayload> = {
  type: 'ct-thumbnails',
  payload: validator(CtThumbnailsPayload, 'ct-thumbnails payload'),
  async process(ctx, p) {
    const o = p.output;
    // Thumbnails go to their own directory so listing the results never picks up inputs.
    const outDir = join(ctx.dir, 'thumbs');
    const { input, info, fileName, output } = await openCtInput(ctx, p, 'video', outDir);
    mkdirSync(outDir, { recursive: true });
    const image = ['-s', `${o.width}x${o.height}`, '-f', 'image2', '-q:v', '8'];
    const cmd = newCommand(ctx.settings);

    if (o.mode === 'snapshot') {
      if (info.durationSec !== undefined && o.snapshotSec >= info.durationSec) {
        throw new Error(`snapshot at ${o.snapshotSec} s is past the end of the input (${info.durationSec.toFixed(2)} s)`);
      }
      addInput(cmd, input.url, [...input.options, '-ss', String(o.snapshotSec)]);
      addOutputOptions(cmd, ['-frames:v', '1', ...image]);
      await runToFile(ctx, cmd, input, output, 'snapshot', undefined);
      return { files: [{ field: 'payload[imageFiles]', path: output, filename: fileName }] };
    }

    const { stem, ext } = splitName(fileName, 'jpg');
    addInput(cmd, input.url, input.options);
    addOutputOptions(cmd, ['-vf', `fps=fps=1/${o.intervals}`, '-start_number', '1', ...image]);
    cmd.output(join(outDir, `${stem}%06d.${ext}`));
    await ctx.ffmpeg(cmd, 'interval thumbnails', info.durationSec);
    await input.complete;
    const pattern = new RegExp(`^${stem.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\d{6}\\.${ext.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
    const files = readdirSync(outDir)
      .filter((f) => pattern.test(f))
      .sort();
    if (files.length === 0) throw new Error('interval thumbnails: ffmpeg produced no image');
    for (const f of files) assertOutput(join(outDir, f), 'interval thumbnails');
    return { files: files.map((f) => ({ field: 'payload[imageFiles]', path: join(outDir, f), filename: f })) };
  },
};
