// Baselines of the api-request benchmark, run as their own process like the api-server: answer
// POST /api/v1/runners/jobs/request with fixed bytes (the api-server's own answer, captured by the
// benchmark). `express`: the smallest express app that does what a JSON route must (express.json()
// body parsing, a router match, res.send); `node`: node:http reading the body and writing the bytes.
//   node dist/bench/support/bare-http.js express|node <port> <response-file>
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import express from 'express';

const [kind, portArg, file] = process.argv.slice(2);
if ((kind !== 'express' && kind !== 'node') || !portArg || !file) {
  process.stderr.write('usage: bare-http.js express|node <port> <response-file>\n');
  process.exit(2);
}
const port = Number(portArg);
const body = readFileSync(file);
const PATH = '/api/v1/runners/jobs/request';

if (kind === 'express') {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(express.json({ limit: '1mb' }));
  app.post(PATH, (_req, res) => void res.type('application/json').send(body));
  app.listen(port, '127.0.0.1', () => process.stdout.write('ready\n'));
} else {
  createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== PATH) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length });
      res.end(body);
    });
  }).listen(port, '127.0.0.1', () => process.stdout.write('ready\n'));
}
