// Unmodified Uppy 6 (@uppy/core, @uppy/dashboard, @uppy/aws-s3 from
// web/package.json) in headless Chromium against a freshly started local
// stack, with the README's signRequest on POST /presign: a small PNG by
// the signed form, a 50 MiB file by presigned multipart with a pause and a
// resume, both verified; a multipart upload removed midway leaves no
// upload (and so no parts) behind. The page runs on its own origin, as a
// team's frontend would; the bundle is built here with esbuild.
// Run by tests/browser/run.sh (make test-browser).
import { createRequire } from 'node:module';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { root, startStack, stop, launchChromium } from './lib.mjs';

const require = createRequire(new URL('../package.json', import.meta.url));
const OSS = require('ali-oss');
const esbuild = createRequire(path.join(root, 'web/package.json'))('esbuild');
const work = mkdtempSync(path.join(tmpdir(), 'ossupload-uppy-'));

// The frontend: index.html and the Uppy bundle on a free loopback port.
async function frontend() {
  const out = await esbuild.build({
    entryPoints: [path.join(root, 'tests/browser/uppy/entry.mjs')], bundle: true, format: 'esm', write: false,
    nodePaths: [path.join(root, 'web/node_modules')], logLevel: 'error',
  });
  const bundle = out.outputFiles[0].contents;
  const srv = http.createServer((req, res) => {
    if (req.url === '/') {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      res.end(readFileSync(path.join(root, 'tests/browser/uppy/index.html')));
    } else if (req.url === '/uppy.js') {
      res.writeHead(200, { 'Content-Type': 'text/javascript; charset=utf-8' });
      res.end(bundle);
    } else {
      res.writeHead(req.url === '/favicon.ico' ? 204 : 404);
      res.end();
    }
  });
  return new Promise((resolve) => srv.listen(0, '127.0.0.1', () =>
    resolve({ srv, origin: 'http://127.0.0.1:' + srv.address().port })));
}

async function verdict(ready, key) {
  const deadline = Date.now() + 60000;
  for (;;) {
    const res = await fetch(ready.functions.sign.replace(/\/$/, '') + '/status?key=' + encodeURIComponent(key),
      { headers: { Authorization: 'Bearer ' + ready.jwt } });
    const st = await res.json();
    if (res.status !== 200) throw new Error(`GET /status ${key}: ${res.status} ${JSON.stringify(st)}`);
    if (st.status !== 'pending') return st;
    if (Date.now() > deadline) throw new Error(`no verdict for ${key} within 60 s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function main() {
  const front = await frontend();
  const { child, ready } = await startStack({ dataDir: path.join(work, 'data'), corsOrigins: front.origin });
  let browser;
  try {
    browser = await launchChromium();
    const page = await browser.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    // Uppy 6.3.1 itself logs this on the console when a file is removed
    // before its thumbnail is made (@uppy/thumbnail-generator): a race in
    // Uppy, not the page's error (seen in CI on the "removed midway" case).
    const uppyNoise = /\[ThumbnailGenerator\] file was removed before a thumbnail could be generated/;
    page.on('console', (m) => { if (m.type() === 'error' && !uppyNoise.test(m.text())) errors.push(m.text()); });
    await page.goto(front.origin + '/#sign=' + encodeURIComponent(ready.functions.sign) + '&jwt=' + encodeURIComponent(ready.jwt));
    await page.waitForFunction(() => window.uppyReady === true, null, { timeout: 30000 });

    // A small PNG: one PutObject request, answered with the signed form.
    const small = await page.evaluate(async () => {
      const c = new OffscreenCanvas(8, 8);
      c.getContext('2d').fillRect(0, 0, 4, 4);
      const blob = await c.convertToBlob({ type: 'image/png' });
      const id = window.uppy.addFile({ name: 'small.png', type: 'image/png', data: blob });
      const res = await window.uppy.upload();
      window.uppy.removeFile(id);
      if (res.failed.length) throw new Error('small upload failed: ' + res.failed[0].error);
      return res.successful[0].response.body.key;
    });
    console.log('form upload:', small);

    // 50 MiB by presigned multipart (ten 5 MiB parts): pause after the
    // first part, check that nothing moves, resume.
    const big = await page.evaluate(async () => {
      const bytes = new Uint8Array(50 * 1024 * 1024);
      for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7) & 0xff;
      bytes.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0, 0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1f, 0x15, 0xc4, 0x89]);
      const uppy = window.uppy;
      const id = uppy.addFile({ name: 'big.png', type: 'image/png', data: new Blob([bytes], { type: 'image/png' }) });
      let parts = 0; let paused = false; let partsWhilePaused = -1;
      const log = [];
      uppy.on('s3-multipart:part-uploaded', (f) => {
        if (f.id !== id) return;
        parts++;
        if (!paused && parts === 1) {
          paused = true;
          uppy.pauseResume(id);
          log.push('paused after part 1');
          setTimeout(() => {
            partsWhilePaused = parts;
            log.push(`resumed with ${parts} part(s) done`);
            uppy.pauseResume(id);
          }, 1500);
        }
      });
      const res = await uppy.upload();
      if (res.failed.length) throw new Error('big upload failed: ' + res.failed[0].error);
      return { key: res.successful[0].response.body.key, parts, partsWhilePaused, log };
    });
    console.log('multipart upload:', JSON.stringify(big));
    if (big.partsWhilePaused !== 1) throw new Error(`parts went on while paused: ${big.partsWhilePaused}`);
    if (big.parts < 10) throw new Error(`only ${big.parts} parts reported`);

    for (const key of [small, big.key]) {
      if (!key.startsWith('uploads/' + ready.user + '/')) throw new Error(`key ${key} is not under the caller's prefix`);
      const st = await verdict(ready, key);
      console.log(key, st.status, st.reason || '');
      if (st.status !== 'verified') throw new Error(`${key}: ${st.status} (${st.reason})`);
    }

    // Removed midway: Uppy aborts the multipart upload with a presigned
    // DELETE; OSS then lists no upload in progress for the key.
    const removed = await page.evaluate(async () => {
      const uppy = window.uppy;
      const bytes = new Uint8Array(20 * 1024 * 1024);
      const id = uppy.addFile({ name: 'gone.png', type: 'image/png', data: new Blob([bytes], { type: 'image/png' }) });
      return await new Promise((resolve) => {
        uppy.on('s3-multipart:part-uploaded', (f) => {
          if (f.id !== id) return;
          const key = uppy.getFile(id).s3Multipart?.key;
          uppy.removeFile(id);
          resolve(key);
        });
        uppy.upload();
      });
    });
    if (!removed) throw new Error('no multipart key recorded for the removed file');
    const admin = new OSS({ region: ready.region, bucket: ready.bucket, endpoint: ready.oss,
      accessKeyId: ready.accessKeyId, accessKeySecret: ready.accessKeySecret });
    const deadline = Date.now() + 15000;
    for (;;) {
      const list = await admin.listUploads({ prefix: removed });
      if ((list.uploads || []).length === 0) break;
      if (Date.now() > deadline) throw new Error(`the removed upload of ${removed} is still in progress`);
      await new Promise((r) => setTimeout(r, 200));
    }
    console.log('removed midway: no upload left for', removed);
    if (errors.length) throw new Error('the page logged errors:\n  ' + errors.join('\n  '));
    console.log('1 passed, 0 failed');
  } finally {
    if (browser) await browser.close();
    front.srv.close();
    stop(child);
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error('uppy browser test failed:', err.message);
  console.log('0 passed, 1 failed');
  process.exit(1);
});
