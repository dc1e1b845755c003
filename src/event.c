/*
 * event.c: NIP-01 events: strict parsing, the canonical serialization the
 * id is the SHA-256 of, BIP-340 signing and verification, and event JSON.
 * Callers: NIP-98 auth, NIP-44/59 gift wraps, the relay and NWC clients.
 */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <secp256k1.h>
#include <secp256k1_extrakeys.h>
#include <secp256k1_schnorrsig.h>

#include "core.h"
#include "json.h"
#include "nostr.h"

/*
 * Largest created_at accepted: beyond 2^53 - 1 JavaScript peers cannot
 * hold the number, so they would serialize (and hash) another value. It
 * also catches json-c, which saturates larger integers at INT64_MAX.
 */
#define CREATED_AT_MAX INT64_C(9007199254740991)
#define JSON_DEPTH 8

static void
sb_hex(struct sbuf *b, const unsigned char *v, size_t n)
{
	char hex[129];

	hex_encode(v, n, hex);
	sbuf_add(b, "\"", 1);
	sbuf_add(b, hex, 2 * n);
	sbuf_add(b, "\"", 1);
}

static void
sb_json_val(struct sbuf *b, struct json_object *v)
{
	sbuf_json_str(b, json_object_get_string(v),
	    (size_t)json_object_get_string_len(v));
}

/* tags as JSON; elements that break the struct's invariant become "". */
static void
sb_tags(struct sbuf *b, struct json_object *tags)
{
	struct json_object *tag, *v;
	size_t i, j, n, m;

	sbuf_add(b, "[", 1);
	n = json_object_is_type(tags, json_type_array) ?
	    json_object_array_length(tags) : 0;
	for (i = 0; i < n; i++) {
		if (i > 0)
			sbuf_add(b, ",", 1);
		sbuf_add(b, "[", 1);
		tag = json_object_array_get_idx(tags, i);
		m = json_object_is_type(tag, json_type_array) ?
		    json_object_array_length(tag) : 0;
		for (j = 0; j < m; j++) {
			if (j > 0)
				sbuf_add(b, ",", 1);
			v = json_object_array_get_idx(tag, j);
			if (json_object_is_type(v, json_type_string))
				sb_json_val(b, v);
			else
				sbuf_add(b, "\"\"", 2);
		}
		sbuf_add(b, "]", 1);
	}
	sbuf_add(b, "]", 1);
}

static struct json_object *
jcheck(struct json_object *o)
{
	if (o == NULL) {
		log_warnx("json-c: out of memory");
		abort();
	}
	return o;
}

void
nostr_event_init(struct nostr_event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->tags = jcheck(json_object_new_array());
	ev->content = xstrdup("");
}

/* Frees what the event owns; releasing twice is harmless. */
void
nostr_event_release(struct nostr_event *ev)
{
	json_object_put(ev->tags);
	ev->tags = NULL;
	if (ev->content != NULL)
		explicit_zero(ev->content, ev->content_len);
	free(ev->content);
	ev->content = NULL;
	ev->content_len = 0;
	ev->has_sig = 0;
}

void
nostr_event_set_content(struct nostr_event *ev, const char *s, size_t n)
{
	char *c;

	c = xmalloc(n + 1);
	if (n > 0)
		memcpy(c, s, n);
	c[n] = '\0';
	if (ev->content != NULL)
		explicit_zero(ev->content, ev->content_len);
	free(ev->content);
	ev->content = c;
	ev->content_len = n;
}

void
nostr_event_add_tag(struct nostr_event *ev, size_t n, const char *const *v)
{
	struct json_object *tag;
	size_t i;

	tag = jcheck(json_object_new_array());
	for (i = 0; i < n; i++)
		json_object_array_add(tag,
		    jcheck(json_object_new_string(v[i])));
	json_object_array_add(ev->tags, tag);
}

const char *
nostr_event_tag(const struct nostr_event *ev, const char *name)
{
	struct json_object *tag, *k, *v;
	size_t i, n, namelen = strlen(name);

	if (!json_object_is_type(ev->tags, json_type_array))
		return NULL;
	n = json_object_array_length(ev->tags);
	for (i = 0; i < n; i++) {
		tag = json_object_array_get_idx(ev->tags, i);
		if (!json_object_is_type(tag, json_type_array) ||
		    json_object_array_length(tag) == 0)
			continue;
		k = json_object_array_get_idx(tag, 0);
		if ((size_t)json_object_get_string_len(k) != namelen ||
		    memcmp(json_object_get_string(k), name, namelen) != 0)
			continue;
		if (json_object_array_length(tag) < 2)
			return NULL;
		v = json_object_array_get_idx(tag, 1);
		if (memchr(json_object_get_string(v), '\0',
		    (size_t)json_object_get_string_len(v)) != NULL)
			return NULL;
		return json_object_get_string(v);
	}
	return NULL;
}

/*
 * Predicate: v is a string of valid UTF-8. json-c's own check lets encoded
 * surrogates and overlong forms through.
 */
static int
utf8_string(struct json_object *v)
{
	return json_object_is_type(v, json_type_string) &&
	    is_utf8(json_object_get_string(v),
	    (size_t)json_object_get_string_len(v));
}

static struct json_object *
member_str(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !utf8_string(v))
		return NULL;
	return v;
}

static int
member_hex(struct json_object *o, const char *key, unsigned char *out,
    size_t n)
{
	struct json_object *v;

	if ((v = member_str(o, key)) == NULL)
		return -1;
	return hex_decode(json_object_get_string(v),
	    (size_t)json_object_get_string_len(v), out, n);
}

static int
member_int(struct json_object *o, const char *key, int64_t max, int64_t *out)
{
	struct json_object *v;

	/* NIP-01: integers only; json-c reads 1.0 and 1e9 as doubles. */
	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_int))
		return -1;
	*out = json_object_get_int64(v);
	return *out < 0 || *out > max ? -1 : 0;
}

/* A copy of tags, which must be an array of non-empty arrays of strings. */
static struct json_object *
tags_copy(struct json_object *tags)
{
	struct json_object *copy, *tag, *ctag, *v;
	size_t i, j, n, m;

	if (!json_object_is_type(tags, json_type_array))
		return NULL;
	copy = jcheck(json_object_new_array());
	n = json_object_array_length(tags);
	for (i = 0; i < n; i++) {
		tag = json_object_array_get_idx(tags, i);
		if (!json_object_is_type(tag, json_type_array) ||
		    (m = json_object_array_length(tag)) == 0)
			goto fail;
		ctag = jcheck(json_object_new_array());
		json_object_array_add(copy, ctag);
		for (j = 0; j < m; j++) {
			v = json_object_array_get_idx(tag, j);
			if (!utf8_string(v))
				goto fail;
			json_object_array_add(ctag,
			    jcheck(json_object_new_string_len(
			    json_object_get_string(v),
			    json_object_get_string_len(v))));
		}
	}
	return copy;
fail:
	json_object_put(copy);
	return NULL;
}

int
nostr_event_from_json(struct json_object *o, int require_sig,
    struct nostr_event *ev, const char **why)
{
	struct json_object *v, *tags;
	const char *dummy;
	int64_t n;

	if (why == NULL)
		why = &dummy;
	nostr_event_init(ev);
	if (!json_object_is_type(o, json_type_object)) {
		*why = "event is not a JSON object";
		goto fail;
	}
	if (member_hex(o, "id", ev->id, 32) != 0) {
		*why = "event id is not 64 lower-case hex digits";
		goto fail;
	}
	if (member_hex(o, "pubkey", ev->pubkey, 32) != 0) {
		*why = "event pubkey is not 64 lower-case hex digits";
		goto fail;
	}
	if (json_object_object_get_ex(o, "sig", NULL) || require_sig) {
		if (member_hex(o, "sig", ev->sig, 64) != 0) {
			*why = "event sig is not 128 lower-case hex digits";
			goto fail;
		}
		ev->has_sig = 1;
	}
	if (member_int(o, "created_at", CREATED_AT_MAX, &n) != 0) {
		*why = "event created_at is not a non-negative integer";
		goto fail;
	}
	ev->created_at = n;
	if (member_int(o, "kind", 65535, &n) != 0) {
		*why = "event kind is not an integer from 0 to 65535";
		goto fail;
	}
	ev->kind = (int)n;
	if (!json_object_object_get_ex(o, "tags", &v) ||
	    (tags = tags_copy(v)) == NULL) {
		*why = "event tags are not arrays of strings";
		goto fail;
	}
	json_object_put(ev->tags);
	ev->tags = tags;
	if ((v = member_str(o, "content")) == NULL) {
		*why = "event content is not a string";
		goto fail;
	}
	nostr_event_set_content(ev, json_object_get_string(v),
	    (size_t)json_object_get_string_len(v));
	return 0;
fail:
	nostr_event_release(ev);
	return -1;
}

/*
 * RFC 8259 §7: control characters inside strings must be escaped, and a
 * JSON text holds no raw NUL; json-c's strict mode accepts both.
 */
static int
json_raw_controls(const char *s, size_t n)
{
	size_t i;
	int instr = 0;

	if (memchr(s, '\0', n) != NULL)
		return 1;
	for (i = 0; i < n; i++) {
		if (!instr) {
			instr = s[i] == '"';
			continue;
		}
		if (s[i] == '\\')
			i++;
		else if (s[i] == '"')
			instr = 0;
		else if ((unsigned char)s[i] < 0x20)
			return 1;
	}
	return 0;
}

/* On failure ev is left released (safe to release again). */
int
nostr_event_parse(const char *buf, size_t len, int require_sig,
    struct nostr_event *ev, const char **why)
{
	struct json_tokener *tok = NULL;
	struct json_object *o = NULL;
	const char *dummy;
	size_t end;
	int rc = -1;

	if (why == NULL)
		why = &dummy;
	memset(ev, 0, sizeof(*ev));
	if (len > NOSTR_EVENT_MAX) {
		*why = "event is too large";
		goto out;
	}
	*why = "event is not valid JSON";
	if (json_raw_controls(buf, len))
		goto out;
	if ((tok = json_tokener_new_ex(JSON_DEPTH)) == NULL)
		goto out;
	json_tokener_set_flags(tok,
	    JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, buf, (int)len);
	if (o == NULL || json_tokener_get_error(tok) != json_tokener_success)
		goto out;
	for (end = json_tokener_get_parse_end(tok); end < len; end++)
		if (strchr(" \t\r\n", buf[end]) == NULL)
			goto out;
	rc = nostr_event_from_json(o, require_sig, ev, why);
out:
	json_object_put(o);
	if (tok != NULL)
		json_tokener_free(tok);
	return rc;
}

/* The NIP-01 serialization; the caller frees it. */
char *
nostr_event_serialize_alloc(const struct nostr_event *ev, size_t *len)
{
	struct sbuf b = { NULL, 0, 0 };

	sbuf_str(&b, "[0,");
	sb_hex(&b, ev->pubkey, 32);
	sbuf_str(&b, ",");
	sbuf_int(&b, ev->created_at);
	sbuf_str(&b, ",");
	sbuf_int(&b, ev->kind);
	sbuf_str(&b, ",");
	sb_tags(&b, ev->tags);
	sbuf_str(&b, ",");
	sbuf_json_str(&b, ev->content, ev->content_len);
	sbuf_str(&b, "]");
	if (len != NULL)
		*len = b.len;
	return b.p;
}

void
nostr_event_compute_id(const struct nostr_event *ev, unsigned char id[32])
{
	char *s;
	size_t n;

	s = nostr_event_serialize_alloc(ev, &n);
	nostr_sha256(s, n, id);
	free(s);
}

int
nostr_event_sign_aux(struct nostr_event *ev, const unsigned char sk[32],
    const unsigned char aux[32])
{
	const secp256k1_context *ctx = nostr_secp();
	secp256k1_keypair kp;
	secp256k1_xonly_pubkey xpk;
	int rc = -1;

	ev->has_sig = 0;
	if (!secp256k1_keypair_create(ctx, &kp, sk) ||
	    !secp256k1_keypair_xonly_pub(ctx, &xpk, NULL, &kp) ||
	    !secp256k1_xonly_pubkey_serialize(ctx, ev->pubkey, &xpk))
		goto out;
	nostr_event_compute_id(ev, ev->id);
	if (!secp256k1_schnorrsig_sign32(ctx, ev->sig, ev->id, &kp, aux))
		goto out;
	/* BIP-340 advises verifying after signing (fault attacks). */
	if (!secp256k1_schnorrsig_verify(ctx, ev->sig, ev->id, 32, &xpk))
		goto out;
	ev->has_sig = 1;
	rc = 0;
out:
	explicit_zero(&kp, sizeof(kp));
	if (rc != 0)
		memset(ev->sig, 0, sizeof(ev->sig));
	return rc;
}

/* Signs with fresh aux_rand (BIP-340: side-channel and fault hardening). */
int
nostr_event_sign(struct nostr_event *ev, const unsigned char sk[32])
{
	unsigned char aux[32];
	int rc;

	if (nostr_random(aux, sizeof(aux)) != 0) {
		ev->has_sig = 0;
		return -1;
	}
	rc = nostr_event_sign_aux(ev, sk, aux);
	explicit_zero(aux, sizeof(aux));
	return rc;
}

void
nostr_event_make_rumor(struct nostr_event *ev, const unsigned char pk[32])
{
	memcpy(ev->pubkey, pk, 32);
	nostr_event_compute_id(ev, ev->id);
	memset(ev->sig, 0, sizeof(ev->sig));
	ev->has_sig = 0;
}

int
nostr_event_check_id(const struct nostr_event *ev, const char **why)
{
	unsigned char id[32];

	nostr_event_compute_id(ev, id);
	if (memcmp(id, ev->id, 32) != 0) {
		if (why != NULL)
			*why = "event id does not match its content";
		return -1;
	}
	return 0;
}

/* NIP-01: the id must be recomputed; a sig over a stated id proves nothing. */
int
nostr_event_verify(const struct nostr_event *ev, const char **why)
{
	const secp256k1_context *ctx = nostr_secp();
	secp256k1_xonly_pubkey xpk;
	const char *dummy;

	if (why == NULL)
		why = &dummy;
	if (nostr_event_check_id(ev, why) != 0)
		return -1;
	if (!ev->has_sig) {
		*why = "event is not signed";
		return -1;
	}
	if (!secp256k1_xonly_pubkey_parse(ctx, &xpk, ev->pubkey)) {
		*why = "event pubkey is not a valid key";
		return -1;
	}
	if (!secp256k1_schnorrsig_verify(ctx, ev->sig, ev->id, 32, &xpk)) {
		*why = "event signature does not verify";
		return -1;
	}
	return 0;
}

/* Compact event JSON in NIP-01 member order; the caller frees it. */
char *
nostr_event_json_alloc(const struct nostr_event *ev, size_t *len)
{
	struct sbuf b = { NULL, 0, 0 };

	sbuf_str(&b, "{\"id\":");
	sb_hex(&b, ev->id, 32);
	sbuf_str(&b, ",\"pubkey\":");
	sb_hex(&b, ev->pubkey, 32);
	sbuf_str(&b, ",\"created_at\":");
	sbuf_int(&b, ev->created_at);
	sbuf_str(&b, ",\"kind\":");
	sbuf_int(&b, ev->kind);
	sbuf_str(&b, ",\"tags\":");
	sb_tags(&b, ev->tags);
	sbuf_str(&b, ",\"content\":");
	sbuf_json_str(&b, ev->content, ev->content_len);
	if (ev->has_sig) {
		sbuf_str(&b, ",\"sig\":");
		sb_hex(&b, ev->sig, 64);
	}
	sbuf_str(&b, "}");
	if (len != NULL)
		*len = b.len;
	return b.p;
}

static struct json_object *
jhex(const unsigned char *v, size_t n)
{
	char hex[129];

	hex_encode(v, n, hex);
	return jcheck(json_object_new_string_len(hex, (int)(2 * n)));
}

/* The event as a new json-c object (the caller puts it). */
struct json_object *
nostr_event_to_json(const struct nostr_event *ev)
{
	struct json_object *o, *tags;

	o = jcheck(json_object_new_object());
	json_object_object_add(o, "id", jhex(ev->id, 32));
	json_object_object_add(o, "pubkey", jhex(ev->pubkey, 32));
	json_object_object_add(o, "created_at",
	    jcheck(json_object_new_int64(ev->created_at)));
	json_object_object_add(o, "kind",
	    jcheck(json_object_new_int(ev->kind)));
	if ((tags = tags_copy(ev->tags)) == NULL)
		tags = jcheck(json_object_new_array());
	json_object_object_add(o, "tags", tags);
	json_object_object_add(o, "content", jcheck(json_object_new_string_len(
	    ev->content, (int)ev->content_len)));
	if (ev->has_sig)
		json_object_object_add(o, "sig", jhex(ev->sig, 64));
	return o;
}
