// The demo page's upload routes in headless Chromium, against a local stack
// started as `make run` starts it: with -routes local/demo-routes.json
// (avatar: PNG, JPEG, WebP up to 2 MB; document: PDF up to 50 MB). Each
// route refuses what the other allows, through the page as a person uses
// it (pick the route, choose a file, press the button):
//   form:    a PNG via avatar is verified under avatars/; the same PNG via
//            document is refused by sign (type_not_allowed); a PDF via
//            document is verified under documents/; the PDF via avatar is
//            refused (type_not_allowed); a 3 MiB PNG via avatar is refused
//            (too_large).
//   ali-oss: STS credentials for avatar upload a 1.5 MiB PNG by multipart
//            under avatars/, initiated with the headers the sts answer
//            lists (x-oss-meta-route: avatar), and it is verified; the PNG with credentials for document
//            lands under documents/ and verify rejects it.
//   Uppy:    a PNG via avatar goes through POST /presign and is verified;
//            via document POST /presign refuses it (type_not_allowed).
// Every request the page makes to sign (POST /, POST /presign) and sts
// names the route chosen for that upload. Leaves build/browser/routes.png.
// Run by tests/browser/run.sh (make test-browser).
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { root, startStack, stop, launchChromium } from './lib.mjs';

const work = mkdtempSync(path.join(tmpdir(), 'ossupload-routes-'));
const user = 'routes-user';

// A real 1x1 PNG; its first 33 bytes (signature and IHDR) make noise sniff as PNG.
const tinyPNG = Buffer.from(
  '89504e470d0a1a0a0000000d4948445200000001000000010806000000' +
  '1f15c4890000000d49444154789c6360f8cfc0f01f0005000201' +
  'd1a4cd5f0000000049454e44ae426082', 'hex');
// A minimal PDF: it sniffs as application/pdf (%PDF-).
const tinyPDF = Buffer.from('%PDF-1.4\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n' +
  '2 0 obj <</Type /Pages /Kids [] /Count 0>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n');

const results = [];
// The JSON bodies of the page's calls to sign (POST /, POST /presign) and sts.
const calls = [];
async function check(name, fn) {
  try {
    const detail = await fn();
    results.push({ name, ok: true });
    console.log(`ok: ${name}${detail ? ': ' + detail : ''}`);
  } catch (err) {
    results.push({ name, ok: false });
    console.log(`FAIL: ${name}: ${err.message}`);
  }
}

// upload picks route, uploads file by way ('form' or 'ali-oss') with the
// page's own controls and returns the new row once it is final: the
// verdict, or the error the page shows.
async function upload(page, way, route, file) {
  await page.selectOption('#route', route);
  const [input, button] = way === 'form' ? ['#post-file', '#post-upload'] : ['#mp-file', '#mp-upload'];
  const before = await page.locator(`tr[data-way="${way}"]`).count();
  const callsBefore = calls.length;
  await page.setInputFiles(input, file);
  await page.click(button);
  const row = await finalRow(page, way, before);
  namedRoute(callsBefore, route);
  return row;
}

// namedRoute checks that the page's calls since the first n named route.
function namedRoute(n, route) {
  const made = calls.slice(n);
  if (!made.length) throw new Error('the page called neither sign nor sts');
  const other = made.filter((c) => c.body.route !== route);
  if (other.length) throw new Error(`calls not naming route ${route}: ${JSON.stringify(other)}`);
}

async function finalRow(page, way, before) {
  await page.waitForFunction(([w, n]) => {
    const r = document.querySelectorAll(`tr[data-way="${w}"]`);
    return r.length > n && r[0].querySelector('.verdict').dataset.status !== 'pending';
  }, [way, before], { timeout: 90000 });
  const row = page.locator(`tr[data-way="${way}"]`).first();
  return {
    status: await row.locator('.verdict').getAttribute('data-status'),
    text: await row.locator('.verdict').textContent(),
    key: await row.locator('td').nth(1).textContent(),
  };
}

function expect(got, status, { text, keyUnder } = {}) {
  const shown = `${got.status}: ${got.text} (key ${got.key})`;
  if (got.status !== status) throw new Error(`ended ${shown}, want ${status}${text ? ' ' + text : ''}`);
  if (text && !got.text.includes(text)) throw new Error(`ended ${shown}, want ${text}`);
  if (keyUnder && !got.key.startsWith(keyUnder)) throw new Error(`key ${got.key}, want it under ${keyUnder}`);
  return shown;
}

async function main() {
  const f = {
    png: path.join(work, 'pic.png'), pdf: path.join(work, 'doc.pdf'), bigPNG: path.join(work, 'big.png'),
    mpPNG: path.join(work, 'mp.png'), mpPNG2: path.join(work, 'mp2.png'), uppyPNG: path.join(work, 'uppy.png'),
  };
  writeFileSync(f.png, tinyPNG);
  writeFileSync(f.pdf, tinyPDF);
  writeFileSync(f.bigPNG, Buffer.concat([tinyPNG.subarray(0, 33), randomBytes(3 * 1024 * 1024 - 33)]));
  // 1.5 MiB: ali-oss multipart (the page's 1 MiB parts), below avatar's 2 MB.
  writeFileSync(f.mpPNG, Buffer.concat([tinyPNG.subarray(0, 33), randomBytes(1.5 * 1024 * 1024 - 33)]));
  for (const p of [f.mpPNG2, f.uppyPNG]) writeFileSync(p, tinyPNG);

  const { child, ready } = await startStack({ dataDir: path.join(work, 'data'), args: ['-routes', path.join(root, 'local/demo-routes.json')] });
  const dirOf = (route) => `uploads/${user}/${route === 'avatar' ? 'avatars' : 'documents'}/`;
  let browser;
  try {
    browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1000, height: 1000 } });
    page.on('pageerror', (e) => console.log('[page error]', e.message));
    // What the page sends: the JSON bodies of its calls to sign and sts, and
    // the x-oss-meta-route of its requests to OSS.
    const ossRoutes = [];
    const sign = ready.functions.sign.replace(/\/$/, ''), sts = ready.functions.sts.replace(/\/$/, '');
    page.on('request', (r) => {
      const url = r.url();
      if (r.method() === 'POST' && (url === sign + '/' || url === sign + '/presign' || url === sts + '/')) {
        calls.push({ url, body: JSON.parse(r.postData() || '{}') });
      }
      // What creates the object's metadata: InitiateMultipartUpload (POST ?uploads) or a PutObject.
      const creates = (r.method() === 'POST' && /[?&]uploads(=|&|$)/.test(url)) || (r.method() === 'PUT' && !/[?&](partNumber|uploadId)=/.test(url));
      if (url.startsWith(ready.oss) && creates) ossRoutes.push({ url, route: r.headers()['x-oss-meta-route'] });
    });
    await page.goto(ready.web);

    await check('the page offers the routes of /config.json with their limits', async () => {
      await page.locator('#routes').waitFor({ state: 'visible', timeout: 10000 });
      const names = await page.locator('#route option').evaluateAll((os) => os.map((o) => o.value));
      if (names.join(',') !== 'avatar,document') throw new Error(`options ${names}, want avatar,document`);
      const avatar = await page.locator('#route-limits').textContent();
      await page.selectOption('#route', 'document');
      const doc = await page.locator('#route-limits').textContent();
      for (const [got, want] of [[avatar, ['image/png', 'image/jpeg', 'image/webp', '2 MB', 'form, presign, sts']], [doc, ['application/pdf', '50 MB']]]) {
        for (const w of want) if (!got.includes(w)) throw new Error(`limits "${got}" do not mention ${w}`);
      }
      return `avatar: ${avatar} | document: ${doc}`;
    });

    await page.fill('#user', user);
    await page.click('#signin-form button');
    await page.waitForSelector(`#whoami:text("signed in as ${user}")`);

    await check('form: a PNG via avatar is verified under avatars/', async () =>
      expect(await upload(page, 'form', 'avatar', f.png), 'verified', { keyUnder: dirOf('avatar') }));
    await check('form: the PNG via document is refused (type_not_allowed)', async () =>
      expect(await upload(page, 'form', 'document', f.png), 'error', { text: 'type_not_allowed' }));
    await check('form: a PDF via document is verified under documents/', async () =>
      expect(await upload(page, 'form', 'document', f.pdf), 'verified', { keyUnder: dirOf('document') }));
    await check('form: the PDF via avatar is refused (type_not_allowed)', async () =>
      expect(await upload(page, 'form', 'avatar', f.pdf), 'error', { text: 'type_not_allowed' }));
    await check('form: a 3 MiB PNG via avatar is refused (too_large)', async () =>
      expect(await upload(page, 'form', 'avatar', f.bigPNG), 'error', { text: 'too_large' }));

    await check('ali-oss: a PNG with avatar credentials and headers is verified under avatars/', async () => {
      const shown = expect(await upload(page, 'ali-oss', 'avatar', f.mpPNG), 'verified', { keyUnder: dirOf('avatar') });
      const sent = ossRoutes.filter((r) => r.url.includes(dirOf('avatar')));
      if (!sent.length || sent.some((r) => r.route !== 'avatar')) {
        throw new Error(`requests to OSS under avatars/ carried x-oss-meta-route ${JSON.stringify(sent.map((r) => r.route))}, want avatar`);
      }
      return shown;
    });
    await check('ali-oss: the PNG with document credentials lands under documents/ and is rejected', async () =>
      expect(await upload(page, 'ali-oss', 'document', f.mpPNG2), 'rejected', { keyUnder: dirOf('document') }));

    // The page makes its Uppy again for each route chosen (a fresh Dashboard).
    const uppyUpload = async (route, file) => {
      await page.selectOption('#route', route);
      await page.click('#tab-uppy');
      await page.locator('#uppy-dashboard .uppy-Dashboard').waitFor({ state: 'visible', timeout: 10000 });
      const before = await page.locator('tr[data-way="uppy"]').count();
      const callsBefore = calls.length;
      await page.setInputFiles('#uppy-dashboard .uppy-Dashboard-input >> nth=0', file);
      await page.click('.uppy-StatusBar-actionBtn--upload');
      const row = await finalRow(page, 'uppy', before);
      namedRoute(callsBefore, route);
      return row;
    };
    await check('uppy: a PNG via avatar goes by POST /presign and is verified under avatars/', async () =>
      expect(await uppyUpload('avatar', f.uppyPNG), 'verified', { keyUnder: dirOf('avatar') }));
    await check('uppy: the PNG via document is refused by POST /presign (type_not_allowed)', async () =>
      expect(await uppyUpload('document', f.uppyPNG), 'error', { text: 'type_not_allowed' }));

    // Each case above checked that its calls named its route; here, that
    // every kind of call was seen.
    await check('the page called sign POST /, sts POST / and sign POST /presign', async () => {
      const want = { [sign + '/']: 5, [sts + '/']: 2, [sign + '/presign']: 2 };
      for (const [url, n] of Object.entries(want)) {
        const got = calls.filter((c) => c.url === url);
        if (got.length < n) throw new Error(`${got.length} calls to ${url}, want at least ${n}`);
      }
      return `${calls.length} calls`;
    });

    await page.screenshot({ path: path.join(root, 'build/browser/routes.png'), fullPage: true });
    console.log('screenshot: build/browser/routes.png');
  } finally {
    if (browser) await browser.close();
    stop(child);
    rmSync(work, { recursive: true, force: true });
  }
  const failed = results.filter((r) => !r.ok).length;
  console.log(`${results.length - failed} passed, ${failed} failed`);
  if (failed) process.exit(1);
}

main().catch((err) => {
  console.error('browser test failed:', err.message);
  console.log('0 passed, 1 failed');
  process.exit(1);
});
