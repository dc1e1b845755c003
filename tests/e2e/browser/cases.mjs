/*
 * cases.mjs JSDIR BASE SUBDOMAIN-ALLOWED SUBDOMAIN-DENIED: prints the JSON
 * that t0500 puts into config.js for cors.html. Each case has a fresh key
 * made by nostr-tools (resolved from JSDIR, tests/js) and one NIP-98 header
 * per call, signed for that call's full URL and method (so the calls also
 * pass AUTH_STRICT=1): GET /identity, POST /tenants (no body), POST
 * /relays with a JSON body. The secret keys are not printed.
 */
import { createRequire } from 'node:module';
import path from 'node:path';

const [jsdir, base, subOk, subDenied] = process.argv.slice(2);
if (!jsdir || !base || !subOk || !subDenied) {
  console.error('usage: cases.mjs JSDIR BASE SUBDOMAIN-ALLOWED SUBDOMAIN-DENIED');
  process.exit(2);
}
const require = createRequire(path.join(path.resolve(jsdir), 'package.json'));
const { generateSecretKey, getPublicKey, finalizeEvent } =
  require('nostr-tools/pure');

function header(sk, method, url) {
  const ev = finalizeEvent({
    kind: 27235,
    created_at: Math.floor(Date.now() / 1000),
    tags: [['u', url], ['method', method]],
    content: '',
  }, sk);
  return 'Nostr ' + Buffer.from(JSON.stringify(ev)).toString('base64');
}

function makeCase(subdomain) {
  const sk = generateSecretKey();
  const calls = [
    { name: 'identity', method: 'GET', path: '/identity' },
    { name: 'tenant', method: 'POST', path: '/tenants' },
    {
      name: 'relay', method: 'POST', path: '/relays',
      body: JSON.stringify({
        subdomain, plan: 'free', info_name: 'Browser test',
        info_description: 'made by a page on another origin',
      }),
    },
  ];
  for (const c of calls)
    c.authorization = header(sk, c.method, base + c.path);
  return { base, pubkey: getPublicKey(sk), subdomain, calls };
}

process.stdout.write(JSON.stringify({
  allowed: makeCase(subOk),
  denied: makeCase(subDenied),
}) + '\n');
