// The fake Stripe (tests/fakes/stripe.mjs) against the official npm client
// stripe 23.1.0: every call Caravel's billing makes goes through the SDK, so
// the fake's answers must parse as the SDK's objects and its errors become
// the SDK's error classes; every webhook it sends must pass the SDK's own
// verifier (stripe.webhooks.constructEvent) and arrive in order. Run by
// tests/e2e/t0620-stripe-fake.sh.
import { test, before, after, beforeEach } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import http from 'node:http'

import Stripe from 'stripe'

const KEY = 'sk_test_conformance'
const SECRET = 'whsec_conformance_secret'
const MONTH = 28 * 86400 // a calendar month is at least this long

let fake, port, stripe, hook

// The webhook endpoint: keeps the raw bytes and the signature header of
// every delivery; answers `fail` deliveries with 500 before answering 200.
function receiver () {
  const r = { got: [], fail: 0 }
  r.server = http.createServer((req, res) => {
    const chunks = []
    req.on('data', (c) => chunks.push(c))
    req.on('end', () => {
      if (r.fail > 0) {
        r.fail--
        res.writeHead(500).end('try again')
        return
      }
      r.got.push({ raw: Buffer.concat(chunks).toString('utf8'), headers: req.headers })
      res.writeHead(200).end('ok')
    })
  })
  return r
}

before(async () => {
  hook = receiver()
  await new Promise((resolve) => hook.server.listen(0, '127.0.0.1', resolve))
  fake = spawn(process.execPath,
    [new URL('../fakes/stripe.mjs', import.meta.url).pathname], {
      env: { ...process.env, STRIPE_FAKE_KEY: KEY,
        STRIPE_FAKE_WEBHOOK_URL: `http://127.0.0.1:${hook.server.address().port}/stripe/webhook`,
        STRIPE_FAKE_WEBHOOK_SECRET: SECRET, STRIPE_FAKE_WEBHOOK_BACKOFF_MS: '20' },
      stdio: ['ignore', 'pipe', 'inherit'],
    })
  const line = await new Promise((resolve, reject) => {
    createInterface({ input: fake.stdout }).once('line', resolve)
    fake.once('exit', (c) => reject(new Error(`fake exited ${c}`)))
  })
  port = Number(/^listening (\d+)$/.exec(line)[1])
  stripe = new Stripe(KEY, { host: '127.0.0.1', port, protocol: 'http',
    maxNetworkRetries: 0, telemetry: false })
})

after(() => {
  fake.kill('SIGTERM')
  hook.server.close()
})

beforeEach(async () => {
  await events() // let the previous test's deliveries finish first
  await control({ reset: true })
  hook.got = []
  hook.fail = 0
})

const base = () => `http://127.0.0.1:${port}`
async function control (o) {
  const r = await fetch(`${base()}/__control`, { method: 'POST', body: JSON.stringify(o) })
  const j = await r.json()
  assert.equal(r.status, 200, JSON.stringify(j))
  return j
}
const state = async () => (await fetch(`${base()}/__state`)).json()
const events = async () => (await fetch(`${base()}/__events?wait_ms=5000`)).json()

// Everything delivered since the last reset, verified by the SDK, in the
// order it arrived; it must be the order in which the fake made them.
async function delivered () {
  const made = await events()
  const got = hook.got.map((d) => {
    assert.equal(d.headers['content-type'], 'application/json; charset=utf-8')
    return stripe.webhooks.constructEvent(d.raw, d.headers['stripe-signature'], SECRET)
  })
  assert.deepEqual(got.map((e) => e.id),
    made.filter((e) => e.state === 'delivered').map((e) => e.id), 'delivery order')
  return got
}
const types = (evs) => evs.map((e) => e.type)
async function since (n) { return (await delivered()).slice(n) }

async function rejects (p, cls, check = {}) {
  const e = await p.then(() => null, (x) => x)
  assert.ok(e, 'the call should fail')
  assert.ok(e instanceof cls, `${e.constructor.name}: ${e.message}`)
  for (const [k, v] of Object.entries(check)) {
    if (v instanceof RegExp) assert.match(e[k] ?? '', v, k)
    else assert.equal(e[k], v, `${k}: ${e.message}`)
  }
  return e
}
const { StripeInvalidRequestError: Invalid, StripeCardError: Card,
  StripeIdempotencyError: Idem } = Stripe.errors

const customer = (pk = 'a'.repeat(64)) =>
  stripe.customers.create({ name: 'Tenant', metadata: { tenant_pubkey: pk } })
async function withCard (pk) {
  const c = await customer(pk)
  await control({ attach_card: c.id })
  return c
}

// --- customers ---

test('customers: create, retrieve, 404, search with eventual consistency', async () => {
  const c = await customer()
  assert.match(c.id, /^cus_/)
  assert.equal(c.invoice_settings.default_payment_method, null)
  assert.equal((await stripe.customers.retrieve(c.id)).metadata.tenant_pubkey, 'a'.repeat(64))
  await rejects(stripe.customers.retrieve('cus_nope'), Invalid,
    { statusCode: 404, code: 'resource_missing', param: 'id' })

  const found = await stripe.customers.search({
    query: `metadata['tenant_pubkey']:'${'a'.repeat(64)}'` })
  assert.equal(found.object, 'search_result')
  assert.deepEqual(found.data.map((x) => x.id), [c.id])
  assert.equal(found.has_more, false)
  assert.equal(found.next_page, null)
  await control({ search_lag_ms: 60000 })
  const c2 = await customer('b'.repeat(64))
  assert.equal((await stripe.customers.search({
    query: `metadata['tenant_pubkey']:'${'b'.repeat(64)}'` })).data.length, 0,
  'too young to be searchable')
  await control({ search_lag_ms: 0 })
  assert.deepEqual((await stripe.customers.search({
    query: `metadata['tenant_pubkey']:'${'b'.repeat(64)}'` })).data.map((x) => x.id), [c2.id])
  await rejects(stripe.customers.search({ query: "email:'x@y.z'" }), Invalid,
    { statusCode: 400, param: 'query' })
  await rejects(stripe.customers.search({}), Invalid, { code: 'parameter_missing' })

  const card = await control({ attach_card: c.id })
  assert.match(card.payment_method, /^pm_/)
  assert.equal((await stripe.customers.retrieve(c.id)).invoice_settings.default_payment_method,
    card.payment_method)
  assert.deepEqual(types(await delivered()),
    ['customer.created', 'customer.created', 'customer.updated'])
})

// --- subscriptions ---

test('create without a card: 400 unless default_incomplete, which waits unpaid', async () => {
  const c = await customer()
  await rejects(stripe.subscriptions.create({ customer: c.id,
    items: [{ price: 'price_basic', quantity: 1 }] }), Invalid,
  { statusCode: 400, message: /no attached payment source or default payment method/ })
  assert.equal((await state()).subscriptions.length, 0, 'nothing was made')

  const n = (await delivered()).length
  const s = await stripe.subscriptions.create({ customer: c.id,
    items: [{ price: 'price_basic', quantity: 2 }, { price: 'price_growth', quantity: 1 }],
    metadata: { tenant_pubkey: 'a'.repeat(64) }, payment_behavior: 'default_incomplete',
    expand: ['latest_invoice'] })
  assert.match(s.id, /^sub_/)
  assert.equal(s.object, 'subscription')
  assert.equal(s.status, 'incomplete')
  assert.equal(s.customer, c.id)
  assert.equal(s.cancel_at_period_end, false)
  assert.equal(s.collection_method, 'charge_automatically')
  assert.equal(s.current_period_end, undefined, 'basil: periods live on the items')
  assert.deepEqual(s.items.data.map((i) => [i.price.id, i.price.unit_amount, i.quantity]),
    [['price_basic', 500, 2], ['price_growth', 2500, 1]])
  for (const i of s.items.data) {
    assert.match(i.id, /^si_/)
    assert.deepEqual(i.price.recurring.interval, 'month')
    assert.equal(i.price.currency, 'usd')
    assert.ok(i.current_period_end - i.current_period_start >= MONTH)
  }
  const inv = s.latest_invoice
  assert.equal(typeof inv, 'object', 'expanded')
  assert.equal(inv.status, 'open')
  assert.equal(inv.billing_reason, 'subscription_create')
  assert.equal(inv.amount_due, 2 * 500 + 2500)
  assert.equal(inv.attempted, false)
  assert.equal(inv.attempt_count, 0)
  assert.equal(inv.parent.type, 'subscription_details')
  assert.equal(inv.parent.subscription_details.subscription, s.id)
  assert.equal(inv.subscription, undefined, 'no top-level subscription since basil')
  assert.match(inv.hosted_invoice_url, /^https:\/\/invoice\.stripe\.com\/i\//)
  assert.equal(inv.period_start, s.items.data[0].current_period_start)
  assert.equal(inv.period_end, s.items.data[0].current_period_end)
  assert.deepEqual(inv.lines.data.map((l) => [l.amount, l.quantity,
    l.pricing.price_details.price]), [[1000, 2, 'price_basic'], [2500, 1, 'price_growth']])

  const evs = await since(n)
  assert.deepEqual(types(evs),
    ['customer.subscription.created', 'invoice.created', 'invoice.finalized'])
  assert.equal(evs[0].data.object.status, 'incomplete')
  assert.equal(evs[1].data.object.status, 'draft')
  assert.equal(evs[2].data.object.status, 'open')
})

test('create with a declined card: incomplete, attempted once, payment_failed', async () => {
  const c = await withCard()
  await control({ fail_payments: c.id })
  await rejects(stripe.subscriptions.create({ customer: c.id,
    items: [{ price: 'price_basic', quantity: 1 }], payment_behavior: 'error_if_incomplete' }),
  Card, { statusCode: 402, code: 'card_declined' })
  assert.equal((await state()).invoices.length, 0, 'error_if_incomplete made nothing')

  const n = (await delivered()).length
  const s = await stripe.subscriptions.create({ customer: c.id,
    items: [{ price: 'price_basic', quantity: 1 }], expand: ['latest_invoice'] })
  assert.equal(s.status, 'incomplete')
  assert.equal(s.latest_invoice.status, 'open')
  assert.equal(s.latest_invoice.attempted, true)
  assert.equal(s.latest_invoice.attempt_count, 1)
  const evs = await since(n)
  assert.deepEqual(types(evs), ['customer.subscription.created', 'invoice.created',
    'invoice.finalized', 'invoice.payment_failed', 'invoice.updated'])
  assert.equal(evs[3].data.object.attempt_count, 1)
  assert.deepEqual(evs[4].data.previous_attributes, { attempted: false, attempt_count: 0 })

  // The card works again: paying the invoice activates the subscription.
  await control({ pass_payments: c.id })
  const m = (await delivered()).length
  const paid = await stripe.invoices.pay(s.latest_invoice.id)
  assert.equal(paid.status, 'paid')
  assert.equal(paid.amount_paid, 500)
  assert.equal((await stripe.subscriptions.retrieve(s.id)).status, 'active')
  const evs2 = await since(m)
  assert.deepEqual(types(evs2), ['invoice.paid', 'invoice.payment_succeeded',
    'invoice.updated', 'customer.subscription.updated'])
  assert.deepEqual(evs2[3].data.previous_attributes, { status: 'incomplete' })
})

test('create with a card: paid at once, active; the events carry the request', async () => {
  const c = await withCard()
  const n = (await delivered()).length
  const s = await stripe.subscriptions.create({ customer: c.id,
    items: [{ price: 'price_growth', quantity: 3 }] }, { idempotencyKey: 'sub-create:a' })
  assert.equal(s.status, 'active')
  assert.match(s.latest_invoice, /^in_/)
  const inv = await stripe.invoices.retrieve(s.latest_invoice)
  assert.equal(inv.status, 'paid')
  assert.equal(inv.amount_paid, 7500)
  assert.equal(inv.amount_remaining, 0)
  assert.equal(inv.paid_out_of_band, false)
  assert.ok(inv.status_transitions.paid_at > 0)
  const evs = await since(n)
  assert.deepEqual(types(evs), ['customer.subscription.created', 'invoice.created',
    'invoice.finalized', 'invoice.paid', 'invoice.payment_succeeded', 'invoice.updated'])
  for (const e of evs) {
    assert.match(e.id, /^evt_/)
    assert.equal(e.object, 'event')
    assert.equal(e.api_version, '2026-10-28.endive')
    assert.equal(e.livemode, false)
    assert.equal(e.pending_webhooks, 1)
    assert.equal(e.request.id, s.lastResponse.requestId)
    assert.equal(e.request.idempotency_key, 'sub-create:a')
  }
  // Events made by Stripe itself (here: a test's control) name no request.
  const made = await events()
  assert.deepEqual(made.find((e) => e.type === 'customer.updated').event.request,
    { id: null, idempotency_key: null })
})

test('create: what Stripe refuses, the fake refuses', async () => {
  const c = await withCard()
  const item = { price: 'price_basic', quantity: 1 }
  const bad = async (params, check) =>
    rejects(stripe.subscriptions.create({ customer: c.id, items: [item], ...params }),
      Invalid, { statusCode: 400, ...check })
  await bad({ colour: 'red' }, { code: 'parameter_unknown', param: 'colour' })
  await bad({ items: [{ ...item, plan_x: 1 }] },
    { code: 'parameter_unknown', param: 'items[0][plan_x]' })
  await bad({ items: [{ price: 'price_gold', quantity: 1 }] },
    { code: 'resource_missing', param: 'items[0][price]' })
  await bad({ items: [item, { price: 'price_basic', quantity: 2 }] },
    { message: /same price/ })
  await bad({ items: [{ price: 'price_basic', quantity: 0 }] }, { param: 'items[0][quantity]' })
  await bad({ items: [{ price: 'price_basic', quantity: 'two' }] },
    { param: 'items[0][quantity]' })
  await bad({ items: [{ quantity: 1 }] }, { message: /one of plan, price/ })
  await bad({ items: Array.from({ length: 21 }, () => item) }, { param: 'items' })
  await bad({ payment_behavior: 'sometimes' }, { param: 'payment_behavior' })
  await bad({ proration_behavior: 'maybe' }, { param: 'proration_behavior' })
  await bad({ collection_method: 'send_invoice' },
    { code: 'parameter_missing', param: 'days_until_due' })
  await bad({ expand: ['customer.sources'] }, { param: 'expand' })
  await bad({ customer: 'cus_nope' }, { code: 'resource_missing', param: 'customer' })
  await rejects(stripe.subscriptions.create({ items: [item] }), Invalid,
    { code: 'parameter_missing', param: 'customer' })
  assert.equal((await state()).subscriptions.length, 0)

  // Stripe's error JSON, exactly.
  const r = await fetch(`${base()}/v1/subscriptions`, { method: 'POST',
    headers: { Authorization: `Bearer ${KEY}`,
      'Content-Type': 'application/x-www-form-urlencoded' },
    body: `customer=${c.id}&items[0][price]=price_gold` })
  assert.equal(r.status, 400)
  assert.deepEqual(await r.json(), { error: { type: 'invalid_request_error',
    code: 'resource_missing', param: 'items[0][price]',
    message: "No such price: 'price_gold'" } })
})

test('send_invoice: active at once, the invoice open and due later', async () => {
  const c = await customer()
  const s = await stripe.subscriptions.create({ customer: c.id,
    items: [{ price: 'price_basic', quantity: 1 }], collection_method: 'send_invoice',
    days_until_due: 7, expand: ['latest_invoice'] })
  assert.equal(s.status, 'active')
  assert.equal(s.latest_invoice.status, 'open')
  assert.equal(s.latest_invoice.attempted, false)
  assert.equal(s.latest_invoice.due_date, s.latest_invoice.created + 7 * 86400)
})

test('retrieve and list: 404, newest first, canceled only when asked', async () => {
  const c = await withCard()
  await rejects(stripe.subscriptions.retrieve('sub_nope'), Invalid,
    { statusCode: 404, code: 'resource_missing' })
  const mk = (price) => stripe.subscriptions.create({ customer: c.id,
    items: [{ price, quantity: 1 }] })
  const s1 = await mk('price_basic')
  const s2 = await mk('price_growth')
  const s3 = await mk('price_basic')
  await stripe.subscriptions.cancel(s2.id)
  const ids = async (p) => (await stripe.subscriptions.list(p)).data.map((s) => s.id)
  assert.deepEqual(await ids({ customer: c.id }), [s3.id, s1.id])
  assert.deepEqual(await ids({ customer: c.id, status: 'all' }), [s3.id, s2.id, s1.id])
  assert.deepEqual(await ids({ customer: c.id, status: 'canceled' }), [s2.id])
  assert.deepEqual(await ids({ customer: c.id, status: 'active' }), [s3.id, s1.id])
  const page = await stripe.subscriptions.list({ customer: c.id, status: 'all', limit: 2 })
  assert.equal(page.object, 'list')
  assert.equal(page.url, '/v1/subscriptions')
  assert.equal(page.has_more, true)
  const rest = await stripe.subscriptions.list({ customer: c.id, status: 'all',
    starting_after: page.data[1].id })
  assert.deepEqual(rest.data.map((s) => s.id), [s1.id])
  assert.equal(rest.has_more, false)
  await rejects(stripe.subscriptions.list({ status: 'sleeping' }), Invalid,
    { param: 'status' })
  const got = await stripe.subscriptions.retrieve(s1.id, { expand: ['latest_invoice'] })
  assert.equal(got.latest_invoice.status, 'paid')
})

test('update: quantity, add and delete items; prorations pend until the next invoice', async () => {
  const c = await withCard()
  const s = await stripe.subscriptions.create({ customer: c.id,
    items: [{ price: 'price_basic', quantity: 1 }] })
  const basic = s.items.data[0].id
  const n = (await delivered()).length

  const u1 = await stripe.subscriptions.update(s.id, {
    items: [{ id: basic, quantity: 3 }, { price: 'price_growth', quantity: 1 }],
    proration_behavior: 'create_prorations' })
  assert.deepEqual(u1.items.data.map((i) => [i.price.id, i.quantity]),
    [['price_basic', 3], ['price_growth', 1]])
  assert.equal(u1.items.data[0].id, basic, 'an updated item keeps its id')
  assert.equal(u1.latest_invoice, s.latest_invoice, 'no invoice yet')
  const pend = (await state()).pending_invoice_items
  assert.deepEqual(pend.map((p) => p.amount).sort((a, b) => a - b), [-500, 1500, 2500],
    'unused 1 basic, remaining 3 basic, remaining 1 growth (a change made at once)')
  const evs = await since(n)
  assert.deepEqual(types(evs), ['customer.subscription.updated'])
  assert.deepEqual(evs[0].data.previous_attributes.items.data.map((i) => i.quantity), [1])

  const growth = u1.items.data[1].id
  const u2 = await stripe.subscriptions.update(s.id, {
    items: [{ id: growth, deleted: true }], proration_behavior: 'none' })
  assert.deepEqual(u2.items.data.map((i) => i.price.id), ['price_basic'])
  assert.equal((await state()).pending_invoice_items.length, 3, 'none: nothing more')

  const bad = (params, check) =>
    rejects(stripe.subscriptions.update(s.id, params), Invalid, { statusCode: 400, ...check })
  await bad({ items: [{ id: 'si_nope', quantity: 2 }] },
    { code: 'resource_missing', param: 'items[0][id]' })
  await bad({ items: [{ id: basic, deleted: true }] }, { param: 'items' })
  await bad({ items: [{ price: 'price_basic', quantity: 1 }] }, { message: /same price/ })
  await bad({ items: [{ id: basic, quantity: -1 }] }, { param: 'items[0][quantity]' })
  await bad({ trial_end: 'now' }, { code: 'parameter_unknown' })

  // The next month: the cycle invoice bills the month plus the prorations.
  const m = (await delivered()).length
  const { invoice } = await control({ advance_period: s.id })
  const inv = await stripe.invoices.retrieve(invoice)
  assert.equal(inv.billing_reason, 'subscription_cycle')
  assert.equal(inv.status, 'paid')
  assert.equal(inv.amount_due, 3 * 500 + (-500 + 1500 + 2500))
  assert.equal(inv.lines.data.filter((l) =>
    l.parent.subscription_item_details.proration).length, 3)
  assert.equal((await state()).pending_invoice_items.length, 0)
  const after = await stripe.subscriptions.retrieve(s.id)
  assert.equal(after.latest_invoice, invoice)
  assert.equal(after.items.data[0].current_period_start, u2.items.data[0].current_period_end)
  assert.deepEqual(types(await since(m)), ['customer.subscription.updated',
    'invoice.created', 'invoice.finalized', 'invoice.paid', 'invoice.payment_succeeded',
    'invoice.updated'])
  const lines = await stripe.invoices.listLineItems(invoice, { limit: 2 })
  assert.equal(lines.object, 'list')
  assert.equal(lines.url, `/v1/invoices/${invoice}/lines`)
  assert.equal(lines.data.length, 2)
  assert.equal(lines.has_more, true)
})

test('always_invoice: an invoice at once; a declined card makes it past_due', async () => {
  const c = await withCard()
  const s = await stripe.subscriptions.create({ customer: c.id,
    items: [{ price: 'price_basic', quantity: 1 }] })
  const u = await stripe.subscriptions.update(s.id, {
    items: [{ id: s.items.data[0].id, quantity: 2 }], proration_behavior: 'always_invoice',
    expand: ['latest_invoice'] })
  assert.equal(u.latest_invoice.billing_reason, 'subscription_update')
  assert.equal(u.latest_invoice.status, 'paid')
  assert.equal(u.latest_invoice.amount_paid, 500)

  await control({ fail_payments: c.id })
  await rejects(stripe.subscriptions.update(s.id, {
    items: [{ id: s.items.data[0].id, quantity: 3 }], proration_behavior: 'always_invoice',
    payment_behavior: 'error_if_incomplete' }), Card, { statusCode: 402 })
  assert.equal((await stripe.subscriptions.retrieve(s.id)).items.data[0].quantity, 2,
    'error_if_incomplete changed nothing')
  const n = (await delivered()).length
  const v = await stripe.subscriptions.update(s.id, {
    items: [{ id: s.items.data[0].id, quantity: 3 }], proration_behavior: 'always_invoice' })
  assert.equal(v.status, 'past_due')
  assert.deepEqual(types(await since(n)), ['customer.subscription.updated',
    'invoice.created', 'invoice.finalized', 'invoice.payment_failed', 'invoice.updated',
    'customer.subscription.updated'])
})

test('incomplete and canceled subscriptions refuse changes, not metadata', async () => {
  const c = await customer()
  const s = await stripe.subscriptions.create({ customer: c.id,
    items: [{ price: 'price_basic', quantity: 1 }], payment_behavior: 'default_incomplete' })
  await rejects(stripe.subscriptions.update(s.id,
    { items: [{ id: s.items.data[0].id, quantity: 2 }] }), Invalid, { statusCode: 400 })
  assert.equal((await stripe.subscriptions.update(s.id,
    { metadata: { note: 'x' } })).metadata.note, 'x')
  await stripe.subscriptions.cancel(s.id)
  await rejects(stripe.subscriptions.update(s.id, { cancel_at_period_end: true }), Invalid,
    { message: 'A canceled subscription can only update its cancellation_details and metadata.' })
  assert.equal((await stripe.subscriptions.update(s.id,
    { metadata: { note: '' } })).metadata.note, undefined, 'an empty value unsets a key')
})

test('cancel: canceled now; again is 404; at period end it ends with the period', async () => {
  const c = await withCard()
  const s = await stripe.subscriptions.create({ customer: c.id,
    items: [{ price: 'price_basic', quantity: 1 }] })
  const n = (await delivered()).length
  const d = await stripe.subscriptions.cancel(s.id,
    { cancellation_details: { comment: 'last paid relay deleted' } })
  assert.equal(d.status, 'canceled')
  assert.ok(d.canceled_at > 0)
  assert.equal(d.ended_at, d.canceled_at)
  assert.equal(d.cancellation_details.comment, 'last paid relay deleted')
  assert.equal(d.cancellation_details.reason, 'cancellation_requested')
  const evs = await since(n)
  assert.deepEqual(types(evs), ['customer.subscription.deleted'])
  assert.equal(evs[0].data.object.status, 'canceled')
  await rejects(stripe.subscriptions.cancel(s.id), Invalid,
    { statusCode: 404, code: 'resource_missing', message: `No such subscription: '${s.id}'` })
  await rejects(stripe.subscriptions.cancel(s.id, { prorate: 'yes' }), Invalid,
    { statusCode: 400, param: 'prorate' })

  const s2 = await stripe.subscriptions.create({ customer: c.id,
    items: [{ price: 'price_basic', quantity: 1 }] })
  const p = await stripe.subscriptions.update(s2.id, { cancel_at_period_end: true })
  assert.equal(p.cancel_at, p.items.data[0].current_period_end)
  await control({ advance_period: s2.id })
  const ended = await stripe.subscriptions.retrieve(s2.id)
  assert.equal(ended.status, 'canceled')
  assert.equal(ended.ended_at, p.items.data[0].current_period_end)
})

// --- invoices ---

test('invoices: list, pay out of band, void, uncollectible, and the refusals', async () => {
  const c = await customer()
  const mk = () => stripe.subscriptions.create({ customer: c.id,
    items: [{ price: 'price_basic', quantity: 1 }], payment_behavior: 'default_incomplete' })
  const s1 = await mk()
  const s2 = await mk()
  const s3 = await mk()
  const list = await stripe.invoices.list({ customer: c.id })
  assert.deepEqual(list.data.map((i) => i.id), [s3.latest_invoice, s2.latest_invoice,
    s1.latest_invoice])
  assert.equal(list.url, '/v1/invoices')
  const since0 = list.data[2].created
  assert.equal((await stripe.invoices.list({ customer: c.id, created: { gte: since0 } }))
    .data.length, 3)
  assert.equal((await stripe.invoices.list({ customer: c.id,
    created: { gte: since0 + 86400 } })).data.length, 0)
  await rejects(stripe.invoices.retrieve('in_nope'), Invalid, { statusCode: 404 })
  await rejects(stripe.invoices.list({ customer: 'cus_nope' }), Invalid,
    { code: 'resource_missing', param: 'customer' })
  await rejects(stripe.invoices.pay(s1.latest_invoice), Invalid,
    { statusCode: 400, message: /no attached payment source/ })

  const n = (await delivered()).length
  const paid = await stripe.invoices.pay(s1.latest_invoice, { paid_out_of_band: true },
    { idempotencyKey: `pay_invoice_oob:${s1.latest_invoice}` })
  assert.equal(paid.status, 'paid')
  assert.equal(paid.paid_out_of_band, true)
  assert.equal(paid.amount_paid, paid.amount_due)
  assert.ok(paid.status_transitions.paid_at > 0)
  assert.equal((await stripe.subscriptions.retrieve(s1.id)).status, 'active')
  const evs = await since(n)
  assert.deepEqual(types(evs), ['invoice.paid', 'invoice.updated',
    'customer.subscription.updated'])
  assert.equal(evs[0].data.object.paid_out_of_band, true)
  assert.equal(evs[0].data.object.parent.subscription_details.subscription, s1.id)

  // The same key replays the stored answer and changes nothing more.
  const again = await stripe.invoices.pay(s1.latest_invoice, { paid_out_of_band: true },
    { idempotencyKey: `pay_invoice_oob:${s1.latest_invoice}` })
  assert.equal(again.lastResponse.headers['idempotent-replayed'], 'true')
  assert.equal((await delivered()).length, n + 3)
  await rejects(stripe.invoices.pay(s1.latest_invoice, { paid_out_of_band: true }), Invalid,
    { statusCode: 400, message: 'Invoice is already paid' })

  const v = await stripe.invoices.voidInvoice(s2.latest_invoice)
  assert.equal(v.status, 'void')
  assert.ok(v.status_transitions.voided_at > 0)
  await rejects(stripe.invoices.pay(s2.latest_invoice, { paid_out_of_band: true }), Invalid,
    { message: 'Voided invoices cannot be paid.' })
  await rejects(stripe.invoices.voidInvoice(s1.latest_invoice), Invalid,
    { message: "You can only pass in open invoices. This invoice isn't open." })
  const u = await stripe.invoices.markUncollectible(s3.latest_invoice)
  assert.equal(u.status, 'uncollectible')
  assert.deepEqual((await stripe.invoices.list({ customer: c.id, status: 'void' }))
    .data.map((i) => i.id), [s2.latest_invoice])
  await rejects(stripe.invoices.list({ status: 'late' }), Invalid, { param: 'status' })
  assert.deepEqual(types((await delivered()).slice(n + 3)),
    ['invoice.voided', 'invoice.updated', 'invoice.marked_uncollectible', 'invoice.updated'])
})

test('a renewal that fails: past_due and payment_failed; paying it heals', async () => {
  const c = await withCard()
  const s = await stripe.subscriptions.create({ customer: c.id,
    items: [{ price: 'price_basic', quantity: 2 }] })
  await control({ fail_payments: c.id })
  const n = (await delivered()).length
  const { invoice } = await control({ advance_period: s.id })
  assert.equal((await stripe.subscriptions.retrieve(s.id)).status, 'past_due')
  assert.deepEqual(types(await since(n)), ['customer.subscription.updated',
    'invoice.created', 'invoice.finalized', 'invoice.payment_failed', 'invoice.updated',
    'customer.subscription.updated'])
  const e = await rejects(stripe.invoices.pay(invoice), Card,
    { statusCode: 402, code: 'card_declined', decline_code: 'generic_decline' })
  assert.equal(e.type, 'StripeCardError')
  assert.equal((await stripe.invoices.retrieve(invoice)).attempt_count, 2)
  await control({ pass_payments: c.id })
  assert.equal((await stripe.invoices.pay(invoice)).status, 'paid')
  assert.equal((await stripe.subscriptions.retrieve(s.id)).status, 'active')
})

// --- invoice previews (POST /v1/invoices/create_preview) ---

// What must agree between a preview and the invoice that is then made.
const billed = (inv) => ({
  amount_due: inv.amount_due, total: inv.total, subtotal: inv.subtotal,
  currency: inv.currency, customer: inv.customer, period_start: inv.period_start,
  period_end: inv.period_end, starting_balance: inv.starting_balance,
  subscription: inv.parent.subscription_details.subscription,
  lines: inv.lines.data.map((l) => ({ amount: l.amount, quantity: l.quantity,
    description: l.description, period: l.period, price: l.pricing.price_details.price,
    item: l.parent.subscription_item_details.subscription_item,
    proration: l.parent.subscription_item_details.proration })),
})

test('create_preview: the next renewal, equal to the invoice advance_period makes', async () => {
  const c = await withCard()
  const s = await stripe.subscriptions.create({ customer: c.id,
    items: [{ price: 'price_basic', quantity: 2 }, { price: 'price_growth', quantity: 1 }],
    metadata: { tenant_pubkey: 'a'.repeat(64) } })
  const p = await stripe.invoices.createPreview({ customer: c.id, subscription: s.id })
  assert.match(p.id, /^upcoming_in_/)
  assert.equal(p.object, 'invoice')
  assert.equal(p.status, 'draft')
  assert.equal(p.livemode, false)
  assert.equal(p.billing_reason, 'upcoming')
  assert.equal(p.currency, 'usd')
  assert.equal(p.customer, c.id)
  assert.equal(p.subscription, undefined, 'no top-level subscription since basil')
  assert.equal(p.parent.type, 'subscription_details')
  assert.equal(p.parent.subscription_details.subscription, s.id)
  assert.equal(p.parent.subscription_details.metadata.tenant_pubkey, 'a'.repeat(64))
  assert.equal(p.parent.subscription_details.subscription_proration_date, undefined,
    'no change previewed')
  assert.equal(p.period_start, s.items.data[0].current_period_end, 'the next period')
  assert.ok(p.period_end - p.period_start >= MONTH)
  assert.equal(p.subtotal, 2 * 500 + 2500)
  assert.equal(p.total, 3500)
  assert.equal(p.amount_due, 3500)
  assert.deepEqual(p.lines.data.map((l) => [l.description, l.amount, l.quantity,
    l.period.start, l.period.end, l.invoice]), [
    ['2 × price_basic (at $5.00 / month)', 1000, 2, p.period_start, p.period_end, p.id],
    ['1 × price_growth (at $25.00 / month)', 2500, 1, p.period_start, p.period_end, p.id]])
  assert.equal(p.lines.total_count, 2)
  await rejects(stripe.invoices.retrieve(p.id), Invalid,
    { statusCode: 404, code: 'resource_missing' })
  // Without the customer (Caravel usually sends both) and with it expanded.
  const p2 = await stripe.invoices.createPreview({ subscription: s.id, expand: ['customer'] })
  assert.equal(p2.customer.id, c.id)
  assert.notEqual(p2.id, p.id)
  assert.deepEqual(billed({ ...p2, customer: c.id }), billed(p))

  const { invoice } = await control({ advance_period: s.id })
  const inv = await stripe.invoices.retrieve(invoice)
  assert.equal(inv.billing_reason, 'subscription_cycle')
  assert.deepEqual(billed(inv), billed(p), 'the preview was the invoice to come')

  // Again for the period after, from the new period.
  const q = await stripe.invoices.createPreview({ customer: c.id, subscription: s.id })
  assert.equal(q.period_start, inv.period_end)
  const { invoice: next } = await control({ advance_period: s.id })
  assert.deepEqual(billed(await stripe.invoices.retrieve(next)), billed(q))
})

test('create_preview: pending prorations, a proposed change and the credit balance', async () => {
  const c = await withCard()
  const s = await stripe.subscriptions.create({ customer: c.id,
    items: [{ price: 'price_basic', quantity: 1 }] })
  const basic = s.items.data[0].id
  await stripe.subscriptions.update(s.id, { items: [{ id: basic, quantity: 3 }] })
  const pend = (await state()).pending_invoice_items
  assert.equal(pend.length, 2)

  const p = await stripe.invoices.createPreview({ customer: c.id, subscription: s.id })
  assert.deepEqual(p.lines.data.map((l) => [l.amount,
    l.parent.subscription_item_details.proration,
    l.parent.subscription_item_details.invoice_item]),
  [[1500, false, null], [-500, true, pend[0].id], [1500, true, pend[1].id]],
  'the renewal at the new quantity, then the pending prorations')
  assert.equal(p.total, 2500)
  assert.equal(p.amount_due, 2500)

  // A proposed change (subscription_details) adds its own prorations, at
  // proration_date, without making them.
  const start = s.items.data[0].current_period_start
  const q = await stripe.invoices.createPreview({ customer: c.id, subscription: s.id,
    subscription_details: { items: [{ id: basic, quantity: 5 },
      { price: 'price_growth', quantity: 1 }], proration_date: start } })
  assert.equal(q.parent.subscription_details.subscription_proration_date, start)
  assert.deepEqual(q.lines.data.map((l) => [l.amount, l.quantity,
    l.pricing.price_details.price, l.parent.subscription_item_details.proration]), [
    [2500, 5, 'price_basic', false], [2500, 1, 'price_growth', false],
    [-500, 1, 'price_basic', true], [1500, 3, 'price_basic', true],
    [-1500, 3, 'price_basic', true], [2500, 5, 'price_basic', true],
    [2500, 1, 'price_growth', true]])
  assert.deepEqual(q.lines.data.slice(5).map((l) =>
    l.parent.subscription_item_details.invoice_item), [null, null], 'nothing was made')
  assert.equal(q.total, 5000 - 500 + 1500 - 1500 + 2500 + 2500)
  const newItem = q.lines.data[1].parent.subscription_item_details.subscription_item
  assert.equal(q.lines.data[6].parent.subscription_item_details.subscription_item, newItem)
  const after = await state()
  assert.deepEqual(after.pending_invoice_items, pend, 'no proration was stored')
  assert.deepEqual(after.subscriptions[0].items.data.map((i) => i.quantity), [3])

  // The preview without a change is what the renewal then bills.
  const { invoice } = await control({ advance_period: s.id })
  assert.deepEqual(billed(await stripe.invoices.retrieve(invoice)), billed(p))

  // A downgrade invoiced at once leaves a credit: the preview spends it.
  const d = await stripe.subscriptions.update(s.id, { items: [{ id: basic, quantity: 1 }],
    proration_behavior: 'always_invoice', expand: ['latest_invoice'] })
  assert.equal(d.latest_invoice.total, -1000)
  assert.equal((await stripe.customers.retrieve(c.id)).balance, -1000)
  const r = await stripe.invoices.createPreview({ customer: c.id, subscription: s.id })
  assert.equal(r.total, 500)
  assert.equal(r.starting_balance, -1000)
  assert.equal(r.amount_due, 0, 'the credit covers it')
  const { invoice: credited } = await control({ advance_period: s.id })
  const ci = await stripe.invoices.retrieve(credited)
  assert.deepEqual(billed(ci), billed(r))
  assert.equal((await stripe.customers.retrieve(c.id)).balance, -500)
})

test('create_preview: what Stripe refuses, the fake refuses', async () => {
  const c = await withCard()
  const other = await customer('b'.repeat(64))
  const s = await stripe.subscriptions.create({ customer: c.id,
    items: [{ price: 'price_basic', quantity: 1 }] })
  const si = s.items.data[0].id
  const bad = (params, check) =>
    rejects(stripe.invoices.createPreview(params), Invalid, { statusCode: 400, ...check })
  const atLeast = /^You must provide at least one of: `subscription`/
  await bad({}, { message: atLeast })
  await bad({ customer: c.id }, { message: atLeast })
  await bad({ customer: c.id, subscription_details: { items: [{ price: 'price_basic' }] } },
    { param: 'subscription' })
  await bad({ subscription: s.id, colour: 'red' },
    { code: 'parameter_unknown', param: 'colour' })
  await bad({ subscription: s.id, subscription_details: { trial_end: 'now' } },
    { code: 'parameter_unknown', param: 'subscription_details[trial_end]' })
  await bad({ subscription: s.id, subscription_details: { items: [{ id: si, plan_x: 1 }] } },
    { code: 'parameter_unknown', param: 'subscription_details[items][0][plan_x]' })
  await bad({ subscription: s.id, subscription_details: { items: [{ id: 'si_nope' }] } },
    { code: 'resource_missing', param: 'subscription_details[items][0][id]' })
  await bad({ subscription: s.id, subscription_details: { items: [{ id: si, deleted: true }] } },
    { param: 'subscription_details[items]' })
  await bad({ subscription: s.id, subscription_details: { items: [{ id: si, quantity: 0 }] } },
    { param: 'subscription_details[items][0][quantity]' })
  await bad({ subscription: s.id, subscription_details: { proration_date: s.created } },
    { param: 'subscription_details[proration_date]' })
  await bad({ subscription: s.id, subscription_details: { items: [{ id: si, quantity: 2 }],
    proration_date: s.created - 86400 } }, { param: 'subscription_details[proration_date]' })
  await bad({ subscription: 'sub_nope' }, { code: 'resource_missing', param: 'subscription',
    message: "No such subscription: 'sub_nope'" })
  await bad({ customer: 'cus_nope', subscription: s.id },
    { code: 'resource_missing', param: 'customer' })
  await bad({ customer: other.id, subscription: s.id }, { param: 'subscription',
    message: `Customer ${other.id} does not have a subscription with ID ${s.id}` })

  // No next invoice: ending at period end, canceled.
  const none = { statusCode: 404, code: 'invoice_upcoming_none',
    message: `No upcoming invoices for customer: ${c.id}` }
  await stripe.subscriptions.update(s.id, { cancel_at_period_end: true })
  await rejects(stripe.invoices.createPreview({ subscription: s.id }), Invalid, none)
  await stripe.subscriptions.update(s.id, { cancel_at_period_end: false })
  await stripe.subscriptions.cancel(s.id)
  await rejects(stripe.invoices.createPreview({ customer: c.id, subscription: s.id }),
    Invalid, none)

  // Stripe's error JSON, exactly, for the form Caravel sends (no Idempotency-Key).
  const r = await fetch(`${base()}/v1/invoices/create_preview`, { method: 'POST',
    headers: { Authorization: `Bearer ${KEY}`, 'Stripe-Version': '2026-10-28.endive',
      'Content-Type': 'application/x-www-form-urlencoded' },
    body: `customer=${c.id}&subscription=${s.id}` })
  assert.equal(r.status, 404)
  assert.deepEqual(await r.json(), { error: { type: 'invalid_request_error',
    code: 'invoice_upcoming_none', message: `No upcoming invoices for customer: ${c.id}` } })
  const nokey = await fetch(`${base()}/v1/invoices/create_preview`, { method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: `subscription=${s.id}` })
  assert.equal(nokey.status, 401)
  const get = await fetch(`${base()}/v1/invoices/create_preview`,
    { headers: { Authorization: `Bearer ${KEY}` } })
  assert.equal(get.status, 404, 'only POST previews')
})

test('create_preview writes nothing: state, events and invoices unchanged', async () => {
  const c = await withCard()
  const s = await stripe.subscriptions.create({ customer: c.id,
    items: [{ price: 'price_basic', quantity: 1 }] })
  await stripe.subscriptions.update(s.id, { items: [{ id: s.items.data[0].id, quantity: 2 }] })
  const before = await state()
  const made = (await events()).map((e) => e.id)
  const body = new URLSearchParams({ customer: c.id, subscription: s.id,
    'subscription_details[items][0][id]': s.items.data[0].id,
    'subscription_details[items][0][quantity]': '4',
    'subscription_details[items][1][price]': 'price_growth' }).toString()
  const r = await fetch(`${base()}/v1/invoices/create_preview`, { method: 'POST',
    headers: { Authorization: `Bearer ${KEY}`, 'Stripe-Version': '2026-10-28.endive',
      'Content-Type': 'application/x-www-form-urlencoded' }, body })
  assert.equal(r.status, 200)
  const p = await r.json()
  assert.equal(p.lines.data[0].quantity, 4)
  assert.equal(p.lines.data[1].pricing.price_details.price, 'price_growth')
  await stripe.invoices.createPreview({ subscription: s.id })
  assert.deepEqual(await state(), before, 'GET /__state is the same')
  assert.deepEqual((await events()).map((e) => e.id), made, 'no event')
  assert.equal((await stripe.invoices.list({ customer: c.id })).data.length,
    before.invoices.length, 'not listed')
  const logged = (await (await fetch(`${base()}/__log`)).json())
    .filter((e) => e.path === '/v1/invoices/create_preview')
  assert.equal(logged.length, 2)
  assert.equal(logged[0].status, 200)
  assert.equal(logged[0].idempotency_key, null)
  assert.equal(logged[0].params.subscription_details.items[0].quantity, '4')
})

// --- idempotency ---

test('idempotency: replay, other parameters, in flight, expiry', async () => {
  const a = await stripe.customers.create({ name: 'A' }, { idempotencyKey: 'k1' })
  const b = await stripe.customers.create({ name: 'A' }, { idempotencyKey: 'k1' })
  assert.equal(b.id, a.id)
  assert.equal(b.lastResponse.headers['idempotent-replayed'], 'true')
  await rejects(stripe.customers.create({ name: 'B' }, { idempotencyKey: 'k1' }), Idem,
    { statusCode: 400, type: 'StripeIdempotencyError' })

  await control({ delay_ms: 500 })
  const slow = stripe.customers.create({ name: 'C' }, { idempotencyKey: 'k2' })
  await new Promise((resolve) => setTimeout(resolve, 100))
  const busy = await stripe.customers.create({ name: 'C' }, { idempotencyKey: 'k2' })
    .then(() => null, (x) => x)
  assert.equal(busy?.statusCode, 409)
  assert.equal(busy.code, 'idempotency_key_in_use')
  await slow

  await control({ expire_idempotency_keys: true })
  const c = await stripe.customers.create({ name: 'A' }, { idempotencyKey: 'k1' })
  assert.notEqual(c.id, a.id, 'a pruned key is a new request')
  assert.equal((await state()).customers.length, 3)
})

// --- webhooks ---

test('webhooks: a missed one, resend, send_event, and retries keep the order', async () => {
  const c = await customer()
  await control({ webhooks: false })
  await control({ attach_card: c.id })
  await control({ webhooks: true })
  let made = await events()
  const missed = made.find((e) => e.type === 'customer.updated')
  assert.equal(missed.state, 'skipped')
  assert.deepEqual(types(await delivered()), ['customer.created'])

  await control({ resend: missed.id })
  const got = await delivered()
  assert.deepEqual(types(got), ['customer.created', 'customer.updated'])
  assert.equal(got[1].id, missed.id)

  const custom = { id: 'in_bench', object: 'invoice', status: 'open', customer: c.id }
  const { event } = await control({ send_event: { type: 'invoice.updated', object: custom,
    previous_attributes: { status: 'draft' } } })
  hook.fail = 2 // the next two attempts are answered 500
  await control({ send_event: { type: 'invoice.paid', object: { ...custom, status: 'paid' } } })
  const all = await delivered()
  assert.deepEqual(types(all).slice(2), ['invoice.updated', 'invoice.paid'])
  assert.equal(all[2].id, event)
  assert.deepEqual(all[2].data.previous_attributes, { status: 'draft' })
  made = await events()
  assert.deepEqual(made.find((e) => e.id === event).attempts.map((a) => a.status), [500, 500, 200])

  // A tampered body or another secret fails the SDK's verification.
  const d = hook.got[0]
  assert.throws(() => stripe.webhooks.constructEvent(d.raw.replace('customer', 'Customer'),
    d.headers['stripe-signature'], SECRET), Stripe.errors.StripeSignatureVerificationError)
  assert.throws(() => stripe.webhooks.constructEvent(d.raw, d.headers['stripe-signature'],
    'whsec_other'), Stripe.errors.StripeSignatureVerificationError)
})

test('control rejects what it does not know', async () => {
  const r = await fetch(`${base()}/__control`, { method: 'POST',
    body: JSON.stringify({ attach_card: 'cus_nope' }) })
  assert.equal(r.status, 400)
  const r2 = await fetch(`${base()}/__control`, { method: 'POST',
    body: JSON.stringify({ advance_periods: 'sub_x' }) })
  assert.equal(r2.status, 400)
})
