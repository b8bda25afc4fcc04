// The demo page's Uppy tab in headless Chromium against a freshly started
// local stack, driven only through the page as a person would: sign in,
// open the tab, add files to the Uppy Dashboard (unmodified Uppy 6 from
// web/package.json, bundled by `make web-deps`), press its buttons. A small
// PNG goes by the signed form and 50 MiB by presigned multipart; the big
// one is paused with its Dashboard button after its first part, no part
// request starts while it is paused, it is resumed, and the page's table
// shows both verified (from the sign function's GET /status). Then an
// upload cancelled midway with the Dashboard's cancel button leaves no
// multipart upload and no parts in the bucket (ListMultipartUploads and
// ListParts with ali-oss against the OSS emulator), and no object. Leaves a screenshot of
// the tab in build/browser/uppy-tab.png.
// Run by tests/browser/run.sh (make test-browser).
import { createRequire } from 'node:module';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { root, startStack, stop, launchChromium } from './lib.mjs';

const require = createRequire(new URL('../package.json', import.meta.url));
const OSS = require('ali-oss');
const work = mkdtempSync(path.join(tmpdir(), 'ossupload-demo-uppy-'));
const MiB = 1024 * 1024;
const user = 'uppy-user';
let passed = 0;
const t0 = Date.now();
const at = () => `[${((Date.now() - t0) / 1000).toFixed(1)} s]`;

// A real 1x1 PNG; its first 33 bytes (signature and IHDR) make noise sniff as PNG.
const tinyPNG = Buffer.from(
  '89504e470d0a1a0a0000000d4948445200000001000000010806000000' +
  '1f15c4890000000d49444154789c6360f8cfc0f01f0005000201' +
  'd1a4cd5f0000000049454e44ae426082', 'hex');
const pngOf = (size) => Buffer.concat([tinyPNG.subarray(0, 33), randomBytes(size - 33)]);

const isPart = (r) => r.method() === 'PUT' && /[?&]partNumber=\d+/.test(r.url()) && /[?&]uploadId=/.test(r.url());
const until = (ms) => new Promise((r) => setTimeout(r, ms));

// holdParts makes the OSS emulator serve the first part request of the
// file name at once and hold the next for delay (a "slow" fault, see
// local/oss/faults.go): loopback is too fast for a person, or a test, to
// act while an upload is midway. Uppy 6 sends a file's parts one after
// another, so the second part is the one in flight.
async function holdParts(ready, name, delay) {
  const key = `uploads/${user}/*/*/*/*-${name}`;
  for (const f of [{ delay: '1ms', times: 1 }, { delay, times: 1 }]) {
    const res = await fetch(ready.oss.replace(/\/$/, '') + '/_emulator/faults', {
      method: 'POST', body: JSON.stringify({ op: 'UploadPart', key, action: 'slow', ...f }),
    });
    if (!res.ok) throw new Error('could not set a slow fault: ' + res.status + ' ' + await res.text());
  }
}

function item(page, name) {
  return page.locator('.uppy-Dashboard-Item', { has: page.locator('.uppy-Dashboard-Item-name', { hasText: name }) });
}

async function main() {
  const files = { small: path.join(work, 'small.png'), big: path.join(work, 'big.png'), gone: path.join(work, 'gone.png') };
  writeFileSync(files.small, tinyPNG);
  writeFileSync(files.big, pngOf(50 * MiB));
  writeFileSync(files.gone, pngOf(10 * MiB));

  const { child, ready } = await startStack({ dataDir: path.join(work, 'data') });
  const admin = new OSS({ region: ready.region, bucket: ready.bucket, endpoint: ready.oss,
    accessKeyId: ready.accessKeyId, accessKeySecret: ready.accessKeySecret });
  let browser;
  try {
    browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1000, height: 900 } });
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    // Uppy 6.3.1 itself logs this on the console when a file is cancelled
    // before its thumbnail is made (@uppy/thumbnail-generator); it is not
    // the page's error.
    const uppyNoise = /\[ThumbnailGenerator\] file was removed before a thumbnail could be generated/;
    page.on('console', (m) => { if (m.type() === 'error' && !uppyNoise.test(m.text())) errors.push(m.text()); });
    page.on('response', (r) => { if (r.status() >= 400) errors.push(`${r.status()} ${r.request().method()} ${r.url()}`); });
    const oss = [];      // what the page sent to OSS: method and URL
    const parts = [];    // part uploads started
    page.on('request', (r) => {
      if (!r.url().startsWith(ready.oss)) return;
      oss.push(`${r.method()} ${r.url()}`);
      if (isPart(r)) parts.push(r.url());
    });

    await page.goto(ready.web);
    await page.fill('#user', user);
    await page.click('#signin-form button');
    await page.waitForSelector(`#whoami:text("signed in as ${user}")`);
    await page.click('#tab-uppy');
    await page.locator('#uppy-dashboard .uppy-Dashboard').waitFor({ state: 'visible', timeout: 10000 });
    if (await page.locator('#panel-classic').isVisible()) throw new Error('the form and ali-oss panel is still shown on the Uppy tab');
    if (await page.locator('#uppy-note').isVisible()) throw new Error('the Uppy tab still shows its note: ' + await page.textContent('#uppy-note'));
    console.log(at(), 'ok: the Uppy tab shows the Dashboard after sign-in');
    passed++;

    // Both files at once, as a person dropping them would; the big one is
    // paused while its second part is in flight.
    await holdParts(ready, 'big.png', '5s');
    await page.setInputFiles('#uppy-dashboard .uppy-Dashboard-input >> nth=0', [files.small, files.big]);
    const firstPart = page.waitForResponse((r) => isPart(r.request()) && r.ok(), { timeout: 60000 });
    await page.click('.uppy-StatusBar-actionBtn--upload');
    await firstPart;
    const toggle = item(page, 'big.png').locator('.uppy-Dashboard-Item-progressIndicator');
    await toggle.click();
    // The Dashboard marks a paused file only by its button's title.
    await item(page, 'big.png').locator('.uppy-Dashboard-Item-progressIndicator[title="Resume upload"]').waitFor({ timeout: 10000 });
    const atPause = parts.length;
    // A person looking at a paused upload: nothing may move for 1.5 s.
    await until(1500);
    const whilePaused = parts.length - atPause;
    const uploaded = await page.textContent('#uploads tbody');
    if (whilePaused !== 0) throw new Error(`${whilePaused} part upload(s) started while paused`);
    if (atPause !== 2) throw new Error(`${atPause} part requests were sent before the pause took effect, want 2`);
    if (uploaded.includes('big.png')) throw new Error('the big file finished before it could be paused: ' + uploaded);
    await toggle.click();
    await item(page, 'big.png').locator('.uppy-Dashboard-Item-progressIndicator[title="Pause upload"]').waitFor({ timeout: 10000 });
    console.log(at(), 'ok: paused with part 2 in flight, no part request while paused, resumed');
    passed++;

    await page.waitForFunction(() => {
      const cells = document.querySelectorAll('tr[data-way="uppy"] .verdict');
      return cells.length === 2 && [...cells].every((c) => c.dataset.status !== 'pending');
    }, null, { timeout: 120000 });
    const rows = await page.$$eval('tr[data-way="uppy"]', (trs) => trs.map((tr) => ({
      key: tr.children[1].textContent, size: tr.children[2].textContent,
      status: tr.querySelector('.verdict').dataset.status, text: tr.querySelector('.verdict').textContent,
    })));
    for (const r of rows) {
      console.log(`uppy: ${r.key} ${r.size}: ${r.text}`);
      if (r.status !== 'verified') throw new Error(`${r.key} ended ${r.text}`);
      if (!r.key.startsWith(`uploads/${user}/`)) throw new Error(`${r.key} is not under the user's prefix`);
    }
    const small = rows.find((r) => r.key.endsWith('small.png'));
    const big = rows.find((r) => r.key.endsWith('big.png'));
    if (!small || !big) throw new Error('the table lacks small.png or big.png: ' + JSON.stringify(rows));
    // The small one by the signed form (a POST to the bucket), the big one
    // by multipart: initiated, ten parts, completed, for its key only.
    const bucketURL = ready.oss.replace(/\/$/, '') + '/' + ready.bucket;
    const form = oss.filter((l) => l === `POST ${bucketURL}` || l === `POST ${bucketURL}/`);
    const bigPath = encodeURI(big.key).replace(/%2F/g, '/');
    const initiated = oss.filter((l) => l.startsWith('POST ') && l.includes(bigPath + '?') && /[?&]uploads(=|&|$)/.test(l));
    const bigParts = new Set(parts.filter((u) => u.includes(bigPath + '?')).map((u) => /[?&]partNumber=(\d+)/.exec(u)[1]));
    if (form.length !== 1) throw new Error(`want one form POST to the bucket, saw ${JSON.stringify(form)}`);
    if (initiated.length !== 1 || bigParts.size !== 10) {
      throw new Error(`big.png: ${initiated.length} initiate(s), parts ${[...bigParts]}, want 1 and 10 parts`);
    }
    const head = await admin.head(big.key);
    if (Number(head.res.headers['content-length']) !== 50 * MiB) throw new Error(`big.png stored ${head.res.headers['content-length']} bytes`);
    console.log(at(), 'ok: small.png by form, 50 MiB by presigned multipart (10 parts), both verified on the page');
    passed++;
    if (errors.length) throw new Error('the page logged errors or failed requests:\n  ' + errors.join('\n  '));

    await page.screenshot({ path: path.join(root, 'build/browser/uppy-tab.png'), fullPage: true });
    console.log('screenshot: build/browser/uppy-tab.png');

    // Cancelled midway: the Dashboard's cancel button; Uppy aborts the
    // multipart upload with a presigned DELETE and OSS keeps nothing.
    await holdParts(ready, 'gone.png', '15s');
    await page.click('.uppy-StatusBar-actionBtn--done');
    await page.setInputFiles('#uppy-dashboard .uppy-Dashboard-input >> nth=0', files.gone);
    const gonePart = page.waitForResponse((r) => isPart(r.request()) && r.ok(), { timeout: 60000 });
    await page.click('.uppy-StatusBar-actionBtn--upload');
    await gonePart;
    const prefix = `uploads/${user}/`;
    const during = (await admin.listUploads({ prefix })).uploads || [];
    if (during.length !== 1 || !during[0].name.endsWith('-gone.png')) {
      throw new Error('want gone.png in progress before the cancel, ListMultipartUploads has ' + JSON.stringify(during));
    }
    const { name: goneKey, uploadId } = during[0];
    // ali-oss gives one part as an object, several as an array.
    const stored = [].concat((await admin.listParts(goneKey, uploadId)).parts || []);
    if (!stored.length) throw new Error('no part of gone.png was stored before the cancel');
    await page.click('.uppy-StatusBar-actionCircleBtn[title="Cancel"]');
    const deadline = Date.now() + 15000;
    for (;;) {
      const left = (await admin.listUploads({ prefix })).uploads || [];
      if (left.length === 0) break;
      if (Date.now() > deadline) throw new Error('after the cancel, uploads in progress: ' + JSON.stringify(left));
      await until(200);
    }
    const partsLeft = await admin.listParts(goneKey, uploadId).then((r) => `${[].concat(r.parts || []).length} part(s)`, (e) => e.code);
    if (partsLeft !== 'NoSuchUpload') throw new Error(`ListParts after the cancel: ${partsLeft}, want NoSuchUpload`);
    const object = await admin.head(goneKey).then(() => 'exists', (e) => e.status);
    if (object !== 404) throw new Error(`gone.png after the cancel: ${object}`);
    if (await page.locator('tr[data-way="uppy"]').count() !== 2) throw new Error('the cancelled upload got a row in the table');
    console.log(at(), `ok: cancelled midway (${stored.length} part(s) stored): no upload, no parts, no object left for ${goneKey}`);
    passed++;
    if (errors.length) throw new Error('the page logged errors or failed requests:\n  ' + errors.join('\n  '));
    console.log(`${passed} passed, 0 failed`);
  } finally {
    if (browser) await browser.close();
    stop(child);
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error('demo page Uppy test failed:', err.message);
  console.log(`${passed} passed, 1 failed`);
  process.exit(1);
});
