// Ingest on every operator replica: two real operator processes against the real apiserver and moto.
// Both poll the clients' input queues (each counts what it handled on /metrics), every START_JOB —
// also one sent twice — becomes exactly one TranscodeJob with exactly one end message, and only the
// leader reconciles jobs.
import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { awsClients, readyz, startOperator, type Operator } from '../client/operator.js';
import { setUp, createClient, collect, drain, jobsOfClient, queueDepth, sampleJob, type Harness, type TestClient } from './harness.js';
import { waitFor } from '../../env/process.js';
import { epochSeconds } from '../../../lib/ct/messages.js';

let h: Harness;
let second: Operator | undefined;
let clients: TestClient[];

beforeAll(async () => {
  h = await setUp('sqs-rep');
  await waitFor('first operator leads', async () => ((await readyz(h.op)).leader ? true : undefined), 30_000, 200);
  second = await startOperator(h.info, `${h.ns}-b`, h.env);
  clients = await Promise.all(['rep-a', 'rep-b', 'rep-c'].map((n) => createClient(h, n)));
}, 180_000);

afterAll(async () => {
  await second?.proc.stop();
  await h?.stop();
});

/** Sum of a counter's samples whose labels contain `match` ('' = all), from one operator's /metrics. */
async function counter(op: Operator, name: string, match = ''): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${op.port}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) && l.includes(match))
    .reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
}

test('both replicas ingest; every job once with one end message; one leader reconciles', async () => {
  const ops = [h.op, second!];
  const leaders = await Promise.all(ops.map(async (op) => (await readyz(op)).leader));
  expect(leaders.filter(Boolean)).toHaveLength(1);
  const leader = ops[leaders.indexOf(true)]!;
  const follower = ops[leaders.indexOf(false)]!;
  const { sqs } = awsClients(h.info);

  // Waves of START_JOBs (jobs fail fast: their input does not exist), each job_id sent twice: the
  // replicas' long polls share the messages.
  const ids = new Map<string, string[]>(clients.map((c) => [c.name, []]));
  for (let wave = 0; wave < 8; wave++) {
    await Promise.all(
      clients.map(async (c) => {
        const entries = [];
        for (let j = 0; j < 3; j++) {
          const id = `rep-${wave}-${j}`;
          ids.get(c.name)!.push(id);
          const body = JSON.stringify({ time: epochSeconds(), type: 'START_JOB', job_id: id, data: sampleJob(c, 'uploads/none.mp4') });
          entries.push({ Id: `${j}a`, MessageBody: body }, { Id: `${j}b`, MessageBody: body });
        }
        await sqs.send(new SendMessageBatchCommand({ QueueUrl: c.inputUrl, Entries: entries }));
      }),
    );
    await new Promise((r) => setTimeout(r, 300));
  }
  for (const c of clients)
    await waitFor(`${c.name} input drained`, async () => ((await queueDepth(h, c.inputUrl)) === 0 ? true : undefined), 60_000, 250);

  const handled = await Promise.all(ops.map((op) => counter(op, 'ct_sqs_commands_total')));
  // 3 clients × 8 waves × 3 ids × 2 copies.
  expect(handled[0]! + handled[1]!).toBeGreaterThanOrEqual(144);
  expect(handled[0]).toBeGreaterThan(0);
  expect(handled[1]).toBeGreaterThan(0);

  for (const c of clients) {
    const jobs = await jobsOfClient(h, c.name);
    expect(jobs.map((j) => j.spec.jobId).sort()).toEqual([...ids.get(c.name)!].sort());
    // One end message per job, whichever replica took its START_JOBs.
    const msgs = await collect(c, (_m, all) => all.filter((m) => m.type === 'JOB_FAILED').length >= 24, 120_000);
    msgs.push(...(await drain(c, 2000)));
    const ends = msgs.filter((m) => m.type === 'JOB_FAILED').map((m) => m.job_id);
    expect(ends.sort()).toEqual([...ids.get(c.name)!].sort());
  }
  // Only the leader reconciles jobs (the follower's controllers never started).
  expect(await counter(leader, 'ct_operator_reconcile_total', 'controller="transcodejob"')).toBeGreaterThan(0);
  expect(await counter(follower, 'ct_operator_reconcile_total')).toBe(0);
}, 300_000);
