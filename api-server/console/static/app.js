// The console front-end: one event stream (/console/api/events) keeps four maps of views up to
// date; each page renders from them (hash routes: #/jobs, #/jobs/<ns>/<name>, #/clients,
// #/runners, #/tokens). Pages build their static frame once and re-render only the parts that
// change, so focus and form state survive live updates. Plain DOM, no framework.
import { conn, kinds, main, state } from './common.js';
import { jobPages } from './pages-jobs.js';
import { adminPages } from './pages-admin.js';

const pages = { ...jobPages, ...adminPages };

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
