// Parses one SQS body into a validated client command, or says precisely why it is not one.
// Order of checks = order of the reasons a person fixes them in: size, JSON, envelope, type, schema.
import { validator } from '../validate.js';
import {
  COMMAND_SCHEMAS,
  EnvelopeBase,
  MAX_BODY_BYTES,
  isCommandType,
  type Command,
  type CommandType,
  type RejectReason,
} from './messages.js';

export type ParseResult =
  | { ok: true; command: Command }
  | { ok: false; reason: RejectReason; details: string; errors?: string[]; jobId?: string; command?: string };

const checkEnvelope = validator(EnvelopeBase, 'message');
const checkCommand = Object.fromEntries(
  Object.entries(COMMAND_SCHEMAS).map(([type, schema]) => [type, validator(schema, `${type} message`)]),
) as { [K in CommandType]: ReturnType<typeof validator<(typeof COMMAND_SCHEMAS)[K]>> };

export function parseCommand(body: string, maxBytes = MAX_BODY_BYTES): ParseResult {
  const bytes = Buffer.byteLength(body, 'utf8');
  if (bytes > maxBytes) {
    return { ok: false, reason: 'MESSAGE_TOO_LARGE', details: `message body is ${bytes} bytes; the limit is ${maxBytes} bytes` };
  }
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (err) {
    return { ok: false, reason: 'INVALID_JSON', details: `message body is not valid JSON: ${(err as Error).message}` };
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, reason: 'INVALID_JSON', details: 'message body must be a JSON object {time, type, job_id, data}' };
  }
  const msg = { ...(value as Record<string, unknown>) };
  // G2 clients send jobId; answer them in the G1 envelope like everyone else.
  if (msg['job_id'] === undefined && msg['jobId'] !== undefined) msg['job_id'] = msg['jobId'];
  const readableJobId = typeof msg['job_id'] === 'string' && msg['job_id'].length <= 128 ? msg['job_id'] : undefined;
  const type = typeof msg['type'] === 'string' ? msg['type'] : undefined;
  const rejected = (reason: RejectReason, details: string, errors?: string[]): ParseResult => ({
    ok: false,
    reason,
    details,
    ...(errors ? { errors } : {}),
    ...(readableJobId !== undefined ? { jobId: readableJobId } : {}),
    ...(type !== undefined ? { command: type } : {}),
  });

  if (msg['jobId'] !== undefined && msg['jobId'] !== msg['job_id']) {
    return rejected('FORMAT_INVALID', '/jobId: differs from /job_id (send one of them)', ['/jobId: differs from /job_id']);
  }
  const envelopeErrors = checkEnvelope.errors(msg);
  if (envelopeErrors.length) return rejected('FORMAT_INVALID', envelopeErrors.join('; '), envelopeErrors);
  if (!isCommandType(type)) {
    return rejected('UNKNOWN_COMMAND', `unknown command type ${JSON.stringify(type)}; known: ${Object.keys(COMMAND_SCHEMAS).join(', ')}`);
  }
  delete msg['jobId'];
  const errors = checkCommand[type].errors(msg);
  if (errors.length) return rejected('FORMAT_INVALID', errors.join('; '), errors);
  return { ok: true, command: msg as Command };
}
