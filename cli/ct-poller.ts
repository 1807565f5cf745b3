#!/usr/bin/env node
// ct-poller: prints the messages of a client's output queue as JSON lines (CT's ClientPoller), or
// as readable progress (outputs by name, live lines on a terminal).
import { parseArgs } from 'node:util';
import { UsageError, CLIENT_LOOKUP_HELP, CLIENT_LOOKUP_OPTIONS, clientFor, runTool } from './common.js';
import { LiveProgress } from './progress.js';

const HELP = `Usage: ct-poller [options]

Reads a Cloud Transcode client's SQS output queue and prints every message as one
JSON line on stdout; each printed message is deleted from the queue.

Options:
  --job ID             only this job's messages (others stay in the queue)
  --until-done         with --job: stop after JOB_COMPLETED (exit 0), JOB_FAILED or JOB_CANCELED (exit 1)
  --count N            stop after N messages
  --timeout S          stop after S seconds (exit 124 when --until-done did not see the end)
  --wait S             long-poll wait per receive (1-20, default 20)
  --format F           json (one message per line) or text (readable progress: "VIDEO sd.mp4 51 %",
                       redrawn in place on a terminal); default: text on a terminal, json otherwise
  --output-queue URL   output queue URL (default: $CT_OUTPUT_QUEUE_URL)
${CLIENT_LOOKUP_HELP}`;

function positiveInt(v: string | undefined, name: string, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new UsageError(`--${name} must be an integer between 1 and ${max}`);
  return n;
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      job: { type: 'string' },
      'until-done': { type: 'boolean' },
      count: { type: 'string' },
      timeout: { type: 'string' },
      wait: { type: 'string' },
      'output-queue': { type: 'string' },
      format: { type: 'string' },
      ...CLIENT_LOOKUP_OPTIONS,
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (positionals.length) throw new UsageError(`unexpected arguments: ${positionals.join(' ')}`);
  if (values['until-done'] && !values.job) throw new UsageError('--until-done needs --job ID');
  const format = values.format ?? (process.stdout.isTTY ? 'text' : 'json');
  if (format !== 'json' && format !== 'text') throw new UsageError('--format must be json or text');
  const progress = format === 'text' ? new LiveProgress(process.stdout, undefined, '') : undefined;
  const count = positiveInt(values.count, 'count');
  const timeout = positiveInt(values.timeout, 'timeout');
  const wait = positiveInt(values.wait, 'wait', 20) ?? 20;
  const ct = await clientFor('output', { ...values, queueUrl: values['output-queue'] });

  const abort = new AbortController();
  let timedOut = false;
  if (timeout) {
    setTimeout(() => {
      timedOut = true;
      abort.abort();
    }, timeout * 1000).unref();
  }
  process.once('SIGINT', () => abort.abort());
  process.once('SIGTERM', () => abort.abort());

  let n = 0;
  let last: string | undefined;
  for await (const msg of ct.messages({
    ...(values.job ? { jobId: values.job } : {}),
    untilDone: values['until-done'] ?? false,
    waitSeconds: wait,
    signal: abort.signal,
    onInvalid: (body) => process.stderr.write(`ct-poller: deleted a non-JSON message: ${body.slice(0, 200)}\n`),
  })) {
    if (progress) progress.feed(msg);
    else process.stdout.write(JSON.stringify(msg) + '\n');
    last = msg.type;
    n += 1;
    if (count !== undefined && n >= count) break;
  }
  if (values['until-done']) {
    if (last === 'JOB_COMPLETED') return 0;
    if (last === 'JOB_FAILED' || last === 'JOB_CANCELED') return 1;
    return timedOut ? 124 : 130;
  }
  return 0;
}

runTool('ct-poller', main);
