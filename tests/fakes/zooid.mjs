/*
 * zooid.mjs: a faithful fake of zooid's management API for Caravel's tests
 * (spec/testing.md: a fake that accepts anything proves nothing). It
 * follows research/zooid-api.md; the section of each behaviour:
 *
 *  §1.1  Host routing: only requests whose Host header equals api_host
 *        (default 127.0.0.1:<port>) reach the API; any other Host gets
 *        404 "404 page not found" in plain text. Every API answer is
 *        JSON with a trailing newline, HTML characters escaped as Go does.
 *  §2.6  Routing as Go 1.22's ServeMux (eras B2-E), before auth:
 *        POST|PUT|PATCH|DELETE /relay/{id} and GET (and HEAD)
 *        /relay/{id}/members; an unknown path (also /relay/) is a plain
 *        404, a wrong method a plain 405 with an Allow header.
 *  §1.2  NIP-98, in zooid's order and with its messages (401): header
 *        present; "Nostr <payload>" (scheme case-insensitive); standard
 *        padded base64 (Go's offsets in the error); event JSON (pubkey 64
 *        hex on the curve, sig 128 hex); kind 27235; signature, verified
 *        with nostr-tools' verifyEvent (strict_id: the id must match too,
 *        which zooid does not check; off, it is recomputed); a "u" tag
 *        equal to scheme://Host/path with no query (https only with
 *        X-Forwarded-Proto: https); a "method" tag equal once upper-cased;
 *        optional created_at window (era E). Then the whitelist (403).
 *  §2.1-2.5, §5.3  POST, PUT, PATCH (JSON merge patch: null deletes,
 *        objects merge, the rest replaces), DELETE, GET members, with the
 *        checks in zooid's order and its exact messages; duplicate schema
 *        then host against the other relays in id order (409).
 *  §2 (keys)  Bodies decode like Go's encoding/json into zooid's Config
 *        (zooid-config.mjs): keys match case-insensitively, unknown keys
 *        are dropped (and logged), a wrong type is 400 "invalid json
 *        config: json: cannot unmarshal ...", null leaves the zero value;
 *        1 MiB at most.
 *  §3.3  Validation in order (zooid-config.mjs): adapter defaults to
 *        local; host; schema; schema regex; secret (SecretKeyFromHex:
 *        left-padded, all-zero refused, echoed in the message as zooid
 *        does); info.pubkey; S3 fields (bucket, region, access_key,
 *        secret_key) or "invalid blossom adapter".
 *  §2.5, §5.2  Members: on every store, the relay's own pubkey, info.pubkey
 *        and all roles.*.pubkeys (not role "member") are added, never
 *        removed; the list answers sorted and unique.
 *  §4.4  Era switches: legacy_missing_status 409 (PUT/PATCH/DELETE of a
 *        missing id), legacy_patch_requires_secret (the stored secret is
 *        blanked before the merge), members_missing_status 500 (with the
 *        "no such file or directory" text). era "C" sets all three, "D"
 *        none, "E" is D plus a 60 s created_at window.
 *
 * Configuration (environment): ZOOID_FAKE_PORT (0: any free port),
 * ZOOID_FAKE_API_HOST, ZOOID_FAKE_WHITELIST (comma-separated hex; entries
 * trimmed, blanks dropped, compared verbatim), ZOOID_FAKE_ERA (C, D, E),
 * ZOOID_FAKE_LOG (a file that gets one JSON line per request: time,
 * method, path, query, host, status, auth outcome and message, signer
 * pubkey, created_at, whether the payload tag matched the body, the
 * body's leaf keys, the keys zooid would drop, the body with every
 * secret value replaced by "[redacted]", and any fault applied; never a
 * secret value). Prints "listening <port>" on stdout once ready.
 * FAKE_FAIL_RATE (0 to 1, default 0: off) fails that share of the
 * authenticated requests no scripted fault took, before they act: half
 * 500 with zooid's JSON error, half 503 in plain text (what a proxy in
 * front of zooid answers while it restarts), logged with "fault":
 * "random 500" or "random 503". Which requests fail comes from a
 * generator seeded with FAKE_FAIL_SEED (default 1): the same requests in
 * the same order fail the same way.
 *
 * Control: paths under /__ do not exist in zooid; they answer on any Host
 * and need no auth (the fake listens on 127.0.0.1 only).
 *   GET  /__state    {relays: id -> stored config (with its secret, as
 *                    zooid's TOML file has it), members: id -> sorted
 *                    list, deleted: ids, options}
 *   GET  /__log      the request log as a JSON array
 *   POST /__control  a JSON object of:
 *     reset: true             forget relays, members, faults, the log and
 *                             options given by control
 *     era, api_host, whitelist (array or comma string),
 *     trust_forwarded_proto, nip98_max_skew_s, legacy_missing_status,
 *     legacy_patch_requires_secret, members_missing_status,
 *     schema_regex ("lower" era C+, "mixed" era B, "none" era A),
 *     require_info_pubkey, strict_id      the options above
 *     fail_next: status       answer the next authenticated request(s)
 *       fail_count, fail_error, fail_method   with {"error": fail_error}
 *     delay_ms, delay_count   hold the next authenticated request(s)
 *     reply_next: {status, body, content_type}, reply_count
 *                             answer raw bytes instead of the handler
 *     drop_after_write: "close" | "hang" (true: close), drop_count
 *                             store the next successful POST/PUT/PATCH,
 *                             then close the connection or never answer
 *     members_add / members_remove: {id: [pubkey, ...]}
 *     seed_relays: {id: config}   store without auth or validation
 *     forget_relays: [id, ...]    drop without a trace (zooid lost them)
 */
import http from 'node:http';
import fs from 'node:fs';
import crypto from 'node:crypto';

const NM = new URL('../js/node_modules/', import.meta.url);
let pure, zc;
try {
  pure = await import(new URL('nostr-tools/lib/esm/pure.js', NM));
  zc = await import('./zooid-config.mjs');
} catch (e) {
  console.error('zooid fake: nostr-tools is not installed ' +
    `(npm ci --prefix tests/js): ${e.message}`);
  process.exit(3);
}

const PORT = Number(process.env.ZOOID_FAKE_PORT || 0);
/* FAKE_FAIL_RATE and FAKE_FAIL_SEED: see the top of this file. */
const FAIL_RATE = process.env.FAKE_FAIL_RATE || '0';
const FAIL_SEED = process.env.FAKE_FAIL_SEED || '1';
if (!/^(0|1|0?\.\d+|1\.0*)$/.test(FAIL_RATE) || !/^\d+$/.test(FAIL_SEED)) {
  console.error('zooid fake: FAKE_FAIL_RATE must be a number from 0 to 1 ' +
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
const LOG = process.env.ZOOID_FAKE_LOG || '';
const MAX_BODY = 1 << 20;
const NIP98_KIND = 27235;
const { HEX64, isObj, jsonType, DecodeError, decodeConfig: decode,
  sortKeys, mergePatch, pointOk, validate: check } = zc;
const decodeConfig = (v, unknown) => decode(v, opts.era, unknown);
const validate = (cfg) => check(cfg, opts);

function whitelistOf(v) {
  const list = Array.isArray(v) ? v : String(v ?? '').split(',');
  return new Set(list.map((s) => String(s).trim()).filter((s) => s !== ''));
}

const ERAS = {
  C: { legacy_missing_status: 409, legacy_patch_requires_secret: true,
    members_missing_status: 500, nip98_max_skew_s: 0 },
  D: { legacy_missing_status: 404, legacy_patch_requires_secret: false,
    members_missing_status: 404, nip98_max_skew_s: 0 },
  E: { legacy_missing_status: 404, legacy_patch_requires_secret: false,
    members_missing_status: 404, nip98_max_skew_s: 60 },
};

function baseOptions() {
  const o = {
    era: 'D', api_host: process.env.ZOOID_FAKE_API_HOST || null,
    whitelist: whitelistOf(process.env.ZOOID_FAKE_WHITELIST),
    trust_forwarded_proto: true, schema_regex: 'lower',
    require_info_pubkey: true, strict_id: true, ...ERAS.D,
  };
  return setOptions(o, { era: process.env.ZOOID_FAKE_ERA || 'D' });
}

function setOptions(o, c) {
  if (c.era !== undefined) {
    if (!ERAS[c.era])
      throw new Error(`unknown era ${c.era}`);
    Object.assign(o, ERAS[c.era], { era: c.era });
  }
  for (const k of ['api_host', 'trust_forwarded_proto', 'nip98_max_skew_s',
    'legacy_missing_status', 'legacy_patch_requires_secret',
    'members_missing_status', 'schema_regex', 'require_info_pubkey',
    'strict_id'])
    if (c[k] !== undefined)
      o[k] = c[k];
  if (c.whitelist !== undefined)
    o.whitelist = whitelistOf(c.whitelist);
  return o;
}

let opts = baseOptions();
let relays = new Map(); // id -> normalised config (a JSON object)
let members = new Map(); // id -> Set of hex pubkeys
let deleted = new Set();
let faults = { fail: [], delay: [], reply: [], drop: [] };
let log = [];
let port = 0;

const now = () => Math.floor(Date.now() / 1000);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const apiHost = () => opts.api_host || `127.0.0.1:${port}`;

class Reply {
  constructor(status, body, headers = {}) {
    this.status = status;
    this.body = body;
    this.headers = headers;
  }
}
const jsonError = (status, error) => new Reply(status, { error });
const plain = (status, text, headers = {}) => new Reply(status, text,
  { 'Content-Type': 'text/plain; charset=utf-8',
    'X-Content-Type-Options': 'nosniff', ...headers });

/* 409 for the first other relay (in id order) with this schema or host. */
function duplicate(cfg, self) {
  for (const id of [...relays.keys()].sort()) {
    if (id === self)
      continue;
    const r = relays.get(id);
    if (r.schema === cfg.schema)
      return jsonError(409, `schema "${cfg.schema}" is already in use`);
    if (r.host === cfg.host)
      return jsonError(409, `host "${cfg.host}" is already in use`);
  }
  return null;
}

/* What zooid adds to the member list when it loads a relay (§2.1). */
function seedMembers(id, cfg) {
  const set = members.get(id) ?? new Set();
  try {
    set.add(pure.getPublicKey(Buffer.from(cfg.secret, 'hex')));
  } catch { /* an unusable key adds nobody */ }
  if (HEX64.test(cfg.info.pubkey))
    set.add(cfg.info.pubkey.toLowerCase());
  for (const [name, role] of Object.entries(cfg.roles))
    if (name !== 'member')
      for (const pk of role.pubkeys)
        if (HEX64.test(pk))
          set.add(pk.toLowerCase());
  members.set(id, set);
}

function store(id, cfg) {
  relays.set(id, cfg);
  deleted.delete(id);
  seedMembers(id, cfg);
}

/* --- the routes (§2.1-2.5) --- */

function parseBody(raw) {
  if (raw.length > MAX_BODY)
    throw new DecodeError('http: request body too large');
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch (e) {
    throw new DecodeError(e.message);
  }
}

function missing() {
  return jsonError(opts.legacy_missing_status, 'relay not found');
}

function fullConfig(id, raw, entry, full) {
  let cfg;
  try {
    cfg = decodeConfig(parseBody(raw), entry.unknown_keys);
  } catch (e) {
    if (e instanceof DecodeError)
      return jsonError(400, `invalid json config: ${e.message}`);
    throw e;
  }
  const bad = validate(cfg);
  if (bad !== null)
    return jsonError(400, bad);
  return duplicate(cfg, full ? id : null) ?? cfg;
}

function relayPost(id, raw, entry) {
  if (relays.has(id))
    return jsonError(409, 'relay with this id already exists');
  const cfg = fullConfig(id, raw, entry, false);
  if (cfg instanceof Reply)
    return cfg;
  store(id, cfg);
  return wrote(new Reply(201, { message: 'relay created successfully' }));
}

function relayPut(id, raw, entry) {
  if (!relays.has(id))
    return missing();
  const cfg = fullConfig(id, raw, entry, true);
  if (cfg instanceof Reply)
    return cfg;
  store(id, cfg);
  return wrote(new Reply(200, { message: 'relay updated successfully' }));
}

function relayPatch(id, raw, entry) {
  if (!relays.has(id))
    return missing();
  let patch, cfg;
  try {
    patch = parseBody(raw);
    if (!isObj(patch))
      throw new DecodeError(`json: cannot unmarshal ${jsonType(patch)} ` +
        'into Go value of type map[string]interface {}');
    decodeConfig(patch, entry.unknown_keys);
  } catch (e) {
    if (e instanceof DecodeError)
      return jsonError(400, `invalid json config: ${e.message}`);
    throw e;
  }
  const base = structuredClone(relays.get(id));
  if (opts.legacy_patch_requires_secret)
    base.secret = ''; /* the era C loader blanked it (§4.4(2)) */
  try {
    cfg = decodeConfig(sortKeys(mergePatch(base, patch)));
  } catch (e) {
    if (e instanceof DecodeError)
      return jsonError(400, `invalid json config: ${e.message}`);
    throw e;
  }
  const bad = validate(cfg);
  if (bad !== null)
    return jsonError(400, bad);
  const dup = duplicate(cfg, id);
  if (dup)
    return dup;
  store(id, cfg);
  return wrote(new Reply(200, { message: 'relay patched successfully' }));
}

function relayDelete(id) {
  if (!relays.has(id))
    return missing();
  relays.delete(id);
  members.delete(id);
  deleted.add(id);
  return new Reply(200, { message: 'relay deleted successfully' });
}

function relayMembers(id) {
  if (!relays.has(id)) {
    if (opts.members_missing_status === 500)
      return jsonError(500, 'failed to load relay members: Failed to ' +
        `parse config file config/${id}.toml: open config/${id}.toml: ` +
        'no such file or directory');
    return jsonError(404, 'relay not found');
  }
  return new Reply(200, { members: [...(members.get(id) ?? [])].sort() });
}

/* A successful write may be dropped on the floor afterwards (a crash). */
function wrote(reply) {
  if (faults.drop.length > 0)
    reply.drop = faults.drop.shift();
  return reply;
}

const ROUTES = [
  { re: /^\/relay\/([^/]+)$/, allow: 'DELETE, PATCH, POST, PUT',
    run: { POST: relayPost, PUT: relayPut, PATCH: relayPatch,
      DELETE: relayDelete } },
  { re: /^\/relay\/([^/]+)\/members$/, allow: 'GET, HEAD',
    run: { GET: relayMembers, HEAD: relayMembers } },
];

/* --- NIP-98 (§1.2) --- */

/* Go's base64.StdEncoding.DecodeString; throws the offset Go reports. */
function goBase64(s) {
  const A = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  const nl = (c) => c === '\n' || c === '\r';
  const out = [];
  let si = 0;
  for (;;) {
    const q = [];
    let dlen = 4;
    for (let j = 0; j < 4; j++) {
      if (si === s.length) {
        if (j === 0)
          return Buffer.from(out);
        throw si - j;
      }
      const c = s[si++];
      if (nl(c)) {
        j--;
        continue;
      }
      const v = A.indexOf(c);
      if (v >= 0) {
        q.push(v);
        continue;
      }
      if (c !== '=' || j < 2)
        throw si - 1;
      if (j === 2) {
        while (si < s.length && nl(s[si])) si++;
        if (si === s.length)
          throw s.length;
        if (s[si] !== '=')
          throw si - 1;
        si++;
      }
      while (si < s.length && nl(s[si])) si++;
      if (si < s.length)
        throw si;
      dlen = j;
      break;
    }
    const n = (q[0] << 18) | (q[1] << 12) | ((q[2] ?? 0) << 6) | (q[3] ?? 0);
    out.push((n >> 16) & 255);
    if (dlen > 2) out.push((n >> 8) & 255);
    if (dlen > 3) out.push(n & 255);
    if (dlen < 4)
      return Buffer.from(out);
  }
}

class AuthError extends Error {}

/* The parsed event, or AuthError with zooid's step message. */
function parseEvent(text) {
  let e;
  try {
    e = JSON.parse(text);
  } catch (err) {
    throw new AuthError(`invalid event json: ${err.message}`);
  }
  const bad = (why) => new AuthError(`invalid event json: ${why}`);
  if (!isObj(e))
    throw bad('an event is a JSON object');
  if (e.id !== undefined && (typeof e.id !== 'string' || !HEX64.test(e.id)))
    throw bad('id should be 64-char hex');
  if (typeof e.pubkey !== 'string' || !HEX64.test(e.pubkey) ||
      !pointOk(e.pubkey))
    throw bad('pubkey should be 64-char hex and a valid public key');
  if (typeof e.sig !== 'string' || !/^[0-9a-fA-F]{128}$/.test(e.sig))
    throw bad('sig should be 128-char hex');
  for (const k of ['created_at', 'kind'])
    if (e[k] !== undefined && !Number.isSafeInteger(e[k]))
      throw bad(`${k} should be an integer`);
  if (e.tags !== undefined && e.tags !== null && (!Array.isArray(e.tags) ||
      !e.tags.every((t) => Array.isArray(t) &&
        t.every((x) => typeof x === 'string'))))
    throw bad('tags should be arrays of strings');
  if (e.content !== undefined && typeof e.content !== 'string')
    throw bad('content should be a string');
  return {
    id: (e.id ?? '').toLowerCase(), pubkey: e.pubkey.toLowerCase(),
    created_at: e.created_at ?? 0, kind: e.kind ?? 0, tags: e.tags ?? [],
    content: e.content ?? '', sig: e.sig.toLowerCase(),
  };
}

function nip98(req, path, entry) {
  const h = req.headers.authorization;
  if (h === undefined || h === '')
    throw new AuthError('missing authorization header');
  const sp = h.indexOf(' ');
  if (sp < 0 || h.slice(0, sp).toLowerCase() !== 'nostr')
    throw new AuthError('invalid authorization header format');
  let raw;
  try {
    raw = goBase64(h.slice(sp + 1));
  } catch (n) {
    throw new AuthError('invalid base64 encoding: illegal base64 data at ' +
      `input byte ${n}`);
  }
  const ev = parseEvent(raw.toString('utf8'));
  entry.pubkey = ev.pubkey;
  entry.created_at = ev.created_at;
  if (ev.kind !== NIP98_KIND)
    throw new AuthError(`invalid event kind: expected ${NIP98_KIND}, ` +
      `got ${ev.kind}`);
  if (!opts.strict_id)
    ev.id = pure.getEventHash(ev);
  if (!pure.verifyEvent(ev))
    throw new AuthError('invalid event signature');
  const proto = opts.trust_forwarded_proto &&
    req.headers['x-forwarded-proto'] === 'https' ? 'https' : 'http';
  const want = `${proto}://${req.headers.host}${path}`;
  if (!ev.tags.some((t) => t[0] === 'u' && t[1] === want))
    throw new AuthError('event missing or invalid u tag');
  if (!ev.tags.some((t) => t[0] === 'method' &&
      typeof t[1] === 'string' && t[1].toUpperCase() === req.method))
    throw new AuthError('event missing or invalid method tag');
  if (opts.nip98_max_skew_s > 0 &&
      Math.abs(ev.created_at - now()) > opts.nip98_max_skew_s)
    throw new AuthError('event created_at is too far from the current time');
  const p = ev.tags.find((t) => t[0] === 'payload');
  entry.payload = p === undefined ? 'absent' : 'present';
  return ev;
}

/* --- the request log (never a secret value) --- */

const SECRET_KEYS = new Set(['secret', 'secret_key', 'api_secret']);

function redact(v) {
  if (Array.isArray(v))
    return v.map(redact);
  if (!isObj(v))
    return v;
  const o = {};
  for (const [k, x] of Object.entries(v))
    o[k] = SECRET_KEYS.has(k.toLowerCase()) && x !== null ? '[redacted]' :
      redact(x);
  return o;
}

function leafKeys(v, prefix = '', out = []) {
  for (const [k, x] of Object.entries(v)) {
    const p = prefix === '' ? k : `${prefix}.${k}`;
    if (isObj(x))
      leafKeys(x, p, out);
    else
      out.push(p);
  }
  return out.sort();
}

function record(entry) {
  log.push(entry);
  if (LOG)
    fs.appendFileSync(LOG, `${JSON.stringify(entry)}\n`);
}

/* --- HTTP --- */

/* Keep max + 1 bytes at most: enough to know it was too big. */
function readBody(req, max = MAX_BODY) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let n = 0;
    req.on('data', (c) => {
      if (n <= max)
        chunks.push(c.subarray(0, max + 1 - n));
      n += c.length;
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/* Go's json.Encoder: HTML characters escaped, a newline after the value. */
function goJson(v) {
  return `${JSON.stringify(v).replace(/[<>&]/g,
    (c) => `\\u00${c.charCodeAt(0).toString(16)}`)}\n`;
}

function send(res, reply) {
  let text = reply.body;
  const headers = { ...reply.headers };
  if (typeof text !== 'string') {
    text = goJson(text);
    headers['Content-Type'] ??= 'application/json';
  }
  headers['Content-Length'] = Buffer.byteLength(text);
  res.writeHead(reply.status, headers);
  res.end(text);
}

function takeFault(list, method) {
  const i = list.findIndex((f) => !f.method || f.method === method);
  return i < 0 ? null : list.splice(i, 1)[0];
}

async function api(req, url, raw, entry) {
  if (req.headers.host !== apiHost())
    return plain(404, '404 page not found\n');
  let path;
  try {
    path = decodeURIComponent(url.pathname);
  } catch {
    return plain(400, '400 Bad Request');
  }
  let route = null, m = null;
  for (const r of ROUTES)
    if ((m = r.re.exec(url.pathname))) { route = r; break; }
  if (!route)
    return plain(404, '404 page not found\n');
  const run = route.run[req.method];
  if (!run)
    return plain(405, 'Method Not Allowed\n', { Allow: route.allow });
  const id = decodeURIComponent(m[1]);
  try {
    const ev = nip98(req, path, entry);
    if (!opts.whitelist.has(ev.pubkey)) {
      entry.auth = 'forbidden';
      return jsonError(403, 'pubkey not in whitelist');
    }
  } catch (e) {
    if (!(e instanceof AuthError))
      throw e;
    entry.auth = 'invalid';
    entry.auth_error = e.message;
    return jsonError(401, e.message);
  }
  entry.auth = 'ok';
  const d = takeFault(faults.delay, req.method);
  if (d) {
    entry.fault = `delay ${d.ms}`;
    await sleep(d.ms);
  }
  const r = takeFault(faults.reply, req.method);
  if (r) {
    entry.fault = `reply ${r.status}`;
    return new Reply(r.status, String(r.body ?? ''),
      { 'Content-Type': r.content_type ?? 'application/json' });
  }
  const f = takeFault(faults.fail, req.method);
  if (f) {
    entry.fault = `fail ${f.status}`;
    return jsonError(f.status, f.error);
  }
  if (Number(FAIL_RATE) > 0 && failDraw() < Number(FAIL_RATE)) {
    const st = failDraw() < 0.5 ? 500 : 503;
    entry.fault = `random ${st}`;
    return st === 500 ? jsonError(500, 'internal error (FAKE_FAIL_RATE)') :
      plain(503, 'Service Unavailable\n');
  }
  return run(id, raw, entry);
}

function controlApply(c) {
  if (c.reset) {
    opts = baseOptions();
    relays = new Map(); members = new Map(); deleted = new Set();
    faults = { fail: [], delay: [], reply: [], drop: [] };
    log = [];
    if (LOG)
      fs.writeFileSync(LOG, '');
  }
  setOptions(opts, c);
  const n = (k) => Number(c[k] ?? 1);
  for (let i = 0; c.fail_next && i < n('fail_count'); i++)
    faults.fail.push({ status: Number(c.fail_next), method: c.fail_method,
      error: c.fail_error ?? (c.fail_next >= 500 ?
        'failed to write config: disk full' : 'injected by the test') });
  for (let i = 0; c.delay_ms && i < n('delay_count'); i++)
    faults.delay.push({ ms: Number(c.delay_ms), method: c.delay_method });
  for (let i = 0; c.reply_next && i < n('reply_count'); i++)
    faults.reply.push({ ...c.reply_next, method: c.reply_method });
  for (let i = 0; c.drop_after_write && i < n('drop_count'); i++)
    faults.drop.push(c.drop_after_write === 'hang' ? 'hang' : 'close');
  for (const [id, cfg] of Object.entries(c.seed_relays ?? {})) {
    const v = decodeConfig(cfg);
    if (v.blossom.adapter === '')
      v.blossom.adapter = 'local';
    store(id, v);
  }
  for (const id of c.forget_relays ?? []) {
    relays.delete(id);
    members.delete(id);
  }
  for (const [id, pks] of Object.entries(c.members_add ?? {})) {
    const set = members.get(id) ?? new Set();
    pks.forEach((pk) => set.add(pk));
    members.set(id, set);
  }
  for (const [id, pks] of Object.entries(c.members_remove ?? {}))
    pks.forEach((pk) => members.get(id)?.delete(pk));
}

function state() {
  const o = { relays: {}, members: {}, deleted: [...deleted].sort(),
    options: { ...opts, whitelist: [...opts.whitelist], api_host: apiHost() } };
  for (const [id, cfg] of relays)
    o.relays[id] = cfg;
  for (const [id, set] of members)
    o.members[id] = [...set].sort();
  return o;
}

async function control(req, res, url) {
  if (url.pathname === '/__state' && req.method === 'GET')
    return send(res, new Reply(200, state()));
  if (url.pathname === '/__log' && req.method === 'GET')
    return send(res, new Reply(200, log));
  if (url.pathname !== '/__control' || req.method !== 'POST')
    return send(res, plain(404, 'no such control route\n'));
  try {
    const c = JSON.parse((await readBody(req, 64 * MAX_BODY)).toString('utf8'));
    if (!isObj(c))
      throw new Error('control body must be a JSON object');
    controlApply(c);
  } catch (e) {
    return send(res, new Reply(400, { error: e.message }));
  }
  return send(res, new Reply(200, { ok: true }));
}

const hanging = new Set();

const server = http.createServer(async (req, res) => {
  res.on('error', () => {});
  const url = new URL(req.url, 'http://fake');
  if (url.pathname.startsWith('/__'))
    return control(req, res, url);
  const raw = await readBody(req);
  const entry = {
    time: now(), method: req.method, path: url.pathname, query: url.search,
    host: req.headers.host ?? null, status: 0, auth: 'skipped',
    auth_error: null, pubkey: null, created_at: null, payload: null,
    body_keys: null, unknown_keys: [], body: null, fault: null,
    dropped: null,
  };
  try {
    const b = JSON.parse(raw.toString('utf8'));
    if (isObj(b)) {
      entry.body_keys = leafKeys(b);
      entry.body = redact(b);
    }
  } catch { /* not JSON: logged as no keys */ }
  let reply;
  try {
    reply = await api(req, url, raw, entry);
  } catch (e) {
    console.error('zooid fake: bug:', e);
    reply = jsonError(500, `the fake itself failed: ${e.message}`);
  }
  if (entry.payload === 'present') {
    const p = JSON.parse(Buffer.from(req.headers.authorization.slice(6),
      'base64').toString('utf8')).tags.find((t) => t[0] === 'payload');
    const h = crypto.createHash('sha256').update(raw).digest('hex');
    entry.payload = p[1] === h ? 'ok' : 'mismatch';
  }
  entry.status = reply.status;
  entry.dropped = reply.drop ?? null;
  record(entry);
  if (reply.drop === 'close')
    return req.socket.destroy();
  if (reply.drop === 'hang') {
    hanging.add(res);
    return undefined;
  }
  if (!res.destroyed)
    send(res, reply);
  return undefined;
});

// A test that blocks its event loop (spawnSync of a worker) cannot expire
// its idle keep-alive sockets: if this server closed them meanwhile, the
// test's next request could land on a dead socket. Keep them open.
server.keepAliveTimeout = 0
server.listen(PORT, '127.0.0.1', () => {
  port = server.address().port;
  process.stdout.write(`listening ${port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
