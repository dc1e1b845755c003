/*
 * zooid.h: the zooid management API (research/zooid-api.md) as the
 * provisioning worker uses it: create a relay (POST /relay/:id), push its
 * whole config again (PATCH /relay/:id) and read its members
 * (GET /relay/:id/members).
 *
 * Every request carries a NIP-98 header signed with ZOOID_API_SECRET whose
 * "u" tag is the exact URL requested (never with a query) and whose
 * created_at is clock_now(); zooid compares "u" with scheme://Host/path, so
 * ZOOID_API_URL must be written the way zooid sees it (the API host, no
 * path). Answers are sorted into enum zooid_rc, tolerant of the era C
 * quirks of §4.4. Error sentences (err, caller frees) carry the call, the
 * status and zooid's bounded, printable "error" text; they never hold the
 * API key or any secret of the body (zooid echoes a bad relay secret).
 */
#ifndef CARAVEL_ZOOID_H
#define CARAVEL_ZOOID_H

#include <stddef.h>

#include <json-c/json.h>

#define ZOOID_ID_MAX 64 /* relay ids: 1..64 of [A-Za-z0-9_-] */
#define ZOOID_URL_MAX 2048
#define ZOOID_ERR_MAX 200 /* bytes of zooid's error text we keep */

struct config;
struct relay;

struct zooid {
	const char *base_url; /* ZOOID_API_URL, no trailing slash needed */
	unsigned char secret[32]; /* ZOOID_API_SECRET */
	long timeout; /* seconds (HTTP_TIMEOUT) */
};

/*
 * Borrow ZOOID_API_URL (http or https, a host, no query or fragment) and
 * HTTP_TIMEOUT from cfg and parse ZOOID_API_SECRET; -1 if either setting
 * is unset or bad (z is then zeroed).
 */
int zooid_init(struct zooid *, const struct config *);
void zooid_release(struct zooid *); /* zero the key */

enum zooid_rc {
	ZOOID_OK, /* 2xx with zooid's JSON reply */
	ZOOID_EXISTS, /* POST: 409 "relay with this id already exists" */
	ZOOID_NOT_FOUND, /* 404 "relay not found", or 409 "relay not found"
			    (era C), or members 500 "no such file or
			    directory" (eras B1, C) */
	ZOOID_CONFLICT, /* 409 naming a schema or host in use by another
			   relay (or any other 409) */
	ZOOID_REJECTED, /* 400 (validation), or an answer that is not from
			   zooid's API (plain 404/405 of its router or another
			   host, other 4xx, 3xx, a 2xx that is not zooid's
			   JSON, an oversized reply): an operator must see */
	ZOOID_AUTH, /* 401/403: bad key or not whitelisted: operator must
		       act */
	ZOOID_FAILED /* 5xx, 408, 429, timeout, connection error: retry
			later */
};

/* "ok", "exists", ... for log lines. */
const char *zooid_rc_name(enum zooid_rc);

/*
 * The full config body of spec/workers.md §1 for one relay with zooid's
 * leaf keys (research/zooid-api.md §3.1): host, schema, secret (omitted
 * when secret_hex is NULL), inactive (any status but "active"), info,
 * policy, groups, management, push, blossom (S3 when the four required
 * BLOSSOM_S3_* settings are set, with key_prefix = schema; else local),
 * livekit (values only when the relay has it and all three LIVEKIT_*
 * settings are set; else empty strings) and roles (the tenant as "owner"
 * with can_manage and can_invite). Caller puts it.
 */
struct json_object *zooid_relay_body(const struct config *,
    const struct relay *, const char *secret_hex);

/*
 * POST /relay/:id (create, body must carry "secret") and PATCH /relay/:id
 * (the whole body again; a merge on zooid's side). *status gets the HTTP
 * status or 0 when none arrived (status may be NULL); *err a sentence for
 * every rc but ZOOID_OK (NULL then).
 */
enum zooid_rc zooid_relay_create(const struct zooid *, const char *relay_id,
    struct json_object *body, long *status, char **err);
enum zooid_rc zooid_relay_patch(const struct zooid *, const char *relay_id,
    struct json_object *body, long *status, char **err);

/*
 * GET /relay/:id/members: on ZOOID_OK, *members holds *n distinct 64-digit
 * lower-case hex pubkeys in ascending order (caller frees with
 * zooid_members_free); otherwise *members is NULL, *n 0 and *err is set.
 */
enum zooid_rc zooid_members(const struct zooid *, const char *relay_id,
    char ***members, size_t *n, char **err);
void zooid_members_free(char **, size_t);

/*
 * Pieces exposed for tests.
 *
 * zooid_members_parse: a members reply body, {"members": [hex, ...]};
 * 0, or -1 with *why (a static string) for anything else: not one JSON
 * object, "members" absent or not an array, an entry that is not 64
 * lower-case hex digits, a repeated entry.
 */
int zooid_members_parse(const char *body, size_t len, char ***members,
    size_t *n, const char **why);
/* 1 if id may name a relay on zooid (it becomes a file name there). */
int zooid_id_ok(const char *);
/*
 * Error text from zooid made fit for one log line: anything after
 * "invalid secret key" is dropped (zooid echoes the bad key), each of the
 * NULL-ended secrets (6 bytes or longer) is redacted wherever it appears
 * in either case, other bytes outside printable ASCII become "?", and the
 * result stops near ZOOID_ERR_MAX bytes. Caller frees.
 */
char *zooid_clean_text(const char *, size_t, const char *const *secrets);

#endif
