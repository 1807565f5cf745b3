// Shared by the console's pages: the live state (filled by app.js from the event stream), HTML
// helpers and the JSON API call.
export const state = { jobs: new Map(), runners: new Map(), clients: new Map(), tokens: new Map() };
export const kinds = { job: state.jobs, runner: state.runners, client: state.clients, token: state.tokens };
export const main = document.getElementById('main');
export const conn = document.getElementById('conn');

export const esc = (v) => String(v ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
export const pct = (n) => `${Math.round(n)} %`;
export const when = (iso) =>
  iso ? `<time datetime="${esc(iso)}" title="${esc(iso)}">${esc(ago(iso))}</time>` : '<span class="muted">never</span>';
function ago(iso) {
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return new Date(iso).toLocaleString();
}
export const basename = (file) => file.slice(file.lastIndexOf('/') + 1);
/** "VIDEO sd.mp4": what an output makes, the way people name it. */
export const outputLabel = (o) => `${o.type} ${basename(o.file)}`;
export function bar(label, value, extra = '', cls = '') {
  return `<div class="bar ${cls}"><span class="label">${esc(label)}</span><progress max="100" value="${value}" aria-label="${esc(label)}">${pct(
    value,
  )}</progress><span class="num" data-progress="${value}">${pct(value)}</span>${extra}</div>`;
}
export const phase = (p) => `<span class="phase phase-${esc(p)}">${esc(p)}</span>`;
export const jobHref = (j) => `#/jobs/${encodeURIComponent(j.namespace)}/${encodeURIComponent(j.name)}`;

export async function api(method, url, body) {
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
