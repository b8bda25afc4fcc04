// Signs PostObject policies in the way a form-only upload widget would in
// the browser, from the sts function's answer alone, with ali-oss's
// signPostObjectPolicyV4 (ali-oss 6.23.0 README, ".signPostObjectPolicyV4(policy, date)"),
// and posts each form to OSS with fetch, FormData and Blob (the browser's
// own, which Node also has). Nothing Node-only but require('ali-oss').
// Run by tests/nodeconf/post_policy_node_test.go with the answer as argv[2];
// prints one JSON line per case: {name, key, status, code}.
import { createRequire } from 'node:module';

const require = createRequire(new URL('../package.json', import.meta.url));
const OSS = require('ali-oss');

const { answer, run, png } = JSON.parse(process.argv[2]);
const file = new Blob([Buffer.from(png, 'base64')], { type: 'image/png' });

// Where ali-oss itself would send an object, from the answer's addressing:
// no endpoint is the default domain, cname a custom domain as it is,
// sldEnable (the local emulator) the bucket in the path, else the bucket
// before the endpoint's host (shared/stsvend ClientOptionsFor).
function postURL(c) {
  if (!c.endpoint) return `https://${c.bucket}.${c.region}.aliyuncs.com/`;
  if (c.cname) return c.endpoint + '/';
  if (c.sldEnable) return `${c.endpoint}/${c.bucket}/`;
  const u = new URL(c.endpoint);
  return `${u.protocol}//${c.bucket}.${u.host}/`;
}

// The fields and URL of one upload of `file` to `key`, V4-signed in the
// browser: the code of README "Signing the form in the browser". `range`
// narrows the size range (to show the policy is enforced); `tamper` edits
// the policy after signing (to show the signature covers it).
function signedForm(c, key, { range = [1, file.size], tamper } = {}) {
  const now = new Date();
  const date = now.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, ''); // 20261123T020434Z
  // The V4 scope carries the bare region id: regionId in the answer.
  const credential = `${c.accessKeyId}/${date.slice(0, 8)}/${c.regionId}/oss/aliyun_v4_request`;
  const policy = { expiration: new Date(now.getTime() + 10 * 60e3).toISOString(), conditions: [
    { bucket: c.bucket }, { key }, ['content-length-range', ...range], { 'content-type': file.type },
    { success_action_status: '200' }, { 'x-oss-signature-version': 'OSS4-HMAC-SHA256' },
    { 'x-oss-credential': credential }, { 'x-oss-date': date }, { 'x-oss-security-token': c.stsToken } ] };
  const signature = new OSS({ ...c }).signPostObjectPolicyV4(policy, now);
  if (tamper) tamper(policy);
  const fields = {
    key, policy: btoa(String.fromCharCode(...new TextEncoder().encode(JSON.stringify(policy)))),
    'x-oss-signature-version': 'OSS4-HMAC-SHA256', 'x-oss-credential': credential, 'x-oss-date': date,
    'x-oss-security-token': c.stsToken, 'x-oss-signature': signature,
    success_action_status: '200', 'Content-Type': file.type,
  };
  const url = postURL(c);
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  form.append('file', file, 'photo.png'); // last
  return { url, form };
}

async function post(name, key, opts) {
  const { url, form } = signedForm(answer, key, opts);
  const res = await fetch(url, { method: 'POST', body: form });
  const body = await res.text();
  const code = /<Code>([^<]*)<\/Code>/.exec(body);
  console.log(JSON.stringify({ name, key, status: res.status, code: code ? code[1] : '' }));
}

const mine = `${answer.dir}${run}/`;
await post('upload', mine + 'photo.png');
await post('outside-dir', answer.dir.replace(/[^/]+\/$/, 'someone-else/') + run + '/photo.png');
await post('policy-enforced', mine + 'too-big.png', { range: [1, 10] });
await post('tampered', mine + 'tampered.png', {
  tamper: (p) => { p.conditions[2] = ['content-length-range', 1, 1 << 30]; },
});
