// The jobs list (filters by client and phase) and the job page (progress, files, preview, HLS player, messages sent).
import { api, bar, esc, jobHref, main, outputLabel, phase, state, when } from './common.js';

export const jobPages = {
  jobs: {
    title: 'Jobs',
    mount() {
      main.innerHTML = `<h1>Jobs</h1>
<div class="filters">
  <div><label for="f-client">Client</label><select id="f-client"><option value="">all clients</option></select></div>
  <div><label for="f-phase">Phase</label><select id="f-phase"><option value="">all phases</option>${[
    'Pending',
    'Probing',
    'Running',
    'Succeeded',
    'Failed',
    'Canceled',
  ]
    .map((p) => `<option>${p}</option>`)
    .join('')}</select></div>
</div>
<table><caption id="jobs-caption">Jobs</caption><thead><tr><th scope="col">Job</th><th scope="col">Client</th><th scope="col">Phase</th><th scope="col">Progress</th><th scope="col">Outputs</th><th scope="col">Created</th></tr></thead><tbody id="jobs-body"></tbody></table>`;
      const q = new URLSearchParams(location.hash.split('?')[1] ?? '');
      for (const id of ['client', 'phase']) {
        const el = document.getElementById(`f-${id}`);
        el.dataset.want = q.get(id) ?? '';
        el.addEventListener('change', () => {
          const p = new URLSearchParams();
          for (const k of ['client', 'phase']) {
            const v = document.getElementById(`f-${k}`).value;
            if (v) p.set(k, v);
          }
          history.replaceState(null, '', `#/jobs${p.size ? `?${p}` : ''}`);
          this.update();
        });
      }
    },
    update() {
      const sel = document.getElementById('f-client');
      const names = [
        ...new Set([...state.clients.values()].map((c) => c.name).concat([...state.jobs.values()].map((j) => j.client))),
      ].sort();
      const current = sel.value || sel.dataset.want;
      if (sel.options.length - 1 !== names.length) {
        sel.innerHTML = `<option value="">all clients</option>${names.map((n) => `<option>${esc(n)}</option>`).join('')}`;
      }
      sel.value = current;
      const ph = document.getElementById('f-phase');
      if (ph.dataset.want) {
        ph.value = ph.dataset.want;
        ph.dataset.want = '';
      }
      sel.dataset.want = '';
      const client = sel.value;
      const phaseWanted = ph.value;
      const jobs = [...state.jobs.values()]
        .filter((j) => (!client || j.client === client) && (!phaseWanted || j.phase === phaseWanted))
        .sort((a, b) => String(b.createdAt).localeCompare(String(a.createdAt)));
      document.getElementById('jobs-caption').textContent = `${jobs.length} job${jobs.length === 1 ? '' : 's'}`;
      document.getElementById('jobs-body').innerHTML =
        jobs
          .map(
            (
              j,
            ) => `<tr data-job="${esc(j.key)}"><td><a href="${jobHref(j)}">${esc(j.jobId)}</a><div class="muted mono">${esc(j.key)}</div></td>
<td>${esc(j.client)}</td><td>${phase(j.phase)}</td><td>${bar(`job ${j.jobId}`, j.progress, '', 'compact')}</td>
<td>${j.outputs.map((o) => bar(outputLabel(o), o.progress)).join('')}</td><td>${when(j.createdAt)}</td></tr>`,
          )
          .join('') || '<tr><td colspan="6" class="muted">No jobs match.</td></tr>';
    },
  },

  job: {
    title: 'Job',
    detail: undefined,
    async mount([ns, name]) {
      this.key = `${decodeURIComponent(ns)}/${decodeURIComponent(name)}`;
      this.detail = undefined;
      this.mediaKey = undefined;
      this.player?.destroy();
      this.player = undefined;
      main.innerHTML = `<p><a href="#/jobs">← all jobs</a></p><h1 id="job-title">Job</h1>
<section class="card" aria-labelledby="progress-h"><h2 id="progress-h">Progress</h2><div id="job-progress" aria-live="off"></div></section>
<div id="job-detail"><p class="muted">Loading…</p></div>`;
      await this.load();
    },
    async load() {
      const [ns, name] = this.key.split('/');
      try {
        this.detail = await api('GET', `/console/api/jobs/${encodeURIComponent(ns)}/${encodeURIComponent(name)}`);
      } catch (err) {
        document.getElementById('job-detail').innerHTML = `<p role="alert">Could not load the job: ${esc(err.message)}</p>`;
        return;
      }
      this.renderDetail();
      this.update();
    },
    renderDetail() {
      const d = this.detail;
      const v = d.view;
      document.getElementById('job-title').textContent = `Job ${v.jobId}`;
      const outputs = v.outputs
        .map((o) => {
          const od = d.outputs.find((x) => x.index === o.index);
          const links = od?.links.length
            ? `<ul class="plain">${od.links.map((l) => `<li><a href="${esc(l.url)}" download>${esc(l.key)}</a></li>`).join('')}${
                od.moreFiles ? `<li class="muted">and ${od.moreFiles} more files</li>` : ''
              }</ul>`
            : '<span class="muted">no files yet</span>';
          return `<tr><th scope="row">${o.index}</th><td>${esc(outputLabel(o))}</td><td>${esc(o.status)}${o.reason ? ` (${esc(o.reason)})` : ''}</td><td>${links}</td></tr>`;
        })
        .join('');
      const preview = d.outputs.find((o) => o.preview);
      const hls = d.outputs.find((o) => o.hls);
      if (!document.getElementById('job-about')) {
        document.getElementById('job-detail').innerHTML =
          `<section class="card" aria-labelledby="about-h"><h2 id="about-h">About</h2><div id="job-about"></div></section>
<section class="card" aria-labelledby="outputs-h"><h2 id="outputs-h">Outputs</h2><div id="job-outputs"></div></section>
<div id="job-media"></div>
<section class="card" aria-labelledby="msgs-h"><h2 id="msgs-h">CT messages sent</h2>
<p class="muted">The client messages recorded in <code>status.published</code>, in order (each is sent once; ACTIVITY_PROGRESS messages are throttled and not recorded).</p>
<ol id="published"></ol></section>`;
      }
      document.getElementById('job-about').innerHTML = `<dl class="kv">
<dt>Object</dt><dd class="mono">${esc(v.key)}</dd><dt>Client</dt><dd>${esc(v.client)}</dd>
<dt>Input</dt><dd class="mono">${esc(d.input.type)} s3://${esc(d.input.bucket)}/${esc(d.input.file)}</dd>
<dt>SWF workflow id</dt><dd class="mono" id="workflow-id">${d.workflow ? esc(d.workflow.workflowId) : '<span class="muted">not recorded (SWF recording off or not started)</span>'}</dd>
<dt>SWF run id</dt><dd class="mono">${esc(d.workflow?.runId ?? '–')}</dd>
<dt>Created</dt><dd>${when(v.createdAt)}</dd><dt>Completed</dt><dd>${v.completedAt ? when(v.completedAt) : '–'}</dd>
${v.message ? `<dt>Message</dt><dd>${esc(d.reason ?? '')} ${esc(v.message)}</dd>` : ''}
</dl>`;
      document.getElementById('job-outputs').innerHTML =
        `<table><thead><tr><th scope="col">#</th><th scope="col">Output</th><th scope="col">Status</th><th scope="col">Files (presigned downloads, 1 h)</th></tr></thead><tbody>${outputs}</tbody></table>`;
      document.getElementById('published').innerHTML =
        d.published.map((m) => `<li data-key="${esc(m.key)}"><code>${esc(m.type)}</code> ${esc(m.about)}</li>`).join('') ||
        '<li class="muted">none yet</li>';
      // The media section is drawn once it has something, and kept (the player keeps playing across refreshes).
      const mediaKey = `${preview?.preview ?? ''}|${hls?.hls ?? ''}`;
      if ((preview || hls) && this.mediaKey !== mediaKey) {
        this.mediaKey = mediaKey;
        this.player?.destroy();
        document.getElementById('job-media').innerHTML =
          `<section class="card" aria-labelledby="media-h"><h2 id="media-h">Preview</h2><div class="media">
${preview ? `<figure><img id="thumb" src="${esc(preview.preview)}" alt="Thumbnail of output ${preview.index}"><figcaption>Thumbnail (output ${preview.index})</figcaption></figure>` : ''}
${hls ? `<figure><video id="hls-player" controls muted playsinline aria-label="HLS master playlist of output ${hls.index}"></video><figcaption>HLS (output ${hls.index}): <span id="player-status" role="status" aria-live="polite">loading…</span></figcaption></figure>` : ''}
</div></section>`;
        if (hls) this.play(hls.hls);
      }
    },
    play(url) {
      const video = document.getElementById('hls-player');
      const status = document.getElementById('player-status');
      const say = (s, flag) => {
        status.textContent = s;
        if (flag) video.dataset.playback = flag;
      };
      video.addEventListener('playing', () => say('playback started', 'started'), { once: true });
      video.addEventListener('error', () => say(`cannot play: ${video.error?.message ?? 'media error'}`, 'error'));
      const Hls = window.Hls;
      if (Hls?.isSupported()) {
        const player = new Hls({ enableWorker: false });
        this.player = player;
        player.on(Hls.Events.ERROR, (_e, data) => data.fatal && say(`cannot play: ${data.details}`, 'error'));
        player.on(Hls.Events.MANIFEST_PARSED, (_e, data) => {
          say(`${data.levels.length} renditions; starting…`);
          video.play().catch((err) => say(`press play (${err.message})`));
        });
        player.loadSource(url);
        player.attachMedia(video);
      } else if (video.canPlayType('application/vnd.apple.mpegurl')) {
        video.src = url;
        video.play().catch((err) => say(`press play (${err.message})`));
      } else say('this browser cannot play HLS', 'error');
    },
    update() {
      const v = state.jobs.get(this.key) ?? this.detail?.view;
      if (!v) return;
      const box = document.getElementById('job-progress');
      if (!box) return;
      box.innerHTML = `<p>Phase ${phase(v.phase)}</p>${bar('job', v.progress)}${v.outputs
        .map((o) => {
          const tasks = v.tasks.filter((t) => t.outputIndex === o.index);
          return `<div class="output" data-output="${o.index}">${bar(outputLabel(o), o.progress, ` <span class="muted">${esc(o.status)}</span>`)}
<div style="margin-left:1.5rem">${tasks
            .map((t) =>
              bar(
                t.name,
                t.progress,
                ` <span class="muted">${esc(t.state)}${t.runner ? ` on ${esc(t.runner)}` : ''}${t.error ? ` – ${esc(t.error)}` : ''}</span>`,
              ),
            )
            .join('')}</div></div>`;
        })
        .join('')}`;
      // The page's files, player and message list come from the detail: refresh it when the job moves on.
      const moved = this.detail && (v.phase !== this.detail.view.phase || v.messagesSent !== this.detail.view.messagesSent);
      if (moved && state.jobs.has(this.key) && !this.reloading) {
        this.reloading = true;
        setTimeout(() => this.load().finally(() => (this.reloading = false)), 300);
      }
    },
  },
};
