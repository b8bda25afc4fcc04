// What the browser scripts share: the local stack started on free ports
// with the real binaries (build/host), and headless Chromium.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import readline from 'node:readline';

const require = createRequire(new URL('../package.json', import.meta.url));
const { chromium } = require('playwright-core');

export const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../..');

// startStack runs build/host/localstack with its data in dataDir and
// resolves with the child and its READY line, parsed. log gets every other
// line it prints on stdout (by default, none). args are more flags, e.g.
// ['-routes', 'local/demo-routes.json'].
export function startStack({ dataDir, corsOrigins = '', args: extra = [], log = () => {} }) {
  const args = ['-oss', '127.0.0.1:0', '-sts', '127.0.0.1:0', '-web', '127.0.0.1:0', '-sign', '127.0.0.1:0',
    '-sts-function', '127.0.0.1:0', '-data', dataDir, '-bin', path.join(root, 'build/host')];
  if (corsOrigins) args.push('-cors-origins', corsOrigins);
  args.push(...extra);
  const child = spawn(path.join(root, 'build/host/localstack'), args, { cwd: root, detached: true, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the local stack did not print READY within 60 s')), 60000);
    child.on('exit', (code) => reject(new Error('the local stack exited with ' + code)));
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      if (line.startsWith('READY ')) {
        clearTimeout(timer);
        resolve({ child, ready: JSON.parse(line.slice(6)) });
      } else {
        log(line);
      }
    });
  });
}

// stop ends the stack and the function processes it started (its group),
// without waiting for it to finish: the stack prints nothing more on stdout.
export function stop(child) {
  try { process.kill(-child.pid, 'SIGTERM'); } catch { /* already gone */ }
  child.stdout.destroy();
}

export function launchChromium() {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
}
