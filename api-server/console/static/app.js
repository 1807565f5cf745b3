// The console front-end: one event stream (/console/api/events) keeps four maps of views up to
// date; each page renders from them (hash routes: #/jobs, #/jobs/<ns>/<name>, #/clients,
// #/runners, #/tokens). Pages build their static frame once and re-render only the parts that
// change, so focus and form state survive live updates. Plain DOM, no framework.
const state = { jobs: new Map(), runners: new Map(), clients: new Map(), tokens: new Map() };
const kinds = { job: state.jobs, runner: state.runners, client: state.clients, token: state.tokens };
const main = document.getElementById('main');
const conn = document.getElementById('conn');

const esc = (v) => String(v ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const pct = (n) => `${Math.round(n)} %`;
const when = (iso) =>
  iso ? `<time datetime="${esc(iso)}" title="${esc(iso)}">${esc(ago(iso))}</time>` : '<span class="muted">never</span>';
function ago(iso) {
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return new Date(iso).toLocaleString();
}
const basename = (file) => file.slice(file.lastIndexOf('/') + 1);
/** "VIDEO sd.mp4": what an output makes, the way people name it. */
const outputLabel = (o) => `${o.type} ${basename(o.file)}`;
function bar(label, value, extra = '', cls = '') {
  return `<div class="bar ${cls}"><span class="label">${esc(label)}</span><progress max="100" value="${value}" aria-label="${esc(label)}">${pct(
    value,
  )}</progress><span class="num" data-progress="${value}">${pct(value)}</span>${extra}</div>`;
}
const phase = (p) => `<span class="phase phase-${esc(p)}">${esc(p)}</span>`;
const jobHref = (j) => `#/jobs/${encodeURIComponent(j.namespace)}/${encodeURIComponent(j.name)}`;

async function api(method, url, body) {
  const res = await fetch(url, {
    method,
    headers: body ? { 'Content-Type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  if (res.status === 401) location.reload(); // session expired: the server answers with the login form
  if (!res.ok) {
    const problem = await res.json().catch(() => ({}));
    throw new Error(problem.detail || `${res.status} ${res.statusText}`);
  }
  return res.status === 204 ? undefined : res.json();
}

// ------------------------------------------------------------------ pages
const pages = {
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

  clients: {
    title: 'Clients',
    mount() {
      main.innerHTML = `<h1>Clients</h1><table><caption>TranscodeClients</caption><thead><tr><th scope="col">Client</th><th scope="col">Ready</th><th scope="col">Queues</th><th scope="col">Buckets</th><th scope="col">Jobs</th></tr></thead><tbody id="clients-body"></tbody></table>`;
    },
    update() {
      const rows = [...state.clients.values()].sort((a, b) => a.key.localeCompare(b.key));
      document.getElementById('clients-body').innerHTML =
        rows
          .map(
            (
              c,
            ) => `<tr><td><a href="#/jobs?client=${encodeURIComponent(c.name)}">${esc(c.name)}</a><div class="muted">${esc(c.namespace)}</div></td>
<td><span class="${c.ready === 'True' ? 'online' : 'offline'}">${esc(c.ready)}</span><div class="muted">${esc(c.readyMessage)}</div></td>
<td class="mono">in: ${esc(c.queues.input ?? '–')}<br>out: ${esc(c.queues.output ?? '–')}</td>
<td class="mono">in: ${esc(c.buckets.input ?? '–')}<br>out: ${esc(c.buckets.output ?? '–')}</td>
<td class="num">${c.jobs.active} active, ${c.jobs.succeeded} succeeded, ${c.jobs.failed} failed, ${c.jobs.canceled} canceled</td></tr>`,
          )
          .join('') || '<tr><td colspan="5" class="muted">No clients.</td></tr>';
    },
  },

  runners: {
    title: 'Runners',
    mount() {
      main.innerHTML = `<h1>Runners</h1><table><caption>Registered runners</caption><thead><tr><th scope="col">Name</th><th scope="col">Status</th><th scope="col">Version</th><th scope="col">Job types</th><th scope="col">Last contact</th><th scope="col">Current tasks</th></tr></thead><tbody id="runners-body"></tbody></table>`;
    },
    update() {
      const rows = [...state.runners.values()].sort((a, b) => a.name.localeCompare(b.name));
      document.getElementById('runners-body').innerHTML =
        rows
          .map(
            (
              r,
            ) => `<tr data-runner="${esc(r.name)}"><td>${esc(r.name)}<div class="muted">${esc(r.namespace)}${r.id !== null ? ` · id ${r.id}` : ''}</div></td>
<td><span class="${r.online ? 'online' : 'offline'}" data-status="${r.online ? 'online' : 'offline'}">${r.online ? '● online' : '○ offline'}</span></td>
<td>${esc(r.version ?? '–')}</td><td>${r.jobTypes.length ? esc(r.jobTypes.join(', ')) : '<span class="muted">PeerTube standard</span>'}</td>
<td>${when(r.lastContact)}</td>
<td>${r.currentTasks.map((t) => bar(t.name, t.progress)).join('') || '<span class="muted">idle</span>'}</td></tr>`,
          )
          .join('') || '<tr><td colspan="6" class="muted">No runners registered.</td></tr>';
    },
  },

  tokens: {
    title: 'Registration tokens',
    mount() {
      main.innerHTML = `<h1>Registration tokens</h1>
<form id="new-token" class="filters"><div><label for="token-ns">Namespace (optional)</label><input id="token-ns" name="namespace" pattern="[a-z0-9]([\\-a-z0-9]*[a-z0-9])?" autocomplete="off"></div><button type="submit">Create token</button></form>
<div id="token-result" role="status" aria-live="polite"></div>
<table><caption>Tokens runners register with; revoking one unregisters its runners</caption><thead><tr><th scope="col">Token</th><th scope="col">Namespace</th><th scope="col">Created</th><th scope="col">Runners</th><th scope="col"><span class="muted">Action</span></th></tr></thead><tbody id="tokens-body"></tbody></table>`;
      document.getElementById('new-token').addEventListener('submit', async (e) => {
        e.preventDefault();
        const out = document.getElementById('token-result');
        const ns = document.getElementById('token-ns').value.trim();
        try {
          const t = await api('POST', '/console/api/tokens', ns ? { namespace: ns } : {});
          out.innerHTML = `<p class="token-once">Token <code>${esc(t.id)}</code> created. Copy it now, it is not shown again: <code id="new-token-value">${esc(
            t.registrationToken,
          )}</code></p>`;
        } catch (err) {
          out.innerHTML = `<p role="alert">Could not create a token: ${esc(err.message)}</p>`;
        }
      });
      document.getElementById('tokens-body').addEventListener('click', async (e) => {
        const btn = e.target.closest('button[data-revoke]');
        if (!btn) return;
        const [ns, id] = btn.dataset.revoke.split('/');
        if (!confirm(`Revoke ${id}? Runners registered with it are unregistered.`)) return;
        btn.disabled = true;
        try {
          await api('DELETE', `/console/api/tokens/${encodeURIComponent(ns)}/${encodeURIComponent(id)}`);
          document.getElementById('token-result').textContent = `Token ${id} revoked.`;
        } catch (err) {
          btn.disabled = false;
          document.getElementById('token-result').textContent = `Could not revoke ${id}: ${err.message}`;
        }
      });
    },
    update() {
      const rows = [...state.tokens.values()].sort((a, b) => String(a.createdAt).localeCompare(String(b.createdAt)));
      document.getElementById('tokens-body').innerHTML =
        rows
          .map(
            (t) =>
              `<tr data-token="${esc(t.id)}"><td class="mono">${esc(t.id)}</td><td>${esc(t.namespace)}</td><td>${when(t.createdAt)}</td><td class="num">${
                t.runners
              }</td><td><button type="button" class="danger" data-revoke="${esc(t.key)}" aria-label="Revoke ${esc(t.id)}">Revoke</button></td></tr>`,
          )
          .join('') || '<tr><td colspan="5" class="muted">No registration tokens.</td></tr>';
    },
  },
};

// ------------------------------------------------------------------ routing and live data
let page;
function route(event) {
  const path = (location.hash.replace(/^#\/?/, '') || 'jobs').split('?')[0];
  const parts = path.split('/').filter(Boolean);
  const name = parts[0] === 'jobs' && parts.length === 3 ? 'job' : pages[parts[0]] ? parts[0] : 'jobs';
  page = pages[name];
  for (const a of document.querySelectorAll('header nav a')) {
    if (a.getAttribute('href') === `#/${name === 'job' ? 'jobs' : name}`) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  document.title = `${page.title} · cloudtranscode console`;
  void Promise.resolve(page.mount(parts.slice(1))).then(() => page.update());
  // After a navigation, keyboard and screen-reader users continue in the new page's content.
  if (event) main.focus({ preventScroll: true });
}

let pending = false;
function refresh() {
  if (pending) return;
  pending = true;
  requestAnimationFrame(() => {
    pending = false;
    if (document.getElementById('main').firstChild) page?.update();
  });
}

function connect() {
  const events = new EventSource('/console/api/events');
  events.addEventListener('snapshot', (e) => {
    const snap = JSON.parse(e.data);
    for (const [k, list] of [
      ['jobs', snap.jobs],
      ['runners', snap.runners],
      ['clients', snap.clients],
      ['tokens', snap.tokens],
    ]) {
      state[k].clear();
      for (const v of list) state[k].set(v.key, v);
    }
    conn.textContent = 'live';
    conn.dataset.state = 'live';
    refresh();
  });
  events.addEventListener('upsert', (e) => {
    const { kind, view } = JSON.parse(e.data);
    kinds[kind]?.set(view.key, view);
    refresh();
  });
  events.addEventListener('delete', (e) => {
    const { kind, key } = JSON.parse(e.data);
    kinds[kind]?.delete(key);
    refresh();
  });
  events.addEventListener('error', () => {
    conn.textContent = 'reconnecting…';
    conn.dataset.state = 'reconnecting';
    // A refused stream (session expired: 401) is not retried by the browser: back to the login form.
    if (events.readyState === EventSource.CLOSED) setTimeout(() => location.reload(), 2000);
  });
}

window.addEventListener('hashchange', route);
route();
connect();
setInterval(refresh, 5000); // relative times ("12 s ago") age without events
