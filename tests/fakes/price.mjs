/*
 * price.mjs: a one-route fake of the BTC price source (spec/testing.md
 * "BTC price"): GET /v2/prices/BTC-USD/spot answers Coinbase's shape,
 * {"data": {"amount": "<decimal>", "base": "BTC", "currency": "USD"}}.
 * Any other path or method is 404; only GET is served.
 *
 * Control (loopback only): POST /__control {price: "97123.45"} sets the
 * price; {status: 503} answers that status from now on (200 again with
 * {status: 200}); {body: "..."} answers exactly that text; {reset: true}.
 * GET /__log answers {requests: n}, the price requests served.
 * Prints "listening <port>" on stdout once ready (PRICE_FAKE_PORT, default
 * 0: any free port).
 */
import http from 'node:http';

let price = '100000.00';
let status = 200;
let body = null;
let requests = 0;

function send(res, code, text) {
  res.writeHead(code, { 'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function readJson(req) {
  return new Promise((resolve) => {
    let s = '';
    req.on('data', (c) => { s += c; if (s.length > 65536) req.destroy(); });
    req.on('end', () => { try { resolve(JSON.parse(s)); } catch { resolve(null); } });
  });
}

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, 'http://fake');
  if (url.pathname === '/__control' && req.method === 'POST') {
    const o = await readJson(req);
    if (o === null || typeof o !== 'object')
      return send(res, 400, '{"error":"control body must be a JSON object"}');
    if (o.reset) { price = '100000.00'; status = 200; body = null; requests = 0; }
    if (typeof o.price === 'string') price = o.price;
    if (Number.isInteger(o.status)) status = o.status;
    if (typeof o.body === 'string' || o.body === null) body = o.body ?? null;
    return send(res, 200, '{"ok":true}');
  }
  if (url.pathname === '/__log' && req.method === 'GET')
    return send(res, 200, JSON.stringify({ requests }));
  if (url.pathname !== '/v2/prices/BTC-USD/spot' || req.method !== 'GET')
    return send(res, 404, '{"errors":[{"id":"not_found","message":"Not found"}]}');
  requests++;
  if (status !== 200)
    return send(res, status, '{"errors":[{"id":"internal","message":"unavailable"}]}');
  send(res, 200, body !== null ? body :
    JSON.stringify({ data: { amount: price, base: 'BTC', currency: 'USD' } }));
});

// A test that blocks its event loop (spawnSync of a worker) cannot expire
// its idle keep-alive sockets: if this server closed them meanwhile, the
// test's next request could land on a dead socket. Keep them open.
server.keepAliveTimeout = 0
server.listen(Number(process.env.PRICE_FAKE_PORT || 0), '127.0.0.1', () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
