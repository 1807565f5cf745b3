// ajv, compiled from the same schema objects the CRDs and the TypeScript types come from.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { createRequire } from 'node:module';
import type { Static, TSchema } from '@sinclair/typebox';

// ajv-formats is CommonJS with a default export that NodeNext types do not see as callable.
const addFormats = createRequire(import.meta.url)('ajv-formats') as (a: Ajv) => Ajv;

// verbose: errors carry their schema node, so a pattern error can say in words what is expected.
export const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false, useDefaults: false, verbose: true });
addFormats(ajv);
// Kubernetes extensions carried by our schemas are annotations, not validation keywords, for ajv.
ajv.addVocabulary([
  'x-kubernetes-validations',
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-int-or-string',
]);

export class ValidationError extends Error {
  constructor(
    readonly what: string,
    readonly errors: string[],
  ) {
    super(`${what} is invalid: ${errors.join('; ')}`);
    this.name = 'ValidationError';
  }
}

/** One line per error, naming the offending field as a JSON path. */
export function formatErrors(errors: ErrorObject[] | null | undefined, root = ''): string[] {
  if (!errors) return [];
  const out: string[] = [];
  for (const e of errors) {
    // if/then wrappers and not/anyOf internals repeat what the concrete error already says.
    if (e.keyword === 'if') continue;
    const path = `${root}${e.instancePath}` || '(root)';
    let msg: string;
    switch (e.keyword) {
      case 'required':
        msg = `${path}/${(e.params as { missingProperty: string }).missingProperty}: is required`;
        break;
      case 'additionalProperties':
        msg = `${path}/${(e.params as { additionalProperty: string }).additionalProperty}: is not allowed here`;
        break;
      case 'enum':
        msg = `${path}: must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
        break;
      case 'pattern': {
        const what = (e.parentSchema as { description?: string } | undefined)?.description;
        msg = `${path}: ${e.message ?? 'must match a pattern'}${what ? ` (${what})` : ''}`;
        break;
      }
      case 'not':
        msg = `${path}: has a field that is not allowed for this output_type`;
        break;
      default:
        msg = `${path}: ${e.message ?? e.keyword}`;
    }
    if (!out.includes(msg)) out.push(msg);
  }
  return out;
}

export interface Validator<T> {
  (value: unknown): value is T;
  /** Throws ValidationError naming every offending field. */
  assert(value: unknown): T;
  errors(value: unknown): string[];
}

const cache = new WeakMap<TSchema, ValidateFunction>();

export function validator<S extends TSchema>(schema: S, what: string): Validator<Static<S>> {
  let fn = cache.get(schema);
  if (!fn) {
    fn = ajv.compile(schema);
    cache.set(schema, fn);
  }
  const compiled = fn;
  const check = ((value: unknown) => compiled(value)) as Validator<Static<S>>;
  check.errors = (value) => (compiled(value) ? [] : formatErrors(compiled.errors));
  check.assert = (value) => {
    if (compiled(value)) return value as Static<S>;
    throw new ValidationError(what, formatErrors(compiled.errors));
  };
  return check;
}
