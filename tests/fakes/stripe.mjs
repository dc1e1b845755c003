/*
 * stripe.mjs: a strict fake of the Stripe endpoints Caravel calls, for tests
 * (spec/testing.md: a fake that accepts anything proves nothing). This file
 * is the HTTP server: form parsing, auth, idempotency, faults, the request
 * log and the control hooks. The billing rules live in stripe-billing.mjs,
 * the events and their delivery in stripe-webhooks.mjs.
 *
 *   POST   /v1/customers                    name, email, description, phone, metadata[k]
 *   GET    /v1/customers/search             query=metadata['k']:'v', limit, page
 *   GET    /v1/customers/:id
 *   POST   /v1/billing_portal/sessions      customer (must exist), return_url, ...
 *   POST   /v1/subscriptions                customer, items[i][price|quantity|metadata],
 *          metadata, payment_behavior, proration_behavior, collection_method,
 *          days_until_due, description, expand[]
 *   GET    /v1/subscriptions                customer, status, price, created, limit, cursors
 *   GET    /v1/subscriptions/:id            expand[]
 *   POST   /v1/subscriptions/:id            items[i][id|price|quantity|deleted|metadata],
 *          proration_behavior, payment_behavior, metadata, cancel_at_period_end,
 *          description, expand[]
 *   DELETE /v1/subscriptions/:id            invoice_now, prorate, cancellation_details[...]
 *   GET    /v1/invoices                     customer, status, subscription, created, limit, ...
 *   POST   /v1/invoices/create_preview      subscription (required here), customer (must be
 *          the subscription's), subscription_details[items][i][id|price|quantity|
 *          deleted|metadata], subscription_details[proration_date], expand[]=customer:
 *          the invoice the next renewal would make (id upcoming_in_…, status draft,
 *          billing_reason upcoming, the next period, a line per item, then the
 *          pending prorations and those of the proposed items; amount_due after
 *          the credit balance). Nothing is stored, no event is made. No
 *          subscription: 400; unknown ids: 400 resource_missing; a canceled,
 *          incomplete_expired or cancel_at_period_end one: 404 invoice_upcoming_none
 *   GET    /v1/invoices/:id, /v1/invoices/:id/lines
 *   POST   /v1/invoices/:id/pay             paid_out_of_band, off_session, expand[]
 *   POST   /v1/invoices/:id/void, /v1/invoices/:id/mark_uncollectible
 *
 * What it checks, as Stripe does (research/stripe.md §1):
 *  - Authorization: Bearer <key> equal to STRIPE_FAKE_KEY (an sk_test_ key),
 *    else 401 with Stripe's error JSON and the key masked in the message;
 *  - POST bodies are application/x-www-form-urlencoded (400 otherwise) in
 *    bracket syntax (a[b]=v, a[0]=v or a[]=v, brackets raw or %5B/%5D),
 *    valid percent encoding and UTF-8, no repeated key, no query string;
 *    GET and DELETE carry their parameters in the query string;
 *  - unknown parameters are 400 parameter_unknown, wrong types 400 naming
 *    the parameter, unknown ids 404 (or 400 when named by a parameter)
 *    resource_missing, like Stripe;
 *  - Stripe-Version, when sent, looks like 2026-10-28 or 2026-10-28.endive;
 *  - Idempotency-Key (every POST, at most 255 chars): the same key with the
 *    same parameters replays the stored answer with "Idempotent-Replayed:
 *    true"; with other parameters or another endpoint it is 400
 *    idempotency_error; while the first request still runs it is 409
 *    idempotency_key_in_use with "Stripe-Should-Retry: true". Successes are
 *    stored, and failures once Stripe has acted (a declined card); not
 *    validation failures (Stripe does not store those), and injected
 *    failures only when fail_store is set.
 *
 * Environment: STRIPE_FAKE_PORT (default 0: any free port), STRIPE_FAKE_KEY
 * (default sk_test_caravel), STRIPE_FAKE_LOG (a file that gets one JSON
 * line per /v1 request: method, path, query, status, auth ok/missing/
 * malformed/wrong (never the key), content type, Stripe-Version,
 * Idempotency-Key, whether it was replayed, the Request-Id and the parsed
 * parameters), STRIPE_FAKE_PRICES (price_id:unit_amount_cents,...; default
 * price_basic:500,price_growth:2500; USD, monthly), STRIPE_FAKE_API_VERSION
 * (the events' api_version, default 2026-10-28.endive), and for webhooks
 * STRIPE_FAKE_WEBHOOK_URL, STRIPE_FAKE_WEBHOOK_SECRET (whsec_..., needed
 * with the URL), STRIPE_FAKE_WEBHOOK_LOG (a file: one JSON line per
 * delivery attempt), STRIPE_FAKE_WEBHOOK_RETRIES (default 3),
 * STRIPE_FAKE_WEBHOOK_BACKOFF_MS (default 100), STRIPE_FAKE_WEBHOOK_TIMEOUT_MS
 * (default 5000). Signing needs the npm package stripe (npm ci --prefix
 * tests/js); it is loaded only when a webhook URL is set.
 * FAKE_FAIL_RATE (0 to 1, default 0: off) fails that share of the /v1
 * requests that pass the checks above, before they act, as Stripe fails:
 * 500 api_error or 429 rate_limit, half of each (neither stored under
 * the Idempotency-Key, so a retry acts), logged with "fault": "random
 * 500" or "random 429". Which requests fail comes from a generator seeded
 * with FAKE_FAIL_SEED (default 1): the same requests in the same order
 * fail the same way. Scripted faults (fail_next) come first.
 * Prints "listening <port>" on stdout once ready, and nothing else there.
 *
 * Control (no auth; loopback only): POST /__control with a JSON object; an
 * unknown member is a 400. Applied in this order, the first failing action
 * answering 400 {error}; success answers {ok: true, ...results}:
 *   reset: true              forget everything: customers, subscriptions,
 *                            invoices, events and their queue, keys,
 *                            faults, cards, knobs, the logs
 *   fail_next: status        answer the next /v1 request(s) with this error
 *   fail_count: n            ... for n requests (default 1)
 *   fail_store: bool         store injected failures under their Idempotency-Key
 *                            (Stripe stores a 500 once execution has begun)
 *   delay_ms: ms             hold the next request(s) this long before executing
 *   delay_count: n           ... for n requests (default 1)
 *   pad_next: bytes          add a "padding" member of that size to the next answer
 *   fault_path: "METHOD /path"  fail_next and delay_ms apply only to
 *                            requests starting so ("POST /v1/subscriptions");
 *                            "" or null: to any request (the default)
 *   search_lag_ms: ms        customer search does not see customers younger
 *                            than this (Stripe's search is eventually consistent)
 *   expire_idempotency_keys: true   forget every stored key (Stripe prunes
 *                            them after 24 h); keys in flight stay
 *   webhooks: bool           stop / start sending events (those made while
 *                            stopped are never sent: missed webhooks)
 *   webhook_url: url|null, webhook_secret: whsec_...   change the endpoint
 *   attach_card: "cus_…"     a default payment method pm_… (customer.updated);
 *                            answers {payment_method}
 *   detach_card: "cus_…"     no payment method any more (customer.updated)
 *   fail_payments: "cus_…"|[...]   that customer's card attempts are declined
 *   pass_payments: "cus_…"|[...]   ... no longer
 *   advance_period: "sub_…"  the next month begins for it; answers {invoice}
 *   expire_incomplete: "sub_…"  an incomplete one's 23 hours run out
 *   send_event: {type, object, previous_attributes?}  make and send any
 *                            signed event; answers {event: "evt_…"}
 *   resend: "evt_…"          send that event again
 * GET /__log     the request log as a JSON array
 * GET /__state   {customers, subscriptions, invoices, pending_invoice_items,
 *                failing_payments, search_lag_ms, prices, webhooks}
 * GET /__events  every event made, oldest first: {id, type, created, state
 *                (pending, delivered, failed, skipped, no_endpoint),
 *                attempts [{attempt, at, status, error, ms}], event};
 *                ?wait_ms=N first waits (at most N ms) until no delivery is
 *                pending.
 */
import http from 'node:http';
import fs from 'node:fs';
import crypto from 'node:crypto';
import { StripeError, invalid, now, rand, sleep, clone, isObj } from './stripe-core.mjs';
import { Billing, parsePrices } from './stripe-billing.mjs';
import { Webhooks, checkSecret, checkUrl, loadSigner } from './stripe-webhooks.mjs';

const KEY = process.env.STRIPE_FAKE_KEY || 'sk_test_caravel';
const PORT = Number(process.env.STRIPE_FAKE_PORT || 0);
const LOG = process.env.STRIPE_FAKE_LOG || '';
const MAX_BODY = 1 << 20;

function fatal(code, msg) {
  console.error(`stripe fake: ${msg}`);
  process.exit(code);
}

if (!/^sk_test_[A-Za-z0-9_]+$/.test(KEY))
  fatal(2, 'STRIPE_FAKE_KEY must look like sk_test_...');
const envNumber = (name, dflt) => {
  const v = process.env[name];
  if (v === undefined || v === '')
    return dflt;
  if (!/^\d+$/.test(v))
    fatal(2, `${name} must be a whole number`);
  return Number(v);
};

/* FAKE_FAIL_RATE and FAKE_FAIL_SEED: see the top of this file. */
const FAIL_RATE = (() => {
  const v = process.env.FAKE_FAIL_RATE ?? '';
  if (v !== '' && !/^(0|1|0?\.\d+|1\.0*)$/.test(v))
    fatal(2, 'FAKE_FAIL_RATE must be a number from 0 to 1');
  return v === '' ? 0 : Number(v);
})();
let failState = envNumber('FAKE_FAIL_SEED', 1) % 4294967296 || 1;
/* xorshift32: the next number of the sequence, in [0, 1). */
function failDraw() {
  failState = (failState ^ (failState << 13)) >>> 0;
  failState = (failState ^ (failState >>> 17)) >>> 0;
  failState = (failState ^ (failState << 5)) >>> 0;
  return failState / 4294967296;
}
/* The status this request fails with under FAKE_FAIL_RATE, or 0. */
function randomFailure() {
  if (FAIL_RATE === 0 || failDraw() >= FAIL_RATE)
    return 0;
  return failDraw() < 0.5 ? 500 : 429;
}

let billing, webhooks;
try {
  billing = new Billing(parsePrices(process.env.STRIPE_FAKE_PRICES ||
    'price_basic:500,price_growth:2500'));
} catch (e) {
  fatal(2, `STRIPE_FAKE_PRICES: ${e.message}`);
}
const hookOpts = {
  url: process.env.STRIPE_FAKE_WEBHOOK_URL || '',
  secret: process.env.STRIPE_FAKE_WEBHOOK_SECRET || '',
  apiVersion: process.env.STRIPE_FAKE_API_VERSION || '2026-10-28.endive',
  retries: envNumber('STRIPE_FAKE_WEBHOOK_RETRIES', 3),
  backoffMs: envNumber('STRIPE_FAKE_WEBHOOK_BACKOFF_MS', 100),
  timeoutMs: envNumber('STRIPE_FAKE_WEBHOOK_TIMEOUT_MS', 5000),
  logFile: process.env.STRIPE_FAKE_WEBHOOK_LOG || '',
};
try {
  if (hookOpts.secret !== '')
    checkSecret(hookOpts.secret);
  if (hookOpts.url !== '') {
    checkUrl(hookOpts.url);
    if (hookOpts.secret === '')
      throw new Error('STRIPE_FAKE_WEBHOOK_URL needs STRIPE_FAKE_WEBHOOK_SECRET');
  }
} catch (e) {
  fatal(2, e.message);
}
if (hookOpts.url !== '') {
  try {
    loadSigner();
  } catch (e) {
    fatal(3, e.message);
  }
}
webhooks = new Webhooks(hookOpts);

let idem = new Map(); // key -> { fp, inflight } or { fp, status, body }
let faults = { fail: [], failStore: false, delays: [], pad: 0, path: '' };
let log = [];

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

const routes = billing.routes();

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

/* Events made by a request or a control action; request null: automatic. */
function eventContext(request) {
  const ctx = { request, events: [] };
  ctx.emit = (type, object, previous) =>
    ctx.events.push(webhooks.make(type, object, previous, request));
  return ctx;
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
  const ctx = eventContext({ id: entry.request_id, idempotency_key: key ?? null });
  let result;
  try {
    const faultable = !faults.path ||
      `${req.method} ${url.pathname}`.startsWith(faults.path);
    if (faultable && faults.delays.length > 0)
      await sleep(faults.delays.shift());
    if (faultable && faults.fail.length > 0) {
      const st = faults.fail.shift();
      const e = new StripeError(st, st >= 500 ? 'api_error' : 'invalid_request_error',
        st === 429 ? 'Too many requests hit the API too quickly.' :
          'An unknown error occurred (injected by the test).',
        st === 429 ? { code: 'rate_limit' } : {});
      e.store = faults.failStore;
      throw e;
    }
    const random = randomFailure();
    if (random !== 0) {
      entry.fault = `random ${random}`;
      throw random === 429 ? new StripeError(429, 'invalid_request_error',
        'Too many requests hit the API too quickly.', { code: 'rate_limit' }) :
        new StripeError(500, 'api_error', 'An unknown error occurred ' +
          '(FAKE_FAIL_RATE).');
    }
    // A copy: a stored answer must not change when the object does.
    result = { status: 200, body: clone(route[2](params, m, ctx)) };
  } catch (e) {
    if (e.commit)
      webhooks.commit(ctx.events);
    if (key !== undefined && e.store && idem.get(key)?.inflight)
      idem.set(key, { fp, status: e.status, body: e.body });
    else if (key !== undefined && idem.get(key)?.inflight)
      idem.delete(key);
    throw e;
  }
  webhooks.commit(ctx.events);
  if (key !== undefined && idem.get(key)?.inflight)
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

const CONTROL_KEYS = ['reset', 'fault_path', 'fail_next', 'fail_count', 'fail_store', 'delay_ms',
  'delay_count', 'pad_next', 'search_lag_ms', 'expire_idempotency_keys', 'webhooks',
  'webhook_url', 'webhook_secret', 'attach_card', 'detach_card', 'fail_payments',
  'pass_payments', 'advance_period', 'expire_incomplete', 'send_event', 'resend'];

/* One control object, in the documented order; throws Error for a 400. */
function applyControl(o, out) {
  for (const k of Object.keys(o))
    if (!CONTROL_KEYS.includes(k))
      throw new Error(`unknown control: ${k}`);
  if (o.reset) {
    billing.reset();
    webhooks.reset();
    idem = new Map();
    log = [];
    faults = { fail: [], failStore: false, delays: [], pad: 0, path: '' };
    if (LOG)
      fs.writeFileSync(LOG, '');
    if (hookOpts.logFile)
      fs.writeFileSync(hookOpts.logFile, '');
  }
  if (o.fault_path !== undefined) {
    if (o.fault_path !== null && typeof o.fault_path !== 'string')
      throw new Error('fault_path must be a string like "POST /v1/subscriptions"');
    faults.path = o.fault_path ?? '';
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
  if (o.search_lag_ms !== undefined) {
    if (!Number.isInteger(o.search_lag_ms) || o.search_lag_ms < 0)
      throw new Error('search_lag_ms must be a whole number of ms');
    billing.searchLagMs = o.search_lag_ms;
  }
  if (o.expire_idempotency_keys)
    for (const [k, rec] of idem)
      if (!rec.inflight)
        idem.delete(k);
  if (o.webhook_url !== undefined || o.webhook_secret !== undefined)
    webhooks.configure({ url: o.webhook_url, secret: o.webhook_secret });
  if (o.webhooks !== undefined)
    webhooks.setEnabled(o.webhooks);
  // Actions that make events: each commits its own, in order.
  const act = (f) => {
    const ctx = eventContext(null);
    try {
      return f(ctx);
    } finally {
      webhooks.commit(ctx.events);
    }
  };
  if (o.attach_card !== undefined)
    out.payment_method = act((ctx) => billing.attachCard(o.attach_card, ctx));
  if (o.detach_card !== undefined)
    act((ctx) => billing.detachCard(o.detach_card, ctx));
  if (o.fail_payments !== undefined)
    billing.setFailing(o.fail_payments, true);
  if (o.pass_payments !== undefined)
    billing.setFailing(o.pass_payments, false);
  if (o.advance_period !== undefined)
    out.invoice = act((ctx) => billing.advancePeriod(o.advance_period, ctx));
  if (o.expire_incomplete !== undefined)
    act((ctx) => billing.expireIncomplete(o.expire_incomplete, ctx));
  if (o.send_event !== undefined) {
    const s = o.send_event;
    if (!isObj(s) || typeof s.type !== 'string' || !/^[a-z_.]+$/.test(s.type) ||
        !isObj(s.object) || (s.previous_attributes !== undefined &&
        !isObj(s.previous_attributes)))
      throw new Error('send_event wants {type, object, previous_attributes?}');
    const ev = webhooks.make(s.type, s.object, s.previous_attributes, null);
    webhooks.commit([ev]);
    out.event = ev.id;
  }
  if (o.resend !== undefined)
    webhooks.resend(o.resend);
}

async function control(req, res) {
  let o;
  try {
    o = JSON.parse((await readBody(req)).toString('utf8'));
  } catch {
    return send(res, 400, { error: 'control body must be JSON' });
  }
  if (!isObj(o))
    return send(res, 400, { error: 'control body must be a JSON object' });
  const out = { ok: true };
  try {
    applyControl(o, out);
  } catch (e) {
    return send(res, 400, { error: e.message });
  }
  send(res, 200, out);
}

const server = http.createServer(async (req, res) => {
  res.on('error', () => {});
  const url = new URL(req.url, 'http://fake');
  if (url.pathname === '/__control' && req.method === 'POST')
    return control(req, res);
  if (url.pathname === '/__log' && req.method === 'GET')
    return send(res, 200, log);
  if (url.pathname === '/__state' && req.method === 'GET')
    return send(res, 200, { ...billing.state(),
      webhooks: { url: webhooks.url, enabled: webhooks.enabled } });
  if (url.pathname === '/__events' && req.method === 'GET') {
    const wait = Number(url.searchParams.get('wait_ms') || 0);
    if (wait > 0)
      await webhooks.waitIdle(Math.min(wait, 60000));
    return send(res, 200, webhooks.list());
  }
  const entry = {
    time: now(), method: req.method, path: url.pathname, query: url.search,
    status: 0, auth: null, content_type: req.headers['content-type'] ?? null,
    stripe_version: req.headers['stripe-version'] ?? null,
    idempotency_key: req.headers['idempotency-key'] ?? null,
    replayed: false, request_id: `req_${rand(7)}`, params: null,
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
    send(res, reply.status, reply.body,
      { 'Request-Id': entry.request_id, ...reply.headers });
});

// A test that blocks its event loop (spawnSync of a worker) cannot expire
// its idle keep-alive sockets: if this server closed them meanwhile, the
// test's next request could land on a dead socket. Keep them open.
server.keepAliveTimeout = 0
server.listen(PORT, '127.0.0.1', () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
