import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, saveRunnerToken, type RunnerConfig } from '../../../runner/config.js';
import { ALL_JOB_TYPES } from '../../../lib/peertube/job-types.js';

const dir = mkdtempSync(join(tmpdir(), 'ct-runner-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function config(argv: string[], env: NodeJS.ProcessEnv = {}): RunnerConfig {
  const r = loadConfig(argv, { XDG_CONFIG_HOME: join(dir, 'xdg'), ...env });
  if (r.help) throw new Error('unexpected help');
  return r.config;
}

describe('runner configuration', () => {
  test('defaults', () => {
    const c = config(['--url', 'http://server:9000/', '--name', 'r1']);
    expect(c).toMatchObject({
      url: 'http://server:9000',
      name: 'r1',
      concurrency: 2,
      ffmpegThreads: 0,
      ffmpegNice: 0,
      jobTypes: [...ALL_JOB_TYPES],
      pollIntervalMs: 15_000,
      updateIntervalMs: 5000,
      maxBackoffMs: 30_000,
      successRetryMs: 600_000,
      configFile: join(dir, 'xdg', 'ct-runner', 'config.yaml'),
    });
    expect(c.registrationToken).toBeUndefined();
    expect(c.workDir).toContain('ct-runner');
  });

  test('flags > environment > file', () => {
    const file = join(dir, 'layered.yaml');
    writeFileSync(
      file,
      [
        'url: http://from-file',
        'name: file-name',
        'description: from file',
        'concurrency: 3',
        'ffmpegNice: 5',
        'jobTypes: [ct-thumbnails]',
        'runnerToken: ptrt-file',
      ].join('\n'),
    );
    const c = config(['--config', file, '--concurrency', '4', '--job-type', 'vod-hls-transcoding', '--job-type', 'ct-audio-extraction'], {
      CT_RUNNER_URL: 'http://from-env',
      CT_RUNNER_CONCURRENCY: '7',
      CT_RUNNER_FFMPEG_THREADS: '2',
      CT_RUNNER_REGISTRATION_TOKEN: 'ptrrt-env',
      CT_RUNNER_UPDATE_INTERVAL: '0.5',
      CT_RUNNER_SUCCESS_RETRY: '45',
    });
    expect(c).toMatchObject({
      url: 'http://from-env',
      name: 'file-name',
      description: 'from file',
      concurrency: 4,
      ffmpegThreads: 2,
      ffmpegNice: 5,
      jobTypes: ['vod-hls-transcoding', 'ct-audio-extraction'],
      registrationToken: 'ptrrt-env',
      runnerToken: 'ptrt-file',
      updateIntervalMs: 500,
      successRetryMs: 45_000,
      configFile: file,
    });
    expect(config(['--config', file], { CT_RUNNER_JOB_TYPES: 'ct-thumbnails, ct-audio-extraction' }).jobTypes).toEqual([
      'ct-thumbnails',
      'ct-audio-extraction',
    ]);
  });

  test('JSON config file', () => {
    const file = join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ url: 'https://json', pollInterval: 2 }));
    expect(config(['--config', file])).toMatchObject({ url: 'https://json', pollIntervalMs: 2000 });
  });

  test('bad values get clear errors', () => {
    expect(() => config([])).toThrow(/server URL is required/);
    expect(() => config(['--url', 'ftp://x'])).toThrow(/\/url: must match pattern/);
    expect(() => config(['--url', 'http://x', '--concurrency', 'two'])).toThrow(/--concurrency must be an integer, got "two"/);
    expect(() => config(['--url', 'http://x', '--concurrency', '0'])).toThrow(/\/concurrency: must be >= 1/);
    expect(() => config(['--url', 'http://x', '--job-type', 'live-rtmp-hls-transcoding'])).toThrow(
      /\/jobTypes\/0: must be one of "vod-web-video-transcoding"/,
    );
    expect(() => config(['--url', 'http://x', '--bogus'])).toThrow(ConfigError);
    expect(() => config(['--url', 'http://x', 'dance'])).toThrow(/unknown command "dance"/);
    expect(() => config(['--url', 'http://x', '--work-dir', '/'])).toThrow(/work directory \/ is not allowed/);
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'url: http://x\nconcurency: 3\n');
    expect(() => config(['--config', bad])).toThrow(/config file .*bad.yaml is invalid: \(root\)\/concurency: is not allowed here/);
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{ not json');
    expect(() => config(['--config', broken])).toThrow(/cannot read config file/);
  });

  test('help and commands', () => {
    expect(loadConfig(['--help'], {})).toEqual({ help: true });
    const r = loadConfig(['unregister', '--url', 'http://x'], { XDG_CONFIG_HOME: dir });
    expect(!r.help && r.command).toBe('unregister');
  });

  test('the runner token is saved into the config file, keeping other keys and comments', () => {
    const yaml = join(dir, 'keep.yaml');
    writeFileSync(yaml, '# my runner\nurl: http://x # the server\nconcurrency: 3\n');
    saveRunnerToken(yaml, 'ptrt-1');
    expect(readFileSync(yaml, 'utf8')).toBe('# my runner\nurl: http://x # the server\nconcurrency: 3\nrunnerToken: ptrt-1\n');
    expect(config(['--config', yaml]).runnerToken).toBe('ptrt-1');
    saveRunnerToken(yaml, undefined);
    expect(readFileSync(yaml, 'utf8')).toBe('# my runner\nurl: http://x # the server\nconcurrency: 3\n');

    const json = join(dir, 'sub', 'keep.json');
    saveRunnerToken(json, 'ptrt-2');
    expect(JSON.parse(readFileSync(json, 'utf8'))).toEqual({ runnerToken: 'ptrt-2' });
  });
});
