/* zooid.c: see zooid.h. */
#include "config.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core.h"
#include "cfg.h"
#include "db.h"
#include "httpc.h"
#include "json.h"
#include "nostr.h"
#include "zooid.h"

#define REDACTED "[redacted]"
#define SECRET_MIN 6 /* shorter "secrets" are not searched for */
#define MEMBERS_MAX (HTTPC_MAX_BODY / 67) /* 64 hex, quotes, comma */
#define NOT_FOUND_TEXT "relay not found"
#define EXISTS_TEXT "relay with this id already exists"
#define BAD_SECRET_TEXT "invalid secret key"

enum call { CALL_CREATE, CALL_PATCH, CALL_MEMBERS };

static const struct {
	const char *method;
	const char *suffix;
} calls[] = {
	[CALL_CREATE] = { "POST", "" },
	[CALL_PATCH] = { "PATCH", "" },
	[CALL_MEMBERS] = { "GET", "/members" },
};

const char *
zooid_rc_name(enum zooid_rc rc)
{
	static const char *const names[] = {
		[ZOOID_OK] = "ok",
		[ZOOID_EXISTS] = "exists",
		[ZOOID_NOT_FOUND] = "not found",
		[ZOOID_CONFLICT] = "conflict",
		[ZOOID_REJECTED] = "rejected",
		[ZOOID_AUTH] = "auth",
		[ZOOID_FAILED] = "failed",
	};

	if ((size_t)rc >= nitems(names))
		return "?";
	return names[rc];
}

int
zooid_id_ok(const char *id)
{
	size_t len;

	if (id == NULL)
		return 0;
	len = strlen(id);
	return len > 0 && len <= ZOOID_ID_MAX &&
	    strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789_-") == len;
}

/*
 * http(s)://host[:port][/path] of printable ASCII: no query or fragment
 * (they never reach the "u" tag zooid compares) and no user info (it
 * would be signed into every header).
 */
static int
base_url_ok(const char *s)
{
	size_t n, len, i;

	if (s == NULL)
		return 0;
	if (strncmp(s, "https://", 8) == 0)
		n = 8;
	else if (strncmp(s, "http://", 7) == 0)
		n = 7;
	else
		return 0;
	len = strlen(s);
	if (len == n || len > ZOOID_URL_MAX - 128 || s[n] == '/' ||
	    strpbrk(s, "?#@") != NULL)
		return 0;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return 0;
	return 1;
}

int
zooid_init(struct zooid *z, const struct config *cfg)
{
	memset(z, 0, sizeof(*z));
	z->base_url = cfg_str(cfg, CFG_ZOOID_API_URL);
	z->timeout = (long)cfg_int(cfg, CFG_HTTP_TIMEOUT);
	if (z->timeout <= 0)
		z->timeout = 10;
	if (!base_url_ok(z->base_url) ||
	    nostr_secret_parse(cfg_str(cfg, CFG_ZOOID_API_SECRET),
	    z->secret) != 0) {
		zooid_release(z);
		return -1;
	}
	return 0;
}

void
zooid_release(struct zooid *z)
{
	explicit_zero(z->secret, sizeof(z->secret));
	z->base_url = NULL;
	z->timeout = 0;
}

/* The setting with surrounding blanks removed, into the arena; "" if unset. */
static const char *
setting(struct arena *a, const struct config *cfg, enum cfgkey k)
{
	const char *s, *e;

	s = cfg_str(cfg, k);
	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	return arena_strndup(a, s, (size_t)(e - s));
}

static const char *
nz(const char *s)
{
	return s != NULL ? s : "";
}

static struct json_object *
section_enabled(int on)
{
	struct json_object *o;

	o = jobj();
	jadd_bool(o, "enabled", on);
	return o;
}

struct json_object *
zooid_relay_body(const struct config *cfg, const struct relay *r,
    const char *secret_hex)
{
	struct arena a = { 0 };
	struct json_object *b, *o, *s3, *roles, *owner, *pks;
	const char *domain, *region, *bucket, *akey, *skey, *endpoint;
	const char *lkurl, *lkkey, *lksecret;
	int lk;

	b = jobj();
	domain = setting(&a, cfg, CFG_RELAY_DOMAIN);
	if (domain[0] != '\0')
		jadd(b, "host", jstr(arena_printf(&a, "%s.%s",
		    nz(r->subdomain), domain)));
	else
		jadd_str(b, "host", nz(r->subdomain));
	jadd_str(b, "schema", nz(r->schema));
	if (secret_hex != NULL)
		jadd_str(b, "secret", secret_hex);
	jadd_bool(b, "inactive", r->status == NULL ||
	    strcmp(r->status, "active") != 0);

	o = jobj();
	jadd_str(o, "name", nz(r->info_name));
	jadd_str(o, "icon", nz(r->info_icon));
	jadd_str(o, "description", nz(r->info_description));
	jadd_str(o, "pubkey", nz(r->tenant));
	jadd(b, "info", o);

	o = jobj();
	jadd_bool(o, "public_join", r->policy_public_join);
	jadd_bool(o, "strip_signatures", r->policy_strip_signatures);
	/* zooid of July 2026 on (§0.2 era E); older ones ignore them. */
	jadd_bool(o, "public_read", r->policy_public_read);
	jadd_bool(o, "public_write", r->policy_public_write);
	jadd(b, "policy", o);
	jadd(b, "groups", section_enabled(r->groups_enabled));
	jadd(b, "management", section_enabled(r->management_enabled));
	jadd(b, "push", section_enabled(r->push_enabled));

	/* Caravel #69: S3 keys go under key_prefix = schema (§3.1). */
	o = section_enabled(r->blossom_enabled);
	endpoint = setting(&a, cfg, CFG_BLOSSOM_S3_ENDPOINT);
	region = setting(&a, cfg, CFG_BLOSSOM_S3_REGION);
	bucket = setting(&a, cfg, CFG_BLOSSOM_S3_BUCKET);
	akey = setting(&a, cfg, CFG_BLOSSOM_S3_ACCESS_KEY);
	skey = setting(&a, cfg, CFG_BLOSSOM_S3_SECRET_KEY);
	if (region[0] != '\0' && bucket[0] != '\0' && akey[0] != '\0' &&
	    skey[0] != '\0') {
		jadd_str(o, "adapter", "s3");
		s3 = jobj();
		if (endpoint[0] != '\0')
			jadd_str(s3, "endpoint", endpoint);
		jadd_str(s3, "region", region);
		jadd_str(s3, "bucket", bucket);
		jadd_str(s3, "access_key", akey);
		jadd_str(s3, "secret_key", skey);
		jadd_str(s3, "key_prefix", nz(r->schema));
		jadd(o, "s3", s3);
	} else
		jadd_str(o, "adapter", "local");
	jadd(b, "blossom", o);

	/* zooid has no livekit.enabled: an empty api_key turns it off. */
	lkurl = setting(&a, cfg, CFG_LIVEKIT_URL);
	lkkey = setting(&a, cfg, CFG_LIVEKIT_API_KEY);
	lksecret = setting(&a, cfg, CFG_LIVEKIT_API_SECRET);
	lk = r->livekit_enabled && lkurl[0] != '\0' &&
	    lkkey[0] != '\0' && lksecret[0] != '\0';
	o = jobj();
	jadd_str(o, "server_url", lk ? lkurl : "");
	jadd_str(o, "api_key", lk ? lkkey : "");
	jadd_str(o, "api_secret", lk ? lksecret : "");
	jadd(b, "livekit", o);

	roles = jobj();
	owner = jobj();
	pks = jarr();
	jpush(pks, jstr(nz(r->tenant)));
	jadd(owner, "pubkeys", pks);
	jadd_bool(owner, "can_manage", 1);
	jadd_bool(owner, "can_invite", 1);
	jadd(roles, "owner", owner);
	/* The role zooid gives every member; its pubkeys are not read. */
	o = jobj();
	jadd_bool(o, "can_invite", r->members_can_invite);
	jadd(roles, "member", o);
	jadd(b, "roles", roles);

	arena_free(&a);
	return b;
}

/* At this point in[0..len) matches one of secrets; its length, or 0. */
static size_t
secret_at(const char *in, size_t len, const char *const *secrets)
{
	size_t i, n;

	for (i = 0; secrets != NULL && secrets[i] != NULL; i++) {
		n = strlen(secrets[i]);
		if (n >= SECRET_MIN && n <= len &&
		    strncasecmp(in, secrets[i], n) == 0)
			return n;
	}
	return 0;
}

char *
zooid_clean_text(const char *in, size_t len, const char *const *secrets)
{
	char out[ZOOID_ERR_MAX + sizeof(REDACTED) + 8];
	size_t i = 0, o = 0, n, bl = strlen(BAD_SECRET_TEXT);
	unsigned char c;

	/* "invalid secret key: '<the key>' is not valid hex: ..." (§3.3) */
	if (len >= bl && memcmp(in, BAD_SECRET_TEXT, bl) == 0)
		return xstrdup(BAD_SECRET_TEXT ": " REDACTED);
	while (i < len && o < ZOOID_ERR_MAX) {
		if ((n = secret_at(in + i, len - i, secrets)) > 0) {
			memcpy(out + o, REDACTED, sizeof(REDACTED) - 1);
			o += sizeof(REDACTED) - 1;
			i += n;
			continue;
		}
		c = (unsigned char)in[i++];
		/*
		 * One "?" per character outside printable ASCII: a UTF-8
		 * continuation byte adds none, unless it stands alone after
		 * ASCII (it must not let two halves of a secret meet).
		 */
		if (c >= 0x20 && c < 0x7f)
			out[o++] = (char)c;
		else if (c < 0x80 || c >= 0xc0 || i < 2 ||
		    (unsigned char)in[i - 2] < 0x80)
			out[o++] = '?';
	}
	if (i < len) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	return xstrdup(out);
}

/* String member a (or a.b.c) of o, or NULL. */
static const char *
member_str(struct json_object *o, const char *a, const char *b,
    const char *c)
{
	const char *path[3] = { a, b, c };
	size_t i;

	if (o == NULL)
		return NULL;
	for (i = 0; i < 3 && path[i] != NULL; i++)
		if (!json_object_is_type(o, json_type_object) ||
		    !json_object_object_get_ex(o, path[i], &o))
			return NULL;
	return json_object_is_type(o, json_type_string) ?
	    json_object_get_string(o) : NULL;
}

/*
 * Sort one answer. text is zooid's "error" string, NULL when the body is
 * not a JSON object with one; json says whether it is a JSON object.
 */
static enum zooid_rc
judge(enum call c, long status, int json, const char *text)
{
	if (status >= 200 && status <= 299)
		return json ? ZOOID_OK : ZOOID_REJECTED;
	if (status == 401 || status == 403)
		return ZOOID_AUTH;
	if (status == 404)
		return c != CALL_CREATE && text != NULL &&
		    strcmp(text, NOT_FOUND_TEXT) == 0 ? ZOOID_NOT_FOUND :
		    ZOOID_REJECTED;
	if (status == 409) {
		if (c == CALL_CREATE && text != NULL &&
		    strcmp(text, EXISTS_TEXT) == 0)
			return ZOOID_EXISTS;
		/* Era C answered PUT/PATCH/DELETE of a missing id so (§4.4). */
		if (c != CALL_CREATE && text != NULL &&
		    strcmp(text, NOT_FOUND_TEXT) == 0)
			return ZOOID_NOT_FOUND;
		return ZOOID_CONFLICT;
	}
	/* Eras B1 and C: members of an unknown id (§4.4(3)). */
	if (status == 500 && c == CALL_MEMBERS && text != NULL &&
	    strstr(text, "no such file or directory") != NULL)
		return ZOOID_NOT_FOUND;
	if (status >= 500 || status == 408 || status == 429)
		return ZOOID_FAILED;
	return ZOOID_REJECTED;
}

/*
 * One call: sign, send, sort the answer. On ZOOID_OK r holds the reply
 * (the caller releases it); otherwise *err is set.
 */
static enum zooid_rc
call(const struct zooid *z, enum call c, const char *id,
    struct json_object *body, long *status, struct httpc_resp *r, char **err)
{
	struct httpc_req q;
	struct json_object *o = NULL;
	const char *method = calls[c].method, *hdr[4], *secrets[5];
	const char *text = NULL, *etext = NULL;
	char *url = NULL, *sig = NULL, *auth = NULL, *clean = NULL;
	char keyhex[65];
	size_t blen, tlen = 0, elen = 0, nh = 0;
	enum zooid_rc rc = ZOOID_REJECTED;

	memset(r, 0, sizeof(*r));
	*status = 0;
	*err = NULL;
	keyhex[0] = '\0';
	if (!zooid_id_ok(id)) {
		*err = xasprintf("zooid %s not sent: the relay id is not 1 to %d "
		    "of [A-Za-z0-9_-]", method, ZOOID_ID_MAX);
		return ZOOID_REJECTED;
	}
	if (!base_url_ok(z->base_url)) {
		*err = xasprintf("zooid %s /relay/%s%s not sent: ZOOID_API_URL is "
		    "not an http(s) URL without query", method, id,
		    calls[c].suffix);
		return ZOOID_REJECTED;
	}
	if (c != CALL_MEMBERS && !json_object_is_type(body,
	    json_type_object)) {
		*err = xasprintf("zooid %s /relay/%s not sent: the body is not a "
		    "JSON object", method, id);
		return ZOOID_REJECTED;
	}
	blen = strlen(z->base_url);
	while (blen > 0 && z->base_url[blen - 1] == '/')
		blen--;
	url = xasprintf("%.*s/relay/%s%s", (int)blen, z->base_url, id,
	    calls[c].suffix);
	if (body != NULL)
		text = json_text(body, &tlen);
	sig = nip98_header_alloc(z->secret, url, method,
	    (const unsigned char *)text, tlen, clock_now());
	if (sig == NULL) {
		*err = xasprintf("zooid %s /relay/%s%s not sent: ZOOID_API_SECRET "
		    "cannot sign", method, id, calls[c].suffix);
		goto out;
	}
	auth = xasprintf("Authorization: %s", sig);
	hdr[nh++] = auth;
	hdr[nh++] = "Accept: application/json";
	if (text != NULL)
		hdr[nh++] = "Content-Type: application/json";
	hdr[nh] = NULL;

	memset(&q, 0, sizeof(q));
	q.method = method;
	q.url = url;
	q.headers = hdr;
	q.body = text;
	q.bodylen = tlen;
	q.timeout_ms = (z->timeout > 0 ? z->timeout : 10) * 1000;
	if (httpc_do(&q, r) == -1) {
		*err = xasprintf("zooid %s /relay/%s%s failed: %s", method, id,
		    calls[c].suffix, r->err);
		rc = r->fail == HTTPC_ETOOBIG ? ZOOID_REJECTED : ZOOID_FAILED;
		goto out;
	}
	*status = r->status;
	if ((o = json_parse_object(r->body, r->len)) != NULL &&
	    json_get_str(o, "error", HTTPC_MAX_BODY, &etext, &elen) !=
	    JGET_OK)
		etext = NULL;
	rc = judge(c, r->status, o != NULL, etext);
	if (rc == ZOOID_OK)
		goto out;

	/* Never echo a secret, whatever zooid's text holds. */
	hex_encode(z->secret, 32, keyhex);
	nh = 0;
	secrets[nh++] = keyhex;
	if ((secrets[nh] = member_str(body, "secret", NULL, NULL)) != NULL)
		nh++;
	if ((secrets[nh] = member_str(body, "blossom", "s3",
	    "secret_key")) != NULL)
		nh++;
	if ((secrets[nh] = member_str(body, "livekit", "api_secret",
	    NULL)) != NULL)
		nh++;
	secrets[nh] = NULL;
	if (etext != NULL) {
		clean = zooid_clean_text(etext, elen, secrets);
		*err = xasprintf("zooid %s /relay/%s%s answered %ld: %s", method,
		    id, calls[c].suffix, r->status, clean);
	} else if (r->status / 100 == 2)
		*err = xasprintf("zooid %s /relay/%s%s answered %ld with a body "
		    "that is not zooid's JSON", method, id, calls[c].suffix,
		    r->status);
	else
		*err = xasprintf("zooid %s /relay/%s%s answered %ld without "
		    "zooid's JSON error%s", method, id, calls[c].suffix,
		    r->status, r->status == 404 || r->status == 405 ?
		    " (is ZOOID_API_URL zooid's API host?)" : "");
out:
	if (rc != ZOOID_OK) {
		httpc_resp_release(r);
		memset(r, 0, sizeof(*r));
	}
	if (o != NULL)
		json_object_put(o);
	explicit_zero(keyhex, sizeof(keyhex));
	if (sig != NULL) {
		explicit_zero(sig, strlen(sig));
		explicit_zero(auth, strlen(auth));
	}
	free(sig);
	free(auth);
	free(clean);
	free(url);
	return rc;
}

static enum zooid_rc
write_call(const struct zooid *z, enum call c, const char *id,
    struct json_object *body, long *status, char **err)
{
	struct httpc_resp r;
	enum zooid_rc rc;
	long st;

	rc = call(z, c, id, body, &st, &r, err);
	if (rc == ZOOID_OK)
		httpc_resp_release(&r);
	if (status != NULL)
		*status = st;
	return rc;
}

enum zooid_rc
zooid_relay_create(const struct zooid *z, const char *id,
    struct json_object *body, long *status, char **err)
{
	return write_call(z, CALL_CREATE, id, body, status, err);
}

enum zooid_rc
zooid_relay_patch(const struct zooid *z, const char *id,
    struct json_object *body, long *status, char **err)
{
	return write_call(z, CALL_PATCH, id, body, status, err);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void
zooid_members_free(char **m, size_t n)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < n; i++)
		free(m[i]);
	free(m);
}

int
zooid_members_parse(const char *body, size_t len, char ***mp, size_t *np,
    const char **why)
{
	struct json_object *o, *a, *e;
	char **m = NULL;
	size_t n = 0, i, cnt;
	int ret = -1;

	*mp = NULL;
	*np = 0;
	*why = NULL;
	if (body == NULL || len > HTTPC_MAX_BODY ||
	    (o = json_parse_object(body, len)) == NULL) {
		*why = "the reply is not one JSON object";
		return -1;
	}
	if (!json_object_object_get_ex(o, "members", &a) ||
	    !json_object_is_type(a, json_type_array)) {
		*why = "the reply has no \"members\" array";
		goto out;
	}
	if ((cnt = json_object_array_length(a)) > MEMBERS_MAX) {
		*why = "the reply lists too many members";
		goto out;
	}
	m = xcalloc(cnt > 0 ? cnt : 1, sizeof(*m));
	for (i = 0; i < cnt; i++) {
		e = json_object_array_get_idx(a, i);
		if (!json_object_is_type(e, json_type_string) ||
		    json_object_get_string_len(e) != 64 ||
		    !is_lower_hex(json_object_get_string(e), 64)) {
			*why = "a member is not 64 lower-case hex digits";
			goto out;
		}
		m[n++] = xstrdup(json_object_get_string(e));
	}
	qsort(m, n, sizeof(*m), cmp_str);
	for (i = 1; i < n; i++)
		if (strcmp(m[i - 1], m[i]) == 0) {
			*why = "a member is listed twice";
			goto out;
		}
	*mp = m;
	*np = n;
	m = NULL;
	ret = 0;
out:
	zooid_members_free(m, n);
	json_object_put(o);
	return ret;
}

enum zooid_rc
zooid_members(const struct zooid *z, const char *id, char ***members,
    size_t *n, char **err)
{
	struct httpc_resp r;
	const char *why;
	enum zooid_rc rc;
	long st;

	*members = NULL;
	*n = 0;
	rc = call(z, CALL_MEMBERS, id, NULL, &st, &r, err);
	if (rc != ZOOID_OK)
		return rc;
	if (zooid_members_parse(r.body, r.len, members, n, &why) == -1) {
		*err = xasprintf("zooid GET /relay/%s/members answered %ld: %s",
		    id, st, why);
		rc = ZOOID_REJECTED;
	}
	httpc_resp_release(&r);
	return rc;
}
