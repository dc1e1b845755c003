// flotilla.test.mjs: the shipped client's journey through nginx, made the
// way Flotilla's hosting pages (src/app/hosting.ts) make it: the same
// paths, methods, bodies and headers; one NIP-98 header built by welshman's
// makeHttpAuth(base URL, "GET") and makeHttpAuthHeader, cached and sent
// with every call; `data` read on a 2xx, `error` shown as it is otherwise
// (research/flotilla-client.md §2-§5). Then a client of our own contract
// (our field names only) works against the same server. Started by
// tests/e2e/t0850-billing.sh after billing.test.mjs, with the same fakes.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'

import { generateSecretKey, getPublicKey, finalizeEvent } from 'nostr-tools/pure'

// welshman has its own node_modules (tests/welshman: its peers would move
// the packages the other tests resolve): loaded from there by its main.
const WELSHMAN = new URL('../welshman/node_modules/@welshman/util/', import.meta.url)
const { makeHttpAuth, makeHttpAuthHeader } = await import(new URL(
  JSON.parse(readFileSync(new URL('package.json', WELSHMAN), 'utf8')).main, WELSHMAN))

function need (name) {
  const v = process.env[name]
  assert.ok(v, `${name} must be set (tests/e2e/t0850-billing.sh sets it)`)
  return v
}
const BASE = need('CARAVEL_BASE')
const DB = need('CARAVEL_DB')
const WALLET = need('WALLET_URL')
const STRIPE = need('STRIPE_URL')
const RELAY_DOMAIN = 'relays.example.com' // t0850's RELAY_DOMAIN
const POLL_MS = 3500 // PaymentDialog's interval

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))
const sql = (q) => execFileSync('sqlite3', ['-batch', '-cmd', '.timeout 5000', DB, q],
  { encoding: 'utf8' }).trim()
const stripeState = async () => (await fetch(`${STRIPE}/__state`)).json()
const delivered = async () => (await fetch(`${STRIPE}/__events?wait_ms=10000`)).json()

// --- Flotilla's hosting client, as hosting.ts behaves ---

class HostingError extends Error {
  constructor (message, status) {
    super(message)
    this.status = status
  }
}

function hostingClient (sk) {
  let header = null
  const auth = async () => {
    header ??= makeHttpAuthHeader(finalizeEvent(await makeHttpAuth(BASE, 'GET'), sk))
    return header
  }
  return async function request (method, path, body) {
    const headers = { Accept: 'application/json', Authorization: await auth() }
    if (body !== undefined) headers['Content-Type'] = 'application/json'
    const res = await fetch(BASE + path, { method, headers,
      body: body === undefined ? undefined : JSON.stringify(body) })
    let payload = null
    try { payload = await res.json() } catch { /* no usable body */ }
    if (!res.ok) {
      throw new HostingError(typeof payload?.error === 'string'
        ? payload.error : `Request failed (${res.status})`, res.status)
    }
    return payload.data
  }
}

// The invoice PaymentDialog offers: the oldest with nothing paid or voided.
const payable = (invoices) => [...invoices].sort((a, b) => a.created_at - b.created_at)
  .find((i) => !i.paid_at && !i.voided_at && i.amount > 0)

async function newWallet (balance) {
  const name = `flo${randomBytes(3).toString('hex')}`
  const r = await fetch(`${WALLET}/wallets`, { method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name, encryption: 'nip44', balance_msats: balance }) })
  assert.equal(r.status, 200)
  return name
}
async function payFrom (wallet, lnbc) {
  const r = await fetch(`${WALLET}/wallets/${wallet}/pay`, { method: 'POST',
    headers: { 'content-type': 'application/json' }, body: JSON.stringify({ invoice: lnbc }) })
  assert.equal(r.status, 200, await r.text())
}

test("Flotilla's journey: hosting page, paid relay, Lightning payment, flag, plan, deactivation", async () => {
  const sk = generateSecretKey()
  const pk = getPublicKey(sk)
  const api = hostingClient(sk)
  const returnUrl = 'https://app.flotilla.test/settings/hosting'

  // The hosting page (HomeHosting, settings/hosting): plans, tenant, lists.
  const plans = (await api('GET', '/plans')).filter((p) => !p.hidden)
  assert.deepEqual(plans.map((p) => p.id), ['free', 'basic', 'growth'])
  for (const p of plans) assert.equal(typeof p.amount, 'number')
  await api('POST', '/tenants', { return_url: returnUrl })
  await api('POST', `/tenants/${pk}/reconcile`)
  let tenant = await api('GET', `/tenants/${pk}`)
  assert.equal(tenant.nwc_is_set, false)
  assert.equal(tenant.stripe_payment_method_id, null)
  assert.equal(tenant.churned_at, null)
  assert.deepEqual(await api('GET', `/tenants/${pk}/relays`), [])
  assert.deepEqual(await api('GET', `/tenants/${pk}/invoices`), [])
  assert.equal(await api('GET', `/tenants/${pk}/invoices/draft`), null)

  // RelayCreate: a paid space, then reconcile, then the pay dialog.
  await api('POST', '/tenants', { return_url: returnUrl })
  const subdomain = `flo-${randomBytes(3).toString('hex')}`
  const relay = await api('POST', '/relays', { tenant_pubkey: pk, zooid_domain: RELAY_DOMAIN,
    plan_id: 'basic', subdomain, info_name: 'Our space', info_description: 'Made in Flotilla',
    info_icon: '' })
  assert.equal(`wss://${relay.subdomain}.${relay.zooid_domain}`, `wss://${subdomain}.${RELAY_DOMAIN}`)
  assert.equal(relay.plan_id, 'basic')
  assert.equal(relay.tenant_pubkey, pk)
  assert.equal(relay.custom_domain, '')
  assert.equal(relay.members_can_invite, 1)
  await api('POST', `/tenants/${pk}/reconcile`)
  tenant = await api('GET', `/tenants/${pk}`)
  assert.equal(tenant.stripe_payment_method_id, null, 'no card: Flotilla opens the pay dialog')
  const invoice = payable(await api('GET', `/tenants/${pk}/invoices`))
  assert.ok(invoice, 'an invoice to pay exists as soon as reconcile answered')
  assert.equal(invoice.amount, 500)
  assert.equal(invoice.method, null)
  const items = await api('GET', `/invoices/${invoice.id}/items`)
  assert.equal(items.length, 1)
  assert.equal(items[0].plan_id, 'basic')
  assert.equal(items[0].amount, 500)
  const draft = await api('GET', `/tenants/${pk}/invoices/draft`)
  assert.equal(draft.amount, 500, 'next month: one basic relay')
  assert.equal(draft.paid_at, null)
  // Deep link ?invoice=<id>.
  assert.equal((await api('GET', `/invoices/${invoice.id}`)).id, invoice.id)
  // "Pay by card" would go to Stripe's page for this invoice.
  const checkout = await api('POST', `/invoices/${invoice.id}/checkout?return_url=${encodeURIComponent(returnUrl)}`)
  assert.match(checkout.url, /^https:\/\//)

  // Lightning: POST bolt11, show lnbc, pay from a wallet, poll reconcile.
  const { lnbc } = await api('POST', `/invoices/${invoice.id}/bolt11`)
  assert.match(lnbc, /^lnbc/)
  await payFrom(await newWallet(10000000), lnbc)
  let seen = null
  for (let i = 0; i < 5 && !seen?.paid_at; i++) {
    seen = await api('POST', `/invoices/${invoice.id}/reconcile`)
    if (!seen.paid_at) await sleep(POLL_MS)
  }
  assert.ok(seen.paid_at > 0, 'the dialog sees the payment within a few polls')
  assert.equal(seen.method, 'oob')
  assert.equal(payable(await api('GET', `/tenants/${pk}/invoices`)), undefined, 'nothing left to pay')

  // A switch (one flag, optimistic UI): the answer is the new state.
  const flagged = await api('PUT', `/relays/${relay.id}`, { policy_public_read: 1 })
  assert.equal(flagged.policy_public_read, 1)
  assert.equal((await api('GET', `/relays/${relay.id}`)).policy_public_read, 1)

  // The edit form: plan_id and info with the unchanged subdomain.
  const edited = await api('PUT', `/relays/${relay.id}`, { plan_id: 'basic', subdomain,
    info_name: 'Our space, renamed', info_description: 'Made in Flotilla', info_icon: '' })
  assert.equal(edited.info_name, 'Our space, renamed')

  // PlanModal: to growth, then reconcile; Stripe bills growth from now.
  const moved = await api('PUT', `/relays/${relay.id}`, { plan_id: 'growth' })
  assert.equal(moved.plan_id, 'growth')
  await api('POST', `/tenants/${pk}/reconcile`)
  await delivered()
  const customer = sql(`SELECT stripe_customer_id FROM tenant WHERE pubkey = '${pk}'`)
  const live = (await stripeState()).subscriptions.filter((s) => s.customer === customer &&
    !['canceled', 'incomplete_expired'].includes(s.status))
  assert.equal(live.length, 1, 'one subscription, changed in place')
  assert.deepEqual(live[0].items.data.map((i) => [i.price.id, i.quantity]), [['price_growth_t0850', 1]])
  const next = await api('GET', `/tenants/${pk}/invoices/draft`)
  assert.ok(next.amount >= 2500, 'next month costs growth, with the switch prorated on top')

  // Errors are sentences a tenant can act on, shown as they are.
  await assert.rejects(api('POST', '/relays', { tenant_pubkey: pk, zooid_domain: RELAY_DOMAIN,
    plan_id: 'free', subdomain }), (e) => e.status === 422 && /taken/.test(e.message) &&
    !/[{}]/.test(e.message))
  await assert.rejects(api('PUT', `/relays/${relay.id}`, { custom_domain: 'chat.example.org' }),
    (e) => e.status === 422 && /custom domains are not available yet/.test(e.message))

  // Deactivate: the last paid relay gone; the subscription ends.
  await api('POST', `/relays/${relay.id}/deactivate`)
  assert.equal((await api('GET', `/relays/${relay.id}`)).status, 'inactive')
  tenant = await api('POST', `/tenants/${pk}/reconcile`)
  assert.ok(tenant.churned_at > 0, 'churned: the last paid relay went away')
  assert.equal(tenant.stripe_subscription_id, null)
})

test('a client of our own contract (our field names only) works against the same server', async () => {
  const sk = generateSecretKey()
  const pk = getPublicKey(sk)
  const api = hostingClient(sk)
  await api('POST', '/tenants', {})
  const rl = await api('POST', '/relays', { subdomain: `own-${randomBytes(3).toString('hex')}`,
    plan: 'basic' })
  assert.equal(rl.plan, 'basic')
  assert.equal(rl.tenant, pk)
  await api('POST', `/tenants/${pk}/reconcile`)
  const [inv] = await api('GET', `/tenants/${pk}/invoices`)
  assert.equal(inv.status, 'open')
  assert.equal(inv.amount_due, 500)
  const b = await api('GET', `/invoices/${inv.id}/bolt11`)
  assert.match(b.bolt11, /^lnbc/)
  assert.equal(b.invoice_id, inv.id)
  const up = await api('PUT', `/relays/${rl.id}`, { plan: 'growth', info_name: 'Ours' })
  assert.equal(up.plan, 'growth')
})
