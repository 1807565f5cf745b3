// The console in a real headless browser (Debian's chromium driven by playwright-core): log in
// with the admin token, watch a running job's progress reach 100 % without a reload, open its page
// (downloads, thumbnail, SWF workflow id, messages sent, HLS playback in the page), see a killed
// runner turn offline, create and revoke registration tokens. Screenshots go to the run directory.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CtClient } from '../../../sdk/index.js';
import { generateClip } from '../../helpers/media.js';
import { startStack, readyClient, putFile, listJobs, type Stack } from '../../helpers/stack.js';
import { waitFor } from '../../env/process.js';
import type { ManagedProcess } from '../../env/process.js';

const CHROMIUM = process.env['CT_CHROMIUM'] ?? '/usr/bin/chromium';

let stack: Stack;
let browser: Browser;
let page: Page;
let shots: string;
let runner: ManagedProcess;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: hack/install-tools.sh chromium`);
  // Short runner timings so "offline" shows within seconds (defaults: minutes).
  stack = await startStack('console-ui', {
    CT_LAST_CONTACT_INTERVAL_MS: '1000',
    CT_CONSOLE_RUNNER_OFFLINE_MS: '5000',
    CT_PROGRESS_WRITE_INTERVAL_MS: '500',
  });
  shots = join(process.env['CT_TEST_RUN_DIR'] ?? stack.dir, 'screenshots', stack.ns);
  mkdirSync(shots, { recursive: true });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--autoplay-policy=no-user-gesture-required'],
  });
  page = await browser.newPage({ viewport: { width: 1366, height: 850 } });
  page.on('pageerror', (err) => process.stderr.write(`[browser] page error: ${err.message}\n`));
});

afterAll(async () => {
  await browser?.close();
  await stack?.components.stop();
});

const shot = (name: string) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });

test('login, live job progress to 100 % without reload, job page with HLS playback, runner offline, token revoke', async () => {
  const { queues, buckets } = await readyClient(stack, 'studio');
  runner = stack.components.startRunner('console-runner', { CT_RUNNER_CONCURRENCY: '1', CT_RUNNER_FFMPEG_THREADS: '1' });
  const clip = await generateClip(join(stack.dir, 'clip.mp4'), { durationSec: 12, width: 640, height: 360, fps: 25 });
  await putFile(stack, buckets.input!, 'in/clip.mp4', clip);

  // ---- login: the console answers 401 with the form; the admin token opens it
  const first = await page.goto(`${stack.components.apiUrl}/console/`);
  expect(first?.status()).toBe(401);
  await page.getByLabel('Admin token').fill(stack.components.adminToken);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForSelector('#conn[data-state="live"]');
  expect(page.url()).toBe(`${stack.components.apiUrl}/console/`);
  await page.evaluate('window.__sameDocument = true');
  await page.keyboard.press('Tab'); // keyboard first: the skip link, then the sections
  expect(await page.evaluate('document.activeElement?.textContent')).toBe('Skip to content');
  await page.keyboard.press('Tab');
  expect(await page.evaluate('document.activeElement?.textContent')).toBe('Jobs');

  // ---- a job sent now shows up and advances live
  const out = buckets.output!;
  const client = new CtClient({ inputQueueUrl: queues.inputUrl!, outputQueueUrl: queues.outputUrl! });
  const jobId = await client.startJob({
    input_type: 'VIDEO',
    input_bucket: buckets.input!,
    input_file: 'in/clip.mp4',
    outputs: [
      { output_type: 'VIDEO', output_bucket: out, output_file: 'job/sd.mp4', preset: '360p-16.9-generic' },
      { output_type: 'THUMB', mode: 'snapshot', output_bucket: out, output_file: 'job/poster.jpg', size: '320x180', snapshot_sec: 2 },
      { output_type: 'HLS', output_bucket: out, output_file: 'job/hls/master.m3u8', resolutions: [240] },
    ],
  });
  const row = page.locator('tr[data-job]', { hasText: jobId });
  await row.waitFor({ timeout: 60_000 });
  const seen = new Set<number>();
  let midShot = false;
  await waitFor(
    'the job row to reach 100 % and Succeeded',
    async () => {
      const values = await row
        .locator('td:nth-child(4) [data-progress]')
        .evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-progress'))));
      const progress = values[0] ?? 0;
      seen.add(progress);
      if (!midShot && progress > 0 && progress < 100) {
        midShot = true;
        await shot('jobs-running');
        const readme = process.env['CT_CONSOLE_README_SHOT']; // docs/console.png is made this way
        if (readme) await page.screenshot({ path: readme, clip: { x: 0, y: 0, width: 1366, height: 400 } });
      }
      const phase = await row.locator('.phase').textContent();
      return progress === 100 && phase === 'Succeeded' ? true : undefined;
    },
    8 * 60_000,
    200,
  );
  expect([...seen].some((p) => p > 0 && p < 100)).toBe(true); // it moved through intermediate values
  expect(await page.evaluate('window.__sameDocument')).toBe(true); // no reload happened
  await expect(row.locator('td:nth-child(5)').textContent()).resolves.toContain('VIDEO sd.mp4');
  await shot('jobs-done');

  // ---- the job page
  await row.getByRole('link', { name: jobId }).click();
  await page.waitForSelector('#workflow-id');
  const [job] = (await listJobs(stack)).filter((j) => j.spec.jobId === jobId);
  expect(job?.status?.workflow?.workflowId).toBeTruthy();
  expect(await page.locator('#workflow-id').textContent()).toBe(job!.status!.workflow!.workflowId);
  // The messages sent, as recorded; the end message appears live once the publisher has sent it.
  await page.waitForSelector('#published li[data-key="job:end"]', { timeout: 60_000 });
  const sent = await page.locator('#published li').allTextContents();
  expect(sent[0]).toBe('JOB_STARTED the job');
  expect(sent.at(-1)).toBe('JOB_COMPLETED the job');
  expect(sent).toEqual(expect.arrayContaining(['ACTIVITY_COMPLETED VIDEO sd.mp4', 'ACTIVITY_COMPLETED HLS master.m3u8 240p']));
  const links = await page.locator('a[download]').evaluateAll((as) => as.map((a) => String((a as unknown as { href: string }).href)));
  expect(links.some((h) => h.includes('job/sd.mp4') && h.includes('X-Amz-Signature'))).toBe(true);
  const sd = await fetch(links.find((h) => h.includes('job/sd.mp4'))!);
  expect(sd.status).toBe(200); // the presigned download works
  await page.waitForFunction('document.getElementById("thumb")?.complete && document.getElementById("thumb").naturalWidth === 320');
  await page.waitForSelector('#hls-player[data-playback="started"]', { timeout: 90_000 });
  expect(await page.locator('#player-status').textContent()).toBe('playback started');
  await page.waitForFunction(() => 'document.getElementById("hls-player").currentTime > 0.5', undefined, {
    timeout: 30_000,
  });
  await shot('job-page');

  // ---- runners: online, then offline once killed
  await page.getByRole('link', { name: 'Runners' }).click();
  const status = page.locator('tr[data-runner="console-runner"] [data-status]');
  await expect(status.textContent()).resolves.toBeTruthy();
  await page.waitForSelector('tr[data-runner="console-runner"] [data-status="online"]');
  await shot('runners-online');
  const pid = Number(
    execFileSync('pgrep', ['-P', String(runner.pid), '-f', 'dist/runner/main.js'], { encoding: 'utf8' })
      .trim()
      .split('\n')[0],
  );
  process.kill(pid, 'SIGKILL');
  await page.waitForSelector('tr[data-runner="console-runner"] [data-status="offline"]', { timeout: 60_000 });
  await shot('runners-offline');

  // ---- registration tokens: create one, revoke it; revoke the runner's token (unregisters it)
  await page.getByRole('link', { name: 'Registration tokens' }).click();
  await page.getByRole('button', { name: 'Create token' }).click();
  const newValue = await page.locator('#new-token-value').textContent({ timeout: 30_000 });
  expect(newValue).toMatch(/^ptrrt-/);
  const created = (await page.locator('#token-result code').first().textContent())!;
  await page.waitForSelector(`tr[data-token="${created}"]`);
  page.on('dialog', (d) => void d.accept());
  await page.getByRole('button', { name: `Revoke ${created}` }).click();
  await page.waitForSelector(`tr[data-token="${created}"]`, { state: 'detached', timeout: 30_000 });
  const runnerToken = (await page.locator('tr[data-token]').first().getAttribute('data-token'))!;
  expect(await page.locator(`tr[data-token="${runnerToken}"] td:nth-child(4)`).textContent()).toBe('1');
  await page.getByRole('button', { name: `Revoke ${runnerToken}` }).click();
  await page.waitForSelector(`tr[data-token="${runnerToken}"]`, { state: 'detached', timeout: 30_000 });
  await page.getByRole('link', { name: 'Runners' }).click();
  await page.waitForSelector('tr[data-runner="console-runner"]', { state: 'detached', timeout: 30_000 });
  await shot('tokens-revoked');

  // ---- filters: by client and by phase, from the URL too
  await page.goto(`${stack.components.apiUrl}/console/#/jobs?phase=Failed`);
  await page.waitForSelector('#conn[data-state="live"]');
  await expect(page.locator('#jobs-caption').textContent()).resolves.toBe('0 jobs');
  await page.getByLabel('Phase').selectOption('Succeeded');
  await page.getByLabel('Client').selectOption('studio');
  await expect(page.locator('#jobs-caption').textContent()).resolves.toBe('1 job');
});
