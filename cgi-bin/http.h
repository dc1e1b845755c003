/*
 * http.h: the only header that knows about requests. A request arrives
 * over FastCGI or plain CGI (http.c), is matched against the route table
 * (api.c), checked against the route's rule, and handed to one handler per
 * resource file, which returns a status. One function writes every error.
 */
#ifndef CARAVEL_HTTP_H
#define CARAVEL_HTTP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <json-c/json.h>

#include "core.h"
#include "cfg.h"
#include "billing.h"
#include "db.h"
#include "metrics.h"

struct secretbox;

/* Every outcome a handler can report; statuses[] in http.c maps each. */
enum status {
	ST_OK,
	ST_CREATED,
	ST_NO_CONTENT,
	ST_BAD_REQUEST,
	ST_UNAUTHORIZED,
	ST_FORBIDDEN,
	ST_NOT_FOUND,
	ST_METHOD,
	ST_CONFLICT,
	ST_INVOICE_NOT_OPEN,
	ST_TENANT_REQUIRED,
	ST_TOO_LARGE,
	ST_INVALID_SUBDOMAIN,
	ST_SUBDOMAIN_EXISTS,
	ST_INVALID_PLAN,
	ST_PLAN_FEATURE,
	ST_MEMBER_LIMIT,
	ST_INVALID_NWC,
	ST_INVALID_FIELD,
	ST_STRIPE_ERROR,
	ST_ZOOID_ERROR,
	ST_WALLET_ERROR,
	ST_PRICE_ERROR,
	ST_NOT_CONFIGURED,
	ST_WALLET_BUSY,
	ST_BILLING_BUSY,
	ST_DISK,
	ST_UNAVAILABLE,
	ST_INTERNAL,
	ST__MAX
};

enum hmethod { HM_GET, HM_POST, HM_PUT, HM_OPTIONS, HM_OTHER, HM__MAX };

#define REQ_MAX_PARAMS 4
#define WEBHOOK_PATH "/stripe/webhook"
#define WEBHOOK_MAX_BODY (1024 * 1024) /* Stripe's events can be large */

/* What the process keeps between requests. */
struct app {
	struct config cfg;
	struct db *db; /* opened lazily; NULL until it works */
	struct secretbox *box; /* ENCRYPTION_SECRET's key, made once */
	struct metrics metrics; /* request counters shared by the processes */
	int children; /* FastCGI processes serving the socket; 0: one */
};

struct req {
	struct app *app;
	struct arena arena; /* everything below that is allocated */
	enum hmethod method;
	const char *method_name;
	const char *path; /* decoded path, no query */
	const char *query; /* raw query string, "" if none */
	const char *origin; /* Origin header or NULL */
	const char *authorization; /* Authorization header or NULL */
	const char *content_type;
	const char *request_uri; /* raw path and query, for AUTH_STRICT */
	const char *http_host; /* Host header */
	const char *stripe_signature; /* Stripe-Signature header or NULL */
	int https; /* the client used TLS */
	char *body; /* NUL-terminated; body_len bytes */
	size_t body_len;
	int body_too_large;
	const char *param[REQ_MAX_PARAMS]; /* ":name" segments, in order */
	size_t route; /* its row in the route table (api_nroutes(): none) */
	size_t nparam;
	struct json_object *json; /* parsed body (R_JSON routes); owned */
	int authed; /* a valid NIP-98 header was checked */
	char signer[65]; /* its pubkey, hex */
	int is_admin; /* signer is listed in ADMINS */
};

/*
 * A list answered as it is read (the admin lists answer whole tables): a
 * handler that validated its request sets w->list (and w->list_arg) and
 * returns ST_OK; the list function then appends each element's JSON text
 * to list_elem(). An answer that fits LIST_BUFFER bytes goes out whole,
 * with its length (or, when the list fails, as the error); a longer one
 * goes out in pieces as it is made, so a child's memory does not grow
 * with the table, and a failure after the first piece cuts the response
 * short rather than pass a partial list off as a whole one.
 */
#define LIST_BUFFER (32 * 1024)
struct list_out;
struct resp;
typedef enum status (*list_fn)(struct req *, struct resp *,
    struct list_out *);
struct sbuf *list_elem(struct list_out *); /* where the next one goes */
/* Where the rows are decoded (db_each): cleared per row, freed after. */
struct arena *list_scratch(struct list_out *);
/* The status of a list read to its end: a page key (?after=) that names
 * nothing is the client's 400, with the sentence given. */
enum status list_done(struct resp *, enum dbrc, const char *no_after);

struct resp {
	int code; /* HTTP status of a success */
	list_fn list; /* or the payload is a list written as it is read */
	const void *list_arg; /* what it lists (arena-owned) */
	struct json_object *data; /* the payload; owned */
	const char *data_text; /* or the payload as compact JSON; borrowed */
	size_t data_len;
	const char *message; /* error sentence overriding the default */
	const char *field; /* validation errors: the field at fault */
	const char *allow; /* 405: the Allow header */
	const char *cors_origin; /* echo in Access-Control-Allow-Origin */
	/* A success that is not JSON (GET /metrics): its type and text. */
	const char *content_type;
	const char *text; /* borrowed from the request's arena */
	size_t text_len;
};

/* http.c */
struct db *app_db(struct app *); /* the database, opening it if needed */
/* The key of ENCRYPTION_SECRET (api.md §7), or NULL when it is not set. */
const struct secretbox *app_secretbox(struct app *);
void app_release(struct app *);
/* Count requests in "<database>.metrics", shared with the other children. */
void app_metrics_open(struct app *);
int http_serve_cgi(struct app *);
int http_serve_fcgi(struct app *, int listen_fd, long max_requests);
/* Set an error sentence (arena-owned or static) and return st. */
enum status resp_fail(struct resp *, enum status, const char *message);
enum status resp_field(struct resp *, enum status, const char *field,
    const char *message);
/* The status a database result means for a client. */
enum status st_from_db(enum dbrc);
/* Parse the body as one JSON object into r->json; 400 otherwise. */
enum status req_body_object(struct req *, struct resp *);
/* A query parameter's raw value (not decoded), or NULL. */
const char *req_query(struct req *, const char *name);
/*
 * ?return_url= decoded (an http(s) URL of at most 2048 bytes without
 * spaces), else the Origin, else the first allowed origin; 400 if bad or
 * none.
 */
enum status req_return_url(struct req *, struct resp *, const char **);
/*
 * ?limit=N (1 to 1000) and ?after=KEY (keylen lower-case hex: the last row
 * of the previous page) of an admin list into f; with neither the whole
 * list, with after alone pages of 100. 400 if malformed.
 */
enum status req_page(struct req *, struct resp *, size_t keylen,
    struct list_filter *);

/* auth.c */
/* Check the NIP-98 header (api.md §3); fills r->signer and r->is_admin. */
enum status auth_check(struct req *, struct resp *);
/* The labels of authentication failures in the metrics, by reason. */
extern const char *const auth_reasons[];
extern const size_t auth_nreasons;
void auth_cache_clear(void);

/* api.c */
void api_dispatch(struct req *, struct resp *, enum status *);
int api_list_routes(FILE *);
/* The route table's size, and row i as "METHOD PATTERN" (metrics). */
size_t api_nroutes(void);
const char *api_route_label(size_t i, char *buf, size_t size);

/*
 * billing_run.c: billing work inside a request, in a wallet slot (and
 * with the billing pass's lock when lock is 1); 503 billing-busy if
 * neither comes within seconds. End it with billing_run_end.
 */
struct billing_run {
	struct billing b;
	int slot, lock;
};
enum status billing_run_begin(struct req *, struct billing_run *, int lock);
void billing_run_end(struct billing_run *);

/* Handlers, one file per resource. */
enum status health_get(struct req *, struct resp *);
enum status metrics_get(struct req *, struct resp *);
enum status identity_get(struct req *, struct resp *);
enum status plans_list(struct req *, struct resp *);
enum status plans_get(struct req *, struct resp *);
enum status tenants_list(struct req *, struct resp *);
enum status tenants_create(struct req *, struct resp *);
enum status tenants_get(struct req *, struct resp *);
enum status tenants_update(struct req *, struct resp *);
enum status tenants_relays(struct req *, struct resp *);
enum status tenants_stripe_session(struct req *, struct resp *);
enum status tenants_reconcile(struct req *, struct resp *);
/* The tenant named by :pubkey (and the database), or 404 with a sentence. */
enum status tenant_load(struct req *, struct resp *, struct db **,
    struct tenant *);
enum status relays_list(struct req *, struct resp *);
enum status relays_create(struct req *, struct resp *);
enum status relays_get(struct req *, struct resp *);
enum status relays_update(struct req *, struct resp *);
enum status relays_deactivate(struct req *, struct resp *);
enum status relays_reactivate(struct req *, struct resp *);
enum status relays_activity(struct req *, struct resp *);
enum status relays_members(struct req *, struct resp *);
enum status invoices_list(struct req *, struct resp *);
enum status invoices_get(struct req *, struct resp *);
enum status invoices_bolt11(struct req *, struct resp *);
enum status invoices_items(struct req *, struct resp *);
enum status invoices_reconcile(struct req *, struct resp *);
enum status invoices_draft(struct req *, struct resp *);
enum status invoices_checkout(struct req *, struct resp *);
enum status webhook_stripe(struct req *, struct resp *);

/* relays.c, also used by tenants.c: answer one Relay, or the relays of
 * tenant (NULL: all) on page as a list written as it is read (above). */
enum status relays_answer(struct req *, struct resp *, const struct relay *);
enum status relays_answer_list(struct req *, struct resp *,
    const char *tenant, const struct list_filter *page);

#endif
