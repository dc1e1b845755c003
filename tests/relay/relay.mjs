// tests/relay/relay.mjs: a real Nostr relay for the C tests, on a free
// 127.0.0.1 port: @nostr-relay/core (which checks ids and signatures and
// answers REQ with EOSE) over an in-memory store and the ws server.
// Prints "listening <port>" once it serves. Packages come from
// tests/js/node_modules (npm ci --prefix tests/js).
//
// Environment:
//   RELAY_TLS_CERT, RELAY_TLS_KEY  PEM files: serve wss:// instead of ws://
//   RELAY_AUTH=eager|lazy  NIP-42: kind 1059 events and REQs for them need
//       AUTH first. eager sends the challenge on connect; lazy only with
//       the refusal. An AUTH event must carry the challenge and a "relay"
//       tag equal to the URL the client connected to.
//   RELAY_AUTH_SILENT=1  AUTH events are never answered (a relay that asks
//       for AUTH and then never acknowledges it)
//   RELAY_AUTH_PUBKEYS  comma-separated hex keys: AUTH from any other key
//       is answered "restricted:" (NIP-42: authenticated, not allowed).
//   RELAY_LOG  a file that gets one JSON line per connection and per EVENT
//       ({"conn":n} and {"conn":n,"event":id}).
//
// A filter with a "caravel_test" member (relays ignore unknown members)
// makes the relay misbehave on purpose, for the client's tests:
//   "big:<n>"   a NOTICE of n bytes, then EOSE
//   "frag"      the stored events, each sent in three fragments with a
//               ping between them, then EOSE
//   "close"     a close frame (1000) instead of an answer
//   "silent"    no answer at all
//   "hostile"   malformed and forged messages, then the stored events and
//               EOSE
//
// Unlike the package's defaults, results are not cached per event id
// (a resent event gets "duplicate:", as from most relays) and queries
// are not cached for a second (a query right after a publish sees it).
import { createRequire } from 'node:module';
import { appendFileSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';

const require = createRequire(new URL('../js/package.json', import.meta.url));
const { WebSocketServer } = require('ws');
const { NostrRelay } = require('@nostr-relay/core');
const { EventRepository, EventUtils, EventType } =
  require('@nostr-relay/common');

// NIP-01 tag filters ("#p": [...]): the package's matcher checks only
// ids, authors, kinds and times, and a real relay filters by tags too.
function tagsMatch(e, filter) {
  for (const [key, values] of Object.entries(filter)) {
    if (!/^#[a-zA-Z]$/.test(key) || !Array.isArray(values)) continue;
    const name = key.slice(1);
    if (!e.tags.some((t) => t[0] === name && values.includes(t[1]))) {
      return false;
    }
  }
  return true;
}

class MemoryStore extends EventRepository {
  constructor() {
    super();
    this.byId = new Map();
  }

  isSearchSupported() {
    return false;
  }

  // NIP-01: replaceable and addressable events keep only the newest per
  // slot; on equal created_at the lowest id wins.
  upsert(e) {
    if (this.byId.has(e.id)) return { isDuplicate: true };
    const type = EventUtils.getType(e.kind);
    const slotted = type === EventType.REPLACEABLE ||
      type === EventType.PARAMETERIZED_REPLACEABLE;
    if (slotted) {
      const d = EventUtils.extractDTagValue(e);
      for (const o of this.byId.values()) {
        if (o.kind !== e.kind || o.pubkey !== e.pubkey) continue;
        if (type !== EventType.REPLACEABLE &&
            EventUtils.extractDTagValue(o) !== d) continue;
        if (o.created_at > e.created_at ||
            (o.created_at === e.created_at && o.id < e.id)) {
          return { isDuplicate: true };
        }
        this.byId.delete(o.id);
      }
    }
    this.byId.set(e.id, e);
    return { isDuplicate: false };
  }

  find(filter) {
    const hits = [];
    for (const e of this.byId.values()) {
      if (EventUtils.isMatchingFilter(e, filter) && tagsMatch(e, filter)) {
        hits.push(e);
      }
    }
    hits.sort((a, b) => b.created_at - a.created_at);
    return hits.slice(0, filter.limit ?? 500);
  }

  async destroy() {}
}

const store = new MemoryStore();
const relay = new NostrRelay(store, {
  logLevel: 3,
  eventHandlingResultCacheTtl: 0,
  filterResultCacheTtl: 0,
});
const authMode = process.env.RELAY_AUTH || '';
const allowed = (process.env.RELAY_AUTH_PUBKEYS || '').split(',')
  .filter((k) => k);
const logFile = process.env.RELAY_LOG || '';
const tls = Boolean(process.env.RELAY_TLS_CERT);
let connections = 0;

function log(obj) {
  if (logFile) appendFileSync(logFile, JSON.stringify(obj) + '\n');
}

function send(ws, msg) {
  ws.send(typeof msg === 'string' ? msg : JSON.stringify(msg));
}

function sameUrl(a, b) {
  try {
    return new URL(a).href === new URL(b).href;
  } catch {
    return false;
  }
}

function tagValue(ev, name) {
  const t = Array.isArray(ev.tags) ?
    ev.tags.find((x) => Array.isArray(x) && x[0] === name) : undefined;
  return t ? t[1] : undefined;
}

// NIP-42 relay side: signature, kind, challenge, relay URL, time.
function checkAuth(st, ev) {
  if (!ev || typeof ev !== 'object' || typeof ev.id !== 'string') {
    return 'invalid: not an event';
  }
  const bad = EventUtils.validate(ev);
  if (bad) return bad;
  if (ev.kind !== 22242) return 'invalid: kind must be 22242';
  if (tagValue(ev, 'challenge') !== st.challenge) {
    return 'invalid: wrong challenge';
  }
  if (!sameUrl(tagValue(ev, 'relay'), st.url)) {
    return `invalid: relay tag must be ${st.url}`;
  }
  if (Math.abs(ev.created_at - Date.now() / 1000) > 600) {
    return 'invalid: created_at is too far from now';
  }
  if (allowed.length > 0 && !allowed.includes(ev.pubkey)) {
    return 'restricted: this key may not use this relay';
  }
  return '';
}

function wantsGiftWraps(filters) {
  return filters.some((f) => f && Array.isArray(f.kinds) &&
    f.kinds.includes(1059));
}

function refuse(ws, st, msg) {
  send(ws, msg);
  if (authMode === 'lazy') send(ws, ['AUTH', st.challenge]);
}

function splitSend(ws, text) {
  const a = Math.floor(text.length / 3);
  const b = Math.floor((2 * text.length) / 3);
  ws.send(text.slice(0, a), { fin: false });
  ws.send(text.slice(a, b), { fin: false });
  ws.ping('between fragments');
  ws.send(text.slice(b), { fin: true });
}

function misbehave(ws, sub, filter, how) {
  const { caravel_test: _, ...clean } = filter;
  const stored = store.find(clean);
  if (how.startsWith('big:')) {
    send(ws, ['NOTICE', 'x'.repeat(Number(how.slice(4)))]);
    send(ws, ['EOSE', sub]);
  } else if (how === 'frag') {
    for (const e of stored) splitSend(ws, JSON.stringify(['EVENT', sub, e]));
    send(ws, ['EOSE', sub]);
  } else if (how === 'close') {
    ws.close(1000, 'bye');
  } else if (how === 'hostile') {
    const e = stored[0];
    send(ws, 'not json');
    send(ws, '["EVENT"]');
    send(ws, ['EVENT', sub, 'not an object']);
    send(ws, ['EVENT', sub, { ...e, content: e.content + ' (forged)' }]);
    send(ws, ['EVENT', sub, { ...e, sig: '0'.repeat(128) }]);
    send(ws, ['EVENT', sub, { ...e, id: e.id.toUpperCase() }]);
    send(ws, ['EVENT', 'another-sub', e]);
    send(ws, ['EOSE', 'another-sub']);
    send(ws, ['OK', 'zz', true, '']);
    send(ws, ['EOSE', 5]);
    send(ws, [1, 2, 3]);
    send(ws, '["NOTICE","\\u0000\\u0007 bell"]');
    send(ws, ['AUTH', '']);
    send(ws, '["EVENT",' + JSON.stringify(sub) + ',' +
      JSON.stringify(e).replace(/"kind":\d+/, '"kind":1.5') + ']');
    for (const ok of stored) send(ws, ['EVENT', sub, ok]);
    send(ws, ['EOSE', sub]);
  }
}

async function onMessage(ws, st, data) {
  let msg;
  try {
    msg = JSON.parse(data.toString());
  } catch {
    return send(ws, ['NOTICE', 'invalid: bad JSON']);
  }
  if (!Array.isArray(msg)) return send(ws, ['NOTICE', 'invalid: not array']);
  if (msg[0] === 'AUTH' && authMode) {
    if (process.env.RELAY_AUTH_SILENT === '1') return undefined;
    const why = checkAuth(st, msg[1]);
    if (!why) st.authed = msg[1].pubkey;
    return send(ws, ['OK', msg[1]?.id ?? '', !why, why]);
  }
  if (msg[0] === 'EVENT' && msg[1] && typeof msg[1] === 'object') {
    log({ conn: st.n, event: msg[1].id });
    if (authMode && !st.authed && msg[1].kind === 1059) {
      return refuse(ws, st, ['OK', msg[1].id, false,
        'auth-required: gift wraps are kept for authenticated users']);
    }
  }
  if (msg[0] === 'REQ') {
    const filters = msg.slice(2);
    if (authMode && !st.authed && wantsGiftWraps(filters)) {
      return refuse(ws, st, ['CLOSED', msg[1],
        'auth-required: gift wraps are served to authenticated users']);
    }
    const t = filters.find((f) => f && typeof f.caravel_test === 'string');
    if (t) return misbehave(ws, msg[1], t, t.caravel_test);
  }
  await relay.handleMessage(ws, msg);
}

const server = tls ?
  https.createServer({
    cert: readFileSync(process.env.RELAY_TLS_CERT),
    key: readFileSync(process.env.RELAY_TLS_KEY),
  }) :
  http.createServer((req, res) => {
    res.writeHead(426, { 'Content-Type': 'text/plain' });
    res.end('a Nostr relay: use a WebSocket\n');
  });
const wss = new WebSocketServer({ server });

wss.on('connection', (ws, req) => {
  const st = {
    n: ++connections,
    challenge: randomBytes(16).toString('hex'),
    authed: null,
    url: `${tls ? 'wss' : 'ws'}://${req.headers.host}${req.url}`,
  };
  log({ conn: st.n });
  relay.handleConnection(ws, req.socket.remoteAddress);
  if (authMode === 'eager') send(ws, ['AUTH', st.challenge]);
  ws.on('message', (data) => {
    onMessage(ws, st, data).catch((e) => send(ws, ['NOTICE', String(e)]));
  });
  ws.on('close', () => relay.handleDisconnect(ws));
});

server.listen(0, '127.0.0.1', () => {
  console.log(`listening ${server.address().port}`);
});
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => process.exit(0));
