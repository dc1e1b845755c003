// API tests through the real nginx and caravel-api (spec/testing.md layer
// 3), with NIP-98 headers made by nostr-tools. Run by
// tests/e2e/t0400-api.sh, which starts the fake Stripe, the API and nginx
// on a fresh database and passes their whereabouts in CARAVEL_* and
// STRIPE_FAKE_* variables.
import { test, before } from 'node:test'
import assert from 'node:assert/strict'
import http from 'node:http'
import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync, unlinkSync } from 'node:fs'
import { randomBytes } from 'node:crypto'

import { generateSecretKey, getPublicKey, finalizeEvent } from 'nostr-tools/pure'
import * as nip44 from 'nostr-tools/nip44'
import * as nip98 from 'nostr-tools/nip98'

function need (name) {
  const v = process.env[name]
  assert.ok(v, `${name} must be set (tests/e2e/t0400-api.sh sets it)`)
  return v
}

const BASE = need('CARAVEL_BASE')
const DB = need('CARAVEL_DB')
const API_BIN = need('CARAVEL_API_BIN')
const ADMIN_SK = need('CARAVEL_ADMIN_SK')
const ENC_SECRET = need('CARAVEL_ENCRYPTION_SECRET')
const ORIGINS = need('CARAVEL_ALLOW_ORIGINS').split(',')
const RELAY_DOMAIN = need('CARAVEL_RELAY_DOMAIN')
const RESERVED = need('CARAVEL_RESERVED').split(',')
const PRICE_BASIC = need('CARAVEL_PRICE_BASIC')
const PRICE_GROWTH = need('CARAVEL_PRICE_GROWTH')
const STRIPE_LOG = need('STRIPE_FAKE_LOG')
const STRIPE_CONTROL = need('STRIPE_FAKE_CONTROL')
const STRIPE_KEY = need('STRIPE_FAKE_KEY')
// While this file exists the API's disk is full (src/db_fault.c).
const DISK_FULL = need('CARAVEL_DISK_FULL_FLAG')
const { hostname: HOSTNAME, port: PORT } = new URL(BASE)

const JSON_CT = 'application/json; charset=utf-8'
const AUTH_MAX_AGE = 3600 // the default; t0400 does not set it
const TENANT_KEYS = ['created_at', 'nwc_error', 'nwc_is_set', 'past_due_at',
  'pubkey', 'stripe_customer_id', 'stripe_subscription_id',
  // What Flotilla reads (migration 0004).
  'stripe_payment_method_id', 'stripe_error', 'churned_at'].sort()
const FLAGS = ['policy_public_join', 'policy_strip_signatures',
  'groups_enabled', 'management_enabled', 'blossom_enabled',
  'livekit_enabled', 'push_enabled',
  // The flags Flotilla edits (migration 0004).
  'policy_public_read', 'policy_public_write', 'members_can_invite']
const RELAY_KEYS = ['created_at', 'host', 'id', 'info_description',
  'info_icon', 'info_name', 'plan', 'schema', 'status', 'subdomain',
  'sync_error', 'synced', 'tenant', ...FLAGS,
  // Flotilla's names for tenant, plan and the relay domain.
  'tenant_pubkey', 'plan_id', 'zooid_domain',
  // Until zooid can serve a relay under a second host: "" and 0.
  'custom_domain', 'custom_domain_verified'].sort()
const ACTIVITY_KEYS = ['activity_type', 'created_at', 'id', 'resource_id',
  'resource_type', 'tenant']

const now = () => Math.floor(Date.now() / 1000)
const rhex = (n) => randomBytes(n).toString('hex')
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const b64 = (s) => Buffer.from(s).toString('base64')
// A fresh subdomain: unique per run and per call.
let subSeq = 0
const sub = (prefix) => `${prefix}-${rhex(3)}${subSeq++}`

// --- identities and NIP-98 headers ---

function identity (sk = generateSecretKey()) {
  return { sk, pk: getPublicKey(sk), token: null }
}

// The signed event of a NIP-98 token, for the tests that bend one.
function event (sk, { kind = 27235, created_at = now(), content = '',
  tags = [['u', BASE], ['method', 'GET']] } = {}) {
  return finalizeEvent({ kind, created_at, tags, content }, sk)
}

const header = (ev, pad = true) => {
  const t = b64(JSON.stringify(ev))
  return `Nostr ${pad ? t : t.replace(/=+$/, '')}`
}

// The session-style token of one identity, made once by nostr-tools and
// reused for every request, as the frontend does (api.md §3).
async function authOf (who) {
  if (who.token === null) {
    who.token = await nip98.getToken(BASE, 'GET',
      (e) => finalizeEvent(e, who.sk), true)
  }
  return who.token
}

// --- HTTP ---

// One request to nginx, the path sent as written (no normalisation).
function send (method, path, headers = {}, body) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: HOSTNAME, port: PORT, method, path,
      headers, agent: false }, (res) => {
      const chunks = []
      res.on('data', (c) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode,
        headers: res.headers, raw: Buffer.concat(chunks) }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.setTimeout(20000, () => req.destroy(new Error(`${method} ${path}: timeout`)))
    req.end(body)
  })
}

const show = (r) => `${r.method} ${r.path} -> ${r.status} ${r.text.slice(0, 400)}`

// Every answer is the api.md §1 envelope, as JSON with the exact type;
// the one exception is what a Prometheus scraper reads from GET /metrics.
function checkEnvelope (r) {
  if (r.status === 204) {
    assert.equal(r.raw.length, 0, `${show(r)}: a 204 has no body`)
    return
  }
  if (r.method === 'GET' && r.path === '/metrics' && r.status === 200) {
    assert.equal(r.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8', show(r))
    assert.match(r.text, /^# HELP caravel_/, show(r))
    return
  }
  assert.equal(r.headers['content-type'], JSON_CT, `${show(r)}: Content-Type`)
  let o
  try {
    o = JSON.parse(r.text)
  } catch {
    assert.fail(`${show(r)}: the body is not JSON`)
  }
  assert.ok(o !== null && typeof o === 'object' && !Array.isArray(o),
    `${show(r)}: the body is not an object`)
  if (r.status >= 200 && r.status < 300) {
    assert.deepEqual(Object.keys(o).sort(), ['code', 'data'], show(r))
    assert.equal(o.code, 'ok', show(r))
  } else {
    assert.ok(Object.keys(o).every((k) => ['error', 'code', 'field'].includes(k)),
      `${show(r)}: only error, code and field`)
    assert.ok(typeof o.error === 'string' && o.error.length > 0, `${show(r)}: error sentence`)
    assert.ok(typeof o.code === 'string' && /^[a-z-]+$/.test(o.code), `${show(r)}: code slug`)
    if ('field' in o) assert.equal(typeof o.field, 'string', show(r))
  }
  r.json = o
}

// call(method, path, {as, auth, body, headers}): as is an identity (its
// token is sent), or auth a literal Authorization value; a body that is
// not a string or Buffer is sent as JSON.
async function call (method, path, { as = null, auth = null, body, headers = {} } = {}) {
  const h = { ...headers }
  if (as !== null) h.authorization = await authOf(as)
  else if (auth !== null) h.authorization = auth
  let payload
  if (body !== undefined) {
    payload = typeof body === 'string' || Buffer.isBuffer(body)
      ? Buffer.from(body) : Buffer.from(JSON.stringify(body))
    if (!Object.keys(h).some((k) => k.toLowerCase() === 'content-type')) {
      h['content-type'] = 'application/json'
    }
    h['content-length'] = String(payload.length)
  }
  const r = await send(method, path, h, payload)
  r.method = method
  r.path = path
  r.text = r.raw.toString('utf8')
  checkEnvelope(r)
  return r
}

function expectOk (r, status = 200) {
  assert.equal(r.status, status, show(r))
  return r.json.data
}

function expectError (r, status, code, { field, match } = {}) {
  assert.equal(r.status, status, show(r))
  assert.equal(r.json.code, code, show(r))
  if (field !== undefined) assert.equal(r.json.field, field, `${show(r)}: field`)
  if (match !== undefined) assert.match(r.json.error, match, show(r))
  return r.json.error
}

// --- the database, through the sqlite3 shell ---

function sqlite (args) {
  return execFileSync('sqlite3', ['-batch', '-cmd', '.timeout 5000', ...args],
    { encoding: 'utf8', maxBuffer: 256 << 20 })
}
const sql = (q) => sqlite([DB, q]).trim()
function rows (q) {
  const out = sqlite(['-json', DB, q]).trim()
  return out === '' ? [] : JSON.parse(out)
}
const count = (q) => Number(sql(q))
// The whole database as SQL text; it reads through the WAL, so it is what
// any reader sees, and it changes with any committed write.
const dump = () => sqlite([DB, '.dump'])

function sameDump (beforeText, what) {
  const afterText = dump()
  if (afterText !== beforeText) {
    const a = beforeText.split('\n')
    const b = afterText.split('\n')
    const diff = b.filter((l) => !a.includes(l)).concat(
      a.filter((l) => !b.includes(l)).map((l) => `(gone) ${l}`))
    assert.fail(`${what}: the database changed:\n${diff.slice(0, 10).join('\n')}`)
  }
  return afterText
}

const q = (s) => `'${String(s).replace(/'/g, "''")}'`

// --- the fake Stripe ---

function stripeLog () {
  return readFileSync(STRIPE_LOG, 'utf8').split('\n').filter((l) => l !== '')
    .map((l) => JSON.parse(l))
}

async function stripeControl (o) {
  const r = await fetch(STRIPE_CONTROL, { method: 'POST', body: JSON.stringify(o) })
  assert.equal(r.status, 200, 'the fake Stripe took the control request')
}

// Every request about pk's customer: the metadata search, then the create.
const customerLookups = (pk) => stripeLog().filter((e) =>
  e.path === '/v1/customers/search' && (e.params?.query ?? '').includes(pk))
const customerCalls = (pk) => stripeLog().filter((e) => e.method === 'POST' &&
  e.path === '/v1/customers' && e.params?.metadata?.tenant_pubkey === pk)

// --- fixtures ---

const ADMIN = identity(Buffer.from(ADMIN_SK, 'hex'))
const A = identity() // a tenant with relays
const B = identity() // another tenant
const C = identity() // a valid signer who never became a tenant
let RA // A's relay, for the authorization matrix
let RH // A's relay, for the hostile inputs
// A's invoice, paid: the mirror normally learns it from Stripe (t0850).
const IA = `in_matrix${rhex(6)}`

async function createRelay (as, body, status = 201) {
  const r = await call('POST', '/relays', { as, body })
  return expectOk(r, status)
}

before(async () => {
  for (const who of [A, B]) {
    const t = expectOk(await call('POST', '/tenants', { as: who }))
    assert.equal(t.pubkey, who.pk)
  }
  RA = await createRelay(A, { subdomain: sub('matrix'), plan: 'basic' })
  sql(`INSERT INTO invoice (id, tenant, status, currency, amount_due,
    amount_paid, created_at, paid_at, updated_at) VALUES (${q(IA)},
    ${q(A.pk)}, 'paid', 'usd', 500, 500, ${now()}, ${now()}, ${now()})`)
  RH = await createRelay(A, { subdomain: sub('hostile'), plan: 'basic',
    info_name: 'Hostile target', blossom_enabled: 1 })
})

// --- 1. authorization matrix ---

// Who may call what: for each route of `caravel-api --list-routes`, its
// rule and the status for each caller. A route missing here fails the
// test, so a new route needs a rule and a row.
const COLUMNS = ['none', 'malformed', 'other', 'owner', 'admin']
const BY_RULE = {
  public: { none: 200, malformed: 200, other: 200, owner: 200, admin: 200 },
  signer: { none: 401, malformed: 401, other: 200, owner: 200, admin: 200 },
  admin: { none: 401, malformed: 401, other: 403, owner: 403, admin: 200 },
  tenant: { none: 401, malformed: 401, other: 403, owner: 200, admin: 200 },
  relay: { none: 401, malformed: 401, other: 403, owner: 200, admin: 200 },
  invoice: { none: 401, malformed: 401, other: 403, owner: 200, admin: 200 },
}
const MATRIX = {
  'GET /health': { rule: 'public' },
  'GET /identity': { rule: 'signer' },
  'GET /plans': { rule: 'public' },
  'GET /plans/:id': { rule: 'public', path: () => '/plans/basic' },
  'GET /metrics': { rule: 'admin' },
  'GET /relays': { rule: 'admin' },
  // The other tenant tries to create a relay for A: only admins may.
  'POST /relays': {
    rule: 'signer',
    expect: { other: 403, owner: 201, admin: 201 },
    body: (col) => col === 'owner'
      ? { subdomain: sub('mx-owner'), plan: 'free' }
      : { subdomain: sub(`mx-${col}`), plan: 'free', tenant: A.pk },
  },
  'GET /relays/:id': { rule: 'relay' },
  'PUT /relays/:id': { rule: 'relay', body: () => ({ info_name: 'matrix' }) },
  'GET /relays/:id/activity': { rule: 'relay' },
  // The matrix relay never reached zooid: [] without calling it.
  'GET /relays/:id/members': { rule: 'relay' },
  'POST /relays/:id/deactivate': { rule: 'relay' },
  'POST /relays/:id/reactivate': { rule: 'relay' },
  'GET /tenants': { rule: 'admin' },
  'POST /tenants': { rule: 'signer' },
  'GET /tenants/:pubkey': { rule: 'tenant' },
  'PUT /tenants/:pubkey': { rule: 'tenant', body: () => ({ nwc_url: '' }) },
  'GET /tenants/:pubkey/relays': { rule: 'tenant' },
  'GET /tenants/:pubkey/stripe/session': { rule: 'tenant' },
  'GET /tenants/:pubkey/invoices': { rule: 'tenant' },
  // A has no subscription yet (no pass ran): null.
  'GET /tenants/:pubkey/invoices/draft': { rule: 'tenant' },
  // Runs A's billing against the fake Stripe (the second call is answered
  // from the database).
  'POST /tenants/:pubkey/reconcile': { rule: 'tenant' },
  'GET /invoices/:id': { rule: 'invoice', path: () => `/invoices/${IA}` },
  // A paid invoice has nothing left to pay: 409 invoice-not-open.
  'GET /invoices/:id/bolt11': {
    rule: 'invoice', path: () => `/invoices/${IA}/bolt11`,
    expect: { owner: 409, admin: 409 },
  },
  'POST /invoices/:id/bolt11': {
    rule: 'invoice', path: () => `/invoices/${IA}/bolt11`,
    expect: { owner: 409, admin: 409 },
  },
  'GET /invoices/:id/items': { rule: 'invoice', path: () => `/invoices/${IA}/items` },
  // Paid: answered from the database, as it stands.
  'POST /invoices/:id/reconcile': { rule: 'invoice', path: () => `/invoices/${IA}/reconcile` },
  // Paid: nothing to pay by card (return_url defaults to the Origin).
  'POST /invoices/:id/checkout': {
    rule: 'invoice', path: () => `/invoices/${IA}/checkout`,
    expect: { owner: 409, admin: 409 },
  },
  // Stripe signs it; no NIP-98 header makes it valid (t0850 signs).
  'POST /stripe/webhook': {
    rule: 'public', body: () => ({ id: 'evt_matrix', type: 'invoice.paid' }),
    expect: { none: 400, malformed: 400, other: 400, owner: 400, admin: 400 },
  },
}

function listRoutes () {
  const out = execFileSync(API_BIN, ['--list-routes'], { encoding: 'utf8' })
  return out.trim().split('\n').map((l) => {
    const [method, pattern, rule] = l.split(' ')
    return { method, pattern, rule, key: `${method} ${pattern}` }
  })
}

test('every route of --list-routes has a rule and a row in the matrix', () => {
  const routes = listRoutes()
  assert.ok(routes.length >= Object.keys(MATRIX).length)
  const missing = routes.filter((r) => !(r.key in MATRIX)).map((r) => r.key)
  assert.deepEqual(missing, [], 'routes without an expectation in MATRIX')
  const stale = Object.keys(MATRIX).filter((k) => !routes.some((r) => r.key === k))
  assert.deepEqual(stale, [], 'MATRIX rows for routes the API does not serve')
  for (const r of routes) {
    assert.equal(r.rule, MATRIX[r.key].rule, `${r.key}: rule`)
  }
})

test('authorization matrix: every route x {no header, malformed, other tenant, owner, admin}', async () => {
  const callers = { none: null, malformed: null, other: B, owner: A, admin: ADMIN }
  const origin = ORIGINS[0]
  let checked = 0
  for (const route of listRoutes()) {
    const row = MATRIX[route.key]
    assert.ok(row, `${route.key} has no row`)
    const path = row.path ? row.path() : route.pattern
      .replace(':pubkey', A.pk).replace(':id', RA.id)
    for (const col of COLUMNS) {
      const want = row.expect?.[col] ?? BY_RULE[row.rule][col]
      const opts = { as: callers[col], headers: { origin } }
      if (col === 'malformed') opts.auth = 'Nostr not*base64!'
      if (row.body) opts.body = row.body(col)
      const snapshot = want >= 400 ? dump() : null
      const r = await call(route.method, path, opts)
      assert.equal(r.status, want, `${route.key} as ${col}: ${show(r)}`)
      // A browser on an allowed origin can read every answer (api.md §2).
      assert.equal(r.headers['access-control-allow-origin'], origin, `${route.key} as ${col}: ACAO`)
      assert.match(r.headers.vary ?? '', /\bOrigin\b/, `${route.key} as ${col}: Vary`)
      if (want === 401) expectError(r, 401, 'unauthorized')
      if (want === 403) expectError(r, 403, 'forbidden')
      if (snapshot !== null) sameDump(snapshot, `${route.key} as ${col}`)
      if (route.key === 'GET /identity' && want === 200) {
        assert.deepEqual(r.json.data, { pubkey: callers[col].pk, is_admin: col === 'admin' })
      }
      if (route.key === 'POST /relays' && want === 201) {
        assert.equal(r.json.data.tenant, A.pk, 'the admin created the relay for A')
      }
      checked++
    }
  }
  assert.equal(checked, listRoutes().length * COLUMNS.length)
})

test('an unknown relay id is 404 for its owner-to-be and for an admin, 401 without a header', async () => {
  const ghost = rhex(16)
  for (const as of [A, ADMIN]) {
    expectError(await call('GET', `/relays/${ghost}`, { as }), 404, 'not-found')
    expectError(await call('POST', `/relays/${ghost}/deactivate`, { as }), 404, 'not-found')
  }
  expectError(await call('GET', `/relays/${ghost}`), 401, 'unauthorized')
  // An admin asking for a tenant that does not exist.
  expectError(await call('GET', `/tenants/${rhex(32)}`, { as: ADMIN }), 404, 'not-found')
  expectError(await call('GET', `/tenants/${C.pk}`, { as: C }), 404, 'not-found')
})

// --- 2. authentication checks (api.md §3) ---

test('each failed NIP-98 check is a 401 with its own sentence', async () => {
  const sk = generateSecretKey()
  const tampered = event(sk)
  tampered.content = 'tampered after signing'
  const otherSig = event(sk, { content: 'another event' }).sig
  const badSig = { ...event(sk), sig: otherSig }
  const upper = event(sk)
  upper.pubkey = upper.pubkey.toUpperCase()
  const cases = [
    ['bad base64', 'Nostr @@@not-base64@@@', /base64/],
    ['not JSON', `Nostr ${b64('this is not JSON')}`, /JSON/],
    ['wrong kind', header(event(sk, { kind: 1 })), /kind/],
    ['id mismatch', header(tampered), /\bid\b/],
    ['bad signature', header(badSig), /signature/],
    ['no u tag', header(event(sk, { tags: [['method', 'GET']] })), /\bu tag\b/],
    ['u host is not HOST', header(event(sk, { tags: [['u', 'http://evil.example/']] })), /host/],
    ['too old', header(event(sk, { created_at: now() - AUTH_MAX_AGE - 100 })), /old|expired/],
    ['in the future', header(event(sk, { created_at: now() + 120 })), /future/],
  ]
  const sentences = []
  for (const [what, auth, match] of cases) {
    const r = await call('GET', '/identity', { auth })
    sentences.push(expectError(r, 401, 'unauthorized', { match }))
    assert.ok(!r.json.error.includes(sk), what)
  }
  assert.equal(new Set(sentences).size, cases.length,
    `the sentences are distinct: ${JSON.stringify(sentences)}`)

  // More ways to be wrong, each still a 401.
  const more = [
    ['no header', null],
    ['empty header', ''],
    ['other scheme', `Bearer ${b64(JSON.stringify(event(sk)))}`],
    ['scheme only', 'Nostr '],
    ['upper-case pubkey', header(upper)],
    ['JSON array', `Nostr ${b64('[]')}`],
    ['u host as a prefix', header(event(sk, { tags: [['u', 'http://127.0.0.1.evil.example/']] }))],
    ['u host in the query', header(event(sk, { tags: [['u', 'http://evil.example/?h=127.0.0.1']] }))],
    ['u host after userinfo', header(event(sk, { tags: [['u', 'http://127.0.0.1@evil.example/']] }))],
    ['u not a URL', header(event(sk, { tags: [['u', '127.0.0.1']] }))],
  ]
  for (const [what, auth] of more) {
    const headers = auth === '' ? { authorization: '' } : {}
    const r = await call('GET', '/identity', { auth: auth === '' ? null : auth, headers })
    expectError(r, 401, 'unauthorized')
    assert.ok(r.json.error.length > 0, what)
  }
})

test('accepted NIP-98 variants: padded and unpadded base64, port and path ignored, clock skew', async () => {
  const who = identity()
  // Grow the content until the base64 needs padding.
  let ev
  for (let n = 0; ; n++) {
    ev = event(who.sk, { content: 'x'.repeat(n) })
    if (b64(JSON.stringify(ev)).endsWith('=')) break
  }
  const good = [
    ['padded', header(ev, true)],
    ['unpadded', header(ev, false)],
    ['nostr-tools getToken', await nip98.getToken(`${BASE}/identity`, 'get',
      (e) => finalizeEvent(e, who.sk), true)],
    ['another port and path, POST method tag', header(event(who.sk,
      { tags: [['u', 'http://127.0.0.1:1/some/path?q=1'], ['method', 'POST']] }))],
    ['https and upper-case scheme', header(event(who.sk, { tags: [['u', 'HTTPS://127.0.0.1/']] }))],
    ['no method tag', header(event(who.sk, { tags: [['u', BASE]] }))],
    ['just inside the age limit', header(event(who.sk, { created_at: now() - AUTH_MAX_AGE + 60 }))],
    ['30 s ahead', header(event(who.sk, { created_at: now() + 30 }))],
  ]
  assert.ok(!good[1][1].endsWith('='))
  for (const [what, auth] of good) {
    const r = await call('GET', '/identity', { auth })
    assert.equal(r.status, 200, `${what}: ${show(r)}`)
    assert.deepEqual(r.json.data, { pubkey: who.pk, is_admin: false }, what)
  }
})

test('a cached header stops working when it passes AUTH_MAX_AGE', async () => {
  const who = identity()
  const created = now() - AUTH_MAX_AGE + 2
  const auth = header(event(who.sk, { created_at: created }))
  // Several uses, so every API child has verified and cached it.
  for (let i = 0; i < 4; i++) {
    const r = await call('GET', '/identity', { auth })
    assert.equal(r.status, 200, show(r))
  }
  while (now() <= created + AUTH_MAX_AGE) await sleep(100)
  // The API reads time(2), glibc's coarse clock, which may lag the one
  // Node reads by a tick: past the edge by a little more than that.
  await sleep(50)
  for (let i = 0; i < 4; i++) {
    expectError(await call('GET', '/identity', { auth }), 401, 'unauthorized',
      { match: /old|expired/ })
  }
})

// --- 3. tenants ---

test('POST /tenants creates once with one Stripe customer, then returns the same tenant', async () => {
  const who = identity()
  const t0 = now()
  const first = expectOk(await call('POST', '/tenants', { as: who }))
  assert.deepEqual(Object.keys(first).sort(), TENANT_KEYS)
  assert.equal(first.pubkey, who.pk)
  assert.match(first.stripe_customer_id, /^cus_[A-Za-z0-9]+$/)
  assert.equal(first.stripe_subscription_id, null)
  assert.equal(first.past_due_at, null)
  assert.equal(first.nwc_is_set, false)
  assert.equal(first.nwc_error, '')
  assert.ok(first.created_at >= t0 - 1 && first.created_at <= now() + 1)

  const calls = customerCalls(who.pk)
  assert.equal(calls.length, 1, 'exactly one POST /v1/customers')
  // Looked up first by metadata (a customer whose answer was lost).
  assert.equal(customerLookups(who.pk).length, 1)
  const c = calls[0]
  assert.equal(c.status, 200)
  assert.equal(c.auth, 'ok')
  assert.equal(c.replayed, false)
  assert.match(c.content_type, /^application\/x-www-form-urlencoded/)
  assert.match(c.stripe_version ?? '', /^\d{4}-\d{2}-\d{2}(\.[a-z]+)?$/, 'a Stripe-Version')
  assert.ok(typeof c.idempotency_key === 'string' && c.idempotency_key.length > 0, 'an Idempotency-Key')
  assert.ok(c.idempotency_key.length <= 255)

  const logLength = stripeLog().length
  const again = expectOk(await call('POST', '/tenants', { as: who }))
  assert.deepEqual(again, first)
  assert.equal(stripeLog().length, logLength, 'the second call made no Stripe call')
  assert.equal(count(`SELECT count(*) FROM tenant WHERE pubkey = ${q(who.pk)}`), 1)
  assert.equal(count(`SELECT count(*) FROM activity WHERE tenant = ${q(who.pk)}
    AND activity_type = 'create_tenant' AND resource_type = 'tenant'
    AND resource_id = ${q(who.pk)}`), 1)
  assert.equal(sql(`SELECT stripe_customer_id FROM tenant WHERE pubkey = ${q(who.pk)}`),
    first.stripe_customer_id)
  // The key is deterministic: another pubkey, another key.
  assert.notEqual(customerCalls(A.pk)[0].idempotency_key, c.idempotency_key)
  assert.equal(customerCalls(A.pk).length, 1)
})

test('a bolt11 without NWC_URL: 503 not-configured, nothing written', async () => {
  const id = `in_open${rhex(6)}`
  sql(`INSERT INTO invoice (id, tenant, status, currency, amount_due,
    created_at, updated_at) VALUES (${q(id)}, ${q(A.pk)}, 'open', 'usd',
    500, ${now()}, ${now()})`)
  const snapshot = dump()
  for (const method of ['GET', 'POST']) {
    expectError(await call(method, `/invoices/${id}/bolt11`, { as: A }), 503,
      'not-configured', { match: /NWC_URL/ })
  }
  expectError(await call('GET', `/invoices/${id}/bolt11`, { as: B }), 403, 'forbidden')
  expectError(await call('GET', `/invoices/in_nosuch/bolt11`, { as: A }), 404, 'not-found')
  sameDump(snapshot, 'after a bolt11 that cannot be made')
  const inv = expectOk(await call('GET', `/invoices/${id}`, { as: A }))
  assert.deepEqual(Object.keys(inv).sort(), ['amount', 'amount_due', 'amount_paid',
    'created_at', 'currency', 'due_date', 'hosted_invoice_url', 'id', 'method',
    'paid_at', 'paid_via', 'period_end', 'period_start', 'status', 'tenant',
    'tenant_pubkey', 'voided_at'])
  assert.equal(inv.method, null)
  const list = expectOk(await call('GET', `/tenants/${A.pk}/invoices`, { as: A }))
  assert.ok(list.some((i) => i.id === id))
  expectError(await call('GET', `/tenants/${A.pk}/invoices?limit=0`, { as: A }), 400,
    'bad-request', { field: 'limit' })
  sql(`DELETE FROM invoice WHERE id = ${q(id)}`)
})

test('POST /tenants: a Stripe failure is 502 stripe-error and writes nothing', async () => {
  const who = identity()
  const snapshot = dump()
  // More 500s than the client retries (three retries after the first).
  await stripeControl({ fail_next: 500, fail_count: 4 })
  const r = await call('POST', '/tenants', { as: who })
  expectError(r, 502, 'stripe-error')
  assert.ok(!/injected|api_error|sk_test/.test(r.text), `no upstream text leaks: ${r.text}`)
  sameDump(snapshot, 'after a failed POST /tenants')
  assert.equal(count(`SELECT count(*) FROM tenant WHERE pubkey = ${q(who.pk)}`), 0)
  assert.deepEqual(customerLookups(who.pk).map((e) => e.status), [500, 500, 500, 500])
  assert.equal(customerCalls(who.pk).length, 0, 'no customer was asked for')
  // Stripe back: the next call works.
  const t = expectOk(await call('POST', '/tenants', { as: who }))
  assert.equal(t.pubkey, who.pk)
  assert.equal(count(`SELECT count(*) FROM tenant WHERE pubkey = ${q(who.pk)}`), 1)
})

test('POST /tenants: two concurrent first calls give one tenant and one customer', async () => {
  const who = identity()
  await authOf(who)
  // The first request is held at Stripe while the second arrives.
  await stripeControl({ delay_ms: 400 })
  const [r1, r2] = await Promise.all([
    call('POST', '/tenants', { as: who }), call('POST', '/tenants', { as: who })])
  const t1 = expectOk(r1)
  const t2 = expectOk(r2)
  assert.equal(t1.stripe_customer_id, t2.stripe_customer_id)
  assert.deepEqual(t1, t2)
  assert.equal(count(`SELECT count(*) FROM tenant WHERE pubkey = ${q(who.pk)}`), 1)
  assert.equal(count(`SELECT count(*) FROM activity WHERE tenant = ${q(who.pk)}
    AND activity_type = 'create_tenant'`), 1)
  const made = customerCalls(who.pk).filter((e) => e.status === 200 && !e.replayed)
  assert.equal(made.length, 1, 'Stripe created one customer')
  assert.ok(customerLookups(who.pk).length >= 2, 'both calls reached Stripe at once')
  assert.equal(new Set(customerCalls(who.pk).map((e) => e.idempotency_key)).size, 1)
})

test('GET /tenants (admin): every tenant, newest first', async () => {
  const old = rhex(32)
  const older = rhex(32)
  sql(`INSERT INTO tenant (pubkey, created_at) VALUES (${q(old)}, 2000), (${q(older)}, 1000)`)
  const list = expectOk(await call('GET', '/tenants', { as: ADMIN }))
  assert.ok(Array.isArray(list))
  assert.equal(list.length, count('SELECT count(*) FROM tenant'))
  for (const t of list) assert.deepEqual(Object.keys(t).sort(), TENANT_KEYS)
  for (let i = 1; i < list.length; i++) {
    assert.ok(list[i - 1].created_at >= list[i].created_at, 'newest first')
  }
  const at = (pk) => list.findIndex((t) => t.pubkey === pk)
  assert.ok(at(A.pk) >= 0 && at(B.pk) >= 0)
  assert.ok(at(A.pk) < at(old) && at(old) < at(older))
  assert.equal(list.at(-1).pubkey, older)
  assert.equal(list[at(old)].stripe_customer_id, null)
})

test('PUT /tenants/:pubkey: NWC URL validated, sealed, never shown, cleared by ""', async () => {
  const who = identity()
  expectOk(await call('POST', '/tenants', { as: who }))
  const path = `/tenants/${who.pk}`
  const wallet = rhex(32)
  const secret = rhex(32)
  const bad = [
    'https://wallet.example/',
    `nostr+walletconnect://${wallet}`,
    `nostr+walletconnect://${wallet}?secret=${secret}`,
    `nostr+walletconnect://${wallet}?relay=wss%3A%2F%2Frelay.example.com`,
    `nostr+walletconnect://${wallet}?relay=wss%3A%2F%2Frelay.example.com&secret=${secret.slice(1)}`,
    `nostr+walletconnect://${wallet.slice(2)}?relay=wss%3A%2F%2Frelay.example.com&secret=${secret}`,
    `nostr+walletconnect://${wallet}?relay=https%3A%2F%2Frelay.example.com&secret=${secret}`,
    `nostr+walletconnect://' OR 1=1 --?relay=wss%3A%2F%2Fr.example&secret=${secret}`,
  ]
  for (const nwc of bad) {
    const snapshot = dump()
    const r = await call('PUT', path, { as: who, body: { nwc_url: nwc } })
    expectError(r, 422, 'invalid-nwc-url', { field: 'nwc_url' })
    assert.ok(!r.text.includes(secret), 'the secret is not echoed')
    sameDump(snapshot, `PUT nwc_url ${nwc}`)
  }

  sql(`UPDATE tenant SET nwc_error = 'the wallet said no' WHERE pubkey = ${q(who.pk)}`)
  const updates = () => count(`SELECT count(*) FROM activity WHERE tenant = ${q(who.pk)}
    AND activity_type = 'update_tenant' AND resource_type = 'tenant' AND resource_id = ${q(who.pk)}`)
  assert.equal(updates(), 0)
  const url = `nostr+walletconnect://${wallet}?relay=wss%3A%2F%2Frelay.example.com&secret=${secret}&lud16=me%40wallet.example`
  const r = await call('PUT', path, { as: who, body: { nwc_url: url } })
  const t = expectOk(r)
  assert.deepEqual(Object.keys(t).sort(), TENANT_KEYS)
  assert.equal(t.nwc_is_set, true)
  assert.equal(t.nwc_error, '')
  assert.ok(!r.text.includes(secret) && !r.text.includes('walletconnect'))
  assert.equal(updates(), 1)
  const got = await call('GET', path, { as: who })
  assert.equal(expectOk(got).nwc_is_set, true)
  assert.ok(!got.text.includes(secret))
  const text = dump()
  assert.ok(!text.includes(secret), 'the wallet secret appears nowhere in the database')
  assert.ok(!text.includes('walletconnect'), 'nor does the URL')
  const [row] = rows(`SELECT nwc_url_sealed, nwc_error, billing_marked_at FROM tenant
    WHERE pubkey = ${q(who.pk)}`)
  assert.equal(row.nwc_error, '')
  assert.ok(row.billing_marked_at > 0, 'the tenant is marked for billing')
  // NIP-44 v2 under the conversation key of ENCRYPTION_SECRET with itself.
  const encSk = Buffer.from(ENC_SECRET, 'hex')
  const ck = nip44.getConversationKey(encSk, getPublicKey(encSk))
  assert.equal(Buffer.from(row.nwc_url_sealed, 'base64')[0], 2, 'version 2 payload')
  assert.equal(nip44.decrypt(row.nwc_url_sealed, ck), url)

  const cleared = expectOk(await call('PUT', path, { as: who, body: { nwc_url: '' } }))
  assert.equal(cleared.nwc_is_set, false)
  assert.equal(sql(`SELECT nwc_url_sealed IS NULL FROM tenant WHERE pubkey = ${q(who.pk)}`), '1')
  assert.equal(updates(), 2)

  // Bodies of the wrong shape are 400; the admin may update any tenant.
  for (const body of [{}, { nwc_url: 12 }, { nwc_url: null }, { nwc_url: [] }, '[]', '{']) {
    const r2 = await call('PUT', path, { as: who, body })
    expectError(r2, 400, 'bad-request')
  }
  expectOk(await call('PUT', path, { as: ADMIN, body: { nwc_url: url } }))
  assert.equal(updates(), 3)
  assert.equal(sql(`SELECT tenant FROM activity WHERE activity_type = 'update_tenant'
    AND resource_id = ${q(who.pk)} ORDER BY id DESC LIMIT 1`), who.pk)
  expectError(await call('PUT', `/tenants/${C.pk}`, { as: C, body: { nwc_url: '' } }),
    404, 'not-found')
})

test('GET /tenants/:pubkey/stripe/session: a portal URL from Stripe, never stored', async () => {
  const customer = sql(`SELECT stripe_customer_id FROM tenant WHERE pubkey = ${q(A.pk)}`)
  assert.match(customer, /^cus_/)
  const base = `/tenants/${A.pk}/stripe/session`
  const lastPortal = () => stripeLog().filter((e) => e.path === '/v1/billing_portal/sessions').at(-1)
  const cases = [
    [`${base}?return_url=${encodeURIComponent('https://app.example.com/billing?x=1')}`, {},
      'https://app.example.com/billing?x=1'],
    [base, {}, ORIGINS[0]],
    [base, { origin: ORIGINS[1] }, ORIGINS[1]],
  ]
  for (const [path, headers, ret] of cases) {
    const r = await call('GET', path, { as: A, headers })
    const d = expectOk(r)
    assert.deepEqual(Object.keys(d), ['url'])
    assert.match(d.url, /^https:\/\/billing\.stripe\.com\/p\/session\/test_[0-9a-f]+$/)
    const e = lastPortal()
    assert.equal(e.method, 'POST')
    assert.equal(e.status, 200)
    assert.equal(e.params.customer, customer)
    assert.equal(e.params.return_url, ret)
    assert.ok(!dump().includes(d.url.split('test_')[1]), 'the session URL is not stored')
  }
  for (const bad of ['javascript:alert(1)', 'ftp://files.example/', 'not a url']) {
    expectError(await call('GET', `${base}?return_url=${encodeURIComponent(bad)}`, { as: A }),
      400, 'bad-request', { field: 'return_url' })
  }
  // A tenant without a Stripe customer (written by hand, as before Stripe).
  const bare = identity()
  sql(`INSERT INTO tenant (pubkey, created_at) VALUES (${q(bare.pk)}, ${now()})`)
  expectError(await call('GET', `/tenants/${bare.pk}/stripe/session`, { as: bare }),
    409, 'tenant-required')
  // Stripe failing.
  await stripeControl({ fail_next: 500 })
  const r = await call('GET', base, { as: A })
  expectError(r, 502, 'stripe-error')
  assert.ok(!/injected|sk_test/.test(r.text))
})

// --- 4. relays ---

test('POST /relays creates an active, unsynced relay with a sealed key', async () => {
  const who = identity()
  expectOk(await call('POST', '/tenants', { as: who }))
  sql(`UPDATE tenant SET billing_marked_at = NULL WHERE pubkey = ${q(who.pk)}`)
  const subdomain = sub('my-relay')
  const t0 = now()
  const r = await call('POST', '/relays', { as: who, body: { subdomain, plan: 'free',
    info_name: 'My relay', info_description: 'A place', info_icon: 'https://img.example/i.png',
    policy_public_join: 1, groups_enabled: true, push_enabled: false } })
  const rl = expectOk(r, 201)
  assert.deepEqual(Object.keys(rl).sort(), RELAY_KEYS, 'exactly the Relay fields: no secret')
  assert.match(rl.id, /^[0-9a-f]{32}$/)
  assert.equal(rl.tenant, who.pk)
  assert.equal(rl.subdomain, subdomain)
  assert.equal(rl.schema, `${subdomain.replace(/-/g, '_')}_${rl.id.slice(0, 8)}`)
  assert.match(rl.schema, /^[a-z_][a-z0-9_]*$/)
  assert.equal(rl.host, `${subdomain}.${RELAY_DOMAIN}`)
  assert.equal(rl.plan, 'free')
  assert.equal(rl.status, 'active')
  assert.equal(rl.synced, 0)
  assert.equal(rl.sync_error, '')
  assert.equal(rl.info_name, 'My relay')
  assert.equal(rl.info_description, 'A place')
  assert.equal(rl.info_icon, 'https://img.example/i.png')
  // Not sent: 0, except members_can_invite (on, as Flotilla's form starts).
  assert.deepEqual(FLAGS.map((f) => rl[f]), [1, 0, 1, 0, 0, 0, 0, 0, 0, 1])
  assert.equal(rl.custom_domain, '')
  assert.equal(rl.custom_domain_verified, 0)
  assert.ok(rl.created_at >= t0 - 1 && rl.created_at <= now() + 1)

  assert.deepEqual(expectOk(await call('GET', `/relays/${rl.id}`, { as: who })), rl)
  assert.deepEqual(expectOk(await call('GET', `/tenants/${who.pk}/relays`, { as: who })), [rl])
  assert.deepEqual(expectOk(await call('GET', `/relays?tenant=${who.pk}`, { as: ADMIN })), [rl])
  const all = expectOk(await call('GET', '/relays', { as: ADMIN }))
  assert.ok(all.some((x) => x.id === rl.id) && all.some((x) => x.id === RA.id))
  assert.equal(all.length, count('SELECT count(*) FROM relay'))

  const acts = rows(`SELECT tenant, activity_type, resource_type FROM activity
    WHERE resource_id = ${q(rl.id)}`)
  assert.deepEqual(acts, [{ tenant: who.pk, activity_type: 'create_relay', resource_type: 'relay' }])
  const [row] = rows(`SELECT secret_sealed, synced, status FROM relay WHERE id = ${q(rl.id)}`)
  assert.equal(row.synced, 0)
  assert.ok(Number(sql(`SELECT billing_marked_at FROM tenant WHERE pubkey = ${q(who.pk)}`)) > 0,
    'the tenant is marked for billing in the same change')
  assert.ok(!/[0-9a-f]{64}/.test(row.secret_sealed), 'no plain key in secret_sealed')
  assert.equal(Buffer.from(row.secret_sealed, 'base64')[0], 2, 'a NIP-44 v2 payload')
  const encSk = Buffer.from(ENC_SECRET, 'hex')
  const key = nip44.decrypt(row.secret_sealed, nip44.getConversationKey(encSk, getPublicKey(encSk)))
  assert.match(key, /^[0-9a-f]{64}$/, 'the sealed text is a secret key')
  assert.ok(!r.text.includes(key) && !dump().includes(key))
  const other = rows(`SELECT secret_sealed FROM relay WHERE id = ${q(RA.id)}`)[0]
  assert.notEqual(other.secret_sealed, row.secret_sealed)

  // A subdomain that starts with a digit gets the r_ prefix.
  const digit = `9${sub('lives')}`
  const d = await createRelay(who, { subdomain: digit, plan: 'growth', livekit_enabled: 1 })
  assert.equal(d.schema, `r_${digit.replace(/-/g, '_')}_${d.id.slice(0, 8)}`)
  assert.equal(d.livekit_enabled, 1)
  // 63 characters is the limit, not over it.
  const long = `l${rhex(31)}`
  assert.equal(long.length, 63)
  assert.equal((await createRelay(who, { subdomain: long, plan: 'free' })).subdomain, long)
})

test('POST /relays: every validation rule has its status, slug and sentence', async () => {
  const taken = RA.subdomain
  const ok = (extra) => ({ subdomain: sub('v'), plan: 'free', ...extra })
  const subdomainCases = [
    ['missing', { plan: 'free' }, /required/],
    ['empty', { subdomain: '', plan: 'free' }, /required/],
    ['64 characters', { subdomain: `a${rhex(31)}b`, plan: 'free' }, /63/],
    ['upper case', { subdomain: 'MyRelay', plan: 'free' }, /lowercase/],
    ['underscore', { subdomain: 'my_relay', plan: 'free' }, /lowercase/],
    ['dot', { subdomain: 'a.b', plan: 'free' }, /lowercase/],
    ['space', { subdomain: 'a b', plan: 'free' }, /lowercase/],
    ['non-ASCII', { subdomain: 'caf\u00e9', plan: 'free' }, /lowercase/],
    ['leading hyphen', { subdomain: '-lead', plan: 'free' }, /hyphen/],
    ['trailing hyphen', { subdomain: 'trail-', plan: 'free' }, /hyphen/],
    ['api', { subdomain: 'api', plan: 'free' }, /reserved/],
    ['admin', { subdomain: 'admin', plan: 'free' }, /reserved/],
    ['www', { subdomain: 'www', plan: 'free' }, /reserved/],
    ['mail', { subdomain: 'mail', plan: 'free' }, /reserved/],
    ...RESERVED.map((s) => [`RESERVED_SUBDOMAINS ${s}`, { subdomain: s, plan: 'free' }, /reserved/]),
  ]
  const sentences = new Map()
  for (const [what, body, match] of subdomainCases) {
    const snapshot = dump()
    const e = expectError(await call('POST', '/relays', { as: A, body }), 422,
      'invalid-subdomain', { field: 'subdomain', match })
    sameDump(snapshot, what)
    sentences.set(String(match), e)
  }
  assert.equal(new Set(sentences.values()).size, 5,
    `one sentence per subdomain rule: ${JSON.stringify([...sentences.values()])}`)

  const e = expectError(await call('POST', '/relays', { as: A,
    body: { subdomain: taken, plan: 'free' } }), 422, 'subdomain-exists', { field: 'subdomain' })
  assert.ok(![...sentences.values()].includes(e))
  for (const plan of ['platinum', 'FREE', '']) {
    expectError(await call('POST', '/relays', { as: A, body: ok({ plan }) }), 422,
      'invalid-plan', { field: 'plan' })
  }
  expectError(await call('POST', '/relays', { as: A, body: { subdomain: sub('np') } }),
    422, 'invalid-plan', { field: 'plan' })
  const blossom = expectError(await call('POST', '/relays', { as: A,
    body: ok({ blossom_enabled: 1 }) }), 422, 'plan-feature-not-allowed',
  { field: 'blossom_enabled', match: /Blossom/i })
  const livekit = expectError(await call('POST', '/relays', { as: A,
    body: ok({ livekit_enabled: true }) }), 422, 'plan-feature-not-allowed',
  { field: 'livekit_enabled', match: /LiveKit/i })
  assert.notEqual(blossom, livekit)

  const fieldCases = [
    ['info_name', 'n'.repeat(101)],
    ['info_description', 'd'.repeat(1001)],
    ['info_icon', 'ftp://img.example/i.png'],
    ['info_icon', 'javascript:alert(1)'],
    ['info_icon', `https://img.example/${'i'.repeat(2049)}`],
    ['policy_public_join', 2],
    ['groups_enabled', -1],
  ]
  for (const [field, value] of fieldCases) {
    const snapshot = dump()
    expectError(await call('POST', '/relays', { as: A, body: ok({ [field]: value }) }),
      422, 'invalid-field', { field })
    sameDump(snapshot, `${field} = ${String(value).slice(0, 40)}`)
  }
  // The limits count characters, not bytes.
  const accents = await createRelay(A, ok({ info_name: '\u00e9'.repeat(100),
    info_description: '\u{1F600}'.repeat(1000) }))
  assert.equal(accents.info_name, '\u00e9'.repeat(100))

  const typeCases = [
    { subdomain: 12, plan: 'free' },
    { subdomain: sub('t'), plan: ['free'] },
    { subdomain: sub('t'), plan: 'free', info_name: 5 },
    { subdomain: sub('t'), plan: 'free', info_icon: {} },
    { subdomain: sub('t'), plan: 'free', push_enabled: '1' },
    { subdomain: sub('t'), plan: 'free', groups_enabled: null },
    { subdomain: sub('t'), plan: 'free', tenant: 7 },
  ]
  for (const body of typeCases) {
    expectError(await call('POST', '/relays', { as: A, body }), 400, 'bad-request')
  }
  for (const body of ['[]', '"relay"', '42', 'null', '{"subdomain": "x",', '', 'subdomain=x']) {
    expectError(await call('POST', '/relays', { as: A, body }), 400, 'bad-request')
  }

  // Who the relay is for.
  expectError(await call('POST', '/relays', { as: C, body: ok() }), 409, 'tenant-required')
  expectError(await call('POST', '/relays', { as: B, body: ok({ tenant: A.pk }) }), 403, 'forbidden')
  const mine = await createRelay(B, ok({ tenant: B.pk }))
  assert.equal(mine.tenant, B.pk)
  const forA = await createRelay(ADMIN, ok({ tenant: A.pk }))
  assert.equal(forA.tenant, A.pk)
  assert.equal(sql(`SELECT tenant FROM activity WHERE resource_id = ${q(forA.id)}`), A.pk)
  expectError(await call('POST', '/relays', { as: ADMIN, body: ok({ tenant: C.pk }) }),
    409, 'tenant-required')
  // Unknown keys are ignored.
  const extra = await createRelay(A, ok({ colour: 'blue', id: 'mine', status: 'inactive', synced: 1 }))
  assert.notEqual(extra.id, 'mine')
  assert.equal(extra.status, 'active')
  assert.equal(extra.synced, 0)
})

test('POST /relays: SQL metacharacters in text fields are stored verbatim', async () => {
  const evil = "Robert'); DROP TABLE relay; -- \" OR 1=1 % _ \\"
  const rl = await createRelay(A, { subdomain: sub('sql'), plan: 'free', info_name: evil,
    info_description: `${evil}\n${evil}`, info_icon: "https://x.example/a'b;--" })
  const back = expectOk(await call('GET', `/relays/${rl.id}`, { as: A }))
  assert.equal(back.info_name, evil)
  assert.equal(back.info_description, `${evil}\n${evil}`)
  assert.equal(back.info_icon, "https://x.example/a'b;--")
  assert.equal(sql(`SELECT info_name FROM relay WHERE id = ${q(rl.id)}`), evil)
  assert.ok(count('SELECT count(*) FROM relay') > 3)
})

test('PUT /relays/:id: partial update, unsynced again, activity; subdomain immutable', async () => {
  const rl = await createRelay(A, { subdomain: sub('upd'), plan: 'basic', blossom_enabled: 1,
    info_name: 'Before', info_description: 'kept' })
  sql(`UPDATE relay SET synced = 1 WHERE id = ${q(rl.id)}`)
  const updates = () => count(`SELECT count(*) FROM activity WHERE resource_id = ${q(rl.id)}
    AND activity_type = 'update_relay'`)
  const path = `/relays/${rl.id}`
  const u = expectOk(await call('PUT', path, { as: A, body: { info_name: 'After', push_enabled: 1 } }))
  assert.deepEqual(u, { ...rl, info_name: 'After', push_enabled: 1, synced: 0 })
  assert.deepEqual(expectOk(await call('GET', path, { as: A })), u)
  assert.equal(sql(`SELECT synced FROM relay WHERE id = ${q(rl.id)}`), '0')
  assert.equal(updates(), 1)
  // The same subdomain is no change.
  expectOk(await call('PUT', path, { as: A, body: { subdomain: rl.subdomain } }))
  assert.equal(updates(), 2)

  const rejected = [
    [{ subdomain: sub('moved') }, 422, 'invalid-subdomain', 'subdomain'],
    [{ plan: 'free' }, 422, 'plan-feature-not-allowed', 'blossom_enabled'],
    [{ plan: 'gold' }, 422, 'invalid-plan', 'plan'],
    [{ livekit_enabled: 1, plan: 'free', blossom_enabled: 0 }, 422, 'plan-feature-not-allowed', 'livekit_enabled'],
    [{ info_name: 'x'.repeat(101) }, 422, 'invalid-field', 'info_name'],
    [{ info_icon: 'mailto:a@b.example' }, 422, 'invalid-field', 'info_icon'],
    [{ management_enabled: 3 }, 422, 'invalid-field', 'management_enabled'],
    [{ plan: 1 }, 400, 'bad-request', 'plan'],
    [{ info_description: false }, 400, 'bad-request', 'info_description'],
    [{ blossom_enabled: 'yes' }, 400, 'bad-request', 'blossom_enabled'],
  ]
  for (const [body, status, code, field] of rejected) {
    const snapshot = dump()
    expectError(await call('PUT', path, { as: A, body }), status, code, { field })
    sameDump(snapshot, `PUT ${JSON.stringify(body)}`)
  }
  // Dropping blossom and moving to free together is allowed.
  const down = expectOk(await call('PUT', path, { as: ADMIN, body: { plan: 'free', blossom_enabled: 0 } }))
  assert.equal(down.plan, 'free')
  assert.equal(down.blossom_enabled, 0)
  assert.equal(down.info_name, 'After')
  assert.equal(updates(), 3)
})

test('deactivate is idempotent, reactivate restores, a delinquent relay stays until paid', async () => {
  const rl = await createRelay(A, { subdomain: sub('life'), plan: 'free' })
  const path = `/relays/${rl.id}`
  const acts = (type) => count(`SELECT count(*) FROM activity WHERE resource_id = ${q(rl.id)}
    AND activity_type = ${q(type)}`)
  sql(`UPDATE relay SET synced = 1 WHERE id = ${q(rl.id)}`)
  const off = expectOk(await call('POST', `${path}/deactivate`, { as: A }))
  assert.equal(off.status, 'inactive')
  assert.equal(off.synced, 0)
  assert.equal(sql(`SELECT status || ' ' || synced FROM relay WHERE id = ${q(rl.id)}`), 'inactive 0')
  const snapshot = dump()
  assert.equal(expectOk(await call('POST', `${path}/deactivate`, { as: A })).status, 'inactive')
  sameDump(snapshot, 'a second deactivate')
  assert.equal(acts('deactivate_relay'), 1)

  sql(`UPDATE relay SET synced = 1 WHERE id = ${q(rl.id)}`)
  const on = expectOk(await call('POST', `${path}/reactivate`, { as: A }))
  assert.equal(on.status, 'active')
  assert.equal(on.synced, 0)
  assert.equal(acts('activate_relay'), 1)

  sql(`UPDATE relay SET status = 'delinquent' WHERE id = ${q(rl.id)}`)
  const before = dump()
  for (const as of [A, ADMIN]) {
    expectError(await call('POST', `${path}/reactivate`, { as }), 409, 'conflict',
      { match: /pa(id|y)/i })
  }
  sameDump(before, 'reactivating a delinquent relay')
  assert.equal(acts('activate_relay'), 1)
})

test('activity records who acted: the tenant, or the admin acting for them', async () => {
  const rl = await createRelay(A, { subdomain: sub('who'), plan: 'free' })
  const row = (type) => JSON.parse(sqlite(['-json', DB, `SELECT tenant, actor FROM activity
    WHERE resource_id = ${q(rl.id)} AND activity_type = ${q(type)}`]) || '[]')
  assert.deepEqual(row('create_relay'), [{ tenant: A.pk, actor: A.pk }])
  expectOk(await call('POST', `/relays/${rl.id}/deactivate`, { as: ADMIN }))
  assert.deepEqual(row('deactivate_relay'), [{ tenant: A.pk, actor: ADMIN.pk }],
    'the relay is still the tenant\'s; the admin is who acted')
})

test('GET /relays/:id/activity: newest first, limit and before, bad values are 400', async () => {
  const rl = await createRelay(A, { subdomain: sub('act'), plan: 'free' })
  const values = []
  for (let i = 0; i < 120; i++) {
    values.push(`(${q(A.pk)}, ${1000 + i}, 'update_relay', 'relay', ${q(rl.id)})`)
  }
  sql(`INSERT INTO activity (tenant, created_at, activity_type, resource_type, resource_id)
    VALUES ${values.join(', ')}`)
  const get = async (query) => {
    const d = expectOk(await call('GET', `/relays/${rl.id}/activity${query}`, { as: A }))
    assert.deepEqual(Object.keys(d), ['activity'])
    for (const a of d.activity) {
      assert.deepEqual(Object.keys(a).sort(), ACTIVITY_KEYS)
      assert.equal(a.resource_id, rl.id)
      assert.equal(a.resource_type, 'relay')
    }
    for (let i = 1; i < d.activity.length; i++) {
      const [p, c] = [d.activity[i - 1], d.activity[i]]
      assert.ok(p.created_at > c.created_at || (p.created_at === c.created_at && p.id > c.id),
        'newest first')
    }
    return d.activity
  }
  const first = await get('')
  assert.equal(first.length, 100, 'at most 100 by default')
  assert.equal(first[0].activity_type, 'create_relay')
  assert.equal(first[0].tenant, A.pk)
  assert.deepEqual(first.slice(1, 4).map((a) => a.created_at), [1119, 1118, 1117])
  assert.deepEqual((await get('?limit=3')).map((a) => a.created_at), [first[0].created_at, 1119, 1118])
  const page = await get('?before=1110')
  assert.equal(page.length, 100)
  assert.equal(page[0].created_at, 1109)
  assert.deepEqual((await get('?before=1005&limit=2')).map((a) => a.created_at), [1004, 1003])
  assert.deepEqual((await get('?limit=2&before=1005')).map((a) => a.created_at), [1004, 1003])
  assert.equal((await get('?limit=500')).length, 121)
  assert.deepEqual(await get('?before=1000'), [])
  for (const bad of ['limit=0', 'limit=501', 'limit=-1', 'limit=abc', 'limit=1.5', 'limit=',
    'limit=99999999999999999999', 'before=abc', 'before=-5', 'before=1e3']) {
    const field = bad.split('=')[0]
    expectError(await call('GET', `/relays/${rl.id}/activity?${bad}`, { as: A }),
      400, 'bad-request', { field })
  }
})

// --- 5. hostile input (spec/testing.md "Bad input") ---

const NUMBER_REFUSED = [[400, 'bad-request'], [422, 'invalid-field']]

// The cases, each {group, name, method, path, opts, status, code, field};
// status may be a list of [status, code] pairs, any of which will do.
function hostileCases () {
  const T = `/tenants/${A.pk}`
  const R = `/relays/${RH.id}`
  const bodyRoutes = [['PUT', T], ['POST', '/relays'], ['PUT', R]]
  const deep = (n) => `{"x": ${'['.repeat(n)}${']'.repeat(n)}, "info_name": "d"}`
  const big = (n) => `{"info_name": "b", "pad": "${'p'.repeat(n)}"}`
  const cases = []
  let group = 'bodies'
  const add = (name, method, path, opts, status, code, field) =>
    cases.push({ group, name, method, path, opts, status, code, field })

  for (const [m, p] of bodyRoutes) {
    const k = `${m} ${p.split('/')[1]}`
    add(`${k} truncated JSON`, m, p, { as: A, body: '{"nwc_url": "abc", "subdomain": "x' }, 400, 'bad-request')
    add(`${k} 70 KiB body`, m, p, { as: A, body: big(70 * 1024) }, 413, 'payload-too-large')
    add(`${k} 200 KiB body`, m, p, { as: A, body: big(200 * 1024) }, 413, 'payload-too-large')
    add(`${k} nesting 17 deep`, m, p, { as: A, body: deep(17) }, 400, 'bad-request')
    add(`${k} nesting 5000 deep`, m, p, { as: A, body: deep(5000) }, 400, 'bad-request')
    add(`${k} invalid UTF-8 in a value`, m, p, { as: A,
      body: Buffer.concat([Buffer.from('{"info_name": "a'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]) },
    400, 'bad-request')
    add(`${k} overlong UTF-8 in a key`, m, p, { as: A,
      body: Buffer.concat([Buffer.from('{"'), Buffer.from([0xc0, 0xaf]), Buffer.from('": 1}')]) },
    400, 'bad-request')
    add(`${k} overlong UTF-8 in a value`, m, p, { as: A,
      body: Buffer.concat([Buffer.from('{"info_name": "a'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')]) },
    400, 'bad-request')
    add(`${k} UTF-8 surrogate in a value`, m, p, { as: A,
      body: Buffer.concat([Buffer.from('{"info_name": "a'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')]) },
    400, 'bad-request')
    add(`${k} overlong UTF-8 in an ignored value`, m, p, { as: A,
      body: Buffer.concat([Buffer.from('{"x": "'), Buffer.from([0xe0, 0x80, 0xaf]), Buffer.from('"}')]) },
    400, 'bad-request')
    add(`${k} invalid UTF-8 byte in a key`, m, p, { as: A,
      body: Buffer.concat([Buffer.from('{"a'), Buffer.from([0xff]), Buffer.from('": 1}')]) },
    400, 'bad-request')
    add(`${k} raw NUL byte`, m, p, { as: A, body: Buffer.from('{"info_name": "a\u0000b"}') }, 400, 'bad-request')
    add(`${k} trailing garbage`, m, p, { as: A, body: '{"info_name": "a"} {}' }, 400, 'bad-request')
    add(`${k} single quotes`, m, p, { as: A, body: "{'info_name': 'a'}" }, 400, 'bad-request')
    for (const body of ['[]', '"x"', '1', 'null', 'true', '']) {
      add(`${k} body ${body || '(empty)'}`, m, p, { as: A, body }, 400, 'bad-request')
    }
  }
  // NUL escapes, huge and negative numbers, wrong types, per field.
  const stringFields = {
    'POST /relays': ['subdomain', 'plan', 'tenant', 'info_name', 'info_icon', 'info_description'],
    'PUT relay': ['subdomain', 'plan', 'info_name', 'info_icon', 'info_description'],
    'PUT tenant': ['nwc_url'],
  }
  const routeOf = { 'POST /relays': ['POST', '/relays'], 'PUT relay': ['PUT', R], 'PUT tenant': ['PUT', T] }
  const base = (k) => k === 'POST /relays' ? { subdomain: sub('h'), plan: 'free' } : {}
  for (const [k, fields] of Object.entries(stringFields)) {
    const [m, p] = routeOf[k]
    for (const f of fields) {
      for (const v of [12, -1, true, null, [], {}, ['x'], 1e300]) {
        add(`${k} ${f} = ${JSON.stringify(v)}`, m, p, { as: A, body: { ...base(k), [f]: v } },
          400, 'bad-request', f)
      }
      add(`${k} ${f} with an escaped NUL`, m, p, { as: A, body: { ...base(k), [f]: 'a\u0000b' } },
        400, 'bad-request', f)
    }
  }
  for (const [k, [m, p]] of Object.entries({ 'POST /relays': ['POST', '/relays'], 'PUT relay': ['PUT', R] })) {
    for (const f of FLAGS) {
      for (const v of ['1', 'true', null, [], {}]) {
        add(`${k} ${f} = ${JSON.stringify(v)}`, m, p, { as: A, body: { ...base(k), [f]: v } },
          400, 'bad-request', f)
      }
      add(`${k} ${f} = -1`, m, p, { as: A, body: { ...base(k), [f]: -1 } }, 422, 'invalid-field', f)
      add(`${k} ${f} = 2`, m, p, { as: A, body: { ...base(k), [f]: 2 } }, 422, 'invalid-field', f)
    }
    const raw = (f, n) => `{${k === 'POST /relays' ? `"subdomain": "${sub('h')}", "plan": "free", ` : ''}"${f}": ${n}}`
    // A number that is not 0 or 1: the spec does not say whether a value
    // that is not an integer, or does not fit one, is a wrong type (400)
    // or a wrong value (422); either is a clear refusal.
    for (const n of ['0.5', '1e400', '18446744073709551616', '-9223372036854775808',
      '99999999999999999999999999999999']) {
      // json-c refuses to parse a double it cannot hold: no field then.
      add(`${k} flag = ${n}`, m, p, { as: A, body: raw('push_enabled', n) }, NUMBER_REFUSED,
        undefined, n === '1e400' ? undefined : 'push_enabled')
    }
  }
  group = 'values'
  // SQL metacharacters where the value must be rejected.
  const sqlText = ["x'; DROP TABLE relay; --", "free' OR '1'='1", '" OR ""="', 'a%_\\']
  for (const s of sqlText) {
    add(`POST /relays subdomain ${s}`, 'POST', '/relays', { as: A, body: { subdomain: s, plan: 'free' } },
      422, 'invalid-subdomain', 'subdomain')
    add(`POST /relays plan ${s}`, 'POST', '/relays', { as: A, body: { subdomain: sub('h'), plan: s } },
      422, 'invalid-plan', 'plan')
    add(`PUT relay plan ${s}`, 'PUT', R, { as: A, body: { plan: s } }, 422, 'invalid-plan', 'plan')
    add(`PUT relay subdomain ${s}`, 'PUT', R, { as: A, body: { subdomain: s } }, 422, 'invalid-subdomain', 'subdomain')
    add(`POST /relays tenant ${s} (owner)`, 'POST', '/relays', { as: A,
      body: { subdomain: sub('h'), plan: 'free', tenant: s } }, 403, 'forbidden')
    add(`POST /relays tenant ${s} (admin)`, 'POST', '/relays', { as: ADMIN,
      body: { subdomain: sub('h'), plan: 'free', tenant: s } }, 409, 'tenant-required')
    add(`PUT tenant nwc_url ${s}`, 'PUT', T, { as: A, body: { nwc_url: s } }, 422, 'invalid-nwc-url', 'nwc_url')
    const e = encodeURIComponent(s)
    add(`GET /relays/${s}`, 'GET', `/relays/${e}`, { as: A }, 404, 'not-found')
    add(`PUT /relays/${s}`, 'PUT', `/relays/${e}`, { as: A, body: { info_name: 'x' } }, 404, 'not-found')
    add(`GET /tenants/${s} (admin)`, 'GET', `/tenants/${e}`, { as: ADMIN }, 404, 'not-found')
    add(`GET /relays?tenant=${s}`, 'GET', `/relays?tenant=${e}`, { as: ADMIN }, 400, 'bad-request', 'tenant')
    add(`activity limit ${s}`, 'GET', `${R}/activity?limit=${e}`, { as: A }, 400, 'bad-request', 'limit')
    add(`activity before ${s}`, 'GET', `${R}/activity?before=${e}`, { as: A }, 400, 'bad-request', 'before')
    add(`GET /plans/${s}`, 'GET', `/plans/${e}`, {}, 404, 'not-found')
  }
  group = 'paths'
  // Path traversal and odd bytes in ids. nginx decodes and normalises the
  // path ($uri) before the API sees it: what resolves inside the API is
  // routed (and authorised) like any path; what climbs above the root or
  // holds a NUL is refused by nginx, which must still answer JSON.
  const BAD_PATH = [[400, 'bad-request'], [404, 'not-found']]
  const traversal = [
    '/relays/..%2F..', '/relays/..%2f..%2fetc%2fpasswd', '/relays/%2e%2e',
    '/relays/%2e%2e%2f%2e%2e%2f%2e%2e', '/tenants/../', '/tenants/../../../etc/passwd',
    `/tenants/..%2F..%2F${A.pk}`, `/tenants/%2e%2e%2f${A.pk}`, `/relays/${RH.id}%00`,
    `/relays/${RH.id}%00.json`, '/relays/%ff%fe', `/relays/${RH.id.toUpperCase()}`,
    `/relays/${RH.id}x`, `/relays/${'a'.repeat(5000)}`,
    `/relays/${RH.id}%5C..%5C..%5Ctenants`, `/relays/${RH.id};`,
  ]
  for (const path of traversal) {
    add(`GET ${path.slice(0, 60)} (admin)`, 'GET', path, { as: ADMIN }, BAD_PATH)
    add(`PUT ${path.slice(0, 60)} (owner)`, 'PUT', path, { as: A, body: { info_name: 'x' } }, BAD_PATH)
    add(`POST ${path.slice(0, 60)}/deactivate (owner)`, 'POST', `${path}/deactivate`, { as: A }, BAD_PATH)
  }
  // Paths that climb back into another route: that route's own rules.
  for (const path of [`/relays/${RH.id}%2F..%2F..%2Ftenants`, `/relays/${RH.id}/..%2F..%2Ftenants`,
    `/relays/${RH.id}/../../tenants`, `/plans/..%2Ftenants`]) {
    add(`GET ${path.slice(0, 60)} (owner)`, 'GET', path, { as: A }, 403, 'forbidden')
    add(`PUT ${path.slice(0, 60)} (owner)`, 'PUT', path, { as: A, body: { info_name: 'x' } },
      405, 'method-not-allowed')
  }
  for (const path of [`/tenants/${B.pk}/..%2F${A.pk}`, `/relays/${RH.id}/..%2F${RH.id}`]) {
    add(`GET ${path.slice(0, 60)} (other tenant)`, 'GET', path, { as: B }, 403, 'forbidden')
  }
  // Malformed hex pubkeys.
  const pubkeys = [A.pk.toUpperCase(), A.pk.slice(1), `${A.pk}0`, `${A.pk.slice(2)}zz`,
    `npub1${A.pk.slice(5)}`]
  // A NUL in the path never reaches the API: nginx refuses it, as JSON.
  const nulPk = `${A.pk.slice(0, 32)}%00${A.pk.slice(32)}`
  add('GET /tenants/<pk with NUL> (owner)', 'GET', `/tenants/${nulPk}`, { as: A }, 400, 'bad-request')
  add('PUT /tenants/<pk with NUL> (admin)', 'PUT', `/tenants/${nulPk}`, { as: ADMIN,
    body: { nwc_url: '' } }, 400, 'bad-request')
  for (const pk of pubkeys) {
    add(`GET /tenants/${pk.slice(0, 10)}… (owner)`, 'GET', `/tenants/${pk}`, { as: A }, 403, 'forbidden')
    add(`GET /tenants/${pk.slice(0, 10)}… (admin)`, 'GET', `/tenants/${pk}`, { as: ADMIN }, 404, 'not-found')
    add(`PUT /tenants/${pk.slice(0, 10)}… (admin)`, 'PUT', `/tenants/${pk}`, { as: ADMIN,
      body: { nwc_url: '' } }, 404, 'not-found')
    add(`GET /relays?tenant=${pk.slice(0, 10)}…`, 'GET', `/relays?tenant=${pk}`, { as: ADMIN },
      400, 'bad-request', 'tenant')
  }
  add('POST /relays tenant upper-case (admin)', 'POST', '/relays', { as: ADMIN,
    body: { subdomain: sub('h'), plan: 'free', tenant: A.pk.toUpperCase() } }, 409, 'tenant-required')

  return cases
}

async function runHostile (group, min) {
  const cases = hostileCases().filter((c) => c.group === group)
  let snapshot = dump()
  const failures = []
  for (const c of cases) {
    try {
      const r = await call(c.method, c.path, c.opts)
      if (Array.isArray(c.status)) {
        const pair = c.status.find(([s]) => s === r.status) ?? c.status[0]
        expectError(r, pair[0], pair[1], { field: c.field })
      } else {
        expectError(r, c.status, c.code, { field: c.field })
      }
      snapshot = sameDump(snapshot, c.name)
    } catch (e) {
      failures.push(`${c.name}: ${e.message.split('\n').slice(0, 3).join(' ')}`)
      snapshot = dump()
    }
  }
  assert.ok(cases.length >= min, `${cases.length} cases`)
  assert.deepEqual(failures, [], `${failures.length} of ${cases.length} hostile ${group} failed`)
}

test('hostile bodies: truncated, oversized, deep, bad UTF-8, NUL, wrong types: 4xx, nothing written',
  () => runHostile('bodies', 200))
test('hostile values: SQL metacharacters in fields, ids and queries: 4xx, nothing written',
  () => runHostile('values', 50))
test('hostile paths: traversal, NUL, bad hex pubkeys: 4xx JSON, nothing written',
  () => runHostile('paths', 50))

// --- 6. envelope, methods and CORS ---

test('public routes: health, plans, plan by id', async () => {
  assert.deepEqual(expectOk(await call('GET', '/health')), { status: 'ok' })
  const plans = expectOk(await call('GET', '/plans'))
  assert.deepEqual(plans, [
    { id: 'free', name: 'Free', amount: 0, members: 10, blossom: false, livekit: false, hidden: false, stripe_price_id: null },
    { id: 'basic', name: 'Basic', amount: 500, members: 100, blossom: true, livekit: true, hidden: false, stripe_price_id: PRICE_BASIC },
    { id: 'growth', name: 'Growth', amount: 2500, members: null, blossom: true, livekit: true, hidden: false, stripe_price_id: PRICE_GROWTH },
  ])
  assert.deepEqual(expectOk(await call('GET', '/plans/growth')), plans[2])
  expectError(await call('GET', '/plans/platinum'), 404, 'not-found')
  expectError(await call('GET', '/no/such/route', { as: A }), 404, 'not-found')
  expectError(await call('GET', '/'), 404, 'not-found')
})

test("Flotilla's field names: answered beside ours, accepted instead of ours", async () => {
  // POST as hosting.ts sends it: plan_id, tenant_pubkey and zooid_domain.
  const subdomain = sub('flo')
  const made = expectOk(await call('POST', '/relays', { as: A, body: {
    subdomain, plan_id: 'free', tenant_pubkey: A.pk, zooid_domain: RELAY_DOMAIN } }), 201)
  assert.equal(made.plan, 'free')
  assert.equal(made.plan_id, 'free')
  assert.equal(made.tenant, A.pk)
  assert.equal(made.tenant_pubkey, A.pk)
  assert.equal(made.zooid_domain, RELAY_DOMAIN)
  const before = dump()
  expectError(await call('POST', '/relays', { as: A, body: { subdomain: sub('two'), plan: 'free', plan_id: 'basic' } }),
    422, 'invalid-field', { field: 'plan_id', match: /plan and plan_id/ })
  expectError(await call('POST', '/relays', { as: A, body: { subdomain: sub('far'), plan_id: 'free', zooid_domain: 'elsewhere.example' } }),
    422, 'invalid-field', { field: 'zooid_domain', match: new RegExp(RELAY_DOMAIN.replace(/\./g, '\\.')) })
  expectError(await call('PUT', `/relays/${made.id}`, { as: A, body: { tenant_pubkey: B.pk } }),
    422, 'invalid-field', { match: /cannot move to another tenant/ })
  sameDump(before, 'conflicting or foreign names')
  // Flotilla's edit form sends the unchanged subdomain with plan_id.
  const edited = expectOk(await call('PUT', `/relays/${made.id}`, { as: A, body: {
    subdomain, plan_id: 'free', info_name: 'Edited in Flotilla', zooid_domain: RELAY_DOMAIN } }))
  assert.equal(edited.info_name, 'Edited in Flotilla')
  assert.equal(edited.plan_id, 'free')

  // The flags Flotilla edits, one at a time as its switches send them,
  // are stored and reach zooid's config (the infra test shows the keys).
  for (const [f, v] of [['policy_public_read', 1], ['policy_public_write', 1],
    ['members_can_invite', 0], ['policy_public_read', 0]]) {
    const rl = expectOk(await call('PUT', `/relays/${made.id}`, { as: A, body: { [f]: v } }))
    assert.equal(rl[f], v, f)
    assert.equal(rl.synced, 0, `${f}: zooid must hear of it`)
    assert.equal(sql(`SELECT ${f} FROM relay WHERE id = ${q(made.id)}`), String(v))
  }
  // Custom domains wait for zooid: "" or null pass, a name is refused.
  const cd = expectOk(await call('PUT', `/relays/${made.id}`, { as: A, body: { custom_domain: '' } }))
  assert.equal(cd.custom_domain, '')
  expectOk(await call('PUT', `/relays/${made.id}`, { as: A, body: { custom_domain: null } }))
  const snap = dump()
  for (const [m, p, body] of [
    ['PUT', `/relays/${made.id}`, { custom_domain: 'relay.example.org' }],
    ['POST', '/relays', { subdomain: sub('cd'), plan_id: 'free', custom_domain: 'relay.example.org' }],
  ]) {
    expectError(await call(m, p, { as: A, body }), 422, 'invalid-field',
      { field: 'custom_domain', match: /custom domains are not available yet/ })
  }
  expectError(await call('PUT', `/relays/${made.id}`, { as: A, body: { custom_domain: 7 } }),
    400, 'bad-request', { field: 'custom_domain' })
  sameDump(snap, 'a custom domain')
})

test('admin lists page with ?limit=N&after=ID and still answer whole without them', async () => {
  for (const who of [A, B]) {
    for (let i = 0; i < 3; i++) await createRelay(who, { subdomain: sub('pg'), plan: 'free' })
  }
  for (const [path, key, tenant] of [['/relays', 'id', null], ['/tenants', 'pubkey', null],
    ['/relays', 'id', A.pk]]) {
    const q = tenant ? `tenant=${tenant}&` : ''
    const whole = expectOk(await call('GET', `${path}${tenant ? `?tenant=${tenant}` : ''}`, { as: ADMIN }))
    assert.ok(whole.length >= 4, `${path}: enough rows to page`)
    // Every page of 3 after the last row of the one before: the whole list, in order.
    const walked = []
    let after = null
    for (let pages = 0; pages < 1000; pages++) {
      const page = expectOk(await call('GET',
        `${path}?${q}limit=3${after ? `&after=${after}` : ''}`, { as: ADMIN }))
      assert.ok(page.length <= 3)
      walked.push(...page)
      if (page.length < 3) break
      after = page[page.length - 1][key]
    }
    assert.deepEqual(walked.map((x) => x[key]), whole.map((x) => x[key]), `${path} ${q}: the pages`)
    // after alone: pages of 100.
    const rest = expectOk(await call('GET', `${path}?${q}after=${whole[0][key]}`, { as: ADMIN }))
    assert.deepEqual(rest.map((x) => x[key]), whole.slice(1, 101).map((x) => x[key]))
  }
  for (const [path, field, bad] of [['/relays', 'limit', 'limit=0'], ['/relays', 'limit', 'limit=1001'],
    ['/relays', 'limit', 'limit=x'], ['/relays', 'after', 'after=XYZ'],
    ['/relays', 'after', `after=${A.pk}`], ['/tenants', 'after', `after=${RA.id}`],
    ['/relays', 'after', `after=${rhex(16)}`], ['/tenants', 'after', `after=${rhex(32)}`]]) {
    expectError(await call('GET', `${path}?${bad}`, { as: ADMIN }), 400, 'bad-request', { field })
  }
  expectError(await call('GET', '/relays?limit=2', { as: A }), 403, 'forbidden')
})

test('churned_at: set when the last paid relay goes away, cleared when one returns', async () => {
  const who = identity()
  const fresh = expectOk(await call('POST', '/tenants', { as: who }))
  assert.equal(fresh.churned_at, null)
  assert.equal(fresh.stripe_payment_method_id, null)
  assert.equal(fresh.stripe_error, '')
  const churned = async () => expectOk(await call('GET', `/tenants/${who.pk}`, { as: who })).churned_at
  const updatedAt = (id) => Number(sql(`SELECT updated_at FROM relay WHERE id = ${q(id)}`))
  await createRelay(who, { subdomain: sub('free'), plan: 'free' })
  assert.equal(await churned(), null, 'a free relay is not a paid one')
  const p1 = await createRelay(who, { subdomain: sub('p1'), plan: 'basic' })
  const p2 = await createRelay(who, { subdomain: sub('p2'), plan: 'basic' })
  expectOk(await call('POST', `/relays/${p1.id}/deactivate`, { as: who }))
  assert.equal(await churned(), null, 'one paid relay is still active')
  expectOk(await call('PUT', `/relays/${p2.id}`, { as: who, body: { plan: 'free' } }))
  assert.equal(await churned(), updatedAt(p2.id), 'the last paid relay moved to the free plan')
  expectOk(await call('POST', `/relays/${p1.id}/reactivate`, { as: who }))
  assert.equal(await churned(), null, 'a paid relay is back')
  expectOk(await call('POST', `/relays/${p1.id}/deactivate`, { as: who }))
  assert.equal(await churned(), updatedAt(p1.id), 'deactivated')
  // Whoever changes a relay (here an operator at the sqlite3 prompt).
  sql(`UPDATE relay SET status = 'active', updated_at = updated_at + 1 WHERE id = ${q(p1.id)}`)
  assert.equal(await churned(), null, 'kept by the schema, not by one route')
})

test('a hidden plan: listed and marked, kept by its relays, chosen by none', async () => {
  const kept = await createRelay(A, { subdomain: sub('kept'), plan: 'free' })
  sql("UPDATE plan SET hidden = 1 WHERE id = 'free'")
  try {
    const free = expectOk(await call('GET', '/plans')).find((p) => p.id === 'free')
    assert.equal(free.hidden, true, 'still listed, marked hidden')
    assert.equal(expectOk(await call('GET', '/plans/free')).hidden, true)
    const before = dump()
    expectError(await call('POST', '/relays', { as: A, body: { subdomain: sub('new'), plan: 'free' } }),
      422, 'invalid-plan', { match: /no longer offered/ })
    sameDump(before, 'creating a relay on a hidden plan')
    // The relay already on it keeps it, and can still be edited.
    const edited = expectOk(await call('PUT', `/relays/${kept.id}`, { as: A, body: { info_name: 'Still here' } }))
    assert.equal(edited.plan, 'free')
    assert.equal(edited.info_name, 'Still here')
  } finally {
    sql("UPDATE plan SET hidden = 0 WHERE id = 'free'")
  }
})

test('unknown methods are 405 with Allow', async () => {
  const cases = [
    ['DELETE', `/relays/${RA.id}`, ['GET', 'PUT', 'OPTIONS']],
    ['PATCH', '/tenants', ['GET', 'POST', 'OPTIONS']],
    ['POST', '/plans', ['GET', 'OPTIONS']],
    ['GET', `/relays/${RA.id}/deactivate`, ['POST', 'OPTIONS']],
    ['PUT', '/identity', ['GET', 'OPTIONS']],
  ]
  for (const [m, p, allow] of cases) {
    const snapshot = dump()
    const r = await call(m, p, { as: A })
    expectError(r, 405, 'method-not-allowed')
    assert.deepEqual((r.headers.allow ?? '').split(/,\s*/).sort(), [...allow].sort(), `${m} ${p}: Allow`)
    sameDump(snapshot, `${m} ${p}`)
  }
})

test('CORS: preflight without auth, allowed origins echoed, others refused', async () => {
  for (const origin of ORIGINS) {
    for (const path of ['/relays', `/relays/${RA.id}`, `/tenants/${A.pk}/stripe/session`, '/plans']) {
      const r = await call('OPTIONS', path, { headers: { origin,
        'access-control-request-method': 'PUT',
        'access-control-request-headers': 'authorization, content-type' } })
      assert.equal(r.status, 204, show(r))
      assert.equal(r.headers['access-control-allow-origin'], origin)
      assert.match(r.headers.vary ?? '', /\bOrigin\b/)
      const methods = (r.headers['access-control-allow-methods'] ?? '').split(/,\s*/)
      for (const m of ['GET', 'POST', 'PUT', 'OPTIONS']) assert.ok(methods.includes(m), `${m} allowed`)
      const hdrs = (r.headers['access-control-allow-headers'] ?? '').toLowerCase().split(/,\s*/)
      assert.ok(hdrs.includes('authorization') && hdrs.includes('content-type'))
      assert.equal(r.headers['access-control-max-age'], '86400')
    }
  }
  // Simple requests: echoed with Vary on success and on errors alike.
  for (const [path, as, status] of [['/plans', null, 200], ['/identity', null, 401],
    [`/tenants/${A.pk}`, A, 200], [`/tenants/${A.pk}`, B, 403]]) {
    const r = await call('GET', path, { as, headers: { origin: ORIGINS[1] } })
    assert.equal(r.status, status, show(r))
    assert.equal(r.headers['access-control-allow-origin'], ORIGINS[1])
    assert.match(r.headers.vary ?? '', /\bOrigin\b/)
  }
  // No Origin: no CORS headers.
  const plain = await call('GET', '/plans')
  assert.equal(plain.headers['access-control-allow-origin'], undefined)
  // A disallowed origin: 403, no ACAO, and nothing written.
  for (const origin of ['https://evil.example', 'https://app.example.com.evil.example',
    'null', `${ORIGINS[0]}/`, ORIGINS[0].toUpperCase()]) {
    for (const [m, p, body] of [['GET', '/plans'], ['OPTIONS', '/relays'],
      ['POST', '/relays', { subdomain: sub('cors'), plan: 'free' }], ['GET', `/tenants/${A.pk}`]]) {
      const snapshot = dump()
      const r = await call(m, p, { as: m === 'OPTIONS' ? null : A, body, headers: { origin } })
      expectError(r, 403, 'forbidden')
      assert.equal(r.headers['access-control-allow-origin'], undefined, `${m} ${p} from ${origin}`)
      sameDump(snapshot, `${m} ${p} from ${origin}`)
    }
  }
})

test('every answer is JSON with charset, and nothing answers with a stack or SQL', async () => {
  const samples = [
    await call('GET', '/health'),
    await call('GET', '/identity', { as: A }),
    await call('GET', '/identity'),
    await call('GET', '/tenants', { as: A }),
    await call('GET', '/nope'),
    await call('POST', '/relays', { as: A, body: { subdomain: 'api', plan: 'free' } }),
    await call('POST', '/relays', { as: A, body: '{' }),
  ]
  for (const r of samples) {
    assert.equal(r.headers['content-type'], JSON_CT, show(r))
    assert.ok(!/sqlite|SELECT|INSERT|\.c:\d|Traceback|stack/i.test(r.text), show(r))
    assert.ok(!r.text.includes(STRIPE_KEY))
  }
})

// --- faults: a full disk (issue "Hardening" §6) ---

test('disk full: every write is 503 with a sentence and changes nothing, reads go on; when space returns the same calls succeed, once', async () => {
  const D = identity() // a tenant made before the disk fills
  const E = identity() // a signer who becomes a tenant only afterwards
  expectOk(await call('POST', '/tenants', { as: D }))
  const R = await createRelay(D, { subdomain: sub('full'), plan: 'basic' })
  const newSub = sub('full')
  const writes = [
    ['POST', '/tenants', E, undefined],
    ['POST', '/relays', D, { subdomain: newSub, plan: 'basic' }],
    ['PUT', `/relays/${R.id}`, D, { info_name: 'Renamed on a full disk' }],
    ['POST', `/relays/${R.id}/deactivate`, D, undefined],
    ['PUT', `/tenants/${D.pk}`, D, { nwc_url: '' }],
  ]
  const before = dump()
  writeFileSync(DISK_FULL, '')
  try {
    for (const [method, path, as, body] of writes) {
      const r = await call(method, path, { as, body })
      expectError(r, 503, 'unavailable', { match: /disk is full or failing\); nothing was changed/ })
    }
    // Reading needs no space.
    assert.equal(expectOk(await call('GET', `/relays/${R.id}`, { as: D })).id, R.id)
    expectOk(await call('GET', '/plans'))
    expectOk(await call('GET', `/tenants/${D.pk}/relays`, { as: D }))
    sameDump(before, 'writes on a full disk')
  } finally {
    unlinkSync(DISK_FULL)
  }

  // Space is back: the same processes answer the same calls, no restart.
  const t = expectOk(await call('POST', '/tenants', { as: E }))
  assert.equal(t.pubkey, E.pk)
  assert.equal(customerCalls(E.pk).length, 1, 'one Stripe customer for E, however many tries')
  const made = await createRelay(D, { subdomain: newSub, plan: 'basic' })
  assert.equal(made.subdomain, newSub)
  const renamed = expectOk(await call('PUT', `/relays/${R.id}`, { as: D, body: { info_name: 'Renamed' } }))
  assert.equal(renamed.info_name, 'Renamed')
  assert.equal(count(`SELECT count(*) FROM relay WHERE subdomain = ${q(newSub)}`), 1)
  assert.equal(sql('PRAGMA integrity_check'), 'ok')
})
