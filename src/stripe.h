/*
 * stripe.h: the Stripe REST calls Caravel makes (research/stripe.md §1).
 *
 * Every call is a form-encoded request with "Authorization: Bearer",
 * a pinned Stripe-Version and, for creating POSTs, a deterministic
 * Idempotency-Key; every reply is JSON. A call is a small function that
 * fills a form and names the fields it reads; stripe_request() does the
 * rest. Error sentences (err_out, caller frees) give the call, the HTTP
 * status, Stripe's error type, code and message and the request id; they
 * never hold the secret key (anything shaped like a key is redacted) and
 * are meant for logs, not for API clients.
 */
#ifndef CARAVEL_STRIPE_H
#define CARAVEL_STRIPE_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

/*
 * The API version every request pins (the one stripe-node 23.1.0 pins).
 * Without it the account default applies, which a Dashboard click can
 * change under us.
 */
#define STRIPE_API_VERSION "2026-10-28.endive"
#define STRIPE_ID_MAX 255
#define STRIPE_URL_MAX 2048
/* Retries of an idempotent POST that Stripe says is still in flight. */
#define STRIPE_RETRIES 3

struct config;

struct stripe {
	const char *base_url; /* "https://api.stripe.com"; tests: the fake */
	const char *secret_key; /* sk_... or rk_... */
	long timeout; /* seconds per HTTP attempt; <= 0: 10 */
	int retries; /* 0..STRIPE_RETRIES further attempts of a safe call */
};

/*
 * Borrow STRIPE_API_URL, STRIPE_SECRET_KEY and HTTP_TIMEOUT from cfg;
 * retries = STRIPE_RETRIES.
 */
void stripe_init(struct stripe *, const struct config *);

/*
 * How a call failed, for callers that must tell "Stripe refused" from
 * "no answer" (a POST may then have happened).
 */
struct stripe_fail {
	long status; /* HTTP status; 0: no answer (connect, timeout) */
	char type[32]; /* Stripe's error.type slug, or "" */
	char code[48]; /* Stripe's error.code slug, or "" */
	char *msg; /* the sentence of err_out (caller frees) */
};
/* The object is gone (404 resource_missing). */
int stripe_fail_missing(const struct stripe_fail *);
void stripe_fail_release(struct stripe_fail *);

/*
 * POST /v1/customers with metadata[tenant_pubkey] and the Idempotency-Key
 * "caravel-customer-<pubkey>": calling twice for one tenant (retries,
 * concurrent first calls) yields one customer while Stripe keeps the key
 * (24 hours). *customer_id_out is a validated "cus_..." id.
 */
int stripe_customer_create(const struct stripe *,
    const char *tenant_pubkey_hex, char **customer_id_out, char **err_out);
/* The same with the failure described in *fail (release it). */
int stripe_customer_create_call(const struct stripe *,
    const char *tenant_pubkey_hex, char **customer_id_out,
    struct stripe_fail *);

/*
 * POST /v1/billing_portal/sessions for customer, returning to return_url
 * (http or https). *url_out is an https URL that acts as the customer:
 * hand it to the caller, never store or log it.
 */
int stripe_portal_session_create(const struct stripe *,
    const char *customer_id, const char *return_url, char **url_out,
    char **err_out);

/*
 * Generic pieces, exposed for new calls and for tests.
 *
 * stripe_request: method on base_url + path with form f (may be NULL) as
 * the body of a POST or the query of any other method, idem as the
 * Idempotency-Key (POST only; NULL: none). Returns 0 and *objp (caller
 * puts it) for a 2xx JSON object; -1 and *err_out otherwise.
 */
struct form;
int stripe_request(const struct stripe *, const char *method,
    const char *path, const struct form *, const char *idem,
    struct json_object **objp, char **err_out);
/*
 * The same with the failure described in *fail (release it). A call is
 * retried (same key, backoff 0.5, 1, 2 s) when Stripe says so
 * (Stripe-Should-Retry), on 409, 429 and 5xx, and on no answer, but
 * only when repeating it is safe: a GET or DELETE, or a POST with an
 * idempotency key (research/stripe.md §1.3).
 */
int stripe_call(const struct stripe *, const char *method, const char *path,
    const struct form *, const char *idem, struct json_object **objp,
    struct stripe_fail *fail);

/*
 * Judge one reply: a 2xx status whose body is one JSON object gives 0 and
 * *objp; anything else gives -1 and a sentence built from Stripe's error
 * object {"error": {"type", "code", "message"}} when there is one, with
 * secret_key (and anything shaped like a key) redacted.
 */
int stripe_reply_parse(const char *secret_key, long status,
    const char *body, size_t len, struct json_object **objp, char **err_out);
/* Member field as an id: prefix then 1 or more of [A-Za-z0-9_]. */
int stripe_reply_id(struct json_object *, const char *field,
    const char *prefix, char **out, char **err_out);
/* Member field as an https URL of printable ASCII without spaces. */
int stripe_reply_url(struct json_object *, const char *field, char **out,
    char **err_out);

/* Predicates, 0/1. */
int stripe_id_ok(const char *, const char *prefix);
int stripe_url_ok(const char *, int https_only);

/*
 * stripe_sig.c: webhook signatures (research/stripe.md §3.1, workers.md
 * §3). The header is "t=<unix>,v1=<hex>..."; at most STRIPE_SIG_MAX v1
 * values are kept (more are ignored).
 */
#define STRIPE_SIG_HEADER_MAX 4096
#define STRIPE_SIG_MAX 8
#define STRIPE_SIG_TOLERANCE 300 /* seconds, both ways */
struct stripe_sig {
	int64_t t;
	unsigned char v1[STRIPE_SIG_MAX][32];
	size_t nv1;
};
/* 0, or -1 with *why a static sentence. */
int stripe_sig_parse(const char *header, struct stripe_sig *, const char **why);
/*
 * Verify header over the raw body bytes with secret (the whole whsec_
 * string): |now - t| <= tolerance and some v1 equal to the HMAC, compared
 * in constant time. 0, or -1 with *why a static sentence for the 400.
 */
int stripe_sig_verify(const char *header, const char *body, size_t len,
    const char *secret, int64_t now, int64_t tolerance, const char **why);

/*
 * stripe_billing.c: subscriptions and invoices (research/stripe.md §1.2
 * C-F, I and §2), parsed into checked C values whose strings live in the
 * caller's arena. Every function returns 0, or -1 with *fail set.
 */
#define STRIPE_ITEMS_MAX 20 /* Stripe's limit per subscription */
#define STRIPE_LIST_MAX 100 /* objects of one list page */

struct arena;
struct invoice;

struct stripe_item {
	const char *id; /* si_... */
	const char *price; /* price_... (any id Stripe gave) */
	int64_t quantity;
};

struct stripe_sub {
	const char *id; /* sub_... */
	const char *customer;
	const char *status; /* active, incomplete, canceled, ... */
	const char *tenant_pubkey; /* metadata[tenant_pubkey], or NULL */
	struct stripe_item items[STRIPE_ITEMS_MAX];
	size_t nitems;
};
/* canceled or incomplete_expired: Stripe will never bill it again. */
int stripe_sub_is_over(const char *status);

/* A subscription or invoice object (webhook events use these too). */
int stripe_sub_parse(struct arena *, struct json_object *, struct stripe_sub *,
    const char **why);
/* An invoice into inv (tenant left NULL) and its customer id. */
int stripe_invoice_parse(struct arena *, struct json_object *,
    struct invoice *, const char **customer, const char **why);
/*
 * A customer's id and invoice_settings.default_payment_method (an id, or
 * expanded; "" for none).
 */
int stripe_customer_parse(struct arena *, struct json_object *,
    const char **id, const char **pm, const char **why);

/*
 * GET /v1/customers/search by metadata['tenant_pubkey'] (eventually
 * consistent: a customer made in the last minute may be missing), then
 * POST /v1/customers if none: one customer per tenant even after
 * Stripe forgot the idempotency key (24 h).
 */
int stripe_customer_ensure(const struct stripe *, const char *tenant_pubkey,
    char **customer_id, struct stripe_fail *);
/* The customer's default payment method (its card on file), "" for none. */
int stripe_customer_pm(const struct stripe *, struct arena *,
    const char *customer, const char **pm, struct stripe_fail *);
int stripe_sub_get(const struct stripe *, struct arena *, const char *id,
    struct stripe_sub *, struct stripe_fail *);
/* The customer's subscriptions (status=all), at most STRIPE_LIST_MAX. */
int stripe_sub_list(const struct stripe *, struct arena *,
    const char *customer, struct stripe_sub **, size_t *n,
    struct stripe_fail *);
/* POST /v1/subscriptions with an encoded form and its key. */
int stripe_sub_create(const struct stripe *, struct arena *,
    const char *form, const char *idem, struct stripe_sub *,
    struct stripe_fail *);
int stripe_sub_update(const struct stripe *, struct arena *, const char *id,
    const char *form, const char *idem, struct stripe_sub *,
    struct stripe_fail *);
/* DELETE /v1/subscriptions/:id: cancel now, no proration. */
int stripe_sub_cancel(const struct stripe *, struct arena *, const char *id,
    struct stripe_sub *, struct stripe_fail *);
/* The customer's newest invoices (at most limit), and their count. */
int stripe_invoice_list(const struct stripe *, struct arena *,
    const char *customer, int limit, struct invoice **, size_t *n,
    struct stripe_fail *);
int stripe_invoice_get(const struct stripe *, struct arena *, const char *id,
    struct invoice *, struct stripe_fail *);
/*
 * POST /v1/invoices/create_preview: the subscription's next invoice as it
 * stands (id "upcoming", status draft); *none when it will not renew.
 */
int stripe_invoice_preview(const struct stripe *, struct arena *,
    const char *customer, const char *subscription, struct invoice *,
    int *none, struct stripe_fail *);
/*
 * POST /v1/invoices/:id/pay paid_out_of_band=true with the key
 * "caravel-invoice-oob-<id>": marks an invoice paid by Lightning. An
 * invoice Stripe says is already paid is read back instead (0).
 */
int stripe_invoice_pay_oob(const struct stripe *, struct arena *,
    const char *id, struct invoice *, struct stripe_fail *);

#endif
