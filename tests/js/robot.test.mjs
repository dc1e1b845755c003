// robot.test.mjs: caravel-robot run as cron runs it against real relays on
// loopback (tests/relay/relay.mjs on @nostr-relay/core), checked by an
// independent client: nostr-tools publishes the recipients' kind 10002 and
// 10050, then reads and unwraps what reached their inbox (spec/workers.md
// §4, issue "caravel-robot").
//
// Environment (from tests/e2e/t0800-robot.sh): CARAVEL_BUILDDIR,
// CARAVEL_SRCDIR, CARAVEL_TMP; CARAVEL_SANITIZERS=1 in an instrumented
// build (Makefile.am).
import { test, before, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, execFileSync, spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync, existsSync, unlinkSync } from 'node:fs'
import net from 'node:net'
import WebSocket from 'ws'
import { generateSecretKey, getPublicKey, finalizeEvent } from 'nostr-tools/pure'
import { Relay, useWebSocketImplementation } from 'nostr-tools/relay'
import { WebSocketServer } from 'ws'
import * as nip44 from 'nostr-tools/nip44'
import * as nip59 from 'nostr-tools/nip59'

useWebSocketImplementation(WebSocket)

const BUILD = process.env.CARAVEL_BUILDDIR
const SRC = process.env.CARAVEL_SRCDIR
const TMP = process.env.CARAVEL_TMP
const DB = `${TMP}/robot.db`
const ENV = `${TMP}/robot.env`
const hex = (b) => Buffer.from(b).toString('hex')

const children = []
const relays = {}

function startRelay (name, env = {}) {
  return new Promise((resolve, reject) => {
    const log = `${TMP}/relay-${name}.log`
    writeFileSync(log, '')
    const p = spawn('node', [`${SRC}/tests/relay/relay.mjs`], {
      env: { ...process.env, RELAY_LOG: log, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    children.push(p)
    let out = ''
    p.stdout.on('data', (d) => {
      out += d
      const m = out.match(/listening (\d+)/)
      if (m) {
        relays[name] = { url: `ws://127.0.0.1:${m[1]}`, log, proc: p }
        resolve(relays[name])
      }
    })
    p.on('exit', (code) => reject(new Error(`relay ${name} exited ${code}`)))
  })
}

// A loopback port nobody listens on: a relay that is down.
function downUrl () {
  return new Promise((resolve) => {
    const s = net.createServer()
    s.listen(0, '127.0.0.1', () => {
      const port = s.address().port
      s.close(() => resolve(`ws://127.0.0.1:${port}`))
    })
  })
}

const robotSk = generateSecretKey()
const robotPk = getPublicKey(robotSk)
let settings

function writeEnv (extra = {}) {
  const lines = { ...settings, ...extra }
  writeFileSync(ENV, Object.entries(lines).map(([k, v]) => `${k}=${v}`).join('\n') + '\n')
}

function run (bin, args, env = {}) {
  const r = spawnSync(`${BUILD}/${bin}`, ['--env-file', ENV, ...args], {
    env: { PATH: process.env.PATH, ...env },
    encoding: 'utf8',
    timeout: 60000,
  })
  return { code: r.status, signal: r.signal, out: (r.stdout || '') + (r.stderr || '') }
}

const robot = (env) => run('caravel-robot', [], env)

// A pass run without blocking this process, so that relays served from
// it (the hostile one, the canary) can answer meanwhile.
function runAsync (bin, args, env = {}) {
  return new Promise((resolve) => {
    const p = spawn(bin, args, { env: { PATH: process.env.PATH, ...env } })
    let out = ''
    let err = ''
    p.stdout.on('data', (d) => { out += d })
    p.stderr.on('data', (d) => { err += d })
    const timer = setTimeout(() => p.kill('SIGKILL'), 60000)
    p.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, out: out + err, stderr: err })
    })
  })
}
const robotAsync = (args = [], env = {}) =>
  runAsync(`${BUILD}/caravel-robot`, ['--env-file', ENV, ...args], env)

// A pass under tests/peakrss: its result and its peak resident memory, kB.
async function robotPeak (env = {}) {
  const r = await runAsync(`${BUILD}/tests/peakrss`, [`${BUILD}/caravel-robot`, '--env-file', ENV], env)
  const m = r.stderr.match(/^peakrss (\d+)$/m)
  assert.ok(m, r.out)
  return { ...r, kb: Number(m[1]) }
}

const sql = (q) => execFileSync('sqlite3', [DB, q], { encoding: 'utf8' }).trim()

function queueDm (pk, text) {
  const r = run('caravel-admin', ['dm', pk, text])
  assert.equal(r.code, 0, r.out)
  return Number(r.out.match(/queued DM (\d+)/)[1])
}

async function publish (url, sk, kind, tags, content = '') {
  const relay = await Relay.connect(url)
  try {
    await relay.publish(finalizeEvent({ kind, tags, content, created_at: Math.floor(Date.now() / 1000) }, sk))
  } finally {
    relay.close()
  }
}

async function query (url, filter) {
  const relay = await Relay.connect(url)
  try {
    return await new Promise((resolve) => {
      const got = []
      const sub = relay.subscribe([filter], {
        onevent: (e) => got.push(e),
        oneose: () => { sub.close(); resolve(got) },
      })
    })
  } finally {
    relay.close()
  }
}

// A recipient with a kind 10002 on the indexer (its outbox relay) and a
// kind 10050 on that outbox relay naming its DM relays.
async function recipient (dmRelays, { with10050 = true } = {}) {
  const sk = generateSecretKey()
  const pk = getPublicKey(sk)
  await publish(relays.idx.url, sk, 10002, [['r', relays.theirs.url]])
  if (with10050) {
    await publish(relays.theirs.url, sk, 10050, dmRelays.map((u) => ['relay', u]))
  }
  return { sk, pk }
}

// The seal's author, read by hand from the wrap (NIP-59): who sent it.
function sealAuthor (wrap, sk) {
  const seal = JSON.parse(nip44.decrypt(wrap.content, nip44.getConversationKey(sk, wrap.pubkey)))
  return seal.pubkey
}

const connections = (name) =>
  readFileSync(relays[name].log, 'utf8').split('\n').filter((l) => l.startsWith('{"conn"') && !l.includes('"event"')).length

before(async () => {
  await startRelay('idx')
  await startRelay('out')
  await startRelay('msg')
  await startRelay('theirs')
  await startRelay('inbox')
  await startRelay('inbox2')
  await startRelay('authbox', { RELAY_AUTH: 'lazy' })
  settings = {
    DATABASE_URL: `sqlite://${DB}`,
    ENCRYPTION_SECRET: hex(generateSecretKey()),
    ROBOT_SECRET: hex(robotSk),
    ROBOT_NAME: 'Caravel',
    ROBOT_DESCRIPTION: 'Billing notices',
    ROBOT_PICTURE: 'https://example.com/robot.png',
    ROBOT_OUTBOX_RELAYS: relays.out.url,
    ROBOT_INDEXER_RELAYS: relays.idx.url,
    ROBOT_MESSAGING_RELAYS: relays.msg.url,
    HTTP_TIMEOUT: '3',
    // The recipients' relays here are on loopback, which a deployment
    // refuses; the canary test below turns this off again.
    ALLOW_PRIVATE_ADDRESSES: '1',
  }
  writeEnv()
  assert.equal(run('caravel-admin', ['migrate']).code, 0)
})

after(() => {
  for (const p of children) p.kill('SIGKILL')
})

test('profile: kind 0, 10002 and 10050 published, then only when changed', async () => {
  const r = robot()
  assert.equal(r.code, 0, r.out)
  assert.match(r.out, /3 profile events published/)
  const [meta] = await query(relays.idx.url, { kinds: [0], authors: [robotPk] })
  assert.deepEqual(JSON.parse(meta.content), {
    name: 'Caravel', about: 'Billing notices', picture: 'https://example.com/robot.png',
  })
  const [list] = await query(relays.out.url, { kinds: [10002], authors: [robotPk] })
  assert.deepEqual(list.tags, [['r', relays.out.url]])
  const [inbox] = await query(relays.msg.url, { kinds: [10050], authors: [robotPk] })
  assert.deepEqual(inbox.tags, [['relay', relays.msg.url]])
  assert.equal((await query(relays.msg.url, { kinds: [0], authors: [robotPk] })).length, 0,
    'kind 0 goes to the outbox and indexer relays only')

  const again = run('caravel-robot', ['-v'])
  assert.match(again.out, /0 profile events published/, 'unchanged: nothing republished')
  assert.equal(robot().out, '', 'an idle pass prints nothing without -v')
  writeEnv({ ROBOT_NAME: 'Caravel Billing' })
  const changed = robot()
  assert.match(changed.out, /1 profile events published/)
  const [meta2] = await query(relays.idx.url, { kinds: [0], authors: [robotPk] })
  assert.equal(JSON.parse(meta2.content).name, 'Caravel Billing')
  writeEnv()
  robot()
})

test('a DM reaches the inbox: nostr-tools unwraps the exact text from the robot', async () => {
  const bob = await recipient([relays.inbox.url])
  const text = 'Payment is due for your relay subscription. Please visit the application to complete a manual Lightning payment.'
  const id = queueDm(bob.pk, text)
  const r = robot()
  assert.equal(r.code, 0, r.out)
  assert.match(r.out, /1 sent, 0 retried, 0 failed/)
  assert.equal(sql(`SELECT status FROM dm_outbox WHERE id = ${id}`), 'sent')

  const wraps = await query(relays.inbox.url, { kinds: [1059], '#p': [bob.pk] })
  assert.equal(wraps.length, 1)
  const wrap = wraps[0]
  assert.notEqual(wrap.pubkey, robotPk, 'the wrap is signed by a fresh key')
  assert.deepEqual(wrap.tags.filter((t) => t[0] === 'p'), [['p', bob.pk]])
  const rumor = nip59.unwrapEvent(wrap, bob.sk)
  assert.equal(rumor.kind, 14)
  assert.equal(rumor.content, text)
  assert.equal(rumor.pubkey, robotPk)
  assert.ok(rumor.tags.some((t) => t[0] === 'p' && t[1] === bob.pk))
  assert.equal(sealAuthor(wrap, bob.sk), robotPk, 'the seal is signed by the robot')
  assert.ok(wrap.created_at <= Math.floor(Date.now() / 1000) + 1, 'never dated ahead')

  const copies = await query(relays.msg.url, { kinds: [1059], '#p': [robotPk] })
  assert.ok(copies.some((w) => nip59.unwrapEvent(w, robotSk).content === text),
    'a copy wrapped to the robot sits on its messaging relay')
  assert.equal(sql(`SELECT ok FROM dm_delivery WHERE dm_id = ${id} AND relay_url = '${relays.inbox.url}'`), '1')
})

test('no kind 10050: the DM stays queued with that error; the lookup is cached 5 minutes', async () => {
  const carol = await recipient([], { with10050: false })
  const id = queueDm(carol.pk, 'hello carol')
  const r = robot()
  assert.equal(r.code, 0, r.out)
  const [status, attempts, err] = sql(`SELECT status, attempts, last_error FROM dm_outbox WHERE id = ${id}`).split('|')
  assert.equal(status, 'queued')
  assert.equal(attempts, '1')
  assert.match(err, /10050/)
  const out = run('caravel-admin', ['outbox'])
  assert.match(out.out, /queued .*10050/)

  // Carol publishes her DM relays. What the robot learned is cached for
  // 5 minutes: a retry within them still finds none; after them it looks
  // again and sends.
  const t0 = Math.floor(Date.now() / 1000)
  await publish(relays.theirs.url, carol.sk, 10050, [['relay', relays.inbox.url]])
  robot({ CARAVEL_TEST_NOW: String(t0 + 120) })
  assert.equal(sql(`SELECT status, attempts FROM dm_outbox WHERE id = ${id}`), 'queued|2',
    'within 5 minutes the cached answer (no 10050) still holds')
  robot({ CARAVEL_TEST_NOW: String(t0 + 305) })
  assert.equal(sql(`SELECT status FROM dm_outbox WHERE id = ${id}`), 'sent',
    'after 5 minutes the relays are looked up again')
  const [wrap] = await query(relays.inbox.url, { kinds: [1059], '#p': [carol.pk] })
  assert.equal(nip59.unwrapEvent(wrap, carol.sk).content, 'hello carol')
})

test('an inbox relay that demands NIP-42 AUTH gets it, then stores the DM', async () => {
  const dave = await recipient([relays.authbox.url])
  const id = queueDm(dave.pk, 'hello dave')
  const r = robot()
  assert.equal(r.code, 0, r.out)
  assert.equal(sql(`SELECT status FROM dm_outbox WHERE id = ${id}`), 'sent')
  const wrapId = JSON.parse(sql(`SELECT wrap_json FROM dm_outbox WHERE id = ${id}`)).id
  assert.ok(readFileSync(relays.authbox.log, 'utf8').includes(wrapId), 'the relay stored the wrap')
})

test('one inbox relay down and another up: sent, each result recorded', async () => {
  const down = await downUrl()
  const erin = await recipient([down, relays.inbox2.url])
  const id = queueDm(erin.pk, 'hello erin')
  const r = robot()
  assert.equal(r.code, 0, r.out)
  assert.equal(sql(`SELECT status FROM dm_outbox WHERE id = ${id}`), 'sent')
  assert.equal(sql(`SELECT ok FROM dm_delivery WHERE dm_id = ${id} AND relay_url = '${down}'`), '0')
  assert.equal(sql(`SELECT ok FROM dm_delivery WHERE dm_id = ${id} AND relay_url = '${relays.inbox2.url}'`), '1')
  const [wrap] = await query(relays.inbox2.url, { kinds: [1059], '#p': [erin.pk] })
  assert.equal(nip59.unwrapEvent(wrap, erin.sk).content, 'hello erin')
})

test('all inbox relays down: queued and retried with backoff, failed after a day', async () => {
  const frank = await recipient([await downUrl(), await downUrl()])
  const id = queueDm(frank.pk, 'hello frank')
  const now = Math.floor(Date.now() / 1000)
  robot()
  let [status, attempts, next] = sql(`SELECT status, attempts, next_attempt_at FROM dm_outbox WHERE id = ${id}`).split('|')
  assert.equal(status, 'queued')
  assert.equal(attempts, '1')
  assert.ok(Number(next) >= now + 55, 'the next attempt waits')
  robot()
  assert.equal(sql(`SELECT attempts FROM dm_outbox WHERE id = ${id}`), '1', 'not retried before its time')
  robot({ CARAVEL_TEST_NOW: String(now + 3600) });
  [status, attempts] = sql(`SELECT status, attempts FROM dm_outbox WHERE id = ${id}`).split('|')
  assert.equal(attempts, '2', 'retried when due')
  robot({ CARAVEL_TEST_NOW: String(now + 2 * 86400) });
  [status] = sql(`SELECT status, last_error FROM dm_outbox WHERE id = ${id}`).split('|')
  assert.equal(status, 'failed', 'failed after a day, never dropped')
  assert.notEqual(sql(`SELECT last_error FROM dm_outbox WHERE id = ${id}`), '')
})

test('kill -9 after publishing: the retry republishes the same wrap, one DM in the inbox', async () => {
  const gina = await recipient([relays.inbox.url])
  const id = queueDm(gina.pk, 'hello gina')
  const r = robot({ CARAVEL_STOP_AT: 'robot-after-publish' })
  assert.equal(r.signal, 'SIGKILL', r.out)
  assert.equal(sql(`SELECT status FROM dm_outbox WHERE id = ${id}`), 'queued')
  const wrapId = JSON.parse(sql(`SELECT wrap_json FROM dm_outbox WHERE id = ${id}`)).id
  const r2 = robot()
  assert.equal(r2.code, 0, r2.out)
  assert.equal(sql(`SELECT status FROM dm_outbox WHERE id = ${id}`), 'sent')
  const wraps = await query(relays.inbox.url, { kinds: [1059], '#p': [gina.pk] })
  assert.deepEqual(wraps.map((w) => w.id), [wrapId], 'exactly the stored wrap, once')
})

test('many DMs in one pass share one connection per relay', async () => {
  const hank = await recipient([relays.inbox2.url])
  const before = connections('inbox2')
  for (let i = 0; i < 5; i++) queueDm(hank.pk, `notice ${i}`)
  const r = robot()
  assert.match(r.out, /5 sent/)
  assert.equal(connections('inbox2') - before, 1)
  const wraps = await query(relays.inbox2.url, { kinds: [1059], '#p': [hank.pk] })
  const texts = wraps.map((w) => nip59.unwrapEvent(w, hank.sk).content).sort()
  assert.deepEqual(texts, ['notice 0', 'notice 1', 'notice 2', 'notice 3', 'notice 4'])
})

test('a second pass started while one runs exits at once, sending nothing', async () => {
  const ivy = await recipient([relays.inbox2.url])
  const id = queueDm(ivy.pk, 'hello ivy')
  // Another pass holds the lock (flock(1) takes the same kind of lock;
  // -o: only flock itself holds it, so killing flock releases it).
  const holder = spawn('flock', ['-o', `${DB}.robot.lock`, 'sleep', '30'])
  await new Promise((resolve) => setTimeout(resolve, 300))
  try {
    const r = robot()
    assert.equal(r.code, 0, r.out)
    assert.match(r.out, /another robot pass holds/)
    assert.equal(sql(`SELECT status, attempts FROM dm_outbox WHERE id = ${id}`), 'queued|0')
  } finally {
    holder.kill('SIGKILL')
  }
  await new Promise((resolve) => holder.on('exit', resolve))
  assert.match(robot().out, /1 sent/)
})

// A relay run by a hostile recipient (issue "Hardening" §1). What it does
// depends on the path it is reached at:
//   /huge    20 events of about 1 MB, signed by the victim, then EOSE
//   /flood   an endless stream that never sends EOSE and ignores CLOSE:
//            events of about 50 kB of many tiny tags (what costs a parser
//            most), each newer than the last, matching the query, mixed
//            with events of another kind and of another author
//   /silent  takes the REQ and never answers
// sent[path] counts the messages it got out, sent.floodBytes their bytes.
async function startHostile (sk) {
  const stranger = generateSecretKey()
  const t0 = Math.floor(Date.now() / 1000)
  const tags = (n) => Array.from({ length: n }, (_, i) => ['x', String(i)])
  const huge = Array.from({ length: 20 }, (_, i) =>
    finalizeEvent({ kind: 10050, tags: tags(90000), content: '', created_at: t0 + i }, sk))
  const flood = Array.from({ length: 60 }, (_, i) => {
    const [kind, key] = [[10050, sk], [1, sk], [10050, stranger]][i % 3]
    return finalizeEvent({ kind, tags: tags(4500), content: '', created_at: t0 + 100 + i }, key)
  })
  const sent = { huge: 0, flood: 0, floodBytes: 0, silent: 0 }
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  wss.on('connection', (ws, req) => {
    const path = req.url.replace(/^\//, '')
    ws.on('error', () => {})
    ws.on('message', (data) => {
      const msg = JSON.parse(data)
      if (msg[0] !== 'REQ') return
      const sub = msg[1]
      if (path === 'huge') {
        for (const e of huge) { ws.send(JSON.stringify(['EVENT', sub, e])); sent.huge++ }
        ws.send(JSON.stringify(['EOSE', sub]))
      } else if (path === 'flood') {
        let i = 0
        // A burst at a time, yielding in between: a peer that went away
        // is only seen as closed by the event loop, and a send to a
        // destroyed socket never fills bufferedAmount. Bounded in total.
        const pump = () => {
          for (let n = 0; n < 64 && ws.readyState === WebSocket.OPEN &&
            ws.bufferedAmount < (1 << 20); n++) {
            const msg = JSON.stringify(['EVENT', sub, flood[i++ % flood.length]])
            ws.send(msg)
            sent.flood++
            sent.floodBytes += msg.length
          }
          if (ws.readyState === WebSocket.OPEN && sent.floodBytes < (256 << 20)) setTimeout(pump, 2)
        }
        pump()
      } else {
        sent.silent++
      }
    })
  })
  await new Promise((resolve) => wss.on('listening', resolve))
  children.push({ kill: () => wss.close() })
  return { url: `ws://127.0.0.1:${wss.address().port}`, sent }
}

test('hostile relays in a recipient\'s list: the robot stays under 32 MB and the other DMs in the pass are sent', async (t) => {
  const malSk = generateSecretKey()
  const mal = getPublicKey(malSk)
  const hostile = await startHostile(malSk)
  await publish(relays.idx.url, malSk, 10002,
    ['huge', 'flood', 'silent'].map((p) => ['r', `${hostile.url}/${p}`]))
  const before = await recipient([relays.inbox.url])
  const after = await recipient([relays.inbox2.url])
  const quiet = await robotPeak()
  assert.equal(quiet.code, 0, quiet.out)
  const ids = [queueDm(before.pk, 'first'), queueDm(mal, 'to the hostile one'), queueDm(after.pk, 'last')]

  const r = await robotPeak()
  assert.equal(r.code, 0, r.out)
  t.diagnostic(`peak resident memory: ${r.kb} kB in the hostile pass, ${quiet.kb} kB in a quiet one; ` +
    `the flood relay got out ${hostile.sent.flood} messages (${hostile.sent.floodBytes} bytes), the huge one ${hostile.sent.huge}`)
  assert.equal(sql(`SELECT status FROM dm_outbox WHERE id = ${ids[0]}`), 'sent')
  assert.equal(sql(`SELECT status FROM dm_outbox WHERE id = ${ids[2]}`), 'sent')
  const [wrap] = await query(relays.inbox2.url, { kinds: [1059], '#p': [after.pk] })
  assert.equal(nip59.unwrapEvent(wrap, after.sk).content, 'last')
  // What the hostile relays sent was read and bounded, not avoided: the
  // flood got out more than the 4 MiB a query reads from one relay; the
  // lists it sent name no relay, so the hostile recipient's DM waits.
  assert.ok(hostile.sent.floodBytes > 4 * 1024 * 1024, `the flood sent ${hostile.sent.floodBytes} bytes`)
  assert.ok(hostile.sent.huge >= 1)
  assert.ok(hostile.sent.silent >= 1)
  const [status, err] = sql(`SELECT status, last_error FROM dm_outbox WHERE id = ${ids[1]}`).split('|')
  assert.equal(status, 'queued')
  assert.match(err, /10050/)
  if (process.env.CARAVEL_SANITIZERS === '1') {
    // ASan's shadow memory and quarantine are not the product's memory:
    // the bound is held by the uninstrumented build's run of this test.
    t.diagnostic('instrumented build: the 32 MB bound is checked by the plain build')
  } else {
    assert.ok(r.kb < 32 * 1024, `peak ${r.kb} kB`)
  }
})

// A canary on loopback: any TCP connection it sees is a failure.
async function startCanary () {
  const got = []
  const srv = net.createServer((sock) => {
    sock.on('data', (d) => got.push(String(d)))
    sock.on('error', () => {})
    got.push('connection')
  })
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve))
  children.push({ kill: () => srv.close() })
  return { port: srv.address().port, got }
}

test('ALLOW_PRIVATE_ADDRESSES off: relays a recipient names on loopback are never connected to, and the reason is recorded', async () => {
  const canary = await startCanary()
  const sk = generateSecretKey()
  const pk = getPublicKey(sk)
  const urls = [
    `ws://127.0.0.1:${canary.port}/latest/meta-data/iam/`,
    `ws://localhost:${canary.port}/`,
    `ws://[::ffff:127.0.0.1]:${canary.port}/`,
  ]
  // Both lists sit on the indexer (the operator's, so trusted); the
  // relays they name are the recipient's.
  await publish(relays.idx.url, sk, 10002, urls.map((u) => ['r', u]))
  await publish(relays.idx.url, sk, 10050, urls.map((u) => ['relay', u]))
  const id = queueDm(pk, 'hello canary')
  writeEnv({ ALLOW_PRIVATE_ADDRESSES: '0' })
  try {
    const r = await robotAsync()
    assert.equal(r.code, 0, r.out)
  } finally {
    writeEnv()
  }
  await new Promise((resolve) => setTimeout(resolve, 200))
  assert.deepEqual(canary.got, [], 'the canary heard nothing')
  assert.equal(sql(`SELECT status FROM dm_outbox WHERE id = ${id}`), 'queued')
  const rows = sql(`SELECT relay_url, ok, message FROM dm_delivery WHERE dm_id = ${id} ORDER BY relay_url`).split('\n')
  assert.equal(rows.length, urls.length, rows.join('\n'))
  for (const row of rows) assert.match(row, /\|0\|refused: .* is not a public address$/)

  // The operator's own relays on loopback stay reachable (trusted), and
  // with the knob on the same recipient is served.
  const r2 = await robotAsync([], { CARAVEL_TEST_NOW: String(Math.floor(Date.now() / 1000) + 3600) })
  assert.equal(r2.code, 0, r2.out)
  assert.ok(canary.got.length > 0, 'with the knob on, the canary was reached')
})

test('a relay URL with a control byte in a recipient\'s list is never kept, logged or stored', async () => {
  const sk = generateSecretKey()
  const pk = getPublicKey(sk)
  const forged = `${relays.inbox.url}\n2026-12-06T00:00:00Z caravel-robot: FORGED line`
  await publish(relays.idx.url, sk, 10002, [['r', relays.theirs.url]])
  await publish(relays.theirs.url, sk, 10050, [['relay', forged], ['relay', `${relays.inbox2.url}\u0085`], ['relay', relays.inbox2.url]])
  const id = queueDm(pk, 'hello control')
  const r = run('caravel-robot', ['-v']) // debug lines included
  assert.equal(r.code, 0, r.out)
  assert.doesNotMatch(r.out, /FORGED/)
  assert.equal(sql(`SELECT status FROM dm_outbox WHERE id = ${id}`), 'sent')
  assert.equal(sql(`SELECT group_concat(relay_url, ' ') FROM dm_delivery WHERE dm_id = ${id}`), relays.inbox2.url)
})

// --- a full disk (issue "Hardening" §6): src/db_fault.c fails every write
// while the flag file exists ---

const DISK_FULL = `${TMP}/disk-full`
const onFullDisk = (fn) => {
  writeFileSync(DISK_FULL, '')
  try {
    return fn()
  } finally {
    unlinkSync(DISK_FULL)
  }
}
const fullEnv = { CARAVEL_TEST_DISK_FULL: DISK_FULL }

test('disk full before the wraps are stored: nothing is published or recorded; with space back the DM goes out once', async () => {
  const kim = await recipient([relays.inbox.url])
  const id = queueDm(kim.pk, 'hello kim')
  const row = () => sql(`SELECT status, attempts, wrap_json IS NULL FROM dm_outbox WHERE id = ${id}`)
  const r = onFullDisk(() => robot(fullEnv))
  assert.equal(r.code, 1, 'cron hears of it')
  assert.match(r.out, /could not be written .*disk full or failing/)
  assert.equal(row(), 'queued|0|1', 'untouched')
  assert.equal((await query(relays.inbox.url, { kinds: [1059], '#p': [kim.pk] })).length, 0,
    'no wrap was published that could not be recorded')
  const r2 = robot(fullEnv)
  assert.equal(r2.code, 0, r2.out)
  assert.equal(sql(`SELECT status FROM dm_outbox WHERE id = ${id}`), 'sent')
  const wraps = await query(relays.inbox.url, { kinds: [1059], '#p': [kim.pk] })
  assert.equal(wraps.length, 1)
  assert.equal(nip59.unwrapEvent(wraps[0], kim.sk).content, 'hello kim')
  assert.equal(sql('PRAGMA integrity_check'), 'ok')
})

test('disk full after the wraps were stored: the wrap goes out but "sent" cannot be written; the next pass sends the same wrap, one DM', async () => {
  const lea = await recipient([relays.inbox.url])
  const id = queueDm(lea.pk, 'hello lea')
  assert.equal(robot({ CARAVEL_STOP_AT: 'robot-after-wraps' }).signal, 'SIGKILL')
  const wrapId = JSON.parse(sql(`SELECT wrap_json FROM dm_outbox WHERE id = ${id}`)).id
  assert.equal(onFullDisk(() => robot(fullEnv)).code, 1)
  assert.equal(sql(`SELECT status, attempts FROM dm_outbox WHERE id = ${id}`), 'queued|0',
    'the pass could record nothing')
  assert.deepEqual((await query(relays.inbox.url, { kinds: [1059], '#p': [lea.pk] })).map((w) => w.id),
    [wrapId], 'the stored wrap went out on the full disk')
  const r = robot(fullEnv)
  assert.equal(r.code, 0, r.out)
  assert.equal(sql(`SELECT status FROM dm_outbox WHERE id = ${id}`), 'sent')
  const wraps = await query(relays.inbox.url, { kinds: [1059], '#p': [lea.pk] })
  assert.deepEqual(wraps.map((w) => w.id), [wrapId], 'one DM: the stored wrap')
  assert.equal(sql('PRAGMA integrity_check'), 'ok')
})
