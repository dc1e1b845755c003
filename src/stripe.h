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
};

/* Borrow STRIPE_API_URL, STRIPE_SECRET_KEY and HTTP_TIMEOUT from cfg. */
void stripe_init(struct stripe *, const struct config *);

/*
 * POST /v1/customers with metadata[tenant_pubkey] and the Idempotency-Key
 * "caravel-customer-<pubkey>": calling twice for one tenant (retries,
 * concurrent first calls) yields one customer while Stripe keeps the key
 * (24 hours). *customer_id_out is a validated "cus_..." id.
 */
int stripe_customer_create(const struct stripe *,
    const char *tenant_pubkey_hex, char **customer_id_out, char **err_out);

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

#endif
