// api-server settings from the environment (12-factor): one place that reads process.env, checks
// every value and fails fast at startup with a ConfigError naming the bad variable (lib/config/env.ts).
// Every variable is listed in api-server/README.md.
import { ConfigError, httpUrl, int, oneOf, str, type Env } from '../lib/config/env.js';

const DOWNLOAD_MODES = ['stream', 'redirect'] as const;
export type DownloadMode = (typeof DOWNLOAD_MODES)[number];

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

export { ConfigError };

/** A non-negative or positive integer with no practical upper bound. */
const atLeast = (env: Env, name: string, def: number, min: number): number => int(env, name, def, min, Number.MAX_SAFE_INTEGER);

function trustProxy(raw: string | undefined): boolean | number | string {
  if (raw === undefined || raw === '' || raw === 'false') return false;
  if (raw === 'true') return true;
  if (/^\d+$/.test(raw)) return Number(raw);
  return raw; // e.g. "loopback, 10.0.0.0/8" (express validates it at startup)
}

export function loadConfig(env: Env = process.env): ApiServerConfig {
  const port = int(env, 'CT_HTTP_PORT', 8080, 0, 65535);
  const adminToken = env['CT_ADMIN_TOKEN'] || undefined;
  if (adminToken !== undefined && adminToken.length < 16) throw new ConfigError('CT_ADMIN_TOKEN', 'must be at least 16 characters');
  const lastContactIntervalMs = atLeast(env, 'CT_LAST_CONTACT_INTERVAL_MS', 30_000, 0);
  return {
    namespace: env['CT_NAMESPACE'] ?? '',
    publicUrl: httpUrl(env, 'CT_PUBLIC_URL', `http://localhost:${port}`),
    host: env['CT_HTTP_HOST'] || '0.0.0.0',
    port,
    adminToken,
    maxUploadBytes: atLeast(env, 'CT_MAX_UPLOAD_BYTES', 20 * 1024 ** 3, 1),
    downloadMode: oneOf(env, 'CT_DOWNLOAD_MODE', DOWNLOAD_MODES, 'stream'),
    progressWriteIntervalMs: atLeast(env, 'CT_PROGRESS_WRITE_INTERVAL_MS', 5000, 0),
    lastContactIntervalMs,
    shutdownGraceMs: atLeast(env, 'CT_SHUTDOWN_GRACE_MS', 120_000, 0),
    videoThumbSize: str(env, 'CT_VIDEO_THUMB_SIZE', '640x360', {
      pattern: /^[0-9]{1,5}x[0-9]{1,5}$/,
      what: 'WxH, e.g. 640x360',
      emptyIsDefault: true,
    }),
    consoleOfflineAfterMs: atLeast(env, 'CT_CONSOLE_RUNNER_OFFLINE_MS', 2 * lastContactIntervalMs + 30_000, 1000),
    trustProxy: trustProxy(env['CT_TRUST_PROXY']),
  };
}
