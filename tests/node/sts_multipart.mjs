// ali-oss (npm, Node) configured only from the sts function's response body:
// multipartUpload of a file under the caller's prefix with the headers the
// answer lists, with refreshSTSToken calling the function again, as a
// browser app does.
//
// Usage: node tests/node/sts_multipart.mjs <stsFunctionURL> <jwt> <file>
// (driven by tests/stsfn/node_test.go).
// For each signing mode ("v1": the body as is; "v4": the body plus
// authorizationV4: true) it prints one JSON line on stdout:
//   {"name", "ok", "key"?, "size"?, "refreshCalls"?, "deniedCode"?, "error"?}
// and exits 0 only when both uploads completed. Secrets are never printed.

import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';

const require = createRequire(import.meta.url);
const OSS = require('ali-oss');

const [url, jwt, file] = process.argv.slice(2);
if (!url || !jwt || !file) {
  console.error('usage: node tests/node/sts_multipart.mjs <stsFunctionURL> <jwt> <file>');
  process.exit(2);
}

// fetchCredentials calls the sts function the way the demo page does.
async function fetchCredentials() {
  const res = await fetch(url, { method: 'POST', headers: { Authorization: `Bearer ${jwt}` } });
  if (res.status !== 200) throw new Error(`sts function answered ${res.status}: ${await res.text()}`);
  return res.json();
}

async function run(name, extra) {
  let refreshCalls = 0;
  const body = await fetchCredentials();
  const client = new OSS({
    ...body, // accessKeyId, accessKeySecret, stsToken, bucket, region, endpoint, secure, sldEnable
    ...extra,
    refreshSTSToken: async () => {
      refreshCalls++;
      const b = await fetchCredentials();
      return { accessKeyId: b.accessKeyId, accessKeySecret: b.accessKeySecret, stsToken: b.stsToken };
    },
    refreshSTSTokenInterval: 0, // refresh before every request after the first: exercises the callback
  });
  const key = `${body.dir}node-${name}/${path.basename(file)}`;
  const size = fs.statSync(file).size;
  // headers: the x-oss-meta-* headers the answer says every upload carries
  // (x-oss-meta-route, and the hook's metadata and pin when there is a hook).
  const result = await client.multipartUpload(key, file, { partSize: 256 * 1024, parallel: 3, headers: body.headers });
  if (!result || !result.res || result.res.status !== 200) {
    throw new Error(`multipartUpload answered ${result && result.res && result.res.status}`);
  }
  // The same credentials must not reach outside the caller's prefix.
  let deniedCode = '';
  try {
    const root = body.dir.replace(/[^/]+\/$/, ''); // UPLOAD_PREFIX
    await client.put(`${root}someone-else/node-${name}.txt`, Buffer.from('x'));
  } catch (e) {
    deniedCode = e.code || e.name;
  }
  return { name, ok: true, key, size, refreshCalls, deniedCode };
}

let failed = false;
for (const [name, extra] of [['v1', {}], ['v4', { authorizationV4: true }]]) {
  try {
    console.log(JSON.stringify(await run(name, extra)));
  } catch (e) {
    failed = true;
    console.log(JSON.stringify({ name, ok: false, error: `${e.code || e.name}: ${e.message}`.slice(0, 300) }));
  }
}
process.exit(failed ? 1 : 0);
