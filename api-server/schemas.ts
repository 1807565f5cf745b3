// Request and response shapes of the api-server, as TypeBox schemas: ajv validates requests at the
// edge with them and the OpenAPI document is generated from them (one source, no drift).
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { validator } from '../lib/validate.js';
import { invalidParams } from './problem.js';

const Token = Type.String({ minLength: 1, maxLength: 1000 });

// Names are shown in lists and logs: control and format characters (NUL, bidi overrides such as
// U+202E, zero-width marks) would let a runner disguise itself or break a terminal, so they are refused.
export const RunnerName = Type.String({
  minLength: 1,
  maxLength: 100,
  pattern: '^[^\\p{Cc}\\p{Cf}\\p{Zl}\\p{Zp}]+$',
  description: 'printable characters only: no control, format or line/paragraph separator characters',
});

export const RegisterBody = Type.Object({
  registrationToken: Token,
  name: RunnerName,
  description: Type.Optional(Type.String({ minLength: 1, maxLength: 1000 })),
  version: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
});
export const RunnerTokenBody = Type.Object({ runnerToken: Token });
export const RequestBody = Type.Object({
  runnerToken: Token,
  jobTypes: Type.Optional(Type.Array(Type.String({ maxLength: 100 }), { maxItems: 100 })),
  version: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
});
export const JobTokensBody = Type.Object({ runnerToken: Token, jobToken: Token });
export const AbortBody = Type.Object({ runnerToken: Token, jobToken: Token, reason: Type.String({ minLength: 1, maxLength: 5000 }) });
export const ErrorBody = Type.Object({ runnerToken: Token, jobToken: Token, message: Type.String({ minLength: 1, maxLength: 5000 }) });
export const UpdateFields = Type.Object({
  runnerToken: Token,
  jobToken: Token,
  progress: Type.Optional(Type.String({ pattern: '^(100|[1-9]?[0-9])$', description: 'Integer 0–100 (multipart: a string).' })),
});
export const TranscodeBody = Type.Object({
  path: Type.String({ minLength: 1, maxLength: 1024, description: 'Object key inside the client input bucket.' }),
  name: Type.String({ minLength: 1, maxLength: 255 }),
});

export const StateLabel = Type.Object({ id: Type.Integer(), label: Type.String() });
export const RegisterResult = Type.Object({ id: Type.Integer(), runnerToken: Type.String() });
export const AvailableJob = Type.Object({ uuid: Type.String(), type: Type.String(), payload: Type.Unknown() });
export const RequestResult = Type.Object({ availableJobs: Type.Array(AvailableJob) });
const Nullable = <T extends TSchema>(s: T) => Type.Union([s, Type.Null()]);
export const RunnerJob = Type.Object({
  uuid: Type.String(),
  type: Type.String(),
  state: StateLabel,
  payload: Type.Unknown(),
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
export const AcceptResult = Type.Object({ job: Type.Intersect([RunnerJob, Type.Object({ jobToken: Type.String() })]) });
export const RegistrationTokenCreated = Type.Object({ id: Type.String(), registrationToken: Type.String() });
export const VideoCreated = Type.Object({ video: Type.Object({ id: Type.String(), shortUUID: Type.String(), uuid: Type.String() }) });
export const Problem = Type.Object({
  type: Type.String(),
  title: Type.String(),
  status: Type.Integer(),
  detail: Type.String(),
  instance: Type.String(),
  code: Type.Optional(Type.String()),
});

export type RegisterBody = Static<typeof RegisterBody>;

/** Validates an untrusted body against `schema`; a mismatch is a 400 naming every bad field. */
export function parseBody<S extends TSchema>(schema: S, what: string, body: unknown): Static<S> {
  const check = validator(schema, what);
  if (check(body)) return body;
  throw invalidParams(check.errors(body));
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export function isUuid(s: string): boolean {
  return UUID_RE.test(s);
}
