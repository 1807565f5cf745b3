// Shared building blocks of the schemas. Every schema in lib/schema is the single source of truth:
// TypeScript types come from `Static<>`, ajv compiles the same objects, and hack/gen-crds renders
// them into the CRD OpenAPI schemas (dropping the ajv-only keywords the apiserver does not accept).
import { Type, type TSchema, type SchemaOptions } from '@sinclair/typebox';

/** A CEL rule attached to a schema node (rendered as x-kubernetes-validations in the CRDs). */
export interface CelRule {
  rule: string;
  message: string;
  fieldPath?: string;
  reason?: 'FieldValueInvalid' | 'FieldValueRequired' | 'FieldValueForbidden' | 'FieldValueDuplicate';
}

export function cel(...rules: CelRule[]): { 'x-kubernetes-validations': CelRule[] } {
  return { 'x-kubernetes-validations': rules };
}

/** CT bucket name constraint (G1 schema: 3–63 chars of [0-9a-zA-Z.-_]). */
export const BucketName = (opts: SchemaOptions = {}) => Type.String({ minLength: 3, maxLength: 63, pattern: '^[0-9a-zA-Z._-]+$', ...opts });

/** CT object key constraint (G1: letters/digits/_/space/slash/dash, then one dot and an extension). */
export const ObjectKey = (opts: SchemaOptions = {}) =>
  Type.String({ minLength: 1, maxLength: 1024, pattern: '^[\\w /.-]*[\\w /-]\\.[0-9a-zA-Z]+$', ...opts });

/** `WxH` frame size. */
export const Size = (opts: SchemaOptions = {}) => Type.String({ pattern: '^[0-9]{1,5}x[0-9]{1,5}$', ...opts });

/** `NNNk` bitrate, at least 1k (a zero bitrate is no encoding ffmpeg can honour). */
export const Bitrate = (opts: SchemaOptions = {}) =>
  Type.String({ pattern: '^[1-9][0-9]{0,5}k$', description: 'a bitrate in kbit/s from 1k to 999999k, e.g. 800k', ...opts });

/** Client-chosen job id: a superset of CT's 32 lowercase hex chars (protocols/README.md). */
export const JobId = (opts: SchemaOptions = {}) => Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9._-]+$', ...opts });

/** Kubernetes condition, as in metav1.Condition. */
export const Condition = Type.Object({
  type: Type.String({ minLength: 1, maxLength: 316 }),
  status: Type.Union([Type.Literal('True'), Type.Literal('False'), Type.Literal('Unknown')]),
  reason: Type.String({ minLength: 1, maxLength: 1024 }),
  message: Type.String({ maxLength: 32768 }),
  lastTransitionTime: Type.String({ format: 'date-time' }),
  observedGeneration: Type.Optional(Type.Integer({ minimum: 0 })),
});

/** status.conditions: a list of Conditions keyed by type (server-side apply merges by it). */
export const Conditions = () =>
  Type.Optional(Type.Array(Condition, { 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] }));

/** Object metadata subset we rely on (the apiserver owns the rest). */
export const ObjectMeta = Type.Object(
  {
    name: Type.Optional(Type.String()),
    namespace: Type.Optional(Type.String()),
    uid: Type.Optional(Type.String()),
    resourceVersion: Type.Optional(Type.String()),
    generation: Type.Optional(Type.Integer()),
    creationTimestamp: Type.Optional(Type.String()),
    deletionTimestamp: Type.Optional(Type.String()),
    labels: Type.Optional(Type.Record(Type.String(), Type.String())),
    annotations: Type.Optional(Type.Record(Type.String(), Type.String())),
    finalizers: Type.Optional(Type.Array(Type.String())),
  },
  { additionalProperties: true },
);

export const StringEnum = <T extends string[]>(values: [...T], opts: SchemaOptions = {}) =>
  Type.Unsafe<T[number]>({ type: 'string', enum: values, ...opts });

/** One of our custom resources: the Kubernetes object envelope around its spec and status. */
export const CustomResource = <Spec extends TSchema, Status extends TSchema>(spec: Spec, status: Status) =>
  Type.Object({ apiVersion: Type.String(), kind: Type.String(), metadata: ObjectMeta, spec, status: Type.Optional(status) });

/** `{ A: 'A', B: 'B' }` from `names('A', 'B')`: constants whose value is their name, typed as literals. */
export function names<const K extends string>(...keys: K[]): { readonly [P in K]: P } {
  return Object.fromEntries(keys.map((k) => [k, k])) as { [P in K]: P };
}

/** The union of a constants object's values. */
export type ValueOf<T> = T[keyof T];

export type { TSchema };
