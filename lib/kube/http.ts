// HTTP plumbing to the apiserver, shared by every process that talks to it (operator, api-server).
//
// @kubernetes/client-node 1.4 builds a brand-new https.Agent for every request (config.js createAgent),
// so connections are never reused and long-running processes churn sockets (kubernetes-client/javascript
// #2127, #1933). We memoize that agent per cluster with keep-alive, and run list/watch requests over
// plain node:https with the same agent so we control timeouts, aborts and 410 handling ourselves
// (the library's Watch/ListWatch stop for good on errors, #2893).
import http from 'node:http';
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';

const patched = new WeakSet<KubeConfig>();

interface AgentFactory {
  createAgent(cluster: { server?: string } | null, agentOptions: https.AgentOptions): http.Agent;
}

/** Makes every API client derived from `kc` reuse one keep-alive agent per cluster. Idempotent. */
export function shareAgent(kc: KubeConfig): void {
  if (patched.has(kc)) return;
  patched.add(kc);
  const target = kc as unknown as AgentFactory;
  const original = target.createAgent.bind(kc);
  const agents = new Map<string, http.Agent>();
  target.createAgent = (cluster, agentOptions) => {
    const key = cluster?.server ?? '';
    let agent = agents.get(key);
    if (!agent) {
      agent = original(cluster, { ...agentOptions, keepAlive: true, maxSockets: 64, maxFreeSockets: 8, timeout: 0 } as https.AgentOptions);
      agents.set(key, agent);
    }
    return agent;
  };
}

export class KubeHttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly body: string,
    what: string,
  ) {
    super(`${what}: HTTP ${statusCode}: ${body.slice(0, 500)}`);
    this.name = 'KubeHttpError';
  }
  get code(): number {
    return this.statusCode;
  }
}

async function requestOptions(kc: KubeConfig, path: string): Promise<{ url: URL; options: https.RequestOptions }> {
  shareAgent(kc);
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new Error('kubeconfig has no current cluster');
  const url = new URL(cluster.server.replace(/\/+$/, '') + path);
  const options: https.RequestOptions = {};
  await kc.applyToHTTPSOptions(options);
  return { url, options };
}

/** GET returning parsed JSON; throws KubeHttpError on non-2xx. */
export async function getJson<T>(kc: KubeConfig, path: string, signal?: AbortSignal, timeoutMs = 60_000): Promise<T> {
  const { url, options } = await requestOptions(kc, path);
  const mod = url.protocol === 'https:' ? https : http;
  return new Promise<T>((resolve, reject) => {
    const req = mod.request(
      url,
      { ...options, method: 'GET', headers: { ...options.headers, Accept: 'application/json' }, signal },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          if ((res.statusCode ?? 0) >= 300) return reject(new KubeHttpError(res.statusCode ?? 0, body, `GET ${path}`));
          try {
            resolve(JSON.parse(body) as T);
          } catch (err) {
            reject(new Error(`GET ${path}: invalid JSON: ${String(err)}`));
          }
        });
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`GET ${path}: no response within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

export interface WatchEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: Record<string, unknown>;
}

/**
 * Streams a watch until the server ends it, the connection breaks, `idleMs` passes without any byte
 * (a half-open TCP connection after an apiserver crash would otherwise hang forever), or `signal` aborts.
 * Resolves on a clean end; rejects with KubeHttpError for an HTTP error status.
 */
export async function streamWatch(
  kc: KubeConfig,
  path: string,
  onEvent: (e: WatchEvent) => void,
  signal: AbortSignal,
  idleMs: number,
): Promise<void> {
  const { url, options } = await requestOptions(kc, path);
  const mod = url.protocol === 'https:' ? https : http;
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const finish = (err?: Error) => {
      if (settled) return;
      settled = true;
      if (err) reject(err);
      else resolve();
    };
    const req = mod.request(
      url,
      { ...options, method: 'GET', headers: { ...options.headers, Accept: 'application/json' }, signal },
      (res) => {
        if ((res.statusCode ?? 0) !== 200) {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => finish(new KubeHttpError(res.statusCode ?? 0, Buffer.concat(chunks).toString('utf8'), `WATCH ${path}`)));
          res.on('error', finish);
          return;
        }
        let buffered = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffered += chunk;
          let nl: number;
          while ((nl = buffered.indexOf('\n')) >= 0) {
            const line = buffered.slice(0, nl).trim();
            buffered = buffered.slice(nl + 1);
            if (!line) continue;
            let event: WatchEvent;
            try {
              event = JSON.parse(line) as WatchEvent;
            } catch (err) {
              req.destroy(new Error(`WATCH ${path}: invalid JSON line: ${String(err)}`));
              return;
            }
            onEvent(event);
          }
        });
        res.on('end', () => finish());
        res.on('close', () => finish());
        res.on('error', (err) => finish(err));
      },
    );
    // Socket idle timeout: the server sends bookmarks/events regularly; silence means a dead peer.
    req.setTimeout(idleMs, () => req.destroy(new Error(`WATCH ${path}: no data for ${idleMs} ms`)));
    req.on('error', (err) => finish(signal.aborted ? undefined : err));
    req.end();
  });
}
