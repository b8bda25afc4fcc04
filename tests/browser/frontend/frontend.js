// What a frontend does with ossupload, in the fewest lines: the two upload
// ways of the README, configured only from the functions' answers.
'use strict';

// A real 1x1 PNG; the bigger file is its first 33 bytes (signature and
// IHDR) followed by noise, which still sniffs as PNG.
const PNG = Uint8Array.from(atob(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNg+M/A8B8ABQACAdGkzV8AAAAASUVORK5CYII='), (c) => c.charCodeAt(0));

async function call(url, jwt, body) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { Authorization: 'Bearer ' + jwt, 'Content-Type': 'application/json' },
    body: JSON.stringify(body || {}),
  });
  if (!res.ok) throw new Error(url + ': HTTP ' + res.status);
  return res.json();
}

// sign, then the form POST straight to OSS.
window.formUpload = async (cfg) => {
  const file = new File([PNG], 'tiny.png', { type: 'image/png' });
  const signed = await call(cfg.signUrl, cfg.jwt, { filename: file.name, contentType: file.type, size: file.size });
  const form = new FormData();
  for (const [name, value] of Object.entries(signed.fields)) form.append(name, value);
  form.append('file', file); // last
  const res = await fetch(signed.url, { method: 'POST', body: form });
  if (!res.ok) throw new Error('PostObject: HTTP ' + res.status + ' ' + (await res.text()));
  return signed.key;
};

// sts, then ali-oss multipart with nothing but the answer.
window.aliossUpload = async (cfg, size) => {
  const creds = await call(cfg.stsUrl, cfg.jwt);
  const client = new OSS({
    ...creds,
    refreshSTSToken: async () => {
      const c = await call(cfg.stsUrl, cfg.jwt);
      return { accessKeyId: c.accessKeyId, accessKeySecret: c.accessKeySecret, stsToken: c.stsToken };
    },
  });
  const bytes = new Uint8Array(size);
  for (let i = 0; i < size; i += 65536) crypto.getRandomValues(bytes.subarray(i, Math.min(size, i + 65536)));
  bytes.set(PNG.subarray(0, 33));
  const file = new File([bytes], 'big.png', { type: 'image/png' });
  const key = creds.dir + 'frontend-' + Date.now() + '-big.png';
  const res = await client.multipartUpload(key, file, { partSize: 1024 * 1024, parallel: 2, mime: file.type });
  if (!res.res || res.res.status !== 200) throw new Error('multipartUpload: ' + JSON.stringify(res.res));
  return key;
};

// The verdict, from the sign function's GET /status.
window.verdict = async (cfg, key) => {
  const url = cfg.signUrl.replace(/\/$/, '') + '/status?key=' + encodeURIComponent(key);
  for (let i = 0; i < 180; i++) {
    const res = await fetch(url, { headers: { Authorization: 'Bearer ' + cfg.jwt } });
    const body = await res.json();
    if (!res.ok) throw new Error('status: HTTP ' + res.status + ' ' + JSON.stringify(body));
    if (body.status !== 'pending') return body.status + (body.reason ? ' (' + body.reason + ')' : '');
    await new Promise((r) => setTimeout(r, 500));
  }
  return 'pending';
};

// The same calls from an origin the stack does not list: each must fail.
window.refused = async (cfg, creds) => {
  const out = {};
  const attempt = async (name, fn) => {
    try { await fn(); out[name] = 'succeeded'; } catch (e) { out[name] = 'refused: ' + e.message; }
  };
  await attempt('sign', () => call(cfg.signUrl, cfg.jwt, { filename: 'x.png', contentType: 'image/png', size: PNG.length }));
  await attempt('sts', () => call(cfg.stsUrl, cfg.jwt));
  await attempt('oss', () => new OSS({ ...creds }).put(creds.dir + 'refused.png', new File([PNG], 'refused.png', { type: 'image/png' })));
  return out;
};
