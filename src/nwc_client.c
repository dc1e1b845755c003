/* nwc_client.c: NIP-47 requests and replies (see nwc.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core.h"
#include "crypt.h"
#include "json.h"
#include "nostr.h"
#include "nwc.h"
#include "relay.h"

#define NWC_INFO_KIND 13194
#define NWC_REQUEST_KIND 23194
#define NWC_RESPONSE_KIND 23195
#define NWC_REPLY_MAX 65536 /* bytes of decrypted reply we read */

enum nwc_enc { ENC_UNKNOWN, ENC_NIP44, ENC_NIP04 };

struct nwc {
	struct relay_session *rs;
	const char *relay[NWC_MAX_RELAYS];
	size_t nrelay;
	struct arena a; /* the relay URLs */
	unsigned char sk[32], pk[32], wallet[32];
	char wallet_hex[65];
	unsigned char ck[32]; /* NIP-44 conversation key with the wallet */
	enum nwc_enc enc;
	long timeout_ms, pay_timeout_ms;
};

/* NIP-47 error codes and what each means for the tenant. */
static const struct {
	const char *code;
	const char *sentence;
} codes[] = {
	{ "RATE_LIMITED", "your wallet is limiting how often it may be "
	    "asked; it will be asked again later" },
	{ "NOT_IMPLEMENTED", "your wallet does not support this kind of "
	    "request" },
	{ "INSUFFICIENT_BALANCE", "your wallet does not hold enough funds "
	    "to pay this invoice" },
	{ "QUOTA_EXCEEDED", "this wallet connection has used up its spending "
	    "budget; raise the budget in your wallet's app connections" },
	{ "RESTRICTED", "this wallet connection is not allowed to do this; "
	    "give it the permission to pay invoices" },
	{ "UNAUTHORIZED", "your wallet does not know this connection any "
	    "more; connect your wallet again" },
	{ "INTERNAL", "your wallet had an internal error" },
	{ "UNSUPPORTED_ENCRYPTION", "your wallet and Caravel share no "
	    "encryption scheme (NIP-44 or NIP-04)" },
	{ "PAYMENT_FAILED", "your wallet could not make the payment (no route "
	    "or the payment was refused)" },
	{ "NOT_FOUND", "your wallet does not know this invoice" },
	{ "OTHER", "your wallet refused the request" },
};

const char *
nwc_code_sentence(const char *code)
{
	size_t i;

	for (i = 0; i < nitems(codes); i++)
		if (strcmp(code, codes[i].code) == 0)
			return codes[i].sentence;
	return codes[nitems(codes) - 1].sentence;
}

static void
err_set(struct nwc_error *e, enum nwc_fail kind, const char *code,
    const char *message, const char *sentence)
{
	e->kind = kind;
	snprintf(e->code, sizeof(e->code), "%s", code != NULL ? code : "");
	relay_text_copy(e->message, sizeof(e->message), message != NULL ?
	    message : "", message != NULL ? strlen(message) : 0);
	snprintf(e->sentence, sizeof(e->sentence), "%s", sentence);
}

struct nwc *
nwc_open(const struct nwc_uri *u, const struct nwc_opts *o)
{
	struct relay_opts ro;
	struct nwc *w;
	size_t i;

	w = xcalloc(1, sizeof(*w));
	if (hex_decode(u->secret, 64, w->sk, 32) == -1 ||
	    nostr_pubkey(w->sk, w->pk) == -1 ||
	    hex_decode(u->wallet_pubkey, 64, w->wallet, 32) == -1 ||
	    nip44_conversation_key(w->sk, w->wallet, w->ck) == -1) {
		nwc_close(w);
		return NULL;
	}
	memcpy(w->wallet_hex, u->wallet_pubkey, 65);
	for (i = 0; i < u->nrelay && i < NWC_MAX_RELAYS; i++)
		w->relay[i] = arena_strdup(&w->a, u->relay[i]);
	w->nrelay = i;
	w->timeout_ms = o != NULL && o->timeout_ms > 0 ? o->timeout_ms :
	    NWC_TIMEOUT_MS;
	w->pay_timeout_ms = o != NULL && o->pay_timeout_ms > 0 ?
	    o->pay_timeout_ms : NWC_PAY_TIMEOUT_MS;
	memset(&ro, 0, sizeof(ro));
	ro.timeout_ms = w->timeout_ms;
	ro.connect_timeout_ms = w->timeout_ms;
	ro.ca_file = o != NULL ? o->ca_file : NULL;
	ro.public_only = o != NULL && o->public_only;
	ro.max_events = 8;
	/* NWC relays may ask for AUTH by the connection's key (NIP-47). */
	w->rs = relay_session_new(&ro, w->sk);
	return w;
}

void
nwc_close(struct nwc *w)
{
	if (w == NULL)
		return;
	relay_session_free(w->rs);
	arena_free(&w->a);
	explicit_zero(w->sk, sizeof(w->sk));
	explicit_zero(w->ck, sizeof(w->ck));
	free(w);
}

const char *
nwc_encryption(const struct nwc *w)
{
	return w->enc == ENC_NIP44 ? "nip44_v2" : w->enc == ENC_NIP04 ?
	    "nip04" : "unknown";
}

/* Does the space-separated list name word? */
static int
list_has(const char *list, const char *word)
{
	size_t n = strlen(word);
	const char *p;

	for (p = list; (p = strstr(p, word)) != NULL; p += n)
		if ((p == list || p[-1] == ' ' || p[-1] == ',') &&
		    (p[n] == '\0' || p[n] == ' ' || p[n] == ','))
			return 1;
	return 0;
}

/* The value of the first tag named name in a tags array, or NULL. */
static const char *
tag_value(struct json_object *tags, const char *name)
{
	struct json_object *t;
	size_t i, n;

	n = json_object_array_length(tags);
	for (i = 0; i < n; i++) {
		t = json_object_array_get_idx(tags, i);
		if (!json_object_is_type(t, json_type_array) ||
		    json_object_array_length(t) < 2 ||
		    !json_object_is_type(json_object_array_get_idx(t, 0),
		    json_type_string) ||
		    !json_object_is_type(json_object_array_get_idx(t, 1),
		    json_type_string))
			continue;
		if (strcmp(json_object_get_string(json_object_array_get_idx(t,
		    0)), name) == 0)
			return json_object_get_string(
			    json_object_array_get_idx(t, 1));
	}
	return NULL;
}

const char *
nwc_encryption_choose(struct json_object *tags)
{
	const char *enc, *v;

	if (tags == NULL || !json_object_is_type(tags, json_type_array))
		return "nip04";
	if ((enc = tag_value(tags, "encryption")) == NULL) {
		/* Alby's interim signal: ["v", "1.0"] meant NIP-44. */
		v = tag_value(tags, "v");
		return v != NULL && list_has(v, "1.0") ? "nip44_v2" : "nip04";
	}
	if (list_has(enc, "nip44_v2"))
		return "nip44_v2";
	if (list_has(enc, "nip04"))
		return "nip04";
	return NULL;
}

int
nwc_reply_parse(const char *text, size_t len, const char *method,
    struct json_object **result, struct nwc_error *e)
{
	struct json_object *o, *err, *r;
	const char *s, *code, *msg;
	char cbuf[33];
	size_t n;
	int rc = -1;

	*result = NULL;
	memset(e, 0, sizeof(*e));
	if (len > NWC_REPLY_MAX || (o = json_parse_object(text, len)) == NULL) {
		err_set(e, NWC_E_REPLY, NULL, NULL, "your wallet's answer could "
		    "not be read");
		return -1;
	}
	if (json_get_str(o, "result_type", 64, &s, NULL) == JGET_OK &&
	    strcmp(s, method) != 0) {
		err_set(e, NWC_E_REPLY, NULL, s, "your wallet answered another "
		    "kind of request");
		goto out;
	}
	if (json_object_object_get_ex(o, "error", &err) && err != NULL) {
		code = "OTHER";
		msg = NULL;
		if (json_object_is_type(err, json_type_object)) {
			if (json_get_str(err, "code", 32, &s, &n) == JGET_OK &&
			    n > 0 && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_") ==
			    n) {
				memcpy(cbuf, s, n + 1);
				code = cbuf;
			}
			(void)json_get_str(err, "message", 4096, &msg, NULL);
		}
		err_set(e, NWC_E_WALLET, code, msg, nwc_code_sentence(code));
		goto out;
	}
	if (!json_object_object_get_ex(o, "result", &r) ||
	    !json_object_is_type(r, json_type_object)) {
		err_set(e, NWC_E_REPLY, NULL, NULL, "your wallet's answer has "
		    "no result");
		goto out;
	}
	*result = json_object_get(r);
	rc = 0;
out:
	json_object_put(o);
	return rc;
}

/* Why a call reached no relay, from the relays' results. */
static void
err_relays(struct nwc *w, struct nwc_error *e, const struct relay_result *res,
    long timeout_ms)
{
	char sentence[NWC_TEXT_MAX];
	size_t i;
	int timeout = 0;

	for (i = 0; i < w->nrelay; i++)
		if (res[i].status == RELAY_TIMEOUT)
			timeout = 1;
	if (timeout) {
		snprintf(sentence, sizeof(sentence), "your wallet did not "
		    "answer within %ld seconds", timeout_ms / 1000);
		err_set(e, NWC_E_TIMEOUT, NULL, w->nrelay > 0 ? res[0].msg :
		    "", sentence);
	} else
		err_set(e, NWC_E_UNREACHABLE, NULL, w->nrelay > 0 ?
		    res[0].msg : "", "none of your wallet's relays could be "
		    "reached or took the request");
}

/* The encryption the wallet's newest info event asks for (NIP-47). */
static int
discover(struct nwc *w, struct nwc_error *e)
{
	struct relay_events evs;
	struct relay_result res[NWC_MAX_RELAYS];
	struct nostr_event info;
	const char *scheme;
	char filter[160];
	int rc = -1;

	if (w->enc != ENC_UNKNOWN)
		return 0;
	snprintf(filter, sizeof(filter), "{\"kinds\":[%d],\"authors\":"
	    "[\"%s\"],\"limit\":1}", NWC_INFO_KIND, w->wallet_hex);
	relay_events_init(&evs);
	memset(res, 0, sizeof(res));
	if (relay_session_query(w->rs, w->relay, w->nrelay, filter, &evs,
	    res) == -1) {
		err_set(e, NWC_E_INFO, NULL, NULL, "the wallet URL is unusable");
		goto out;
	}
	if (relay_events_newest(&evs, NWC_INFO_KIND, w->wallet, &info) == -1) {
		if (res[0].status != RELAY_OK) {
			err_relays(w, e, res, w->timeout_ms);
			/* Whatever went wrong, no request was sent. */
			e->kind = NWC_E_INFO;
		} else
			err_set(e, NWC_E_INFO, NULL, NULL, "your wallet "
			    "publishes no NIP-47 info event on its relays");
		goto out;
	}
	if ((scheme = nwc_encryption_choose(info.tags)) == NULL)
		err_set(e, NWC_E_INFO, "UNSUPPORTED_ENCRYPTION", NULL,
		    nwc_code_sentence("UNSUPPORTED_ENCRYPTION"));
	else {
		w->enc = strcmp(scheme, "nip44_v2") == 0 ? ENC_NIP44 :
		    ENC_NIP04;
		rc = 0;
	}
	nostr_event_release(&info);
out:
	relay_events_release(&evs);
	return rc;
}

struct reply_match {
	const struct nwc *w;
	const unsigned char *req_id;
};

/* A reply is kind 23195 by the wallet naming our request in an "e" tag. */
static int
reply_accept(void *arg, const struct nostr_event *ev)
{
	const struct reply_match *m = arg;
	struct json_object *t;
	const char *v;
	unsigned char id[32];
	size_t i, n;

	if (ev->kind != NWC_RESPONSE_KIND || memcmp(ev->pubkey, m->w->wallet,
	    32) != 0)
		return 0;
	n = json_object_array_length(ev->tags);
	for (i = 0; i < n; i++) {
		t = json_object_array_get_idx(ev->tags, i);
		if (json_object_array_length(t) < 2 || strcmp(
		    json_object_get_string(json_object_array_get_idx(t, 0)),
		    "e") != 0)
			continue;
		v = json_object_get_string(json_object_array_get_idx(t, 1));
		if (strlen(v) == 64 && hex_decode(v, 64, id, 32) == 0 &&
		    memcmp(id, m->req_id, 32) == 0)
			return 1;
	}
	return 0;
}

/*
 * Decrypt a reply in whichever scheme its shape shows (NIP-04 has ?iv=)
 * and read it as the answer to method.
 */
static int
reply_open(struct nwc *w, const struct nostr_event *ev, const char *method,
    struct json_object **result, struct nwc_error *e)
{
	unsigned char *plain = NULL;
	const char *why;
	size_t len = 0;
	int rc;

	if (ev->content_len > NWC_REPLY_MAX * 2)
		rc = -1;
	else if (memmem(ev->content, ev->content_len, "?iv=", 4) != NULL)
		rc = nip04_decrypt_alloc(w->sk, w->wallet, ev->content,
		    ev->content_len, &plain, &len, &why);
	else
		rc = nip44_decrypt_alloc(w->ck, ev->content, ev->content_len,
		    &plain, &len, &why);
	if (rc == 0)
		rc = nwc_reply_parse((const char *)plain, len, method, result,
		    e);
	else
		err_set(e, NWC_E_REPLY, NULL, NULL, "your wallet's answer could "
		    "not be decrypted");
	if (plain != NULL) {
		explicit_zero(plain, len);
		free(plain);
	}
	return rc;
}

/*
 * One request: params (a JSON object, taken) under method; the reply's
 * "result" object lands in *result (caller puts it).
 */
static int
call(struct nwc *w, const char *method, struct json_object *params,
    long timeout_ms, struct json_object **result, struct nwc_error *e)
{
	struct relay_result res[NWC_MAX_RELAYS];
	struct nostr_event req, reply;
	struct reply_match match;
	struct json_object *body;
	const char *text, *tag[2];
	char *content = NULL, filter[256], idhex[65], exp[24];
	size_t len;
	int64_t now = (int64_t)time(NULL);
	int rc = -1;

	*result = NULL;
	memset(e, 0, sizeof(*e));
	nostr_event_init(&req);
	/* Filled by relay_session_rpc() only; all zero releases as nothing. */
	memset(&reply, 0, sizeof(reply));
	body = jobj();
	jadd_str(body, "method", method);
	jadd(body, "params", params);
	if (discover(w, e) == -1)
		goto out;
	text = json_text(body, &len);
	content = w->enc == ENC_NIP44 ? nip44_encrypt_alloc(w->ck,
	    (const unsigned char *)text, len, NULL) : nip04_encrypt_alloc(w->sk,
	    w->wallet, (const unsigned char *)text, len, NULL);
	if (content == NULL) {
		err_set(e, NWC_E_REPLY, NULL, NULL, "the request could not be "
		    "encrypted");
		goto out;
	}
	req.kind = NWC_REQUEST_KIND;
	/* The relays' clocks, not a test's pinned one. */
	req.created_at = now;
	nostr_event_set_content(&req, content, strlen(content));
	tag[0] = "p";
	tag[1] = w->wallet_hex;
	nostr_event_add_tag(&req, 2, tag);
	if (w->enc == ENC_NIP44) {
		tag[0] = "encryption";
		tag[1] = "nip44_v2";
		nostr_event_add_tag(&req, 2, tag);
	}
	/* A request the wallet sees after we gave up must not run. */
	snprintf(exp, sizeof(exp), "%lld", (long long)(now + timeout_ms /
	    1000 + 5));
	tag[0] = "expiration";
	tag[1] = exp;
	nostr_event_add_tag(&req, 2, tag);
	if (nostr_event_sign(&req, w->sk) == -1) {
		err_set(e, NWC_E_REPLY, NULL, NULL, "the request could not be "
		    "signed");
		goto out;
	}
	hex_encode(req.id, 32, idhex);
	snprintf(filter, sizeof(filter), "{\"kinds\":[%d],\"authors\":[\"%s\"],"
	    "\"#e\":[\"%s\"]}", NWC_RESPONSE_KIND, w->wallet_hex, idhex);
	match.w = w;
	match.req_id = req.id;
	memset(res, 0, sizeof(res));
	if (relay_session_rpc(w->rs, w->relay, w->nrelay, filter, &req,
	    timeout_ms, reply_accept, &match, &reply, res) == -1) {
		err_relays(w, e, res, timeout_ms);
		goto out;
	}
	rc = reply_open(w, &reply, method, result, e);
out:
	json_object_put(body);
	free(content);
	nostr_event_release(&req);
	nostr_event_release(&reply);
	return rc;
}

static void
copy_hex64(struct json_object *o, const char *key, char out[65])
{
	const char *s;
	size_t len;

	out[0] = '\0';
	if (json_get_str(o, key, 64, &s, &len) == JGET_OK && len == 64 &&
	    is_lower_hex(s, 64))
		memcpy(out, s, 65);
}

static int64_t
opt_int(struct json_object *o, const char *key)
{
	int64_t v;

	return json_get_int(o, key, 0, INT64_MAX / 4, &v) == JGET_OK ? v : -1;
}

/* make_invoice / lookup_invoice result fields (NIP-47 "Transaction"). */
static void
tx_read(struct arena *a, struct json_object *r, struct nwc_tx *tx)
{
	const char *s;
	size_t len;

	memset(tx, 0, sizeof(*tx));
	if (json_get_str(r, "invoice", NWC_BOLT11_MAX, &s, &len) == JGET_OK &&
	    len > 0 && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == len)
		tx->invoice = arena_strdup(a, s);
	copy_hex64(r, "payment_hash", tx->payment_hash);
	copy_hex64(r, "preimage", tx->preimage);
	tx->amount = opt_int(r, "amount");
	tx->created_at = opt_int(r, "created_at");
	tx->expires_at = opt_int(r, "expires_at");
	tx->settled_at = opt_int(r, "settled_at");
	if (tx->settled_at == 0)
		tx->settled_at = -1;
	if (json_get_str(r, "state", sizeof(tx->state) - 1, &s, &len) ==
	    JGET_OK && strspn(s, "abcdefghijklmnopqrstuvwxyz") == len)
		memcpy(tx->state, s, len + 1);
}

int
nwc_tx_settled(const struct nwc_tx *tx)
{
	if (tx->state[0] != '\0')
		return strcmp(tx->state, "settled") == 0;
	return tx->settled_at > 0 || tx->preimage[0] != '\0';
}

int
nwc_get_info(struct nwc *w, struct arena *a, const char **alias,
    const char **network, struct nwc_error *e)
{
	struct json_object *r;
	const char *s;

	*alias = *network = NULL;
	if (call(w, "get_info", jobj(), w->timeout_ms, &r, e) == -1)
		return -1;
	if (json_get_str(r, "alias", 64, &s, NULL) == JGET_OK)
		*alias = arena_strdup(a, s);
	if (json_get_str(r, "network", 16, &s, NULL) == JGET_OK &&
	    strspn(s, "abcdefghijklmnopqrstuvwxyz") == strlen(s))
		*network = arena_strdup(a, s);
	json_object_put(r);
	return 0;
}

int
nwc_make_invoice(struct nwc *w, struct arena *a, int64_t msats,
    const char *description, int64_t expiry, struct nwc_tx *tx,
    struct nwc_error *e)
{
	struct json_object *p, *r;

	memset(tx, 0, sizeof(*tx));
	p = jobj();
	jadd_int(p, "amount", msats);
	if (description != NULL)
		jadd_str(p, "description", description);
	if (expiry > 0)
		jadd_int(p, "expiry", expiry);
	if (call(w, "make_invoice", p, w->timeout_ms, &r, e) == -1)
		return -1;
	tx_read(a, r, tx);
	json_object_put(r);
	if (tx->invoice == NULL) {
		err_set(e, NWC_E_REPLY, NULL, NULL, "the wallet made no invoice");
		return -1;
	}
	return 0;
}

int
nwc_pay_invoice(struct nwc *w, const char *bolt11, char preimage[65],
    struct nwc_error *e)
{
	struct json_object *p, *r;

	preimage[0] = '\0';
	p = jobj();
	jadd_str(p, "invoice", bolt11);
	if (call(w, "pay_invoice", p, w->pay_timeout_ms, &r, e) == -1)
		return -1;
	copy_hex64(r, "preimage", preimage);
	json_object_put(r);
	return 0;
}

int
nwc_lookup_invoice(struct nwc *w, struct arena *a, const char *hash,
    struct nwc_tx *tx, struct nwc_error *e)
{
	struct json_object *p, *r;

	memset(tx, 0, sizeof(*tx));
	p = jobj();
	jadd_str(p, "payment_hash", hash);
	if (call(w, "lookup_invoice", p, w->timeout_ms, &r, e) == -1)
		return -1;
	tx_read(a, r, tx);
	json_object_put(r);
	return 0;
}
