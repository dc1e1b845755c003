/*
 * stripe-core.mjs: what every part of the fake Stripe shares: Stripe's
 * error JSON, readers for decoded form parameters that answer a wrong type
 * the way Stripe does (400 invalid_request_error naming the parameter),
 * ids, time and list envelopes. No state lives here.
 */
import crypto from 'node:crypto';

export const now = () => Math.floor(Date.now() / 1000);
export const rand = (n) => crypto.randomBytes(n).toString('hex');
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const newId = (prefix) => `${prefix}_${rand(7)}`;
export const clone = (v) => (v === undefined ? v : JSON.parse(JSON.stringify(v)));
export const isObj = (v) => typeof v === 'object' && v !== null && !Array.isArray(v);

/* Thrown by handlers; the server answers status + body as they are. */
export class StripeError extends Error {
  constructor(status, type, message, extra = {}) {
    super(message);
    this.status = status;
    this.body = { error: { type, message, ...extra } };
  }
}
export const invalid = (message, extra) =>
  new StripeError(400, 'invalid_request_error', message, extra);
export const unknownParam = (p) => invalid(`Received unknown parameter: ${p}`,
  { code: 'parameter_unknown', param: p });
export const missingParam = (p) => invalid(`Missing required param: ${p}.`,
  { code: 'parameter_missing', param: p });
/* GET/POST/DELETE on an id that does not exist: 404 (stripe.md §1.3). */
export const noSuch = (what, id, param = 'id') => new StripeError(404,
  'invalid_request_error', `No such ${what}: '${id}'`,
  { code: 'resource_missing', param });
/* An id named in the parameters that does not exist: 400, same code. */
export const noSuchParam = (what, id, param) => invalid(`No such ${what}: '${id}'`,
  { code: 'resource_missing', param });

/* Only these keys (prefix names the enclosing parameter, e.g. "items[0]"). */
export function onlyParams(params, allowed, prefix = '') {
  for (const k of Object.keys(params))
    if (!allowed.includes(k))
      throw unknownParam(prefix === '' ? k : `${prefix}[${k}]`);
}

export function str(params, k, max = 5000, name = k) {
  const v = params[k];
  if (v === undefined)
    return null;
  if (typeof v !== 'string')
    throw invalid(`Invalid string: ${name}`, { param: name });
  if (v.length > max)
    throw invalid(`Invalid ${name}: must be at most ${max} characters`, { param: name });
  return v === '' ? null : v;
}

/* Stripe takes only the words true and false for a boolean. */
export function bool(params, k, name = k) {
  const v = params[k];
  if (v === undefined)
    return null;
  if (v !== 'true' && v !== 'false')
    throw invalid(`Invalid boolean: ${typeof v === 'string' ? v : name}`, { param: name });
  return v === 'true';
}

/* A decimal integer in [min, max]; null when absent. */
export function int(params, k, min, max, name = k) {
  const v = params[k];
  if (v === undefined)
    return null;
  if (typeof v !== 'string' || !/^-?\d{1,15}$/.test(v))
    throw invalid(`Invalid integer: ${typeof v === 'string' ? v : name}`, { param: name });
  const n = Number(v);
  if (n < min || n > max)
    throw invalid(`Invalid ${name}: must be between ${min} and ${max}`, { param: name });
  return n;
}

export function oneOf(params, k, values, name = k) {
  const v = params[k];
  if (v === undefined)
    return null;
  if (typeof v !== 'string' || !values.includes(v)) {
    const alts = `${values.slice(0, -1).join(', ')}, or ${values[values.length - 1]}`;
    throw invalid(`Invalid ${name}: must be one of ${alts}`, { param: name });
  }
  return v;
}

/* An array sent as a[]=x or a[0]=x&a[1]=y (the SDK's form); null if absent. */
export function array(params, k, name = k) {
  const v = params[k];
  if (v === undefined)
    return null;
  if (Array.isArray(v))
    return v;
  if (isObj(v)) {
    const keys = Object.keys(v);
    if (keys.every((x, i) => x === String(i)))
      return keys.map((x) => v[x]);
  }
  throw invalid(`Invalid array: ${name}`, { param: name });
}

/* expand[]: each path must be one the object can expand. */
export function expands(params, allowed) {
  const list = array(params, 'expand') ?? [];
  for (const p of list) {
    if (typeof p !== 'string')
      throw invalid('Invalid array: expand', { param: 'expand' });
    if (!allowed.includes(p))
      throw invalid(`This property cannot be expanded (${p}).`, { param: 'expand' });
  }
  return list;
}

/* metadata for a new object: at most 50 keys of 40 chars, values of 500. */
export function metadata(params) {
  return metadataUpdate({}, params);
}

/* Stripe's update rules: metadata[k]= removes k, metadata= removes all. */
export function metadataUpdate(old, params) {
  const md = params.metadata;
  if (md === undefined)
    return { ...old };
  if (md === '')
    return {};
  if (!isObj(md))
    throw invalid('Invalid object', { param: 'metadata' });
  const out = { ...old };
  for (const k of Object.keys(md)) {
    if (typeof md[k] !== 'string' || k.length > 40 || md[k].length > 500)
      throw invalid(`Invalid metadata[${k}]: keys at most 40 characters, ` +
        'values strings of at most 500', { param: `metadata[${k}]` });
    if (md[k] === '')
      delete out[k];
    else
      out[k] = md[k];
  }
  if (Object.keys(out).length > 50)
    throw invalid('Invalid metadata: at most 50 keys', { param: 'metadata' });
  return out;
}

/* created=ts or created[gt|gte|lt|lte]=ts as a predicate on a timestamp. */
export function createdFilter(params) {
  const v = params.created;
  if (v === undefined)
    return () => true;
  if (typeof v === 'string') {
    const t = int(params, 'created', 0, 1e11);
    return (c) => c === t;
  }
  if (!isObj(v))
    throw invalid('Invalid created', { param: 'created' });
  onlyParams(v, ['gt', 'gte', 'lt', 'lte'], 'created');
  const b = {};
  for (const k of Object.keys(v))
    b[k] = int(v, k, 0, 1e11, `created[${k}]`);
  return (c) => (b.gt === undefined || c > b.gt) && (b.gte === undefined || c >= b.gte) &&
    (b.lt === undefined || c < b.lt) && (b.lte === undefined || c <= b.lte);
}

/*
 * A list answer over objects already sorted newest first: limit (1-100,
 * default 10), starting_after / ending_before cursors that must name an
 * object of the list (what names it: `what`).
 */
export function listPage(all, params, url, what) {
  const limit = int(params, 'limit', 1, 100) ?? 10;
  const after = str(params, 'starting_after');
  const before = str(params, 'ending_before');
  if (after !== null && before !== null)
    throw invalid('You may only specify one of these parameters: ending_before, ' +
      'starting_after.', { param: 'starting_after' });
  let from = 0, to = all.length;
  if (after !== null) {
    const i = all.findIndex((o) => o.id === after);
    if (i < 0)
      throw noSuchParam(what, after, 'starting_after');
    from = i + 1;
  }
  if (before !== null) {
    const i = all.findIndex((o) => o.id === before);
    if (i < 0)
      throw noSuchParam(what, before, 'ending_before');
    to = i;
    from = Math.max(0, to - limit);
  }
  const data = all.slice(from, Math.min(to, from + limit));
  const hasMore = before !== null ? from > 0 : from + data.length < to;
  return { object: 'list', data, has_more: hasMore, url };
}

/* Calendar months in UTC, the day clamped (Jan 31 + 1 month = Feb 28/29). */
export function addMonths(ts, n) {
  const d = new Date(ts * 1000);
  const day = d.getUTCDate();
  const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + n, 1,
    d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()));
  const last = new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth() + 1, 0)).getUTCDate();
  t.setUTCDate(Math.min(day, last));
  return Math.floor(t.getTime() / 1000);
}

export const dollars = (cents) => `$${(cents / 100).toFixed(2)}`;
export const day = (ts) => new Date(ts * 1000).toLocaleDateString('en-GB',
  { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });
