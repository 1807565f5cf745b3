// What the CT client tools share: the options that find a client's queues, usage errors, and the
// exit codes (0 done, 1 failure, 2 usage or invalid input, as CT users' scripts expect).
import { ValidationError } from '../lib/validate.js';

export class UsageError extends Error {}

/** parseArgs options naming a TranscodeClient to read queue URLs from, plus --help. */
export const CLIENT_LOOKUP_OPTIONS = {
  client: { type: 'string' },
  namespace: { type: 'string' },
  kubeconfig: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

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
