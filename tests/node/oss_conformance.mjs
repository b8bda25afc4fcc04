// ali-oss (npm, Node) against the local OSS emulator: put + get + multipartUpload
// with V1 and authorizationV4 signatures, under every addressing mode ali-oss
// can produce for a local endpoint, with long-term (RAM user) and STS keys,
// plus the error cases a browser upload meets (forged secret, expired or
// foreign token, key outside the session policy).
//
// Usage: node tests/node/oss_conformance.mjs '<json>' (driven by tests/nodeconf).
// Input JSON: {endpoint, bucket, region, prefix, outsideKey, run,
//   user: {accessKeyId, accessKeySecret}, sts: {accessKeyId, accessKeySecret, stsToken},
//   forgedSecret, expired: {accessKeyId, accessKeySecret, stsToken}, otherToken}
// Output: one JSON line per case on stdout:
//   {"name", "ok", "code"?, "status"?, "error"?, "objects"?: [{key, size, seed}]}
// plus {"info": ...} lines for skipped variants or notes. Exit 0 only when
// every case passed. Secrets are never printed.
//
// Addressing facts (OSS/STS protocol reference §0, §2.1):
//   ip-host   endpoint http://127.0.0.1:<port>: path /<key>, ali-oss forces
//             Host: <bucket>.oss-<region>.aliyuncs.com (kept by Node).
//   sld       same endpoint + sldEnable: path /<bucket>/<key>, forced Host still sent by Node.
//   sld-browser  sldEnable with the Host override dropped, as a browser's XHR does
//             (ali-oss's browser bundle cannot set Host): Host: 127.0.0.1:<port>.
//   localhost endpoint http://localhost:<port>: virtual host <bucket>.localhost:<port>/<key>.
//             Browsers resolve *.localhost to loopback (RFC 6761); Node's resolver here may
//             not, so the client gets an http.Agent whose lookup maps *.localhost to 127.0.0.1.

import { createRequire } from 'node:module';
import dns from 'node:dns';
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const require = createRequire(import.meta.url);
const OSS = require('ali-oss');
const urllib = require(require.resolve('urllib', { paths: [path.dirname(require.resolve('ali-oss'))] }));

const PART_SIZE = 102400;
const MULTIPART_SIZE = 600 * 1024 + 1234; // 7 parts, the last one short

// content is the deterministic body of an object; tests/nodeconf computes the
// same bytes to check what the emulator stored.
export function content(size, seed) {
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i++) b[i] = (i * 131 + seed * 7 + (i >> 8)) & 0xff;
  return b;
}

function fail(msg) {
  console.error(`oss_conformance: ${msg}`);
  process.exit(2);
}

let cfg;
try {
  cfg = JSON.parse(process.argv[2] || '');
} catch (e) {
  fail(`argument must be the JSON configuration: ${e.message}`);
}
for (const f of ['endpoint', 'bucket', 'region', 'prefix', 'outsideKey', 'run', 'user', 'sts', 'forgedSecret', 'expired', 'otherToken']) {
  if (!cfg[f]) fail(`configuration lacks "${f}"`);
}
const port = new URL(cfg.endpoint).port;

// Resolve *.localhost to loopback only if the system resolver does not.
async function resolvesLocalhost(name) {
  try {
    const r = await dns.promises.lookup(name);
    return r.address === '127.0.0.1' || r.address === '::1';
  } catch {
    return false;
  }
}
const localhostAgent = new http.Agent({
  keepAlive: true,
  lookup(hostname, opts, cb) {
    if (hostname === 'localhost' || hostname.endsWith('.localhost')) {
      if (opts && opts.all) return cb(null, [{ address: '127.0.0.1', family: 4 }]);
      return cb(null, '127.0.0.1', 4);
    }
    return dns.lookup(hostname, opts, cb);
  },
});

// browserUrllib is ali-oss's HTTP client minus the Host override, which a
// browser silently drops.
const browserUrllib = {
  request(url, params) {
    const headers = { ...params.headers };
    for (const h of Object.keys(headers)) if (h.toLowerCase() === 'host') delete headers[h];
    return urllib.request(url, { ...params, headers });
  },
};

const addressings = {
  'ip-host': () => ({ endpoint: cfg.endpoint }),
  sld: () => ({ endpoint: cfg.endpoint, sldEnable: true }),
  'sld-browser': () => ({ endpoint: cfg.endpoint, sldEnable: true, urllib: browserUrllib }),
  localhost: () => ({ endpoint: `http://localhost:${port}`, agent: localhostAgent }),
};

function client(sig, addr, creds) {
  return new OSS({
    region: cfg.region,
    bucket: cfg.bucket,
    secure: false,
    authorizationV4: sig === 'v4',
    timeout: 10000,
    ...creds,
    ...addressings[addr](),
  });
}

function errInfo(e) {
  return { code: e.code || e.name || 'Error', status: e.status, error: String(e.message || e).split('\n')[0].slice(0, 300) };
}

const results = [];
function report(r) {
  results.push(r);
  process.stdout.write(JSON.stringify(r) + '\n');
}

async function expectOK(name, fn) {
  try {
    const objects = await fn();
    report({ name, ok: true, objects });
  } catch (e) {
    report({ name, ok: false, ...errInfo(e) });
  }
}

// expectErr passes when fn fails with the OSS error code and HTTP status.
async function expectErr(name, code, status, fn) {
  try {
    await fn();
    report({ name, ok: false, error: `succeeded, want ${code} ${status}` });
  } catch (e) {
    const got = errInfo(e);
    const ok = got.code === code && got.status === status;
    report({ name, ok, ...got, ...(ok ? {} : { error: `want ${code} ${status}; got: ${got.error}` }) });
  }
}

let seed = 0;
async function putCase(c, key) {
  const s = ++seed;
  const size = 1000 + s;
  const body = content(size, s);
  const put = await c.put(key, body, { mime: 'text/plain', meta: { case: 'put' } });
  if (put.res.status !== 200) throw new Error(`put status ${put.res.status}`);
  const got = await c.get(key);
  if (!Buffer.isBuffer(got.content) || !got.content.equals(body)) throw new Error(`get returned ${got.content && got.content.length} bytes that differ from the ${size} put`);
  if (got.res.headers['x-oss-meta-case'] !== 'put') throw new Error(`x-oss-meta-case = ${got.res.headers['x-oss-meta-case']}`);
  return [{ key, size, seed: s }];
}

async function multipartCase(c, key, useFile) {
  const s = ++seed;
  const body = content(MULTIPART_SIZE, s);
  let src = body;
  let tmp;
  if (useFile) {
    tmp = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ossconf-')), 'upload.bin');
    fs.writeFileSync(tmp, body);
    src = tmp;
  }
  const progress = [];
  try {
    const r = await c.multipartUpload(key, src, {
      partSize: PART_SIZE,
      parallel: 3,
      mime: 'application/octet-stream',
      progress: (p) => {
        progress.push(p);
      },
    });
    if (r.res.status !== 200) throw new Error(`complete status ${r.res.status}`);
  } finally {
    if (tmp) fs.rmSync(path.dirname(tmp), { recursive: true, force: true });
  }
  const parts = Math.ceil(MULTIPART_SIZE / PART_SIZE);
  // progress: 0 after initiate, k/(parts+1) per part, 1 after complete.
  if (progress.length !== parts + 2 || progress[0] !== 0 || progress[progress.length - 1] !== 1 ||
      progress.some((p, i) => i > 0 && p < progress[i - 1])) {
    throw new Error(`progress calls ${JSON.stringify(progress)}, want ${parts + 2} non-decreasing from 0 to 1`);
  }
  const head = await c.head(key);
  if (Number(head.res.headers['content-length']) !== MULTIPART_SIZE) throw new Error(`head content-length ${head.res.headers['content-length']}`);
  if (!/-\d+"$/.test(head.res.headers.etag || '')) throw new Error(`multipart ETag ${head.res.headers.etag}`);
  const got = await c.get(key);
  if (!got.content.equals(body)) throw new Error('multipart object read back differs');
  return [{ key, size: MULTIPART_SIZE, seed: s }];
}

// bucketCORSCase: a developer fixes the bucket's CORS rule with ali-oss as
// on OSS (PutBucketCors, GetBucketCors, DeleteBucketCors), then puts the
// original rules back.
async function bucketCORSCase(c) {
  const { rules: original } = await c.getBucketCORS(cfg.bucket);
  const rule = { allowedOrigin: ['http://localhost:5173'], allowedMethod: ['GET', 'PUT', 'POST'], allowedHeader: '*',
    exposeHeader: ['ETag', 'x-oss-request-id'], maxAgeSeconds: 60 };
  await c.putBucketCORS(cfg.bucket, [rule]);
  const { rules } = await c.getBucketCORS(cfg.bucket);
  const r = rules[0] || {};
  if (rules.length !== 1 || r.allowedOrigin !== 'http://localhost:5173' || String(r.allowedMethod) !== 'GET,PUT,POST' ||
      String(r.exposeHeader) !== 'ETag,x-oss-request-id' || r.maxAgeSeconds !== '60') {
    throw new Error(`getBucketCORS after putBucketCORS: ${JSON.stringify(rules)}`);
  }
  await c.deleteBucketCORS(cfg.bucket);
  let err;
  try {
    await c.getBucketCORS(cfg.bucket);
  } catch (e) {
    err = e;
  }
  if (!err || err.code !== 'NoSuchCORSConfiguration' || err.status !== 404) {
    throw new Error(`getBucketCORS after deleteBucketCORS: ${err ? err.code + ' ' + err.status : 'succeeded'}`);
  }
  await c.putBucketCORS(cfg.bucket, original);
  return [];
}

// listUploadsCase: an initiated upload is listed under its prefix and is
// gone once aborted (ListMultipartUploads).
async function listUploadsCase(c, base) {
  const key = `${base}unfinished ü.bin`;
  const { uploadId } = await c.initMultipartUpload(key);
  const listed = await c.listUploads({ prefix: base, 'max-uploads': 10 });
  if (!listed.uploads.some((u) => u.name === key && u.uploadId === uploadId) || listed.isTruncated) {
    throw new Error(`listUploads does not show ${uploadId}: ${JSON.stringify(listed.uploads)}`);
  }
  await c.abortMultipartUpload(key, uploadId);
  const after = await c.listUploads({ prefix: base });
  if (after.uploads.length !== 0) throw new Error(`aborted upload still listed: ${JSON.stringify(after.uploads)}`);
  return [];
}

async function main() {
  if (!(await resolvesLocalhost(`${cfg.bucket}.localhost`))) {
    report({ info: `${cfg.bucket}.localhost does not resolve here; the localhost variant maps *.localhost to 127.0.0.1 in its http.Agent lookup (browsers do this natively)` });
  }
  const userCreds = { accessKeyId: cfg.user.accessKeyId, accessKeySecret: cfg.user.accessKeySecret };
  const stsCreds = { accessKeyId: cfg.sts.accessKeyId, accessKeySecret: cfg.sts.accessKeySecret, stsToken: cfg.sts.stsToken };
  // Keys carry a space, a non-ASCII letter, '+' and parentheses: ali-oss
  // escapes '+' but not '(', ')' in the URL, V4 canonicalises them (§2.1, §2.5).
  const odd = 'ali ü+(1)';
  for (const sig of ['v1', 'v4']) {
    for (const addr of Object.keys(addressings)) {
      for (const [who, creds] of [['user', userCreds], ['sts', stsCreds]]) {
        const c = client(sig, addr, creds);
        const base = `${cfg.prefix}${cfg.run}/${sig}-${addr}-${who}/`;
        const name = `${sig}/${addr}/${who}`;
        await expectOK(`${name}/put`, () => putCase(c, `${base}${odd}.txt`));
        await expectOK(`${name}/multipartUpload`, () => multipartCase(c, `${base}big ${odd}.bin`, sig === 'v4'));
      }
    }
    const admin = client(sig, 'ip-host', userCreds);
    await expectOK(`${sig}/ip-host/user/bucketCORS`, () => bucketCORSCase(admin));
    await expectOK(`${sig}/ip-host/user/listUploads`, () => listUploadsCase(admin, `${cfg.prefix}${cfg.run}/uploads-${sig}/`));
    // Negative cases (ip-host and the browser's sld addressing).
    for (const addr of ['ip-host', 'sld-browser']) {
      const name = `${sig}/${addr}`;
      const key = `${cfg.prefix}${cfg.run}/neg/${sig}-${addr}.txt`;
      const forged = client(sig, addr, { ...stsCreds, accessKeySecret: cfg.forgedSecret });
      await expectErr(`${name}/forged-secret/put`, 'SignatureDoesNotMatch', 403, () => forged.put(key, Buffer.from('x')));
      const forgedUser = client(sig, addr, { ...userCreds, accessKeySecret: cfg.forgedSecret });
      await expectErr(`${name}/forged-secret-user/multipartUpload`, 'SignatureDoesNotMatch', 403,
        () => forgedUser.multipartUpload(key, content(MULTIPART_SIZE, 1), { partSize: PART_SIZE }));
      const expired = client(sig, addr, cfg.expired);
      await expectErr(`${name}/expired-token/put`, 'SecurityTokenExpired', 403, () => expired.put(key, Buffer.from('x')));
      const other = client(sig, addr, { ...stsCreds, stsToken: cfg.otherToken });
      await expectErr(`${name}/other-session-token/put`, 'AccessKeyIdAndSecurityTokenNotMatch', 403, () => other.put(key, Buffer.from('x')));
      const noToken = client(sig, addr, { accessKeyId: cfg.sts.accessKeyId, accessKeySecret: cfg.sts.accessKeySecret });
      await expectErr(`${name}/missing-token/put`, 'InvalidSecurityToken', 403, () => noToken.put(key, Buffer.from('x')));
      const sts = client(sig, addr, stsCreds);
      await expectErr(`${name}/outside-policy/put`, 'AccessDenied', 403, () => sts.put(cfg.outsideKey, Buffer.from('x')));
      await expectErr(`${name}/outside-policy/multipartUpload`, 'AccessDenied', 403,
        () => sts.multipartUpload(cfg.outsideKey + '.bin', content(MULTIPART_SIZE, 2), { partSize: PART_SIZE }));
      await expectErr(`${name}/outside-policy/get`, 'AccessDenied', 403, () => sts.get(cfg.outsideKey));
    }
  }
  localhostAgent.destroy();
  const failed = results.filter((r) => r.name && !r.ok).length;
  process.exit(failed === 0 ? 0 : 1);
}

main().catch((e) => fail(`unexpected: ${e.stack || e}`));
