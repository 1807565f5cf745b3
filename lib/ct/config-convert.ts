// Converts a Cloud Transcode G1 stack config (config/cloudTranscodeConfig.json, docs/ct-protocol.md) into
// TranscodeClient manifests that adopt the existing queues, so CT users can move over without
// re-plumbing their clients. Pure logic; the CLI is cli/ct-migrate.ts.
import { dnsSlug, shortHash } from '../names.js';
import { Type, type Static } from '@sinclair/typebox';
import { stringify } from 'yaml';
import { API_VERSION, GROUP, KINDS } from '../kube/resources.js';
import { PRINCIPAL_PATTERN, type TranscodeClient } from '../schema/transcode-client.js';
import { validator } from '../validate.js';

const Name = (min: number, max: number, pattern?: string) =>
  Type.String({ minLength: min, maxLength: max, ...(pattern ? { pattern } : {}) });
const Seconds = Type.Integer({ minimum: 1, maximum: 31536000 });

/** CT G1 mainConfig.json (+ workflow.json, activities.json, client.json), as CT's daemons validate it. */
export const CtStackConfig = Type.Object(
  {
    aws: Type.Optional(
      Type.Object(
        { region: Type.Optional(Type.String()), key: Type.Optional(Type.String()), secret: Type.Optional(Type.String()) },
        { additionalProperties: false },
      ),
    ),
    cloudTranscode: Type.Object(
      {
        workflow: Type.Object(
          {
            domain: Name(3, 64, '^[\\w.\\- ]+$'),
            decisionTaskList: Name(3, 64, '^[\\w.\\- ]+$'),
            name: Name(3, 64),
            version: Name(1, 32, '^[\\w.\\- ]+$'),
            description: Name(1, 256),
            defaultExecutionStartToCloseTimeout: Seconds,
            defaultTaskStartToCloseTimeout: Seconds,
            defaultChildPolicy: Type.Union([Type.Literal('TERMINATE'), Type.Literal('REQUEST_CANCEL'), Type.Literal('ABANDON')]),
          },
          { additionalProperties: false },
        ),
        activities: Type.Array(
          Type.Object(
            {
              name: Name(3, 64),
              version: Name(1, 32),
              description: Name(1, 256),
              file: Type.String({ minLength: 16, maxLength: 1024, pattern: '\\.php$' }),
              class: Name(8, 256, '^[\\w-]+$'),
              activityTaskList: Name(3, 64),
              scheduleToStartTimeout: Type.Integer(),
              scheduleToCloseTimeout: Type.Integer(),
              startToCloseTimeout: Type.Integer(),
              heartbeatTimeout: Type.Integer(),
            },
            { additionalProperties: false },
          ),
          { minItems: 2, maxItems: 2, uniqueItems: true },
        ),
      },
      { additionalProperties: false },
    ),
    clients: Type.Array(
      Type.Object(
        {
          name: Name(3, 64),
          queues: Type.Object(
            { input: Type.String({ pattern: '^https://' }), output: Type.String({ pattern: '^https://' }) },
            { additionalProperties: false },
          ),
        },
        { additionalProperties: false },
      ),
      { minItems: 1 },
    ),
  },
  { additionalProperties: false },
);
export type CtStackConfig = Static<typeof CtStackConfig>;

export const checkCtStackConfig = validator(CtStackConfig, 'cloudTranscodeConfig.json');

export interface ConvertOptions {
  namespace: string;
  /** Principal for every client without an entry in `principals`. */
  defaultPrincipal?: string;
  /** CT client name → AWS principal. */
  principals?: Record<string, string>;
  /** Existing buckets to use for every client (CT G1 clients own their buckets); omitted = managed buckets. */
  inputBucket?: string;
  outputBucket?: string;
}

export interface ConvertResult {
  manifests: TranscodeClient[];
  /** Things a person should know (principal guessed, settings without an equivalent). */
  notes: string[];
}

const principalRe = new RegExp(PRINCIPAL_PATTERN);

/** A DNS-1123 object name for a CT client name (3–64 chars of anything), hash-suffixed when altered. */
export function objectNameFor(ctName: string): string {
  const slug = dnsSlug(ctName, { collapse: true });
  if (slug === ctName && slug.length <= 63) return slug;
  const hash = shortHash(ctName, 6);
  return `${slug.slice(0, 56).replace(/-+$/, '') || 'client'}-${hash}`;
}

function queueAccount(url: string): string | undefined {
  try {
    const first = new URL(url).pathname.split('/').filter(Boolean)[0];
    return first && /^\d{12}$/.test(first) ? first : undefined;
  } catch {
    return undefined;
  }
}

/** Throws ValidationError (every bad field) for a config CT itself would reject, or Error for bad options. */
export function convertCtConfig(raw: unknown, opts: ConvertOptions): ConvertResult {
  const config = checkCtStackConfig.assert(raw);
  const notes: string[] = [];
  for (const [what, p] of [
    ['--principal', opts.defaultPrincipal],
    ...Object.entries(opts.principals ?? {}).map(([k, v]) => [`principal of ${k}`, v]),
  ]) {
    if (p !== undefined && !principalRe.test(p)) throw new Error(`${what}: "${p}" is not an AWS account id or IAM ARN`);
  }
  for (const known of Object.keys(opts.principals ?? {})) {
    if (!config.clients.some((c) => c.name === known))
      throw new Error(`a principal was given for "${known}", which is not a client of this config`);
  }
  const seen = new Map<string, string>();
  const manifests = config.clients.map((c): TranscodeClient => {
    const name = objectNameFor(c.name);
    const clash = seen.get(name);
    if (clash !== undefined) throw new Error(`CT clients "${clash}" and "${c.name}" map to the same object name "${name}"`);
    seen.set(name, c.name);
    let principal = opts.principals?.[c.name] ?? opts.defaultPrincipal;
    if (!principal) {
      // G1 configs do not record the client's account; the queue owner's account is the single-account setup.
      principal = queueAccount(c.queues.input);
      if (!principal)
        throw new Error(`no principal for client "${c.name}" and none can be derived from ${c.queues.input}: pass --principal`);
      notes.push(
        `client "${c.name}": principal set to the queue owner's account ${principal} (pass --principal to name the client's own account)`,
      );
    }
    return {
      apiVersion: API_VERSION,
      kind: KINDS.TranscodeClient.kind,
      metadata: {
        name,
        namespace: opts.namespace,
        annotations: { [`${GROUP}/ct-client-name`]: c.name },
      },
      spec: {
        principal,
        queues: { managed: false, inputUrl: c.queues.input, outputUrl: c.queues.output },
        buckets: {
          input: opts.inputBucket ? { managed: false, name: opts.inputBucket } : { managed: true },
          output: opts.outputBucket ? { managed: false, name: opts.outputBucket } : { managed: true },
        },
        deletionPolicy: { queues: 'Retain', buckets: 'Retain' },
      },
    };
  });
  const wf = config.cloudTranscode.workflow;
  notes.push(
    'jobs may only name each client’s own input/output buckets; list any other bucket a G1 client used in spec.buckets.extraInputs / extraOutputs (docs/security-model.md)',
  );
  notes.push(
    `SWF settings (domain "${wf.domain}", workflow "${wf.name}" ${wf.version}, task lists) are operator settings now, not per client; activities are replaced by runner jobs`,
  );
  if (config.aws?.key || config.aws?.secret)
    notes.push('aws.key/aws.secret were not copied: give the operator credentials through the standard AWS credential chain');
  if (config.aws?.region) notes.push(`aws.region "${config.aws.region}": set AWS_REGION for the operator`);
  return { manifests, notes };
}

/** Multi-document YAML with the notes as a leading comment. */
export function toYaml(result: ConvertResult): string {
  const header = [
    '# TranscodeClient manifests converted from a Cloud Transcode G1 cloudTranscodeConfig.json',
    ...result.notes.map((n) => `# NOTE: ${n}`),
  ].join('\n');
  return `${header}\n${result.manifests.map((m) => `---\n${stringify(m)}`).join('')}`;
}
