// Drives the demo page of a freshly started local stack in headless Chromium:
// signs in, uploads a small PNG by form (PostObject) and a 12 MiB file with
// ali-oss multipart through the STS function, and waits for both verdicts;
// then uploads a script named .png and waits for its rejection. The page
// must log no error and fetch nothing that fails. Then it takes ETag out of
// the bucket's CORS ExposeHeader (PutBucketCors with ali-oss) and checks
// that ali-oss multipart fails in the browser as it does on OSS, and passes
// again once the rule is restored.
//
// Then, as a frontend developer on their own dev server would: a page from
// another origin (a second static server on another loopback port, passed
// to the stack with -cors-origins) uploads by form and with ali-oss
// multipart configured only from the sts answer, and both are verified;
// the same page from a third origin, not listed, is refused by sign, sts
// and the bucket.
// Run by tests/browser/run.sh (make test-browser).
import { createRequire } from 'node:module';
import { mkdtempSync, writeFileSync, rmSync, readFileSync } from 'node:fs';
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { root, startStack, stop, launchChromium } from './lib.mjs';

const require = createRequire(new URL('../package.json', import.meta.url));
const OSS = require('ali-oss');

const work = mkdtempSync(path.join(tmpdir(), 'ossupload-browser-'));
const shots = path.join(root, 'build/browser');

// A frontend's dev server: tests/browser/frontend and the browser build of
// ali-oss, on a free loopback port (so on an origin of its own).
function devServer() {
  const files = {
    '/': ['tests/browser/frontend/index.html', 'text/html; charset=utf-8'],
    '/frontend.js': ['tests/browser/frontend/frontend.js', 'text/javascript; charset=utf-8'],
    '/aliyun-oss-sdk.min.js': ['web/node_modules/ali-oss/dist/aliyun-oss-sdk.min.js', 'text/javascript; charset=utf-8'],
  };
  const srv = http.createServer((req, res) => {
    const f = files[req.url];
    if (req.url === '/favicon.ico') { res.writeHead(204); res.end(); return; }
    if (!f) { res.writeHead(404); res.end(); return; }
    res.writeHead(200, { 'Content-Type': f[1] });
    res.end(readFileSync(path.join(root, f[0])));
  });
  return new Promise((resolve) => srv.listen(0, '127.0.0.1', () =>
    resolve({ srv, origin: 'http://127.0.0.1:' + srv.address().port })));
}

// watch records what a page logs as an error, its uncaught exceptions and
// its failed fetches.
function watch(page, name) {
  const w = { errors: [], messages: [] };
  page.on('console', (m) => {
    console.log(`[${name}]`, m.type(), m.text());
    w.messages.push(m.text());
    if (m.type() === 'error') w.errors.push(m.text());
  });
  page.on('pageerror', (e) => { console.log(`[${name} error]`, e.message); w.errors.push(e.message); });
  page.on('response', (r) => { if (r.status() >= 400) w.errors.push(`${r.status()} ${r.url()}`); });
  page.on('requestfailed', (r) => w.messages.push(`request failed: ${r.url()}`));
  return w;
}

function noErrors(w, name) {
  if (w.errors.length) throw new Error(`${name} logged errors or failed requests:\n  ${w.errors.join('\n  ')}`);
}

// A real 1x1 PNG (the PNG signature, IHDR, IDAT, IEND).
const tinyPNG = Buffer.from(
  '89504e470d0a1a0a0000000d4948445200000001000000010806000000' +
  '1f15c4890000000d49444154789c6360f8cfc0f01f0005000201' +
  'd1a4cd5f0000000049454e44ae426082', 'hex');

// uploadAliOSS uploads file with the page's ali-oss multipart button and
// returns the new row's final state: the verdict, or the error the page
// shows.
async function uploadAliOSS(page, file) {
  const rows = await page.locator('tr[data-way="ali-oss"]').count();
  await page.setInputFiles('#mp-file', file);
  await page.click('#mp-upload');
  await page.waitForFunction((n) => {
    const r = document.querySelectorAll('tr[data-way="ali-oss"]');
    return r.length > n && r[0].querySelector('.verdict').dataset.status !== 'pending';
  }, rows, { timeout: 90000 });
  const cell = page.locator('tr[data-way="ali-oss"] .verdict').first();
  return { status: await cell.getAttribute('data-status'), text: await cell.textContent() };
}

// The bucket's CORS rule decides which response headers the page may read.
// OSS exposes only the rule's ExposeHeader list, and ali-oss multipart
// needs ETag: without it the upload fails in the browser with "Please set
// the etag of expose-headers in OSS". The developer changes the rule with
// ali-oss in Node (PutBucketCors, as one would against OSS), sees the
// failure, restores the rule and sees the upload pass.
async function corsExposeCase(page, ready, file) {
  const admin = new OSS({
    region: ready.region, bucket: ready.bucket, endpoint: ready.oss,
    accessKeyId: ready.accessKeyId, accessKeySecret: ready.accessKeySecret,
  });
  const { rules } = await admin.getBucketCORS(ready.bucket);
  const exposed = rules.flatMap((r) => [].concat(r.exposeHeader || []));
  if (!exposed.includes('ETag') || !exposed.includes('x-oss-request-id')) {
    throw new Error(`the local stack's CORS rule must expose ETag and x-oss-request-id, has ${JSON.stringify(rules)}`);
  }
  const withoutETag = rules.map((r) => ({ ...r, exposeHeader: [].concat(r.exposeHeader || []).filter((h) => h !== 'ETag') }));
  await admin.putBucketCORS(ready.bucket, withoutETag);
  const failed = await uploadAliOSS(page, file);
  console.log(`ali-oss without ExposeHeader ETag: ${failed.text}`);
  if (failed.status !== 'error' || !failed.text.includes('Please set the etag of expose-headers')) {
    throw new Error(`without ExposeHeader ETag the multipart upload ended ${failed.status}: ${failed.text}`);
  }
  await admin.putBucketCORS(ready.bucket, rules);
  const passed = await uploadAliOSS(page, file);
  console.log(`ali-oss with the rule restored: ${passed.text}`);
  if (passed.status !== 'verified') throw new Error(`with ExposeHeader ETag the multipart upload ended ${passed.text}`);
}

async function main() {
  const small = path.join(work, 'tiny.png');
  writeFileSync(small, tinyPNG);
  // 12 MiB that sniffs as PNG: the signature followed by noise.
  const big = path.join(work, 'big.png');
  writeFileSync(big, Buffer.concat([tinyPNG.subarray(0, 33), randomBytes(12 * 1024 * 1024 - 33)]));

  // 3 MiB: three 1 MiB parts for the page's ali-oss multipart.
  const mid = path.join(work, 'mid.png');
  writeFileSync(mid, Buffer.concat([tinyPNG.subarray(0, 33), randomBytes(3 * 1024 * 1024 - 33)]));

  const fake = path.join(work, 'fake.png');
  writeFileSync(fake, '#!/bin/sh\necho this is not a picture\n');

  const allowed = await devServer();
  const unlisted = await devServer();
  const { child, ready } = await startStack({ dataDir: path.join(work, 'data'), corsOrigins: allowed.origin,
    log: (line) => process.stdout.write('[stack] ' + line + '\n') });
  let browser;
  try {
    browser = await launchChromium();
    const page = await browser.newPage();
    const demo = watch(page, 'demo');
    await page.goto(ready.web);
    // Without -routes the functions have no UPLOAD_ROUTES: the page offers no
    // route and sends none (tests/browser/routes.mjs runs it with routes).
    await page.waitForFunction(() => document.readyState === 'complete');
    if (await page.evaluate(async () => 'routes' in (await (await fetch('/config.json')).json()) || !document.getElementById('routes').hidden)) {
      throw new Error('the page offers upload routes on a stack without -routes');
    }
    // The user-id pattern must compile under the v flag, or the browser
    // drops client-side validation (and says so on the console).
    if (await page.locator('#user').evaluate((el) => { el.value = 'not valid!'; return el.checkValidity(); })) {
      throw new Error('the user-id input accepts "not valid!": its pattern is not applied');
    }
    await page.fill('#user', 'browser-user');
    await page.click('#signin-form button');
    await page.waitForSelector('#whoami:text("signed in as browser-user")');

    await page.setInputFiles('#post-file', small);
    await page.click('#post-upload');
    await page.setInputFiles('#mp-file', big);
    await page.click('#mp-upload');

    for (const way of ['form', 'ali-oss']) {
      const cell = page.locator(`tr[data-way="${way}"] .verdict`).first();
      await cell.waitFor();
      await page.waitForFunction((w) => {
        const c = document.querySelector(`tr[data-way="${w}"] .verdict`);
        return c && c.dataset.status !== 'pending';
      }, way, { timeout: 90000 });
      const status = await cell.getAttribute('data-status');
      const text = await cell.textContent();
      console.log(`${way}: ${text}`);
      if (status !== 'verified') throw new Error(`${way} upload ended ${text}`);
    }

    // A script named .png: the browser declares image/png, the verifier
    // sniffs text, quarantines it, and the page still shows the verdict.
    const rows = await page.locator('tr[data-way="form"]').count();
    await page.setInputFiles('#post-file', fake);
    await page.click('#post-upload');
    await page.waitForFunction((n) => {
      const r = document.querySelectorAll('tr[data-way="form"]');
      return r.length > n && r[0].querySelector('.verdict').dataset.status !== 'pending';
    }, rows, { timeout: 90000 });
    const cell = page.locator('tr[data-way="form"] .verdict').first();
    const text = await cell.textContent();
    console.log(`form (fake.png): ${text}`);
    // The verdict is tagged before the object moves, so the page may see
    // it either in place or on the quarantined copy.
    if (await cell.getAttribute('data-status') !== 'rejected' || !text.includes('type-mismatch')) {
      throw new Error(`the disguised upload ended ${text}, want rejected (type-mismatch)`);
    }

    // Checked before the CORS case, whose failed upload the page reports on purpose.
    noErrors(demo, 'the demo page');
    await corsExposeCase(page, ready, mid);

    await page.screenshot({ path: path.join(shots, 'demo.png'), fullPage: true });
    console.log('screenshot: build/browser/demo.png');
    // A frontend on its own dev server, listed with -cors-origins.
    const cfg = { signUrl: ready.functions.sign + '/', stsUrl: ready.functions.sts + '/', jwt: ready.jwt };
    const front = await browser.newPage();
    const frontLog = watch(front, 'frontend');
    await front.goto(allowed.origin + '/');
    const formKey = await front.evaluate((c) => window.formUpload(c), cfg);
    const mpKey = await front.evaluate((c) => window.aliossUpload(c, 3 * 1024 * 1024 + 12345), cfg);
    for (const [way, key] of [['form', formKey], ['ali-oss', mpKey]]) {
      const verdict = await front.evaluate(([c, k]) => window.verdict(c, k), [cfg, key]);
      console.log(`frontend on ${allowed.origin}, ${way}: ${key}: ${verdict}`);
      if (verdict !== 'verified') throw new Error(`${way} upload from ${allowed.origin} ended ${verdict}`);
    }
    noErrors(frontLog, 'the frontend page');

    // The same page from an origin the stack does not list.
    const creds = await (await fetch(cfg.stsUrl, { method: 'POST', headers: { Authorization: 'Bearer ' + cfg.jwt } })).json();
    const other = await browser.newPage();
    const otherLog = watch(other, 'unlisted');
    await other.goto(unlisted.origin + '/');
    const refused = await other.evaluate(([c, k]) => window.refused(c, k), [cfg, creds]);
    console.log(`frontend on ${unlisted.origin} (not listed):`, JSON.stringify(refused));
    const blocked = (u) => otherLog.messages.some((m) => m.includes(`at '${u}`) && m.includes('blocked by CORS policy'));
    for (const [name, target] of [['sign', ready.functions.sign], ['sts', ready.functions.sts], ['oss', ready.oss]]) {
      if (!String(refused[name]).startsWith('refused') || !blocked(target)) {
        throw new Error(`${name} was not refused by CORS for ${unlisted.origin}: ${refused[name]}`);
      }
    }
    const st = await fetch(cfg.signUrl + 'status?key=' + encodeURIComponent(creds.dir + 'refused.png'),
      { headers: { Authorization: 'Bearer ' + cfg.jwt } });
    if (st.status !== 404) throw new Error(`the refused upload exists (status answered ${st.status})`);

    console.log('8 passed, 0 failed');
  } finally {
    if (browser) await browser.close();
    allowed.srv.close();
    unlisted.srv.close();
    stop(child);
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error('browser test failed:', err.message);
  console.log('0 passed, 1 failed');
  process.exit(1);
});
