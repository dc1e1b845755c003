/*
 * stripe-webhooks.mjs: the fake Stripe's events and their delivery, as
 * research/stripe.md §3 describes Stripe's: an event envelope
 *   {id: evt_…, object: "event", api_version, created, livemode: false,
 *    type, data: {object, previous_attributes?}, pending_webhooks,
 *    request: {id, idempotency_key}}
 * POSTed as the exact JSON bytes with "Content-Type: application/json;
 * charset=utf-8" and a Stripe-Signature header made, for every attempt, by
 * the official npm package (Stripe.webhooks.generateTestHeaderString), so
 * the signature is never this project's own code.
 *
 * Delivery runs in the background, one event at a time in the order the
 * events were made; a non-2xx answer, a refused connection or a timeout
 * is retried `retries` times after backoff, 2×backoff, 4×backoff ... ms,
 * then the event is marked failed and the next one goes. While sending is
 * off (setEnabled(false)) nothing is sent: the events made meanwhile are
 * recorded as "skipped" and never sent (a missed webhook, which resend()
 * can send later); those queued before wait until sending is on again.
 *
 * Each attempt is appended as one JSON line (event id, type, attempt,
 * status, error) to the file `logFile` when one is given. Nothing is
 * written to stdout or stderr: the C tests close the fake's stdout after
 * "listening", and the shell tests require an empty stderr.
 */
import http from 'node:http';
import https from 'node:https';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { newId, now, clone, sleep } from './stripe-core.mjs';

let Stripe = null;

/*
 * The official package, from tests/js/node_modules. Only needed once a
 * webhook URL is set, so the fake keeps running without it for the tests
 * that never send webhooks. Throws with the reason when it is missing.
 */
export function loadSigner() {
  if (Stripe !== null)
    return;
  const req = createRequire(new URL('../js/package.json', import.meta.url));
  try {
    Stripe = req('stripe');
  } catch (e) {
    throw new Error('the npm package stripe is not installed ' +
      `(npm ci --prefix tests/js): ${e.message}`);
  }
  if (typeof Stripe?.webhooks?.generateTestHeaderString !== 'function')
    throw new Error('the npm package stripe has no webhooks.generateTestHeaderString');
}

export function checkSecret(s) {
  if (typeof s !== 'string' || !/^whsec_[A-Za-z0-9_]+$/.test(s))
    throw new Error('the webhook secret must look like whsec_...');
  return s;
}

export function checkUrl(u) {
  let url = null;
  try { url = new URL(u); } catch { /* judged below */ }
  if (!url || !['http:', 'https:'].includes(url.protocol))
    throw new Error(`not an http(s) URL: ${u}`);
  return u;
}

export class Webhooks {
  /* opts: url, secret, apiVersion, retries, backoffMs, timeoutMs, logFile */
  constructor(opts) {
    this.opts = opts;
    this.running = false; // a drain loop is at work (it survives a reset)
    this.idle = []; // waiters for an empty queue
    this.generation = 0;
    this.reset();
  }

  reset() {
    this.url = this.opts.url || '';
    this.secret = this.opts.secret || '';
    this.enabled = true;
    this.events = []; // records: { event, body, state, attempts }
    this.byId = new Map();
    this.queue = [];
    this.generation += 1; // a running drain stops after its current attempt
  }

  configure({ url, secret }) {
    if (url !== undefined)
      this.url = url === null ? '' : checkUrl(url);
    if (secret !== undefined)
      this.secret = checkSecret(secret);
    if (this.url !== '') {
      if (this.secret === '')
        throw new Error('a webhook URL needs a webhook secret');
      loadSigner();
    }
  }

  setEnabled(on) {
    this.enabled = Boolean(on);
    this.kick();
  }

  /* An event as Stripe builds it; `request` is null for automatic ones. */
  make(type, object, previous, request) {
    const event = {
      id: newId('evt'), object: 'event', api_version: this.opts.apiVersion,
      created: now(), livemode: false, type,
      data: previous === undefined || previous === null
        ? { object: clone(object) }
        : { object: clone(object), previous_attributes: clone(previous) },
      pending_webhooks: this.url !== '' ? 1 : 0,
      request: { id: request?.id ?? null, idempotency_key: request?.idempotency_key ?? null },
    };
    return event;
  }

  /* Record events in order and queue them for delivery. */
  commit(events) {
    for (const event of events) {
      const rec = { event, body: JSON.stringify(event), state: 'pending', attempts: [] };
      if (this.url === '')
        rec.state = 'no_endpoint';
      else if (!this.enabled)
        rec.state = 'skipped';
      this.events.push(rec);
      this.byId.set(event.id, rec);
      if (rec.state === 'pending')
        this.queue.push(rec);
    }
    this.kick();
  }

  /* Send an event again, whatever happened to it before (same id, same body). */
  resend(id) {
    const rec = this.byId.get(id);
    if (!rec)
      throw new Error(`no such event: ${id}`);
    if (this.url === '')
      throw new Error('no webhook URL is set');
    rec.state = 'pending';
    this.queue.push(rec);
    this.kick();
  }

  list() {
    return this.events.map((r) => ({ id: r.event.id, type: r.event.type,
      created: r.event.created, state: r.state, attempts: r.attempts, event: r.event }));
  }

  /* Resolves once nothing is pending, or after ms. */
  waitIdle(ms) {
    if (!this.running && (this.queue.length === 0 || !this.enabled))
      return Promise.resolve(true);
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), ms);
      this.idle.push(() => { clearTimeout(t); resolve(true); });
    });
  }

  kick() {
    if (this.running || !this.enabled || this.queue.length === 0) {
      if (!this.running)
        this.idle.splice(0).forEach((f) => f());
      return;
    }
    this.running = true;
    this.drain(this.generation).catch(() => {}).finally(() => {
      this.running = false;
      this.kick();
    });
  }

  async drain(gen) {
    while (this.queue.length > 0 && this.enabled && gen === this.generation) {
      const rec = this.queue.shift();
      const tries = 1 + this.opts.retries;
      for (let n = 1; n <= tries && gen === this.generation; n++) {
        const a = await this.attempt(rec);
        a.attempt = n;
        rec.attempts.push(a);
        this.log(rec, a);
        if (a.status >= 200 && a.status < 300) {
          rec.state = 'delivered';
          break;
        }
        rec.state = 'failed';
        if (n < tries)
          await sleep(this.opts.backoffMs * 2 ** (n - 1));
      }
    }
  }

  attempt(rec) {
    const started = Date.now();
    const header = Stripe.webhooks.generateTestHeaderString({
      payload: rec.body, secret: this.secret });
    const url = new URL(this.url);
    const mod = url.protocol === 'https:' ? https : http;
    return new Promise((resolve) => {
      let done = false;
      const finish = (status, error) => {
        if (done)
          return;
        done = true;
        resolve({ at: now(), status, error, ms: Date.now() - started });
      };
      const req = mod.request(url, {
        method: 'POST', agent: false, timeout: this.opts.timeoutMs,
        headers: {
          'Content-Type': 'application/json; charset=utf-8',
          'Content-Length': Buffer.byteLength(rec.body),
          'Stripe-Signature': header,
          'User-Agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
          Accept: '*/*; q=0.5, application/xml',
          'Cache-Control': 'no-cache',
        },
      }, (res) => {
        res.resume();
        res.on('end', () => finish(res.statusCode, null));
        res.on('error', (e) => finish(res.statusCode, e.message));
      });
      req.on('timeout', () => { req.destroy(new Error('timed out')); });
      req.on('error', (e) => finish(0, e.message));
      req.end(rec.body);
    });
  }

  log(rec, a) {
    if (!this.opts.logFile)
      return;
    fs.appendFileSync(this.opts.logFile, `${JSON.stringify({ event: rec.event.id,
      type: rec.event.type, attempt: a.attempt, status: a.status, error: a.error,
      ms: a.ms })}\n`);
  }
}
