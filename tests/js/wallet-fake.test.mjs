// The NWC wallet peer (tests/fakes/wallet.mjs) behaves as a NIP-47 wallet
// service on a real relay (tests/relay/relay.mjs), in both encryption
// modes, checked by independent clients: @getalby/sdk's NWCClient for the
// methods, nostr-tools for raw requests and the info event, npm bolt11 for
// the invoices. Run by tests/e2e/t0610-wallet-fake.sh.
import { test, describe, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { createHash, randomBytes } from 'node:crypto'
import http from 'node:http'

import WebSocket from 'ws'
import bolt11 from 'bolt11'
import { generateSecretKey, finalizeEvent } from 'nostr-tools/pure'
import { Relay, useWebSocketImplementation } from 'nostr-tools/relay'
import * as nip04 from 'nostr-tools/nip04'
import * as nip44 from 'nostr-tools/nip44'

// Node 20 has no WebSocket; the SDK's bundled nostr-tools reads the global
// when it loads, so it is imported only after this.
globalThis.WebSocket = WebSocket
useWebSocketImplementation(WebSocket)
const { NWCClient, Nip47WalletError, Nip47ReplyTimeoutError } =
  await import('@getalby/sdk')

// NWCClient logs every failure it then throws, and warns about NIP-04;
// the tests assert on what it throws.
const consoleError = console.error
console.error = (...a) => {
  if (!String(a[0]).startsWith('Failed to request')) consoleError(...a)
}
const consoleWarn = console.warn
console.warn = (...a) => {
  if (!String(a[0]).startsWith('NIP-04 encryption is about')) consoleWarn(...a)
}

const FAKE = new URL('../fakes/wallet.mjs', import.meta.url).pathname
const RELAY = new URL('../relay/relay.mjs', import.meta.url).pathname
const sha256 = (b) => createHash('sha256').update(b).digest('hex')
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const now = () => Math.floor(Date.now() / 1000)

const children = []
const clients = []
let relayUrl, port

// A child that prints "listening <port>" once it serves.
function start (script, env = {}) {
  const p = spawn(process.execPath, [script], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  children.push(p)
  return new Promise((resolve, reject) => {
    createInterface({ input: p.stdout }).once('line', (line) => {
      const m = /^listening (\d+)$/.exec(line)
      if (m) resolve({ proc: p, port: Number(m[1]) })
      else reject(new Error(`${script} said ${JSON.stringify(line)}`))
    })
    p.once('exit', (c) => reject(new Error(`${script} exited ${c}`)))
  })
}

before(async () => {
  const relay = await start(RELAY)
  relayUrl = `ws://127.0.0.1:${relay.port}`
  port = (await start(FAKE, { WALLET_RELAY: relayUrl })).port
})

after(() => {
  for (const c of clients) c.close()
  for (const p of children) if (p.exitCode === null) p.kill('SIGTERM')
})

function request (method, path, body, to = port) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined
      : typeof body === 'string' || Buffer.isBuffer(body) ? body
        : JSON.stringify(body)
    const req = http.request({ host: '127.0.0.1', port: to, method, path,
      agent: false }, (res) => {
      const chunks = []
      res.on('data', (c) => chunks.push(c))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        let json = null
        try { json = JSON.parse(text) } catch { }
        resolve({ status: res.statusCode, text, json })
      })
    })
    req.on('error', reject)
    if (data !== undefined) req.write(data)
    req.end()
  })
}

async function ok (method, path, body) {
  const r = await request(method, path, body)
  assert.equal(r.status, 200, `${method} ${path}: ${r.text}`)
  return r.json
}

const wallet = (name) => ok('GET', `/wallets/${name}`)
const balance = async (name) => (await wallet(name)).balance_msats
const ledgerEntry = async (hash) =>
  (await ok('GET', '/ledger')).find((i) => i.payment_hash === hash)

async function createWallet (body) {
  const w = await ok('POST', '/wallets', body)
  const client = new NWCClient({ nostrWalletConnectUrl: w.uri })
  clients.push(client)
  return { ...w, client }
}

// A request with a reply timeout of our choosing (the client's own
// methods wait 10 s or 60 s).
function call (client, method, params, replyTimeout = 5000) {
  return client.executeNip47Request(method, params, (r) => r !== undefined,
    { replyTimeout })
}

function walletError (code, message) {
  return (e) => {
    assert.ok(e instanceof Nip47WalletError, `not a wallet error: ${e}`)
    assert.equal(e.code, code, e.message)
    if (message) assert.match(e.message, message)
    return true
  }
}

async function infoEvent (walletPubkey) {
  const relay = await Relay.connect(relayUrl)
  try {
    return await new Promise((resolve, reject) => {
      let found = null
      const sub = relay.subscribe([{ kinds: [13194], authors: [walletPubkey],
        limit: 1 }], {
        onevent: (e) => { found = e },
        oneose: () => { sub.close(); resolve(found) },
      })
      setTimeout(() => reject(new Error('no EOSE')), 5000)
    })
  } finally {
    relay.close()
  }
}

// A kind 23194 request made with nostr-tools alone: the reply event (or
// null after `wait` ms) and its decrypted content.
async function rawRequest (w, { scheme, tags, method = 'get_balance',
  params = {}, wait = 3000 }) {
  const sk = Buffer.from(w.client_secret, 'hex')
  const text = JSON.stringify({ method, params })
  const conv = nip44.getConversationKey(sk, w.wallet_pubkey)
  const content = scheme === 'nip04'
    ? nip04.encrypt(sk, w.wallet_pubkey, text) : nip44.encrypt(text, conv)
  const ev = finalizeEvent({ kind: 23194, created_at: now(), content,
    tags: tags ?? [['p', w.wallet_pubkey]] }, sk)
  const relay = await Relay.connect(relayUrl)
  try {
    let timer
    const reply = await new Promise((resolve, reject) => {
      const sub = relay.subscribe([{ kinds: [23195], authors: [w.wallet_pubkey],
        '#e': [ev.id] }], {
        onevent: (r) => { clearTimeout(timer); sub.close(); resolve(r) },
        oneose: () => {
          relay.publish(ev).catch(reject)
          timer = setTimeout(() => { sub.close(); resolve(null) }, wait)
        },
      })
    })
    if (!reply) return { request: ev, reply: null }
    const plain = scheme === 'nip04'
      ? nip04.decrypt(sk, w.wallet_pubkey, reply.content)
      : nip44.decrypt(reply.content, conv)
    return { request: ev, reply, answer: JSON.parse(plain) }
  } finally {
    relay.close()
  }
}

const tag = (ev, name) => ev.tags.find((t) => t[0] === name)

// --- the two encryption modes, each through NWCClient ---

for (const mode of ['nip44', 'nip04']) {
  const scheme = mode === 'nip44' ? 'nip44_v2' : 'nip04'

  describe(`${mode} wallets`, () => {
    let platform, tenant
    const paid = []

    before(async () => {
      platform = await createWallet({ name: `platform-${mode}`,
        encryption: mode })
      tenant = await createWallet({ name: `tenant-${mode}`, encryption: mode,
        balance_msats: 100000 })
    })

    test('the info event lists the methods and the right encryption', async () => {
      const ev = await infoEvent(platform.wallet_pubkey)
      assert.ok(ev, 'no kind 13194 event on the relay')
      assert.deepEqual(ev.content.split(' '), ['get_info', 'make_invoice',
        'pay_invoice', 'lookup_invoice', 'get_balance'])
      const enc = tag(ev, 'encryption')
      if (mode === 'nip44') {
        assert.ok(enc, 'no encryption tag')
        assert.deepEqual(enc[1].split(' ').sort(), ['nip04', 'nip44_v2'])
      } else {
        assert.equal(enc, undefined, 'a NIP-04-only wallet has no encryption tag')
      }
    })

    test('get_info answers, and the client picked the right scheme', async () => {
      const info = await platform.client.getInfo()
      assert.equal(platform.client.encryptionType, scheme)
      assert.equal(info.alias, `platform-${mode}`)
      assert.equal(info.network, 'mainnet')
      assert.match(info.pubkey, /^0[23][0-9a-f]{64}$/)
      assert.deepEqual(info.methods, ['get_info', 'make_invoice', 'pay_invoice',
        'lookup_invoice', 'get_balance'])
      assert.deepEqual(info.notifications, [])
      assert.ok(Number.isInteger(info.block_height))
    })

    test('make_invoice makes a real BOLT11 invoice for exactly the msats', async () => {
      const t = await platform.client.makeInvoice({ amount: 21001,
        description: 'Caravel invoice in_1', expiry: 900 })
      const d = bolt11.decode(t.invoice)
      assert.match(t.invoice, /^lnbc/)
      assert.equal(d.network.bech32, 'bc')
      assert.equal(d.millisatoshis, '21001')
      assert.equal(d.tagsObject.payment_hash, t.payment_hash)
      assert.equal(d.tagsObject.description, 'Caravel invoice in_1')
      assert.equal(d.tagsObject.expire_time, 900)
      assert.equal(d.payeeNodeKey, (await platform.client.getInfo()).pubkey)
      assert.equal(t.type, 'incoming')
      assert.equal(t.state, 'pending')
      assert.equal(t.amount, 21001)
      assert.equal(t.fees_paid, 0)
      assert.equal(t.expires_at - t.created_at, 900)
      assert.equal(d.timestamp, t.created_at)
      assert.equal(t.preimage, undefined)
      assert.deepEqual(t.metadata, {})
      const e = await ledgerEntry(t.payment_hash)
      assert.equal(e.payee, `platform-${mode}`)
      assert.equal(e.payer, null)
      assert.equal(e.state, 'pending')
      assert.equal(e.settled_at, null)
    })

    test('a description_hash goes into the invoice as "h"', async () => {
      const h = sha256('a long description')
      const t = await platform.client.makeInvoice({ amount: 1000,
        description_hash: h })
      const d = bolt11.decode(t.invoice)
      assert.equal(d.tagsObject.purpose_commit_hash, h)
      assert.equal(d.tagsObject.expire_time, 3600)
      assert.equal(t.description_hash, h)
    })

    test('pay_invoice from the tenant settles the platform invoice', async () => {
      const t = await platform.client.makeInvoice({ amount: 30000,
        description: 'hosting' })
      const r = await tenant.client.payInvoice({ invoice: t.invoice })
      assert.equal(sha256(Buffer.from(r.preimage, 'hex')), t.payment_hash)
      assert.equal(r.fees_paid, 0)
      assert.equal(await balance(`tenant-${mode}`), 70000)
      assert.equal(await balance(`platform-${mode}`), 30000)
      assert.equal((await tenant.client.getBalance()).balance, 70000)
      assert.equal((await platform.client.getBalance()).balance, 30000)

      const l = await platform.client.lookupInvoice({ payment_hash: t.payment_hash })
      assert.equal(l.state, 'settled')
      assert.equal(l.type, 'incoming')
      assert.ok(Number.isInteger(l.settled_at) && l.settled_at >= t.created_at)
      assert.equal(l.preimage, r.preimage)
      assert.equal(sha256(Buffer.from(l.preimage, 'hex')), l.payment_hash)
      assert.equal(l.amount, 30000)
      const byInvoice = await tenant.client.lookupInvoice({ invoice: t.invoice })
      assert.equal(byInvoice.type, 'outgoing')
      assert.equal(byInvoice.state, 'settled')
      const e = await ledgerEntry(t.payment_hash)
      assert.equal(e.payer, `tenant-${mode}`)
      assert.equal(e.state, 'settled')
      assert.equal(e.settled_at, l.settled_at)
      paid.push(t)
    })

    test('an invoice is paid once, ever', async () => {
      const [t] = paid
      await assert.rejects(tenant.client.payInvoice({ invoice: t.invoice }),
        walletError('PAYMENT_FAILED', /already paid/))
      await assert.rejects(ok('POST', `/wallets/tenant-${mode}/pay`,
        { invoice: t.invoice }))
      assert.equal(await balance(`tenant-${mode}`), 70000)
      assert.equal(await balance(`platform-${mode}`), 30000)
    })

    test('a balance below the amount is INSUFFICIENT_BALANCE', async () => {
      const t = await platform.client.makeInvoice({ amount: 70001 })
      await assert.rejects(tenant.client.payInvoice({ invoice: t.invoice }),
        walletError('INSUFFICIENT_BALANCE'))
      assert.equal((await ledgerEntry(t.payment_hash)).state, 'pending')
      assert.equal(await balance(`tenant-${mode}`), 70000)
      assert.equal(await balance(`platform-${mode}`), 30000)
    })

    test('an expired invoice cannot be paid and looks up as expired', async () => {
      const t = await platform.client.makeInvoice({ amount: 1000, expiry: 60 })
      await ok('POST', '/clock', { offset_seconds: 61 })
      try {
        await assert.rejects(tenant.client.payInvoice({ invoice: t.invoice }),
          walletError('PAYMENT_FAILED', /expired/))
        const l = await platform.client.lookupInvoice({ payment_hash: t.payment_hash })
        assert.equal(l.state, 'expired')
        assert.equal(l.settled_at, null)
        assert.equal(l.preimage, undefined)
        assert.equal((await ledgerEntry(t.payment_hash)).state, 'expired')
      } finally {
        await ok('POST', '/clock', { offset_seconds: 0 })
      }
      assert.equal(await balance(`tenant-${mode}`), 70000)
    })

    test('error mode answers the scripted code, count times', async () => {
      const t = await platform.client.makeInvoice({ amount: 500 })
      await ok('POST', `/wallets/tenant-${mode}/behavior`, { mode: 'error',
        methods: ['pay_invoice'], error_code: 'QUOTA_EXCEEDED',
        error_message: 'budget used up', count: 1 })
      assert.equal((await tenant.client.getBalance()).balance, 70000,
        'other methods are not scripted')
      await assert.rejects(tenant.client.payInvoice({ invoice: t.invoice }),
        walletError('QUOTA_EXCEEDED', /budget used up/))
      assert.equal((await ledgerEntry(t.payment_hash)).state, 'pending')
      assert.equal(await balance(`tenant-${mode}`), 70000)
      assert.equal((await wallet(`tenant-${mode}`)).behavior.mode, 'normal')
      await tenant.client.payInvoice({ invoice: t.invoice })
      assert.equal(await balance(`tenant-${mode}`), 69500)
    })

    test('late mode answers, and pays, only after the delay', async () => {
      const t = await platform.client.makeInvoice({ amount: 500 })
      await ok('POST', `/wallets/tenant-${mode}/behavior`, { mode: 'late',
        methods: ['pay_invoice'], delay_ms: 1200, count: 1 })
      const t0 = Date.now()
      const pay = tenant.client.payInvoice({ invoice: t.invoice })
      await sleep(500)
      assert.equal((await ledgerEntry(t.payment_hash)).state, 'pending')
      assert.equal(await balance(`tenant-${mode}`), 69500)
      const r = await pay
      assert.ok(Date.now() - t0 >= 1150, `answered after ${Date.now() - t0} ms`)
      assert.equal(sha256(Buffer.from(r.preimage, 'hex')), t.payment_hash)
      assert.equal((await ledgerEntry(t.payment_hash)).state, 'settled')
      assert.equal(await balance(`tenant-${mode}`), 69000)
    })

    test('silent mode never answers and pays nothing', async () => {
      const t = await platform.client.makeInvoice({ amount: 500 })
      await ok('POST', `/wallets/tenant-${mode}/behavior`, { mode: 'silent',
        methods: ['pay_invoice'] })
      await assert.rejects(call(tenant.client, 'pay_invoice',
        { invoice: t.invoice }, 1500), Nip47ReplyTimeoutError)
      await ok('POST', `/wallets/tenant-${mode}/behavior`, { mode: 'normal' })
      assert.equal((await ledgerEntry(t.payment_hash)).state, 'pending')
      assert.equal(await balance(`tenant-${mode}`), 69000)
      const last = (await wallet(`tenant-${mode}`)).requests.at(-1)
      assert.equal(last.method, 'pay_invoice')
      assert.equal(last.params.invoice, t.invoice)
      assert.equal(last.behavior, 'silent')
      assert.equal(last.outcome, 'silent')
    })

    test(`the request logs record ${scheme} for every request`, async () => {
      for (const name of [`platform-${mode}`, `tenant-${mode}`]) {
        const { requests } = await wallet(name)
        assert.ok(requests.length >= 5, `${name}: ${requests.length} requests`)
        for (const r of requests) {
          assert.equal(r.encryption, scheme, JSON.stringify(r))
          assert.equal(r.encryption_tag, scheme)
          assert.equal(r.content_format, scheme)
          assert.ok(Number.isInteger(r.at))
          assert.match(r.event_id, /^[0-9a-f]{64}$/)
          assert.equal(typeof r.method, 'string')
        }
      }
    })
  })
}

// --- encryption details, with raw requests ---

describe('encryption rules', () => {
  let w04, w44

  before(async () => {
    w04 = await createWallet({ name: 'only-nip04', encryption: 'nip04',
      balance_msats: 7 })
    w44 = await createWallet({ name: 'both', balance_msats: 9 })
  })

  test('a NIP-04-only wallet ignores a NIP-44 request, and logs it', async () => {
    const { reply } = await rawRequest(w04, { scheme: 'nip44_v2', wait: 1500,
      tags: [['p', w04.wallet_pubkey], ['encryption', 'nip44_v2']] })
    assert.equal(reply, null)
    const last = (await wallet('only-nip04')).requests.at(-1)
    assert.equal(last.encryption, 'nip44_v2')
    assert.equal(last.content_format, 'nip44_v2')
    assert.equal(last.outcome, 'refused')
    assert.equal(last.method, null)
  })

  test('a NIP-04-only wallet answers NIP-04 with or without the tag', async () => {
    for (const tags of [[['p', w04.wallet_pubkey]],
      [['p', w04.wallet_pubkey], ['encryption', 'nip04']]]) {
      const { reply, answer } = await rawRequest(w04, { scheme: 'nip04', tags })
      assert.ok(reply, 'no reply')
      assert.match(reply.content, /\?iv=/)
      assert.deepEqual(answer, { result_type: 'get_balance',
        result: { balance: 7 }, error: null })
    }
    const [a, b] = (await wallet('only-nip04')).requests.slice(-2)
    assert.equal(a.encryption_tag, null)
    assert.equal(a.encryption, 'nip04')
    assert.equal(b.encryption_tag, 'nip04')
  })

  test('a NIP-44 wallet reads an untagged request as NIP-04', async () => {
    const { reply, answer } = await rawRequest(w44, { scheme: 'nip04' })
    assert.ok(reply, 'no reply')
    assert.match(reply.content, /\?iv=/)
    assert.equal(answer.result.balance, 9)
    const last = (await wallet('both')).requests.at(-1)
    assert.equal(last.encryption, 'nip04')
    assert.equal(last.encryption_tag, null)
  })

  test('a NIP-44 reply is NIP-44 and tagged e and p', async () => {
    const { request, reply, answer } = await rawRequest(w44, {
      scheme: 'nip44_v2',
      tags: [['p', w44.wallet_pubkey], ['encryption', 'nip44_v2']] })
    assert.ok(reply, 'no reply')
    assert.doesNotMatch(reply.content, /\?iv=/)
    assert.equal(answer.result.balance, 9)
    assert.deepEqual(tag(reply, 'e'), ['e', request.id])
    assert.deepEqual(tag(reply, 'p'), ['p', w44.client_pubkey])
  })

  test('a NIP-44 request tagged nip04 is undecryptable, not answered', async () => {
    const { reply } = await rawRequest(w44, { scheme: 'nip44_v2', wait: 1000,
      tags: [['p', w44.wallet_pubkey], ['encryption', 'nip04']] })
    assert.equal(reply, null)
    const last = (await wallet('both')).requests.at(-1)
    assert.equal(last.outcome, 'undecryptable')
    assert.equal(last.content_format, 'nip44_v2')
  })

  test('an unknown scheme is refused', async () => {
    const { reply } = await rawRequest(w44, { scheme: 'nip44_v2', wait: 1000,
      tags: [['p', w44.wallet_pubkey], ['encryption', 'nip44_v3']] })
    assert.equal(reply, null)
    assert.equal((await wallet('both')).requests.at(-1).outcome, 'refused')
  })

  test('reply_p_tag false gives the SDK\'s own reply, e tag only', async () => {
    const w = await createWallet({ name: 'sdk-replies', reply_p_tag: false })
    const { reply } = await rawRequest(w, { scheme: 'nip44_v2',
      tags: [['p', w.wallet_pubkey], ['encryption', 'nip44_v2']] })
    assert.ok(reply, 'no reply')
    assert.deepEqual(reply.tags.map((t) => t[0]), ['e'])
  })

  // The relay refuses events already expired (NIP-40): the wallet's clock
  // runs ahead instead.
  test('a request past its expiration tag is ignored', async () => {
    await ok('POST', '/clock', { offset_seconds: 120 })
    try {
      const { reply } = await rawRequest(w44, { scheme: 'nip44_v2', wait: 1000,
        tags: [['p', w44.wallet_pubkey], ['encryption', 'nip44_v2'],
          ['expiration', String(now() + 60)]] })
      assert.equal(reply, null)
    } finally {
      await ok('POST', '/clock', { offset_seconds: 0 })
    }
    assert.equal((await wallet('both')).requests.at(-1).outcome, 'expired')
  })

  test('a NIP-44 client of a NIP-04 wallet times out', async () => {
    const c = new NWCClient({ nostrWalletConnectUrl: w04.uri })
    clients.push(c)
    c._encryptionType = 'nip44_v2' // what a client that ignores the info event does
    await assert.rejects(call(c, 'get_balance', {}, 1200), Nip47ReplyTimeoutError)
  })
})

// --- the ledger rules and bad params ---

describe('ledger and params', () => {
  let a, b

  before(async () => {
    a = await createWallet({ name: 'alice', balance_msats: 5000 })
    b = await createWallet({ name: 'bob', encryption: 'nip04',
      methods: ['get_info', 'make_invoice', 'lookup_invoice'] })
  })

  test('a method the wallet does not offer is NOT_IMPLEMENTED', async () => {
    assert.equal((await infoEvent(b.wallet_pubkey)).content,
      'get_info make_invoice lookup_invoice')
    assert.deepEqual((await b.client.getInfo()).methods,
      ['get_info', 'make_invoice', 'lookup_invoice'])
    await assert.rejects(b.client.getBalance(), walletError('NOT_IMPLEMENTED'))
    await assert.rejects(call(b.client, 'list_transactions', {}),
      walletError('NOT_IMPLEMENTED'))
  })

  test('an invoice the ledger never made has no route', async () => {
    const hash = sha256(randomBytes(32))
    const enc = bolt11.encode({ millisatoshis: '1000', tags: [
      { tagName: 'payment_hash', data: hash },
      { tagName: 'description', data: 'elsewhere' }] })
    const foreign = bolt11.sign(enc, randomBytes(32).toString('hex')).paymentRequest
    await assert.rejects(a.client.payInvoice({ invoice: foreign }),
      walletError('PAYMENT_FAILED', /no route/))
    await assert.rejects(a.client.payInvoice({ invoice: 'lnbc1garbage' }),
      walletError('OTHER'))
    await assert.rejects(call(a.client, 'pay_invoice', {}), walletError('OTHER'))
    assert.equal(await balance('alice'), 5000)
  })

  test('make_invoice refuses amounts that are not positive integers', async () => {
    for (const amount of [0, -5, 1.5, '100', null]) {
      await assert.rejects(call(a.client, 'make_invoice', { amount }),
        walletError('OTHER', /amount/), JSON.stringify(amount))
    }
    await assert.rejects(call(a.client, 'make_invoice', { amount: 1, expiry: -1 }),
      walletError('OTHER', /expiry/))
    await assert.rejects(call(a.client, 'make_invoice',
      { amount: 1, description_hash: 'xyz' }), walletError('OTHER'))
    assert.equal((await ok('GET', '/ledger')).filter((i) => i.payee === 'alice')
      .length, 0)
  })

  test('lookup_invoice finds only this wallet\'s invoices', async () => {
    const t = await b.client.makeInvoice({ amount: 2000 })
    await assert.rejects(a.client.lookupInvoice({ payment_hash: t.payment_hash }),
      walletError('NOT_FOUND'))
    await assert.rejects(a.client.lookupInvoice({ payment_hash: '00'.repeat(32) }),
      walletError('NOT_FOUND'))
    await assert.rejects(call(a.client, 'lookup_invoice', {}), walletError('OTHER'))
    assert.equal((await b.client.lookupInvoice({ invoice: t.invoice })).state,
      'pending')
  })

  test('a wallet pays by hand under the same rules', async () => {
    const t = await b.client.makeInvoice({ amount: 2500 })
    const r = await ok('POST', '/wallets/alice/pay', { invoice: t.invoice })
    assert.equal(r.payment_hash, t.payment_hash)
    assert.equal(sha256(Buffer.from(r.preimage, 'hex')), t.payment_hash)
    assert.equal(await balance('alice'), 2500)
    assert.equal(await balance('bob'), 2500)
    const again = await request('POST', '/wallets/alice/pay', { invoice: t.invoice })
    assert.equal(again.status, 400)
    assert.equal(again.json.code, 'PAYMENT_FAILED')
    const big = await b.client.makeInvoice({ amount: 2501 })
    const poor = await request('POST', '/wallets/alice/pay', { invoice: big.invoice })
    assert.equal(poor.json.code, 'INSUFFICIENT_BALANCE')
    await ok('POST', '/wallets/alice/balance', { balance_msats: 2501 })
    await ok('POST', '/wallets/alice/pay', { invoice: big.invoice })
    assert.equal(await balance('alice'), 0)
    assert.equal((await b.client.lookupInvoice({ payment_hash: big.payment_hash }))
      .state, 'settled')
  })
})

// --- the control API ---

describe('control API', () => {
  test('bad input gets a JSON error and changes nothing', async () => {
    const before = await ok('GET', '/wallets')
    const cases = [
      ['POST', '/wallets', 'not json', 400],
      ['POST', '/wallets', '[1]', 400],
      ['POST', '/wallets', { name: 'x', color: 'red' }, 400],
      ['POST', '/wallets', { name: '' }, 400],
      ['POST', '/wallets', { name: '../etc' }, 400],
      ['POST', '/wallets', { name: 'x', encryption: 'nip44_v2' }, 400],
      ['POST', '/wallets', { name: 'x', balance_msats: -1 }, 400],
      ['POST', '/wallets', { name: 'x', balance_msats: 1.5 }, 400],
      ['POST', '/wallets', { name: 'x', methods: ['pay_keysend'] }, 400],
      ['POST', '/wallets', { name: 'x', methods: [] }, 400],
      ['POST', '/wallets', { name: 'alice' }, 400],
      ['POST', '/wallets', '{"name":"' + 'x'.repeat(70000) + '"}', 400],
      ['GET', '/wallets/nobody', undefined, 404],
      ['GET', '/wallets/%zz', undefined, 400],
      ['POST', '/wallets/nobody/pay', { invoice: 'lnbc1' }, 404],
      ['POST', '/wallets/alice/pay', { invoice: 5 }, 400],
      ['POST', '/wallets/alice/balance', { balance_msats: '5' }, 400],
      ['POST', '/wallets/alice/behavior', { mode: 'sleepy' }, 400],
      ['POST', '/wallets/alice/behavior', { mode: 'late' }, 400],
      ['POST', '/wallets/alice/behavior', { mode: 'error', error_code: 'oops' }, 400],
      ['POST', '/wallets/alice/behavior', { mode: 'silent', count: 0 }, 400],
      ['POST', '/wallets/alice/behavior', { mode: 'silent', methods: ['x'] }, 400],
      ['POST', '/clock', { offset_seconds: 'soon' }, 400],
      ['DELETE', '/ledger', undefined, 404],
      ['GET', '/nothing', undefined, 404],
    ]
    for (const [method, path, body, status] of cases) {
      const r = await request(method, path, body)
      assert.equal(r.status, status, `${method} ${path} ${String(body).slice(0, 40)}: ${r.text}`)
      assert.equal(typeof r.json?.error, 'string', r.text)
    }
    assert.deepEqual(await ok('GET', '/wallets'), before)
    assert.equal((await wallet('alice')).behavior.mode, 'normal')
  })

  test('POST /clock moves the wallet clock', async () => {
    const r = await ok('POST', '/clock', { offset_seconds: 3600 })
    assert.ok(Math.abs(r.now - now() - 3600) <= 2)
    assert.equal((await ok('GET', '/clock')).offset_seconds, 3600)
    await ok('POST', '/clock', { offset_seconds: 0 })
  })

  test('WALLET_NOW_OFFSET sets the clock, and SIGTERM stops the fake', async () => {
    const other = await start(FAKE, { WALLET_RELAY: relayUrl,
      WALLET_NOW_OFFSET: '-86400' })
    const r = await request('GET', '/clock', undefined, other.port)
    assert.equal(r.json.offset_seconds, -86400)
    assert.ok(Math.abs(r.json.now - now() + 86400) <= 2)
    const code = new Promise((resolve) => other.proc.once('exit', resolve))
    other.proc.kill('SIGTERM')
    assert.equal(await code, 0)
  })

  test('a relay that is not there is a 503, not a crash', async () => {
    const other = await start(FAKE, { WALLET_RELAY: 'ws://127.0.0.1:9' })
    try {
      const r = await request('POST', '/wallets', { name: 'lost' }, other.port)
      assert.equal(r.status, 503, r.text)
      assert.equal((await request('GET', '/wallets', undefined, other.port)).text,
        '[]\n')
    } finally {
      other.proc.kill('SIGTERM')
    }
  })

  test('POST /reset forgets wallets, ledger and clock', async () => {
    await ok('POST', '/clock', { offset_seconds: 5 })
    await ok('POST', '/reset')
    assert.deepEqual(await ok('GET', '/wallets'), [])
    assert.deepEqual(await ok('GET', '/ledger'), [])
    assert.equal((await ok('GET', '/clock')).offset_seconds, 0)
    const w = await createWallet({ name: 'alice' })
    assert.equal((await w.client.getBalance()).balance, 0)
  })
})
