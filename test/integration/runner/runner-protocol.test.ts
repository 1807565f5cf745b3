// The runner process (dist/runner/main.js) against a PeerTube-protocol server: registration and
// token reuse, socket wake-ups, downloads through redirects, multipart success, the accept race,
// a revoked token, back-off while the server is down, and SIGTERM leaving no ffmpeg behind.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, spawnManaged, waitFor, type ManagedProcess } from '../../env/process.js';
import { envInfo } from '../../helpers/env.js';
import { generateClip, probe } from '../../helpers/media.js';
import { FakePeerTube, type FakeJob } from './fake-peertube.js';

const MAIN = join(process.cwd(), 'dist', 'runner', 'main.js');
const base = join(envInfo().dir, `runner-protocol-${process.pid}`);
let clip: string;
let longClip: string;
let n = 0;

interface StartedRunner {
  proc: ManagedProcess;
  configFile: string;
  workDir: string;
  logs(): Record<string, unknown>[];
}

function startRunner(
  server: string,
  opts: { name?: string; extraArgs?: string[]; config?: string; env?: Record<string, string> } = {},
): StartedRunner {
  n += 1;
  const dir = join(base, `r${n}`);
  mkdirSync(dir, { recursive: true });
  const configFile = opts.config ?? join(dir, 'config.yaml');
  const workDir = join(dir, 'work');
  const logFile = join(dir, 'runner.log');
  const args = [
    MAIN,
    '--url',
    server,
    '--config',
    configFile,
    '--name',
    opts.name ?? `runner-${n}`,
    '--work-dir',
    workDir,
    '--update-interval',
    '0.3',
    '--poll-interval',
    '60',
    '--ffmpeg-threads',
    '1',
    ...(opts.extraArgs ?? []),
  ];
  const proc = spawnManaged(`runner-${n}`, process.execPath, args, { logFile, env: { ...process.env, LOG_LEVEL: 'debug', ...opts.env } });
  return {
    proc,
    configFile,
    workDir,
    logs: () =>
      readFileSync(logFile, 'utf8')
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

/** SIGTERM to the runner itself (not its supervisor, which would answer for it); resolves with its exit code. */
async function terminate(r: StartedRunner): Promise<number | null> {
  const pid = Number(
    execFileSync('pgrep', ['-P', String(r.proc.pid), '-f', 'dist/runner/main.js'], { encoding: 'utf8' })
      .trim()
      .split('\n')[0],
  );
  process.kill(pid, 'SIGTERM');
  return r.proc.exited;
}

function webVideoJob(fake: FakePeerTube, input = clip, notify = true): FakeJob {
  return fake.addJob(
    'vod-web-video-transcoding',
    (uuid) => ({
      input: { videoFileUrl: fake.addFile(uuid, 'max-quality', input), separatedAudioFileUrl: [] },
      output: { resolution: 144, fps: 25 },
    }),
    notify,
  );
}

async function waitState(job: FakeJob, state: FakeJob['state'], timeoutMs = 30_000): Promise<void> {
  await waitFor(`job ${job.uuid} ${state} (is ${job.state})`, async () => (job.state === state ? true : undefined), timeoutMs, 100);
}

function ffmpegUnder(dir: string): string[] {
  try {
    return execFileSync('pgrep', ['-a', '-f', `ffmpeg.*${dir}`], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

const fakes: FakePeerTube[] = [];
async function startFake(port = 0, registrationTokens?: string[]): Promise<FakePeerTube> {
  const fake = new FakePeerTube({ dir: join(base, `fake-${fakes.length}`), ...(registrationTokens ? { registrationTokens } : {}) });
  await fake.start(port);
  fakes.push(fake);
  return fake;
}

const runners: StartedRunner[] = [];
function track(r: StartedRunner): StartedRunner {
  runners.push(r);
  return r;
}

beforeAll(async () => {
  mkdirSync(base, { recursive: true });
  [clip, longClip] = await Promise.all([
    generateClip(join(base, 'clip.mp4'), { durationSec: 2 }),
    generateClip(join(base, 'long.mp4'), { durationSec: 20, width: 640, height: 360 }),
  ]);
});

afterAll(async () => {
  // SIGTERM to the supervisor: it forwards it and SIGKILLs after 3 s (a SIGKILL would orphan the runner).
  await Promise.all(runners.map((r) => r.proc.stop('SIGTERM')));
  await Promise.all(fakes.map((f) => f.stop().catch(() => undefined)));
});

describe('runner ↔ PeerTube protocol', () => {
  test('registers, keeps its token, is woken by the socket, downloads through a redirect, posts multipart success', async () => {
    const fake = await startFake();
    const r = track(startRunner(fake.url, { extraArgs: ['--registration-token', 'ptrrt-test'] }));
    await waitFor('registration', async () => (fake.runners.size === 1 ? true : undefined), 15_000);
    const token = [...fake.runners.keys()][0]!;
    await waitFor(
      'token saved',
      async () => (existsSync(r.configFile) && readFileSync(r.configFile, 'utf8').includes(token) ? true : undefined),
      5000,
    );
    // Only the socket can wake it (the poll is 60 s): wait until the first request round happened.
    await waitFor('first request', async () => (fake.requests.length > 0 ? true : undefined), 10_000);
    expect(fake.requests[0]!.jobTypes).toEqual([
      'vod-web-video-transcoding',
      'vod-hls-transcoding',
      'vod-audio-merge-transcoding',
      'video-studio-transcoding',
      'ct-video-transcoding',
      'ct-thumbnails',
      'ct-audio-extraction',
      'ct-video-segment',
      'ct-video-concat',
    ]);
    await new Promise((res) => setTimeout(res, 500));
    const job = webVideoJob(fake);
    const thumbs = fake.addJob('ct-thumbnails', (uuid) => ({
      input: { videoFileUrl: fake.addFile(uuid, 'max-quality', clip) },
      output: { mode: 'intervals', width: 80, height: 60, snapshotSec: 0, intervals: 1, fileName: 'th.jpg' },
    }));
    await waitState(job, 'completed');
    await waitState(thumbs, 'completed');

    expect(job.success!.fields).toMatchObject({ runnerToken: token, jobToken: expect.stringMatching(/^ptrjt-/) });
    const [video] = job.success!.files;
    expect(video).toMatchObject({ field: 'payload[videoFile]' });
    const p = await probe(video!.path);
    expect([p.height, p.videoCodec, p.audioCodec]).toEqual([144, 'h264', 'aac']);
    expect(Math.abs(p.durationSec - 2)).toBeLessThanOrEqual(0.1);
    expect(job.errors).toEqual([]);

    const names = thumbs.success!.files.map((f) => [f.field, f.filename]);
    expect(names.length).toBeGreaterThanOrEqual(2);
    expect(names[0]).toEqual(['payload[imageFiles]', 'th000001.jpg']);
    expect(thumbs.success!.files.every((f) => f.size > 0)).toBe(true);

    // Work dir cleaned after each job.
    await waitFor('work dir empty', async () => (readdirSync(r.workDir).length === 0 ? true : undefined), 5000);

    // Restart with the same config: the saved token is reused, no second registration.
    expect(await terminate(r)).toBe(0);
    const again = track(startRunner(fake.url, { config: r.configFile, name: 'runner-restarted' }));
    const job2 = webVideoJob(fake);
    await waitState(job2, 'completed');
    expect(fake.runners.size).toBe(1);
    expect(job2.success!.fields['runnerToken']).toBe(token);
    expect(await terminate(again)).toBe(0);
  });

  test('a lost accept race (409 runner_job_not_in_pending_state) is skipped quietly and the next job is taken', async () => {
    const fake = await startFake();
    const stolen = webVideoJob(fake, clip, false);
    fake.stealOnAccept.add(stolen.uuid);
    const other = webVideoJob(fake, clip, false);
    const r = track(startRunner(fake.url, { extraArgs: ['--registration-token', 'ptrrt-test', '--concurrency', '1'] }));
    await waitState(other, 'completed');
    const token = [...fake.runners.keys()][0]!;
    expect(stolen.accepts).toEqual([token]);
    expect(stolen.errors).toEqual([]);
    expect(stolen.success).toBeUndefined();
    expect(r.logs().some((l) => l['level'] === 'error')).toBe(false);
    await r.proc.stop('SIGTERM');
  });

  test('concurrency 2: two jobs at once, never more, all completed', async () => {
    const fake = await startFake();
    const jobs = [1, 2, 3, 4].map(() => webVideoJob(fake, clip, false));
    const r = track(startRunner(fake.url, { extraArgs: ['--registration-token', 'ptrrt-test', '--concurrency', '2'] }));
    for (const j of jobs) await waitState(j, 'completed', 60_000);
    const token = [...fake.runners.keys()][0]!;
    expect(fake.maxConcurrent.get(token)).toBe(2);
    expect(jobs.map((j) => j.accepts.length)).toEqual([1, 1, 1, 1]);
    expect(await terminate(r)).toBe(0);
  });

  test('register and unregister commands', async () => {
    const fake = await startFake();
    const reg = track(startRunner(fake.url, { extraArgs: ['register', '--registration-token', 'ptrrt-test'] }));
    expect(await reg.proc.exited).toBe(0);
    const token = [...fake.runners.keys()][0]!;
    expect(readFileSync(reg.configFile, 'utf8')).toContain(`runnerToken: ${token}`);
    const unreg = track(startRunner(fake.url, { config: reg.configFile, extraArgs: ['unregister'] }));
    expect(await unreg.proc.exited).toBe(0);
    expect(fake.runners.size).toBe(0);
    expect(readFileSync(reg.configFile, 'utf8')).not.toContain('runnerToken');
    // A wrong registration token: a clear refusal, exit 1.
    const bad = track(startRunner(fake.url, { extraArgs: ['register', '--registration-token', 'ptrrt-wrong'] }));
    expect(await bad.proc.exited).toBe(1);
  });

  test('unknown_runner_token: re-registers when a registration token is configured', async () => {
    const fake = await startFake();
    const r = track(startRunner(fake.url, { extraArgs: ['--registration-token', 'ptrrt-test', '--poll-interval', '0.5'] }));
    await waitFor('registration', async () => (fake.runners.size === 1 ? true : undefined), 15_000);
    const first = [...fake.runners.keys()][0]!;
    fake.runners.clear(); // the admin removed the runner
    await waitFor('re-registration', async () => (fake.runners.size === 1 ? true : undefined), 15_000);
    const second = [...fake.runners.keys()][0]!;
    expect(second).not.toBe(first);
    await waitFor('new token saved', async () => (readFileSync(r.configFile, 'utf8').includes(second) ? true : undefined), 5000);
    const job = webVideoJob(fake);
    await waitState(job, 'completed');
    expect(job.success!.fields['runnerToken']).toBe(second);
    await r.proc.stop('SIGTERM');
  });

  test('unknown_runner_token without a registration token: exits 1 with a clear message', async () => {
    const fake = await startFake();
    fake.runners.set('ptrt-known', { id: 99, name: 'x' });
    const dir = join(base, 'revoked');
    mkdirSync(dir, { recursive: true });
    const config = join(dir, 'config.json');
    writeFileSync(config, JSON.stringify({ runnerToken: 'ptrt-revoked', concurrency: 1 }));
    const r = track(startRunner(fake.url, { config }));
    expect(await r.proc.exited).toBe(1);
    const fatal = r.logs().find((l) => l['level'] === 'fatal');
    expect(String(fatal?.['msg'])).toMatch(/does not know this runner's token any more.*--registration-token/);
    // The dead token is removed from the config file, other settings kept.
    expect(JSON.parse(readFileSync(config, 'utf8'))).toEqual({ concurrency: 1 });
  });

  test('server down: exponential back-off without a hot loop, then recovers when it is back', async () => {
    const port = await freePort();
    const dir = join(base, 'down');
    mkdirSync(dir, { recursive: true });
    const config = join(dir, 'config.yaml');
    writeFileSync(config, '# runner settings\nrunnerToken: ptrt-down\n');
    const r = track(startRunner(`http://127.0.0.1:${port}`, { config, extraArgs: ['--max-backoff', '4', '--poll-interval', '0.2'] }));
    const backoffLines = () => r.logs().filter((l) => typeof l['retryInMs'] === 'number');
    await waitFor('four failed attempts', async () => (backoffLines().length >= 4 ? true : undefined), 30_000, 200);
    const lines = backoffLines();
    // 1 s, 2 s, 4 s, then capped at 4 s, although the poll timer fires every 0.2 s: no hot loop.
    expect(lines.slice(0, 4).map((l) => l['retryInMs'])).toEqual([1000, 2000, 4000, 4000]);
    const times = lines.map((l) => Date.parse(String(l['time'])));
    for (let i = 1; i < 4; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(0.9 * Number(lines[i - 1]!['retryInMs']));
    expect(r.logs().some((l) => /server unreachable/.test(String(l['err'])))).toBe(true);

    const fake = await startFake(port);
    fake.runners.set('ptrt-down', { id: 1, name: 'down' });
    const job = webVideoJob(fake);
    await waitState(job, 'completed', 20_000);
    // Comments in the YAML config survive (the token was only read).
    expect(readFileSync(config, 'utf8')).toContain('# runner settings');
    await r.proc.stop('SIGTERM');
  });

  test('a job cancelled on the server while processing: ffmpeg stopped, no error posted, the runner goes on', async () => {
    const fake = await startFake();
    const job = fake.addJob('ct-video-transcoding', (uuid) => ({
      input: { videoFileUrl: fake.addFile(uuid, 'max-quality', longClip), hasAudio: true },
      output: {
        encoding: {
          width: 640,
          height: 360,
          fps: 25,
          videoCodec: 'libx264',
          audioCodec: 'aac',
          videoBitrate: '800k',
          audioBitrate: '96k',
          container: 'mp4',
        },
        fileName: 'long.mp4',
      },
    }));
    const r = track(startRunner(fake.url, { extraArgs: ['--registration-token', 'ptrrt-test', '--concurrency', '1'] }));
    await waitFor('progress reported', async () => (job.progress.some((p) => p > 0) ? true : undefined), 30_000, 100);
    expect(ffmpegUnder(r.workDir).length).toBeGreaterThan(0);
    job.state = 'cancelled'; // the next update gets 400 runner_job_not_in_processing_state
    await waitFor('ffmpeg stopped', async () => (ffmpegUnder(r.workDir).length === 0 ? true : undefined), 15_000, 200);
    const next = webVideoJob(fake);
    await waitState(next, 'completed');
    expect(job.errors).toEqual([]);
    expect(job.success).toBeUndefined();
    expect(r.logs().some((l) => l['msg'] === 'job no longer assigned to this runner: dropped' && l['jobUuid'] === job.uuid)).toBe(true);
    expect(await terminate(r)).toBe(0);
  });

  test('SIGTERM aborts the running job ("Runner stopped"), kills ffmpeg, cleans the work dir, exits 0', async () => {
    const fake = await startFake();
    const job = fake.addJob('ct-video-transcoding', (uuid) => ({
      input: { videoFileUrl: fake.addFile(uuid, 'max-quality', longClip), hasAudio: true },
      output: {
        encoding: {
          width: 640,
          height: 360,
          fps: 25,
          videoCodec: 'libx264',
          audioCodec: 'aac',
          videoBitrate: '800k',
          audioBitrate: '96k',
          container: 'mp4',
        },
        fileName: 'long.mp4',
      },
    }));
    const r = track(startRunner(fake.url, { extraArgs: ['--registration-token', 'ptrrt-test'] }));
    await waitFor('progress reported', async () => (job.progress.some((p) => p > 0) ? true : undefined), 30_000, 100);
    expect(ffmpegUnder(r.workDir).length).toBeGreaterThan(0);
    const last = job.progress[job.progress.length - 1]!;
    expect(last).toBeGreaterThan(0);
    expect(last).toBeLessThan(100);

    expect(await terminate(r)).toBe(0);
    expect(job.aborts).toEqual(['Runner stopped']);
    expect(job.state).toBe('pending');
    expect(job.errors).toEqual([]);
    expect(ffmpegUnder(r.workDir)).toEqual([]);
    expect(existsSync(r.workDir)).toBe(false);
  });
});
