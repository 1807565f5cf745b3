// Plays the runner + api-server part of a task through the same CR transitions the api-server makes
// (lib/peertube/task-state.ts written with lib/kube/status.ts), with real ffmpeg doing the work and the
// results stored at the task's placement in S3 (moto).
import { playlistMediaField } from '../../../lib/jobs/placement.js';
import { createHash, randomUUID } from 'node:crypto';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { KubeConfig } from '@kubernetes/client-node';
import { CustomObjectsApi } from '@kubernetes/client-node';
import { GetObjectCommand, PutObjectCommand, type S3Client, type StorageClass, type ServerSideEncryption } from '@aws-sdk/client-s3';
import { updateStatus } from '../../../lib/kube/status.js';
import { acceptTask, updateTaskProgress, startCompleting, completeTask, errorTask } from '../../../lib/peertube/task-state.js';
import type { TaskStatus, TranscodeJob } from '../../../lib/schema/transcode-job.js';
import { GROUP, VERSION } from '../../../lib/kube/resources.js';

const exec = promisify(execFile);

export class FakeRunner {
  constructor(
    private readonly kc: KubeConfig,
    private readonly s3: S3Client,
    private readonly ns: string,
    readonly name = 'test-runner',
  ) {}

  async getJob(name: string): Promise<TranscodeJob> {
    return (await this.kc
      .makeApiClient(CustomObjectsApi)
      .getNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: this.ns, plural: 'transcodejobs', name })) as TranscodeJob;
  }

  async waitJob(name: string, what: string, pred: (j: TranscodeJob) => boolean, timeoutMs = 60_000): Promise<TranscodeJob> {
    const end = Date.now() + timeoutMs;
    let last: TranscodeJob | undefined;
    while (Date.now() < end) {
      last = await this.getJob(name);
      if (pred(last)) return last;
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`timed out waiting for ${what}; last status: ${JSON.stringify(last?.status, null, 1).slice(0, 4000)}`);
  }

  private task(job: TranscodeJob, uuid: string): TaskStatus {
    const t = job.status?.tasks?.find((x) => x.uuid === uuid);
    if (!t) throw new Error(`no task ${uuid}`);
    return t;
  }

  private async transition(jobName: string, fn: (s: NonNullable<TranscodeJob['status']>) => boolean): Promise<void> {
    const r = await updateStatus<TranscodeJob>(this.kc, 'TranscodeJob', this.ns, jobName, (obj) => fn(obj.status!), { maxAttempts: 100 });
    if (!r) throw new Error(`job ${jobName} gone`);
  }

  async accept(jobName: string, uuid: string): Promise<void> {
    const hash = createHash('sha256').update(`ptrjt-${randomUUID()}`).digest('hex');
    let ok = false;
    await this.transition(
      jobName,
      (s) => (ok = acceptTask(s, uuid, { id: this.name, name: this.name }, hash, new Date().toISOString()).ok),
    );
    if (!ok) throw new Error(`accept of ${uuid} refused`);
  }

  /** Waits until the operator recorded the SWF activity start (task.swf.taskToken). */
  async waitStarted(jobName: string, uuid: string): Promise<void> {
    await this.waitJob(jobName, `SWF start of ${uuid}`, (j) => !!this.task(j, uuid).swf?.taskToken);
  }

  /** Waits until the task's current SWF activity is `activityId` and matches `pred`. */
  async waitSwf(jobName: string, uuid: string, activityId: string, pred: (t: TaskStatus) => boolean): Promise<TaskStatus> {
    const j = await this.waitJob(jobName, `SWF activity ${activityId}`, (j) => {
      const t = this.task(j, uuid);
      return t.swf?.activityId === activityId && pred(t);
    });
    return this.task(j, uuid);
  }

  async progress(jobName: string, uuid: string, p: number): Promise<void> {
    await this.transition(jobName, (s) => updateTaskProgress(s, uuid, p, new Date().toISOString()).ok);
  }

  async error(jobName: string, uuid: string, message: string): Promise<void> {
    await this.transition(jobName, (s) => errorTask(s, uuid, message, new Date().toISOString()).ok);
  }

  /** Accept, wait for SWF start, transcode with ffmpeg (progress every second), store, complete. */
  async run(jobName: string, uuid: string, opts: { waitStart?: boolean } = {}): Promise<void> {
    await this.accept(jobName, uuid);
    if (opts.waitStart ?? true) await this.waitStarted(jobName, uuid);
    await this.finish(jobName, uuid);
  }

  /** The work of an accepted task: transcode, store at the placement, complete. */
  async finish(jobName: string, uuid: string): Promise<void> {
    const job = await this.getJob(jobName);
    const task = this.task(job, uuid);
    const dir = mkdtempSync(join(tmpdir(), 'ct-fake-runner-'));
    const ticker = setInterval(() => void this.progress(jobName, uuid, 50).catch(() => undefined), 1000);
    let files: { field: string; path: string; name: string }[];
    try {
      const input = join(dir, 'input');
      const obj = await this.s3.send(new GetObjectCommand({ Bucket: task.inputs.video!.bucket, Key: task.inputs.video!.key }));
      writeFileSync(input, Buffer.from(await obj.Body!.transformToByteArray()));
      if (task.inputs.preview) {
        const pv = await this.s3.send(new GetObjectCommand({ Bucket: task.inputs.preview.bucket, Key: task.inputs.preview.key }));
        writeFileSync(join(dir, 'preview.jpg'), Buffer.from(await pv.Body!.transformToByteArray()));
      }
      files = await transcode(task, input, dir);
    } finally {
      clearInterval(ticker);
    }
    await this.transition(jobName, (s) => startCompleting(s, uuid, new Date().toISOString()).ok);
    const keys: string[] = [];
    let size = 0;
    for (const f of files) {
      let key = task.placement.files?.[f.field];
      if (!key) key = `${task.placement.prefix ?? ''}${f.name}`;
      let body: Buffer = readFileSync(f.path);
      const mediaField = playlistMediaField(task.placement, f.field);
      if (mediaField) {
        const mp4 = task.placement.files![mediaField]!.split('/').pop()!;
        const produced = files.find((x) => x.field === mediaField)!.name;
        body = Buffer.from(body.toString('utf8').split(produced).join(mp4));
      }
      await this.s3.send(
        new PutObjectCommand({
          Bucket: task.placement.bucket,
          Key: key,
          Body: body,
          ...(task.placement.storageClass ? { StorageClass: task.placement.storageClass as StorageClass } : {}),
          ...(task.placement.sse ? { ServerSideEncryption: task.placement.sse as ServerSideEncryption } : {}),
        }),
      );
      keys.push(key);
      size += statSync(f.path).size;
    }
    await this.transition(
      jobName,
      (s) => completeTask(s, uuid, { bucket: task.placement.bucket, keys, size }, new Date().toISOString()).ok,
    );
  }
}

async function ffmpeg(args: string[], cwd?: string): Promise<void> {
  await exec('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', ...args], { maxBuffer: 8 * 1024 * 1024, ...(cwd ? { cwd } : {}) });
}

/** What a runner would run for each task type (equivalent ffmpeg commands). */
async function transcode(task: TaskStatus, input: string, dir: string): Promise<{ field: string; path: string; name: string }[]> {
  const p = task.payload as any;
  switch (task.type) {
    case 'ct-video-transcoding': {
      const e = p.output.encoding;
      const out = join(dir, p.output.fileName);
      const args = [
        '-i',
        input,
        '-s',
        `${e.width}x${e.height}`,
        '-c:v',
        e.videoCodec,
        '-preset',
        'ultrafast',
        '-b:v',
        e.videoBitrate,
        '-r',
        String(e.fps),
      ];
      if (e.profile) args.push('-profile:v', e.profile);
      if (e.level) args.push('-level', e.level);
      if (e.maxReferenceFrames) args.push('-refs', String(e.maxReferenceFrames));
      args.push('-c:a', e.audioCodec, '-b:a', e.audioBitrate, '-f', e.container, out);
      await ffmpeg(args);
      return [{ field: 'payload[videoFile]', path: out, name: p.output.fileName }];
    }
    case 'ct-thumbnails': {
      const o = p.output;
      const dot = o.fileName.lastIndexOf('.');
      const stem = o.fileName.slice(0, dot);
      const ext = o.fileName.slice(dot + 1);
      const thumbs = join(dir, 'thumbs');
      await exec('mkdir', ['-p', thumbs]);
      if (o.mode === 'snapshot') {
        await ffmpeg([
          '-ss',
          String(o.snapshotSec),
          '-i',
          input,
          '-vframes',
          '1',
          '-s',
          `${o.width}x${o.height}`,
          '-f',
          'image2',
          '-q:v',
          '8',
          join(thumbs, o.fileName),
        ]);
      } else {
        await ffmpeg([
          '-i',
          input,
          '-vf',
          `fps=fps=1/${o.intervals}`,
          '-s',
          `${o.width}x${o.height}`,
          '-f',
          'image2',
          '-q:v',
          '8',
          join(thumbs, `${stem}%06d.${ext}`),
        ]);
      }
      return readdirSync(thumbs).map((name) => ({ field: 'payload[imageFiles]', path: join(thumbs, name), name }));
    }
    case 'vod-hls-transcoding': {
      const res = p.output.resolution as number;
      const mp4 = join(dir, `out-${res}-fragmented.mp4`);
      const m3u8 = join(dir, `out-${res}.m3u8`);
      await ffmpeg(
        [
          '-i',
          input,
          '-vf',
          `scale=-2:${res}`,
          '-c:v',
          'libx264',
          '-preset',
          'ultrafast',
          '-r',
          String(p.output.fps),
          '-c:a',
          'aac',
          '-f',
          'hls',
          '-hls_time',
          '4',
          '-hls_playlist_type',
          'vod',
          '-hls_segment_type',
          'fmp4',
          '-hls_flags',
          'single_file',
          '-hls_segment_filename',
          `out-${res}-fragmented.mp4`,
          `out-${res}.m3u8`,
        ],
        dir,
      );
      return [
        { field: 'payload[videoFile]', path: mp4, name: `out-${res}-fragmented.mp4` },
        { field: 'payload[resolutionPlaylistFile]', path: m3u8, name: `out-${res}.m3u8` },
      ];
    }
    case 'ct-audio-extraction': {
      const out = join(dir, p.output.fileName);
      await ffmpeg(['-i', input, '-vn', '-c:a', p.output.audioCodec, '-b:a', p.output.audioBitrate, '-f', p.output.container, out]);
      return [{ field: 'payload[videoFile]', path: out, name: p.output.fileName }];
    }
    case 'vod-audio-merge-transcoding': {
      const out = join(dir, 'merged.mp4');
      await ffmpeg([
        '-loop',
        '1',
        '-i',
        join(dir, 'preview.jpg'),
        '-i',
        input,
        '-shortest',
        '-vf',
        `scale=-2:${p.output.resolution}`,
        '-r',
        String(p.output.fps),
        '-c:v',
        'libx264',
        '-preset',
        'ultrafast',
        '-tune',
        'stillimage',
        '-pix_fmt',
        'yuv420p',
        '-c:a',
        'aac',
        out,
      ]);
      return [{ field: 'payload[videoFile]', path: out, name: 'merged.mp4' }];
    }
    default:
      throw new Error(`fake runner cannot do ${task.type}`);
  }
}
