/*
 * wallet.mjs: a NIP-47 (Nostr Wallet Connect) wallet service for Caravel's
 * tests (spec/testing.md, "NWC wallet"; research/nostr.md §11). Requests
 * travel through a real relay (tests/relay/relay.mjs) and are answered by
 * @getalby/sdk 7.0.0's NWCWalletService; this file adds the ledger, the
 * encryption rules and the scripted failures around it.
 *
 * Many named wallets share ONE ledger, as nodes share the Lightning
 * network: an invoice made by one wallet (the platform's) is paid by
 * another (a tenant's). Amounts are millisatoshis everywhere.
 *
 * Each wallet has its own wallet-service key, client key and Lightning
 * node key (which signs its BOLT11 invoices), its own relay connection,
 * and publishes its kind 13194 info event (content: its methods,
 * space-separated) before the control API answers, with the request
 * subscription already live.
 *
 * Encryption (research/nostr.md §11.2), and what the SDK does:
 *   "nip44" wallets publish the info event with the SDK, which writes
 *     ["encryption", "nip04 nip44_v2"] (that order) and ["notifications",
 *     ""]; they read a request as NIP-44 when it is tagged ["encryption",
 *     "nip44_v2"] and as NIP-04 when the tag is absent or "nip04", and
 *     answer in the scheme of the request.
 *   "nip04" wallets publish their info event themselves with no tags at
 *     all (an absent encryption tag means NIP-04 only): the SDK always
 *     writes the tag above and has no way to leave it out.
 *   The SDK never refuses a scheme and never sends UNSUPPORTED_ENCRYPTION:
 *   it decrypts with NIP-04 when the tag is absent or "nip04" and with
 *   NIP-44 for ANY other tag value. This fake refuses instead, before the
 *   SDK decrypts: a request in a scheme the wallet does not offer (NIP-44
 *   to a "nip04" wallet, an unknown tag value to any wallet) gets no
 *   answer at all and is logged as "refused". That is also what a real
 *   NIP-04-only wallet does (it cannot read the request), so clients see a
 *   reply timeout.
 *   Replies carry ["e", request id] and, unlike the SDK, ["p", client
 *   pubkey] (NIP-47 says SHOULD; Alby Hub sends it). "reply_p_tag": false
 *   gives the SDK's own replies, without it.
 *   A request whose "expiration" tag is in the past (wallet clock) is
 *   ignored (NIP-47); the SDK does not check it.
 *
 * Methods: get_info, make_invoice, pay_invoice, lookup_invoice,
 * get_balance (a wallet may offer fewer; the others get NOT_IMPLEMENTED).
 *   make_invoice {amount, description?, description_hash?, expiry?,
 *     metadata?}: a real mainnet BOLT11 invoice (npm bolt11) for exactly
 *     amount msats, payment hash = sha256 of a fresh random preimage,
 *     timestamp now, expiry default 3600 s, "d" = description or "h" =
 *     description_hash; the answer is the transaction below (state
 *     pending, no preimage, no settled_at).
 *   pay_invoice {invoice, amount?}: in this order, an invoice the ledger
 *     never made fails PAYMENT_FAILED "no route to the payee"; a settled
 *     one PAYMENT_FAILED "invoice already paid" (an invoice is paid once,
 *     ever); an expired one PAYMENT_FAILED "invoice expired"; an amount
 *     other than the invoice's is OTHER; a payer balance below the amount
 *     is INSUFFICIENT_BALANCE. Else the payer is debited, the payee
 *     credited, the invoice settled: {preimage, fees_paid: 0}.
 *   lookup_invoice {payment_hash | invoice}: an invoice this wallet made
 *     (type "incoming") or paid ("outgoing"), else NOT_FOUND.
 *   Transactions: {type, state: pending|settled|expired (expired once now
 *     > expires_at unpaid), invoice, description, description_hash ("" when
 *     none), payment_hash, amount, fees_paid: 0, created_at, expires_at,
 *     settled_at (lookup only: null until settled), preimage (only once
 *     settled), metadata ({} unless given)}.
 *   get_info: {alias: the wallet's name, color, pubkey: its node key,
 *     network: "mainnet", block_height, block_hash, methods,
 *     notifications: []}. get_balance: {balance}.
 *   Malformed params are OTHER with a sentence. Answers are {result,
 *   error: null} or {result: null, error: {code, message}}.
 *
 * Environment: WALLET_RELAY (required, ws:// or wss:// URL of the relay),
 * WALLET_PORT (default 0: any free port), WALLET_NOW_OFFSET (seconds
 * added to the clock). Prints "listening <port>" on stdout once ready.
 * FAKE_FAIL_RATE (0 to 1, default 0: off) fails that share of the NIP-47
 * requests of wallets in mode normal, in two ways, half of each: an
 * INTERNAL error answer, the request not carried out (behavior "random
 * error"); or the request carried out (an invoice made, a payment moved)
 * and its answer never sent, as when a wallet dies or its relay drops the
 * reply (behavior "random drop", outcome "dropped"). Which requests fail
 * comes from a generator seeded with FAKE_FAIL_SEED (default 1): the same
 * requests in the same order fail the same way.
 *
 * Control API on 127.0.0.1 (bodies: a JSON object, 64 KiB at most, empty
 * means {}; unknown fields are refused; errors are {"error": sentence}
 * with 400, or 404 for an unknown wallet or route, 503 if the relay does
 * not take a new wallet):
 *   POST /wallets {name, encryption: "nip44"|"nip04" (default nip44),
 *       balance_msats (default 0), methods (default all five),
 *       reply_p_tag (default true)}
 *     -> {name, uri, wallet_pubkey, client_pubkey, client_secret}, where
 *        uri = nostr+walletconnect://<wallet_pubkey>?relay=<urlencoded
 *        relay>&secret=<client secret hex>
 *   GET  /wallets               [{name, encryption, balance_msats}, ...]
 *   GET  /wallets/:name         {name, encryption, methods, reply_p_tag,
 *       uri, wallet_pubkey, client_pubkey, node_pubkey, balance_msats,
 *       behavior, requests: [{method, params, encryption, at, ...}]}
 *     Each request: encryption = the scheme it was read as ("nip44_v2" or
 *     "nip04", from its tag; absent tag = "nip04"), encryption_tag = the
 *     tag's value or null, content_format = the scheme the ciphertext's
 *     shape shows ("nip04" for "...?iv=...", "nip44_v2" for a version-2
 *     payload, else "unknown"), at / answered_at (wallet clock, seconds),
 *     event_id, behavior (the mode applied), outcome ("answered", "error"
 *     with error_code, "silent", "refused", "undecryptable", "expired",
 *     "malformed", "dropped" (FAKE_FAIL_RATE), or "pending" while a late
 *     answer waits).
 *   POST /wallets/:name/behavior {mode: normal|error|late|silent,
 *       methods (default all), error_code (default INTERNAL),
 *       error_message, delay_ms, count (default unlimited)}
 *     The next count requests for those methods: error answers that NIP-47
 *     error; late answers (and changes the ledger) only after delay_ms;
 *     silent never answers and changes nothing. delay_ms also delays an
 *     error. After count requests the wallet is normal again.
 *   POST /wallets/:name/pay {invoice}   pay from this wallet under the
 *     pay_invoice rules -> {preimage, fees_paid, payment_hash}, or 400
 *     {error, code}
 *   POST /wallets/:name/balance {balance_msats}   -> the wallet
 *   GET  /ledger        [{payment_hash, invoice, amount, description,
 *       description_hash, payee, payer, state, created_at, expires_at,
 *       settled_at, preimage (settled only)}] in creation order
 *   GET  /clock, POST /clock {offset_seconds}   the wallet clock is real
 *     time plus offset_seconds -> {offset_seconds, now}
 *   POST /reset         forget every wallet, the ledger and the clock
 *     offset (back to WALLET_NOW_OFFSET); late answers still waiting are
 *     dropped.
 */
import http from 'node:http';
import crypto from 'node:crypto';
import { createRequire } from 'node:module';

const require = createRequire(new URL('../js/package.json', import.meta.url));
let bolt11, pure, sdk;
try {
  /* Node 20 has no WebSocket; the SDK's bundled nostr-tools reads the
   * global once, when it loads. */
  globalThis.WebSocket = require('ws');
  bolt11 = require('bolt11');
  pure = require('nostr-tools/pure');
  sdk = require('@getalby/sdk/nwc');
} catch (e) {
  console.error('wallet fake: @getalby/sdk, bolt11, nostr-tools or ws is ' +
    `not installed (npm ci --prefix tests/js): ${e.message}`);
  process.exit(3);
}

const RELAY = process.env.WALLET_RELAY || '';
const PORT = Number(process.env.WALLET_PORT || 0);
const ENV_OFFSET = Number(process.env.WALLET_NOW_OFFSET || 0);
if (!/^wss?:\/\/[^\s/?#]+(\/\S*)?$/.test(RELAY)) {
  console.error('wallet fake: WALLET_RELAY must be a ws:// or wss:// URL');
  process.exit(2);
}
if (!Number.isSafeInteger(ENV_OFFSET) || !Number.isSafeInteger(PORT)) {
  console.error('wallet fake: WALLET_NOW_OFFSET and WALLET_PORT must be ' +
    'integers');
  process.exit(2);
}
/* FAKE_FAIL_RATE and FAKE_FAIL_SEED: see the top of this file. */
const FAIL_RATE = process.env.FAKE_FAIL_RATE || '0';
const FAIL_SEED = process.env.FAKE_FAIL_SEED || '1';
if (!/^(0|1|0?\.\d+|1\.0*)$/.test(FAIL_RATE) || !/^\d+$/.test(FAIL_SEED)) {
  console.error('wallet fake: FAKE_FAIL_RATE must be a number from 0 to 1 ' +
    'and FAKE_FAIL_SEED a whole number');
  process.exit(2);
}
let failState = Number(FAIL_SEED) % 4294967296 || 1;
/* xorshift32: the next number of the sequence, in [0, 1). */
function failDraw() {
  failState = (failState ^ (failState << 13)) >>> 0;
  failState = (failState ^ (failState >>> 17)) >>> 0;
  failState = (failState ^ (failState << 5)) >>> 0;
  return failState / 4294967296;
}
/* How this request fails under FAKE_FAIL_RATE: 'error', 'drop' or null. */
function randomFailure() {
  if (Number(FAIL_RATE) === 0 || failDraw() >= Number(FAIL_RATE))
    return null;
  return failDraw() < 0.5 ? 'error' : 'drop';
}

const MAX_BODY = 64 * 1024;
const METHODS = ['get_info', 'make_invoice', 'pay_invoice', 'lookup_invoice',
  'get_balance'];
const MODES = ['normal', 'error', 'late', 'silent'];
const NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const HEX64 = /^[0-9a-f]{64}$/;
const BLOCK_HEIGHT = 850000;
const BLOCK_HASH = crypto.createHash('sha256')
  .update(`block ${BLOCK_HEIGHT}`).digest('hex');
const READY_MS = 10000;

/* The SDK talks on stdout (console.info) and reports every request it
 * drops on stderr; stdout carries only "listening", and the requests this
 * fake drops on purpose are in the request log already. */
class Dropped extends Error {}
console.info = () => {};
const consoleError = console.error.bind(console);
console.error = (...args) => {
  if (!args.some((a) => a instanceof Dropped))
    consoleError(...args);
};
process.on('unhandledRejection', (e) => consoleError('wallet fake:', e));

let offset = ENV_OFFSET;
let wallets = new Map(); // name -> Wallet
let ledger = new Map(); // payment_hash -> invoice, in creation order
let epoch = 0; // bumped by reset: what a late answer waited for is gone

const nowSec = () => Math.floor(Date.now() / 1000) + offset;
const hex = (b) => Buffer.from(b).toString('hex');
const sha256 = (b) => crypto.createHash('sha256').update(b).digest('hex');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const isObj = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

/* A NIP-47 error answer. */
class NwcError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}
const other = (message) => new NwcError('OTHER', message);

/* A control API error. */
class HttpError extends Error {
  constructor(status, message, extra = {}) {
    super(message);
    this.status = status;
    this.extra = extra;
  }
}
const bad = (message) => new HttpError(400, message);

/* --- the ledger --- */

function stateOf(inv) {
  if (inv.settled_at !== null)
    return 'settled';
  return nowSec() > inv.expires_at ? 'expired' : 'pending';
}

function transaction(inv, type, lookup) {
  const t = {
    type, state: stateOf(inv), invoice: inv.invoice,
    description: inv.description, description_hash: inv.description_hash,
    payment_hash: inv.payment_hash, amount: inv.amount, fees_paid: 0,
    created_at: inv.created_at, expires_at: inv.expires_at,
  };
  if (lookup)
    t.settled_at = inv.settled_at;
  if (inv.settled_at !== null)
    t.preimage = inv.preimage;
  t.metadata = inv.metadata;
  return t;
}

function ledgerView(inv) {
  const v = {
    payment_hash: inv.payment_hash, invoice: inv.invoice, amount: inv.amount,
    description: inv.description, description_hash: inv.description_hash,
    payee: inv.payee, payer: inv.payer, state: stateOf(inv),
    created_at: inv.created_at, expires_at: inv.expires_at,
    settled_at: inv.settled_at,
  };
  if (inv.settled_at !== null)
    v.preimage = inv.preimage;
  return v;
}

function paramsOf(p) {
  if (p === undefined || p === null)
    return {};
  if (!isObj(p))
    throw other('params must be a JSON object');
  return p;
}

function optString(p, key) {
  const v = p[key];
  if (v === undefined || v === null)
    return '';
  if (typeof v !== 'string')
    throw other(`${key} must be a string`);
  return v;
}

function makeInvoice(w, params) {
  const p = paramsOf(params);
  if (!Number.isSafeInteger(p.amount) || p.amount <= 0)
    throw other('amount must be a positive integer of millisatoshis');
  const description = optString(p, 'description');
  if (Buffer.byteLength(description) > 639)
    throw other('description is longer than a BOLT11 invoice holds ' +
      '(639 bytes)');
  const descriptionHash = optString(p, 'description_hash').toLowerCase();
  if (descriptionHash !== '' && !HEX64.test(descriptionHash))
    throw other('description_hash must be 64 hex characters');
  const expiry = p.expiry ?? 3600;
  if (!Number.isSafeInteger(expiry) || expiry <= 0 || expiry > 31536000)
    throw other('expiry must be a positive number of seconds (a year at ' +
      'most)');
  const metadata = p.metadata ?? {};
  if (!isObj(metadata) || JSON.stringify(metadata).length > 4096)
    throw other('metadata must be a JSON object of 4096 characters at most');

  const preimage = crypto.randomBytes(32);
  const hash = sha256(preimage);
  const created = nowSec();
  const tags = [
    { tagName: 'payment_hash', data: hash },
    { tagName: 'payment_secret', data: hex(crypto.randomBytes(32)) },
    descriptionHash !== '' ?
      { tagName: 'purpose_commit_hash', data: descriptionHash } :
      { tagName: 'description', data: description },
    { tagName: 'expire_time', data: expiry },
    { tagName: 'min_final_cltv_expiry', data: 80 },
  ];
  const unsigned = bolt11.encode({ millisatoshis: String(p.amount),
    timestamp: created, tags });
  const invoice = bolt11.sign(unsigned, w.nodeSecret).paymentRequest;
  const inv = {
    payment_hash: hash, invoice, amount: p.amount, description,
    description_hash: descriptionHash, payee: w.name, payer: null,
    created_at: created, expires_at: created + expiry, settled_at: null,
    preimage: hex(preimage), metadata,
  };
  ledger.set(hash, inv);
  return transaction(inv, 'incoming', false);
}

function payInvoice(w, params) {
  const p = paramsOf(params);
  if (typeof p.invoice !== 'string' || p.invoice === '' ||
      p.invoice.length > 7089)
    throw other('invoice must be a BOLT11 invoice');
  let decoded;
  try {
    decoded = bolt11.decode(p.invoice);
  } catch (e) {
    throw other(`invoice is not a valid BOLT11 invoice: ${e.message}`);
  }
  const inv = ledger.get(decoded.tagsObject.payment_hash);
  if (!inv || inv.invoice !== p.invoice.toLowerCase())
    throw new NwcError('PAYMENT_FAILED', 'no route to the payee');
  if (inv.settled_at !== null)
    throw new NwcError('PAYMENT_FAILED', 'invoice already paid');
  if (stateOf(inv) === 'expired')
    throw new NwcError('PAYMENT_FAILED', 'invoice expired');
  if (p.amount !== undefined && p.amount !== null && p.amount !== inv.amount)
    throw other(`amount ${JSON.stringify(p.amount)} does not match the ` +
      `invoice's ${inv.amount} msats`);
  if (w.balance < inv.amount)
    throw new NwcError('INSUFFICIENT_BALANCE', `the balance of ${w.balance} ` +
      `msats does not cover ${inv.amount} msats`);
  w.balance -= inv.amount;
  wallets.get(inv.payee).balance += inv.amount;
  inv.payer = w.name;
  inv.settled_at = nowSec();
  return { preimage: inv.preimage, fees_paid: 0 };
}

function lookupInvoice(w, params) {
  const p = paramsOf(params);
  let inv;
  if (p.payment_hash !== undefined && p.payment_hash !== null) {
    if (typeof p.payment_hash !== 'string' ||
        !HEX64.test(p.payment_hash.toLowerCase()))
      throw other('payment_hash must be 64 hex characters');
    inv = ledger.get(p.payment_hash.toLowerCase());
  } else if (typeof p.invoice === 'string' && p.invoice !== '') {
    const text = p.invoice.toLowerCase();
    inv = [...ledger.values()].find((i) => i.invoice === text);
  } else {
    throw other('payment_hash or invoice is required');
  }
  if (inv && inv.payee === w.name)
    return transaction(inv, 'incoming', true);
  if (inv && inv.payer === w.name)
    return transaction(inv, 'outgoing', true);
  throw new NwcError('NOT_FOUND', 'invoice not found');
}

const getInfo = (w) => ({
  alias: w.name, color: `#${w.nodePubkey.slice(2, 8)}`,
  pubkey: w.nodePubkey, network: 'mainnet', block_height: BLOCK_HEIGHT,
  block_hash: BLOCK_HASH, methods: [...w.methods], notifications: [],
});

const RUN = {
  get_info: getInfo,
  make_invoice: makeInvoice,
  pay_invoice: payInvoice,
  lookup_invoice: lookupInvoice,
  get_balance: (w) => ({ balance: w.balance }),
};

/* --- the wallets --- */

/* The shape of a ciphertext: NIP-04 is "<base64>?iv=<base64>", NIP-44
 * v2 is base64 starting with the version byte 2. */
function contentFormat(content) {
  if (typeof content !== 'string')
    return 'unknown';
  if (/^[A-Za-z0-9+/]+=*\?iv=[A-Za-z0-9+/]+=*$/.test(content))
    return 'nip04';
  if (/^[A-Za-z0-9+/]+=*$/.test(content) &&
      Buffer.from(content.slice(0, 4), 'base64')[0] === 2)
    return 'nip44_v2';
  return 'unknown';
}

function tagOf(ev, name) {
  const t = ev?.tags?.find((x) => Array.isArray(x) && x[0] === name);
  return t === undefined ? null : t[1] ?? '';
}

/*
 * NWCWalletService, plus: it refuses schemes the wallet does not offer,
 * logs every request it receives, signals when its subscription is live,
 * and tags replies with the client's key.
 *
 * The SDK's handlers see only the params, never the event; the log entry
 * made while decrypting is handed to the handler through a per-method
 * queue. That is exact because the SDK's relay dispatches one event per
 * task and calls decrypt (synchronous inside) and then the handler in
 * that event's own chain of microtasks.
 */
class Service extends sdk.NWCWalletService {
  constructor(wallet) {
    super({ relayUrl: RELAY });
    this.wallet = wallet;
    this.current = null;
    const relay = this.relay;
    const subscribe = relay.subscribe.bind(relay);
    relay.subscribe = (filters, params = {}) => {
      const sub = subscribe(filters, { ...params,
        oneose: () => { params.oneose?.(); wallet.live(); } });
      let onevent = sub.onevent;
      Object.defineProperty(sub, 'onevent', {
        configurable: true,
        set: (fn) => { onevent = fn; },
        get: () => (ev) => {
          this.current = ev;
          try {
            return onevent(ev);
          } finally {
            this.current = null;
          }
        },
      });
      return sub;
    };
  }

  async decrypt(keypair, content, scheme) {
    const w = this.wallet;
    const ev = this.current; // read before the first await
    const entry = {
      method: null, params: null, encryption: scheme,
      encryption_tag: tagOf(ev, 'encryption'),
      content_format: contentFormat(content), at: nowSec(),
      event_id: ev?.id ?? null, behavior: null, outcome: 'pending',
    };
    w.requests.push(entry);
    if (!w.schemes.includes(scheme)) {
      entry.outcome = 'refused';
      throw new Dropped(`unsupported encryption ${scheme}`);
    }
    const exp = Number(tagOf(ev, 'expiration'));
    if (tagOf(ev, 'expiration') !== null && exp < nowSec()) {
      entry.outcome = 'expired';
      throw new Dropped('request expired');
    }
    let text, req;
    try {
      text = await super.decrypt(keypair, content, scheme);
    } catch {
      entry.outcome = 'undecryptable';
      throw new Dropped('undecryptable request');
    }
    try {
      req = JSON.parse(text);
    } catch {
      req = null;
    }
    if (!isObj(req) || typeof req.method !== 'string') {
      entry.outcome = 'malformed';
      throw new Dropped('malformed request');
    }
    entry.method = req.method;
    entry.params = req.params ?? null;
    if (METHODS.includes(req.method)) {
      w.queue(req.method).push(entry);
    } else { /* the SDK answers NOT_IMPLEMENTED itself */
      entry.outcome = 'error';
      entry.error_code = 'NOT_IMPLEMENTED';
      entry.answered_at = nowSec();
    }
    return text;
  }

  signEvent(template, secret) {
    if (template.kind === 23195 && this.wallet.replyPTag)
      template = { ...template,
        tags: [...template.tags, ['p', this.wallet.clientPubkey]] };
    return super.signEvent(template, secret);
  }
}

class Wallet {
  constructor(spec) {
    this.name = spec.name;
    this.encryption = spec.encryption;
    this.schemes = spec.encryption === 'nip44' ? ['nip44_v2', 'nip04'] :
      ['nip04'];
    this.methods = spec.methods;
    this.replyPTag = spec.reply_p_tag;
    this.balance = spec.balance_msats;
    this.walletSecret = hex(pure.generateSecretKey());
    this.walletPubkey = pure.getPublicKey(Buffer.from(this.walletSecret, 'hex'));
    this.clientSecret = hex(pure.generateSecretKey());
    this.clientPubkey = pure.getPublicKey(Buffer.from(this.clientSecret, 'hex'));
    this.nodeSecret = hex(pure.generateSecretKey());
    const ecdh = crypto.createECDH('secp256k1');
    ecdh.setPrivateKey(Buffer.from(this.nodeSecret, 'hex'));
    this.nodePubkey = ecdh.getPublicKey('hex', 'compressed');
    this.behavior = { mode: 'normal' };
    this.requests = [];
    this.queues = new Map();
    this.closed = false;
    this.onLive = null;
    this.service = new Service(this);
    this.unsubscribe = null;
  }

  get uri() {
    return `nostr+walletconnect://${this.walletPubkey}?relay=` +
      `${encodeURIComponent(RELAY)}&secret=${this.clientSecret}`;
  }

  queue(method) {
    if (!this.queues.has(method))
      this.queues.set(method, []);
    return this.queues.get(method);
  }

  live() {
    this.onLive?.();
  }

  /* Subscribed and announced, or an Error: at once when the relay
   * refuses the connection (the SDK would retry forever), after READY_MS
   * when it does not answer. */
  async start() {
    await this.service.relay.connect();
    const live = new Promise((resolve) => { this.onLive = resolve; });
    this.unsubscribe = await this.service.subscribe(
      new sdk.NWCWalletServiceKeyPair(this.walletSecret, this.clientPubkey),
      this.handlers());
    let timer;
    const timeout = new Promise((resolve, reject) => {
      timer = setTimeout(() => reject(new Error('the relay did not answer ' +
        `within ${READY_MS / 1000} s`)), READY_MS);
    });
    try {
      await Promise.race([live, timeout]);
      await Promise.race([this.announce(), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async announce() {
    if (this.encryption === 'nip44')
      return this.service.publishWalletServiceInfoEvent(this.walletSecret,
        this.methods, []);
    await this.service.relay.connect();
    return this.service.relay.publish(pure.finalizeEvent({
      kind: 13194, created_at: Math.floor(Date.now() / 1000), tags: [],
      content: this.methods.join(' '),
    }, Buffer.from(this.walletSecret, 'hex')));
  }

  close() {
    this.closed = true;
    this.unsubscribe?.();
    this.service.relay.onclose = null; /* the SDK would log a disconnect */
    try {
      this.service.close();
    } catch { /* never connected */ }
  }

  /* The behaviour for the next request of this method, used up. */
  takeBehavior(method) {
    const b = this.behavior;
    if (b.mode === 'normal' || (b.methods && !b.methods.includes(method)))
      return null;
    if (b.count !== null && --b.count <= 0)
      this.behavior = { mode: 'normal' };
    return b;
  }

  handlers() {
    const h = (method) => (params) => serve(this, method, params);
    return {
      getInfo: h('get_info'), makeInvoice: h('make_invoice'),
      payInvoice: h('pay_invoice'), lookupInvoice: h('lookup_invoice'),
      getBalance: h('get_balance'),
    };
  }

  view() {
    return {
      name: this.name, encryption: this.encryption, methods: this.methods,
      reply_p_tag: this.replyPTag, uri: this.uri,
      wallet_pubkey: this.walletPubkey, client_pubkey: this.clientPubkey,
      node_pubkey: this.nodePubkey, balance_msats: this.balance,
      behavior: this.behavior, requests: this.requests,
    };
  }
}

function finish(entry, answer) {
  entry.answered_at = nowSec();
  if (answer.error) {
    entry.outcome = 'error';
    entry.error_code = answer.error.code;
  } else {
    entry.outcome = 'answered';
  }
  return answer;
}

const never = () => new Promise(() => {});

/* One request, as the SDK hands it over: the answer, or a promise that
 * never settles (no answer at all). */
async function serve(w, method, params) {
  let entry = w.queue(method).shift();
  if (!entry) { /* cannot happen (see Service); keep a trace anyway */
    entry = { method, params: params ?? null, encryption: null, at: nowSec(),
      outcome: 'pending' };
    w.requests.push(entry);
  }
  const gen = epoch;
  if (!w.methods.includes(method))
    return finish(entry, { result: null, error: { code: 'NOT_IMPLEMENTED',
      message: `this wallet does not offer ${method}` } });
  const b = w.takeBehavior(method);
  entry.behavior = b ? b.mode : 'normal';
  if (b?.mode === 'silent') {
    entry.outcome = 'silent';
    return never();
  }
  if (b?.delay_ms)
    await sleep(b.delay_ms);
  if (gen !== epoch || w.closed) {
    entry.outcome = 'dropped by reset';
    return never();
  }
  const random = b === null ? randomFailure() : null;
  if (random === 'error') {
    entry.behavior = 'random error';
    return finish(entry, { result: null, error: { code: 'INTERNAL',
      message: 'the wallet failed (FAKE_FAIL_RATE)' } });
  }
  if (random === 'drop') {
    entry.behavior = 'random drop';
    try {
      RUN[method](w, params);
    } catch { /* a failure is dropped all the same */ }
    entry.outcome = 'dropped';
    return never();
  }
  if (b?.mode === 'error')
    return finish(entry, { result: null, error: { code: b.error_code,
      message: b.error_message } });
  try {
    return finish(entry, { result: RUN[method](w, params), error: null });
  } catch (e) {
    if (!(e instanceof NwcError)) {
      consoleError('wallet fake: bug:', e);
      e = new NwcError('INTERNAL', `the fake itself failed: ${e.message}`);
    }
    return finish(entry, { result: null,
      error: { code: e.code, message: e.message } });
  }
}

/* --- the control API --- */

function fields(body, allowed) {
  for (const k of Object.keys(body))
    if (!allowed.includes(k))
      throw bad(`unknown field "${k}"`);
}

function msats(v, what) {
  if (!Number.isSafeInteger(v) || v < 0)
    throw bad(`${what} must be a non-negative integer of millisatoshis`);
  return v;
}

function walletOf(name) {
  const w = wallets.get(name);
  if (!w)
    throw new HttpError(404, `no wallet named "${name}"`);
  return w;
}

async function createWallet(body) {
  fields(body, ['name', 'encryption', 'balance_msats', 'methods',
    'reply_p_tag']);
  if (typeof body.name !== 'string' || !NAME.test(body.name))
    throw bad('name must be 1-64 characters of A-Z a-z 0-9 _ . -');
  if (wallets.has(body.name))
    throw bad(`a wallet named "${body.name}" exists already`);
  const encryption = body.encryption ?? 'nip44';
  if (encryption !== 'nip44' && encryption !== 'nip04')
    throw bad('encryption must be "nip44" or "nip04"');
  const methods = body.methods ?? METHODS;
  if (!Array.isArray(methods) || methods.length === 0 ||
      !methods.every((m) => METHODS.includes(m)) ||
      new Set(methods).size !== methods.length)
    throw bad(`methods must be a list of distinct names among ${METHODS.join(' ')}`);
  const replyPTag = body.reply_p_tag ?? true;
  if (typeof replyPTag !== 'boolean')
    throw bad('reply_p_tag must be true or false');
  const w = new Wallet({ name: body.name, encryption, methods: [...methods],
    reply_p_tag: replyPTag,
    balance_msats: msats(body.balance_msats ?? 0, 'balance_msats') });
  wallets.set(w.name, w);
  const gen = epoch;
  try {
    await w.start();
  } catch (e) {
    w.close();
    if (wallets.get(w.name) === w)
      wallets.delete(w.name);
    throw new HttpError(503, `wallet "${w.name}" could not start on ` +
      `${RELAY}: ${e.message ?? e}`);
  }
  if (gen !== epoch || w.closed)
    throw new HttpError(503, 'the fake was reset while the wallet started');
  return { name: w.name, uri: w.uri, wallet_pubkey: w.walletPubkey,
    client_pubkey: w.clientPubkey, client_secret: w.clientSecret };
}

function setBehavior(w, body) {
  fields(body, ['mode', 'methods', 'error_code', 'error_message', 'delay_ms',
    'count']);
  if (!MODES.includes(body.mode))
    throw bad(`mode must be one of ${MODES.join(' ')}`);
  const b = { mode: body.mode, methods: null, count: null, delay_ms: 0 };
  if (body.methods !== undefined && body.methods !== null) {
    if (!Array.isArray(body.methods) || body.methods.length === 0 ||
        !body.methods.every((m) => METHODS.includes(m)))
      throw bad(`methods must be a list of names among ${METHODS.join(' ')}`);
    b.methods = [...body.methods];
  }
  if (body.count !== undefined && body.count !== null) {
    if (!Number.isSafeInteger(body.count) || body.count <= 0)
      throw bad('count must be a positive integer');
    b.count = body.count;
  }
  if (body.delay_ms !== undefined && body.delay_ms !== null) {
    if (!Number.isSafeInteger(body.delay_ms) || body.delay_ms < 0 ||
        body.delay_ms > 600000)
      throw bad('delay_ms must be an integer from 0 to 600000');
    b.delay_ms = body.delay_ms;
  }
  if (b.mode === 'late' && b.delay_ms === 0)
    throw bad('mode "late" needs delay_ms');
  if (b.mode === 'error') {
    b.error_code = body.error_code ?? 'INTERNAL';
    if (typeof b.error_code !== 'string' || !/^[A-Z][A-Z0-9_]{0,63}$/.test(b.error_code))
      throw bad('error_code must be an upper-case NIP-47 code');
    b.error_message = body.error_message ?? `scripted ${b.error_code}`;
    if (typeof b.error_message !== 'string' || b.error_message.length > 1000)
      throw bad('error_message must be a string of 1000 characters at most');
  } else if (body.error_code !== undefined || body.error_message !== undefined) {
    throw bad('error_code and error_message go with mode "error"');
  }
  w.behavior = b.mode === 'normal' ? { mode: 'normal' } : b;
  return w.behavior;
}

function payByHand(w, body) {
  fields(body, ['invoice']);
  try {
    const r = payInvoice(w, { invoice: body.invoice });
    return { ...r, payment_hash: sha256(Buffer.from(r.preimage, 'hex')) };
  } catch (e) {
    if (e instanceof NwcError)
      throw new HttpError(400, e.message, { code: e.code });
    throw e;
  }
}

function setClock(body) {
  fields(body, ['offset_seconds']);
  if (!Number.isSafeInteger(body.offset_seconds) ||
      Math.abs(body.offset_seconds) > 1e10)
    throw bad('offset_seconds must be an integer');
  offset = body.offset_seconds;
  return { offset_seconds: offset, now: nowSec() };
}

function reset() {
  epoch++;
  for (const w of wallets.values())
    w.close();
  wallets = new Map();
  ledger = new Map();
  offset = ENV_OFFSET;
  return { ok: true };
}

const ROUTES = [
  ['POST', /^\/wallets$/, (m, b) => createWallet(b)],
  ['GET', /^\/wallets$/, () => [...wallets.values()].map((w) =>
    ({ name: w.name, encryption: w.encryption, balance_msats: w.balance }))],
  ['GET', /^\/wallets\/([^/]+)$/, (m) => walletOf(m[1]).view()],
  ['POST', /^\/wallets\/([^/]+)\/behavior$/, (m, b) =>
    setBehavior(walletOf(m[1]), b)],
  ['POST', /^\/wallets\/([^/]+)\/pay$/, (m, b) => payByHand(walletOf(m[1]), b)],
  ['POST', /^\/wallets\/([^/]+)\/balance$/, (m, b) => {
    const w = walletOf(m[1]);
    fields(b, ['balance_msats']);
    w.balance = msats(b.balance_msats, 'balance_msats');
    return w.view();
  }],
  ['GET', /^\/ledger$/, () => [...ledger.values()].map(ledgerView)],
  ['GET', /^\/clock$/, () => ({ offset_seconds: offset, now: nowSec() })],
  ['POST', /^\/clock$/, (m, b) => setClock(b)],
  ['POST', /^\/reset$/, () => reset()],
];

/* The body as a JSON object ({} when empty); 400 past MAX_BODY bytes. */
function readJson(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let n = 0;
    req.on('data', (c) => {
      n += c.length;
      if (n <= MAX_BODY)
        chunks.push(c);
    });
    req.on('end', () => {
      if (n > MAX_BODY)
        return reject(bad(`the body is larger than ${MAX_BODY} bytes`));
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim() === '')
        return resolve({});
      let v;
      try {
        v = JSON.parse(text);
      } catch (e) {
        return reject(bad(`the body is not JSON: ${e.message}`));
      }
      if (!isObj(v))
        return reject(bad('the body must be a JSON object'));
      return resolve(v);
    });
    req.on('error', reject);
  });
}

function send(res, status, body) {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, { 'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

const server = http.createServer(async (req, res) => {
  res.on('error', () => {});
  try {
    const path = new URL(req.url, 'http://wallet').pathname;
    let route = null, m = null;
    for (const r of ROUTES)
      if (r[0] === req.method && (m = r[1].exec(path))) { route = r; break; }
    const body = await readJson(req);
    if (!route)
      throw new HttpError(404, `no route ${req.method} ${path}`);
    try {
      m = m.map((s) => decodeURIComponent(s));
    } catch {
      throw bad('the path is not valid percent-encoding');
    }
    send(res, 200, await route[2](m, body));
  } catch (e) {
    if (!(e instanceof HttpError)) {
      consoleError('wallet fake: bug:', e);
      e = new HttpError(500, `the fake itself failed: ${e.message}`);
    }
    send(res, e.status, { error: e.message, ...e.extra });
  }
});

// A test that blocks its event loop (spawnSync of a worker) cannot expire
// its idle keep-alive sockets: if this server closed them meanwhile, the
// test's next request could land on a dead socket. Keep them open.
server.keepAliveTimeout = 0
server.listen(PORT, '127.0.0.1', () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
function stop() {
  for (const w of wallets.values())
    w.close();
  server.close();
  process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
