// What a hostile page can do with ali-oss and the credentials the sts
// function hands it: each case uploads under the caller's own prefix with
// headers chosen to change how the object would be served. The upload
// itself may succeed (oss:PutObject allows it); the Go side then checks
// that the verify function rejects it, or that OSS refused it.
//
// Usage: node tests/node/hostile_alioss.mjs '<json>' with
// {"answer": <sts answer>, "run": "<unique folder>", "png": "<base64 PNG>"}
// (driven by tests/nodeconf/hostile_node_test.go). Prints one JSON line per
// case: {name, key, status, code}. Secrets are never printed.
import { createRequire } from 'node:module';

const require = createRequire(new URL('../package.json', import.meta.url));
const OSS = require('ali-oss');

const { answer, run, png } = JSON.parse(process.argv[2]);
const pngBytes = Buffer.from(png, 'base64');
const html = Buffer.from('<!doctype html><html><body><script>alert(document.cookie)</script></body></html>\n');

const cases = [
  // A real PNG, honestly declared: the control case, verified.
  { name: 'honest-png', file: 'ok.png', body: pngBytes, headers: { 'Content-Type': 'image/png', 'x-oss-meta-declared-type': 'image/png' } },
  // HTML stored as text/html while claiming image/png in the metadata.
  { name: 'html-as-declared-png', file: 'a.png', body: html, headers: { 'Content-Type': 'text/html', 'x-oss-meta-declared-type': 'image/png' } },
  // A real PNG whose stored Content-Type makes browsers render HTML.
  { name: 'png-served-as-html', file: 'b.png', body: pngBytes, headers: { 'Content-Type': 'text/html' } },
  // A real PNG served inline under a name that saves as .html.
  { name: 'png-inline-disposition', file: 'c.png', body: pngBytes, headers: { 'Content-Type': 'image/png', 'Content-Disposition': 'inline; filename="c.html"' } },
  // A real PNG the browser would gunzip before looking at it.
  { name: 'png-content-encoding', file: 'd.png', body: pngBytes, headers: { 'Content-Type': 'image/png', 'Content-Encoding': 'gzip' } },
  // Make the object public: Block Public Access refuses it on OSS.
  { name: 'public-acl', file: 'e.png', body: pngBytes, headers: { 'Content-Type': 'image/png', 'x-oss-object-acl': 'public-read' } },
];

const client = new OSS({ ...answer, authorizationV4: true });
for (const c of cases) {
  const key = `${answer.dir}${run}/${c.file}`;
  let status = 0;
  let code = '';
  try {
    const res = await client.put(key, c.body, { headers: c.headers, mime: c.headers['Content-Type'] });
    status = res.res.status;
  } catch (e) {
    status = e.status || 0;
    code = e.code || e.name || 'error';
  }
  console.log(JSON.stringify({ name: c.name, key, status, code }));
}
