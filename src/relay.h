/*
 * relay.h: a Nostr relay client over ws.h: publish events and query
 * stored ones (NIP-01), answering NIP-42 AUTH challenges when given a
 * key. A session keeps one connection per relay URL, so a worker pass
 * can publish many events to many relays over one connection each; every
 * call runs its relays in parallel and is bounded by one timeout.
 *
 * Replies are matched by event id and subscription id, never by order:
 * relays answer out of order.
 */
#ifndef CARAVEL_RELAY_H
#define CARAVEL_RELAY_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "nostr.h"

#define RELAY_TIMEOUT_MS 15000 /* default bound on one call */
#define RELAY_MAX_EVENTS 1000 /* default events read per relay and query */
#define RELAY_QUERY_MAX_BYTES (4 * 1024 * 1024) /* ... and their bytes */
#define RELAY_CONN_MAX (64 * 1024 * 1024) /* default bytes per connection */
#define RELAY_SUBID_MAX 64 /* NIP-01 */
#define RELAY_CHALLENGE_MAX 512 /* longer AUTH challenges are ignored */
#define RELAY_WINDOW 8 /* EVENTs awaiting their OK, per connection */
#define RELAY_AUTH_KIND 22242 /* NIP-42 */

/* relay_msg.c: one relay-to-client message (NIP-01 §"From relay"). */
enum relay_msg_type {
	RELAY_MSG_EVENT,
	RELAY_MSG_OK,
	RELAY_MSG_EOSE,
	RELAY_MSG_CLOSED,
	RELAY_MSG_NOTICE,
	RELAY_MSG_AUTH
};

struct relay_msg {
	enum relay_msg_type type;
	const char *sub_id; /* EVENT, EOSE, CLOSED: 1..64 bytes, no NUL */
	unsigned char id[32]; /* OK: the event id */
	int ok; /* OK: accepted */
	const char *text; /* OK, CLOSED, NOTICE message, AUTH challenge */
	size_t text_len; /* the message may hold NUL bytes */
	struct nostr_event event; /* EVENT: parsed, not verified */
	int has_event;
	struct json_object *root; /* owns the strings above */
};

/*
 * Parse one message strictly: a JSON array of the documented types
 * (extra trailing elements are ignored; the message of OK and CLOSED
 * may be absent and reads as ""). An AUTH challenge is 1 to
 * RELAY_CHALLENGE_MAX bytes without NUL. Returns 0 (release the
 * message), or -1 with *why a static sentence.
 */
int relay_msg_parse(const char *, size_t, struct relay_msg *,
    const char **why);
void relay_msg_release(struct relay_msg *);
/*
 * The machine-readable prefix of an OK or CLOSED message ("duplicate",
 * "auth-required", ...): the text before the first ":" if it is 1-31
 * letters and "-"; otherwise "".
 */
void relay_msg_prefix(const char *text, size_t len, char out[32]);
/*
 * Copy a relay's text for a log line or a database column: control
 * characters and NUL become "?", valid UTF-8 is kept, the copy is cut
 * at a character boundary to fit outsz.
 */
void relay_text_copy(char *out, size_t outsz, const char *, size_t);

/* relay.c */
enum relay_status {
	RELAY_PENDING, /* internal: never in a finished result */
	RELAY_OK, /* OK true or "duplicate:"; or the query reached EOSE */
	RELAY_REJECTED, /* OK false or CLOSED: msg holds the relay's text */
	RELAY_TIMEOUT, /* no answer within opts.timeout_ms */
	RELAY_ECONN /* never connected, or the connection ended first */
};

struct relay_result {
	enum relay_status status;
	int duplicate; /* the relay already had the event */
	int authed; /* we authenticated (NIP-42) on this connection */
	char msg[256]; /* the relay's text or our error; "" if none */
};

struct relay_opts {
	long connect_timeout_ms; /* DNS, TCP, TLS, upgrade; 0: ws.h default */
	long timeout_ms; /* one call, connecting included; 0: default */
	const char *ca_file; /* PEM trust anchors; NULL: the system store */
	size_t max_msg; /* largest relay message; 0: WS_MAX_MSG */
	size_t max_events; /* read per relay and query; 0: RELAY_MAX_EVENTS */
	/* bytes one connection may receive, then it ends; 0: RELAY_CONN_MAX */
	size_t max_conn_bytes;
	int public_only; /* connect only to public addresses (netaddr.h) */
};

/*
 * Verified events a query kept: unique by id, and one per replaceable or
 * addressable slot (NIP-01). Each is held as its JSON text, about its
 * size on the wire, never as a json-c tree (some 85 times that): what a
 * relay sends costs us what it costs the relay.
 */
struct relay_kept {
	unsigned char id[32];
	unsigned char pubkey[32];
	int64_t created_at;
	int kind;
	char *d; /* an addressable event's "d" value ("" when none), or NULL */
	char *json; /* the event, as nostr_event_json_alloc() writes it */
	size_t len;
};

struct relay_events {
	struct relay_kept *v;
	size_t n;
	size_t cap;
};

const char *relay_status_name(enum relay_status);

struct relay_session;

/*
 * A session with no connection yet. auth_sk (copied) signs NIP-42 AUTH
 * events; NULL: never authenticate. opts may be NULL; its ca_file is
 * copied.
 */
struct relay_session *relay_session_new(const struct relay_opts *,
    const unsigned char auth_sk[32]);
/* Close every connection politely (bounded by ~1 s) and free. */
void relay_session_free(struct relay_session *);

/*
 * Publish each of the m events to each of the n relays; the outcome for
 * relay i and event j lands in results[i * m + j]. Connections are
 * opened as needed and reused by later calls; a relay that could not be
 * reached stays failed for the session, while one that closed after
 * working is reconnected. When a relay answers "auth-required:" and the
 * session has a key, the challenge is answered (tags "relay" = the URL
 * as given, "challenge") and the event sent once more. Returns 0, or
 * -1 on bad arguments (results untouched).
 */
int relay_session_publish(struct relay_session *, const char *const *urls,
    size_t n, const struct nostr_event *const *evs, size_t m,
    struct relay_result *results);
/*
 * REQ filter_json (one filter object) on each relay until EOSE, then
 * CLOSE. Events that fail nostr_event_verify() or do not match the
 * filter are dropped; the rest are added to out (initialised by the
 * caller) by relay_events_add(), so a replaceable slot holds its newest
 * only. A relay is read for at most max_events events and
 * RELAY_QUERY_MAX_BYTES bytes of them (then the query ends there, as at
 * EOSE), and within the timeout. results[i] (may be NULL) says how relay
 * i ended. Returns 0, or -1 on bad arguments (a filter that is not a
 * JSON object).
 */
int relay_session_query(struct relay_session *, const char *const *urls,
    size_t n, const char *filter_json, struct relay_events *out,
    struct relay_result *results);

/*
 * Request and reply (NIP-47): subscribe filter_json on each relay, and
 * once the subscription is live (EOSE, or RELAY_EOSE_WAIT_MS) publish
 * req there; the first event arriving on a subscription that verifies
 * and that accept(arg, ev) takes is the reply, moved into *reply (the
 * caller releases it), and ends the call for every relay. timeout_ms
 * (0: the session's) bounds the whole call. Returns 0 with a reply; -1
 * without one, results[i] (may be NULL) saying how relay i ended.
 */
int relay_session_rpc(struct relay_session *, const char *const *urls,
    size_t n, const char *filter_json, const struct nostr_event *req,
    long timeout_ms, int (*accept)(void *, const struct nostr_event *),
    void *arg, struct nostr_event *reply, struct relay_result *results);

/* One-call forms: a session for this call only. */
int relay_publish(const char *const *urls, size_t n,
    const struct nostr_event *, const unsigned char auth_sk[32],
    const struct relay_opts *, struct relay_result *results);
int relay_publish_many(const char *const *urls, size_t n,
    const struct nostr_event *const *evs, size_t m,
    const unsigned char auth_sk[32], const struct relay_opts *,
    struct relay_result *results);
int relay_query(const char *const *urls, size_t n, const char *filter_json,
    const struct relay_opts *, struct relay_events *out,
    struct relay_result *results);

void relay_events_init(struct relay_events *);
void relay_events_release(struct relay_events *);
/*
 * The newest event of kind by pubkey (NIP-01 replaceable rule: highest
 * created_at, then the lowest id): 0 with it in *ev (release it), or -1
 * when evs holds none.
 */
int relay_events_newest(const struct relay_events *, int kind,
    const unsigned char pubkey[32], struct nostr_event *ev);
/* Event i of evs in *ev (release it): 0, or -1. */
int relay_events_get(const struct relay_events *, size_t i,
    struct nostr_event *ev);
/*
 * Does ev answer the NIP-01 filter f (ids, authors, kinds, "#x" tags,
 * since, until; limit is the caller's)? 1 or 0; a malformed filter
 * matches nothing.
 */
int relay_filter_match(struct json_object *f, const struct nostr_event *);
/*
 * Copy ev into e (1), unless e holds it already or holds a newer event
 * of its replaceable or addressable slot (0). A newer event replaces the
 * older in its slot, so a relay sending thousands of versions of one
 * list costs one.
 */
int relay_events_add(struct relay_events *, const struct nostr_event *);

#endif
