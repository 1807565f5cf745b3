// List+watch loop keeping an in-memory cache of one resource type, generic over kinds.
//
// - Lists, then watches from the list's resourceVersion with bookmarks.
// - 410 Gone (or an ERROR event) → re-list; any other failure → back-off and resume the watch from the
//   last seen resourceVersion (or re-list if that is rejected). Survives apiserver restarts.
// - Watches are short (server-side timeoutSeconds) and time out client-side when silent, so a dead
//   connection never leaves us deaf; a full re-list runs every `resyncMs` regardless and tells handlers
//   about every object again (level-based controllers then re-check the world).
import type { KubeConfig } from '@kubernetes/client-node';
import type { Logger } from '../log.js';
import { errorInfo } from '../log.js';
import { getJson, streamWatch, KubeHttpError, type WatchEvent } from './http.js';
import { ObjectCache } from './cache.js';
import type { KubeObject } from './object.js';
import type { ResourceType } from './resources.js';

export type InformerHandler<T extends KubeObject> = {
  /** Added, updated, or seen again by a periodic re-list (old = previous version, if any). */
  onUpsert?(obj: T, old: T | undefined): void;
  onDelete?(obj: T): void;
};

export interface InformerOptions {
  /** Watch one namespace; empty/undefined = all namespaces. */
  namespace?: string;
  labelSelector?: string;
  /** Full re-list period (default 5 min). */
  resyncMs?: number;
  /** Server-side watch timeout (default 4-5 min, jittered). */
  watchTimeoutSeconds?: number;
  /** A watch with no bytes for this long is considered dead (default 90 s; bookmarks arrive ~every minute). */
  idleMs?: number;
  pageSize?: number;
}

interface ListResponse {
  metadata?: { resourceVersion?: string; continue?: string };
  items?: Record<string, unknown>[];
}

export class Informer<T extends KubeObject> {
  readonly cache: ObjectCache<T>;
  private readonly handlers: InformerHandler<T>[] = [];
  private resourceVersion = '';
  private abort = new AbortController();
  private running = false;
  private syncedResolve!: () => void;
  readonly synced: Promise<void>;
  private lastResync = 0;
  private loop: Promise<void> | undefined;
  /** Counters for metrics/tests. */
  readonly stats = { lists: 0, watches: 0, watchErrors: 0, gone: 0 };

  constructor(
    private readonly kc: KubeConfig,
    readonly type: ResourceType,
    private readonly log: Logger,
    private readonly opts: InformerOptions = {},
  ) {
    this.cache = new ObjectCache<T>();
    this.synced = new Promise<void>((r) => (this.syncedResolve = r));
  }

  addHandler(h: InformerHandler<T>): void {
    this.handlers.push(h);
    // Late subscribers see what is already cached.
    for (const obj of this.cache.list()) h.onUpsert?.(obj, undefined);
  }

  removeHandler(h: InformerHandler<T>): void {
    const i = this.handlers.indexOf(h);
    if (i >= 0) this.handlers.splice(i, 1);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.abort = new AbortController();
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.abort.abort();
    await this.loop;
  }

  private basePath(): string {
    const prefix = this.type.group ? `/apis/${this.type.group}/${this.type.version}` : `/api/${this.type.version}`;
    return this.opts.namespace
      ? `${prefix}/namespaces/${encodeURIComponent(this.opts.namespace)}/${this.type.plural}`
      : `${prefix}/${this.type.plural}`;
  }

  private async run(): Promise<void> {
    let failures = 0;
    const resyncMs = this.opts.resyncMs ?? 5 * 60_000;
    while (this.running) {
      try {
        if (!this.resourceVersion || Date.now() - this.lastResync >= resyncMs) {
          await this.list();
          failures = 0;
        }
        await this.watchOnce(resyncMs);
        failures = 0;
      } catch (err) {
        if (!this.running) break;
        if (err instanceof KubeHttpError && err.statusCode === 410) {
          this.stats.gone += 1;
          this.log.info({ resource: this.type.plural }, 'watch resourceVersion too old (410 Gone); re-listing');
          this.resourceVersion = '';
          continue;
        }
        failures += 1;
        this.stats.watchErrors += 1;
        // Back-off 0.5 s → 30 s with jitter; never a hot loop when the apiserver is down.
        const delay = Math.min(30_000, 500 * 2 ** Math.min(failures - 1, 6)) * (0.8 + Math.random() * 0.4);
        this.log.warn({ resource: this.type.plural, err: errorInfo(err), retryInMs: Math.round(delay), failures }, 'list/watch failed');
        // After a few failures, re-list: events may have been missed across a long outage.
        if (failures >= 3) this.resourceVersion = '';
        await sleep(delay, this.abort.signal);
      }
    }
  }

  private query(extra: Record<string, string>): string {
    const q = new URLSearchParams(extra);
    if (this.opts.labelSelector) q.set('labelSelector', this.opts.labelSelector);
    return q.toString();
  }

  private async list(): Promise<void> {
    const items: T[] = [];
    let cont = '';
    let rv = '';
    do {
      const params: Record<string, string> = { limit: String(this.opts.pageSize ?? 500) };
      if (cont) params['continue'] = cont;
      const page = await getJson<ListResponse>(this.kc, `${this.basePath()}?${this.query(params)}`, this.abort.signal);
      for (const item of page.items ?? []) items.push(item as T);
      cont = page.metadata?.continue ?? '';
      rv = page.metadata?.resourceVersion ?? rv;
    } while (cont);
    this.stats.lists += 1;
    const seen = new Set<string>();
    for (const obj of items) {
      seen.add(ObjectCache.keyOf(obj));
      const old = this.cache.upsert(obj);
      this.emitUpsert(obj, old);
    }
    for (const old of this.cache.list()) {
      if (!seen.has(ObjectCache.keyOf(old))) {
        this.cache.remove(old);
        this.emitDelete(old);
      }
    }
    this.resourceVersion = rv;
    this.lastResync = Date.now();
    this.syncedResolve();
    this.log.debug({ resource: this.type.plural, count: items.length, resourceVersion: rv }, 'listed');
  }

  private async watchOnce(resyncMs: number): Promise<void> {
    const untilResync = Math.max(1, Math.floor((this.lastResync + resyncMs - Date.now()) / 1000));
    const timeoutSeconds = Math.min(untilResync, this.opts.watchTimeoutSeconds ?? 240 + Math.floor(Math.random() * 60));
    const path = `${this.basePath()}?${this.query({
      watch: 'true',
      allowWatchBookmarks: 'true',
      resourceVersion: this.resourceVersion,
      timeoutSeconds: String(timeoutSeconds),
    })}`;
    this.stats.watches += 1;
    let gone = false;
    await streamWatch(
      this.kc,
      path,
      (e: WatchEvent) => {
        if (e.type === 'ERROR') {
          const code = (e.object as { code?: number }).code;
          if (code === 410) gone = true;
          else this.log.warn({ resource: this.type.plural, status: e.object }, 'watch error event');
          return;
        }
        const obj = e.object as T;
        const rv = obj.metadata?.resourceVersion;
        if (rv) this.resourceVersion = rv;
        if (e.type === 'BOOKMARK') return;
        if (e.type === 'DELETED') {
          const old = this.cache.remove(obj);
          this.emitDelete(old ?? obj);
        } else {
          const old = this.cache.upsert(obj);
          this.emitUpsert(obj, old);
        }
      },
      this.abort.signal,
      this.opts.idleMs ?? 90_000,
    );
    if (gone) throw new KubeHttpError(410, 'Gone (watch ERROR event)', `WATCH ${this.type.plural}`);
  }

  private emitUpsert(obj: T, old: T | undefined): void {
    for (const h of this.handlers) {
      try {
        h.onUpsert?.(obj, old);
      } catch (err) {
        this.log.error({ resource: this.type.plural, err: errorInfo(err) }, 'informer handler failed');
      }
    }
  }

  private emitDelete(obj: T): void {
    for (const h of this.handlers) {
      try {
        h.onDelete?.(obj);
      } catch (err) {
        this.log.error({ resource: this.type.plural, err: errorInfo(err) }, 'informer handler failed');
      }
    }
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
