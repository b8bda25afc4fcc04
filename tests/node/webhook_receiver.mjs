// An app's webhook endpoint in Node that checks every delivery with the npm
// Standard Webhooks library (standardwebhooks 1.1.1, README "Verifying":
// new Webhook(secret).verify(payload, headers) over the raw body), as
// README "Webhook" tells receivers to. Run by
// tests/nodeconf/webhook_node_test.go with {secret} as argv[2]; prints
// {"listening": url} and then one JSON line per request. The first attempt
// of each webhook-id is answered 503 so the sender retries it; later ones
// 204 when they verify. For each delivery it also reports whether the
// library refuses the same headers with a tampered body, and the genuine
// delivery ten minutes later (past the library's 5-minute window).
// Ends when stdin closes.
import { createServer } from 'node:http';
import { Webhook } from 'standardwebhooks';

const { secret } = JSON.parse(process.argv[2]);
const wh = new Webhook(secret);
const seen = new Set();

function refused(fn) {
  try {
    fn();
    return '';
  } catch (e) {
    return e.message || String(e);
  }
}

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    const id = req.headers['webhook-id'] || '';
    const out = { id, signature: req.headers['webhook-signature'] || '', timestamp: req.headers['webhook-timestamp'] || '' };
    let n; // verify returns the parsed body
    out.error = refused(() => { n = wh.verify(body, req.headers); });
    if (!out.error) {
      out.key = n.key;
      out.verdict = n.verdict;
    }
    out.tamperedError = refused(() => wh.verify(body.replace(/"size":\d+/, '"size":1'), req.headers));
    const realNow = Date.now;
    Date.now = () => realNow() + 10 * 60 * 1000;
    try {
      out.laterError = refused(() => wh.verify(body, req.headers));
    } finally {
      Date.now = realNow;
    }
    out.firstAttempt = !seen.has(id);
    seen.add(id);
    out.status = out.error ? 401 : out.firstAttempt ? 503 : 204;
    res.writeHead(out.status).end();
    console.log(JSON.stringify(out));
  });
});

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  console.log(JSON.stringify({ listening: `http://127.0.0.1:${port}/hook` }));
});
process.stdin.on('end', () => server.close(() => process.exit(0)));
process.stdin.resume();
