// Clients, runners and registration tokens.
import { api, bar, esc, main, state, when } from './common.js';

export const adminPages = {
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
