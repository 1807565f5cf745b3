// `npm run bench -- <name> [args]`: runs one benchmark (compiled to dist/bench/<name>.js) with its
// arguments; without a name, lists them. Every benchmark starts its own environment in a temp dir,
// runs its variants side by side and prints medians/ratios; see the README's "Benchmarks" section.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const BENCHMARKS = {
  'api-request': 'POST /jobs/request req/s, p50/p99 (wrk) vs bare express and bare node:http, unloaded and under a CPU hog',
  'api-sockets': 'api-server RSS per 1,000 connected runner sockets',
  'api-upload': 'upload throughput through the api-server vs a direct S3 upload',
  'clients-ready': 'time for N TranscodeClients to become Ready; operator RSS with M clients',
  dispatch: 'START_JOB on SQS → task accepted by a runner p50/p99 over 100 jobs, per-hop medians from status.timing',
  'jobs-lifecycle': 'operator writes per job, planning rate with a queue, operator RSS with many jobs (writes|planning|rss)',
  retention: 'operator + api-server RSS with N live jobs; etcd size and RSS while jobs go through with a short TTL (P4)',
  segments: 'P7: a 10-minute 720p VIDEO encode whole on 1 runner vs segment-parallel on 2 (1 ffmpeg thread each), split+concat overhead',
  'sqs-ingest': 'START_JOB → TranscodeJob latency p50/p99 and burst ingest rate over many clients',
  'status-writes': 'P5: TranscodeJob status writes and conflicts per job, k tasks/runners, replace+resourceVersion vs guarded JSON patch',
  'stack-overhead': 'the same 720p transcode by ffmpeg directly vs through the whole stack (ratio of medians)',
} as const satisfies Record<string, string>;

export type BenchmarkName = keyof typeof BENCHMARKS;

const isName = (v: string | undefined): v is BenchmarkName => v !== undefined && Object.hasOwn(BENCHMARKS, v);

function usage(): string {
  const width = Math.max(...Object.keys(BENCHMARKS).map((n) => n.length));
  const rows = Object.entries(BENCHMARKS).map(([n, what]) => `  ${n.padEnd(width)}  ${what}`);
  return `Usage: npm run bench -- <name> [benchmark options]\n\nBenchmarks (they are heavy: run one at a time on a quiet machine):\n${rows.join('\n')}\n`;
}

function main(argv: string[]): void {
  const [name, ...rest] = argv;
  if (name === undefined || name === '-h' || name === '--help') {
    process.stdout.write(usage());
    return;
  }
  if (!isName(name)) {
    process.stderr.write(`unknown benchmark "${name}"\n\n${usage()}`);
    process.exit(2);
  }
  const file = fileURLToPath(new URL(`./${name}.js`, import.meta.url));
  if (!existsSync(file)) {
    process.stderr.write(`${file} is missing: run npm run build\n`);
    process.exit(2);
  }
  const child = spawn(process.execPath, [file, ...rest], { stdio: 'inherit' });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

const isMain = process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) main(process.argv.slice(2));
