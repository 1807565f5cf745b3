// TranscodeClient: one client of the stack (queues, buckets, principal, limits).
import { Type, type Static } from '@sinclair/typebox';
import { Conditions, CustomResource, StringEnum, BucketName, cel } from './common.js';

/** VIDEO encoding policies (docs/official-runners.md). */
export const ENCODING_POLICIES = ['exact', 'peertube', 'auto'] as const;
export type EncodingPolicy = (typeof ENCODING_POLICIES)[number];

/** Upper bound of a job TTL (global CT_JOB_TTL_SECONDS and per-client spec.jobRetention): 10 years. */
export const MAX_JOB_TTL_SECONDS = 315_360_000;

const QueueUrl = Type.String({ pattern: '^https?://', maxLength: 2048 });

/** An AWS principal: account id, IAM ARN (root/user/role), or "*" (any, only for local stacks). */
export const PRINCIPAL_PATTERN = '^(\\*|[0-9]{12}|arn:aws[a-z-]*:(iam|sts)::[0-9]{12}:(root|(user|role|assumed-role)/[\\w+=,.@/-]+))$';

export const BucketSpec = Type.Object(
  {
    name: Type.Optional(BucketName({ description: 'Bucket name; derived from the client when managed and omitted.' })),
    managed: Type.Optional(
      Type.Boolean({ default: true, description: 'Create the bucket and its policy (true) or adopt an existing bucket (false).' }),
    ),
    prefix: Type.Optional(Type.String({ maxLength: 256, pattern: '^[\\w./-]*$', description: 'Key prefix inside a shared bucket.' })),
  },
  cel({
    rule: 'self.managed || has(self.name)',
    message: 'an existing (managed: false) bucket needs a name',
    fieldPath: '.name',
    reason: 'FieldValueRequired',
  }),
);

/** A bucket a client is explicitly entitled to besides its own (docs/security-model.md); never created or changed by the stack. */
export const ExtraBucket = Type.Object(
  {
    name: BucketName({ description: 'Bucket name.' }),
    prefix: Type.Optional(
      Type.String({
        maxLength: 256,
        pattern: '^([\\w-][\\w.-]*/)*$',
        description: 'Only keys under this prefix (ends with "/"); default: the whole bucket.',
      }),
    ),
  },
  { additionalProperties: false },
);

export const TranscodeClientSpec = Type.Object({
  principal: Type.String({
    pattern: PRINCIPAL_PATTERN,
    description: "The client's AWS principal: who may send to the input queue and read the output queue.",
  }),
  queues: Type.Optional(
    Type.Object(
      {
        managed: Type.Optional(Type.Boolean({ default: true, description: 'Create the queues (true) or adopt existing ones (false).' })),
        prefix: Type.Optional(Type.String({ maxLength: 40, pattern: '^[A-Za-z0-9_-]*$', description: 'Name prefix of managed queues.' })),
        inputUrl: Type.Optional(QueueUrl),
        outputUrl: Type.Optional(QueueUrl),
        maxReceiveCount: Type.Optional(
          Type.Integer({ minimum: 1, maximum: 1000, default: 5, description: 'Receives before a message goes to the dead-letter queue.' }),
        ),
      },
      cel({
        rule: 'self.managed || (has(self.inputUrl) && has(self.outputUrl))',
        message: 'existing (managed: false) queues need inputUrl and outputUrl',
        fieldPath: '.inputUrl',
        reason: 'FieldValueRequired',
      }),
    ),
  ),
  buckets: Type.Optional(
    Type.Object({
      input: Type.Optional(BucketSpec),
      output: Type.Optional(BucketSpec),
      extraInputs: Type.Optional(
        Type.Array(ExtraBucket, {
          maxItems: 20,
          description: 'Further buckets (or prefixes) jobs of this client may read sources and watermark images from.',
        }),
      ),
      extraOutputs: Type.Optional(
        Type.Array(ExtraBucket, { maxItems: 20, description: 'Further buckets (or prefixes) jobs of this client may write results to.' }),
      ),
    }),
  ),
  limits: Type.Optional(
    Type.Object({
      maxConcurrentJobs: Type.Optional(Type.Integer({ minimum: 1, maximum: 10000, default: 10 })),
      priority: Type.Optional(
        Type.Integer({ minimum: 0, maximum: 100000, default: 100, description: "Base priority of the client's tasks (lower runs first)." }),
      ),
    }),
  ),
  encodingPolicy: Type.Optional(
    StringEnum([...ENCODING_POLICIES], {
      description:
        'How VIDEO outputs are encoded (docs/official-runners.md): exact = ct-video-transcoding (the preset exactly, needs our runner); peertube = vod-web-video-transcoding at the preset size/fps (any PeerTube runner, bitrates not guaranteed); auto = exact when a runner serving ct-video-transcoding is live, else peertube. Default: the operator setting CT_ENCODING_POLICY.',
    }),
  ),
  noRunnerTimeoutSeconds: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: 604800,
      description:
        'How long a task may wait while no live runner serves its job type before it fails with NO_RUNNER_FOR_TASK_TYPE. Default: the operator setting CT_NO_RUNNER_TIMEOUT_SECONDS (900).',
    }),
  ),
  jobRetention: Type.Optional(
    Type.Object(
      {
        ttlSecondsAfterFinished: Type.Optional(
          Type.Integer({
            minimum: 0,
            maximum: MAX_JOB_TTL_SECONDS,
            description:
              "Seconds a finished TranscodeJob is kept after it ended (its end message sent, its SWF execution closed) before it is deleted; its JSON record stays in the client's output bucket and keeps answering GET_JOB_STATUS (docs/retention.md). Default: the operator setting CT_JOB_TTL_SECONDS (604800 = 7 days).",
          }),
        ),
      },
      { additionalProperties: false },
    ),
  ),
  segments: Type.Optional(
    Type.Object(
      {
        enabled: Type.Optional(Type.Boolean({ description: 'false: VIDEO outputs are always encoded whole (one task). Default true.' })),
        thresholdSeconds: Type.Optional(
          Type.Integer({
            minimum: 0,
            maximum: 604800,
            description: 'Sources longer than this are split. Default: the operator setting CT_SEGMENT_THRESHOLD_SECONDS (120).',
          }),
        ),
      },
      {
        description:
          'Segment-parallel VIDEO encoding (docs/segment-encoding.md): a long source is encoded as time ranges on several of our runners at once, then joined.',
      },
    ),
  ),
  apiKeySecretRef: Type.Optional(
    Type.Object(
      {
        name: Type.String({ minLength: 1, maxLength: 253 }),
        key: Type.Optional(Type.String({ minLength: 1, maxLength: 253, default: 'apiKey' })),
      },
      { description: 'Secret holding the API key of the video API for this client.' },
    ),
  ),
  deletionPolicy: Type.Optional(
    Type.Object({
      queues: Type.Optional(StringEnum(['Delete', 'Retain'], { default: 'Delete' })),
      buckets: Type.Optional(StringEnum(['RetainIfNotEmpty', 'Retain', 'Delete'], { default: 'RetainIfNotEmpty' })),
    }),
  ),
});

export const TranscodeClientStatus = Type.Object({
  observedGeneration: Type.Optional(Type.Integer()),
  conditions: Conditions(),
  queues: Type.Optional(
    Type.Object({
      inputUrl: Type.Optional(Type.String()),
      inputArn: Type.Optional(Type.String()),
      outputUrl: Type.Optional(Type.String()),
      outputArn: Type.Optional(Type.String()),
      deadLetterUrl: Type.Optional(Type.String()),
      deadLetterArn: Type.Optional(Type.String()),
    }),
  ),
  buckets: Type.Optional(Type.Object({ input: Type.Optional(Type.String()), output: Type.Optional(Type.String()) })),
  jobs: Type.Optional(
    Type.Object({
      active: Type.Optional(Type.Integer({ minimum: 0 })),
      succeeded: Type.Optional(Type.Integer({ minimum: 0 })),
      failed: Type.Optional(Type.Integer({ minimum: 0 })),
      canceled: Type.Optional(Type.Integer({ minimum: 0 })),
    }),
  ),
});

export const TranscodeClient = CustomResource(TranscodeClientSpec, TranscodeClientStatus);

export type TranscodeClientSpec = Static<typeof TranscodeClientSpec>;
export type TranscodeClientStatus = Static<typeof TranscodeClientStatus>;
export type TranscodeClient = Static<typeof TranscodeClient>;
