// lib/peertube/routes.ts: the paths the runner and the planner build are the ones the server's
// patterns match (through a real express app), and the OpenAPI document lists the same routes.
import express from 'express';
import type { AddressInfo } from 'node:net';
import {
  ADMIN_ROUTES,
  RUNNER_API,
  RUNNER_ROUTES,
  inputFilePath,
  isInputFilePath,
  openApiPath,
  runnerPath,
  studioTaskFilePath,
} from '../../../lib/peertube/routes.js';
import { openApiDocument } from '../../../api-server/openapi.js';

const params = {
  jobUUID: '0f8fad5b-d9cb-469f-a165-70867728950e',
  videoId: 'a8098c1a-f86e-11da-bd1a-00112444be1e',
  filename: 'intro #1 ü.mp4',
};

test('every runner route built by runnerPath reaches its own express pattern with the same parameters', async () => {
  const app = express();
  for (const [name, pattern] of Object.entries(RUNNER_ROUTES)) {
    app.post(RUNNER_API + pattern, (req, res) => void res.json({ name, params: req.params }));
  }
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    for (const [name, pattern] of Object.entries(RUNNER_ROUTES)) {
      const used = Object.fromEntries(Object.entries(params).filter(([k]) => pattern.includes(`:${k}`)));
      const res = await fetch(base + runnerPath(pattern, params as never), { method: 'POST' });
      expect({ status: res.status, body: await res.json() }).toEqual({ status: 200, body: { name, params: used } });
    }
  } finally {
    server.close();
  }
});

test('runnerPath encodes parameters and refuses a missing one', () => {
  expect(runnerPath(RUNNER_ROUTES.accept, { jobUUID: 'a/b' })).toBe('/api/v1/runners/jobs/a%2Fb/accept');
  expect(() => runnerPath(RUNNER_ROUTES.accept, {} as never)).toThrow(/missing parameter jobUUID/);
});

test('stored input paths are recognised as such (the server makes them absolute)', () => {
  const video = inputFilePath(params.jobUUID, params.videoId, 'videoFile');
  expect(video).toBe(`/api/v1/runners/jobs/${params.jobUUID}/files/videos/${params.videoId}/max-quality`);
  expect(inputFilePath('t', 'v', 'audioFile')).toBe('/api/v1/runners/jobs/t/files/videos/v/max-quality/audio');
  expect(inputFilePath('t', 'v', 'previewFile')).toBe('/api/v1/runners/jobs/t/files/videos/v/previews/max-quality');
  expect(studioTaskFilePath('t', 'v', 'a b.png')).toBe('/api/v1/runners/jobs/t/files/videos/v/studio/task-files/a%20b.png');
  expect(isInputFilePath(video)).toBe(true);
  expect(isInputFilePath('/other/path')).toBe(false);
});

test('the OpenAPI document lists every runner and admin route in {param} form', () => {
  const paths = Object.keys((openApiDocument() as { paths: Record<string, unknown> }).paths);
  const documented = Object.entries({ ...RUNNER_ROUTES, ...ADMIN_ROUTES })
    .filter(([name]) => name !== 'thumbnailFile') // an alias of previewFile, not listed separately
    .map(([, pattern]) => openApiPath(pattern));
  expect(documented).toContain('/api/v1/runners/jobs/{jobUUID}/files/videos/{videoId}/studio/task-files/{filename}');
  expect(documented).toContain('/api/v1/runners');
  for (const p of documented) expect(paths).toContain(p);
});
