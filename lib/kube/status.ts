// The one status writer, shared by every component that writes a CR status (operator reconcilers,
// api-server). A write is the guarded JSON Patch from the status the writer read to the one it wants
// (json-patch.ts, docs/status-writes.md): each change carries a `test` of the value it replaces, so
// two writers can never silently overwrite each other (e.g. two replicas accepting one task), yet
// writers of different fields (two runners' progress, the operator's job-level fields) never
// conflict. A failed test is a conflict: we re-read and recompute. Unchanged statuses are not
// written (no self-triggered reconcile loops). CT_STATUS_WRITES=replace restores the old whole-status
// replace guarded by resourceVersion (a fallback, and the baseline of `npm run bench -- status-writes`).
import type { KubeConfig } from '@kubernetes/client-node';
import { describeApiError, statusOf } from './client.js';
import { crsOf } from './crs.js';
import { diff, guards, type PatchOp } from './json-patch.js';
import type { KubeObject } from './object.js';
import { KINDS, type KindName, type ResourceType } from './resources.js';

export class ConflictError extends Error {
  constructor(what: string, attempts: number) {
    super(`${what}: still conflicting after ${attempts} attempts`);
    this.name = 'ConflictError';
  }
}

/** JSON with sorted keys: a cheap deep-equality check for API objects. */
export function stableJson(v: unknown): string {
  return JSON.stringify(v, (_k, value: unknown) =>
    value && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : value,
  );
}

// ---- how statuses are written ----

export type StatusWriteMode = 'patch' | 'replace';

let mode: StatusWriteMode | undefined;

/** The process-wide write mode: CT_STATUS_WRITES (patch, the default, or replace), unless set by setStatusWriteMode. */
export function statusWriteMode(): StatusWriteMode {
  if (!mode) {
    const v = process.env['CT_STATUS_WRITES'] || 'patch';
    if (v !== 'patch' && v !== 'replace') throw new Error(`CT_STATUS_WRITES must be patch or replace, got ${JSON.stringify(v)}`);
    mode = v;
  }
  return mode;
}

export function setStatusWriteMode(m: StatusWriteMode | undefined): void {
  mode = m;
}

/** Above this many operations a patch becomes one resourceVersion-guarded replace of /status (apiserver limit: 10,000). */
export const MAX_PATCH_OPS = 2000;

/** The identity keys of status array elements: tasks by uuid, outputs by index, conditions by type. */
const IDENTITY_KEYS = ['uuid', 'index', 'type'] as const;

/**
 * Leaves where the newest write is right whoever made it: a task's progress and updatedAt (runner
 * heartbeats, and the transitions that also touch them) and the job's aggregate progress. Their
 * writers are guarded by the task's identity and state instead (lib/jobs/status-guards.ts), so a
 * progress write never conflicts with a transition of the same task that keeps it processing.
 */
const LAST_WRITER_WINS = /^\/status\/(progress|tasks\/\d+\/(progress|updatedAt))$/;
const lastWriterWins = (path: string): boolean => LAST_WRITER_WINS.test(path);

/**
 * The guarded patch of the status subresource from `before` to `after` (plus `test`s of the values
 * at `guarded`, which the writer's decision read). Empty when the status did not change. An absent
 * status (nothing to test) and very large diffs are guarded by the resourceVersion instead.
 */
export function statusPatch(
  before: KubeObject & { status?: unknown },
  after: { status?: unknown },
  guarded: Iterable<string> = [],
): PatchOp[] {
  const changes = diff(before.status, after.status, '/status', { identityKeys: IDENTITY_KEYS, lastWriterWins });
  if (!changes.length) return [];
  const rv = before.metadata?.resourceVersion;
  const byVersion = (): PatchOp[] => [
    { op: 'test', path: '/metadata/resourceVersion', value: rv },
    { op: before.status === undefined ? 'add' : 'replace', path: '/status', value: after.status },
  ];
  if (rv && (before.status === undefined || changes.length > MAX_PATCH_OPS)) return byVersion();
  return [...guards(before, guarded), ...changes];
}

/**
 * A 422 from a patch that could not be applied (the apiserver says only "error in our request",
 * with no field causes): our patches are well-formed, so a `test` failed or a tested path is gone.
 * A validation error is a 422 too, but names the object and its invalid fields.
 */
export function isTestFailure(err: unknown): boolean {
  if (statusOf(err) !== 422) return false;
  const raw = (err as { body?: unknown }).body;
  let body: unknown = raw;
  if (typeof raw === 'string') {
    try {
      body = JSON.parse(raw);
    } catch {
      return false;
    }
  }
  const b = body as { message?: unknown; details?: { causes?: unknown[]; name?: unknown } } | undefined;
  return !b?.details?.causes?.length && !b?.details?.name && /error in our request/i.test(String(b?.message ?? ''));
}

// ---- metrics: every component counts its status writes and conflicts (registerStatusMetrics) ----

export interface StatusWriteEvent {
  kind: KindName;
  /** Who wrote (the call site: job, accept, progress, ...). */
  writer: string;
  outcome: 'written' | 'conflict';
}

const listeners = new Set<(e: StatusWriteEvent) => void>();

/** Calls `fn` for every status write and conflict in this process; returns the unsubscribe function. */
export function onStatusWrite(fn: (e: StatusWriteEvent) => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function emit(kind: KindName, writer: string, outcome: StatusWriteEvent['outcome']): void {
  for (const fn of listeners) fn({ kind, writer, outcome });
}

// ---- the writers ----

/** What `mutate` decides: change the object (return true) or leave it (false: nothing is written). */
export type Mutator<T> = (obj: T) => boolean;

export interface UpdateOptions<T> {
  /** Start from this object instead of reading it first (e.g. from an informer cache). */
  current?: T;
  maxAttempts?: number;
  /** Metric label of the call site. */
  writer?: string;
  /** JSON pointers the decision read without changing them (`before` = the object mutate saw): tested too. */
  guard?: (before: T, after: T) => Iterable<string>;
}

type Written<T> = { written: T } | { outcome: 'conflict' | 'gone' | 'unchanged' };

/** One write of `next` computed from `base`: a guarded patch, or a replace with base's resourceVersion. */
async function writeOnce<T extends KubeObject>(
  kc: KubeConfig,
  kind: KindName,
  base: T,
  next: T,
  writer: string,
  guard?: (before: T, after: T) => Iterable<string>,
): Promise<Written<T>> {
  const api = crsOf<T>(kc, kind);
  const patchMode = statusWriteMode() === 'patch';
  try {
    if (!patchMode) return { written: await api.replaceStatus(next) };
    const ops = statusPatch(base as T & { status?: unknown }, next as T & { status?: unknown }, guard?.(base, next) ?? []);
    if (!ops.length) return { outcome: 'unchanged' };
    const { namespace, name } = next.metadata as { namespace: string; name: string };
    return { written: await api.patchStatus(namespace, name, ops) };
  } catch (err) {
    const code = statusOf(err);
    if (code === 404) return { outcome: 'gone' };
    if (code === 409 || isTestFailure(err)) {
      emit(kind, writer, 'conflict');
      return { outcome: 'conflict' };
    }
    throw err;
  }
}

/**
 * Reads the object, applies `mutate` to a copy and writes its status (guarded patch, or replace
 * with the read resourceVersion); on a conflict re-reads and tries again. Returns the written
 * object, or the current one when `mutate` said (or made) no change, or undefined when it is gone.
 */
export async function updateStatus<T extends KubeObject>(
  kc: KubeConfig,
  kind: KindName,
  namespace: string,
  name: string,
  mutate: Mutator<T>,
  opts: UpdateOptions<T> = {},
): Promise<T | undefined> {
  const api = crsOf<T>(kc, kind);
  const maxAttempts = opts.maxAttempts ?? 8;
  const writer = opts.writer ?? 'other';
  let current = opts.current;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    if (!current) {
      current = await api.find(namespace, name);
      if (!current) return undefined;
    }
    const next = structuredClone(current);
    if (!mutate(next)) return current;
    const r = await writeOnce(kc, kind, current, next, writer, opts.guard);
    if ('written' in r) {
      emit(kind, writer, 'written');
      return r.written;
    }
    if (r.outcome === 'gone') return undefined;
    if (r.outcome === 'unchanged') return current;
    current = undefined; // someone else wrote first: recompute from the fresh object
  }
  throw new ConflictError(`status of ${kind} ${namespace}/${name}`, maxAttempts);
}

/**
 * One attempt only, for writes that must not be retried blindly (a lost accept race is an answer,
 * not an error). With `base` (the object `obj` was computed from) the write is the guarded patch
 * from base to obj; without it, a replace guarded by obj's resourceVersion. Returns 'conflict'
 * when what the write was computed from changed meanwhile.
 */
export async function writeStatusOnce<T extends KubeObject>(
  kc: KubeConfig,
  kind: KindName,
  obj: T,
  base?: T,
  opts: Pick<UpdateOptions<T>, 'writer' | 'guard'> = {},
): Promise<T | 'conflict' | 'gone'> {
  const writer = opts.writer ?? 'other';
  if (!base) {
    try {
      const written = await crsOf<T>(kc, kind).replaceStatus(obj);
      emit(kind, writer, 'written');
      return written;
    } catch (err) {
      const code = statusOf(err);
      if (code === 409) {
        emit(kind, writer, 'conflict');
        return 'conflict';
      }
      if (code === 404) return 'gone';
      throw err;
    }
  }
  const r = await writeOnce(kc, kind, base, obj, writer, opts.guard);
  if ('written' in r) {
    emit(kind, writer, 'written');
    return r.written;
  }
  if (r.outcome === 'unchanged') return base;
  return r.outcome;
}

export type WithStatus<S> = KubeObject & { status?: S };

function kindOf(type: ResourceType | KindName): KindName {
  const kind = typeof type === 'string' ? type : type.kind;
  if (!(kind in KINDS)) throw new Error(`no status writer for kind ${kind}`);
  return kind as KindName;
}

/**
 * The status writer in the style controllers use (`ctx.status`): `compute` gets the freshest object
 * and returns the desired status (undefined = leave it); a status equal to the stored one is not
 * written. A thin layer over updateStatus that adds the apiserver's message to failures.
 */
export class StatusWriter {
  constructor(private readonly kc: KubeConfig) {}

  /** Writes compute(current) as the status of `obj`. Returns the stored object, or undefined if it is gone. */
  async update<S, T extends WithStatus<S>>(
    type: ResourceType | KindName,
    obj: T,
    compute: (current: T) => S | undefined,
    maxAttempts = 5,
  ): Promise<T | undefined> {
    const kind = kindOf(type);
    const namespace = obj.metadata?.namespace ?? '';
    const name = obj.metadata?.name ?? '';
    const mutate = (current: T): boolean => {
      const status = compute(current);
      if (status === undefined || stableJson(status) === stableJson(current.status)) return false;
      current.status = status;
      return true;
    };
    try {
      return await updateStatus<T>(this.kc, kind, namespace, name, mutate, {
        current: obj,
        maxAttempts,
        writer: kind.replace(/^Transcode/, '').toLowerCase(),
      });
    } catch (err) {
      throw new Error(`writing status of ${kind} ${namespace}/${name} failed: ${describeApiError(err)}`, { cause: err });
    }
  }
}
