// Request and response shapes of the api-server's own endpoints (video API, admin), as TypeBox
// schemas, and the edge validator every handler uses. The runner protocol's bodies live with the
// protocol in lib/peertube/wire.ts. ajv validates requests with these and the OpenAPI document is
// generated from them (one source, no drift).
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { validator } from '../lib/validate.js';
import { invalidParams } from './problem.js';

export const TranscodeBody = Type.Object({
  path: Type.String({ minLength: 1, maxLength: 1024, description: 'Object key inside the client input bucket.' }),
  name: Type.String({ minLength: 1, maxLength: 255 }),
});

export const RegistrationTokenCreated = Type.Object({ id: Type.String(), registrationToken: Type.String() });
export const VideoCreated = Type.Object({ video: Type.Object({ id: Type.String(), shortUUID: Type.String(), uuid: Type.String() }) });

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
