// Cross test (spec/testing.md layer 2): Caravel's BOLT #11 decoder
// (src/bolt11.c, driven through `tests/nostrcli bolt11`) against the npm
// bolt11 package 1.4.1, which makes and signs the invoices. Run by
// tests/e2e/t0310-bolt11.sh; by hand, from the source tree:
//
//   NOSTRCLI=build/tests/nostrcli node --test tests/js/bolt11.test.mjs
//
// (or CARAVEL_BUILDDIR=build). The invoices come from a seeded generator:
// BOLT11_SEED=N repeats a run, BOLT11_COUNT=N sets how many invoices.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { accessSync, constants } from 'node:fs'
import { createECDH } from 'node:crypto'
import { join } from 'node:path'

import bolt11 from 'bolt11'

const CLI = process.env.NOSTRCLI ||
  (process.env.CARAVEL_BUILDDIR && join(process.env.CARAVEL_BUILDDIR, 'tests', 'nostrcli'))
assert.ok(CLI, 'set NOSTRCLI or CARAVEL_BUILDDIR to find the built tests/nostrcli')
accessSync(CLI, constants.X_OK)

const SEED = Number(process.env.BOLT11_SEED || Math.floor(Math.random() * 2 ** 32)) >>> 0
const COUNT = Number(process.env.BOLT11_COUNT || 250)
const MSATS_MAX = 2100000000000000000n // 21 million bitcoin
const CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l'

// Networks as the package describes them (its own, not exported).
const NETWORKS = {
  bc: { bech32: 'bc', pubKeyHash: 0x00, scriptHash: 0x05, validWitnessVersions: [0, 1] },
  tb: { bech32: 'tb', pubKeyHash: 0x6f, scriptHash: 0xc4, validWitnessVersions: [0, 1] },
  bcrt: { bech32: 'bcrt', pubKeyHash: 0x6f, scriptHash: 0xc4, validWitnessVersions: [0, 1] },
}

// mulberry32: small, seedable, good enough to pick test cases.
function prng (seed) {
  let a = seed >>> 0
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const r = {
    float: next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)), // inclusive
    chance: (p) => next() < p,
    pick: (list) => list[Math.floor(next() * list.length)],
    bytes: (n) => Buffer.from(Array.from({ length: n }, () => Math.floor(next() * 256))),
    hex: (n) => r.bytes(n).toString('hex'),
    // uniform enough in [1, max] for test amounts
    big: (max) => {
      let v = 0n
      for (let i = 0; i < 4; i++) v = (v << 32n) | BigInt(Math.floor(next() * 2 ** 32))
      return 1n + (v % max)
    },
  }
  return r
}

function keypair (rnd) {
  for (;;) {
    const ecdh = createECDH('secp256k1')
    const sk = rnd.bytes(32)
    try {
      ecdh.setPrivateKey(sk)
    } catch {
      continue // zero or above the group order: draw again
    }
    // all 32 bytes: getPrivateKey() would drop leading zeros
    return { sk: sk.toString('hex'), pk: ecdh.getPublicKey('hex', 'compressed') }
  }
}

// An amount for each multiplier the package picks (millisatToHrp): the
// largest unit that divides it, so the trailing zeros decide the letter.
const UNITS = { '': 100000000000n, m: 100000000n, u: 100000n, n: 100n, p: 1n }
const NEXT = { m: 100000000000n, u: 100000000n, n: 100000n, p: 100n }
function amount (rnd, unit) {
  const per = UNITS[unit]
  for (;;) {
    const v = rnd.big(MSATS_MAX / per) * per
    if (unit === '' || v % NEXT[unit] !== 0n) return v
  }
}

// Descriptions of 0 to 639 bytes of UTF-8, mixing 1- to 4-byte characters.
const PIECES = ['a', 'Z', ' ', '0', '"', '\\', '<', 'é', 'ß', '€', 'ナ', '杯', '😀', '\u2028']
function description (rnd) {
  const budget = rnd.pick([0, 1, 12, 80, 300, 639])
  let s = ''
  for (;;) {
    const c = rnd.pick(PIECES)
    if (Buffer.byteLength(s + c) > budget) return s
    s += c
  }
}

function features (rnd, secret) {
  const f = { word_length: undefined }
  for (const name of ['var_onion_optin', 'payment_secret', 'basic_mpp']) {
    if (rnd.chance(0.6)) f[name] = { required: rnd.chance(0.5), supported: true }
  }
  if (secret && !f.payment_secret) f.payment_secret = { required: false, supported: true }
  if (rnd.chance(0.3)) {
    // features 20 and up: only odd ones (and 24 and 48, known even)
    const bits = Array(rnd.int(1, 90)).fill(false)
    for (let i = 1; i < bits.length; i += 2) bits[i] = rnd.chance(0.2)
    if (bits.length > 4 && rnd.chance(0.3)) bits[4] = true
    if (bits.length > 28 && rnd.chance(0.3)) bits[28] = true
    f.extra_bits = { start_bit: 20, bits, has_required: false }
  }
  return f
}

function shuffle (rnd, list) {
  for (let i = list.length - 1; i > 0; i--) {
    const j = rnd.int(0, i)
    ;[list[i], list[j]] = [list[j], list[i]]
  }
  return list
}

// One random invoice: its string and what it was made with.
function invoice (rnd, i) {
  const key = keypair(rnd)
  const network = rnd.pick(Object.keys(NETWORKS))
  const unit = ['', 'm', 'u', 'n', 'p', null][i % 6]
  const msats = unit === null
    ? null
    : i === 4 ? 1n : i % 37 === 4 ? MSATS_MAX : amount(rnd, unit)
  const tags = [{ tagName: 'payment_hash', data: rnd.hex(32) }]
  const hasDesc = rnd.chance(0.8)
  if (hasDesc) tags.push({ tagName: 'description', data: description(rnd) })
  if (!hasDesc || rnd.chance(0.2)) tags.push({ tagName: 'purpose_commit_hash', data: rnd.hex(32) })
  const expiry = rnd.chance(0.3)
    ? null
    : rnd.pick([0, 1, 60, 3600, 86400, rnd.int(1, 2 ** 31), rnd.int(1, 2 ** 40)])
  if (expiry !== null) tags.push({ tagName: 'expire_time', data: expiry })
  if (rnd.chance(0.6)) tags.push({ tagName: 'min_final_cltv_expiry', data: rnd.int(0, 1000000) })
  if (rnd.chance(0.4)) {
    const code = rnd.pick([0, 17, 18])
    tags.push({ tagName: 'fallback_address', data: { code, addressHash: rnd.hex(code === 0 && rnd.chance(0.5) ? 32 : 20) } })
  }
  if (rnd.chance(0.4)) {
    const hops = Array.from({ length: rnd.int(1, 3) }, () => ({
      pubkey: keypair(rnd).pk,
      short_channel_id: rnd.hex(8),
      fee_base_msat: rnd.int(0, 2 ** 31),
      fee_proportional_millionths: rnd.int(0, 2 ** 31),
      cltv_expiry_delta: rnd.int(0, 65535),
    }))
    tags.push({ tagName: 'routing_info', data: hops })
  }
  const secret = rnd.chance(0.6)
  if (secret) tags.push({ tagName: 'payment_secret', data: rnd.hex(32) })
  if (secret || rnd.chance(0.3)) tags.push({ tagName: 'feature_bits', data: features(rnd, secret) })
  if (rnd.chance(0.2)) tags.push({ tagName: 'payee_node_key', data: key.pk })
  // Later p and x fields: the first of each is the one that counts.
  if (rnd.chance(0.1)) tags.push({ tagName: 'payment_hash', data: rnd.hex(32) })
  if (expiry !== null && rnd.chance(0.1)) tags.push({ tagName: 'expire_time', data: rnd.int(0, 2 ** 31) })
  shuffle(rnd, tags)
  const data = { network: NETWORKS[network], timestamp: rnd.int(0, 2 ** 35 - 1), tags }
  if (msats !== null) data.millisatoshis = msats.toString()
  const signed = bolt11.sign(bolt11.encode(data, false), key.sk)
  return { pr: signed.paymentRequest, network, msats, unit }
}

// Run nostrcli bolt11; a sanitizer report fails the test whatever the status.
function cli (pr) {
  const r = spawnSync(CLI, ['bolt11', pr], { encoding: 'utf8' })
  if (r.error) throw r.error
  assert.doesNotMatch(r.stderr, /Sanitizer|runtime error:/, r.stderr)
  return r
}

// nostrcli's JSON with msats kept exact (it can pass 2^53).
function decoded (pr) {
  const r = cli(pr)
  assert.equal(r.status, 0, `nostrcli bolt11 exited ${r.status}: ${r.stderr}\n${pr}`)
  const text = r.stdout.replace(/"msats":(\d+)/, '"msats":"$1"')
  return JSON.parse(text)
}

function rejected (pr, what) {
  const r = cli(pr)
  assert.equal(r.status, 1, `${what} was not rejected (status ${r.status}): ${pr}`)
  assert.match(r.stderr, /^nostrcli: bolt11: \S/, `${what}: no reason given`)
}

// What the package reads, in nostrcli's shape: the first p and x count.
function expected (pr) {
  const d = bolt11.decode(pr)
  const first = (name) => d.tags.find((t) => t.tagName === name)?.data
  return {
    network: d.network.bech32,
    msats: d.millisatoshis ?? null,
    timestamp: d.timestamp,
    expiry: first('expire_time') ?? 3600,
    payment_hash: first('payment_hash'),
  }
}

const rnd = prng(SEED)
const cases = Array.from({ length: COUNT }, (_, i) => invoice(rnd, i))

test(`${COUNT} random invoices decode as the bolt11 package decodes them (BOLT11_SEED=${SEED})`, () => {
  const letters = new Set()
  for (const c of cases) {
    const want = expected(c.pr)
    assert.deepEqual(decoded(c.pr), want, c.pr)
    // and the package agrees with what the invoice was made from
    assert.equal(want.msats, c.msats === null ? null : c.msats.toString())
    const hrp = c.pr.slice(0, c.pr.lastIndexOf('1'))
    const m = /^ln(bc|tb|bcrt)(\d*)([munp]?)$/.exec(hrp)
    assert.ok(m, `unexpected prefix ${hrp}`)
    assert.equal(m[1], c.network)
    letters.add(m[2] === '' ? 'any' : m[3] || 'btc')
  }
  // every multiplier, none, and no amount at all
  assert.deepEqual([...letters].sort(), ['any', 'btc', 'm', 'n', 'p', 'u'])
})

test('upper case and the lightning: prefix decode the same', () => {
  for (const c of cases.filter((_, i) => i % 5 === 0)) {
    const want = decoded(c.pr)
    assert.deepEqual(decoded(c.pr.toUpperCase()), want)
    assert.deepEqual(decoded('lightning:' + c.pr), want)
    assert.deepEqual(decoded('LIGHTNING:' + c.pr.toUpperCase()), want)
  }
})

test('a changed character, a changed case or a cut is rejected', () => {
  const mut = prng(SEED ^ 0x5bd1e995)
  for (const c of cases) {
    const s = c.pr
    // one character replaced by another bech32 character
    const at = mut.int(0, s.length - 1)
    let ch = mut.pick(CHARSET)
    while (ch === s[at]) ch = mut.pick(CHARSET)
    const flipped = s.slice(0, at) + ch + s.slice(at + 1)
    rejected(flipped, `character ${at} changed`)
    assert.throws(() => bolt11.decode(flipped))
    // one letter in the other case
    let li = mut.int(0, s.length - 1)
    while (!/[a-z]/.test(s[li])) li = mut.int(0, s.length - 1)
    rejected(s.slice(0, li) + s[li].toUpperCase() + s.slice(li + 1), `case of ${li} changed`)
    // cut anywhere
    rejected(s.slice(0, mut.int(0, s.length - 1)), 'a truncated invoice')
  }
})

test('compulsory features BOLT #9 does not define for invoices are rejected', () => {
  const key = keypair(rnd)
  const make = (featureBits) => bolt11.sign(bolt11.encode({
    network: NETWORKS.bc,
    millisatoshis: '250000000',
    timestamp: 1700000000,
    tags: [
      { tagName: 'payment_hash', data: 'ab'.repeat(32) },
      { tagName: 'description', data: 'features' },
      { tagName: 'feature_bits', data: featureBits },
    ],
  }, false), key.sk).paymentRequest
  // BOLT #9 context 9: var_onion_optin 8, payment_secret 14, basic_mpp 16
  const known = make({
    var_onion_optin: { required: true },
    payment_secret: { required: true },
    basic_mpp: { required: true },
  })
  assert.equal(decoded(known).msats, '250000000')
  // gossip_queries (6) and option_support_large_channel (18) are not
  // invoice features; 100 is unassigned. The package decodes these all.
  for (const f of [
    { gossip_queries: { required: true } },
    { option_support_large_channel: { required: true } },
    { extra_bits: { start_bit: 20, bits: [...Array(80).fill(false), true], has_required: true } },
  ]) {
    const pr = make(f)
    assert.ok(bolt11.decode(pr))
    rejected(pr, `features ${JSON.stringify(f).slice(0, 60)}`)
  }
})
