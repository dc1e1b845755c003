/* stripe.c: see stripe.h. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core.h"
#include "cfg.h"
#include "httpc.h"
#include "json.h"
#include "stripe.h"

#define MSG_MAX 200 /* bytes of Stripe's error message we keep */
#define REDACTED "[redacted]"

/* Waits before each retry; Stripe's SDK backs off from 0.5 s as well. */
static const long backoff_ms[STRIPE_RETRIES] = { 500, 1000, 2000 };

static int
is_idchar(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '_';
}

static void
sleep_ms(long ms)
{
	struct timespec ts;

	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		continue;
}

void
stripe_init(struct stripe *s, const struct config *cfg)
{
	s->base_url = cfg_str(cfg, CFG_STRIPE_API_URL);
	s->secret_key = cfg_str(cfg, CFG_STRIPE_SECRET_KEY);
	s->timeout = (long)cfg_int(cfg, CFG_HTTP_TIMEOUT);
	s->retries = STRIPE_RETRIES;
}

int
stripe_fail_missing(const struct stripe_fail *f)
{
	return f->status == 404 && (f->code[0] == '\0' ||
	    strcmp(f->code, "resource_missing") == 0);
}

void
stripe_fail_release(struct stripe_fail *f)
{
	free(f->msg);
	memset(f, 0, sizeof(*f));
}

int
stripe_id_ok(const char *s, const char *prefix)
{
	size_t n, len, i;

	if (s == NULL || prefix == NULL)
		return 0;
	n = strlen(prefix);
	len = strlen(s);
	if (len <= n || len > STRIPE_ID_MAX || strncmp(s, prefix, n) != 0)
		return 0;
	for (i = n; i < len; i++)
		if (!is_idchar((unsigned char)s[i]))
			return 0;
	return 1;
}

int
stripe_url_ok(const char *s, int https_only)
{
	size_t n, len, i;

	if (s == NULL)
		return 0;
	if (strncmp(s, "https://", 8) == 0)
		n = 8;
	else if (!https_only && strncmp(s, "http://", 7) == 0)
		n = 7;
	else
		return 0;
	len = strlen(s);
	if (len == n || len > STRIPE_URL_MAX || strchr("/?#", s[n]) != NULL)
		return 0;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return 0;
	return 1;
}

/*
 * Upstream text made fit for one log line: the secret key and every token
 * that starts like a Stripe secret ("sk_", "rk_": Stripe's 401 message
 * echoes the key, masked or not) are redacted; other bytes outside
 * printable ASCII become "?", and the result stops near MSG_MAX bytes.
 */
static char *
clean_text(const char *in, size_t len, const char *secret)
{
	char out[MSG_MAX + sizeof(REDACTED) + 8];
	size_t i = 0, o = 0, slen;
	unsigned char c;
	int word_start = 1; /* no [A-Za-z0-9_] byte just before in[i] */

	slen = secret != NULL ? strlen(secret) : 0;
	while (i < len && o < MSG_MAX) {
		c = (unsigned char)in[i];
		if (slen > 0 && len - i >= slen &&
		    memcmp(in + i, secret, slen) == 0) {
			memcpy(out + o, REDACTED, sizeof(REDACTED) - 1);
			o += sizeof(REDACTED) - 1;
			i += slen;
			word_start = 1;
			continue;
		}
		if (word_start && len - i >= 3 && (memcmp(in + i, "sk_", 3) ==
		    0 || memcmp(in + i, "rk_", 3) == 0)) {
			memcpy(out + o, in + i, 3);
			memcpy(out + o + 3, REDACTED, sizeof(REDACTED) - 1);
			o += 3 + sizeof(REDACTED) - 1;
			i += 3;
			while (i < len && (is_idchar((unsigned char)in[i]) ||
			    in[i] == '*'))
				i++;
			continue;
		}
		i++;
		word_start = !is_idchar(c);
		/* As zooid_clean_text: one "?" per character, never none. */
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

/*
 * A slug from Stripe ("card_error"): [a-z0-9_] only, and nothing shaped
 * like a key or holding ours (an echo must not dodge clean_text()), or
 * not shown.
 */
static const char *
slug(struct json_object *e, const char *key, const char *secret)
{
	const char *s;
	size_t len, i;

	if (json_get_str(e, key, 64, &s, &len) != JGET_OK || len == 0 ||
	    strncmp(s, "sk_", 3) == 0 || strncmp(s, "rk_", 3) == 0 ||
	    (secret != NULL && *secret != '\0' && strstr(s, secret) != NULL))
		return NULL;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return NULL;
	return s;
}

int
stripe_reply_parse(const char *secret, long status, const char *body,
    size_t len, struct json_object **objp, char **err_out)
{
	struct json_object *o = NULL, *e;
	const char *type = NULL, *code = NULL, *msg = NULL;
	char *cmsg = NULL;
	size_t mlen = 0;

	*objp = NULL;
	*err_out = NULL;
	if (body != NULL && len <= HTTPC_MAX_BODY)
		o = json_parse_object(body, len);
	if (status >= 200 && status <= 299) {
		if (o != NULL) {
			*objp = o;
			return 0;
		}
		*err_out = xasprintf("answered %ld with a body that is not one "
		    "JSON object", status);
		return -1;
	}
	if (o != NULL && json_object_object_get_ex(o, "error", &e) &&
	    json_object_is_type(e, json_type_object)) {
		type = slug(e, "type", secret);
		code = slug(e, "code", secret);
		if (json_get_str(e, "message", HTTPC_MAX_BODY, &msg, &mlen) ==
		    JGET_OK)
			cmsg = clean_text(msg, mlen, secret);
	}
	if (type == NULL && cmsg == NULL)
		*err_out = xasprintf("answered %ld without a Stripe error object",
		    status);
	else
		*err_out = xasprintf("answered %ld %s%s%s%s%s%s", status,
		    type != NULL ? type : "error",
		    code != NULL ? " (" : "", code != NULL ? code : "",
		    code != NULL ? ")" : "", cmsg != NULL ? ": " : "",
		    cmsg != NULL ? cmsg : "");
	free(cmsg);
	if (o != NULL)
		json_object_put(o);
	return -1;
}

int
stripe_reply_id(struct json_object *o, const char *field, const char *prefix,
    char **out, char **err_out)
{
	const char *s;

	*out = NULL;
	if (json_get_str(o, field, STRIPE_ID_MAX, &s, NULL) != JGET_OK ||
	    !stripe_id_ok(s, prefix)) {
		*err_out = xasprintf("Stripe's reply has no valid \"%s\" (%s...)",
		    field, prefix);
		return -1;
	}
	*out = xstrdup(s);
	return 0;
}

int
stripe_reply_url(struct json_object *o, const char *field, char **out,
    char **err_out)
{
	const char *s;

	*out = NULL;
	if (json_get_str(o, field, STRIPE_URL_MAX, &s, NULL) != JGET_OK ||
	    !stripe_url_ok(s, 1)) {
		*err_out = xasprintf("Stripe's reply has no valid \"%s\" "
		    "(https URL)", field);
		return -1;
	}
	*out = xstrdup(s);
	return 0;
}

/* Settings judged before anything is sent; the key is never echoed. */
static const char *
settings_problem(const struct stripe *s)
{
	size_t len, i;

	if (s->secret_key == NULL || s->secret_key[0] == '\0')
		return "is not configured (STRIPE_SECRET_KEY is empty)";
	len = strlen(s->secret_key);
	for (i = 0; i < len; i++)
		if (!is_idchar((unsigned char)s->secret_key[i]))
			break;
	if (len < 8 || len > 255 || i < len)
		return "is misconfigured (STRIPE_SECRET_KEY is malformed)";
	if (s->base_url == NULL || !stripe_url_ok(s->base_url, 0))
		return "is misconfigured "
		    "(STRIPE_API_URL is not an http(s) URL)";
	return NULL;
}

/*
 * Stripe-Should-Retry wins; otherwise 409 (the key is still in flight),
 * 429 (rate limits run before the idempotency layer) and 5xx.
 */
static int
should_retry(const struct httpc_resp *r)
{
	const char *h = r->captured[1];

	if (h != NULL && strcmp(h, "false") == 0)
		return 0;
	if (h != NULL && strcmp(h, "true") == 0)
		return 1;
	return r->status == 409 || r->status == 429 || r->status >= 500;
}

/* Stripe's error.type and error.code of a failed reply, if any. */
static void
fail_slugs(struct stripe_fail *f, const char *body, size_t len,
    const char *secret)
{
	struct json_object *o, *e;
	const char *v;

	if (body == NULL || len > HTTPC_MAX_BODY ||
	    (o = json_parse_object(body, len)) == NULL)
		return;
	if (json_object_object_get_ex(o, "error", &e) &&
	    json_object_is_type(e, json_type_object)) {
		if ((v = slug(e, "type", secret)) != NULL)
			snprintf(f->type, sizeof(f->type), "%s", v);
		if ((v = slug(e, "code", secret)) != NULL)
			snprintf(f->code, sizeof(f->code), "%s", v);
	}
	json_object_put(o);
}

int
stripe_call(const struct stripe *s, const char *method, const char *path,
    const struct form *f, const char *idem, struct json_object **objp,
    struct stripe_fail *fail)
{
	struct httpc_req q;
	struct httpc_resp r;
	const char *hdr[6], *problem, *rid;
	char *url = NULL, *auth = NULL, *idh = NULL, *detail = NULL;
	size_t nh = 0, blen;
	int post, safe, attempt, ret = -1;

	*objp = NULL;
	memset(fail, 0, sizeof(*fail));
	memset(&r, 0, sizeof(r));
	post = strcmp(method, "POST") == 0;
	if ((problem = settings_problem(s)) != NULL) {
		fail->msg = xasprintf("Stripe %s", problem);
		return -1;
	}
	if (idem != NULL && (!post || strlen(idem) > 255 ||
	    strspn(idem, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789-_:.") != strlen(idem))) {
		fail->msg = xasprintf("Stripe %s %s not sent: bad idempotency "
		    "key", method, path);
		return -1;
	}
	safe = !post || idem != NULL;
	blen = strlen(s->base_url);
	while (blen > 0 && s->base_url[blen - 1] == '/')
		blen--;
	if (!post && f != NULL && f->len > 0)
		url = xasprintf("%.*s%s?%s", (int)blen, s->base_url, path,
		    form_body(f));
	else
		url = xasprintf("%.*s%s", (int)blen, s->base_url, path);
	auth = xasprintf("Authorization: Bearer %s", s->secret_key);
	hdr[nh++] = auth;
	hdr[nh++] = "Stripe-Version: " STRIPE_API_VERSION;
	hdr[nh++] = "Accept: application/json";
	if (post)
		hdr[nh++] = "Content-Type: application/x-www-form-urlencoded";
	if (idem != NULL) {
		idh = xasprintf("Idempotency-Key: %s", idem);
		hdr[nh++] = idh;
	}
	hdr[nh] = NULL;

	memset(&q, 0, sizeof(q));
	q.method = method;
	q.url = url;
	q.headers = hdr;
	if (post) {
		q.body = f != NULL ? form_body(f) : "";
		q.bodylen = f != NULL ? f->len : 0;
	}
	q.timeout_ms = (s->timeout > 0 ? s->timeout : 10) * 1000;
	q.capture[0] = "Request-Id";
	q.capture[1] = "Stripe-Should-Retry";
	for (attempt = 0;; attempt++) {
		if (httpc_do(&q, &r) == -1) {
			if (safe && r.fail != HTTPC_ETOOBIG &&
			    attempt < s->retries && attempt < STRIPE_RETRIES) {
				httpc_resp_release(&r);
				sleep_ms(backoff_ms[attempt]);
				continue;
			}
			detail = xasprintf("failed: %s", r.err);
			goto out;
		}
		if (!safe || attempt >= s->retries ||
		    attempt >= STRIPE_RETRIES || !should_retry(&r))
			break;
		httpc_resp_release(&r);
		sleep_ms(backoff_ms[attempt]);
	}
	fail->status = r.status;
	if (stripe_reply_parse(s->secret_key, r.status, r.body, r.len, objp,
	    &detail) == 0)
		ret = 0;
	else
		fail_slugs(fail, r.body, r.len, s->secret_key);
out:
	if (ret == -1) {
		rid = r.captured[0];
		fail->msg = xasprintf("Stripe %s %s %s%s%s%s", method, path,
		    detail, stripe_id_ok(rid, "req_") ? " [" : "",
		    stripe_id_ok(rid, "req_") ? rid : "",
		    stripe_id_ok(rid, "req_") ? "]" : "");
	}
	httpc_resp_release(&r);
	explicit_zero(auth, strlen(auth));
	free(auth);
	free(url);
	free(idh);
	free(detail);
	return ret;
}

int
stripe_request(const struct stripe *s, const char *method, const char *path,
    const struct form *f, const char *idem, struct json_object **objp,
    char **err_out)
{
	struct stripe_fail fail;
	int rc;

	rc = stripe_call(s, method, path, f, idem, objp, &fail);
	*err_out = fail.msg;
	return rc;
}

/*
 * The key depends on the pubkey only, so the parameters sent for one
 * pubkey must never vary either: Stripe answers a reused key with other
 * parameters with idempotency_error.
 */
int
stripe_customer_create_call(const struct stripe *s, const char *pk,
    char **idp, struct stripe_fail *fail)
{
	struct form f;
	struct json_object *o = NULL;
	char idem[96];
	int ret;

	*idp = NULL;
	memset(fail, 0, sizeof(*fail));
	if (pk == NULL || strlen(pk) != 64 || !is_lower_hex(pk, 64)) {
		fail->msg = xstrdup("Stripe POST /v1/customers not sent: the "
		    "tenant pubkey is not 64 lower-case hex digits");
		return -1;
	}
	snprintf(idem, sizeof(idem), "caravel-customer-%s", pk);
	form_init(&f);
	form_add(&f, "metadata[tenant_pubkey]", pk);
	ret = stripe_call(s, "POST", "/v1/customers", &f, idem, &o, fail);
	if (ret == 0)
		ret = stripe_reply_id(o, "id", "cus_", idp, &fail->msg);
	if (o != NULL)
		json_object_put(o);
	form_release(&f);
	return ret;
}

int
stripe_customer_create(const struct stripe *s, const char *pk, char **idp,
    char **err_out)
{
	struct stripe_fail fail;
	int rc;

	rc = stripe_customer_create_call(s, pk, idp, &fail);
	*err_out = fail.msg;
	return rc;
}

int
stripe_portal_session_create(const struct stripe *s, const char *customer,
    const char *return_url, char **urlp, char **err_out)
{
	struct form f;
	struct json_object *o = NULL;
	int ret;

	*urlp = NULL;
	*err_out = NULL;
	if (!stripe_id_ok(customer, "cus_")) {
		*err_out = xstrdup("Stripe POST /v1/billing_portal/sessions "
		    "not sent: the customer id is malformed");
		return -1;
	}
	if (!stripe_url_ok(return_url, 0)) {
		*err_out = xstrdup("Stripe POST /v1/billing_portal/sessions "
		    "not sent: the return URL is not an http(s) URL");
		return -1;
	}
	form_init(&f);
	form_add(&f, "customer", customer);
	form_add(&f, "return_url", return_url);
	ret = stripe_request(s, "POST", "/v1/billing_portal/sessions", &f,
	    NULL, &o, err_out);
	if (ret == 0)
		ret = stripe_reply_url(o, "url", urlp, err_out);
	if (o != NULL)
		json_object_put(o);
	form_release(&f);
	return ret;
}
