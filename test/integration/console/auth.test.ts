// Console access: only the admin token opens it. Every console route and the event stream answer
// 401 without it — including to a client's valid video-API key — and the session cookie the login
// form sets cannot be forged or used for cross-origin writes.
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { CoreV1Api } from '@kubernetes/client-node';
import { startStack, readyClient, type Stack } from '../../helpers/stack.js';

let stack: Stack;
let base: string;
const apiKey = randomBytes(16).toString('hex');

beforeAll(async () => {
  stack = await startStack('console-auth');
  base = stack.components.apiUrl;
  await stack.kc
    .makeApiClient(CoreV1Api)
    .createNamespacedSecret({ namespace: stack.ns, body: { metadata: { name: 'keyed-api' }, stringData: { apiKey } } });
  await readyClient(stack, 'keyed', { apiKeySecretRef: { name: 'keyed-api' } });
});

afterAll(async () => {
  await stack?.components.stop();
});

const ROUTES: [string, string][] = [
  ['GET', '/console'],
  ['GET', '/console/'],
  ['GET', '/console/assets/app.js'],
  ['GET', '/console/assets/vendor/hls.light.min.js'],
  ['GET', '/console/api/events'],
  ['GET', '/console/api/jobs/ns/name'],
  ['GET', '/console/api/jobs/ns/name/files/0/a/master.m3u8'],
  ['POST', '/console/api/tokens'],
  ['DELETE', '/console/api/tokens/ns/id'],
  ['POST', '/console/logout'],
  ['GET', '/console/no-such-page'],
];

async function status(method: string, path: string, headers: Record<string, string> = {}): Promise<number> {
  const res = await fetch(`${base}${path}`, { method, headers, redirect: 'manual', signal: AbortSignal.timeout(10_000) });
  await res.body?.cancel();
  return res.status;
}

async function login(token: string): Promise<Response> {
  return fetch(`${base}/console/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token }),
    redirect: 'manual',
  });
}

test('without credentials, with a client API key, or with a wrong token: 401 on every route and the stream', async () => {
  // The key is a valid client key: the video API accepts it (404 for an unknown video, not 401).
  expect(await status('GET', '/api/v1/videos/00000000-0000-4000-8000-000000000000', { 'X-Api-Key': apiKey })).toBe(404);
  const attempts: Record<string, string>[] = [
    {},
    { Authorization: `Bearer ${apiKey}` },
    { 'X-Api-Key': apiKey },
    { Cookie: `ct_console=${apiKey}` },
    { Authorization: 'Bearer not-the-admin-token' },
  ];
  for (const headers of attempts)
    for (const [method, path] of ROUTES)
      expect(`${method} ${path} ${JSON.stringify(headers)} → ${await status(method, path, headers)}`).toBe(
        `${method} ${path} ${JSON.stringify(headers)} → 401`,
      );
});

test('the 401 page is the login form; a wrong token is refused with 401, the admin token gets a session', async () => {
  const page = await fetch(`${base}/console/`, { headers: { Accept: 'text/html' } });
  expect(page.status).toBe(401);
  const html = await page.text();
  expect(html).toContain('<form method="post" action="/console/login">');
  expect(html).toContain('<label for="token">Admin token</label>');

  const wrong = await login(apiKey);
  expect(wrong.status).toBe(401);
  expect(wrong.headers.get('set-cookie')).toBeNull();

  const ok = await login(stack.components.adminToken);
  expect(ok.status).toBe(303);
  expect(ok.headers.get('location')).toBe('/console/');
  const cookie = ok.headers.get('set-cookie')!;
  expect(cookie).toMatch(/^ct_console=\d+\.[A-Za-z0-9_-]{43}; /);
  expect(cookie).toMatch(/HttpOnly/);
  expect(cookie).toMatch(/SameSite=Strict/);
  const session = cookie.split(';')[0]!;
  expect(await status('GET', '/console/', { Cookie: session })).toBe(200);
  expect(await status('GET', '/console/assets/vendor/hls.light.min.js', { Cookie: session })).toBe(200);
  expect(await status('GET', '/console/api/jobs/ns/none', { Cookie: session })).toBe(404);

  // The stream opens with a snapshot that lists the client.
  const stream = await fetch(`${base}/console/api/events`, { headers: { Cookie: session } });
  expect(stream.status).toBe(200);
  expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const reader = stream.body!.getReader();
  let text = '';
  while (!text.includes('\n\n')) text += new TextDecoder().decode((await reader.read()).value);
  await reader.cancel();
  expect(text).toMatch(/event: snapshot\ndata: \{/);
  const snap = JSON.parse(text.slice(text.indexOf('data: ') + 6, text.indexOf('\n\n', text.indexOf('data: '))));
  expect(snap.clients.map((c: { name: string }) => c.name)).toContain('keyed');

  // A forged or tampered session is refused.
  const [value] = session.split('=').slice(1);
  const [exp, mac] = value!.split('.');
  expect(await status('GET', '/console/', { Cookie: `ct_console=${Number(exp) + 1000}.${mac}` })).toBe(401);
  expect(await status('GET', '/console/', { Cookie: `ct_console=${exp}.${'A'.repeat(43)}` })).toBe(401);

  // Cookie-authenticated writes must come from the console's own origin.
  expect(await status('POST', '/console/api/tokens', { Cookie: session, 'Content-Type': 'application/json' })).toBe(403);
  expect(
    await status('POST', '/console/api/tokens', { Cookie: session, 'Content-Type': 'application/json', Origin: 'http://evil.example' }),
  ).toBe(403);
  const created = await fetch(`${base}/console/api/tokens`, {
    method: 'POST',
    headers: { Cookie: session, 'Content-Type': 'application/json', Origin: base },
    body: '{}',
  });
  expect(created.status).toBe(201);
  const token = (await created.json()) as { id: string; namespace: string; registrationToken: string };
  expect(token.registrationToken).toMatch(/^ptrrt-/);
  expect(token.namespace).toBe(stack.ns);
  // Scripts may use the admin token as a bearer instead of the cookie.
  expect(
    await status('DELETE', `/console/api/tokens/${token.namespace}/${token.id}`, {
      Authorization: `Bearer ${stack.components.adminToken}`,
    }),
  ).toBe(204);
  expect(
    await status('DELETE', `/console/api/tokens/${token.namespace}/${token.id}`, {
      Authorization: `Bearer ${stack.components.adminToken}`,
    }),
  ).toBe(404);
});

test('SIGTERM with a console stream open: the stream ends and the api-server exits at once (no grace wait)', async () => {
  const server = await stack.components.startApiServer('api-console-stop', { CT_SHUTDOWN_GRACE_MS: '60000' });
  const stream = await fetch(`${server.url}/console/api/events`, { headers: { Authorization: `Bearer ${stack.components.adminToken}` } });
  expect(stream.status).toBe(200);
  const reader = stream.body!.getReader();
  await reader.read(); // the snapshot
  const pid = Number(execFileSync('pgrep', ['-P', String(server.proc.pid), '-f', 'api-server/main.js'], { encoding: 'utf8' }).trim());
  const t0 = Date.now();
  process.kill(pid, 'SIGTERM');
  for (;;) if ((await reader.read()).done) break; // the server ended the stream
  expect(await server.proc.exited).toBe(0);
  expect(Date.now() - t0).toBeLessThan(20_000); // far below the 60 s grace an open stream would hold it for
});
