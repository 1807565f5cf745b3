// moto in server mode: real SQS, S3 and SWF APIs on a loopback port, reached through the normal
// @aws-sdk clients with an endpoint override (the same code path as real AWS).
import { join } from 'node:path';
import { MOTO_BIN, requireTool } from './paths.js';
import { spawnManaged, freePort, waitFor, type ManagedProcess } from './process.js';

export interface Moto {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  process: ManagedProcess;
  /** Wipes all state (moto's reset API), for test isolation. */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

export async function startMoto(opts: { dir: string; parentPid?: number; port?: number }): Promise<Moto> {
  const bin = requireTool(MOTO_BIN, 'moto_server');
  const port = opts.port ?? (await freePort());
  const proc = spawnManaged('moto', bin, ['-H', '127.0.0.1', '-p', String(port)], {
    logFile: join(opts.dir, 'moto.log'),
    parentPid: opts.parentPid,
    env: { ...process.env, MOTO_ALLOW_NONEXISTENT_REGION: 'true' },
  });
  const endpoint = `http://127.0.0.1:${port}`;
  await waitFor(
    'moto',
    async () => {
      if (proc.child.exitCode !== null) throw new Error(`moto exited; see ${proc.logFile}`);
      const res = await fetch(`${endpoint}/moto-api/data.json`).catch(() => undefined);
      return res?.ok ? true : undefined;
    },
    60_000,
  );
  return {
    endpoint,
    region: 'us-east-1',
    accessKeyId: 'testing',
    secretAccessKey: 'testing',
    process: proc,
    async reset() {
      const res = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
      if (!res.ok) throw new Error(`moto reset failed: ${res.status}`);
    },
    stop: () => proc.stop(),
  };
}
