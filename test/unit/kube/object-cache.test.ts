// lib/kube/object.ts (the one object-key format) and lib/kube/cache.ts (the informer's store with
// its label index): keys round-trip, label queries follow relabelling and removal.
import { keyOf, objectKey, splitKey, type KubeObject } from '../../../lib/kube/object.js';
import { ObjectCache } from '../../../lib/kube/cache.js';

const obj = (namespace: string | undefined, name: string, labels: Record<string, string> = {}, rv = '1'): KubeObject => ({
  metadata: { ...(namespace ? { namespace } : {}), name, labels, resourceVersion: rv },
});

test('object keys are namespace/name, or name for cluster-scoped objects, and split back', () => {
  expect(objectKey('ns', 'a')).toBe('ns/a');
  expect(objectKey(undefined, 'node-1')).toBe('node-1');
  expect(keyOf(obj('ns', 'a'))).toBe('ns/a');
  expect(keyOf(obj(undefined, 'node-1'))).toBe('node-1');
  expect(splitKey('ns/a')).toEqual({ namespace: 'ns', name: 'a' });
  expect(splitKey('node-1')).toEqual({ namespace: undefined, name: 'node-1' });
  expect(ObjectCache.keyOf(obj('ns', 'a'))).toBe(keyOf(obj('ns', 'a')));
});

test('the cache returns the previous version on upsert and keeps its label index current', () => {
  const cache = new ObjectCache<KubeObject>();
  expect(cache.upsert(obj('ns1', 'a', { client: 'x' }))).toBeUndefined();
  cache.upsert(obj('ns2', 'b', { client: 'x' }));
  cache.upsert(obj('ns1', 'c', { client: 'y' }));
  expect(cache.size()).toBe(3);
  expect(cache.byLabel('client', 'x').map(keyOf).sort()).toEqual(['ns1/a', 'ns2/b']);
  expect(cache.byLabel('client', 'x', 'ns2').map(keyOf)).toEqual(['ns2/b']);
  expect(cache.list({ namespace: 'ns1' }).map(keyOf).sort()).toEqual(['ns1/a', 'ns1/c']);
  expect(cache.list({ labels: { client: 'y' } }).map(keyOf)).toEqual(['ns1/c']);

  // Relabelled: the old value no longer finds it.
  const old = cache.upsert(obj('ns1', 'a', { client: 'y' }, '2'));
  expect(old?.metadata?.resourceVersion).toBe('1');
  expect(cache.byLabel('client', 'x').map(keyOf)).toEqual(['ns2/b']);
  expect(cache.byLabel('client', 'y').map(keyOf).sort()).toEqual(['ns1/a', 'ns1/c']);

  expect(cache.remove(obj('ns1', 'a'))?.metadata?.resourceVersion).toBe('2');
  expect(cache.remove(obj('ns1', 'a'))).toBeUndefined();
  expect(cache.get('ns1/a')).toBeUndefined();
  expect(cache.byLabel('client', 'y').map(keyOf)).toEqual(['ns1/c']);
  expect(cache.byLabel('client', 'nobody')).toEqual([]);
});
