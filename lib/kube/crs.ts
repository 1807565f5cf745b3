// A small typed client for our three custom resources, so no call site spells a group, version or
// plural: `crs(kc).jobs.get(namespace, name)`, `crs(kc).runners.create(body)`, ... Every method is a
// single apiserver call; retries (status conflicts) live in status.ts. Errors are the client-node
// ApiExceptions, unchanged (`statusOf(err)` reads their HTTP status).
import { CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig } from '@kubernetes/client-node';
import type { TranscodeClient } from '../schema/transcode-client.js';
import type { TranscodeJob } from '../schema/transcode-job.js';
import type { TranscodeRunner } from '../schema/transcode-runner.js';
import { statusOf } from './client.js';
import type { PatchOp } from './json-patch.js';
import type { KubeObject } from './object.js';
import { GROUP, VERSION, KINDS, type KindName } from './resources.js';

export interface ListQuery {
  labelSelector?: string;
}

export interface CrClient<T extends KubeObject> {
  readonly kind: KindName;
  /** The object; rejects with the ApiException (404 included) when it cannot be read. */
  get(namespace: string, name: string): Promise<T>;
  /** The object, or undefined when it does not exist. */
  find(namespace: string, name: string): Promise<T | undefined>;
  /** Objects of one namespace, or of every namespace when `namespace` is empty/undefined. */
  list(namespace: string | undefined, query?: ListQuery): Promise<T[]>;
  /** Creates `body` in its `metadata.namespace`. */
  create(body: T): Promise<T>;
  /** JSON merge patch (RFC 7386); include `metadata.resourceVersion` to make it conditional. */
  patch(namespace: string, name: string, body: Record<string, unknown>): Promise<T>;
  /** Replaces the whole object (spec and metadata; the status subresource is ignored by the apiserver). */
  replace(body: T): Promise<T>;
  /** Replaces the status subresource, guarded by `metadata.resourceVersion` of `body`. */
  replaceStatus(body: T): Promise<T>;
  /** RFC 6902 JSON Patch of the status subresource (paths from the object root: /status/...); a failed `test` is a 422. */
  patchStatus(namespace: string, name: string, ops: readonly PatchOp[]): Promise<T>;
  delete(namespace: string, name: string): Promise<void>;
}

export interface Crs {
  jobs: CrClient<TranscodeJob>;
  clients: CrClient<TranscodeClient>;
  runners: CrClient<TranscodeRunner>;
}

const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
const jsonPatch = setHeaderOptions('Content-Type', PatchStrategy.JsonPatch);

function where(obj: KubeObject, kind: KindName): { namespace: string; name: string } {
  const namespace = obj.metadata?.namespace;
  const name = obj.metadata?.name;
  if (!namespace || !name) throw new Error(`${kind} without metadata.namespace/name`);
  return { namespace, name };
}

/** The typed client of one kind (prefer `crs(kc).jobs` etc.). */
export function crClient<T extends KubeObject>(kc: KubeConfig, kind: KindName): CrClient<T> {
  const api = kc.makeApiClient(CustomObjectsApi);
  const ref = { group: GROUP, version: VERSION, plural: KINDS[kind].plural };
  return {
    kind,
    async get(namespace, name) {
      return (await api.getNamespacedCustomObject({ ...ref, namespace, name })) as T;
    },
    async find(namespace, name) {
      try {
        return (await api.getNamespacedCustomObject({ ...ref, namespace, name })) as T;
      } catch (err) {
        if (statusOf(err) === 404) return undefined;
        throw err;
      }
    },
    async list(namespace, query = {}) {
      const params = { ...ref, ...(query.labelSelector ? { labelSelector: query.labelSelector } : {}) };
      const list = (
        namespace ? await api.listNamespacedCustomObject({ ...params, namespace }) : await api.listClusterCustomObject(params)
      ) as { items?: T[] };
      return list.items ?? [];
    },
    async create(body) {
      const namespace = body.metadata?.namespace;
      if (!namespace) throw new Error(`${kind} without metadata.namespace`);
      return (await api.createNamespacedCustomObject({ ...ref, namespace, body })) as T;
    },
    async patch(namespace, name, body) {
      return (await api.patchNamespacedCustomObject({ ...ref, namespace, name, body }, mergePatch)) as T;
    },
    async replace(body) {
      return (await api.replaceNamespacedCustomObject({ ...ref, ...where(body, kind), body })) as T;
    },
    async replaceStatus(body) {
      return (await api.replaceNamespacedCustomObjectStatus({ ...ref, ...where(body, kind), body })) as T;
    },
    async patchStatus(namespace, name, ops) {
      return (await api.patchNamespacedCustomObjectStatus({ ...ref, namespace, name, body: ops }, jsonPatch)) as T;
    },
    async delete(namespace, name) {
      await api.deleteNamespacedCustomObject({ ...ref, namespace, name });
    },
  };
}

const perConfig = new WeakMap<KubeConfig, Crs>();

/** The typed clients of our kinds for `kc` (built once per KubeConfig). */
export function crs(kc: KubeConfig): Crs {
  let c = perConfig.get(kc);
  if (!c) {
    c = {
      jobs: crClient<TranscodeJob>(kc, 'TranscodeJob'),
      clients: crClient<TranscodeClient>(kc, 'TranscodeClient'),
      runners: crClient<TranscodeRunner>(kc, 'TranscodeRunner'),
    };
    perConfig.set(kc, c);
  }
  return c;
}

/** The typed client of a kind by its name (for code generic over kinds, e.g. the status writer). */
export function crsOf<T extends KubeObject>(kc: KubeConfig, kind: KindName): CrClient<T> {
  const c = crs(kc);
  const byKind: Record<KindName, CrClient<KubeObject>> = {
    TranscodeJob: c.jobs as CrClient<KubeObject>,
    TranscodeClient: c.clients as CrClient<KubeObject>,
    TranscodeRunner: c.runners as CrClient<KubeObject>,
  };
  return byKind[kind] as CrClient<T>;
}
