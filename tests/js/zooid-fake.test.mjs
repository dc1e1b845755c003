// The fake zooid (tests/fakes/zooid.mjs) rejects what real zooid rejects,
// with zooid's statuses and messages (research/zooid-api.md §1.2, §2,
// §3.3, §4.4), and its control hooks work. Requests are signed here with
// nostr-tools, never with Caravel's C code. Run by
// tests/e2e/t0600-zooid-fake.sh.
import { test, before, after, beforeEach } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createHash } from 'node:crypto'
import http from 'node:http'

import { generateSecretKey, getPublicKey, finalizeEvent } from 'nostr-tools/pure'

const hex = (b) => Buffer.from(b).toString('hex')
const now = () => Math.floor(Date.now() / 1000)

const admin = generateSecretKey()
const adminPk = getPublicKey(admin)
const stranger = generateSecretKey()
const owner = getPublicKey(generateSecretKey())
const relaySk = hex(generateSecretKey())
const relayPk = getPublicKey(Buffer.from(relaySk, 'hex'))

let fake, port, dir, logPath

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'zooid-fake-'))
  logPath = join(dir, 'zooid.log')
  fake = spawn(process.execPath,
    [new URL('../fakes/zooid.mjs', import.meta.url).pathname], {
      env: { ...process.env, ZOOID_FAKE_WHITELIST: ` ${adminPk} , ,`,
        ZOOID_FAKE_LOG: logPath },
      stdio: ['ignore', 'pipe', 'inherit'],
    })
  const line = await new Promise((resolve, reject) => {
    createInterface({ input: fake.stdout }).once('line', resolve)
    fake.once('exit', (c) => reject(new Error(`fake exited ${c}`)))
  })
  port = Number(/^listening (\d+)$/.exec(line)[1])
})

after(() => {
  fake.kill('SIGTERM')
  rmSync(dir, { recursive: true, force: true })
})

beforeEach(async () => {
  await control({ reset: true })
})

const API = () => `127.0.0.1:${port}`

function request (method, path, { auth, body, host, headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    const h = { Host: host ?? API(), ...headers }
    if (auth !== undefined) h.Authorization = auth
    const data = body === undefined ? undefined
      : Buffer.isBuffer(body) || typeof body === 'string' ? body
        : JSON.stringify(body)
    if (data !== undefined) h['Content-Type'] = 'application/json'
    const req = http.request({ host: '127.0.0.1', port, method, path,
      headers: h, agent: false }, (res) => {
      const chunks = []
      res.on('data', (c) => chunks.push(c))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        let json = null
        try { json = JSON.parse(text) } catch { }
        resolve({ status: res.statusCode, headers: res.headers, text, json })
      })
    })
    req.on('error', reject)
    if (data !== undefined) req.write(data)
    req.end()
  })
}

const control = async (c) => {
  const r = await request('POST', '/__control', { body: c })
  assert.equal(r.status, 200, r.text)
}
const state = async () => (await request('GET', '/__state')).json

// A NIP-98 event as zooid's own tests make it (§6), with overrides.
function event (sk, url, method, { kind = 27235, tags, created_at, content = '', body } = {}) {
  const t = tags ?? [['u', url], ['method', method]]
  if (body !== undefined) {
    const raw = typeof body === 'string' ? body : JSON.stringify(body)
    t.push(['payload', createHash('sha256').update(raw).digest('hex')])
  }
  return finalizeEvent({ kind, tags: t, content, created_at: created_at ?? now() }, sk)
}
const b64 = (ev) => Buffer.from(typeof ev === 'string' ? ev : JSON.stringify(ev)).toString('base64')
const header = (ev) => `Nostr ${b64(ev)}`

function signed (method, path, opts = {}) {
  const url = opts.url ?? `http://${API()}${path.split('?')[0]}`
  return header(event(opts.sk ?? admin, url, opts.tagMethod ?? method, opts))
}

async function call (method, path, body, opts = {}) {
  return request(method, path, { body, auth: signed(method, path, { ...opts, body }),
    headers: opts.headers })
}

function config (n, over = {}) {
  return {
    host: `r${n}.relays.test`, schema: `relay_${n}`, secret: relaySk,
    info: { name: `Relay ${n}`, icon: '', description: '', pubkey: owner },
    ...over,
  }
}

// --- §1.1, §2.6 host routing and the mux, before any auth ---

test('another Host gets the plain 404, without auth', async () => {
  const r = await request('POST', '/relay/a', { host: 'relay.example.com', body: config(1) })
  assert.equal(r.status, 404)
  assert.equal(r.text, '404 page not found\n')
  assert.match(r.headers['content-type'], /^text\/plain/)
})

test('the mux answers 404 and 405 in plain text before auth', async () => {
  let r = await request('GET', '/relay/test')
  assert.equal(r.status, 405)
  assert.equal(r.text, 'Method Not Allowed\n')
  assert.equal(r.headers.allow, 'DELETE, PATCH, POST, PUT')
  r = await request('POST', '/relay/loaded/members')
  assert.equal(r.status, 405)
  assert.equal(r.headers.allow, 'GET, HEAD')
  for (const p of ['/invalid/path', '/relay/', '/relay/a/b', '/relay/a/'])
    assert.equal((await request('POST', p)).status, 404, p)
})

// --- §1.2 NIP-98 in zooid's order ---

function padded (path) {
  // An event whose base64 ends in padding, so stripping it is detectable.
  for (let i = 0; ; i++) {
    const s = b64(event(admin, `http://${API()}${path}`, 'POST', { content: 'x'.repeat(i) }))
    if (s.endsWith('=')) return s
  }
}
function urlSafe (path) {
  for (let i = 0; ; i++) {
    const s = b64(event(admin, `http://${API()}${path}`, 'POST', { content: '?'.repeat(i) + '>' }))
    if (/[+/]/.test(s)) return s
  }
}

test('authentication failures: 401 with zooid\'s message at each step', async () => {
  const u = `http://${API()}/relay/a1`
  const nopad = padded('/relay/a1').replace(/=+$/, '')
  const safe = urlSafe('/relay/a1')
  const bad = event(admin, u, 'POST')
  bad.content = 'changed after signing'
  const unsigned = { ...event(admin, u, 'POST'), sig: '0'.repeat(128) }
  const wrongId = { ...event(admin, u, 'POST'), id: 'f'.repeat(64) }
  const offCurve = { ...event(admin, u, 'POST'), pubkey: 'f'.repeat(64) }
  const cases = [
    [undefined, 'missing authorization header'],
    ['', 'missing authorization header'],
    ['Bearer token123', 'invalid authorization header format'],
    ['Nostr', 'invalid authorization header format'],
    ['Nostr not-valid-base64!!!', 'invalid base64 encoding: illegal base64 data at input byte 3'],
    [`Nostr ${nopad}`, `invalid base64 encoding: illegal base64 data at input byte ${nopad.length - nopad.length % 4}`],
    [`Nostr ${safe.replace(/\+/g, '-').replace(/\//g, '_')}`,
      `invalid base64 encoding: illegal base64 data at input byte ${safe.search(/[+/]/)}`],
    [`Nostr ${b64(event(admin, u, 'POST'))}`.replace(' ', '  '), 'invalid base64 encoding: illegal base64 data at input byte 0'],
    [`Nostr ${b64('hello')}`, /^invalid event json: /],
    [header(offCurve), /^invalid event json: /],
    [header({ ...event(admin, u, 'POST'), sig: 'abc' }), /^invalid event json: /],
    [header(event(admin, u, 'POST', { kind: 1 })), 'invalid event kind: expected 27235, got 1'],
    [header(bad), 'invalid event signature'],
    [header(unsigned), 'invalid event signature'],
    [header(wrongId), 'invalid event signature'],
    [header(event(admin, u, 'POST', { tags: [['method', 'POST']] })), 'event missing or invalid u tag'],
    [header(event(admin, `${u}?x=1`, 'POST')), 'event missing or invalid u tag'],
    [header(event(admin, `${u}/`, 'POST')), 'event missing or invalid u tag'],
    [header(event(admin, `http://zooid.example.com/relay/a1`, 'POST')), 'event missing or invalid u tag'],
    [header(event(admin, `https://${API()}/relay/a1`, 'POST')), 'event missing or invalid u tag'],
    [header(event(admin, u, 'POST', { tags: [['u', u]] })), 'event missing or invalid method tag'],
    [header(event(admin, u, 'PUT')), 'event missing or invalid method tag'],
    // Authentication comes first: a stranger who signs badly gets 401.
    [header({ ...event(stranger, u, 'POST'), content: 'x' }), 'invalid event signature'],
  ]
  for (const [auth, msg] of cases) {
    const r = await request('POST', '/relay/a1?x=1', { auth, body: config(1) })
    assert.equal(r.status, 401, `${auth}: ${r.text}`)
    assert.match(r.headers['content-type'], /^application\/json/)
    assert.ok(r.text.endsWith('\n'))
    assert.deepEqual(Object.keys(r.json), ['error'])
    if (typeof msg === 'string') assert.equal(r.json.error, msg, auth)
    else assert.match(r.json.error, msg, auth)
  }
  assert.deepEqual((await state()).relays, {}, 'nothing was stored')
})

test('a stranger\'s valid signature is 403; the whitelist is verbatim', async () => {
  let r = await call('POST', '/relay/a1', config(1), { sk: stranger })
  assert.equal(r.status, 403)
  assert.deepEqual(r.json, { error: 'pubkey not in whitelist' })
  await control({ whitelist: adminPk.toUpperCase() })
  r = await call('POST', '/relay/a1', config(1))
  assert.equal(r.status, 403)
  await control({ whitelist: [] })
  assert.equal((await call('POST', '/relay/a1', config(1))).status, 403)
})

test('what zooid accepts: query ignored, scheme word and method tag any case, X-Forwarded-Proto', async () => {
  // The "u" tag never holds the query (§1.2 step 7).
  assert.equal((await call('POST', '/relay/q1?dry=1', config(1))).status, 201)
  const ev = event(admin, `http://${API()}/relay/q2`, 'post')
  let r = await request('POST', '/relay/q2', { auth: `NOSTR ${b64(ev)}`, body: config(2) })
  assert.equal(r.status, 201, r.text)
  r = await call('POST', '/relay/q3', config(3), {
    url: `https://${API()}/relay/q3`, headers: { 'X-Forwarded-Proto': 'https' } })
  assert.equal(r.status, 201, r.text)
  r = await call('POST', '/relay/q4', config(4), {
    url: `https://${API()}/relay/q4`, headers: { 'X-Forwarded-Proto': 'HTTPS' } })
  assert.equal(r.status, 401, 'only exactly "https" counts')
  await control({ trust_forwarded_proto: false })
  r = await call('POST', '/relay/q4', config(4), {
    url: `https://${API()}/relay/q4`, headers: { 'X-Forwarded-Proto': 'https' } })
  assert.equal(r.json.error, 'event missing or invalid u tag')
})

test('ids and created_at: strict by default, zooid\'s leniency on demand, era E window', async () => {
  const u = `http://${API()}/relay/i1`
  const wrongId = { ...event(admin, u, 'POST'), id: 'f'.repeat(64) }
  await control({ strict_id: false })
  let r = await request('POST', '/relay/i1', { auth: header(wrongId), body: config(1) })
  assert.equal(r.status, 201, 'zooid recomputes the id and ignores the field')
  const old = now() - 3600
  r = await call('POST', '/relay/i2', config(2), { created_at: old })
  assert.equal(r.status, 201, 'eras A-D never look at created_at')
  await control({ era: 'E' })
  r = await call('POST', '/relay/i3', config(3), { created_at: old })
  assert.equal(r.status, 401)
  assert.equal(r.json.error, 'event created_at is too far from the current time')
  assert.equal((await call('POST', '/relay/i3', config(3))).status, 201)
})

// --- §2.1 create, §3.3 validation ---

test('create: 201, stored normalised, then 409 for the same id whatever the body', async () => {
  const body = config(1, { secret: relaySk.toUpperCase(), livekit: { url: 'wss://lk' } })
  let r = await call('POST', '/relay/a1', body)
  assert.equal(r.status, 201)
  assert.equal(r.text, '{"message":"relay created successfully"}\n')
  const s = await state()
  const c = s.relays.a1
  assert.equal(c.secret, relaySk, 'secret written back as lower-case hex')
  assert.equal(c.blossom.adapter, 'local')
  assert.equal(c.inactive, false)
  assert.deepEqual(c.livekit, { server_url: '', api_key: '', api_secret: '' })
  assert.deepEqual(c.roles, {})
  assert.deepEqual(s.members.a1, [relayPk, owner].sort())
  r = await call('POST', '/relay/a1', 'not json')
  assert.equal(r.status, 409)
  assert.deepEqual(r.json, { error: 'relay with this id already exists' })
  r = await call('POST', '/relay/a2', config(2, { schema: 'relay_1' }))
  assert.deepEqual([r.status, r.json.error], [409, 'schema "relay_1" is already in use'])
  r = await call('POST', '/relay/a2', config(2, { host: 'r1.relays.test' }))
  assert.deepEqual([r.status, r.json.error], [409, 'host "r1.relays.test" is already in use'])
  r = await call('POST', '/relay/a2', config(1))
  assert.equal(r.json.error, 'schema "relay_1" is already in use', 'schema is compared first')
  const log = readFileSync(logPath, 'utf8').trim().split('\n').map((l) => JSON.parse(l))
  assert.deepEqual(log[0].unknown_keys, ['livekit.url'])
  assert.ok(log[0].body_keys.includes('secret'))
  assert.equal(log[0].payload, 'ok')
  assert.equal(log[0].auth, 'ok')
  assert.equal(log[0].pubkey, adminPk)
})

test('create: bad bodies get 400 with zooid\'s message, in zooid\'s order', async () => {
  const big = config(9, { info: { name: 'x'.repeat(1 << 20), pubkey: owner } })
  const cases = [
    ['not json', /^invalid json config: /],
    [[], 'invalid json config: json: cannot unmarshal array into Go value of type main.Config'],
    [config(1, { host: 5 }), 'invalid json config: json: cannot unmarshal number into Go struct field Config.host of type string'],
    [config(1, { blossom: { enabled: 'yes' } }), 'invalid json config: json: cannot unmarshal string into Go struct field Config.blossom.enabled of type bool'],
    [config(1, { roles: { admin: { pubkeys: 'x' } } }), 'invalid json config: json: cannot unmarshal string into Go struct field Config.roles.admin.pubkeys of type []string'],
    [big, 'invalid json config: http: request body too large'],
    [{ host: 'relay.example.com' }, 'schema is required'],
    [config(1, { host: '' }), 'host is required'],
    [config(1, { host: undefined, schema: 'BAD' }), 'host is required'],
    [config(1, { schema: 'MyRelay' }), 'schema must contain only lowercase letters, numbers, and underscores'],
    [config(1, { schema: 'relay-1' }), 'schema must contain only lowercase letters, numbers, and underscores'],
    [config(1, { schema: '1relay' }), 'schema must contain only lowercase letters, numbers, and underscores'],
    [config(1, { secret: 'not-a-valid-hex-key' }),
      `invalid secret key: '${'not-a-valid-hex-key'.padStart(64, '0')}' is not valid hex: encoding/hex: invalid byte: U+006E 'n'`],
    [config(1, { secret: '' }), 'invalid secret key: invalid secret key'],
    [config(1, { secret: '0'.repeat(64) }), 'invalid secret key: invalid secret key'],
    [config(1, { secret: `${relaySk}0` }), `invalid secret key: secret key should be at most 64-char hex, got '${relaySk}0'`],
    [config(1, { info: { name: 'x' } }), "invalid info.pubkey: pubkey should be 64-char hex, got ''"],
    [config(1, { info: { pubkey: 'not-a-valid-pubkey' } }), "invalid info.pubkey: pubkey should be 64-char hex, got 'not-a-valid-pubkey'"],
    [config(1, { blossom: { adapter: 's3', s3: { region: 'r', access_key: 'a', secret_key: 's' } } }),
      'blossom.s3.bucket is required when blossom.adapter is s3'],
    [config(1, { blossom: { adapter: 's3', s3: { bucket: 'b', access_key: 'a', secret_key: 's' } } }),
      'blossom.s3.region is required when blossom.adapter is s3'],
    [config(1, { blossom: { adapter: 's3', s3: { bucket: 'b', region: 'r', secret_key: 's' } } }),
      'blossom.s3.access_key is required when blossom.adapter is s3'],
    [config(1, { blossom: { adapter: 's3', s3: { bucket: 'b', region: 'r', access_key: 'a' } } }),
      'blossom.s3.secret_key is required when blossom.adapter is s3'],
    [config(1, { blossom: { enabled: false, adapter: 's3' } }), 'blossom.s3.bucket is required when blossom.adapter is s3'],
    [config(1, { blossom: { adapter: 'gcs' } }), 'invalid blossom adapter'],
    [config(1, { blossom: { adapter: 'S3' } }), 'invalid blossom adapter'],
  ]
  for (const [body, msg] of cases) {
    const r = await call('POST', '/relay/v1', body)
    assert.equal(r.status, 400, `${JSON.stringify(body).slice(0, 200)}: ${r.text}`)
    if (typeof msg === 'string') assert.equal(r.json.error, msg)
    else assert.match(r.json.error, msg)
  }
  assert.deepEqual((await state()).relays, {}, 'nothing was stored')
  // The log has the keys but never a secret value, even of rejected bodies.
  const text = readFileSync(logPath, 'utf8')
  assert.ok(!text.includes(relaySk))
})

test('Go decoding: keys match case-insensitively, short secrets are left-padded, null is a zero value', async () => {
  const body = { HOST: 'ci.relays.test', Schema: 'ci', SECRET: '1', inactive: null,
    Info: { PubKey: owner }, blossom: { adapter: 's3', s3: { BUCKET: 'b', region: 'r', access_key: 'a', secret_key: 'shh' } } }
  const r = await call('POST', '/relay/ci', body)
  assert.equal(r.status, 201, r.text)
  const c = (await state()).relays.ci
  assert.equal(c.host, 'ci.relays.test')
  assert.equal(c.secret, '1'.padStart(64, '0'))
  assert.equal(c.inactive, false)
  assert.equal(c.blossom.s3.bucket, 'b')
  const text = readFileSync(logPath, 'utf8')
  assert.ok(!text.includes('shh'), 'the S3 secret is never logged')
  assert.ok(text.includes('[redacted]'))
})

// --- §2.2 PUT, §2.3 PATCH, §2.4 DELETE ---

test('PUT replaces the whole config; missing ids are 404 (409 in era C)', async () => {
  assert.equal((await call('POST', '/relay/p1', config(1, { policy: { public_join: true } }))).status, 201)
  assert.equal((await call('POST', '/relay/p2', config(2))).status, 201)
  let r = await call('PUT', '/relay/p1', config(1, { info: { name: 'New', pubkey: owner } }))
  assert.deepEqual([r.status, r.json], [200, { message: 'relay updated successfully' }])
  const c = (await state()).relays.p1
  assert.equal(c.info.name, 'New')
  assert.equal(c.policy.public_join, false, 'omitted fields become zero values')
  r = await call('PUT', '/relay/p1', config(1, { schema: 'relay_2' }))
  assert.deepEqual([r.status, r.json.error], [409, 'schema "relay_2" is already in use'])
  r = await call('PUT', '/relay/p1', config(1, { secret: undefined }))
  assert.deepEqual([r.status, r.json.error], [400, 'invalid secret key: invalid secret key'])
  r = await call('PUT', '/relay/nonexistent', config(3))
  assert.deepEqual([r.status, r.json], [404, { error: 'relay not found' }])
  await control({ era: 'C' })
  r = await call('PUT', '/relay/nonexistent', config(3))
  assert.deepEqual([r.status, r.json], [409, { error: 'relay not found' }])
})

test('PATCH merges (null deletes, arrays replace), keeps the secret, validates the result', async () => {
  const roles = { admin: { pubkeys: [owner], can_manage: true } }
  assert.equal((await call('POST', '/relay/m1', config(1, { roles, info: { name: 'A', icon: 'i', description: 'd', pubkey: owner } }))).status, 201)
  assert.equal((await call('POST', '/relay/m2', config(2))).status, 201)
  let r = await call('PATCH', '/relay/m1', { info: { name: 'B', icon: null }, policy: { public_join: true } })
  assert.deepEqual([r.status, r.json], [200, { message: 'relay patched successfully' }])
  const other = getPublicKey(generateSecretKey())
  r = await call('PATCH', '/relay/m1', { roles: { admin: { pubkeys: [other] } } })
  assert.equal(r.status, 200)
  let s = await state()
  const c = s.relays.m1
  assert.deepEqual(c.info, { name: 'B', icon: '', description: 'd', pubkey: owner })
  assert.equal(c.policy.public_join, true)
  assert.equal(c.secret, relaySk, 'the stored secret survives a PATCH without one')
  assert.deepEqual(c.roles.admin, { pubkeys: [other], can_invite: false, can_manage: true })
  assert.deepEqual(s.members.m1, [relayPk, owner, other].sort(), 'members are never removed')
  const bad = [
    [{ host: null }, 400, 'host is required'],
    [{ schema: 'relay_2' }, 409, 'schema "relay_2" is already in use'],
    [{ host: 'r2.relays.test' }, 409, 'host "r2.relays.test" is already in use'],
    [{ secret: 'not-a-valid-hex-key' }, 400, /^invalid secret key: '0+not-a-valid-hex-key' is not valid hex/],
    [{ inactive: 'yes' }, 400, 'invalid json config: json: cannot unmarshal string into Go struct field Config.inactive of type bool'],
    [[1], 400, /^invalid json config: /],
    ['nope', 400, /^invalid json config: /],
  ]
  for (const [patch, status, msg] of bad) {
    r = await call('PATCH', '/relay/m1', patch)
    assert.equal(r.status, status, `${JSON.stringify(patch)}: ${r.text}`)
    if (typeof msg === 'string') assert.equal(r.json.error, msg)
    else assert.match(r.json.error, msg)
  }
  assert.deepEqual((await state()).relays.m1, c, 'failed patches change nothing')
  r = await call('PATCH', '/relay/nonexistent', { inactive: true })
  assert.deepEqual([r.status, r.json], [404, { error: 'relay not found' }])
})

test('era C: PATCH without the secret fails, missing ids are 409', async () => {
  assert.equal((await call('POST', '/relay/c1', config(1))).status, 201)
  await control({ era: 'C' })
  let r = await call('PATCH', '/relay/c1', { inactive: true })
  assert.deepEqual([r.status, r.json], [400, { error: 'invalid secret key: invalid secret key' }])
  r = await call('PATCH', '/relay/c1', { inactive: true, secret: relaySk })
  assert.equal(r.status, 200)
  assert.equal((await state()).relays.c1.inactive, true)
  r = await call('PATCH', '/relay/gone', { secret: relaySk })
  assert.deepEqual([r.status, r.json], [409, { error: 'relay not found' }])
  r = await call('DELETE', '/relay/gone')
  assert.deepEqual([r.status, r.json], [409, { error: 'relay not found' }])
})

test('DELETE removes the relay and its members; a second DELETE is 404', async () => {
  assert.equal((await call('POST', '/relay/d1', config(1))).status, 201)
  let r = await call('DELETE', '/relay/d1')
  assert.deepEqual([r.status, r.json], [200, { message: 'relay deleted successfully' }])
  const s = await state()
  assert.deepEqual([s.relays, s.members, s.deleted], [{}, {}, ['d1']])
  r = await call('DELETE', '/relay/d1')
  assert.deepEqual([r.status, r.json], [404, { error: 'relay not found' }])
  assert.equal((await call('POST', '/relay/d2', config(1))).status, 201, 'its schema and host are free again')
})

// --- §2.5 members ---

test('members: sorted and unique, seeded on load, control hooks, unknown ids by era', async () => {
  const extra = getPublicKey(generateSecretKey())
  const roles = { admin: { pubkeys: [extra, 'junk'] }, member: { pubkeys: [getPublicKey(generateSecretKey())] } }
  assert.equal((await call('POST', '/relay/g1', config(1, { roles, inactive: true }))).status, 201)
  let r = await call('GET', '/relay/g1/members')
  assert.equal(r.status, 200)
  assert.deepEqual(r.json, { members: [relayPk, owner, extra].sort() })
  const joined = getPublicKey(generateSecretKey())
  await control({ members_add: { g1: [joined, owner] }, members_remove: { g1: [extra] } })
  r = await call('GET', '/relay/g1/members')
  assert.deepEqual(r.json.members, [relayPk, owner, joined].sort())
  r = await call('GET', '/relay/missing/members')
  assert.deepEqual([r.status, r.json], [404, { error: 'relay not found' }])
  await control({ era: 'C' })
  r = await call('GET', '/relay/missing/members')
  assert.equal(r.status, 500)
  assert.match(r.json.error, /^failed to load relay members: .*no such file or directory$/)
  r = await call('GET', '/relay/g1/members', undefined, { tagMethod: 'POST' })
  assert.equal(r.json.error, 'event missing or invalid method tag')
})

// --- faults and the log ---

test('faults: fail_next, reply_next, delay_ms, seed and forget', async () => {
  await control({ fail_next: 500 })
  let r = await call('POST', '/relay/f1', config(1))
  assert.deepEqual([r.status, r.json], [500, { error: 'failed to write config: disk full' }])
  assert.deepEqual((await state()).relays, {})
  await control({ fail_next: 503, fail_error: 'busy', fail_method: 'PATCH' })
  assert.equal((await call('POST', '/relay/f1', config(1))).status, 201, 'only a PATCH takes it')
  r = await call('PATCH', '/relay/f1', {})
  assert.deepEqual([r.status, r.json], [503, { error: 'busy' }])
  await control({ reply_next: { status: 200, body: '<html>', content_type: 'text/html' } })
  r = await call('GET', '/relay/f1/members')
  assert.deepEqual([r.status, r.text, r.headers['content-type']], [200, '<html>', 'text/html'])
  await control({ delay_ms: 300 })
  const t0 = Date.now()
  assert.equal((await call('GET', '/relay/f1/members')).status, 200)
  assert.ok(Date.now() - t0 >= 290)
  await control({ forget_relays: ['f1'], seed_relays: { s1: config(5) } })
  const s = await state()
  assert.deepEqual(Object.keys(s.relays), ['s1'])
  assert.deepEqual(s.deleted, [], 'forgotten, not deleted')
  r = await call('PATCH', '/relay/f1', {})
  assert.equal(r.status, 404)
})

test('drop_after_write: the create is stored but the answer never comes', async () => {
  await control({ drop_after_write: 'close' })
  await assert.rejects(call('POST', '/relay/x1', config(1)), /socket hang up|ECONNRESET/)
  assert.ok((await state()).relays.x1, 'zooid accepted it before the crash')
  const r = await call('POST', '/relay/x1', config(1))
  assert.equal(r.json.error, 'relay with this id already exists')
  const log = (await request('GET', '/__log')).json
  assert.equal(log[0].dropped, 'close')
  assert.equal(log[0].status, 201)
})
