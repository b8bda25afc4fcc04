// The demo page of the local stack. Plain browser JavaScript, no build step
// of its own (Uppy comes bundled from npm as /vendor/uppy.js, see
// uppy-bundle.mjs). It talks to three things: the local stack's dev endpoints
// (/config.json, /dev/token), the sign and sts functions' HTTP triggers, and
// OSS itself.
'use strict';

const state = { config: null, token: null, user: null, uppy: null };
const $ = (id) => document.getElementById(id);

async function main() {
  state.config = await (await fetch('/config.json')).json();
  showRoutes();
  $('signin-form').addEventListener('submit', signIn);
  $('post-upload').addEventListener('click', () => uploadByForm().catch(showError('form')));
  $('mp-upload').addEventListener('click', () => uploadWithAliOSS().catch(showError('ali-oss')));
  for (const tab of document.querySelectorAll('[role=tab]')) tab.addEventListener('click', () => showTab(tab));
  if (typeof UppyBundle === 'undefined') {
    $('uppy-note').textContent = 'Uppy is not built, so this part is disabled. Install Node.js and npm, then run `make run` again ' +
      '(it runs `make web-deps`, which bundles Uppy from npm with esbuild).';
  }
  if (typeof OSS === 'undefined') {
    const warn = $('alioss-missing');
    warn.hidden = false;
    warn.textContent = 'ali-oss is not installed, so this part is disabled. Install Node.js and npm, then run `make run` again ' +
      '(it runs `npm ci --prefix web`). The form upload above works without it.';
  }
}

async function signIn(ev) {
  ev.preventDefault();
  const user = $('user').value.trim();
  const res = await fetch('/dev/token', {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ user }),
  });
  const body = await res.json();
  if (!res.ok) { $('whoami').textContent = body.error ? body.error.message : 'sign-in failed'; return; }
  state.token = body.token;
  state.user = user;
  $('whoami').textContent = 'signed in as ' + user;
  $('post-upload').disabled = false;
  $('mp-upload').disabled = typeof OSS === 'undefined';
  if (typeof UppyBundle !== 'undefined') startUppy();
}

function showTab(tab) {
  for (const t of document.querySelectorAll('[role=tab]')) {
    t.setAttribute('aria-selected', String(t === tab));
    $(t.getAttribute('aria-controls')).hidden = t !== tab;
  }
}

// --- routes: the page shows what the functions enforce (/config.json lists
// the stack's UPLOAD_ROUTES as the functions read them). Without routes the
// page sends no route, as before routes.
function showRoutes() {
  const problems = state.config.routeProblems;
  if (problems && problems.length) {
    $('route-problems').hidden = false;
    $('route-problems').textContent = 'The functions refuse UPLOAD_ROUTES: ' + problems.join('; ');
  }
  const routes = state.config.routes;
  if (!routes || !routes.length) return;
  const select = $('route');
  for (const r of routes) select.add(new Option(r.name, r.name));
  select.addEventListener('change', () => {
    showRouteLimits();
    if (state.token && typeof UppyBundle !== 'undefined') startUppy(); // its signRequest sends the route it was made with
  });
  $('routes').hidden = false;
  showRouteLimits();
}

function currentRoute() {
  const routes = state.config.routes;
  if (!routes || !routes.length) return undefined;
  return routes.find((r) => r.name === $('route').value);
}

// routeName is the name to send, or undefined (left out of the JSON) without routes.
function routeName() {
  const r = currentRoute();
  return r ? r.name : undefined;
}

function showRouteLimits() {
  const r = currentRoute();
  const size = r.minBytes > 0 ? formatBytes(r.minBytes) + ' to ' + formatBytes(r.maxBytes) : 'up to ' + formatBytes(r.maxBytes);
  $('route-limits').textContent = r.allowedTypes.join(', ') + ' · ' + size + ' · by ' + r.paths.join(', ');
  $('route-limits').dataset.route = r.name;
}

function formatBytes(n) {
  const units = [[1e9, 'GB'], [1e6, 'MB'], [1e3, 'kB']];
  for (const [size, unit] of units) {
    if (n >= size) return (n / size).toLocaleString('en', { maximumFractionDigits: 1 }) + ' ' + unit + ' (' + n.toLocaleString('en') + ' bytes)';
  }
  return n.toLocaleString('en') + ' bytes';
}

function authHeaders(extra) {
  return Object.assign({ Authorization: 'Bearer ' + state.token }, extra || {});
}

async function callFunction(url, payload) {
  const res = await fetch(url, {
    method: 'POST', headers: authHeaders({ 'Content-Type': 'application/json' }), body: JSON.stringify(payload || {}),
  });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) {
    const msg = body.error ? body.error.code + ': ' + body.error.message : 'HTTP ' + res.status;
    throw new Error(msg);
  }
  return body;
}

// --- PostObject: sign, then POST the form straight to OSS -----------------
async function uploadByForm() {
  const file = $('post-file').files[0];
  if (!file) throw new Error('choose a file first');
  const signed = await callFunction(state.config.signUrl, {
    route: routeName(), filename: file.name, contentType: file.type || 'application/octet-stream', size: file.size,
  });
  const row = addRow('form', signed.key, file.size);
  const form = new FormData();
  for (const [name, value] of Object.entries(signed.fields)) form.append(name, value);
  form.append('file', file); // must be the last field
  await new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(signed.method || 'POST', signed.url);
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) $('post-progress').value = (100 * e.loaded) / e.total; };
    xhr.onload = () => (xhr.status >= 200 && xhr.status < 300 ? resolve() : reject(new Error(ossError(xhr.responseText, xhr.status))));
    xhr.onerror = () => reject(new Error('network error talking to OSS'));
    xhr.send(form);
  });
  $('post-progress').value = 100;
  pollVerdict(row, signed.key);
}

// --- ali-oss multipart with STS credentials --------------------------------
// The answer holds dir (the route's directory under the user's prefix) and,
// with routes, headers: the x-oss-meta-* headers every upload must carry
// (the route, a pin when the app has a pre-sign hook), which RAM cannot
// require and verify checks.
async function fetchCredentials(route) {
  return callFunction(state.config.stsUrl, { route });
}

async function uploadWithAliOSS() {
  const file = $('mp-file').files[0];
  if (!file) throw new Error('choose a file first');
  const route = routeName();
  const creds = await fetchCredentials(route);
  const client = new OSS({
    region: creds.region,
    bucket: creds.bucket,
    endpoint: creds.endpoint,
    sldEnable: creds.sldEnable,
    secure: creds.endpoint ? creds.endpoint.startsWith('https:') : true,
    accessKeyId: creds.accessKeyId,
    accessKeySecret: creds.accessKeySecret,
    stsToken: creds.stsToken,
    refreshSTSToken: async () => {
      const c = await fetchCredentials(route);
      return { accessKeyId: c.accessKeyId, accessKeySecret: c.accessKeySecret, stsToken: c.stsToken };
    },
    refreshSTSTokenInterval: 300000,
  });
  const key = creds.dir + datePath() + randomHex(8) + '-' + safeName(file.name);
  const row = addRow('ali-oss', key, file.size);
  await client.multipartUpload(key, file, {
    headers: creds.headers || {},
    partSize: 1024 * 1024,
    parallel: 4,
    mime: file.type || 'application/octet-stream',
    progress: (p) => { $('mp-progress').value = 100 * p; },
  });
  $('mp-progress').value = 100;
  pollVerdict(row, key);
}

// --- Uppy: @uppy/aws-s3 in signRequest mode on the sign function's /presign
// Made again at each sign-in, for the signed-in user's token. The
// uppy.use(AwsS3, ...) block is the README's, word for word (a Go test in
// local/devpage compares them): copy either into your app.
function startUppy() {
  if (state.uppy) state.uppy.destroy();
  $('uppy-note').hidden = true;
  const { Uppy, Dashboard, AwsS3 } = UppyBundle;
  const SIGN_URL = state.config.signUrl.replace(/\/$/, '');
  const jwt = state.token;
  const ROUTE = routeName(); // undefined without routes: JSON.stringify leaves it out
  const uppy = new Uppy({ id: 'demo-' + state.user });
  uppy.use(Dashboard, { inline: true, target: '#uppy-dashboard', width: '100%', height: 380, proudlyDisplayPoweredByUppy: false });
  uppy.use(AwsS3, {
    shouldUseMultipart: (file) => file.size > 5 * 1024 * 1024,
    getChunkSize: () => 5 * 1024 * 1024,
    generateObjectKey: (file) => file.id,
    async signRequest(req) {
      const file = uppy.getFile(req.key);                          // undefined after the initiate: the key is the server's
      const extra = file ? { filename: file.name, contentType: file.type, size: file.size } : {};
      const res = await fetch(SIGN_URL + '/presign', {
        method: 'POST',
        headers: { Authorization: 'Bearer ' + jwt, 'Content-Type': 'application/json' },
        body: JSON.stringify({ ...req, ...extra, route: ROUTE }),
      });
      if (!res.ok) { const { error } = await res.json(); throw new Error(error.code + ': ' + error.message); }
      return res.json();
    },
  });
  uppy.on('progress', (p) => { $('uppy-progress').value = p; });
  uppy.on('upload-success', (file, response) => {
    const key = response.body.key;
    pollVerdict(addRow('uppy', key, file.size), key);
  });
  uppy.on('upload-error', (file, err) => showError('uppy')(new Error(file.name + ': ' + err.message)));
  state.uppy = uppy;
}

// --- verdicts ----------------------------------------------------------------
// verified and rejected are final; pending, and any state this page does not
// know, are shown as they come and asked again.
async function pollVerdict(row, key) {
  const cell = row.querySelector('.verdict');
  for (let i = 0; i < 120; i++) {
    const url = state.config.signUrl.replace(/\/$/, '') + '/status?key=' + encodeURIComponent(key);
    const res = await fetch(url, { headers: authHeaders() });
    const body = await res.json().catch(() => ({}));
    if (res.ok && (body.status === 'verified' || body.status === 'rejected')) {
      setVerdict(cell, body.status, body.quarantined ? body.reason + ', moved to quarantine' : body.reason);
      return;
    }
    if (res.ok && body.status && body.status !== 'pending') cell.textContent = body.status + ' (waiting for a verdict)';
    await new Promise((r) => setTimeout(r, 500));
  }
  setVerdict(cell, 'pending', 'no verdict after 60 s: is the verify function running?');
}

function setVerdict(cell, status, reason) {
  cell.dataset.status = status;
  cell.className = 'verdict ' + status;
  cell.textContent = reason ? status + ' (' + reason + ')' : status;
}

// addRow adds an upload to the table; with routes, its way names the route
// it was signed for.
function addRow(way, key, size) {
  const tr = document.createElement('tr');
  tr.dataset.way = way;
  const route = routeName();
  if (route) tr.dataset.route = route;
  tr.innerHTML = '<td></td><td></td><td></td><td class="verdict pending" data-status="pending">pending</td>';
  tr.children[0].textContent = route ? way + ' (' + route + ')' : way;
  tr.children[1].textContent = key;
  tr.children[2].textContent = size.toLocaleString() + ' B';
  document.querySelector('#uploads tbody').prepend(tr);
  return tr;
}

function showError(way) {
  return (err) => {
    const tr = addRow(way, '—', 0);
    const cell = tr.querySelector('.verdict');
    cell.className = 'verdict error';
    cell.dataset.status = 'error';
    cell.textContent = err.message;
  };
}

function ossError(xml, status) {
  const code = /<Code>([^<]*)<\/Code>/.exec(xml || '');
  const msg = /<Message>([^<]*)<\/Message>/.exec(xml || '');
  return code ? code[1] + ': ' + (msg ? msg[1] : '') : 'OSS answered HTTP ' + status;
}

function datePath() {
  const d = new Date();
  const p = (n) => String(n).padStart(2, '0');
  return d.getUTCFullYear() + '/' + p(d.getUTCMonth() + 1) + '/' + p(d.getUTCDate()) + '/';
}

function randomHex(bytes) {
  const a = new Uint8Array(bytes);
  crypto.getRandomValues(a);
  return Array.from(a, (b) => b.toString(16).padStart(2, '0')).join('');
}

function safeName(name) {
  const cleaned = name.replace(/[^\p{L}\p{N}._-]+/gu, '-').replace(/^[.-]+/, '').slice(0, 120);
  return cleaned || 'file';
}

main();
