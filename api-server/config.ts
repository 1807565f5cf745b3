// api-server settings from the environment (12-factor): one place that reads process.env, checks
// every value and fails fast at startup with a message naming the bad variable.
export type DownloadMode = 'stream' | 'redirect';

export interface ApiServerConfig {
  /** Namespace to serve; '' = all namespaces. */
  namespace: string;
  /** Absolute base URL runners reach us at (payload input URLs are built from it), no trailing slash. */
  publicUrl: string;
  host: string;
  port: number;
  /** Bearer token of the admin endpoints; undefined disables them. */
  adminToken: string | undefined;
  /** Largest accepted upload (video API and runner success files), bytes. */
  maxUploadBytes: number;
  /** Input downloads: stream from S3 through us, or 302 to a presigned URL. */
  downloadMode: DownloadMode;
  /** At most one progress write per task per this interval (coalescing). */
  progressWriteIntervalMs: number;
  /** Runner lastContact is refreshed at most this often (PeerTube: 30 s). */
  lastContactIntervalMs: number;
  /** How long shutdown waits for in-flight requests (uploads) before closing them. */
  shutdownGraceMs: number;
  /** Size of the THUMB output the video API asks for. */
  videoThumbSize: string;
  /** Console: a runner is shown offline when it has not called for this long (and has no socket here). */
  consoleOfflineAfterMs: number;
  /** express `trust proxy` (runner IPs behind an Ingress): false, true, a hop count or a subnet list. */
  trustProxy: boolean | number | string;
}

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

function int(env: NodeJS.ProcessEnv, name: string, def: number, min: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new ConfigError(`${name} must be an integer >= ${min}, got ${JSON.stringify(raw)}`);
  return n;
}

function trustProxy(raw: string | undefined): boolean | number | string {
  if (raw === undefined || raw === '' || raw === 'false') return false;
  if (raw === 'true') return true;
  if (/^\d+$/.test(raw)) return Number(raw);
  return raw; // e.g. "loopback, 10.0.0.0/8" (express validates it at startup)
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): ApiServerConfig {
  const port = int(env, 'CT_HTTP_PORT', 8080, 0);
  const publicRaw = env['CT_PUBLIC_URL'] || `http://localhost:${port}`;
  let publicUrl: URL;
  try {
    publicUrl = new URL(publicRaw);
  } catch {
    throw new ConfigError(`CT_PUBLIC_URL must be an absolute http(s) URL, got ${JSON.stringify(publicRaw)}`);
  }
  if (publicUrl.protocol !== 'http:' && publicUrl.protocol !== 'https:') {
    throw new ConfigError(`CT_PUBLIC_URL must start with http:// or https://, got ${JSON.stringify(publicRaw)}`);
  }
  if (publicUrl.search || publicUrl.hash) throw new ConfigError('CT_PUBLIC_URL must not have a query string or fragment');
  const mode = env['CT_DOWNLOAD_MODE'] || 'stream';
  if (mode !== 'stream' && mode !== 'redirect')
    throw new ConfigError(`CT_DOWNLOAD_MODE must be "stream" or "redirect", got ${JSON.stringify(mode)}`);
  const thumb = env['CT_VIDEO_THUMB_SIZE'] || '640x360';
  if (!/^[0-9]{1,5}x[0-9]{1,5}$/.test(thumb)) throw new ConfigError(`CT_VIDEO_THUMB_SIZE must be WxH, got ${JSON.stringify(thumb)}`);
  const adminToken = env['CT_ADMIN_TOKEN'];
  if (adminToken !== undefined && adminToken !== '' && adminToken.length < 16) {
    throw new ConfigError('CT_ADMIN_TOKEN must be at least 16 characters');
  }
  return {
    namespace: env['CT_NAMESPACE'] ?? '',
    publicUrl: publicUrl.toString().replace(/\/+$/, ''),
    host: env['CT_HTTP_HOST'] || '0.0.0.0',
    port,
    adminToken: adminToken || undefined,
    maxUploadBytes: int(env, 'CT_MAX_UPLOAD_BYTES', 20 * 1024 ** 3, 1),
    downloadMode: mode,
    progressWriteIntervalMs: int(env, 'CT_PROGRESS_WRITE_INTERVAL_MS', 5000, 0),
    lastContactIntervalMs: int(env, 'CT_LAST_CONTACT_INTERVAL_MS', 30_000, 0),
    shutdownGraceMs: int(env, 'CT_SHUTDOWN_GRACE_MS', 120_000, 0),
    videoThumbSize: thumb,
    consoleOfflineAfterMs: int(env, 'CT_CONSOLE_RUNNER_OFFLINE_MS', 2 * int(env, 'CT_LAST_CONTACT_INTERVAL_MS', 30_000, 0) + 30_000, 1000),
    trustProxy: trustProxy(env['CT_TRUST_PROXY']),
  };
}
