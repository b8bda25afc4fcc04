#!/usr/bin/env bash
# The browser test: the demo page in headless Chromium against the real local
# stack. Installs what it needs when it is missing (Debian chromium, npm
# playwright-core), builds the function binaries, the stack and the demo
# page's Uppy bundle, runs demo.mjs, uppy.mjs, demo-uppy.mjs and routes.mjs (the
# demo routes of make run, each refusing what the other allows), and leaves
# screenshots in build/browser/.
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
  else
    echo "the browser test needs Node.js and npm" >&2; exit 1
  fi
fi
if [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "the browser test needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)" >&2; exit 1
  fi
fi
[ -d tests/node_modules/playwright-core ] || npm ci --prefix tests --no-audit --no-fund --loglevel=error
{ [ -f web/node_modules/ali-oss/dist/aliyun-oss-sdk.min.js ] && [ -d web/node_modules/@uppy/aws-s3 ] && [ -d web/node_modules/esbuild ]; } ||
  npm ci --prefix web --no-audit --no-fund --loglevel=error

# The demo page's Uppy bundle (web/dist/, built by make web-deps).
make --no-print-directory -s web/dist/uppy.js

mkdir -p build/host build/browser
go build -o build/host/localstack ./local
node tests/browser/demo.mjs
node tests/browser/uppy.mjs
node tests/browser/demo-uppy.mjs
node tests/browser/routes.mjs
