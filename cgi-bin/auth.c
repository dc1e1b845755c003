/*
 * auth.c: who is calling (spec/api.md §3). Session-style NIP-98 by
 * default: kind, recomputed id and signature, the "u" host equal to HOST,
 * and created_at within AUTH_MAX_AGE; AUTH_STRICT=1 adds the standard
 * NIP-98 binding to the exact URL, method and body.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "http.h"
#include "nostr.h"

#define AUTH_MAX_FUTURE 60 /* seconds a token may be dated ahead */
#define AUTH_CACHE_SLOTS 256

/*
 * Verified headers, keyed by SHA-256 of the header (and in strict mode of
 * the method, URL and body it was checked against). A hit is re-checked
 * against the age limit, so the cache never accepts an expired token.
 */
static struct auth_slot {
	unsigned char key[32];
	char pubkey[65];
	int64_t created_at;
	int used;
} auth_cache[AUTH_CACHE_SLOTS];

/*
 * Why a NIP-98 check failed, as a metrics label: the first row whose text
 * the sentence contains. The sentences come from nip98.c and event.c;
 * what no row names counts as "invalid_event" (parse, id, signature).
 */
static const struct {
	const char *in, *label;
} reason_of[] = {
	{ "header is missing", "missing" },
	{ "too large", "too_large" },
	{ "not Nostr", "not_nostr" },
	{ "base64", "not_base64" },
	{ "kind", "wrong_kind" },
	{ "no u tag", "no_u_tag" },
	{ "host does not match", "wrong_host" },
	{ "too old", "expired" },
	{ "expired", "expired" },
	{ "future", "future" },
	{ "method", "wrong_method" },
	{ "u tag does not match", "wrong_url" },
	{ "payload", "wrong_payload" },
};
const char *const auth_reasons[] = { "missing", "too_large", "not_nostr",
	"not_base64", "wrong_kind", "no_u_tag", "wrong_host", "expired",
	"future", "wrong_method", "wrong_url", "wrong_payload",
	"invalid_event" };
const size_t auth_nreasons = nitems(auth_reasons);

/* Count a failed check by its reason, and answer 401 with its sentence. */
static enum status
auth_fail(struct req *r, struct resp *w, const char *why)
{
	size_t i, j;

	for (i = 0; i < nitems(reason_of); i++)
		if (strstr(why, reason_of[i].in) != NULL)
			break;
	for (j = 0; j < auth_nreasons; j++)
		if (strcmp(auth_reasons[j], i < nitems(reason_of) ?
		    reason_of[i].label : "invalid_event") == 0)
			break;
	metrics_auth_failure(&r->app->metrics, j);
	return resp_fail(w, ST_UNAUTHORIZED, why);
}

void
auth_cache_clear(void)
{
	memset(auth_cache, 0, sizeof(auth_cache));
}

static void
auth_key(struct req *r, const char *url, int strict, unsigned char key[32])
{
	char *buf;
	size_t hl = strlen(r->authorization), ml, ul, n;

	if (!strict) {
		nostr_sha256(r->authorization, hl, key);
		return;
	}
	ml = strlen(r->method_name);
	ul = strlen(url);
	n = hl + ml + ul + r->body_len + 3;
	buf = arena_alloc(&r->arena, n);
	memcpy(buf, r->authorization, hl);
	memcpy(buf + hl + 1, r->method_name, ml);
	memcpy(buf + hl + ml + 2, url, ul);
	memcpy(buf + hl + ml + ul + 3, r->body, r->body_len);
	nostr_sha256(buf, n, key);
}

static int
auth_fresh(int64_t created_at, int64_t now, int64_t max_age)
{
	return (max_age == 0 || created_at >= now - max_age) &&
	    created_at <= now + AUTH_MAX_FUTURE;
}

/*
 * 401 with a sentence naming the failed check, or ST_OK with r->signer,
 * r->is_admin and r->authed set.
 */
enum status
auth_check(struct req *r, struct resp *w)
{
	const struct config *c = &r->app->cfg;
	struct nip98_rules rules;
	struct nip98_auth auth;
	struct auth_slot *slot;
	unsigned char key[32];
	const char *why = NULL, *url = NULL;
	int64_t now = clock_now(), max_age = cfg_int(c, CFG_AUTH_MAX_AGE);
	int strict = cfg_int(c, CFG_AUTH_STRICT) != 0;

	if (r->authorization == NULL || *r->authorization == '\0')
		return auth_fail(r, w, "the Authorization header is missing");
	/*
	 * NIP-98 strict: the u tag is the URL the client called. Behind a
	 * proxy that ends TLS, the request nginx passes on is not that URL,
	 * so API_URL, when set, names its scheme, host and base path.
	 */
	if (strict && cfg_isset(c, CFG_API_URL))
		url = arena_printf(&r->arena, "%s%s", cfg_str(c, CFG_API_URL),
		    r->request_uri != NULL ? r->request_uri : r->path);
	else if (strict)
		url = arena_printf(&r->arena, "%s://%s%s",
		    r->https ? "https" : "http",
		    r->http_host != NULL ? r->http_host : cfg_str(c, CFG_HOST),
		    r->request_uri != NULL ? r->request_uri : r->path);
	auth_key(r, url, strict, key);
	slot = &auth_cache[key[0] % AUTH_CACHE_SLOTS];
	if (slot->used && memcmp(slot->key, key, sizeof(key)) == 0) {
		if (!auth_fresh(slot->created_at, now, max_age)) {
			slot->used = 0;
			return auth_fail(r, w, "the NIP-98 token has expired "
			    "(created_at is older than AUTH_MAX_AGE)");
		}
		memcpy(r->signer, slot->pubkey, sizeof(r->signer));
	} else {
		memset(&rules, 0, sizeof(rules));
		rules.host = cfg_str(c, CFG_HOST);
		rules.now = now;
		rules.max_age = max_age;
		rules.max_future = AUTH_MAX_FUTURE;
		rules.strict = strict;
		rules.method = r->method_name;
		rules.url = url;
		rules.body = r->body_len > 0 ? (unsigned char *)r->body : NULL;
		rules.body_len = r->body_len;
		if (nip98_verify(r->authorization, &rules, &auth, &why) == -1)
			return auth_fail(r, w, why);
		memcpy(r->signer, auth.pubkey_hex, sizeof(r->signer));
		memcpy(slot->key, key, sizeof(key));
		memcpy(slot->pubkey, auth.pubkey_hex, sizeof(slot->pubkey));
		slot->created_at = auth.created_at;
		slot->used = 1;
	}
	r->authed = 1;
	r->is_admin = cfg_is_admin(c, r->signer);
	return ST_OK;
}
