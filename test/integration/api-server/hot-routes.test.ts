// The hot runner routes (api-server/hot-routes.ts) against a real api-server process: a request the
// hot path serves (JSON body with a Content-Length) gets exactly the answer express gives to the
// same request sent chunked (which falls through to express), for good and bad input alike; the
// pre-serialized page follows the cache; concurrent first calls of a runner write its status once;
// the event-loop lag histogram is exported.
import { waitFor } from '../../env/process.js';
import { GROUP, VERSION } from '../../../lib/kube/resources.js';
import {
  TestRunner,
  createBucket,
  createJobWithTasks,
  createNamespace,
  createRegistrationSecret,
  objects,
  send,
  startApiServer,
  type ApiServerProcess,
} from './harness.js';

let ns: string;
let server: ApiServerProcess;
let regToken: string;
let inBucket: string;
let outBucket: string;

beforeAll(async () => {
  ns = await createNamespace('api-hot');
  [inBucket, outBucket] = await Promise.all([createBucket('in'), createBucket('out')]);
  regToken = (await createRegistrationSecret(ns)).token;
  server = await startApiServer(ns);
});

afterAll(async () => {
  await server?.stop();
});

async function registered(): Promise<TestRunner> {
  const r = new TestRunner(server.url);
  expect((await r.register(regToken)).status).toBe(200);
  return r;
}

async function metric(name: string): Promise<number> {
  const text = (await send(`${server.url}/metrics`, {})).body as string;
  let n = 0;
  for (const m of text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\d+)$`, 'gm'))) n += Number(m[1]);
  return n;
}

interface Raw {
  status: number;
  contentType: string | null;
  length: string | null;
  body: string;
}

/** POSTs `body` as is: with a Content-Length (hot path) or chunked (express). */
async function post(path: string, body: string, contentType: string, chunked: boolean): Promise<Raw> {
  const init: RequestInit & { duplex?: 'half' } = chunked
    ? {
        body: new ReadableStream({
          start(c) {
            c.enqueue(new TextEncoder().encode(body));
            c.close();
          },
        }),
        duplex: 'half',
      }
    : { body };
  const res = await fetch(`${server.url}/api/v1/runners${path}`, { method: 'POST', headers: { 'content-type': contentType }, ...init });
  const text = await res.text();
  return { status: res.status, contentType: res.headers.get('content-type'), length: res.headers.get('content-length'), body: text };
}

test('every kind of jobs/request and accept gets the same answer from the hot path as from express', async () => {
  const r = await registered();
  const job = await createJobWithTasks(
    ns,
    [{ priority: 1 }, { priority: 2, type: 'ct-thumbnails', payload: { input: {}, output: {} } }, { priority: 3, state: 2 }],
    inBucket,
    outBucket,
  );
  const [pending, , processing] = job.status!.tasks!;
  await waitFor('task listed', async () =>
    (await r.request()).body.availableJobs?.some((j: any) => j.uuid === pending!.uuid) ? true : undefined,
  );
  const token = JSON.stringify({ runnerToken: r.runnerToken });
  const cases: { what: string; path: string; body: string; type?: string; status: number }[] = [
    { what: 'official runner', path: '/jobs/request', body: token, status: 200 },
    {
      what: 'named types',
      path: '/jobs/request',
      body: JSON.stringify({ runnerToken: r.runnerToken, jobTypes: ['ct-thumbnails'] }),
      status: 200,
    },
    { what: 'charset utf-8', path: '/jobs/request', body: token, type: 'application/json; charset=utf-8', status: 200 },
    { what: 'BOM', path: '/jobs/request', body: `\ufeff${token}`, status: 200 },
    { what: 'unknown token', path: '/jobs/request', body: JSON.stringify({ runnerToken: 'ptrt-nobody' }), status: 404 },
    { what: 'malformed JSON', path: '/jobs/request', body: '{"runnerToken": ', status: 400 },
    { what: 'a JSON string', path: '/jobs/request', body: '"ptrt-x"', status: 400 },
    { what: 'bad jobTypes', path: '/jobs/request', body: JSON.stringify({ runnerToken: r.runnerToken, jobTypes: 5 }), status: 400 },
    { what: 'extra field', path: '/jobs/request', body: JSON.stringify({ runnerToken: r.runnerToken, x: 1 }), status: 200 },
    { what: 'accept unknown task', path: '/jobs/00000000-0000-4000-8000-000000000009/accept', body: token, status: 404 },
    { what: 'accept bad token', path: `/jobs/${pending!.uuid}/accept`, body: JSON.stringify({ runnerToken: 'ptrt-x' }), status: 404 },
    { what: 'accept not pending', path: `/jobs/${processing!.uuid}/accept`, body: token, status: 409 },
    { what: 'accept no token', path: `/jobs/${pending!.uuid}/accept`, body: '{}', status: 400 },
  ];
  for (const c of cases) {
    const before = await metric('ct_api_hot_route_requests_total');
    const hot = await post(c.path, c.body, c.type ?? 'application/json', false);
    const between = await metric('ct_api_hot_route_requests_total');
    const viaExpress = await post(c.path, c.body, c.type ?? 'application/json', true);
    const after = await metric('ct_api_hot_route_requests_total');
    expect({ what: c.what, ...hot }).toEqual({ what: c.what, ...viaExpress });
    expect({ what: c.what, status: hot.status }).toEqual({ what: c.what, status: c.status });
    // Only the Content-Length half took the hot path.
    expect({ what: c.what, hot: between - before, express: after - between }).toEqual({ what: c.what, hot: 1, express: 0 });
  }
  // An empty body is {} to express.json() (fetch sends it with Content-Length: 0 even from a stream).
  const empty = await post('/jobs/request', '', 'application/json', false);
  expect(empty.status).toBe(400);
  expect(JSON.parse(empty.body)['invalid-params']).toEqual([expect.stringContaining('runnerToken')]);
  // A type the cache has no pending task of: an empty page, the same bytes both ways.
  const none = JSON.stringify({ runnerToken: r.runnerToken, jobTypes: ['no-such-type'] });
  expect((await post('/jobs/request', none, 'application/json', false)).body).toBe('{"availableJobs":[]}');
});

test('the pre-serialized page follows the cache: an accepted task leaves it, a new pending task joins it', async () => {
  const r = await registered();
  const job = await createJobWithTasks(ns, [{ priority: 0 }], inBucket, outBucket);
  const task = job.status!.tasks![0]!;
  const listed = async () => ((await r.request()).body.availableJobs as { uuid: string }[]).some((j) => j.uuid === task.uuid);
  await waitFor('task listed', async () => ((await listed()) ? true : undefined));
  await r.acceptOk(task.uuid);
  // The accepting replica feeds its own write back: the very next page no longer lists the task.
  expect(await listed()).toBe(false);
  const next = await createJobWithTasks(ns, [{ priority: 0 }], inBucket, outBucket);
  await waitFor('new task listed', async () =>
    ((await r.request()).body.availableJobs as { uuid: string }[]).some((j) => j.uuid === next.status!.tasks![0]!.uuid) ? true : undefined,
  );
});

test('concurrent first calls of a runner write its status (lastContact, jobTypes) once, not once per call', async () => {
  const r = await registered();
  const before = await metric('ct_api_runner_contact_writes_total');
  const replies = await Promise.all(Array.from({ length: 30 }, () => r.request(['vod-web-video-transcoding'])));
  expect(replies.every((x) => x.status === 200)).toBe(true);
  await waitFor('the write is done', async () => ((await metric('ct_api_runner_contact_writes_total')) > before ? true : undefined));
  await new Promise((res) => setTimeout(res, 1000)); // any duplicate would have finished by now
  expect((await metric('ct_api_runner_contact_writes_total')) - before).toBe(1);
  // The hot path hands the write express's idea of the client address (trust proxy off: the peer).
  const list = (await objects.listNamespacedCustomObject({
    group: GROUP,
    version: VERSION,
    namespace: ns,
    plural: 'transcoderunners',
  })) as {
    items: { spec: { runnerName: string }; status?: { ip?: string; jobTypes?: string[] } }[];
  };
  const status = list.items.find((x) => x.spec.runnerName === r.name)?.status;
  expect(status).toMatchObject({ ip: expect.stringMatching(/127\.0\.0\.1$/), jobTypes: ['vod-web-video-transcoding'] });
  // New types are news: written at once.
  await r.request(['ct-thumbnails']);
  await waitFor('types rewritten', async () => ((await metric('ct_api_runner_contact_writes_total')) - before === 2 ? true : undefined));
});

test('the event-loop lag histogram is exported', async () => {
  await waitFor('lag samples', async () => ((await metric('ct_api_event_loop_lag_seconds_count')) > 5 ? true : undefined), 10_000);
  const text = (await send(`${server.url}/metrics`, {})).body as string;
  expect(text).toMatch(/^ct_api_event_loop_lag_seconds_bucket\{le="0\.01"\} \d+$/m);
});
