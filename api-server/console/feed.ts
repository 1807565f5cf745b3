// The console's live data: server-sent events fed from this replica's informer caches. A new
// stream gets one `snapshot`, then `upsert`/`delete` events coalesced every FLUSH_MS; runner views
// are recomputed on every flush and on a timer, since "online" also changes when nothing is written
// (a killed runner just stops calling). Only views that changed are sent.
import type { Response } from 'express';
import { keyOf, type KubeObject } from '../../lib/kube/object.js';
import type { Informer } from '../../lib/kube/informer.js';
import type { Logger } from '../../lib/log.js';
import type { TranscodeRunner } from '../../lib/schema/transcode-runner.js';
import type { Store } from '../store.js';
import { clientView, jobView, runnerView, tokenView, type ClientView, type JobView, type RunnerView, type TokenView } from './views.js';

const FLUSH_MS = 250;
const RUNNER_TICK_MS = 2000;
const HEARTBEAT_MS = 15_000;
/** The snapshot carries at most this many jobs (newest first); later ones arrive as upserts. */
const SNAPSHOT_JOBS = 500;

export type Kind = 'job' | 'runner' | 'client' | 'token';

export interface Snapshot {
  jobs: JobView[];
  runners: RunnerView[];
  clients: ClientView[];
  tokens: TokenView[];
}

export interface FeedOptions {
  /** Is one of this runner's sockets connected to this replica? */
  isConnected(runner: TranscodeRunner): boolean;
  offlineAfterMs: number;
}

export class ConsoleFeed {
  private readonly streams = new Set<Response>();
  private readonly dirty = new Map<string, { kind: Kind; key: string; deleted: boolean }>();
  private readonly sent = new Map<string, string>(); // kind:key → JSON of the last view sent
  private flushTimer: NodeJS.Timeout | undefined;
  private readonly tick: NodeJS.Timeout;
  private readonly heartbeat: NodeJS.Timeout;
  private readonly detach: (() => void)[] = [];

  constructor(
    private readonly store: Store,
    private readonly opts: FeedOptions,
    private readonly log: Logger,
  ) {
    this.watch(store.jobs, 'job');
    this.watch(store.clients, 'client');
    this.watch(store.runners, 'runner');
    this.watch(store.tokens, 'token');
    this.tick = setInterval(() => this.schedule(), RUNNER_TICK_MS).unref();
    this.heartbeat = setInterval(() => this.broadcast(': keep-alive\n\n'), HEARTBEAT_MS).unref();
  }

  private watch<T extends KubeObject>(informer: Informer<T>, kind: Kind): void {
    const mark = (obj: T, deleted: boolean) => {
      this.dirty.set(`${kind}:${keyOf(obj)}`, { kind, key: keyOf(obj), deleted });
      this.schedule();
    };
    const handler = { onUpsert: (obj: T) => mark(obj, false), onDelete: (obj: T) => mark(obj, true) };
    informer.addHandler(handler);
    this.detach.push(() => informer.removeHandler(handler));
  }

  private schedule(): void {
    if (this.flushTimer || this.streams.size === 0) return;
    this.flushTimer = setTimeout(() => this.flush(), FLUSH_MS);
    this.flushTimer.unref();
  }

  private runnerViews(now = Date.now()): RunnerView[] {
    const jobs = this.store.jobs.cache.list();
    return this.store.runners.cache
      .list()
      .map((r) => runnerView(r, jobs, this.opts.isConnected(r), this.opts.offlineAfterMs, now))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  private tokenViews(): TokenView[] {
    const runners = this.store.runners.cache.list();
    return this.store.tokens.cache
      .list()
      .map((s) => tokenView(s, runners))
      .sort((a, b) => String(a.createdAt).localeCompare(String(b.createdAt)));
  }

  snapshot(): Snapshot {
    return {
      jobs: this.store.jobs.cache
        .list()
        .map(jobView)
        .sort((a, b) => String(b.createdAt).localeCompare(String(a.createdAt)))
        .slice(0, SNAPSHOT_JOBS),
      runners: this.runnerViews(),
      clients: this.store.clients.cache
        .list()
        .map(clientView)
        .sort((a, b) => a.key.localeCompare(b.key)),
      tokens: this.tokenViews(),
    };
  }

  private flush(): void {
    this.flushTimer = undefined;
    const out: string[] = [];
    const send = (kind: Kind, view: { key: string }) => {
      const id = `${kind}:${view.key}`;
      const json = JSON.stringify(view);
      if (this.sent.get(id) === json) return;
      this.sent.set(id, json);
      out.push(`event: upsert\ndata: {"kind":"${kind}","view":${json}}\n\n`);
    };
    const remove = (kind: Kind, key: string) => {
      this.sent.delete(`${kind}:${key}`);
      out.push(`event: delete\ndata: ${JSON.stringify({ kind, key })}\n\n`);
    };
    for (const { kind, key, deleted } of this.dirty.values()) {
      if (kind === 'runner' || kind === 'token') {
        if (deleted) remove(kind, key);
        continue; // recomputed below
      }
      const obj = kind === 'job' ? this.store.jobs.cache.get(key) : this.store.clients.cache.get(key);
      if (deleted || !obj) remove(kind, key);
      else if (kind === 'job') send(kind, jobView(obj as Parameters<typeof jobView>[0]));
      else send(kind, clientView(obj as Parameters<typeof clientView>[0]));
    }
    this.dirty.clear();
    for (const v of this.runnerViews()) send('runner', v);
    for (const v of this.tokenViews()) send('token', v);
    if (out.length) this.broadcast(out.join(''));
  }

  private broadcast(chunk: string): void {
    for (const res of this.streams) res.write(chunk);
  }

  /** Serves one event stream until the client goes away. */
  subscribe(res: Response): void {
    res.status(200).set({
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.flushHeaders();
    // Bring the open streams up to now first: afterwards "sent" equals the current state, so the
    // snapshot below and the older streams agree on what the next changes are relative to.
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.streams.size) this.flush();
    else this.dirty.clear();
    const snap = this.snapshot();
    // Views in the snapshot count as sent, so the next flush only carries changes.
    for (const [kind, list] of [
      ['job', snap.jobs],
      ['runner', snap.runners],
      ['client', snap.clients],
      ['token', snap.tokens],
    ] as const)
      for (const v of list) this.sent.set(`${kind}:${v.key}`, JSON.stringify(v));
    res.write(`retry: 2000\nevent: snapshot\ndata: ${JSON.stringify(snap)}\n\n`);
    this.streams.add(res);
    this.log.debug({ streams: this.streams.size }, 'console stream opened');
    res.on('close', () => {
      this.streams.delete(res);
      if (this.streams.size === 0) this.sent.clear();
    });
  }

  close(): void {
    clearInterval(this.tick);
    clearInterval(this.heartbeat);
    if (this.flushTimer) clearTimeout(this.flushTimer);
    for (const d of this.detach) d();
    for (const res of this.streams) res.end();
    this.streams.clear();
  }
}
