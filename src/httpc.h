/*
 * httpc.h: outbound HTTP over libcurl, knowing nothing of any peer.
 *
 * One curl easy handle per call, so no state (cookies, auth, a half-read
 * body) leaks from one call into the next; the connection cache, DNS and
 * TLS sessions are shared per process (after httpc_global_init), so many
 * calls to one peer reuse one connection. Every call has a total timeout, only
 * http and https are allowed, redirects are never followed, and the
 * response body is capped. Nothing here logs a header value or a body.
 */
#ifndef CARAVEL_HTTPC_H
#define CARAVEL_HTTPC_H

#include <stddef.h>

#define HTTPC_MAX_BODY (1024 * 1024) /* default response cap, bytes */
#define HTTPC_MAX_CAPTURE 4 /* response headers a call may keep */
#define HTTPC_MAX_HEADER 256 /* longer captured values are dropped */

struct httpc_req {
	const char *method; /* "GET", "POST", "DELETE", ... */
	const char *url; /* http:// or https:// */
	const char *const *headers; /* "Name: value", NULL-ended; or NULL */
	const char *body; /* sent as is; NULL: no body */
	size_t bodylen;
	long timeout_ms; /* whole call, > 0 */
	long connect_timeout_ms; /* 0: timeout_ms */
	size_t max_body; /* 0: HTTPC_MAX_BODY */
	const char *capture[HTTPC_MAX_CAPTURE]; /* header names to keep */
};

/* Why a call got no response; HTTPC_ECONNECT means nothing was sent. */
enum httpc_fail {
	HTTPC_OK,
	HTTPC_ECONNECT,
	HTTPC_ETIMEOUT,
	HTTPC_ETOOBIG,
	HTTPC_EOTHER
};

struct httpc_resp {
	long status; /* HTTP status of the final response */
	char *body; /* NUL-terminated (may hold NULs before len) */
	size_t len;
	char *captured[HTTPC_MAX_CAPTURE]; /* values of req.capture[i] */
	enum httpc_fail fail;
	char err[256]; /* a sentence when httpc_do() returns -1 */
};

/* Once per process, before threads; curl_easy_init() would do it lazily. */
int httpc_global_init(void);
void httpc_global_cleanup(void);

/*
 * Perform one request. Returns 0 when a response arrived, whatever its
 * status; -1 with resp->fail and resp->err set otherwise. Either way
 * httpc_resp_release() frees what resp holds.
 */
int httpc_do(const struct httpc_req *, struct httpc_resp *);
void httpc_resp_release(struct httpc_resp *);

/*
 * application/x-www-form-urlencoded bodies as Stripe's own SDK writes
 * them: pairs joined by "&", and in keys and values every byte other
 * than A-Z a-z 0-9 - . _ ~ [ ] becomes %XX (upper-case hex), space
 * included. Brackets stay raw so nested keys read as Stripe documents
 * them ("metadata[tenant_pubkey]"); any form decoder reads them back.
 * Allocation failure aborts, as with xmalloc.
 */
struct form {
	char *buf; /* NUL-terminated once anything was added */
	size_t len;
	size_t cap;
};

void form_init(struct form *);
void form_add(struct form *, const char *key, const char *value);
/* Append pairs already encoded ("a=1&b=2"), e.g. a form sent before. */
void form_add_encoded(struct form *, const char *);
const char *form_body(const struct form *); /* "" when empty */
void form_release(struct form *);
/* One key or value encoded as form_add() does; caller frees. */
char *form_escape_alloc(const char *);

#endif
