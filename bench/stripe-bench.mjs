/*
 * stripe-bench.mjs: the Stripe side of bench/run.sh case (g) and of
 * bench/billing.sh. Three commands; the secrets come from the
 * environment, never from the command line:
 *
 *   webhook-requests PREFIX THREADS COUNT HOST EVT_PREFIX < INVOICES
 *       COUNT signed invoice.updated events, each with its own id
 *       (EVT_PREFIX and a counter), for the invoices read from stdin in
 *       turn, written as whole HTTP requests for bench/webhook.lua:
 *       event k goes to the file PREFIX.(k % THREADS), each request as
 *       "<bytes>\n<request>". The Stripe-Signature header is made by the
 *       official npm package (Stripe.webhooks.generateTestHeaderString,
 *       tests/js/node_modules) with STRIPE_WEBHOOK_SECRET, at the time of
 *       writing: Caravel accepts it for 300 s. Prints the number of
 *       events and the median body size.
 *   webhook-one BODY_FILE EVT_PREFIX < INVOICES
 *       one such event for the first invoice: its body to BODY_FILE and
 *       its Stripe-Signature on stdout (for a check with curl).
 *   seed-fake STRIPE_URL < TENANTS
 *       for each "pubkey|new" or "pubkey|changed" line, a customer in the
 *       fake Stripe (tests/fakes/stripe.mjs; key STRIPE_SECRET_KEY) with
 *       a card attached, and for "changed" a subscription of one
 *       price_basic item; prints "pubkey|cus_...|sub_..." (sub_ empty for
 *       "new").
 *
 * INVOICES lines, as sqlite3 prints them with -separator '|':
 *   id|customer|subscription|amount|created|period_start|period_end|paid_at
 * Each event's data.object is an invoice shaped as Stripe sends it (the
 * members tests/fakes/stripe-billing.mjs gives its invoices, two lines),
 * paid, with the values of the row.
 */
import fs from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';

const die = (msg) => {
  process.stderr.write(`stripe-bench: ${msg}\n`);
  process.exit(1);
};

const readLines = () => fs.readFileSync(0, 'utf8').split('\n').filter((l) => l !== '');

function loadStripe() {
  const req = createRequire(new URL('../tests/js/package.json', import.meta.url));
  try {
    return req('stripe');
  } catch (e) {
    return die(`the npm package stripe is missing (npm ci --prefix tests/js): ${e.message}`);
  }
}

function secretFromEnv() {
  const s = process.env.STRIPE_WEBHOOK_SECRET || '';
  if (!/^whsec_[A-Za-z0-9_]+$/.test(s))
    die('STRIPE_WEBHOOK_SECRET must be set to whsec_...');
  return s;
}

function parseInvoices() {
  const v = readLines().map((l) => {
    const f = l.split('|');
    if (f.length !== 8 || !/^in_/.test(f[0]) || !/^cus_/.test(f[1]) || !/^sub_/.test(f[2]))
      die(`bad invoice line: ${l}`);
    const n = f.slice(3).map(Number);
    if (n.some((x) => !Number.isInteger(x) || x < 0))
      die(`bad invoice line: ${l}`);
    return { id: f[0], customer: f[1], subscription: f[2], amount: n[0], created: n[1],
      start: n[2], end: n[3], paid: n[4] };
  });
  if (v.length === 0)
    die('no invoices on stdin');
  return v;
}

function line(inv, n, price, unit, quantity) {
  const amount = unit * quantity;
  return {
    id: `il_${inv.id.slice(3)}${n}`, object: 'line_item', amount, currency: 'usd',
    description: `${quantity} × ${price} (at $${(unit / 100).toFixed(2)} / month)`,
    discount_amounts: [], discountable: true, discounts: [], invoice: inv.id,
    livemode: false, metadata: {},
    parent: { type: 'subscription_item_details', invoice_item_details: null,
      subscription_item_details: { invoice_item: null, proration: false,
        proration_details: { credited_items: null }, subscription: inv.subscription,
        subscription_item: `si_${inv.subscription.slice(4)}${n}` } },
    period: { start: inv.start, end: inv.end }, pretax_credit_amounts: [],
    pricing: { price_details: { price, product: `prod_${price.slice(6)}` },
      type: 'price_details', unit_amount_decimal: String(unit) },
    quantity, subtotal: amount, taxes: [],
  };
}

/* A paid subscription invoice as Stripe's invoice.updated carries it. */
function invoiceObject(inv) {
  const lines = [line(inv, 1, 'price_basic', 500, 1)];
  if (inv.amount > 500)
    lines.push(line(inv, 2, 'price_growth', inv.amount - 500, 1));
  return {
    id: inv.id, object: 'invoice', account_country: 'US', account_name: 'Caravel bench',
    amount_due: inv.amount, amount_overpaid: 0, amount_paid: inv.amount,
    amount_remaining: 0, attempt_count: 1, attempted: true, auto_advance: false,
    billing_reason: 'subscription_cycle', collection_method: 'charge_automatically',
    created: inv.created, currency: 'usd', customer: inv.customer, customer_email: null,
    customer_name: null, default_payment_method: null, description: null,
    due_date: null, effective_at: inv.created, ending_balance: 0,
    hosted_invoice_url: `https://invoice.stripe.com/i/acct_bench/test_${inv.id.slice(3)}?s=ap`,
    invoice_pdf: `https://pay.stripe.com/invoice/acct_bench/test_${inv.id.slice(3)}/pdf?s=ap`,
    last_finalization_error: null,
    lines: { object: 'list', data: lines, has_more: false, total_count: lines.length,
      url: `/v1/invoices/${inv.id}/lines` },
    livemode: false, metadata: {}, next_payment_attempt: null,
    number: `BENCH-${inv.id.slice(3)}`, paid_out_of_band: false,
    parent: { type: 'subscription_details', quote_details: null,
      subscription_details: { metadata: {}, subscription: inv.subscription } },
    period_end: inv.end, period_start: inv.start, starting_balance: 0, status: 'paid',
    status_transitions: { finalized_at: inv.created, marked_uncollectible_at: null,
      paid_at: inv.paid, voided_at: null },
    subtotal: inv.amount, total: inv.amount, webhooks_delivered_at: inv.created,
  };
}

/* Event k: its id is EVT_PREFIX and k in base 36, 28 characters in all. */
function eventBody(inv, evtPrefix, k, created) {
  const id = `evt_${evtPrefix}${k.toString(36).padStart(24 - evtPrefix.length, '0')}`;
  if (!/^evt_[A-Za-z0-9]{24}$/.test(id))
    die(`EVT_PREFIX too long or not alphanumeric: ${evtPrefix}`);
  return JSON.stringify({
    id, object: 'event', api_version: '2026-10-28.endive', created,
    data: { object: invoiceObject(inv), previous_attributes: { metadata: { bench: null } } },
    livemode: false, pending_webhooks: 1,
    request: { id: null, idempotency_key: null }, type: 'invoice.updated',
  });
}

function webhookRequests([prefix, threadsArg, countArg, host, evtPrefix]) {
  const threads = Number(threadsArg), count = Number(countArg);
  if (!prefix || !Number.isInteger(threads) || threads < 1 || !Number.isInteger(count) ||
      count < 1 || !/^[0-9.:a-z]+$/.test(host || '') || !evtPrefix)
    die('usage: webhook-requests PREFIX THREADS COUNT HOST EVT_PREFIX < INVOICES');
  const Stripe = loadStripe();
  const secret = secretFromEnv();
  const invoices = parseInvoices();
  const created = Math.floor(Date.now() / 1000);
  const fds = [];
  for (let t = 0; t < threads; t++)
    fds.push(fs.openSync(`${prefix}.${t}`, 'w'));
  const sizes = [];
  let pending = Array.from({ length: threads }, () => []);
  const flush = (t) => {
    fs.writeSync(fds[t], Buffer.concat(pending[t]));
    pending[t] = [];
  };
  for (let k = 0; k < count; k++) {
    const body = eventBody(invoices[k % invoices.length], evtPrefix, k, created);
    const sig = Stripe.webhooks.generateTestHeaderString({ payload: body, secret });
    const len = Buffer.byteLength(body);
    const req = Buffer.from('POST /stripe/webhook HTTP/1.1\r\n' +
      `Host: ${host}\r\n` +
      'User-Agent: Stripe/1.0 (+https://stripe.com/docs/webhooks)\r\n' +
      'Accept: */*; q=0.5, application/xml\r\n' +
      'Cache-Control: no-cache\r\n' +
      'Content-Type: application/json; charset=utf-8\r\n' +
      `Stripe-Signature: ${sig}\r\n` +
      `Content-Length: ${len}\r\n\r\n${body}`);
    const t = k % threads;
    pending[t].push(Buffer.from(`${req.length}\n`), req);
    if (pending[t].length >= 512)
      flush(t);
    if (k < 1001)
      sizes.push(len);
  }
  for (let t = 0; t < threads; t++) {
    flush(t);
    fs.closeSync(fds[t]);
  }
  sizes.sort((a, b) => a - b);
  process.stdout.write(`${count} ${sizes[sizes.length >> 1]}\n`);
}

function webhookOne([bodyFile, evtPrefix]) {
  if (!bodyFile || !evtPrefix)
    die('usage: webhook-one BODY_FILE EVT_PREFIX < INVOICES');
  const Stripe = loadStripe();
  const secret = secretFromEnv();
  const body = eventBody(parseInvoices()[0], evtPrefix, 0, Math.floor(Date.now() / 1000));
  fs.writeFileSync(bodyFile, body);
  process.stdout.write(`${Stripe.webhooks.generateTestHeaderString({ payload: body, secret })}\n`);
}

/* One call to the fake Stripe (or its /__control): the parsed answer. */
function call(agent, base, key, method, path, form, json) {
  return new Promise((resolve, reject) => {
    const body = json !== undefined ? JSON.stringify(json)
      : form ? new URLSearchParams(form).toString() : '';
    const headers = json !== undefined ? { 'Content-Type': 'application/json' }
      : { Authorization: `Bearer ${key}`,
        'Content-Type': 'application/x-www-form-urlencoded' };
    const req = http.request(new URL(path, base), { method, agent, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode !== 200)
          reject(new Error(`${method} ${path}: ${res.statusCode} ${text.slice(0, 300)}`));
        else
          resolve(JSON.parse(text));
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function seedFake([base]) {
  const key = process.env.STRIPE_SECRET_KEY || '';
  if (!base || !/^sk_test_/.test(key))
    die('usage: STRIPE_SECRET_KEY=sk_test_... seed-fake STRIPE_URL < TENANTS');
  const tenants = readLines().map((l) => {
    const [pk, kind] = l.split('|');
    if (!/^[0-9a-f]{64}$/.test(pk) || !['new', 'changed'].includes(kind))
      die(`bad tenant line: ${l}`);
    return { pk, kind };
  });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  const out = new Array(tenants.length);
  let next = 0;
  const worker = async () => {
    while (next < tenants.length) {
      const i = next++;
      const { pk, kind } = tenants[i];
      const cus = await call(agent, base, key, 'POST', '/v1/customers',
        { name: `Bench tenant ${i}`, 'metadata[tenant_pubkey]': pk });
      await call(agent, base, key, 'POST', '/__control', null, { attach_card: cus.id });
      let sub = '';
      if (kind === 'changed')
        sub = (await call(agent, base, key, 'POST', '/v1/subscriptions', {
          customer: cus.id, 'items[0][price]': 'price_basic', 'items[0][quantity]': '1',
          'metadata[tenant_pubkey]': pk, payment_behavior: 'allow_incomplete',
          proration_behavior: 'create_prorations' })).id;
      out[i] = `${pk}|${cus.id}|${sub}`;
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  agent.destroy();
  process.stdout.write(`${out.join('\n')}\n`);
}

const [cmd, ...args] = process.argv.slice(2);
if (cmd === 'webhook-requests')
  webhookRequests(args);
else if (cmd === 'webhook-one')
  webhookOne(args);
else if (cmd === 'seed-fake')
  seedFake(args).catch((e) => die(e.message));
else
  die('usage: stripe-bench.mjs webhook-requests|webhook-one|seed-fake ...');
