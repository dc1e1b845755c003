/*
 * serve.mjs DIR: serves DIR/cors.html at "/" and DIR/config.js at
 * "/config.js" on two loopback ports at once (any free ones), so one
 * process gives t0500 both an allowed and a disallowed origin for the
 * same page. Prints "listening <port1> <port2>" on stdout once both
 * listen. Everything else is 404; nothing is cached.
 */
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: serve.mjs DIR');
  process.exit(2);
}

const files = {
  '/': ['cors.html', 'text/html; charset=utf-8'],
  '/config.js': ['config.js', 'text/javascript; charset=utf-8'],
};

function handle(req, res) {
  const url = new URL(req.url, 'http://127.0.0.1');
  const f = files[url.pathname];
  if (req.method !== 'GET' || !f) {
    res.writeHead(404, { 'Content-Type': 'text/plain' });
    res.end('not found\n');
    return;
  }
  let body;
  try {
    body = fs.readFileSync(path.join(dir, f[0]));
  } catch (e) {
    res.writeHead(500, { 'Content-Type': 'text/plain' });
    res.end(`${e.message}\n`);
    return;
  }
  res.writeHead(200, { 'Content-Type': f[1], 'Cache-Control': 'no-store' });
  res.end(body);
}

function listen() {
  return new Promise((resolve, reject) => {
    const s = http.createServer(handle);
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => resolve(s.address().port));
  });
}

const ports = [await listen(), await listen()];
process.stdout.write(`listening ${ports[0]} ${ports[1]}\n`);
process.on('SIGTERM', () => process.exit(0));
