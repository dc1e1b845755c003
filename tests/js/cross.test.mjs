// Cross-implementation tests (spec/testing.md layer 2): Caravel's C Nostr
// code, driven through tests/nostrcli, must agree with nostr-tools in both
// directions. Run by tests/e2e/t0300-nostr-tools.sh with NOSTRCLI set to
// the built binary.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { accessSync, constants } from 'node:fs'

import {
  generateSecretKey, getPublicKey, finalizeEvent, verifyEvent,
  serializeEvent, getEventHash,
} from 'nostr-tools/pure'
import * as nip04 from 'nostr-tools/nip04'
import * as nip17 from 'nostr-tools/nip17'
import * as nip19 from 'nostr-tools/nip19'
import * as nip44 from 'nostr-tools/nip44'
import * as nip59 from 'nostr-tools/nip59'
import * as nip98 from 'nostr-tools/nip98'

const CLI = process.env.NOSTRCLI
assert.ok(CLI, 'NOSTRCLI must name the built tests/nostrcli binary')
accessSync(CLI, constants.X_OK)

const hex = (bytes) => Buffer.from(bytes).toString('hex')
const unhex = (s) => new Uint8Array(Buffer.from(s, 'hex'))
const now = () => Math.floor(Date.now() / 1000)

// The first or last n code points (never half a surrogate pair).
const head = (s, n) => [...s].slice(0, n).join('')
const tail = (s, n) => [...s].slice(-n).join('')

function keypair () {
  const sk = generateSecretKey()
  return { sk, skHex: hex(sk), pk: getPublicKey(sk) }
}

// Run nostrcli; stdout is decoded as UTF-8, and one trailing newline is
// dropped unless raw (decrypted plaintext is written byte for byte).
function cli (args, input = '', { raw = false } = {}) {
  const r = spawnSync(CLI, args, { input, maxBuffer: 64 << 20 })
  if (r.error) throw r.error
  const err = r.stderr.toString('utf8')
  // Under --enable-sanitizers a report must fail the test, even where a
  // rejection (exit 1) is expected.
  assert.doesNotMatch(err, /Sanitizer|runtime error:/, `nostrcli ${args[0]}: ${err}`)
  let out = r.stdout.toString('utf8')
  if (!raw && out.endsWith('\n')) out = out.slice(0, -1)
  return { status: r.status, out, err }
}

function ok (args, input, opts) {
  const r = cli(args, input, opts)
  assert.equal(r.status, 0, `nostrcli ${args[0]} exited ${r.status}: ${r.err}`)
  return r.out
}

function rejected (args, input, what) {
  const r = cli(args, input)
  assert.equal(r.status, 1, `nostrcli ${args[0]} should reject ${what} ` +
    `(exit ${r.status}, stdout ${r.out.slice(0, 200)})`)
  assert.ok(r.err.length > 0, `nostrcli ${args[0]} gave no reason for ${what}`)
  return r.err
}

// Strings that trip up hand-written JSON escapers (research/nostr.md §1).
const TRICKY = [
  '',
  'plain ascii',
  'quote " backslash \\ slash / done',
  'line\nbreak\r\nand\ttab\b\f',
  'nul \u0000 one \u0001 us \u001f del \u007f',
  'separators \u2028 and \u2029',
  'emoji 😀🚐 and é ß 中文',
  '</script><script>alert(1)</script> & <b>',
  '\\u0000 is not an escape here, nor \\n',
  'x'.repeat(5000) + '🎉'.repeat(1000),
]

test('C signs, nostr-tools verifies; serializations agree', () => {
  const k = keypair()
  for (const content of TRICKY) {
    const tmpl = {
      kind: 1,
      created_at: 1700000000,
      tags: [['t', head(content, 40)], ['u', 'https://a.example/x?y=1&z=/'],
        ['e', 'ab'.repeat(32), '', 'reply']],
      content,
    }
    const ev = JSON.parse(ok(['sign', k.skHex], JSON.stringify(tmpl)))
    assert.equal(ev.pubkey, k.pk)
    assert.equal(ev.content, content)
    assert.deepEqual(ev.tags, tmpl.tags)
    assert.equal(ev.kind, 1)
    assert.equal(ev.created_at, 1700000000)
    assert.equal(ev.id, getEventHash(ev), 'C id equals nostr-tools hash')
    assert.match(ev.sig, /^[0-9a-f]{128}$/)
    assert.equal(verifyEvent(ev), true,
      `nostr-tools rejects C signature for ${JSON.stringify(content).slice(0, 60)}`)
    assert.equal(ok(['serialize'], JSON.stringify(ev)), serializeEvent(ev))
  }
})

test('nostr-tools signs, C verifies and serializes identically', () => {
  const k = keypair()
  const kinds = [0, 1, 4, 14, 1059, 27235, 30023, 65535]
  TRICKY.forEach((content, i) => {
    const ev = finalizeEvent({
      kind: kinds[i % kinds.length],
      created_at: 1700000000 + i,
      tags: [['d', tail(content, 30)], ['p', k.pk, 'wss://r.example/']],
      content,
    }, k.sk)
    const wire = JSON.stringify(ev)
    assert.equal(ok(['serialize'], wire), serializeEvent(ev),
      `serialization of ${JSON.stringify(content).slice(0, 60)}`)
    ok(['verify'], wire)
  })
})

test('C verify rejects tampered events', () => {
  const k = keypair()
  const ev = finalizeEvent({
    kind: 1, created_at: 1700000000, tags: [['t', 'x']], content: 'hello "world"\n',
  }, k.sk)
  const base = JSON.stringify(ev)
  ok(['verify'], base)
  const tamper = (f) => { const e = JSON.parse(base); f(e); return JSON.stringify(e) }
  rejected(['verify'], tamper((e) => { e.content += ' ' }), 'changed content')
  rejected(['verify'], tamper((e) => { e.content = 'hello "world"\r\n' }), 'changed line end')
  rejected(['verify'], tamper((e) => { e.created_at += 1 }), 'changed created_at')
  rejected(['verify'], tamper((e) => { e.kind = 7 }), 'changed kind')
  rejected(['verify'], tamper((e) => { e.tags[0][1] = 'y' }), 'changed tag')
  rejected(['verify'], tamper((e) => { e.tags.push(['t', 'x']) }), 'added tag')
  rejected(['verify'], tamper((e) => {
    e.sig = (e.sig[0] === '0' ? '1' : '0') + e.sig.slice(1)
  }), 'changed sig')
  rejected(['verify'], tamper((e) => { e.pubkey = keypair().pk }), 'other pubkey')
  // A valid signature over a wrong id (testing.md "Bad input").
  rejected(['verify'], tamper((e) => {
    const other = finalizeEvent({ kind: 1, created_at: 1, tags: [], content: 'x' }, k.sk)
    e.id = other.id
    e.sig = other.sig
  }), 'signature over another id')
  rejected(['verify'], tamper((e) => { e.id = e.id.toUpperCase() }), 'upper-case id')
  rejected(['verify'], tamper((e) => { delete e.sig }), 'missing sig')
})

test('C accepts legal JSON escapes on the wire and hashes the decoded text', () => {
  const k = keypair()
  const content = 'a/b é 😀 "q"'
  const ev = finalizeEvent({ kind: 1, created_at: 1700000000, tags: [], content }, k.sk)
  const plain = JSON.stringify(ev)
  assert.ok(plain.includes('"content":"a/b é 😀 \\"q\\""'))
  const escaped = plain.replace('"content":"a/b é 😀 \\"q\\""',
    '"content":"a\\/b \\u00e9 \\ud83d\\ude00 \\u0022q\\""')
  assert.notEqual(escaped, plain)
  assert.deepEqual(JSON.parse(escaped), JSON.parse(plain))
  ok(['verify'], escaped)
  assert.equal(ok(['serialize'], escaped), serializeEvent(ev))
})

// n bytes of ASCII ending in a newline, which C must not drop.
function text (n) {
  let s = ''
  for (let i = 0; s.length < n - 1; i++) s += String.fromCharCode(33 + (i * 7) % 94)
  return s + '\n'
}


test('NIP-44 v2 both ways', () => {
  const a = keypair()
  const b = keypair()
  const ckAB = ok(['nip44-convkey', a.skHex, b.pk])
  assert.equal(ckAB, hex(nip44.v2.utils.getConversationKey(a.sk, b.pk)))
  assert.equal(ok(['nip44-convkey', b.skHex, a.pk]), ckAB)
  const ck = unhex(ckAB)
  const plaintexts = [1, 31, 32, 33, 300, 65535].map((n) => {
    const s = text(n)
    assert.equal(Buffer.byteLength(s), n)
    return s
  })
  plaintexts.push('unicode 😀 é 中文 \u2028 and a NUL \u0000 inside')
  for (const pt of plaintexts) {
    const label = `${Buffer.byteLength(pt)} bytes`
    const fromC = ok(['nip44-encrypt', a.skHex, b.pk], pt)
    assert.match(fromC, /^[A-Za-z0-9+/]+=*$/)
    assert.equal(nip44.v2.decrypt(fromC, ck), pt, `nostr-tools decrypts C (${label})`)
    const fromJs = nip44.v2.encrypt(pt, ck)
    assert.equal(ok(['nip44-decrypt', b.skHex, a.pk], fromJs, { raw: true }), pt,
      `C decrypts nostr-tools (${label})`)
    // Same nonce, same bytes: the payloads must be identical.
    const nonce = generateSecretKey()
    assert.equal(ok(['nip44-encrypt', a.skHex, b.pk, hex(nonce)], pt),
      nip44.v2.encrypt(pt, ck, nonce), `payload bytes equal (${label})`)
  }
})

test('NIP-44 v2 rejections and limits', () => {
  const a = keypair()
  const b = keypair()
  const ck = nip44.v2.utils.getConversationKey(a.sk, b.pk)
  rejected(['nip44-encrypt', a.skHex, b.pk], '', 'an empty plaintext')
  rejected(['nip44-encrypt', a.skHex, b.pk], 'y'.repeat(65536), '65536 bytes')
  const good = nip44.v2.encrypt('tamper me', ck)
  const raw = Buffer.from(good, 'base64')
  for (const at of [0, 1, 40, raw.length - 40, raw.length - 1]) {
    const bad = Buffer.from(raw)
    bad[at] ^= 1
    rejected(['nip44-decrypt', b.skHex, a.pk], bad.toString('base64'), `a flipped byte at ${at}`)
  }
  const c = keypair()
  rejected(['nip44-decrypt', c.skHex, a.pk], good, 'the wrong key')
  rejected(['nip44-decrypt', b.skHex, a.pk], '#' + good.slice(1), 'version "#"')
  rejected(['nip44-decrypt', b.skHex, a.pk], good.slice(0, 100), 'a truncated payload')
  // nostr-tools writes the 6-byte length prefix above 65535 bytes; C reads it.
  const big = text(70000)
  assert.equal(ok(['nip44-decrypt', b.skHex, a.pk], nip44.v2.encrypt(big, ck), { raw: true }),
    big)
})

test('NIP-04 both ways', () => {
  const a = keypair()
  const b = keypair()
  const texts = ['a', 'x'.repeat(15), 'y'.repeat(16), 'z'.repeat(17), text(1000),
    '{"method":"pay_invoice","params":{"invoice":"lnbc1…"}} 😀\n']
  for (const t of texts) {
    const fromC = ok(['nip04-encrypt', a.skHex, b.pk], t)
    assert.match(fromC, /^[A-Za-z0-9+/]+={0,2}\?iv=[A-Za-z0-9+/]{22}==$/)
    assert.equal(nip04.decrypt(b.sk, a.pk, fromC), t, `nostr-tools decrypts C (${t.length})`)
    const fromJs = nip04.encrypt(a.sk, b.pk, t)
    assert.equal(ok(['nip04-decrypt', b.skHex, a.pk], fromJs, { raw: true }), t,
      `C decrypts nostr-tools (${t.length})`)
  }
  // A fixed IV gives the same ciphertext nostr-tools decrypts.
  const fixed = ok(['nip04-encrypt', a.skHex, b.pk, '00112233445566778899aabbccddeeff'], 'fixed')
  assert.ok(fixed.endsWith('?iv=' + Buffer.from('00112233445566778899aabbccddeeff', 'hex')
    .toString('base64')))
  assert.equal(nip04.decrypt(b.sk, a.pk, fixed), 'fixed')
  const good = nip04.encrypt(a.sk, b.pk, 'hello')
  rejected(['nip04-decrypt', b.skHex, a.pk], good.split('?')[0], 'a payload without iv')
  rejected(['nip04-decrypt', b.skHex, a.pk], good.replace('?iv=', '?xx='), 'a bad iv marker')
  rejected(['nip04-decrypt', b.skHex, a.pk], '!!!!' + good, 'bad base64')
})

function sealOf (wrap, recipientSk) {
  const ck = nip44.v2.utils.getConversationKey(recipientSk, wrap.pubkey)
  return JSON.parse(nip44.v2.decrypt(wrap.content, ck))
}

test('C gift wrap (NIP-17/59) unwraps with nostr-tools', () => {
  const robot = keypair()
  const user = keypair()
  const texts = ['Your relay is ready.', 'quotes " \\ / and\nnew lines\ttabs',
    '😀 é \u2028 </script>', 'm'.repeat(20000)]
  for (const t of texts) {
    const t0 = now()
    const wrap = JSON.parse(ok(['wrap', robot.skHex, user.pk], t))
    assert.equal(wrap.kind, 1059)
    assert.equal(verifyEvent(wrap), true, 'wrap signature')
    assert.notEqual(wrap.pubkey, robot.pk, 'the wrap is signed by a one-time key')
    assert.deepEqual(wrap.tags, [['p', user.pk]])
    assert.ok(wrap.created_at <= t0 + 5 && wrap.created_at >= t0 - 2 * 86400 - 5,
      'wrap time within the NIP-59 two days')

    const seal = sealOf(wrap, user.sk)
    assert.equal(seal.kind, 13)
    assert.equal(seal.pubkey, robot.pk, 'the robot authors the seal')
    assert.deepEqual(seal.tags, [])
    assert.equal(verifyEvent(seal), true, 'seal signature')
    assert.ok(seal.created_at <= t0 + 5 && seal.created_at >= t0 - 2 * 86400 - 5)

    for (const unwrap of [nip17.unwrapEvent, nip59.unwrapEvent]) {
      const rumor = unwrap(JSON.parse(JSON.stringify(wrap)), user.sk)
      assert.equal(rumor.content, t)
      assert.equal(rumor.kind, 14)
      assert.equal(rumor.pubkey, robot.pk)
      assert.ok(rumor.tags.some((tag) => tag[0] === 'p' && tag[1] === user.pk),
        'the rumor has a p tag for the recipient')
      assert.equal(rumor.sig, undefined, 'a rumor is never signed')
      assert.equal(rumor.id, getEventHash(rumor))
      assert.ok(Math.abs(rumor.created_at - t0) <= 5, 'the rumor carries the real time')
    }
    const other = keypair()
    assert.throws(() => nip17.unwrapEvent(JSON.parse(JSON.stringify(wrap)), other.sk))
  }
  rejected(['wrap', robot.skHex, user.pk], 'nul\u0000inside', 'a NUL in a DM')
})

test('nostr-tools gift wrap unwraps with C', () => {
  const sender = keypair()
  const me = keypair()
  for (const t of ['hi', 'quotes " \\ / and\nnew lines', '😀 é 中文', 'w'.repeat(30000)]) {
    const wrap = nip17.wrapEvent(sender.sk, { publicKey: me.pk }, t)
    const rumor = JSON.parse(ok(['unwrap', me.skHex], JSON.stringify(wrap)))
    assert.equal(rumor.content, t)
    assert.equal(rumor.kind, 14)
    assert.equal(rumor.pubkey, sender.pk)
    assert.equal(rumor.id, getEventHash(rumor))
    assert.equal(rumor.sig, undefined)
    assert.ok(rumor.tags.some((tag) => tag[0] === 'p' && tag[1] === me.pk))
  }
  const wrap = nip17.wrapEvent(sender.sk, { publicKey: me.pk }, 'not for you')
  rejected(['unwrap', keypair().skHex], JSON.stringify(wrap), 'the wrong recipient key')
  const bad = JSON.parse(JSON.stringify(wrap))
  bad.content = bad.content.slice(0, 50) + (bad.content[50] === 'A' ? 'B' : 'A') +
    bad.content.slice(51)
  rejected(['unwrap', me.skHex], JSON.stringify(bad), 'a wrap whose content changed')

  // A seal signed by someone other than the rumor's author.
  const mallory = keypair()
  const rumor = nip59.createRumor({ kind: 14, content: 'forged', tags: [['p', me.pk]] }, sender.sk)
  const forged = nip59.createWrap(nip59.createSeal(rumor, mallory.sk, me.pk), me.pk)
  rejected(['unwrap', me.skHex], JSON.stringify(forged), 'rumor.pubkey != seal.pubkey')
  // A rumor whose id does not match its content.
  const badId = { ...nip59.createRumor({ kind: 14, content: 'x', tags: [] }, sender.sk) }
  badId.id = '00'.repeat(32)
  const badIdWrap = nip59.createWrap(nip59.createSeal(badId, sender.sk, me.pk), me.pk)
  rejected(['unwrap', me.skHex], JSON.stringify(badIdWrap), 'a rumor with a wrong id')
  // A wrap that is not kind 1059 and a seal that is not kind 13.
  const notWrap = finalizeEvent({ kind: 1, created_at: now(), tags: [['p', me.pk]],
    content: wrap.content }, generateSecretKey())
  rejected(['unwrap', me.skHex], JSON.stringify(notWrap), 'kind 1 as a wrap')
  const notSeal = finalizeEvent({ kind: 1, created_at: now(), tags: [],
    content: nip44.encrypt(JSON.stringify(rumor), nip44.getConversationKey(sender.sk, me.pk)) },
  sender.sk)
  const wrapNotSeal = nip59.createWrap(notSeal, me.pk)
  rejected(['unwrap', me.skHex], JSON.stringify(wrapNotSeal), 'kind 1 as a seal')
})

async function tokenFor (k, url, method, tmplEdit) {
  return nip98.getToken(url, method, (e) => {
    if (tmplEdit) tmplEdit(e)
    return finalizeEvent(e, k.sk)
  }, true)
}

test('nostr-tools NIP-98 header authenticates in C (session mode)', async () => {
  const k = keypair()
  const url = 'https://api.example.com/tenants/' + k.pk + '?x=1'
  const header = await tokenFor(k, url, 'GET')
  assert.ok(header.startsWith('Nostr '))
  const ev = await nip98.unpackEventFromToken(header)
  const t = ev.created_at
  const verify = (host, at, maxAge, ...strict) =>
    cli(['nip98-verify', host, String(at), String(maxAge), ...strict], header)

  assert.equal(ok(['nip98-verify', 'api.example.com', String(t), '3600'], header), k.pk)
  assert.equal(verify('API.Example.COM', t, 3600).status, 0, 'host is case-insensitive')
  assert.equal(verify('api.example.com', t + 3599, 3600).status, 0, 'just inside max age')
  assert.equal(verify('api.example.com', t + 3601, 3600).status, 1, 'expired')
  assert.equal(verify('api.example.com', t + 1000000, 0).status, 0, 'max age 0 = no limit')
  assert.equal(verify('api.example.com', t - 59, 3600).status, 0, '59 s in the future')
  assert.equal(verify('api.example.com', t - 61, 3600).status, 1, '61 s in the future')
  for (const host of ['evil.example.com', 'example.com', 'api.example.co', 'api.example.com.evil.net', '']) {
    rejected(['nip98-verify', host, String(t), '3600'], header, `host "${host}"`)
  }
  assert.equal(verify('api.example.com', t, 3600, 'strict', 'GET', url).status, 0, 'strict')
  assert.equal(verify('api.example.com', t, 3600, 'strict', 'POST', url).status, 1,
    'strict, other method')
  assert.equal(verify('api.example.com', t, 3600, 'strict', 'GET', url.replace('x=1', 'x=2'))
    .status, 1, 'strict, other query')

  // The port of the u tag is ignored in session mode.
  const portHeader = await tokenFor(k, 'https://api.example.com:8443/', 'GET')
  assert.equal(ok(['nip98-verify', 'api.example.com', String(t), '3600'], portHeader), k.pk)
  const evilHeader = await tokenFor(k, 'https://api.example.com.evil.net/', 'GET')
  rejected(['nip98-verify', 'api.example.com', String(now()), '3600'], evilHeader, 'a suffixed host')
  const userinfo = await tokenFor(k, 'https://api.example.com@evil.net/', 'GET')
  rejected(['nip98-verify', 'api.example.com', String(now()), '3600'], userinfo, 'userinfo trick')

  // Unpadded base64 is accepted (api.md §3); junk and other schemes are not.
  const b64 = header.slice('Nostr '.length)
  const unpadded = 'Nostr ' + b64.replace(/=+$/, '')
  assert.equal(cli(['nip98-verify', 'api.example.com', String(t), '3600'], unpadded).status, 0,
    'unpadded base64')
  for (const [bad, what] of [
    [b64, 'a header without scheme'],
    ['Bearer ' + b64, 'another scheme'],
    ['Nostr ' + b64.slice(0, -8), 'truncated base64'],
    ['Nostr ' + b64.replace(/[A-Za-z]/, '*'), 'bad base64'],
    ['Nostr ', 'an empty token'],
  ]) {
    rejected(['nip98-verify', 'api.example.com', String(t), '3600'], bad, what)
  }
  const tampered = JSON.parse(JSON.stringify(ev))
  tampered.tags[0][1] = 'https://api.example.com/other'
  rejected(['nip98-verify', 'api.example.com', String(t), '3600'],
    'Nostr ' + Buffer.from(JSON.stringify(tampered)).toString('base64'), 'a tampered event')
  const kind1 = await tokenFor(k, url, 'GET', (e) => { e.kind = 1 })
  rejected(['nip98-verify', 'api.example.com', String(now()), '3600'], kind1, 'kind 1')
  const noU = await tokenFor(k, url, 'GET', (e) => { e.tags = e.tags.filter((x) => x[0] !== 'u') })
  rejected(['nip98-verify', 'api.example.com', String(now()), '3600'], noU, 'no u tag')
})

test('C NIP-98 header validates in nostr-tools', async () => {
  const k = keypair()
  const url = 'https://zooid.example.org/relay/abc?x=1&y=%20'
  const header = ok(['nip98-make', k.skHex, url, 'GET'])
  assert.ok(header.startsWith('Nostr '))
  const ev = await nip98.unpackEventFromToken(header)
  assert.equal(verifyEvent(ev), true)
  assert.equal(ev.kind, 27235)
  assert.equal(ev.pubkey, k.pk)
  assert.ok(Math.abs(ev.created_at - now()) <= 5)
  assert.equal(await nip98.validateEvent(ev, url, 'GET'), true)
  assert.equal(await nip98.validateToken(header, url, 'GET'), true)
  await assert.rejects(nip98.validateToken(header, url + '&z=1', 'GET'))
  await assert.rejects(nip98.validateToken(header, url, 'POST'))
  // The payload tag: nostr-tools hashes JSON.stringify(body).
  const body = { name: 'my relay', members: ['a', 'b'], n: 1 }
  const post = ok(['nip98-make', k.skHex, url, 'POST', '-'], JSON.stringify(body))
  const pev = await nip98.unpackEventFromToken(post)
  assert.equal(await nip98.validateEvent(pev, url, 'POST', body), true)
  await assert.rejects(nip98.validateEvent(pev, url, 'POST', { ...body, n: 2 }))
  // And our own verifier takes both, session and strict.
  assert.equal(ok(['nip98-verify', 'zooid.example.org', String(now()), '60', 'strict', 'GET', url],
    header), k.pk)
})

test('NIP-19 keys agree', () => {
  const keys = [keypair(), keypair(), keypair()]
  keys.push({ sk: unhex('00'.repeat(31) + '01'), skHex: '00'.repeat(31) + '01' })
  keys[3].pk = getPublicKey(keys[3].sk)
  for (const k of keys) {
    const npub = ok(['npub', k.pk])
    assert.equal(npub, nip19.npubEncode(k.pk))
    const nsec = ok(['nsec', k.skHex])
    assert.equal(nsec, nip19.nsecEncode(k.sk))
    assert.equal(ok(['decode', nip19.npubEncode(k.pk)]), k.pk)
    assert.equal(ok(['decode', nip19.nsecEncode(k.sk)]), k.skHex)
    assert.deepEqual(nip19.decode(npub), { type: 'npub', data: k.pk })
    const id = getEventHash({ kind: 1, created_at: 1, tags: [], content: k.pk, pubkey: k.pk })
    assert.equal(ok(['decode', nip19.noteEncode(id)]), id)
  }
  const npub = nip19.npubEncode(keys[0].pk)
  const flip = npub.slice(0, -1) + (npub.endsWith('q') ? 'p' : 'q')
  rejected(['decode', flip], '', 'a bad checksum')
  const at = npub.slice(5).search(/[a-z]/) + 5
  assert.ok(at >= 5)
  rejected(['decode', npub.slice(0, at) + npub[at].toUpperCase() + npub.slice(at + 1)],
    '', 'mixed case (BIP-173)')
  rejected(['decode', npub.slice(0, -6)], '', 'a truncated string')
  rejected(['decode', 'npub1'], '', 'an empty data part')
})
