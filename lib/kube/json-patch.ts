// The diff from the status a writer read to the status it wants, as an RFC 6902 JSON Patch whose
// every change is guarded by a `test` of the value it replaces (docs/status-writes.md). The
// apiserver applies it to the current object: writers of different fields never conflict, writers
// of the same field conflict exactly when one of them computed from a value that is gone.
// Array elements are addressed by index only when each carries an identity key (`uuid`, ...) whose
// `test` comes first, so a reorder can never make a change land on the wrong element.

export type PatchOp =
  | { op: 'test'; path: string; value: unknown }
  | { op: 'add'; path: string; value: unknown }
  | { op: 'replace'; path: string; value: unknown }
  | { op: 'remove'; path: string };

/** One reference token of a JSON pointer (RFC 6901): `~` → `~0`, `/` → `~1`. */
export function escapeToken(token: string | number): string {
  return String(token).replace(/~/g, '~0').replace(/\//g, '~1');
}

/** A JSON pointer from its tokens: pointer('status', 'tasks', 3, 'a/b') = '/status/tasks/3/a~1b'. */
export function pointer(...tokens: (string | number)[]): string {
  return tokens.map((t) => `/${escapeToken(t)}`).join('');
}

/** The value at a pointer (undefined when any step is missing). */
export function valueAt(doc: unknown, path: string): unknown {
  if (path === '') return doc;
  let cur: unknown = doc;
  for (const raw of path.slice(1).split('/')) {
    const token = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cur)) cur = /^\d+$/.test(token) ? cur[Number(token)] : undefined;
    else if (isObject(cur)) cur = Object.hasOwn(cur, token) ? cur[token] : undefined;
    else return undefined;
  }
  return cur;
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Equality as JSON sees it: key order is irrelevant, a key holding undefined is a missing key. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    // JSON.stringify writes an undefined element as null.
    return a.every((x, i) => jsonEqual(x === undefined ? null : x, b[i] === undefined ? null : b[i]));
  }
  if (isObject(a)) {
    if (!isObject(b)) return false;
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => b[k] !== undefined && jsonEqual(a[k], b[k]));
  }
  return false;
}

export interface DiffOptions {
  /** Keys that identify the elements of object arrays (the first one every element carries is used). */
  identityKeys?: readonly string[];
  /**
   * Leaves whose newest value is the right one whoever computed it (timestamps, progress): changed
   * without a `test` of the old value. Writers whose decision depends on them guard them explicitly.
   */
  lastWriterWins?: (path: string) => boolean;
}

export const DEFAULT_IDENTITY_KEYS = ['uuid'] as const;

/**
 * The guarded patch turning `before` into `after` at `path` (both values as read/wanted; undefined =
 * absent). Empty when they are equal. An added key has no guard: RFC 6902 cannot test absence.
 */
export function diff(before: unknown, after: unknown, path = '', opts: DiffOptions = {}): PatchOp[] {
  const ops: PatchOp[] = [];
  walk(before, after, path, { ids: opts.identityKeys ?? DEFAULT_IDENTITY_KEYS, lww: opts.lastWriterWins ?? (() => false) }, ops);
  return ops;
}

interface Walk {
  ids: readonly string[];
  lww: (path: string) => boolean;
}

function walk(before: unknown, after: unknown, path: string, w: Walk, ops: PatchOp[]): void {
  if (jsonEqual(before, after)) return;
  const test = (): void => {
    if (!w.lww(path)) ops.push({ op: 'test', path, value: before });
  };
  if (after === undefined) {
    test();
    ops.push({ op: 'remove', path });
    return;
  }
  if (before === undefined) {
    ops.push({ op: 'add', path, value: after });
    return;
  }
  if (isObject(before) && isObject(after)) {
    const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
    for (const k of keys) walk(before[k], after[k], `${path}/${escapeToken(k)}`, w, ops);
    return;
  }
  if (Array.isArray(before) && Array.isArray(after)) {
    const id = elementIdentity(before, after, w.ids);
    if (id !== undefined) {
      for (let i = 0; i < before.length; i++) {
        const at = `${path}/${i}`;
        const start = ops.length;
        walk(before[i], after[i], at, w, ops);
        // Identity first: the element's changes apply only if it is still the same element.
        if (ops.length > start) ops.splice(start, 0, { op: 'test', path: `${at}/${escapeToken(id)}`, value: (before[i] as Json)[id] });
      }
      return;
    }
  }
  // A leaf, a type change, or an array that cannot be addressed by element: replace it whole.
  test();
  ops.push({ op: 'replace', path, value: after });
}

/** The identity key when both arrays have the same length and the same identities in the same order. */
function elementIdentity(before: unknown[], after: unknown[], ids: readonly string[]): string | undefined {
  if (before.length !== after.length || before.length === 0) return undefined;
  const first = before[0];
  if (!isObject(first)) return undefined;
  const id = ids.find((k) => typeof first[k] === 'string' || typeof first[k] === 'number');
  if (id === undefined) return undefined;
  for (let i = 0; i < before.length; i++) {
    const b = before[i];
    const a = after[i];
    if (!isObject(b) || !isObject(a) || b[id] === undefined || b[id] !== a[id]) return undefined;
  }
  return id;
}

/** `test` ops for values the writer read but does not change (its decision depended on them). */
export function guards(doc: unknown, paths: Iterable<string>): PatchOp[] {
  const ops: PatchOp[] = [];
  for (const path of new Set(paths)) {
    const value = valueAt(doc, path);
    if (value !== undefined) ops.push({ op: 'test', path, value });
  }
  return ops;
}
