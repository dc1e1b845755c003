// bench/faults.mjs: the peers' side of bench/faults.sh, with nostr-tools
// and ws from tests/js/node_modules (npm ci --prefix tests/js). Two
// commands; every setting comes from the environment.
//
//   node faults.mjs setup
//       The tenants of the run, made the way users make them: through the
//       API behind nginx (FAULTS_API), signed with NIP-98 headers made
//       here. Tenant "reader" (the authenticated reads and PUT /relays
//       work on it) and FAULTS_TENANTS billing tenants, one kind in turn:
//         card     a card on file in the fake Stripe (attach_card)
//         nwc      a wallet of the wallet fake holding 10 BTC, saved with
//                  PUT /tenants/:pubkey
//         broke    a wallet holding nothing (auto-pay fails: a DM)
//         none     neither (the "payment is due" DM)
//       Each: POST /tenants (the API makes its Stripe customer), its
//       kind 10002 and 10050 on FAULTS_RELAY (the robot's indexer) naming
//       FAULTS_DM_RELAY, or for every eighth tenant only FAULTS_DEAD_RELAY
//       (a closed port: its DMs wait for a retry), then relays: 100 for
//       the reader, one basic and one free for each billing tenant. The
//       fakes may fail any call (FAKE_FAIL_RATE): a call the API answers
//       5xx is made again, as a web client would, up to 8 times.
//       Writes FAULTS_PLAN, the lines bench/faults.lua reads (headers are
//       the base64 after "Nostr "):
//         reader PUBKEY GET-TENANT GET-RELAYS
//         writer PUBKEY POST-RELAYS            one per billing tenant
//         put RELAY-ID PUT-RELAY               one per reader relay
//       and FAULTS_TENANTS_OUT: "PUBKEY KIND CUSTOMER" per tenant.
//   node faults.mjs wraps-on-relay URL < IDS
//       asks the relay at URL for the event ids on stdin (one a line) and
//       prints those it does not hold, one a line.
import { createRequire } from 'node:module';
import { readFileSync, writeFileSync } from 'node:fs';

const require = createRequire(new URL('../tests/js/package.json',
  import.meta.url));
const { generateSecretKey, getPublicKey, finalizeEvent } =
  require('nostr-tools/pure');
const WebSocket = require('ws');

const TIMEOUT_MS = 20000;
const KINDS = ['card', 'nwc', 'broke', 'none'];
const READER_RELAYS = 100;

function die(msg) {
  console.error(`faults.mjs: ${msg}`);
  process.exit(1);
}

function need(name) {
  const v = process.env[name];
  if (!v)
    die(`${name} must be set`);
  return v;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const hex = (b) => Buffer.from(b).toString('hex');

// A NIP-98 header for one URL and method, as bench/run.sh signs them.
function nip98(sk, method, url) {
  const ev = finalizeEvent({ kind: 27235,
    created_at: Math.floor(Date.now() / 1000),
    tags: [['u', url], ['method', method]], content: '' }, sk);
  return Buffer.from(JSON.stringify(ev)).toString('base64');
}

// One API call; a 5xx (a fake failed under the API) is tried again.
async function api(base, sk, method, path, body, want) {
  const url = base + path;
  let last = '';
  for (let i = 0; i < 8; i++) {
    const headers = { Authorization: `Nostr ${nip98(sk, method, url)}` };
    if (body !== undefined)
      headers['Content-Type'] = 'application/json';
    const res = await fetch(url, { method, headers,
      body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    if (res.status === want)
      return JSON.parse(text).data;
    last = `${res.status} ${text.slice(0, 300)}`;
    if (res.status < 500)
      break;
    await sleep(300 * (i + 1));
  }
  return die(`${method} ${path}: ${last}`);
}

// A control call to a fake (never failed by FAKE_FAIL_RATE).
async function control(url, body) {
  const res = await fetch(url, { method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body) });
  const text = await res.text();
  if (res.status !== 200)
    die(`${url}: ${res.status} ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

// One relay connection: publish() waits for OK, query() for EOSE.
function connect(url) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const acks = new Map();
    const subs = new Map();
    const timer = setTimeout(() => reject(new Error(`${url}: no answer`)),
      TIMEOUT_MS);
    timer.unref();
    ws.on('error', reject);
    ws.on('message', (data) => {
      let m;
      try {
        m = JSON.parse(data.toString());
      } catch {
        return;
      }
      if (m[0] === 'OK' && acks.has(m[1])) {
        acks.get(m[1])(m);
        acks.delete(m[1]);
      } else if (m[0] === 'EVENT' && subs.has(m[1])) {
        subs.get(m[1]).events.push(m[2]);
      } else if ((m[0] === 'EOSE' || m[0] === 'CLOSED') && subs.has(m[1])) {
        subs.get(m[1]).done();
        subs.delete(m[1]);
      }
    });
    ws.on('open', () => {
      clearTimeout(timer);
      resolve({
        publish: (ev) => new Promise((ok, fail) => {
          acks.set(ev.id, (m) => (m[2] ? ok() :
            fail(new Error(`${url}: ${ev.id}: ${m[3]}`))));
          ws.send(JSON.stringify(['EVENT', ev]));
        }),
        query: (id, filter) => new Promise((ok) => {
          const s = { events: [], done: () => ok(s.events) };
          subs.set(id, s);
          ws.send(JSON.stringify(['REQ', id, filter]));
        }),
        close: () => ws.close(),
      });
    });
  });
}

async function setup() {
  const base = need('FAULTS_API');
  const relayUrl = need('FAULTS_RELAY');
  const dmRelay = need('FAULTS_DM_RELAY');
  const deadRelay = need('FAULTS_DEAD_RELAY');
  const wallets = need('FAULTS_WALLET_CTL');
  const stripe = need('FAULTS_STRIPE');
  const n = Number(need('FAULTS_TENANTS'));
  const planFile = need('FAULTS_PLAN');
  const tenantsFile = need('FAULTS_TENANTS_OUT');
  if (!Number.isInteger(n) || n < 1)
    die('FAULTS_TENANTS must be a whole number, at least 1');

  const relay = await connect(relayUrl);
  const now = Math.floor(Date.now() / 1000);
  const tenants = [];
  for (let i = 0; i <= n; i++) {
    const sk = generateSecretKey();
    const t = { sk, pk: getPublicKey(sk), kind: i === 0 ? 'reader' :
      KINDS[(i - 1) % KINDS.length], dead: i > 0 && i % 8 === 0 };
    const data = await api(base, sk, 'POST', '/tenants', undefined, 200);
    t.customer = data.stripe_customer_id;
    if (!/^cus_/.test(t.customer || ''))
      die(`POST /tenants gave no Stripe customer: ${JSON.stringify(data)}`);
    if (t.kind === 'card' || t.kind === 'reader')
      await control(`${stripe}/__control`, { attach_card: t.customer });
    if (t.kind === 'nwc' || t.kind === 'broke') {
      const w = await control(`${wallets}/wallets`, { name: `t${i}`,
        balance_msats: t.kind === 'nwc' ? 1e12 : 0 });
      await api(base, sk, 'PUT', `/tenants/${t.pk}`, { nwc_url: w.uri },
        200);
    }
    const dm = t.dead ? deadRelay : dmRelay;
    await relay.publish(finalizeEvent({ kind: 10002, created_at: now,
      tags: [['r', dmRelay]], content: '' }, sk));
    await relay.publish(finalizeEvent({ kind: 10050, created_at: now,
      tags: [['relay', dm]], content: '' }, sk));
    tenants.push(t);
  }
  relay.close();

  const lines = [];
  const reader = tenants[0];
  lines.push(['reader', reader.pk,
    nip98(reader.sk, 'GET', `${base}/tenants/${reader.pk}`),
    nip98(reader.sk, 'GET', `${base}/tenants/${reader.pk}/relays`)].join(' '));
  const tag = hex(generateSecretKey()).slice(0, 6);
  for (let i = 0; i < READER_RELAYS; i++) {
    const r = await api(base, reader.sk, 'POST', '/relays', {
      subdomain: `rd-${tag}-${i}`, plan: i % 3 === 1 ? 'basic' : 'free',
      info_name: `Reader relay ${i}` }, 201);
    lines.push(['put', r.id, nip98(reader.sk, 'PUT', `${base}/relays/${r.id}`)]
      .join(' '));
  }
  for (const t of tenants.slice(1)) {
    for (const plan of ['basic', 'free'])
      await api(base, t.sk, 'POST', '/relays', {
        subdomain: `bt-${tag}-${t.pk.slice(0, 12)}-${plan}`, plan,
        info_name: `Billing tenant's ${plan} relay` }, 201);
    lines.push(['writer', t.pk, nip98(t.sk, 'POST', `${base}/relays`)]
      .join(' '));
  }
  writeFileSync(planFile, `${lines.join('\n')}\n`);
  writeFileSync(tenantsFile, `${tenants.map((t) =>
    `${t.pk} ${t.kind}${t.dead ? '-dead' : ''} ${t.customer}`).join('\n')}\n`);
}

async function wrapsOnRelay(url) {
  const ids = readFileSync(0, 'utf8').split('\n').filter((l) => l !== '');
  const r = await connect(url);
  const missing = [];
  for (let i = 0; i < ids.length; i += 200) {
    const chunk = ids.slice(i, i + 200);
    const got = new Set((await r.query(`w${i}`,
      { ids: chunk, limit: chunk.length })).map((e) => e.id));
    for (const id of chunk)
      if (!got.has(id))
        missing.push(id);
  }
  r.close();
  if (missing.length > 0)
    console.log(missing.join('\n'));
}

const [cmd, ...args] = process.argv.slice(2);
try {
  if (cmd === 'setup' && args.length === 0)
    await setup();
  else if (cmd === 'wraps-on-relay' && args.length === 1)
    await wrapsOnRelay(args[0]);
  else
    die('usage: faults.mjs setup | wraps-on-relay URL < IDS');
} catch (e) {
  die(e.message);
}
process.exit(0);
