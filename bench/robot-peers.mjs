// bench/robot-peers.mjs: the DM recipients of bench/robot.sh, with
// nostr-tools and ws from tests/js/node_modules (npm ci --prefix tests/js).
//
//   node robot-peers.mjs setup URL N
//       makes N keys and publishes, for each, a kind 10002 naming URL
//       (NIP-65) and a kind 10050 naming URL (NIP-17) to the relay at URL,
//       over one connection; prints "SK PK" (hex) per recipient.
//   node robot-peers.mjs check URL ROBOT-PK KEYS-FILE MARK
//       for each recipient of KEYS-FILE, reads its kind 1059 gift wraps
//       from the relay, unwraps them (NIP-59) and counts the kind 14
//       rumors from ROBOT-PK whose content contains MARK; prints
//       "PK COUNT" per recipient.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';

const require = createRequire(new URL('../tests/js/package.json',
  import.meta.url));
const { generateSecretKey, getPublicKey, finalizeEvent } =
  require('nostr-tools/pure');
const { unwrapEvent } = require('nostr-tools/nip59');
const WebSocket = require('ws');

const TIMEOUT_MS = 20000;

function hex(b) {
  return Buffer.from(b).toString('hex');
}

// One connection; publish() waits for the relay's OK, query() for EOSE.
function connect(url) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const waiting = new Map();
    const subs = new Map();
    const timer = setTimeout(() => reject(new Error(`${url}: timeout`)),
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
      if (m[0] === 'OK' && waiting.has(m[1])) {
        waiting.get(m[1])(m);
        waiting.delete(m[1]);
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
        publish(ev) {
          return new Promise((ok, fail) => {
            waiting.set(ev.id, (m) => m[2] ? ok() :
              fail(new Error(`${ev.id}: ${m[3]}`)));
            ws.send(JSON.stringify(['EVENT', ev]));
          });
        },
        query(id, filter) {
          return new Promise((ok) => {
            const s = { events: [], done: () => ok(s.events) };
            subs.set(id, s);
            ws.send(JSON.stringify(['REQ', id, filter]));
          });
        },
        close() {
          ws.close();
        },
      });
    });
  });
}

async function setup(url, n) {
  const r = await connect(url);
  const now = Math.floor(Date.now() / 1000);
  const out = [];
  for (let i = 0; i < n; i++) {
    const sk = generateSecretKey();
    await r.publish(finalizeEvent({ kind: 10002, created_at: now,
      tags: [['r', url]], content: '' }, sk));
    await r.publish(finalizeEvent({ kind: 10050, created_at: now,
      tags: [['relay', url]], content: '' }, sk));
    out.push(`${hex(sk)} ${getPublicKey(sk)}`);
  }
  r.close();
  console.log(out.join('\n'));
}

async function check(url, robot, file, mark) {
  const r = await connect(url);
  const lines = readFileSync(file, 'utf8').split('\n').filter((l) => l);
  let q = 0;
  for (const line of lines) {
    const [skhex, pk] = line.split(' ');
    const sk = Uint8Array.from(Buffer.from(skhex, 'hex'));
    const wraps = await r.query(`c${q++}`,
      { kinds: [1059], '#p': [pk], limit: 5000 });
    let n = 0;
    for (const w of wraps) {
      let rumor;
      // The test relay ignores tag filters (its store matches with
      // @nostr-relay/common's isMatchingFilter: ids, authors, kinds,
      // since, until), so '#p' returns every wrap: keep pk's here.
      if (!w.tags.some((t) => t[0] === 'p' && t[1] === pk))
        continue;
      try {
        rumor = unwrapEvent(w, sk);
      } catch {
        continue;
      }
      if (rumor.kind === 14 && rumor.pubkey === robot &&
          rumor.content.includes(mark))
        n++;
    }
    console.log(`${pk} ${n}`);
  }
  r.close();
}

const [cmd, ...args] = process.argv.slice(2);
try {
  if (cmd === 'setup' && args.length === 2)
    await setup(args[0], Number(args[1]));
  else if (cmd === 'check' && args.length === 4)
    await check(...args);
  else {
    console.error('usage: robot-peers.mjs setup URL N | ' +
      'check URL ROBOT-PK KEYS-FILE MARK');
    process.exit(2);
  }
} catch (e) {
  console.error(`robot-peers.mjs: ${e.message}`);
  process.exit(1);
}
