// Benchmark: api-server RSS growth per 1,000 connected runner sockets (Socket.IO, websocket).
import { io, type Socket } from 'socket.io-client';
import { apiHeapUsedBytes, apiRssBytes, registerRunners, startBenchEnv } from './api-common.js';

const SOCKETS = Number(process.env['BENCH_SOCKETS'] ?? 1000);

const b = await startBenchEnv();
const sockets: Socket[] = [];
try {
  const runners = await registerRunners(b, 10);
  await new Promise((r) => setTimeout(r, 2000));
  const before = await apiRssBytes(b.url);
  const heapBefore = await apiHeapUsedBytes(b.url);
  for (let i = 0; i < SOCKETS; i += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, SOCKETS - i) }, () => {
        const s = io(`${b.url}/runners`, {
          auth: { runnerToken: runners[i % runners.length] },
          transports: ['websocket'],
          reconnection: false,
        });
        sockets.push(s);
        return new Promise<void>((resolve, reject) => {
          s.once('connect', () => resolve());
          s.once('connect_error', reject);
        });
      }),
    );
  }
  await new Promise((r) => setTimeout(r, 3000));
  const after = await apiRssBytes(b.url);
  const heapAfter = await apiHeapUsedBytes(b.url);
  const metrics = await (await fetch(`${b.url}/metrics`)).text();
  const connected = Number(/^ct_api_connected_runner_sockets (\d+)/m.exec(metrics)?.[1]);
  console.log(
    JSON.stringify({
      bench: 'sockets',
      sockets: SOCKETS,
      connectedSeenByServer: connected,
      rssBeforeMiB: +(before / 2 ** 20).toFixed(1),
      rssAfterMiB: +(after / 2 ** 20).toFixed(1),
      heapUsedPer1000SocketsMiB: +(((heapAfter - heapBefore) / 2 ** 20) * (1000 / SOCKETS)).toFixed(1),
      rssPer1000SocketsMiB: +(((after - before) / 2 ** 20) * (1000 / SOCKETS)).toFixed(1),
    }),
  );
} finally {
  for (const s of sockets) s.close();
  await b.stop();
}
