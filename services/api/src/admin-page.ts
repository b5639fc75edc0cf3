/**
 * The admin page: `GET /admin` (HTML), `/admin/admin.css` and `/admin/admin.js`, static and free of secrets,
 * so they need no key. The operator pastes an API key into the page; the script keeps it in sessionStorage
 * (gone with the tab) and sends it as a Bearer token to the `/v1` routes, which check it as for any backend.
 * Everything the page shows is set as text (never markup), and a strict CSP allows only this origin's own
 * script, style and fetches: nothing inline, no frames, no forms posting elsewhere.
 */
import type { ServerResponse } from 'node:http';
import { ADMIN_SCRIPT } from './admin-script.js';

export const ADMIN_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Switchboard admin</title>
<link rel="stylesheet" href="/admin/admin.css">
<script src="/admin/admin.js" defer></script>
</head>
<body>
<header>
  <h1>Switchboard admin</h1>
  <form id="key-form" autocomplete="off">
    <label for="api-key">API key</label>
    <input id="api-key" type="password" placeholder="paste an API key" spellcheck="false">
    <button type="submit" id="use-key">Use key</button>
    <button type="button" id="forget-key">Forget key</button>
  </form>
  <p id="status" role="status" aria-live="polite"></p>
</header>
<main>
  <section>
    <h2>Nodes <button type="button" id="refresh">Refresh</button></h2>
    <p id="totals"></p>
    <table id="nodes">
      <thead><tr><th>Node</th><th>Connections</th><th>Started</th><th>Last heartbeat</th><th>Busiest channels</th></tr></thead>
      <tbody></tbody>
    </table>
  </section>
  <section>
    <h2>Busiest channels</h2>
    <table id="channels">
      <thead><tr><th>Channel</th><th>Subscribers</th><th>Nodes</th></tr></thead>
      <tbody></tbody>
    </table>
  </section>
  <section>
    <h2>Presence</h2>
    <form id="presence-form" autocomplete="off">
      <label for="presence-channel">Channel</label>
      <input id="presence-channel" placeholder="presence-lobby" spellcheck="false">
      <button type="submit">Show</button>
    </form>
    <table id="presence">
      <thead><tr><th>User</th><th>Connection</th><th>Info</th><th></th></tr></thead>
      <tbody></tbody>
    </table>
  </section>
  <section>
    <h2>Disconnect a user</h2>
    <form id="disconnect-form" autocomplete="off">
      <label for="disconnect-user">User id</label>
      <input id="disconnect-user" spellcheck="false">
      <label for="disconnect-reason">Reason</label>
      <input id="disconnect-reason" value="disconnected by an operator">
      <label><input id="disconnect-reconnect" type="checkbox" checked> may reconnect</label>
      <button type="submit">Disconnect</button>
    </form>
  </section>
  <section>
    <h2>Publish a test message</h2>
    <form id="publish-form" autocomplete="off">
      <label for="publish-channel">Channel</label>
      <input id="publish-channel" spellcheck="false">
      <label for="publish-type">Type</label>
      <input id="publish-type" value="admin.test" spellcheck="false">
      <label for="publish-data">Data (JSON, or text)</label>
      <textarea id="publish-data" rows="3">{"hello":"from the admin page"}</textarea>
      <button type="submit">Publish</button>
    </form>
  </section>
</main>
</body>
</html>
`;

const CSS = `body{font:14px/1.4 system-ui,sans-serif;margin:0 auto;max-width:70rem;padding:1rem;color:#1b1f24}
header{border-bottom:1px solid #d0d7de;margin-bottom:1rem}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:1.5rem}
form{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center}
input,textarea{font:inherit;padding:.25rem .4rem}textarea{flex-basis:100%}
table{border-collapse:collapse;width:100%;margin-top:.5rem}
th,td{border-bottom:1px solid #d0d7de;padding:.3rem .5rem;text-align:left;vertical-align:top}
td.number{text-align:right;font-variant-numeric:tabular-nums}
#status{min-height:1.4em}#status.error{color:#b42318}#status.ok{color:#1a7f37}
button.link{background:none;border:none;color:#0969da;cursor:pointer;padding:0;text-decoration:underline}
`;

interface Asset {
  readonly type: string;
  readonly body: string;
}

const ASSETS: ReadonlyMap<string, Asset> = new Map([
  ['/admin', { type: 'text/html; charset=utf-8', body: HTML }],
  ['/admin/admin.css', { type: 'text/css; charset=utf-8', body: CSS }],
  ['/admin/admin.js', { type: 'text/javascript; charset=utf-8', body: ADMIN_SCRIPT }],
]);

/** True when `path` is one of the admin page's assets (any method but GET/HEAD gets 405). */
export function isAdminAsset(path: string): boolean {
  return ASSETS.has(path);
}

/** Serves an admin asset; `path` must satisfy isAdminAsset. */
export function serveAdminAsset(path: string, method: string, res: ServerResponse): void {
  const asset = ASSETS.get(path)!;
  const headers = {
    'content-security-policy': ADMIN_CSP,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-store',
  };
  if (method !== 'GET' && method !== 'HEAD') {
    res.writeHead(405, { ...headers, allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
    res.end('method not allowed\n');
    return;
  }
  res.writeHead(200, {
    ...headers,
    'content-type': asset.type,
    'content-length': Buffer.byteLength(asset.body),
  });
  res.end(method === 'HEAD' ? undefined : asset.body);
}
