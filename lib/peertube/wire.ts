// Request and response bodies of the runner API (docs/peertube-runner-protocol.md §3, §6–8), as
// TypeBox schemas: the api-server validates requests with them and generates its OpenAPI document
// from them; the runner types the bodies it sends with them and validates the answers it relies on.
import { Type, type Static, type TSchema } from '@sinclair/typebox';

/** Token limits (PeerTube: runner and job tokens are 1–1000 characters). */
const Token = Type.String({ minLength: 1, maxLength: 1000 });
const Version = Type.String({ minLength: 1, maxLength: 100 });

/** Longest `reason` (abort) or `message` (error) a server accepts. */
export const MAX_MESSAGE_LENGTH = 5000;

// Names are shown in lists and logs: control and format characters (NUL, bidi overrides such as
// U+202E, zero-width marks) would let a runner disguise itself or break a terminal, so they are refused.
export const RunnerName = Type.String({
  minLength: 1,
  maxLength: 100,
  pattern: '^[^\\p{Cc}\\p{Cf}\\p{Zl}\\p{Zp}]+$',
  description: 'printable characters only: no control, format or line/paragraph separator characters',
});

// --- requests (runner → server) ---

export const RegisterBody = Type.Object({
  registrationToken: Token,
  name: RunnerName,
  description: Type.Optional(Type.String({ minLength: 1, maxLength: 1000 })),
  version: Type.Optional(Version),
});
export type RegisterBody = Static<typeof RegisterBody>;
export const RunnerTokenBody = Type.Object({ runnerToken: Token });
export type RunnerTokenBody = Static<typeof RunnerTokenBody>;
export const RequestBody = Type.Object({
  runnerToken: Token,
  jobTypes: Type.Optional(Type.Array(Type.String({ maxLength: 100 }), { maxItems: 100 })),
  version: Type.Optional(Version),
});
export type RequestBody = Static<typeof RequestBody>;
export const JobTokensBody = Type.Object({ runnerToken: Token, jobToken: Token });
export type JobTokensBody = Static<typeof JobTokensBody>;
export const AbortBody = Type.Object({
  runnerToken: Token,
  jobToken: Token,
  reason: Type.String({ minLength: 1, maxLength: MAX_MESSAGE_LENGTH }),
});
export type AbortBody = Static<typeof AbortBody>;
export const ErrorBody = Type.Object({
  runnerToken: Token,
  jobToken: Token,
  message: Type.String({ minLength: 1, maxLength: MAX_MESSAGE_LENGTH }),
});
export type ErrorBody = Static<typeof ErrorBody>;
/** Multipart text fields of update: every value is a string there. */
export const UpdateFields = Type.Object({
  runnerToken: Token,
  jobToken: Token,
  progress: Type.Optional(Type.String({ pattern: '^(100|[1-9]?[0-9])$', description: 'Integer 0–100 (multipart: a string).' })),
});

// --- responses (server → runner) ---

const Nullable = <T extends TSchema>(s: T) => Type.Union([s, Type.Null()]);

export const StateLabel = Type.Object({ id: Type.Integer(), label: Type.String() });
export const RegisterResult = Type.Object({ id: Type.Integer(), runnerToken: Type.String({ minLength: 1 }) });
export type RegisterResult = Static<typeof RegisterResult>;
export const AvailableJob = Type.Object({ uuid: Type.String({ minLength: 1 }), type: Type.String(), payload: Type.Unknown() });
export type AvailableJob = Static<typeof AvailableJob>;
export const RequestResult = Type.Object({ availableJobs: Type.Array(AvailableJob) });
export const RunnerJob = Type.Object({
  ...AvailableJob.properties,
  state: StateLabel,
  failures: Type.Integer(),
  error: Nullable(Type.String()),
  progress: Nullable(Type.Integer()),
  priority: Type.Integer(),
  startedAt: Nullable(Type.String()),
  createdAt: Type.String(),
  updatedAt: Type.String(),
  finishedAt: Nullable(Type.String()),
  parent: Type.Optional(Type.Object({ type: Type.String(), state: StateLabel, uuid: Type.String() })),
  runner: Type.Optional(Type.Object({ id: Type.Integer(), name: Type.String(), description: Nullable(Type.String()) })),
});
export type RunnerJob = Static<typeof RunnerJob>;
/** What accept answers (the server's full view, as PeerTube's AcceptRunnerJobResult). */
export const AcceptResult = Type.Object({ job: Type.Intersect([RunnerJob, Type.Object({ jobToken: Type.String({ minLength: 1 }) })]) });
/**
 * The part of accept's answer a runner relies on. A runner checks only this, so it works with any
 * server (PeerTube's RunnerJob carries more, e.g. `parent.id`); ours sends all of AcceptResult.
 */
export const AcceptedJob = Type.Object({ ...AvailableJob.properties, jobToken: Type.String({ minLength: 1 }) });
export type AcceptedJob = Static<typeof AcceptedJob>;
export const AcceptResultMinimal = Type.Object({ job: AcceptedJob });

/** Multipart name of a non-file success payload field (`payload[key]`). */
export const payloadField = (key: string): string => `payload[${key}]`;
