// ali-oss (npm, Node) whose refreshSTSToken callback meets STS throttling:
// the sts function answers 503 with Retry-After while STS throttles
// AssumeRole, the callback waits that long and asks again, and the upload
// that needed the refresh succeeds once the throttling stops.
//
// Usage: node tests/node/sts_throttling.mjs <stsFunctionURL> <jwt> <otherUserJwt>
// (driven by tests/e2e/sts_throttling_node_test.go, which runs the stack
// with STS_CACHE_SIZE=1 so that another user's call evicts this user's
// cached credentials and the refresh really reaches STS).
// Protocol: prints {"step":"evicted"} once this user's credentials are out
// of the cache, then waits for one line on stdin (the driver has armed the
// STS throttle by then); finally prints one JSON result line:
//   {"step":"done","ok","refreshCalls","throttled","retryAfter","keys","deniedCode","error"?}
// Secrets are never printed.

import { createRequire } from 'node:module';
import readline from 'node:readline';

const require = createRequire(import.meta.url);
const OSS = require('ali-oss');

const [url, jwt, otherJwt] = process.argv.slice(2);
if (!url || !jwt || !otherJwt) {
  console.error('usage: node tests/node/sts_throttling.mjs <stsFunctionURL> <jwt> <otherUserJwt>');
  process.exit(2);
}

let throttled = 0;
const retryAfter = [];

async function call(token) {
  return fetch(url, { method: 'POST', headers: { Authorization: `Bearer ${token}` } });
}

// fetchCredentials calls the sts function as an app should: on 503 it
// waits Retry-After seconds (the function's contract) and asks again.
async function fetchCredentials(token) {
  for (let attempt = 0; attempt < 10; attempt++) {
    const res = await call(token);
    if (res.status === 200) return res.json();
    const after = res.headers.get('retry-after');
    const text = await res.text();
    if (res.status !== 503 || !after) throw new Error(`sts function answered ${res.status}: ${text.slice(0, 200)}`);
    throttled++;
    retryAfter.push(after);
    await new Promise((r) => setTimeout(r, Number(after) * 1000));
  }
  throw new Error('sts function still unavailable after 10 attempts');
}

function nextLine() {
  const rl = readline.createInterface({ input: process.stdin });
  return new Promise((resolve) => rl.once('line', () => { rl.close(); resolve(); }));
}

const out = { step: 'done', ok: false, refreshCalls: 0, throttled: 0, retryAfter, keys: [], deniedCode: '' };
try {
  const body = await fetchCredentials(jwt);
  const client = new OSS({
    ...body, // accessKeyId, accessKeySecret, stsToken, bucket, region, endpoint, secure, sldEnable
    refreshSTSToken: async () => {
      out.refreshCalls++;
      const b = await fetchCredentials(jwt);
      return { accessKeyId: b.accessKeyId, accessKeySecret: b.accessKeySecret, stsToken: b.stsToken };
    },
    refreshSTSTokenInterval: 0, // refresh before every request after the first
  });
  const first = `${body.dir}throttle/before.txt`;
  await client.put(first, Buffer.from('before the throttling'));
  out.keys.push(first);

  await fetchCredentials(otherJwt); // the other user's call evicts ours (cache size 1)
  console.log(JSON.stringify({ step: 'evicted' }));
  await nextLine();

  const second = `${body.dir}throttle/after.txt`;
  await client.put(second, Buffer.from('after the throttling'));
  out.keys.push(second);

  // The refreshed credentials are still this user's only.
  try {
    const root = body.dir.replace(/[^/]+\/$/, '');
    await client.put(`${root}someone-else/throttle.txt`, Buffer.from('x'));
  } catch (e) {
    out.deniedCode = e.code || e.name;
  }
  out.ok = true;
} catch (e) {
  out.error = `${e.code || e.name}: ${e.message}`.slice(0, 300);
}
out.throttled = throttled;
console.log(JSON.stringify(out));
process.exit(out.ok ? 0 : 1);
