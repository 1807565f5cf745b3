// available-jobs pings (api-server/socket.ts) over a real Socket.IO server and client: the first new
// task is told at once, a burst behind it is debounced, and a task that appears once the runners have
// taken everything they were told about is told at once again — not a second later.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { io as connect, type Socket } from 'socket.io-client';
import { RunnerSockets } from '../../../api-server/socket.js';
import type { RunnerAuth } from '../../../api-server/runners/auth.js';
import type { TranscodeRunner } from '../../../lib/schema/transcode-runner.js';
import { createLogger } from '../../../lib/log.js';
import { SOCKET } from '../../../lib/peertube/routes.js';

let server: Server;
let sockets: RunnerSockets;
let client: Socket;
let pending: string[] = [];
const pings: number[] = [];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function pingCount(n: number, timeoutMs = 3000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (pings.length < n) {
    if (Date.now() > end) throw new Error(`expected ${n} pings, got ${pings.length}`);
    await sleep(5);
  }
}

beforeAll(async () => {
  server = createServer();
  const runner = { metadata: { name: 'r1', namespace: 'ns' } } as TranscodeRunner;
  // The token check is not what is tested here: every token is runner r1.
  const auth = { findRunner: () => Promise.resolve(runner) } as unknown as RunnerAuth;
  sockets = new RunnerSockets(server, auth, createLogger('test'), () => pending.map((uuid) => ({ task: { uuid } })));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  client = connect(`http://127.0.0.1:${port}${SOCKET.namespace}`, { auth: { runnerToken: 'any' }, transports: ['websocket'] });
  client.on(SOCKET.availableJobs, () => pings.push(Date.now()));
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve());
    client.once('connect_error', reject);
  });
});

afterAll(async () => {
  client?.close();
  sockets?.close();
  await new Promise((r) => sockets.io.close(() => r(undefined)));
});

test('first task at once; burst debounced; a task after the queue drained at once', async () => {
  pending = ['a'];
  const t0 = Date.now();
  sockets.availableJobs();
  await pingCount(1);
  expect(pings[0]! - t0).toBeLessThan(500);

  // Task b arrives while a (told) is still pending: a burst, debounced to the trailing ping.
  pending = ['a', 'b'];
  sockets.availableJobs();
  await sleep(300);
  expect(pings).toHaveLength(1);

  // The runners took a and b; task c is all news: told now, without waiting for the second to end.
  pending = ['c'];
  const t2 = Date.now();
  sockets.availableJobs();
  await pingCount(2);
  expect(pings[1]! - t2).toBeLessThan(300);
  expect(pings[1]! - pings[0]!).toBeLessThan(900);

  // c is still pending when d comes: debounced again, one trailing ping about a second after c's.
  pending = ['c', 'd'];
  sockets.availableJobs();
  await sleep(300);
  expect(pings).toHaveLength(2);
  await pingCount(3, 3000);
  expect(pings[2]! - pings[1]!).toBeGreaterThanOrEqual(900);
  await sleep(1300);
  expect(pings).toHaveLength(3);
});
