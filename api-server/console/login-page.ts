// The login form: self-contained (inline style, no script) because nothing else is served before login.
const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function loginPage(message?: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in · cloudtranscode console</title>
<style>
body{font:16px/1.5 system-ui,sans-serif;background:#f4f5f7;color:#1a1a1a;display:grid;place-items:center;min-height:100vh;margin:0}
main{background:#fff;border:1px solid #c9ccd1;border-radius:8px;padding:2rem;width:min(26rem,90vw)}
h1{font-size:1.3rem;margin-top:0}label{display:block;font-weight:600;margin-bottom:.3rem}
input{width:100%;box-sizing:border-box;font:inherit;padding:.5rem;border:1px solid #5f6368;border-radius:4px}
button{margin-top:1rem;font:inherit;padding:.5rem 1.2rem;border:0;border-radius:4px;background:#0b57d0;color:#fff;cursor:pointer}
:focus-visible{outline:3px solid #f9ab00;outline-offset:2px}.err{color:#a50e0e;font-weight:600}
</style></head>
<body><main>
<h1>cloudtranscode console</h1>
${message ? `<p class="err" role="alert">${esc(message)}</p>` : '<p>Sign in with the admin token (<code>CT_ADMIN_TOKEN</code>).</p>'}
<form method="post" action="/console/login">
<label for="token">Admin token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
<button type="submit">Sign in</button>
</form>
</main></body></html>
`;
}
