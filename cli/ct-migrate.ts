#!/usr/bin/env node
// ct-migrate: converts a Cloud Transcode G1 cloudTranscodeConfig.json into TranscodeClient manifests that
// adopt the existing queues. Exit codes: 0 ok, 1 invalid config/options, 2 usage error.
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { convertCtConfig, toYaml } from '../lib/ct/config-convert.js';
import { ValidationError } from '../lib/validate.js';

const USAGE = `Usage: ct-migrate [options] <cloudTranscodeConfig.json | ->

Converts a Cloud Transcode (G1) stack config into TranscodeClient manifests (YAML) that adopt the
clients' existing SQS queues (spec.queues.managed: false, deletionPolicy Retain).

Options:
  -n, --namespace NS            namespace of the TranscodeClients (default: default)
  -p, --principal ARN           AWS principal (account id or IAM ARN) of every client
      --client-principal NAME=ARN
                                principal of one CT client (repeatable; overrides --principal)
      --input-bucket NAME       existing input bucket for every client (default: operator-managed buckets)
      --output-bucket NAME      existing output bucket for every client (default: operator-managed buckets)
  -o, --output FILE             write the YAML to FILE instead of stdout
  -h, --help                    show this help

Without a principal, a client's principal is the account that owns its queues (the single-account
setup); a NOTE in the output says so. Apply the result with: kubectl apply -f <file>
`;

function fail(code: number, message: string): never {
  process.stderr.write(`ct-migrate: ${message}\n`);
  process.exit(code);
}

function main(): void {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        namespace: { type: 'string', short: 'n', default: 'default' },
        principal: { type: 'string', short: 'p' },
        'client-principal': { type: 'string', multiple: true },
        'input-bucket': { type: 'string' },
        'output-bucket': { type: 'string' },
        output: { type: 'string', short: 'o' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    fail(2, `${err instanceof Error ? err.message : String(err)}\n\n${USAGE}`);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  if (positionals.length !== 1) fail(2, `expected exactly one config file, got ${positionals.length}\n\n${USAGE}`);
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(values.namespace))
    fail(1, `--namespace "${values.namespace}" is not a valid namespace name`);

  const principals: Record<string, string> = {};
  for (const entry of values['client-principal'] ?? []) {
    const i = entry.lastIndexOf('=');
    if (i <= 0) fail(2, `--client-principal expects NAME=ARN, got "${entry}"`);
    principals[entry.slice(0, i)] = entry.slice(i + 1);
  }

  const file = positionals[0]!;
  let text: string;
  try {
    text = readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    fail(1, `cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    fail(1, `${file} is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  try {
    const result = convertCtConfig(raw, {
      namespace: values.namespace,
      principals,
      ...(values.principal ? { defaultPrincipal: values.principal } : {}),
      ...(values['input-bucket'] ? { inputBucket: values['input-bucket'] } : {}),
      ...(values['output-bucket'] ? { outputBucket: values['output-bucket'] } : {}),
    });
    const yaml = toYaml(result);
    if (values.output) writeFileSync(values.output, yaml);
    else process.stdout.write(yaml);
    for (const n of result.notes) process.stderr.write(`ct-migrate: note: ${n}\n`);
  } catch (err) {
    if (err instanceof ValidationError) fail(1, `${file} is not a valid CT G1 config:\n  ${err.errors.join('\n  ')}`);
    fail(1, err instanceof Error ? err.message : String(err));
  }
}

main();
