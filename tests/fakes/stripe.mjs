/*
 * stripe.mjs: a strict fake of the Stripe endpoints Caravel calls, for tests
 * (spec/testing.md: a fake that accepts anything proves nothing).
 *
 *   POST /v1/customers              name, email, description, phone, metadata[k]
 *   GET  /v1/customers/:id
 *   POST /v1/billing_portal/sessions customer (must exist), return_url, ...
 *
 * What it checks, as Stripe does (research/stripe.md §1):
 *  - Authorization: Bearer <key> equal to STRIPE_FAKE_KEY (an sk_test_ key),
 *    else 401 with Stripe's error JSON and the key masked in the message;
 *  - POST bodies are application/x-www-form-urlencoded (400 otherwise) in
 *    bracket syntax (a[b]=v, brackets raw or %5B/%5D), valid percent
 *    encoding and UTF-8, no repeated key, no query string;
 *  - unknown parameters are 400 parameter_unknown, like Stripe;
 *  - Stripe-Version, when sent, looks like 2026-10-28 or 2026-10-28.endive;
 *  - Idempotency-Key (POST, at most 255 chars): the same key with the same
 *    parameters replays the stored answer with "Idempotent-Replayed: true";
 *    with other parameters or another endpoint it is 400 idempotency_error;
 *    while the first request still runs it is 409 idempotency_key_in_use
 *    with "Stripe-Should-Retry: true". Only successes are stored (Stripe
 *    does not store validation failures), and injected failures if asked.
 *
 * Environment: STRIPE_FAKE_PORT (default 0: any free port), STRIPE_FAKE_KEY
 * (default sk_test_caravel), STRIPE_FAKE_LOG (a file that gets one JSON
 * line per /v1 request: method, path, query, status, auth ok/missing/
 * malformed/wrong (never the key), content type, Stripe-Version,
 * Idempotency-Key, whether it was replayed, and the parsed parameters).
 * Prints "listening <port>" on stdout once ready.
 *
 * Control (no auth; loopback only): POST /__control with a JSON object of
 *   fail_next: status   answer the next /v1 request(s) with this error
 *   fail_count: n       ... for n requests (default 1)
 *   fail_store: bool    store injected failures under their Idempotency-Key
 *                       (Stripe stores a 500 once execution has begun)
 *   delay_ms: ms        hold the next request(s) this long before executing
 *   delay_count: n      ... for n requests (default 1)
 *   pad_next: bytes     add a "padding" member of that size to the next answer
 *   reset: true         forget customers, keys, faults and the log
 * GET /__log answers the request log as a JSON array.
 */
import http from 'node:http';
import fs from 'node:fs';
import crypto from 'node:crypto';

const KEY = process.env.STRIPE_FAKE_KEY || 'sk_test_caravel';
const PORT = Number(process.env.STRIPE_FAKE_PORT || 0);
const LOG = process.env.STRIPE_FAKE_LOG || '';
const MAX_BODY = 1 << 20;

if (!/^sk_test_[A-Za-z0-9_]+$/.test(KEY)) {
  console.error('stripe fake: STRIPE_FAKE_KEY must look like sk_test_...');
  process.exit(2);
}

let customers = new Map();
let idem = new Map(); // key -> { fp, inflight } or { fp, status, body }
let faults = { fail: [], failStore: false, delays: [], pad: 0 };
let log = [];

const now = () => Math.floor(Date.now() / 1000);
const rand = (n) => crypto.randomBytes(n).toString('hex');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

class StripeError extends Error {
  constructor(status, type, message, extra = {}) {
    super(message);
    this.status = status;
    this.body = { error: { type, message, ...extra } };
  }
}
const invalid = (message, extra) =>
  new StripeError(400, 'invalid_request_error', message, extra);
const unknownParam = (p) => invalid(`Received unknown parameter: ${p}`,
  { code: 'parameter_unknown', param: p });

function decode(s) {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    throw invalid('Invalid request: the body is not valid form encoding ' +
      'of UTF-8 text.');
  }
}

/* "a[b][c]=v&..." into nested objects; "a[]=v" appends to an array. */
function parseForm(text) {
  if (/[^\x21-\x7e]/.test(text))
    throw invalid('Invalid request: the body must be percent-encoded ASCII.');
  const out = Object.create(null);
  for (const part of text.split('&')) {
    if (part === '')
      continue;
    const eq = part.indexOf('=');
    const name = decode(eq < 0 ? part : part.slice(0, eq));
    const value = eq < 0 ? '' : decode(part.slice(eq + 1));
    const m = /^([A-Za-z_][A-Za-z0-9_]*)((?:\[[^[\]]*\])*)$/.exec(name);
    if (!m || value.includes('\0'))
      throw invalid(`Invalid parameter: ${JSON.stringify(name)}`);
    const path = [m[1], ...[...m[2].matchAll(/\[([^[\]]*)\]/g)].map((x) => x[1])];
    let node = out;
    for (let i = 0; i < path.length; i++) {
      const seg = path[i], last = i === path.length - 1;
      if (Array.isArray(node) && seg !== '')
        throw invalid(`Invalid array: ${m[1]}`, { param: m[1] });
      if (seg === '' && !Array.isArray(node))
        throw invalid(`Invalid object: ${m[1]}`, { param: m[1] });
      if (last) {
        if (seg === '') { node.push(value); break; }
        if (Object.hasOwn(node, seg))
          throw invalid(`Parameter given twice: ${name}`, { param: name });
        node[seg] = value;
      } else {
        const wantArray = path[i + 1] === '';
        const key = seg === '' ? node.length : seg;
        if (!Object.hasOwn(node, key))
          node[key] = wantArray ? [] : Object.create(null);
        else if (typeof node[key] === 'string' ||
            Array.isArray(node[key]) !== wantArray)
          throw invalid(`Invalid parameter: ${name}`, { param: name });
        node = node[key];
      }
    }
  }
  return out;
}

/* Canonical text of parameters, so key order does not change a fingerprint. */
function canon(v) {
  if (typeof v !== 'object')
    return JSON.stringify(v);
  if (Array.isArray(v))
    return `[${v.map(canon).join(',')}]`;
  const pairs = Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canon(v[k])}`);
  return `{${pairs.join(',')}}`;
}

function onlyParams(params, allowed) {
  for (const k of Object.keys(params))
    if (!allowed.includes(k))
      throw unknownParam(k);
}

function str(params, k, max = 5000) {
  const v = params[k];
  if (v === undefined)
    return null;
  if (typeof v !== 'string')
    throw invalid(`Invalid string: ${k}`, { param: k });
  if (v.length > max)
    throw invalid(`Invalid ${k}: must be at most ${max} characters`, { param: k });
  return v === '' ? null : v;
}

function metadata(params) {
  const md = params.metadata;
  if (md === undefined)
    return {};
  if (typeof md !== 'object' || Array.isArray(md))
    throw invalid('Invalid object', { param: 'metadata' });
  const keys = Object.keys(md);
  if (keys.length > 50)
    throw invalid('Invalid metadata: at most 50 keys', { param: 'metadata' });
  const out = Object.create(null);
  for (const k of keys) {
    if (typeof md[k] !== 'string' || k.length > 40 || md[k].length > 500)
      throw invalid(`Invalid metadata[${k}]: keys at most 40 characters, ` +
        'values strings of at most 500', { param: `metadata[${k}]` });
    if (md[k] !== '')
      out[k] = md[k];
  }
  return out;
}

function customerCreate(params) {
  onlyParams(params, ['name', 'email', 'description', 'phone', 'metadata']);
  const c = {
    id: `cus_${rand(7)}`, object: 'customer', created: now(), livemode: false,
    name: str(params, 'name', 256), email: str(params, 'email', 512),
    description: str(params, 'description', 350), phone: str(params, 'phone', 20),
    metadata: metadata(params),
  };
  customers.set(c.id, c);
  return c;
}

function customerGet(params, id) {
  onlyParams(params, ['expand']);
  if (!customers.has(id))
    throw new StripeError(404, 'invalid_request_error', `No such customer: '${id}'`,
      { code: 'resource_missing', param: 'id' });
  return customers.get(id);
}

function portalCreate(params) {
  onlyParams(params,
    ['customer', 'return_url', 'configuration', 'locale', 'on_behalf_of']);
  const customer = str(params, 'customer');
  if (customer === null)
    throw invalid('Missing required param: customer.',
      { code: 'parameter_missing', param: 'customer' });
  if (!customers.has(customer))
    throw invalid(`No such customer: '${customer}'`,
      { code: 'resource_missing', param: 'customer' });
  const ret = str(params, 'return_url');
  if (ret !== null) {
    let u = null;
    try { u = new URL(ret); } catch { /* judged below */ }
    if (!u || !['http:', 'https:'].includes(u.protocol))
      throw invalid('Not a valid URL', { code: 'url_invalid', param: 'return_url' });
  }
  const token = rand(12);
  return {
    id: `bps_${rand(7)}`, object: 'billing_portal.session', created: now(),
    customer, return_url: ret, livemode: false, locale: str(params, 'locale'),
    configuration: str(params, 'configuration') || 'bpc_fake',
    url: `https://billing.stripe.com/p/session/test_${token}`,
  };
}

const routes = [
  ['POST', /^\/v1\/customers$/, customerCreate],
  ['GET', /^\/v1\/customers\/([A-Za-z0-9_]+)$/, customerGet],
  ['POST', /^\/v1\/billing_portal\/sessions$/, portalCreate],
];

function mask(key) {
  const pre = /^[sr]k_(test|live)_/.exec(key);
  const head = pre ? pre[0] : '';
  return head + '*'.repeat(Math.max(key.length - head.length - 4, 0)) +
    (key.length - head.length > 4 ? key.slice(-4) : '');
}

function checkAuth(req, entry) {
  const h = req.headers.authorization;
  const noKey = 'You did not provide an API key. You need to provide your API ' +
    "key in the Authorization header, using Bearer auth (e.g. 'Authorization: " +
    "Bearer YOUR_SECRET_KEY').";
  if (h === undefined) {
    entry.auth = 'missing';
    throw new StripeError(401, 'invalid_request_error', noKey);
  }
  const m = /^Bearer ([^\s]+)$/.exec(h);
  if (!m) {
    entry.auth = 'malformed';
    throw new StripeError(401, 'invalid_request_error', noKey);
  }
  const a = Buffer.from(m[1]), b = Buffer.from(KEY);
  if (a.length !== b.length || !crypto.timingSafeEqual(a, b)) {
    entry.auth = 'wrong';
    throw new StripeError(401, 'invalid_request_error',
      `Invalid API Key provided: ${mask(m[1])}`);
  }
  entry.auth = 'ok';
}

/* Everything but writing: returns { status, body, headers }. */
async function serve(req, url, raw, entry) {
  checkAuth(req, entry);
  const ver = req.headers['stripe-version'];
  if (ver !== undefined && !/^\d{4}-\d{2}-\d{2}(\.[a-z]+)?$/.test(ver))
    throw invalid(`Invalid Stripe API version: ${ver}`);
  let route = null, m = null;
  for (const r of routes)
    if (r[0] === req.method && (m = r[1].exec(url.pathname))) { route = r; break; }
  if (!route)
    throw new StripeError(404, 'invalid_request_error',
      `Unrecognized request URL (${req.method}: ${url.pathname}). ` +
      'Please see https://stripe.com/docs.');
  let params;
  if (req.method === 'POST') {
    const ct = (req.headers['content-type'] || '').split(';')[0].trim().toLowerCase();
    if (ct !== 'application/x-www-form-urlencoded')
      throw invalid(`Invalid request: unsupported Content-Type ${ct || '(none)'}. ` +
        'Send application/x-www-form-urlencoded.');
    if (url.search !== '')
      throw invalid('Invalid request: parameters belong in the body of a POST.');
    params = parseForm(raw.toString('latin1'));
  } else {
    if (raw.length > 0)
      throw invalid(`Invalid request: a ${req.method} has no body.`);
    params = parseForm(url.search.slice(1));
  }
  entry.params = params;

  const key = req.method === 'POST' ? req.headers['idempotency-key'] : undefined;
  const fp = `${req.method} ${url.pathname} ${canon(params)}`;
  if (key !== undefined) {
    if (key.length === 0 || key.length > 255)
      throw invalid('Invalid idempotency key: 1 to 255 characters.');
    const rec = idem.get(key);
    if (rec && rec.fp !== fp)
      throw new StripeError(400, 'idempotency_error', 'Keys for idempotent ' +
        'requests can only be used with the same parameters they were first ' +
        `used with. Try using a key other than '${key}' if you meant to ` +
        'execute a different request.');
    if (rec && rec.inflight) {
      const e = invalid('There is currently another in-progress request using ' +
        `this Idempotency-Key: ${key}. Please try again later.`,
        { code: 'idempotency_key_in_use' });
      e.status = 409;
      e.retry = true;
      throw e;
    }
    if (rec) {
      entry.replayed = true;
      return { status: rec.status, body: rec.body,
        headers: { 'Idempotent-Replayed': 'true' } };
    }
    idem.set(key, { fp, inflight: true });
  }
  let result;
  try {
    if (faults.delays.length > 0)
      await sleep(faults.delays.shift());
    if (faults.fail.length > 0) {
      const st = faults.fail.shift();
      const e = new StripeError(st, st >= 500 ? 'api_error' : 'invalid_request_error',
        st === 429 ? 'Too many requests hit the API too quickly.' :
          'An unknown error occurred (injected by the test).',
        st === 429 ? { code: 'rate_limit' } : {});
      e.store = faults.failStore;
      throw e;
    }
    result = { status: 200, body: route[2](params, m[1]) };
  } catch (e) {
    if (key !== undefined && e.store)
      idem.set(key, { fp, status: e.status, body: e.body });
    else if (key !== undefined)
      idem.delete(key);
    throw e;
  }
  if (key !== undefined)
    idem.set(key, { fp, status: result.status, body: result.body });
  return result;
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let n = 0;
    req.on('data', (c) => {
      n += c.length;
      if (n > MAX_BODY) {
        reject(new StripeError(413, 'invalid_request_error', 'Request too large.'));
        req.destroy();
      } else
        chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res, status, body, headers = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text),
    'Request-Id': `req_${rand(7)}`, ...headers,
  });
  res.end(text);
}

async function control(req, res) {
  let o;
  try {
    o = JSON.parse((await readBody(req)).toString('utf8'));
  } catch {
    return send(res, 400, { error: 'control body must be JSON' });
  }
  if (o.reset) {
    customers = new Map(); idem = new Map(); log = [];
    faults = { fail: [], failStore: false, delays: [], pad: 0 };
    if (LOG)
      fs.writeFileSync(LOG, '');
  }
  if (o.fail_next)
    for (let i = 0; i < (o.fail_count || 1); i++)
      faults.fail.push(Number(o.fail_next));
  if (o.fail_store !== undefined)
    faults.failStore = Boolean(o.fail_store);
  if (o.delay_ms)
    for (let i = 0; i < (o.delay_count || 1); i++)
      faults.delays.push(Number(o.delay_ms));
  if (o.pad_next)
    faults.pad = Number(o.pad_next);
  send(res, 200, { ok: true });
}

const server = http.createServer(async (req, res) => {
  res.on('error', () => {});
  const url = new URL(req.url, 'http://fake');
  if (url.pathname === '/__control' && req.method === 'POST')
    return control(req, res);
  if (url.pathname === '/__log' && req.method === 'GET')
    return send(res, 200, log);
  const entry = {
    time: now(), method: req.method, path: url.pathname, query: url.search,
    status: 0, auth: null, content_type: req.headers['content-type'] ?? null,
    stripe_version: req.headers['stripe-version'] ?? null,
    idempotency_key: req.headers['idempotency-key'] ?? null,
    replayed: false, params: null,
  };
  let reply;
  try {
    reply = await serve(req, url, await readBody(req), entry);
  } catch (e) {
    if (!(e instanceof StripeError)) {
      console.error('stripe fake: bug:', e);
      e.status = 500;
      e.body = { error: { type: 'api_error', message: 'the fake itself failed' } };
    }
    reply = { status: e.status, body: e.body,
      headers: e.retry ? { 'Stripe-Should-Retry': 'true' } : {} };
  }
  if (faults.pad > 0 && typeof reply.body === 'object') {
    reply = { ...reply, body: { ...reply.body, padding: 'x'.repeat(faults.pad) } };
    faults.pad = 0;
  }
  entry.status = reply.status;
  log.push(entry);
  if (LOG)
    fs.appendFileSync(LOG, `${JSON.stringify(entry)}\n`);
  if (!res.destroyed)
    send(res, reply.status, reply.body, reply.headers);
});

server.listen(PORT, '127.0.0.1', () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
