// lib/kube/json-patch.ts (the guarded diff behind every status write) and the status patch of
// lib/kube/status.ts: every change carries a test of the value it replaces, array elements are
// addressed by index only behind a test of their identity, pointers are escaped, JSON's view of
// undefined is respected, and an unchanged status makes no patch. Patches are checked by applying
// them with a small RFC 6902 interpreter written here (the real apiserver is in the integration test).
import { diff, escapeToken, guards, jsonEqual, pointer, valueAt, type PatchOp } from '../../../lib/kube/json-patch.js';
import { MAX_PATCH_OPS, statusPatch } from '../../../lib/kube/status.js';
import { reconcileGuards, taskGuards } from '../../../lib/jobs/status-guards.js';
import type { TranscodeJob } from '../../../lib/schema/transcode-job.js';

/** RFC 6902 add/remove/replace/test on a copy of `doc`; throws on a failed test or a missing path. */
function apply(doc: unknown, ops: PatchOp[]): unknown {
  const root = { v: structuredClone(doc) } as Record<string, unknown>;
  for (const op of ops) {
    const unescape = (t: string) => t.replace(/~1/g, '/').replace(/~0/g, '~');
    const tokens = ['v', ...(op.path === '' ? [] : op.path.slice(1).split('/').map(unescape))];
    const last = tokens.pop()!;
    let parent: any = root;
    for (const t of tokens) {
      if (parent === null || typeof parent !== 'object' || !(t in parent)) throw new Error(`missing ${op.path}`);
      parent = parent[t];
    }
    const has = parent !== null && typeof parent === 'object' && last in parent;
    if (op.op === 'test') {
      if (!has || !jsonEqual(parent[last], op.value)) throw new Error(`test failed at ${op.path}`);
    } else if (op.op === 'remove') {
      if (!has) throw new Error(`remove of missing ${op.path}`);
      if (Array.isArray(parent)) parent.splice(Number(last), 1);
      else delete parent[last];
    } else if (op.op === 'replace') {
      if (!has) throw new Error(`replace of missing ${op.path}`);
      parent[last] = structuredClone(op.value);
    } else {
      if (Array.isArray(parent)) parent.splice(last === '-' ? parent.length : Number(last), 0, structuredClone(op.value));
      else parent[last] = structuredClone(op.value);
    }
  }
  return root['v'];
}

test('pointers escape ~ and / (RFC 6901) and valueAt reads them back', () => {
  expect(escapeToken('a~b/c')).toBe('a~0b~1c');
  expect(escapeToken('~1')).toBe('~01'); // ~ first, or "~1" would come back as "/"
  expect(pointer('status', 'tasks', 3, 'x/y')).toBe('/status/tasks/3/x~1y');
  const doc = { status: { 'a/b': { '~k': 1 }, list: [{ uuid: 'u' }] } };
  expect(valueAt(doc, pointer('status', 'a/b', '~k'))).toBe(1);
  expect(valueAt(doc, '/status/list/0/uuid')).toBe('u');
  expect(valueAt(doc, '/status/list/1/uuid')).toBeUndefined();
  expect(valueAt(doc, '/status/nope/x')).toBeUndefined();
});

test('jsonEqual ignores key order and treats an undefined key as missing', () => {
  expect(jsonEqual({ a: 1, b: [1, { c: 2 }] }, { b: [1, { c: 2 }], a: 1 })).toBe(true);
  expect(jsonEqual({ a: 1, b: undefined }, { a: 1 })).toBe(true);
  expect(jsonEqual({ a: 1 }, { a: 1, b: null })).toBe(false);
  expect(jsonEqual([1, 2], [2, 1])).toBe(false);
  expect(jsonEqual({}, [])).toBe(false);
});

test('no change, no operations (also with reordered keys and undefined members)', () => {
  const s = { phase: 'Running', tasks: [{ uuid: 'a', progress: 1 }], probe: { duration: 2 } };
  expect(diff(s, structuredClone(s))).toEqual([]);
  expect(diff(s, { probe: { duration: 2 }, tasks: [{ progress: 1, uuid: 'a' }], phase: 'Running', extra: undefined })).toEqual([]);
  expect(statusPatch({ metadata: { resourceVersion: '5' }, status: s }, { status: structuredClone(s) })).toEqual([]);
});

test('nested objects: each changed leaf is a test of the old value then replace; added keys add, removed keys test + remove', () => {
  const before = { phase: 'Running', probe: { duration: 2, video: { codec: 'h264', width: 320 } }, message: 'x' };
  const after = { phase: 'Running', probe: { duration: 2, video: { codec: 'hevc', width: 320, fps: 25 } }, progress: 10 };
  const ops = diff(before, after, '/status');
  expect(ops).toEqual([
    { op: 'test', path: '/status/probe/video/codec', value: 'h264' },
    { op: 'replace', path: '/status/probe/video/codec', value: 'hevc' },
    { op: 'add', path: '/status/probe/video/fps', value: 25 },
    { op: 'test', path: '/status/message', value: 'x' },
    { op: 'remove', path: '/status/message' },
    { op: 'add', path: '/status/progress', value: 10 },
  ]);
  expect(apply({ status: before }, ops)).toEqual({ status: after });
  // A type change replaces the subtree whole.
  expect(diff({ a: { b: 1 } }, { a: [1] })).toEqual([
    { op: 'test', path: '/a', value: { b: 1 } },
    { op: 'replace', path: '/a', value: [1] },
  ]);
});

test('object arrays with identities: per-element changes behind a test of the identity; a reordered array is replaced whole', () => {
  const tasks = [
    { uuid: 'a', state: 1 },
    { uuid: 'b', state: 2, progress: 10 },
  ];
  const after = [
    { uuid: 'a', state: 1 },
    { uuid: 'b', state: 2, progress: 20 },
  ];
  const ops = diff({ tasks }, { tasks: after });
  expect(ops).toEqual([
    { op: 'test', path: '/tasks/1/uuid', value: 'b' },
    { op: 'test', path: '/tasks/1/progress', value: 10 },
    { op: 'replace', path: '/tasks/1/progress', value: 20 },
  ]);
  // Someone reordered the tasks meanwhile: the identity test fails instead of writing task a.
  expect(() => apply({ tasks: [tasks[1], tasks[0]] }, ops)).toThrow(/test failed at \/tasks\/1\/uuid/);
  // Another task's change meanwhile does not matter.
  expect(apply({ tasks: [{ uuid: 'a', state: 2 }, tasks[1]] }, ops)).toEqual({ tasks: [{ uuid: 'a', state: 2 }, after[1]] });
  // Different length or identities: one guarded replace of the whole array.
  const grown = [...tasks, { uuid: 'c', state: 1 }];
  expect(diff({ tasks }, { tasks: grown })).toEqual([
    { op: 'test', path: '/tasks', value: tasks },
    { op: 'replace', path: '/tasks', value: grown },
  ]);
  expect(diff({ tasks }, { tasks: [tasks[1], tasks[0]] })[1]).toEqual({ op: 'replace', path: '/tasks', value: [tasks[1], tasks[0]] });
  // Arrays of scalars (or objects without an identity key) are replaced whole.
  expect(diff({ published: ['A'] }, { published: ['A', 'B'] })).toEqual([
    { op: 'test', path: '/published', value: ['A'] },
    { op: 'replace', path: '/published', value: ['A', 'B'] },
  ]);
  // Other identity keys (outputs by index, conditions by type) when asked for.
  expect(diff({ o: [{ index: 0, s: 'P' }] }, { o: [{ index: 0, s: 'R' }] }, '', { identityKeys: ['uuid', 'index'] })[0]).toEqual({
    op: 'test',
    path: '/o/0/index',
    value: 0,
  });
});

test('keys needing escapes are escaped in every operation and the patch applies', () => {
  const before = { files: { 'payload/videoFile': 'k1', 'a~b': 'x' } };
  const after = { files: { 'payload/videoFile': 'k2', 'a~b': 'x', '~/': 'new' } };
  const ops = diff(before, after, '/status');
  expect(ops.map((o) => o.path)).toEqual(['/status/files/payload~1videoFile', '/status/files/payload~1videoFile', '/status/files/~0~1']);
  expect(apply({ status: before }, ops)).toEqual({ status: after });
});

test('statusPatch: an absent status and very large diffs are guarded by the resourceVersion; guards come first', () => {
  expect(statusPatch({ metadata: { resourceVersion: '7' } }, { status: { phase: 'Pending' } })).toEqual([
    { op: 'test', path: '/metadata/resourceVersion', value: '7' },
    { op: 'add', path: '/status', value: { phase: 'Pending' } },
  ]);
  const many = (v: number) => ({ tasks: Array.from({ length: MAX_PATCH_OPS }, (_, i) => ({ uuid: `u${i}`, progress: v })) });
  const big = statusPatch({ metadata: { resourceVersion: '8' }, status: many(1) }, { status: many(2) });
  expect(big).toEqual([
    { op: 'test', path: '/metadata/resourceVersion', value: '8' },
    { op: 'replace', path: '/status', value: many(2) },
  ]);
  const guarded = statusPatch({ metadata: {}, status: { a: 1, b: 2 } }, { status: { a: 1, b: 3 } }, ['/status/a', '/status/missing']);
  expect(guarded).toEqual([
    { op: 'test', path: '/status/a', value: 1 },
    { op: 'test', path: '/status/b', value: 2 },
    { op: 'replace', path: '/status/b', value: 3 },
  ]);
  // Removing the whole status.
  expect(statusPatch({ metadata: {}, status: { a: 1 } }, {})).toEqual([
    { op: 'test', path: '/status', value: { a: 1 } },
    { op: 'remove', path: '/status' },
  ]);
  expect(guards({ a: { b: 0 } }, ['/a/b', '/a/b', '/a/c'])).toEqual([{ op: 'test', path: '/a/b', value: 0 }]);
});

const task = (uuid: string, state: number, extra: Record<string, unknown> = {}) => ({ uuid, state, failures: 0, ...extra });
const job = (status: Record<string, unknown>) => ({ metadata: { name: 'j' }, status }) as unknown as TranscodeJob;

test('taskGuards: a runner transition tests its task identity, state and owner', () => {
  const j = job({ tasks: [task('a', 1), task('b', 2, { jobTokenHash: 'h', startedAt: 't' })] });
  expect(guards(j, taskGuards(j, 'b'))).toEqual([
    { op: 'test', path: '/status/tasks/1/uuid', value: 'b' },
    { op: 'test', path: '/status/tasks/1/state', value: 2 },
    { op: 'test', path: '/status/tasks/1/failures', value: 0 },
    { op: 'test', path: '/status/tasks/1/startedAt', value: 't' },
    { op: 'test', path: '/status/tasks/1/jobTokenHash', value: 'h' },
  ]);
  expect(taskGuards(j, 'zzz')).toEqual([]);
  expect(taskGuards(j, undefined)).toEqual([]);
});

test('reconcileGuards: progress, SWF facts and job outcomes guard nothing; a task the operator changes guards that task and its last update', () => {
  const before = job({ phase: 'Running', progress: 10, tasks: [task('a', 2, { updatedAt: 't0' }), task('b', 2)] });
  const progress = job({ phase: 'Running', progress: 20, tasks: [task('a', 2, { updatedAt: 't0' }), task('b', 2)] });
  expect(reconcileGuards(before, progress)).toEqual([]);
  const swf = job({ phase: 'Running', progress: 10, tasks: [task('a', 2, { updatedAt: 't0', swf: { activityId: 'a' } }), task('b', 2)] });
  expect(reconcileGuards(before, swf)).toEqual([]);
  const aborted = job({ phase: 'Running', progress: 10, tasks: [task('a', 1, { updatedAt: 't1' }), task('b', 2)] });
  const g = reconcileGuards(before, aborted);
  expect(g.filter((p) => p.startsWith('/status/tasks/1/'))).toEqual([]);
  expect(g).toEqual(expect.arrayContaining(['/status/tasks/0/uuid', '/status/tasks/0/state', '/status/tasks/0/updatedAt']));
  // The watchdog's abort: a heartbeat that lands meanwhile changes updatedAt, and the guard fails.
  const ops = statusPatch(before as never, aborted as never, g);
  expect(ops).toContainEqual({ op: 'test', path: '/status/tasks/0/updatedAt', value: 't0' });
  const done = job({ phase: 'Succeeded', progress: 10, tasks: [task('a', 2, { updatedAt: 't0' }), task('b', 2)] });
  expect(reconcileGuards(before, done)).toEqual([]);
});

test('progress and updatedAt are last-writer-wins: changed without a test of the old value', () => {
  const before = { metadata: {}, status: { progress: 1, tasks: [{ uuid: 'a', state: 2, progress: 5, updatedAt: 't0' }] } };
  const after = { status: { progress: 2, tasks: [{ uuid: 'a', state: 2, progress: 6, updatedAt: 't1' }] } };
  expect(statusPatch(before, after)).toEqual([
    { op: 'replace', path: '/status/progress', value: 2 },
    { op: 'test', path: '/status/tasks/0/uuid', value: 'a' },
    { op: 'replace', path: '/status/tasks/0/progress', value: 6 },
    { op: 'replace', path: '/status/tasks/0/updatedAt', value: 't1' },
  ]);
  // Without the option every changed leaf is tested.
  expect(diff({ p: 1 }, { p: 2 }, '', { lastWriterWins: (p) => p === '/q' })).toHaveLength(2);
  expect(diff({ p: 1 }, {}, '', { lastWriterWins: (p) => p === '/p' })).toEqual([{ op: 'remove', path: '/p' }]);
});
