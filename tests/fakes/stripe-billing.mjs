/*
 * stripe-billing.mjs: the state and rules of the fake Stripe: customers,
 * prices, subscriptions, invoices and pending proration items, in the
 * shapes of API version 2026-10-28.endive (basil and later: periods on
 * subscription items, an invoice's subscription under
 * parent.subscription_details.subscription, no top-level
 * invoice.subscription). Sources: research/stripe.md and the type
 * declarations and doc comments of the npm package stripe 23.1.0; each
 * error whose wording was seen elsewhere says where, the rest are marked
 * as this fake's choice.
 *
 * Handlers take (params, match, ctx): params already decoded from the form,
 * match the route's RegExp match, ctx {request, emit(type, object,
 * previous)}. They validate everything before they change anything, so a
 * refused request leaves no trace; the events they emit are delivered only
 * if the request succeeds (or fails after Stripe would have acted: a
 * declined card, marked by e.commit). They return live objects; the server
 * copies them into the answer.
 *
 * Time: the fake has no clock of its own. advance_period moves one
 * subscription's period by a month; prorations use the real time clamped
 * into the item's current period, so right after advance_period a change
 * is prorated over the whole new month.
 */
import {
  StripeError, invalid, missingParam, noSuch, noSuchParam, onlyParams, str, bool,
  int, oneOf, array, expands, metadata, metadataUpdate, createdFilter, listPage,
  addMonths, dollars, day, now, newId, rand, clone, isObj,
} from './stripe-core.mjs';

const PAYMENT_BEHAVIORS = ['allow_incomplete', 'default_incomplete',
  'error_if_incomplete', 'pending_if_incomplete'];
const PRORATIONS = ['create_prorations', 'always_invoice', 'none'];
const COLLECTION = ['charge_automatically', 'send_invoice'];
const SUB_STATUSES = ['active', 'all', 'canceled', 'ended', 'incomplete',
  'incomplete_expired', 'past_due', 'paused', 'trialing', 'unpaid'];
const INVOICE_STATUSES = ['draft', 'open', 'paid', 'uncollectible', 'void'];
const FEEDBACK = ['customer_service', 'low_quality', 'missing_features', 'other',
  'switched_service', 'too_complex', 'too_expensive', 'unused'];
const SUB_EXPANDS = ['latest_invoice', 'customer', 'items.data.price'];
const MAX_ITEMS = 20;

/*
 * Stripe's answer when a charge needs a payment method and the customer has
 * none. Wording seen in two public repositories quoting Stripe
 * (Subscription.create refused "outright" without a payment method); the
 * code resource_missing is this fake's choice.
 */
const noPaymentMethod = () => invalid('This customer has no attached payment ' +
  'source or default payment method. Please consider adding a default payment ' +
  'method. For more information, visit https://stripe.com/docs/billing/' +
  'subscriptions/payment-methods-setting#payment-method-priority.',
{ code: 'resource_missing' });

/* A declined card: 402 card_error (stripe.md §1.3; stripe-node maps 402 to StripeCardError). */
function declined() {
  const e = new StripeError(402, 'card_error', 'Your card was declined.',
    { code: 'card_declined', decline_code: 'generic_decline' });
  e.store = true; // the charge was attempted: Stripe keeps the answer for the key
  return e;
}

/* "price_basic:500,price_growth:2500" -> Map id -> unit amount in cents. */
export function parsePrices(text) {
  const m = new Map();
  for (const part of text.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const x = /^(price_[A-Za-z0-9_]+):(\d{1,9})$/.exec(part);
    if (!x)
      throw new Error(`bad price "${part}": want price_id:unit_amount_cents`);
    m.set(x[1], Number(x[2]));
  }
  if (m.size === 0)
    throw new Error('no prices');
  return m;
}

export class Billing {
  constructor(prices) {
    this.priceAmounts = prices;
    this.reset();
  }

  reset() {
    this.customers = new Map();
    this.born = new Map(); // customer id -> creation time in ms (search lag)
    this.subs = new Map();
    this.periods = new Map(); // subscription id -> { anchor, cycle }
    this.invoices = new Map();
    this.pending = []; // pending invoice items (prorations) not yet invoiced
    this.failing = new Set(); // customers whose card attempts fail
    this.searchLagMs = 0;
  }

  // --- prices ---

  price(id) {
    const unit = this.priceAmounts.get(id);
    return {
      id, object: 'price', active: true, billing_scheme: 'per_unit', created: 1700000000,
      currency: 'usd', livemode: false, lookup_key: null, metadata: {}, nickname: null,
      product: `prod_${id.slice('price_'.length)}`,
      recurring: { interval: 'month', interval_count: 1, meter: null,
        trial_period_days: null, usage_type: 'licensed' },
      tax_behavior: 'unspecified', type: 'recurring',
      unit_amount: unit, unit_amount_decimal: String(unit),
    };
  }

  checkPrice(id, param) {
    if (!this.priceAmounts.has(id))
      throw noSuchParam('price', id, param);
  }

  // --- customers ---

  customer(id, param = 'customer') {
    const c = this.customers.get(id);
    if (!c)
      throw noSuchParam('customer', id, param);
    return c;
  }

  customerCreate(params, m, ctx) {
    onlyParams(params, ['name', 'email', 'description', 'phone', 'metadata']);
    const c = {
      id: newId('cus'), object: 'customer', balance: 0, created: now(), currency: null,
      livemode: false, name: str(params, 'name', 256), email: str(params, 'email', 512),
      description: str(params, 'description', 350), phone: str(params, 'phone', 20),
      invoice_settings: { custom_fields: null, default_payment_method: null,
        footer: null, rendering_options: null },
      metadata: metadata(params),
    };
    this.customers.set(c.id, c);
    this.born.set(c.id, Date.now());
    ctx.emit('customer.created', c);
    return c;
  }

  customerGet(params, m) {
    onlyParams(params, ['expand']);
    const c = this.customers.get(m[1]);
    if (!c)
      throw noSuch('customer', m[1]);
    return c;
  }

  /*
   * Only metadata['key']:'value' (what Caravel sends); anything else is a
   * 400 here, where Stripe would run its full query language. Customers
   * younger than search_lag_ms are not found yet: Stripe's search is
   * eventually consistent (stripe.md §1.2 A).
   */
  customerSearch(params) {
    onlyParams(params, ['query', 'limit', 'page', 'expand']);
    const q = str(params, 'query', 10000);
    if (q === null)
      throw missingParam('query');
    const limit = int(params, 'limit', 1, 100) ?? 10;
    str(params, 'page');
    expands(params, []);
    const x = /^metadata\['([A-Za-z0-9_-]{1,40})'\]:'([^'\\]*)'$/.exec(q);
    if (!x)
      throw invalid(`Unsupported search query: ${q} (this fake Stripe answers ` +
        "only metadata['key']:'value')", { param: 'query' });
    const visible = Date.now() - this.searchLagMs;
    const data = [...this.customers.values()].reverse().filter((c) =>
      c.metadata[x[1]] === x[2] && this.born.get(c.id) <= visible).slice(0, limit);
    return { object: 'search_result', data, has_more: false, next_page: null,
      url: '/v1/customers/search' };
  }

  /* What a card attempt for this customer would do now. */
  charge(cus) {
    if (this.customers.get(cus).invoice_settings.default_payment_method === null)
      return 'no_method';
    return this.failing.has(cus) ? 'declined' : 'ok';
  }

  portalCreate(params) {
    onlyParams(params,
      ['customer', 'return_url', 'configuration', 'locale', 'on_behalf_of']);
    const customer = str(params, 'customer');
    if (customer === null)
      throw missingParam('customer');
    this.customer(customer);
    const ret = str(params, 'return_url');
    if (ret !== null) {
      let u = null;
      try { u = new URL(ret); } catch { /* judged below */ }
      if (!u || !['http:', 'https:'].includes(u.protocol))
        throw invalid('Not a valid URL', { code: 'url_invalid', param: 'return_url' });
    }
    return {
      id: newId('bps'), object: 'billing_portal.session', created: now(),
      customer, return_url: ret, livemode: false, locale: str(params, 'locale'),
      configuration: str(params, 'configuration') || 'bpc_fake',
      url: `https://billing.stripe.com/p/session/test_${rand(12)}`,
    };
  }

  // --- subscriptions: reading ---

  sub(id) {
    const s = this.subs.get(id);
    if (!s)
      throw noSuch('subscription', id);
    return s;
  }

  period(sub) {
    const p = this.periods.get(sub.id);
    return { start: addMonths(p.anchor, p.cycle), end: addMonths(p.anchor, p.cycle + 1) };
  }

  /* A copy with the asked expansions (prefix "data." inside lists). */
  expandSub(sub, paths, prefix = '') {
    const out = clone(sub);
    if (paths.includes(`${prefix}latest_invoice`) && sub.latest_invoice !== null)
      out.latest_invoice = clone(this.invoices.get(sub.latest_invoice));
    if (paths.includes(`${prefix}customer`))
      out.customer = clone(this.customers.get(sub.customer));
    return out;
  }

  subGet(params, m) {
    onlyParams(params, ['expand']);
    return this.expandSub(this.sub(m[1]), expands(params, SUB_EXPANDS));
  }

  /* Newest first; without status, every one not canceled (as Stripe lists). */
  subList(params) {
    onlyParams(params, ['customer', 'status', 'price', 'limit', 'starting_after',
      'ending_before', 'created', 'expand']);
    const customer = str(params, 'customer');
    if (customer !== null)
      this.customer(customer);
    const status = oneOf(params, 'status', SUB_STATUSES);
    const price = str(params, 'price');
    const created = createdFilter(params);
    const ex = expands(params, SUB_EXPANDS.map((p) => `data.${p}`));
    const all = [...this.subs.values()].reverse().filter((s) =>
      (customer === null || s.customer === customer) && created(s.created) &&
      (price === null || s.items.data.some((i) => i.price.id === price)) &&
      (status === 'all' || (status === null ? s.status !== 'canceled'
        : status === 'ended' ? ['canceled', 'incomplete_expired'].includes(s.status)
          : s.status === status)));
    const page = listPage(all, params, '/v1/subscriptions', 'subscription');
    page.data = page.data.map((s) => this.expandSub(s, ex, 'data.'));
    return page;
  }

  // --- subscriptions: items ---

  newItem(subId, price, quantity, md, start, end, id = newId('si')) {
    return {
      id, object: 'subscription_item', created: now(),
      current_period_end: end, current_period_start: start, discounts: [],
      metadata: md, price: this.price(price), quantity, subscription: subId, tax_rates: [],
    };
  }

  /* items[i] of a create: price (required), quantity (default 1), metadata. */
  createItems(params) {
    const list = array(params, 'items');
    if (list === null || list.length === 0)
      throw missingParam('items');
    if (list.length > MAX_ITEMS)
      throw invalid(`Invalid items: at most ${MAX_ITEMS} items`, { param: 'items' });
    const seen = new Set();
    return list.map((raw, i) => {
      const p = `items[${i}]`;
      if (!isObj(raw))
        throw invalid(`Invalid object: ${p}`, { param: p });
      onlyParams(raw, ['price', 'quantity', 'metadata'], p);
      const price = str(raw, 'price', 255, `${p}[price]`);
      if (price === null) // wording seen in stripe/stripe-node#945 (2020)
        throw invalid('You must pass one of plan, price, or price_data.', { param: p });
      this.checkPrice(price, `${p}[price]`);
      if (seen.has(price))
        throw dupPrice(price, `${p}[price]`);
      seen.add(price);
      return { price, quantity: int(raw, 'quantity', 1, 1e6, `${p}[quantity]`) ?? 1,
        md: metadataUpdate({}, { metadata: raw.metadata }) };
    });
  }

  /*
   * items[i] of an update, applied to a plan of the current items: [id]
   * with [quantity], [price] or [deleted]=true; or [price] (+[quantity]) for
   * a new item. Refuses an unknown id, zero items left, two items on one
   * price and more than 20 items.
   */
  planItems(sub, list, name = 'items') {
    const plan = sub.items.data.map((it) => ({ it, price: it.price.id,
      quantity: it.quantity, deleted: false, md: null }));
    const byId = new Map(plan.map((x) => [x.it.id, x]));
    const seen = new Set();
    list.forEach((raw, i) => {
      const p = `${name}[${i}]`;
      if (!isObj(raw))
        throw invalid(`Invalid object: ${p}`, { param: p });
      onlyParams(raw, ['id', 'price', 'quantity', 'deleted', 'metadata'], p);
      const id = str(raw, 'id', 255, `${p}[id]`);
      const price = str(raw, 'price', 255, `${p}[price]`);
      const quantity = int(raw, 'quantity', 1, 1e6, `${p}[quantity]`);
      const deleted = bool(raw, 'deleted', `${p}[deleted]`);
      if (price !== null)
        this.checkPrice(price, `${p}[price]`);
      if (id === null) {
        if (deleted)
          throw missingParam(`${p}[id]`);
        if (price === null)
          throw invalid('You must pass one of plan, price, or price_data.', { param: p });
        plan.push({ it: null, newId: newId('si'), price, quantity: quantity ?? 1,
          deleted: false, md: metadataUpdate({}, { metadata: raw.metadata }) });
        return;
      }
      const x = byId.get(id);
      if (!x) // this fake's wording
        throw noSuchParam('subscription item', id, `${p}[id]`);
      if (seen.has(id))
        throw invalid(`Invalid items: ${id} is named twice`, { param: `${p}[id]` });
      seen.add(id);
      if (deleted) {
        x.deleted = true;
        return;
      }
      if (price !== null)
        x.price = price;
      if (quantity !== null)
        x.quantity = quantity;
      if (raw.metadata !== undefined)
        x.md = metadataUpdate(x.it.metadata, { metadata: raw.metadata });
    });
    const live = plan.filter((x) => !x.deleted);
    if (live.length === 0) // this fake's wording: Stripe refuses it (stripe.md §1.2 E)
      throw invalid('A subscription must keep at least one item: cancel the ' +
        'subscription instead of deleting its last item.', { param: name });
    if (live.length > MAX_ITEMS)
      throw invalid(`Invalid ${name}: at most ${MAX_ITEMS} items`, { param: name });
    const prices = new Set();
    for (const x of live) {
      if (prices.has(x.price))
        throw dupPrice(x.price, name);
      prices.add(x.price);
    }
    return plan;
  }

  /* The entries of a plan whose price or quantity changes: {x, old, now}. */
  planChanges(plan) {
    const changed = [];
    for (const x of plan) {
      const was = x.it && { price: x.it.price.id, quantity: x.it.quantity };
      const is = !x.deleted && { price: x.price, quantity: x.quantity };
      if (!was || !is || was.price !== is.price || was.quantity !== is.quantity)
        changed.push({ x, old: was, now: is });
    }
    return changed;
  }

  /* The proration items of those changes at time t (see prorate). */
  planProrations(sub, changed, t) {
    return this.prorate(sub, changed.map((c) => ({ itemId: c.x.it?.id ?? c.x.newId,
      old: c.old, now: c.now })), t);
  }

  /*
   * Proration items for a change at time t: the unused time of what was
   * billed is credited, the remaining time of what replaces it charged, per
   * item, over the current period (Stripe's two-line proration).
   */
  prorate(sub, changes, t) {
    const { start, end } = this.period(sub);
    const at = Math.min(Math.max(t, start), end);
    const f = end > start ? (end - at) / (end - start) : 0;
    const out = [];
    const line = (sign, what, itemId, price, qty) => {
      const amount = sign * Math.round(this.priceAmounts.get(price) * qty * f);
      if (amount !== 0)
        out.push(this.pendingItem(sub, itemId, price, qty, amount,
          `${what} time on ${qty} × ${price} after ${day(at)}`, at, end));
    };
    for (const c of changes) {
      if (c.old)
        line(-1, 'Unused', c.itemId, c.old.price, c.old.quantity);
      if (c.now)
        line(1, 'Remaining', c.itemId, c.now.price, c.now.quantity);
    }
    return out;
  }

  pendingItem(sub, itemId, price, quantity, amount, description, start, end) {
    return {
      id: newId('ii'), object: 'invoiceitem', amount, currency: 'usd',
      customer: sub.customer, date: now(), description, invoice: null, livemode: false,
      metadata: {}, parent: { type: 'subscription_details',
        subscription_details: { subscription: sub.id, subscription_item: itemId } },
      period: { start, end }, pricing: this.pricing(price), proration: true, quantity,
    };
  }

  pricing(price) {
    return { price_details: { price, product: this.price(price).product },
      type: 'price_details', unit_amount_decimal: String(this.priceAmounts.get(price)) };
  }

  // --- invoices: building and collecting ---

  /* The line of a subscription item for a period. */
  itemLine(sub, it, start, end) {
    const amount = it.price.unit_amount * it.quantity;
    return this.line(sub, it.id, null, false, amount, it.price.id, it.quantity,
      `${it.quantity} × ${it.price.id} (at ${dollars(it.price.unit_amount)} / month)`,
      start, end);
  }

  pendingLine(sub, ii) {
    return this.line(sub, ii.parent.subscription_details.subscription_item, ii.id, true,
      ii.amount, ii.pricing.price_details.price, ii.quantity, ii.description,
      ii.period.start, ii.period.end);
  }

  line(sub, itemId, iiId, proration, amount, price, quantity, description, start, end) {
    return {
      id: newId('il'), object: 'line_item', amount, currency: 'usd', description,
      discount_amounts: [], discountable: !proration, discounts: [], invoice: null,
      livemode: false, metadata: {},
      parent: { type: 'subscription_item_details', invoice_item_details: null,
        subscription_item_details: { invoice_item: iiId, proration,
          proration_details: { credited_items: null }, subscription: sub.id,
          subscription_item: itemId } },
      period: { start, end }, pretax_credit_amounts: [], pricing: this.pricing(price),
      quantity, subtotal: amount, taxes: [],
    };
  }

  /* What the invoice of these lines would ask: amount_due after credit. */
  due(cus, lines) {
    const total = lines.reduce((a, l) => a + l.amount, 0);
    return Math.max(total + this.customers.get(cus).balance, 0);
  }

  /* A draft invoice for a subscription (emits invoice.created). */
  invoiceDraft(sub, id, reason, lines, start, end, ctx) {
    const inv = this.invoiceObject(sub, id, reason, lines, start, end);
    this.invoices.set(id, inv);
    ctx.emit('invoice.created', inv);
    return inv;
  }

  /* The draft invoice object over these lines, neither stored nor announced. */
  invoiceObject(sub, id, reason, lines, start, end) {
    const total = lines.reduce((a, l) => a + l.amount, 0);
    const cus = this.customers.get(sub.customer);
    for (const l of lines)
      l.invoice = id;
    const inv = {
      id, object: 'invoice', account_country: 'US', account_name: 'Caravel (fake Stripe)',
      amount_due: Math.max(total, 0), amount_overpaid: 0, amount_paid: 0,
      amount_remaining: Math.max(total, 0), attempt_count: 0, attempted: false,
      auto_advance: true, billing_reason: reason, collection_method: sub.collection_method,
      created: now(), currency: 'usd', customer: sub.customer, customer_email: cus.email,
      customer_name: cus.name, default_payment_method: null, description: null,
      due_date: null, effective_at: null, ending_balance: null, hosted_invoice_url: null,
      invoice_pdf: null, last_finalization_error: null,
      lines: { object: 'list', data: lines, has_more: false, total_count: lines.length,
        url: `/v1/invoices/${id}/lines` },
      livemode: false, metadata: {}, next_payment_attempt: null, number: null,
      paid_out_of_band: false,
      parent: { type: 'subscription_details', quote_details: null,
        subscription_details: { metadata: clone(sub.metadata), subscription: sub.id } },
      period_end: end, period_start: start, starting_balance: 0, status: 'draft',
      status_transitions: { finalized_at: null, marked_uncollectible_at: null,
        paid_at: null, voided_at: null },
      subtotal: total, total, webhooks_delivered_at: null,
    };
    return inv;
  }

  /*
   * draft -> open: applies the customer's credit balance, numbers the
   * invoice, gives it a hosted page (emits invoice.finalized, and
   * customer.updated when the balance moved). Nothing left to pay: paid.
   */
  finalize(inv, sub, ctx) {
    const cus = this.customers.get(inv.customer);
    const net = inv.total + cus.balance;
    const t = now();
    Object.assign(inv, {
      starting_balance: cus.balance, ending_balance: net < 0 ? net : 0,
      amount_due: Math.max(net, 0), amount_remaining: Math.max(net, 0), status: 'open',
      number: `FAKE-${String(this.invoices.size).padStart(4, '0')}`, effective_at: t,
      hosted_invoice_url: `https://invoice.stripe.com/i/acct_fake/test_${rand(16)}?s=ap`,
      invoice_pdf: `https://pay.stripe.com/invoice/acct_fake/test_${rand(16)}/pdf?s=ap`,
      due_date: sub.collection_method === 'send_invoice'
        ? t + 86400 * sub.days_until_due : null,
    });
    inv.status_transitions.finalized_at = t;
    ctx.emit('invoice.finalized', inv);
    if (cus.balance !== inv.ending_balance) {
      const old = cus.balance;
      cus.balance = inv.ending_balance;
      ctx.emit('customer.updated', cus, { balance: old });
    }
    if (inv.amount_due === 0)
      this.markPaid(inv, 'none', ctx);
  }

  /* A charge attempt on an open invoice, as Stripe's automatic collection makes it. */
  collect(inv, ctx) {
    if (inv.status !== 'open' || inv.collection_method !== 'charge_automatically')
      return;
    if (this.charge(inv.customer) === 'ok')
      this.markPaid(inv, 'card', ctx);
    else
      this.failAttempt(inv, ctx);
  }

  /*
   * -> paid. how: card (invoice.paid, invoice.payment_succeeded), oob
   * (paid_out_of_band, invoice.paid only) or none (nothing was due); then
   * invoice.updated; then the subscription whose latest invoice this is
   * becomes active again.
   */
  markPaid(inv, how, ctx) {
    const prev = { status: inv.status, amount_paid: inv.amount_paid,
      amount_remaining: inv.amount_remaining,
      status_transitions: { ...inv.status_transitions } };
    inv.status = 'paid';
    inv.amount_paid = inv.amount_due;
    inv.amount_remaining = 0;
    inv.status_transitions.paid_at = now();
    if (how === 'oob') {
      prev.paid_out_of_band = false;
      inv.paid_out_of_band = true;
    }
    if (how === 'card') {
      prev.attempted = inv.attempted;
      prev.attempt_count = inv.attempt_count;
      inv.attempted = true;
      inv.attempt_count += 1;
    }
    ctx.emit('invoice.paid', inv);
    if (how === 'card')
      ctx.emit('invoice.payment_succeeded', inv);
    ctx.emit('invoice.updated', inv, prev);
    const sub = this.subs.get(inv.parent.subscription_details.subscription);
    if (sub && sub.latest_invoice === inv.id &&
        ['incomplete', 'past_due', 'unpaid'].includes(sub.status))
      this.setStatus(sub, 'active', ctx);
  }

  /* A failed charge: invoice.payment_failed, invoice.updated; active -> past_due. */
  failAttempt(inv, ctx) {
    const prev = { attempted: inv.attempted, attempt_count: inv.attempt_count };
    inv.attempted = true;
    inv.attempt_count += 1;
    ctx.emit('invoice.payment_failed', inv);
    ctx.emit('invoice.updated', inv, prev);
    const sub = this.subs.get(inv.parent.subscription_details.subscription);
    if (sub && sub.status === 'active')
      this.setStatus(sub, 'past_due', ctx);
  }

  setStatus(sub, status, ctx, more = {}) {
    const prev = { status: sub.status };
    for (const k of Object.keys(more))
      prev[k] = sub[k];
    sub.status = status;
    Object.assign(sub, more);
    ctx.emit('customer.subscription.updated', sub, prev);
  }

  /* An invoice over these lines: drafted, finalized, and collected unless told not to. */
  invoiceFor(sub, reason, lines, start, end, ctx, attempt = true) {
    const inv = this.invoiceDraft(sub, newId('in'), reason, lines, start, end, ctx);
    this.finalize(inv, sub, ctx);
    if (attempt)
      this.collect(inv, ctx);
    return inv;
  }

  /* Take this subscription's pending items off the list, as lines. */
  takePending(sub) {
    const mine = this.pending.filter((ii) =>
      ii.parent.subscription_details.subscription === sub.id);
    this.pending = this.pending.filter((ii) => !mine.includes(ii));
    return mine.map((ii) => this.pendingLine(sub, ii));
  }

  // --- subscriptions: writing ---

  /*
   * Pay in advance: the first invoice (billing_reason subscription_create,
   * a line per item for the month) is made and finalized at once.
   * charge_automatically, by payment_behavior:
   *   default_incomplete: not attempted; incomplete until paid.
   *   allow_incomplete, pending_if_incomplete (default allow_incomplete):
   *     card ok: paid, active; card declined: attempted, open, incomplete;
   *     no payment method: 400, nothing made.
   *   error_if_incomplete: declined 402 / no method 400, nothing made.
   * send_invoice (needs days_until_due): open, due in that many days, active.
   */
  subCreate(params, m, ctx) {
    onlyParams(params, ['customer', 'items', 'metadata', 'payment_behavior',
      'proration_behavior', 'collection_method', 'days_until_due', 'expand',
      'description']);
    const customer = str(params, 'customer');
    if (customer === null)
      throw missingParam('customer');
    this.customer(customer);
    const items = this.createItems(params);
    const md = metadata(params);
    const behavior = oneOf(params, 'payment_behavior', PAYMENT_BEHAVIORS) ?? 'allow_incomplete';
    oneOf(params, 'proration_behavior', PRORATIONS);
    const collection = oneOf(params, 'collection_method', COLLECTION) ?? 'charge_automatically';
    const days = int(params, 'days_until_due', 0, 730);
    if (collection === 'send_invoice' && days === null)
      throw missingParam('days_until_due');
    if (collection !== 'send_invoice' && days !== null) // this fake's wording
      throw invalid('days_until_due can be set only when collection_method is ' +
        'send_invoice.', { param: 'days_until_due' });
    const ex = expands(params, SUB_EXPANDS);
    const description = str(params, 'description', 500);

    const t = now();
    const end = addMonths(t, 1);
    const due = this.due(customer, items.map((x) => ({
      amount: this.priceAmounts.get(x.price) * x.quantity })));
    let outcome = 'not_due'; // decided before anything is made
    if (collection === 'send_invoice' && due > 0)
      outcome = 'sent';
    else if (due > 0 && behavior === 'default_incomplete')
      outcome = 'unattempted';
    else if (due > 0)
      outcome = this.charge(customer);
    if (outcome === 'no_method')
      throw noPaymentMethod();
    if (outcome === 'declined' && behavior === 'error_if_incomplete')
      throw declined();
    const incomplete = outcome === 'unattempted' || outcome === 'declined';

    const id = newId('sub');
    const invId = newId('in');
    const sub = {
      id, object: 'subscription', application: null, application_fee_percent: null,
      automatic_tax: { disabled_reason: null, enabled: false, liability: null },
      billing_cycle_anchor: t, cancel_at: null, cancel_at_period_end: false,
      canceled_at: null,
      cancellation_details: { comment: null, feedback: null, reason: null },
      collection_method: collection, created: t, currency: 'usd', customer,
      days_until_due: days, default_payment_method: null, default_source: null,
      description, discounts: [], ended_at: null,
      items: { object: 'list', data: [], has_more: false, total_count: items.length,
        url: `/v1/subscription_items?subscription=${id}` },
      latest_invoice: invId, livemode: false, metadata: md,
      next_pending_invoice_item_invoice: null, on_behalf_of: null, pause_collection: null,
      pending_invoice_item_interval: null, pending_setup_intent: null, pending_update: null,
      schedule: null, start_date: t, status: incomplete ? 'incomplete' : 'active',
      test_clock: null, transfer_data: null, trial_end: null, trial_start: null,
    };
    sub.items.data = items.map((x) => this.newItem(id, x.price, x.quantity, x.md, t, end));
    this.subs.set(id, sub);
    this.periods.set(id, { anchor: t, cycle: 0 });
    ctx.emit('customer.subscription.created', sub);
    const inv = this.invoiceDraft(sub, invId, 'subscription_create',
      sub.items.data.map((it) => this.itemLine(sub, it, t, end)), t, end, ctx);
    this.finalize(inv, sub, ctx);
    if (outcome === 'ok' || outcome === 'declined')
      this.collect(inv, ctx);
    return this.expandSub(sub, ex);
  }

  /*
   * items, proration_behavior (default create_prorations: pending items for
   * the next invoice; always_invoice: an invoice now, billing_reason
   * subscription_update, collected at once; none), metadata,
   * cancel_at_period_end, description, payment_behavior (what a failed
   * always_invoice charge does: allow_incomplete: past_due;
   * default_incomplete: not attempted, past_due; error_if_incomplete and
   * pending_if_incomplete: 402/400 and no change).
   * A canceled subscription takes only metadata (fjordllc/bootcamp#10095:
   * "A canceled subscription can only update its cancellation_details and
   * metadata."); an incomplete one only metadata (stripe 23.1.0's doc of
   * Subscription.status: "can only have metadata and default_source
   * updated").
   */
  subUpdate(params, m, ctx) {
    onlyParams(params, ['items', 'proration_behavior', 'metadata', 'cancel_at_period_end',
      'payment_behavior', 'description', 'expand']);
    const sub = this.sub(m[1]);
    const ex = expands(params, SUB_EXPANDS);
    const proration = oneOf(params, 'proration_behavior', PRORATIONS) ?? 'create_prorations';
    const behavior = oneOf(params, 'payment_behavior', PAYMENT_BEHAVIORS) ?? 'allow_incomplete';
    const cape = bool(params, 'cancel_at_period_end');
    const description = params.description === undefined ? undefined
      : str(params, 'description', 500);
    const list = array(params, 'items');
    const md = metadataUpdate(sub.metadata, params);
    const changes = list !== null || cape !== null || description !== undefined;
    if (sub.status === 'incomplete_expired') // stripe issues seen 2022-2023
      throw invalid('You cannot update a subscription that is `canceled` or ' +
        '`incomplete_expired`.');
    if (sub.status === 'canceled' && changes)
      throw invalid('A canceled subscription can only update its ' +
        'cancellation_details and metadata.');
    if (sub.status === 'incomplete' && changes)
      throw incompleteChange();

    const t = now();
    const { end } = this.period(sub);
    const plan = list === null ? null : this.planItems(sub, list);
    const changed = plan === null ? [] : this.planChanges(plan);
    const prorations = proration === 'none' ? [] : this.planProrations(sub, changed, t);
    const invoiceNow = proration === 'always_invoice' && (prorations.length > 0 ||
      this.pending.some((ii) => ii.parent.subscription_details.subscription === sub.id));
    if (invoiceNow && sub.collection_method === 'charge_automatically' &&
        ['error_if_incomplete', 'pending_if_incomplete'].includes(behavior)) {
      const mine = this.pending.filter((ii) =>
        ii.parent.subscription_details.subscription === sub.id);
      if (this.due(sub.customer, [...mine, ...prorations]) > 0) {
        const c = this.charge(sub.customer);
        if (c === 'no_method')
          throw noPaymentMethod();
        if (c === 'declined')
          throw declined();
      }
    }

    // Validated: apply.
    const prev = {};
    if (plan !== null && changed.length + plan.filter((x) => x.md).length > 0) {
      prev.items = clone(sub.items);
      const data = [];
      for (const x of plan) {
        if (x.deleted)
          continue;
        if (x.it === null) {
          data.push(this.newItem(sub.id, x.price, x.quantity, x.md, t, end, x.newId));
          continue;
        }
        if (x.it.price.id !== x.price)
          x.it.price = this.price(x.price);
        x.it.quantity = x.quantity;
        if (x.md)
          x.it.metadata = x.md;
        data.push(x.it);
      }
      sub.items.data = data;
      sub.items.total_count = data.length;
    }
    if (JSON.stringify(md) !== JSON.stringify(sub.metadata)) {
      prev.metadata = sub.metadata;
      sub.metadata = md;
    }
    if (description !== undefined && description !== sub.description) {
      prev.description = sub.description;
      sub.description = description;
    }
    if (cape !== null && cape !== sub.cancel_at_period_end) {
      prev.cancel_at_period_end = sub.cancel_at_period_end;
      prev.cancel_at = sub.cancel_at;
      sub.cancel_at_period_end = cape;
      sub.cancel_at = cape ? end : null;
    }
    this.pending.push(...prorations);
    const invId = invoiceNow ? newId('in') : null;
    if (invId !== null) {
      prev.latest_invoice = sub.latest_invoice;
      sub.latest_invoice = invId;
    }
    if (Object.keys(prev).length > 0)
      ctx.emit('customer.subscription.updated', sub, prev);
    if (invId !== null) {
      const inv = this.invoiceDraft(sub, invId, 'subscription_update',
        this.takePending(sub), t, t, ctx);
      this.finalize(inv, sub, ctx);
      if (behavior === 'default_incomplete') {
        if (inv.status === 'open' && sub.status === 'active')
          this.setStatus(sub, 'past_due', ctx);
      } else
        this.collect(inv, ctx);
    }
    return this.expandSub(sub, ex);
  }

  /*
   * DELETE: canceled now (canceled_at = ended_at = now, reason
   * cancellation_requested; customer.subscription.deleted). prorate=true
   * credits the unused time as pending items; invoice_now=true invoices
   * this subscription's pending items at once. Cancelling one already
   * canceled is 404 resource_missing "No such subscription" (a Stripe
   * maintainer in stripe/stripe-go#1887: a canceled subscription is
   * "akin to being deleted").
   */
  subCancel(params, m, ctx) {
    onlyParams(params, ['invoice_now', 'prorate', 'cancellation_details', 'expand']);
    const invoiceNow = bool(params, 'invoice_now') ?? false;
    const prorate = bool(params, 'prorate') ?? false;
    const cd = params.cancellation_details ?? {};
    if (!isObj(cd))
      throw invalid('Invalid object', { param: 'cancellation_details' });
    onlyParams(cd, ['comment', 'feedback'], 'cancellation_details');
    const comment = str(cd, 'comment', 5000, 'cancellation_details[comment]');
    const feedback = oneOf(cd, 'feedback', FEEDBACK, 'cancellation_details[feedback]') ?? null;
    const ex = expands(params, SUB_EXPANDS);
    const sub = this.sub(m[1]);
    if (['canceled', 'incomplete_expired'].includes(sub.status))
      throw noSuch('subscription', sub.id);

    const t = now();
    if (prorate && sub.status !== 'incomplete')
      this.pending.push(...this.prorate(sub, sub.items.data.map((it) => ({ itemId: it.id,
        old: { price: it.price.id, quantity: it.quantity }, now: null })), t));
    const lines = invoiceNow ? this.takePending(sub) : [];
    Object.assign(sub, { status: 'canceled', canceled_at: t, ended_at: t,
      cancellation_details: { comment, feedback, reason: 'cancellation_requested' } });
    if (lines.length > 0)
      sub.latest_invoice = newId('in');
    ctx.emit('customer.subscription.deleted', sub);
    if (lines.length > 0) {
      const inv = this.invoiceDraft(sub, sub.latest_invoice, 'subscription_update',
        lines, t, t, ctx);
      this.finalize(inv, sub, ctx);
      this.collect(inv, ctx);
    }
    return this.expandSub(sub, ex);
  }

  // --- invoices: API ---

  invoice(id) {
    const inv = this.invoices.get(id);
    if (!inv)
      throw noSuch('invoice', id);
    return inv;
  }

  expandInvoice(inv, paths, prefix = '') {
    const out = clone(inv);
    if (paths.includes(`${prefix}customer`))
      out.customer = clone(this.customers.get(inv.customer));
    return out;
  }

  invoiceList(params) {
    onlyParams(params, ['customer', 'status', 'subscription', 'collection_method', 'limit',
      'starting_after', 'ending_before', 'created', 'expand']);
    const customer = str(params, 'customer');
    if (customer !== null)
      this.customer(customer);
    const status = oneOf(params, 'status', INVOICE_STATUSES);
    const subscription = str(params, 'subscription');
    const collection = oneOf(params, 'collection_method', COLLECTION);
    const created = createdFilter(params);
    const ex = expands(params, ['data.customer']);
    const all = [...this.invoices.values()].reverse().filter((i) =>
      (customer === null || i.customer === customer) &&
      (status === null || i.status === status) &&
      (subscription === null || i.parent.subscription_details.subscription === subscription) &&
      (collection === null || i.collection_method === collection) && created(i.created));
    const page = listPage(all, params, '/v1/invoices', 'invoice');
    page.data = page.data.map((i) => this.expandInvoice(i, ex, 'data.'));
    return page;
  }

  invoiceGet(params, m) {
    onlyParams(params, ['expand']);
    return this.expandInvoice(this.invoice(m[1]), expands(params, ['customer']));
  }

  invoiceLines(params, m) {
    onlyParams(params, ['limit', 'starting_after', 'ending_before', 'expand']);
    const inv = this.invoice(m[1]);
    expands(params, []);
    return listPage(inv.lines.data, params, `/v1/invoices/${inv.id}/lines`, 'line item');
  }

  /*
   * POST /v1/invoices/create_preview: the invoice the subscription's next
   * renewal would make (the successor of GET /v1/invoices/upcoming, gone in
   * basil), computed and thrown away: nothing is stored or changed, no
   * event is made (stripe 23.1.0's doc: "the invoice has not yet been
   * created"). Its id begins upcoming_in_ (stripe 23.1.0's doc of
   * Invoice.id: preview ids are "prefixed with `upcoming_in`"; the rest is
   * random here), billing_reason upcoming (ibid., "Reserved for upcoming
   * invoices created through the Create Preview Invoice API"); GET
   * /v1/invoices/upcoming_in_… is a 404, as it is never stored.
   *
   * The invoice is the one advance_period would make: the next period
   * (period_start = the items' current_period_end, one month on), a line
   * per item as itemLine writes it, then the subscription's pending
   * prorations in their order; amount_due after the customer's credit
   * balance, as finalize would apply it (starting_balance = that balance).
   * created = period_start and next_payment_attempt = an hour later
   * (charge_automatically; null for send_invoice) are this fake's choices.
   *
   * Takes customer (optional; must be the subscription's), subscription,
   * subscription_details[items][i][id|price|quantity|deleted|metadata]
   * (applied: the renewal lines bill the changed items, and the change's
   * prorations, at proration_date or now, follow the pending ones with
   * invoice_item null, as nothing was created; checked as an update checks
   * them) and subscription_details[proration_date] (applied: the time of
   * those prorations; Stripe's rules: needs items, within the current
   * period; parent.subscription_details.subscription_proration_date
   * echoes it whenever items are given), expand[]=customer. Anything
   * else Stripe takes here (proration_behavior, cancel_at_period_end,
   * trial_end, invoice_items, schedule, ...) is refused as unknown, as
   * everywhere in this fake.
   *
   * Refused: none of subscription and subscription_details[items] (400,
   * Stripe's wording quoted in stripe/stripe-node#2347, 2025; a customer
   * alone is no longer enough since basil); items without a subscription
   * (Stripe would preview creating one: this fake does not); an unknown
   * customer or subscription (400 resource_missing naming the parameter,
   * as every id named by a parameter in this fake); a customer other than
   * the subscription's (400, wording Stripe used for a subscription not of
   * the customer, stripe/stripe-dotnet#1857; code none); a subscription
   * with no next invoice: canceled, incomplete_expired or ending at period
   * end (404 invoice_upcoming_none "No upcoming invoices for customer:
   * cus_…", status and wording as Stripe answers it in stripe-ruby-mock's
   * tests and code handling Stripe's 404; advance_period ends such a
   * subscription without an invoice). Items on an incomplete subscription
   * are refused as the update would refuse them.
   */
  invoicePreview(params) {
    onlyParams(params, ['customer', 'subscription', 'subscription_details', 'expand']);
    const customer = str(params, 'customer');
    const subId = str(params, 'subscription');
    const sd = params.subscription_details ?? {};
    if (!isObj(sd))
      throw invalid('Invalid object', { param: 'subscription_details' });
    onlyParams(sd, ['items', 'proration_date'], 'subscription_details');
    const SDI = 'subscription_details[items]', SDP = 'subscription_details[proration_date]';
    const list = array(sd, 'items', SDI);
    const prorationDate = int(sd, 'proration_date', 0, 1e11, SDP);
    const ex = expands(params, ['customer']);
    if (subId === null && list === null)
      throw invalid('You must provide at least one of: `subscription`, `schedule`, ' +
        '`subscription_details.items`, `schedule_details.phases`, `invoice_items`.');
    if (subId === null) // this fake's wording
      throw invalid('This fake Stripe previews only the next invoice of an existing ' +
        'subscription: pass subscription (Stripe would preview creating a ' +
        'subscription from subscription_details[items]).', { param: 'subscription' });
    if (prorationDate !== null && list === null) // this fake's wording
      throw invalid('subscription_details[proration_date] needs ' +
        'subscription_details[items]: only a change is prorated.', { param: SDP });
    if (customer !== null)
      this.customer(customer);
    const sub = this.subs.get(subId);
    if (!sub)
      throw noSuchParam('subscription', subId, 'subscription');
    if (customer !== null && customer !== sub.customer)
      throw invalid(`Customer ${customer} does not have a subscription with ID ${sub.id}`,
        { param: 'subscription' });
    if (['canceled', 'incomplete_expired'].includes(sub.status) || sub.cancel_at_period_end)
      throw new StripeError(404, 'invalid_request_error',
        `No upcoming invoices for customer: ${sub.customer}`,
        { code: 'invoice_upcoming_none' });

    let items = sub.items.data, prorations = [], at = null;
    if (list !== null) {
      if (sub.status === 'incomplete')
        throw incompleteChange();
      const plan = this.planItems(sub, list, SDI);
      const cur = this.period(sub);
      if (prorationDate !== null && (prorationDate < cur.start || prorationDate > cur.end))
        throw invalid('subscription_details[proration_date] must be within the ' +
          `current period of ${sub.id}, from ${cur.start} to ${cur.end}.`, { param: SDP });
      at = prorationDate ?? now();
      prorations = this.planProrations(sub, this.planChanges(plan), at);
      items = plan.filter((x) => !x.deleted).map((x) => ({ id: x.it?.id ?? x.newId,
        price: this.price(x.price), quantity: x.quantity }));
    }
    const p = this.periods.get(sub.id);
    const start = addMonths(p.anchor, p.cycle + 1), end = addMonths(p.anchor, p.cycle + 2);
    const simulated = prorations.map((ii) => {
      const l = this.pendingLine(sub, ii);
      l.parent.subscription_item_details.invoice_item = null;
      return l;
    });
    const lines = [...items.map((it) => this.itemLine(sub, it, start, end)),
      ...this.pending.filter((ii) => ii.parent.subscription_details.subscription === sub.id)
        .map((ii) => this.pendingLine(sub, ii)), ...simulated];
    const inv = this.invoiceObject(sub, newId('upcoming_in'), 'upcoming', lines, start, end);
    const due = this.due(sub.customer, lines);
    Object.assign(inv, { amount_due: due, amount_remaining: due, created: start,
      starting_balance: this.customers.get(sub.customer).balance,
      next_payment_attempt: sub.collection_method === 'charge_automatically'
        ? start + 3600 : null });
    if (at !== null)
      inv.parent.subscription_details.subscription_proration_date = at;
    return this.expandInvoice(inv, ex);
  }

  /*
   * paid_out_of_band=true: paid, nothing charged. Otherwise the customer's
   * default payment method is charged: declined is 402 card_error and the
   * failed attempt stays (invoice.payment_failed); no method is 400.
   * Already paid: 400 "Invoice is already paid" (quoted from Stripe in
   * twentyhq/twenty#22705 and mozilla/fxa#11409); void: 400 "Voided invoices
   * cannot be paid." (canonical/ubuntu.com#9363). Neither carries a code.
   */
  invoicePay(params, m, ctx) {
    onlyParams(params, ['paid_out_of_band', 'off_session', 'expand']);
    const inv = this.invoice(m[1]);
    const oob = bool(params, 'paid_out_of_band') ?? false;
    bool(params, 'off_session');
    const ex = expands(params, ['customer']);
    if (inv.status === 'paid')
      throw invalid('Invoice is already paid');
    if (inv.status === 'void')
      throw invalid('Voided invoices cannot be paid.');
    if (oob)
      this.markPaid(inv, 'oob', ctx);
    else if (inv.amount_due === 0)
      this.markPaid(inv, 'none', ctx);
    else {
      const c = this.charge(inv.customer);
      if (c === 'no_method')
        throw noPaymentMethod();
      if (c === 'declined') {
        this.failAttempt(inv, ctx);
        const e = declined();
        e.commit = true; // the failed attempt happened: its events go out
        throw e;
      }
      this.markPaid(inv, 'card', ctx);
    }
    return this.expandInvoice(inv, ex);
  }

  /*
   * open or uncollectible -> void; open -> uncollectible. Otherwise 400
   * "You can only pass in open invoices. This invoice isn't open." (seen for
   * void in dev.classmethod.jp's test of every status; reused here for
   * mark_uncollectible). The subscription's status is left as it is.
   */
  invoiceVoid(params, m, ctx) {
    return this.invoiceClose(params, m[1], ['open', 'uncollectible'], 'void',
      'voided_at', 'invoice.voided', ctx);
  }

  invoiceUncollectible(params, m, ctx) {
    return this.invoiceClose(params, m[1], ['open'], 'uncollectible',
      'marked_uncollectible_at', 'invoice.marked_uncollectible', ctx);
  }

  invoiceClose(params, id, from, to, stamp, type, ctx) {
    onlyParams(params, ['expand']);
    const inv = this.invoice(id);
    const ex = expands(params, ['customer']);
    if (!from.includes(inv.status))
      throw invalid("You can only pass in open invoices. This invoice isn't open.");
    const prev = { status: inv.status, status_transitions: { ...inv.status_transitions } };
    inv.status = to;
    inv.status_transitions[stamp] = now();
    ctx.emit(type, inv);
    ctx.emit('invoice.updated', inv, prev);
    return this.expandInvoice(inv, ex);
  }

  // --- control (tests only) ---

  /* Give the customer a default card (customer.updated). */
  attachCard(cus, ctx) {
    const c = this.customers.get(cus);
    if (!c)
      throw new Error(`attach_card: no such customer ${cus}`);
    const old = c.invoice_settings.default_payment_method;
    c.invoice_settings.default_payment_method = newId('pm');
    ctx.emit('customer.updated', c, { invoice_settings: { default_payment_method: old } });
    return c.invoice_settings.default_payment_method;
  }

  detachCard(cus, ctx) {
    const c = this.customers.get(cus);
    if (!c)
      throw new Error(`detach_card: no such customer ${cus}`);
    const old = c.invoice_settings.default_payment_method;
    if (old === null)
      return;
    c.invoice_settings.default_payment_method = null;
    ctx.emit('customer.updated', c, { invoice_settings: { default_payment_method: old } });
  }

  setFailing(list, on) {
    for (const cus of [list].flat()) {
      if (!this.customers.has(cus))
        throw new Error(`fail_payments: no such customer ${cus}`);
      if (on)
        this.failing.add(cus);
      else
        this.failing.delete(cus);
    }
  }

  /*
   * The next month begins for this subscription. cancel_at_period_end: it
   * ends (customer.subscription.deleted). Otherwise every item's period
   * moves on (customer.subscription.updated) and a subscription_cycle
   * invoice bills the new month plus the pending prorations, collected at
   * once as above (send_invoice: left open, due in days_until_due).
   * An incomplete subscription does not renew: it expires (expire_incomplete).
   */
  advancePeriod(id, ctx) {
    const sub = this.subs.get(id);
    if (!sub)
      throw new Error(`advance_period: no such subscription ${id}`);
    if (['canceled', 'incomplete_expired', 'incomplete'].includes(sub.status))
      throw new Error(`advance_period: ${id} is ${sub.status}: it does not renew`);
    const old = this.period(sub);
    if (sub.cancel_at_period_end) {
      Object.assign(sub, { status: 'canceled', ended_at: old.end,
        canceled_at: sub.canceled_at ?? now(),
        cancellation_details: { ...sub.cancellation_details,
          reason: 'cancellation_requested' } });
      ctx.emit('customer.subscription.deleted', sub);
      return null;
    }
    const prev = { items: clone(sub.items), latest_invoice: sub.latest_invoice };
    this.periods.get(id).cycle += 1;
    const { start, end } = this.period(sub);
    for (const it of sub.items.data)
      Object.assign(it, { current_period_start: start, current_period_end: end });
    const invId = newId('in');
    sub.latest_invoice = invId;
    ctx.emit('customer.subscription.updated', sub, prev);
    const lines = [...sub.items.data.map((it) => this.itemLine(sub, it, start, end)),
      ...this.takePending(sub)];
    const inv = this.invoiceDraft(sub, invId, 'subscription_cycle', lines, start, end, ctx);
    this.finalize(inv, sub, ctx);
    this.collect(inv, ctx);
    return inv.id;
  }

  /*
   * The 23 hours of an incomplete subscription run out: its open invoice
   * is voided and it becomes incomplete_expired (terminal). This fake
   * sends invoice.voided, invoice.updated, customer.subscription.updated.
   */
  expireIncomplete(id, ctx) {
    const sub = this.subs.get(id);
    if (!sub || sub.status !== 'incomplete')
      throw new Error(`expire_incomplete: ${id} is not an incomplete subscription`);
    const inv = this.invoices.get(sub.latest_invoice);
    if (inv && inv.status === 'open')
      this.invoiceClose({}, inv.id, ['open'], 'void', 'voided_at', 'invoice.voided', ctx);
    this.setStatus(sub, 'incomplete_expired', ctx, { ended_at: now() });
  }

  state() {
    return { customers: [...this.customers.values()], subscriptions: [...this.subs.values()],
      invoices: [...this.invoices.values()], pending_invoice_items: this.pending,
      failing_payments: [...this.failing], search_lag_ms: this.searchLagMs,
      prices: [...this.priceAmounts.keys()].map((p) => this.price(p)) };
  }

  /* [method, path, handler]; the more specific path first. */
  routes() {
    const h = (f) => f.bind(this);
    const ID = '([A-Za-z0-9_]+)';
    return [
      ['POST', /^\/v1\/customers$/, h(this.customerCreate)],
      ['GET', /^\/v1\/customers\/search$/, h(this.customerSearch)],
      ['GET', new RegExp(`^/v1/customers/${ID}$`), h(this.customerGet)],
      ['POST', /^\/v1\/billing_portal\/sessions$/, h(this.portalCreate)],
      ['POST', /^\/v1\/subscriptions$/, h(this.subCreate)],
      ['GET', /^\/v1\/subscriptions$/, h(this.subList)],
      ['GET', new RegExp(`^/v1/subscriptions/${ID}$`), h(this.subGet)],
      ['POST', new RegExp(`^/v1/subscriptions/${ID}$`), h(this.subUpdate)],
      ['DELETE', new RegExp(`^/v1/subscriptions/${ID}$`), h(this.subCancel)],
      ['GET', /^\/v1\/invoices$/, h(this.invoiceList)],
      ['POST', /^\/v1\/invoices\/create_preview$/, h(this.invoicePreview)],
      ['GET', new RegExp(`^/v1/invoices/${ID}$`), h(this.invoiceGet)],
      ['GET', new RegExp(`^/v1/invoices/${ID}/lines$`), h(this.invoiceLines)],
      ['POST', new RegExp(`^/v1/invoices/${ID}/pay$`), h(this.invoicePay)],
      ['POST', new RegExp(`^/v1/invoices/${ID}/void$`), h(this.invoiceVoid)],
      ['POST', new RegExp(`^/v1/invoices/${ID}/mark_uncollectible$`),
        h(this.invoiceUncollectible)],
    ];
  }
}

/* A change to an incomplete subscription (this fake's wording). */
const incompleteChange = () => invalid('A subscription with status `incomplete` can ' +
  'only have metadata and default_source updated until its first invoice is paid.');

/*
 * Two items on one price: Stripe's wording from 2017 named the plan
 * ("Cannot add multiple subscription items with the same plan: …",
 * stripe-archive/submigrate#1); here it names the price.
 */
const dupPrice = (price, param) => invalid('Cannot add multiple subscription ' +
  `items with the same price: ${price}`, { param });
