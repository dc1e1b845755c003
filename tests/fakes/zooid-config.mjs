/*
 * zooid-config.mjs: zooid's relay Config for the fake (zooid.mjs):
 * decoding as Go's encoding/json does it into zooid's struct (§2: keys
 * matched exactly, then case-insensitively; unknown keys dropped and
 * reported; a wrong type is "json: cannot unmarshal ..."; null leaves the
 * zero value; §3.1 fields with zero values filled in), zooid's merge
 * patch (§2.3), and Config.Validate with its messages in order (§3.3).
 * Section numbers are those of research/zooid-api.md.
 */
const NM = new URL('../js/node_modules/', import.meta.url);
const { schnorr } = await import(new URL('@noble/curves/secp256k1.js', NM));

export const HEX64 = /^[0-9a-fA-F]{64}$/;
export const isObj = (v) => v !== null && typeof v === 'object' &&
  !Array.isArray(v);

const S = 'string', B = 'bool';
const CONFIG = {
  host: S, schema: S, secret: S, inactive: B,
  info: { name: S, icon: S, description: S, pubkey: S },
  policy: { public_join: B, strip_signatures: B },
  groups: { enabled: B }, management: { enabled: B }, push: { enabled: B },
  blossom: { enabled: B, authenticated_read: B, adapter: S,
    s3: { endpoint: S, region: S, bucket: S, access_key: S, secret_key: S,
      key_prefix: S } },
  livekit: { server_url: S, api_key: S, api_secret: S },
  roles: 'roles',
};
const ROLE = { pubkeys: 'strings', can_invite: B, can_manage: B };
const POLICY_E = { public_join: B, strip_signatures: B, public_read: B,
  public_write: B };

function configSchema(era) {
  return era === 'E' ? { ...CONFIG, policy: POLICY_E } : CONFIG;
}

export class DecodeError extends Error {}

export function jsonType(v) {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'boolean') return 'bool';
  return typeof v;
}

function zero(schema) {
  if (schema === S) return '';
  if (schema === B) return false;
  if (schema === 'roles') return {};
  if (schema === 'strings') return [];
  const o = {};
  for (const k of Object.keys(schema))
    o[k] = zero(schema[k]);
  return o;
}

function typeErr(v, path, gotype) {
  return new DecodeError(`json: cannot unmarshal ${jsonType(v)} into Go ` +
    `struct field Config.${path} of type ${gotype}`);
}

/*
 * v into a fresh zero value of schema; unknown keys are pushed to
 * unknown. Go matches a key exactly first, then case-insensitively.
 */
function decodeValue(v, schema, path, unknown) {
  const out = zero(schema);
  if (v === null)
    return out;
  if (schema === S || schema === B) {
    if (jsonType(v) !== (schema === S ? 'string' : 'bool'))
      throw typeErr(v, path, schema === S ? 'string' : 'bool');
    return v;
  }
  if (schema === 'strings') {
    if (!Array.isArray(v))
      throw typeErr(v, path, '[]string');
    return v.map((x) => {
      if (typeof x !== 'string')
        throw typeErr(x, path, 'string');
      return x;
    });
  }
  if (!isObj(v))
    throw typeErr(v, path, schema === 'roles' ? 'map[string]Role' : 'struct');
  if (schema === 'roles') {
    for (const [name, role] of Object.entries(v))
      out[name] = decodeValue(role, ROLE, `${path}.${name}`, unknown);
    return out;
  }
  const fields = Object.keys(schema);
  for (const [k, val] of Object.entries(v)) {
    const f = fields.find((x) => x === k) ??
      fields.find((x) => x.toLowerCase() === k.toLowerCase());
    const sub = path === '' ? (f ?? k) : `${path}.${f ?? k}`;
    if (f === undefined) {
      unknown.push(sub);
      continue;
    }
    if (val !== null)
      out[f] = decodeValue(val, schema[f], sub, unknown);
  }
  return out;
}

/* era "E" adds policy.public_read and public_write (§3.1). */
export function decodeConfig(v, era, unknown = []) {
  if (!isObj(v))
    throw new DecodeError(`json: cannot unmarshal ${jsonType(v)} into Go ` +
      'value of type main.Config');
  return decodeValue(v, configSchema(era), '', unknown);
}

/* Go's json.Marshal of a map sorts keys; PATCH decodes that text. */
export function sortKeys(v) {
  if (Array.isArray(v))
    return v.map(sortKeys);
  if (!isObj(v))
    return v;
  const o = {};
  for (const k of Object.keys(v).sort())
    o[k] = sortKeys(v[k]);
  return o;
}

/* RFC 7396 as zooid's deepMerge does it (§2.3). */
export function mergePatch(dst, patch) {
  for (const [k, v] of Object.entries(patch)) {
    if (v === null)
      delete dst[k];
    else if (isObj(v) && isObj(dst[k]))
      mergePatch(dst[k], v);
    else
      dst[k] = structuredClone(v);
  }
  return dst;
}

/* --- validation (§3.3, era C+ Config.Validate) --- */

/* Go's hex.Decode error for the first bad byte: U+006E 'n'. */
function hexError(s) {
  const b = Buffer.from(s, 'utf8');
  for (const c of b)
    if (!/[0-9a-fA-F]/.test(String.fromCharCode(c)))
      return `encoding/hex: invalid byte: U+${c.toString(16).toUpperCase()
        .padStart(4, '0')} '${String.fromCharCode(c)}'`;
  return 'encoding/hex: odd length hex string';
}

function secretKeyFromHex(s) {
  if (Buffer.byteLength(s) > 64)
    throw new Error(`secret key should be at most 64-char hex, got '${s}'`);
  const p = s.padStart(64, '0');
  if (!HEX64.test(p))
    throw new Error(`'${p}' is not valid hex: ${hexError(p)}`);
  if (/^0{64}$/.test(p))
    throw new Error('invalid secret key');
  return p.toLowerCase();
}

export function pointOk(hex) {
  try {
    schnorr.utils.lift_x(BigInt(`0x${hex}`));
    return true;
  } catch {
    return false;
  }
}

/* The message of pubkeyFromHex's detail is inferred [I] for off-curve keys. */
function pubKeyFromHex(s) {
  if (Buffer.byteLength(s) !== 64)
    throw new Error(`pubkey should be 64-char hex, got '${s}'`);
  if (!HEX64.test(s))
    throw new Error(`'${s}' is not valid hex: ${hexError(s)}`);
  if (!pointOk(s))
    throw new Error(`'${s}' is not a valid public key`);
  return s.toLowerCase();
}

const SCHEMA_RULES = {
  lower: [/^[a-z_][a-z0-9_]*$/,
    'schema must contain only lowercase letters, numbers, and underscores'],
  mixed: [/^[a-zA-Z_][a-zA-Z0-9_]*$/,
    'schema must contain only letters, numbers, and underscores'],
};

/*
 * null when cfg is valid (cfg is normalised in place); else the message.
 * opts.schema_regex: "lower" (era C+), "mixed" (era B) or "none" (era A);
 * opts.require_info_pubkey: era B1/C+ (otherwise checked when present).
 */
export function validate(cfg, opts) {
  if (cfg.blossom.adapter === '')
    cfg.blossom.adapter = 'local';
  if (cfg.host === '')
    return 'host is required';
  if (cfg.schema === '')
    return 'schema is required';
  const rule = SCHEMA_RULES[opts.schema_regex];
  if (rule && !rule[0].test(cfg.schema))
    return rule[1];
  try {
    cfg.secret = secretKeyFromHex(cfg.secret);
  } catch (e) {
    return `invalid secret key: ${e.message}`;
  }
  if (opts.require_info_pubkey || cfg.info.pubkey !== '') {
    try {
      pubKeyFromHex(cfg.info.pubkey);
    } catch (e) {
      return `invalid info.pubkey: ${e.message}`;
    }
  }
  const b = cfg.blossom;
  if (b.adapter === 's3') {
    for (const f of ['bucket', 'region', 'access_key', 'secret_key'])
      if (b.s3[f] === '')
        return `blossom.s3.${f} is required when blossom.adapter is s3`;
  } else if (b.adapter !== 'local')
    return 'invalid blossom adapter';
  return null;
}
