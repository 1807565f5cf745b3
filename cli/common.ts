// What the CT client tools share: the options that find a client's queues, usage errors, and the
// exit codes (0 done, 1 failure, 2 usage or invalid input, as CT users' scripts expect).
import { ValidationError } from '../lib/validate.js';
import { CtClient, resolveQueues, type CtClientOptions } from '../sdk/index.js';

export class UsageError extends Error {}

/** parseArgs options naming a TranscodeClient to read queue URLs from, plus --help. */
export const CLIENT_LOOKUP_OPTIONS = {
  client: { type: 'string' },
  namespace: { type: 'string' },
  kubeconfig: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The help lines of CLIENT_LOOKUP_OPTIONS and of the AWS settings, the end of every tool's help. */
export const CLIENT_LOOKUP_HELP = `  --client NAME        read the queue URL from this TranscodeClient's status (kubeconfig)
  --namespace NS       namespace of --client (default: the kubeconfig's)
  --kubeconfig PATH    kubeconfig for --client (default: $KUBECONFIG or ~/.kube/config)
  -h, --help           this help

AWS region, endpoint and credentials come from the standard AWS environment
(AWS_REGION, AWS_ENDPOINT_URL or CT_AWS_ENDPOINT, AWS_PROFILE, ...).
`;

interface QueueArgs {
  /** --input-queue or --output-queue, whichever the tool takes. */
  queueUrl: string | undefined;
  client?: string | undefined;
  namespace?: string | undefined;
  kubeconfig?: string | undefined;
}

/**
 * A CtClient on the queue the tool needs (`input` to send, `output` to read): from the flag, else
 * the environment, else the named TranscodeClient; a usage error when none gives it.
 */
export async function clientFor(
  side: 'input' | 'output',
  args: QueueArgs,
  options: Pick<CtClientOptions, 'validate'> = {},
): Promise<CtClient> {
  const flag = side === 'input' ? 'inputQueueUrl' : 'outputQueueUrl';
  const queues = await resolveQueues({
    [flag]: args.queueUrl,
    client: args.client,
    namespace: args.namespace,
    kubeconfig: args.kubeconfig,
  });
  if (!queues[flag]) {
    const env = side === 'input' ? 'CT_INPUT_QUEUE_URL' : 'CT_OUTPUT_QUEUE_URL';
    throw new UsageError(`no ${side} queue: pass --${side}-queue URL, set ${env}, or name a TranscodeClient with --client`);
  }
  return new CtClient({ inputQueueUrl: queues.inputQueueUrl ?? '', outputQueueUrl: queues.outputQueueUrl ?? '', ...options });
}

/** Runs a tool's main and exits with its code; errors get one line on stderr and the right code. */
export function runTool(name: string, main: (argv: string[]) => Promise<number>): void {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
        process.stderr.write(`${name}: ${(err as Error).message}\nTry ${name} --help\n`);
        process.exit(2);
      }
      if (err instanceof ValidationError) {
        process.stderr.write(`${name}: not sent, ${err.message}\n`);
        process.exit(2);
      }
      process.stderr.write(`${name}: ${(err as Error).message ?? String(err)}\n`);
      process.exit(1);
    },
  );
}
