/* relay.c: relay sessions, publish and query (see relay.h). */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core.h"
#include "json.h"
#include "relay.h"
#include "ws.h"

#define CLOSE_WAIT_MS 1000 /* polite close at the end of a session */
#define RPC_EOSE_WAIT_MS 3000 /* publish anyway if EOSE takes longer */

/* One publish item (relay, event) or one query (relay). */
enum item_state {
	IT_QUEUED, /* not sent yet (or to be sent again after AUTH) */
	IT_SENT, /* awaiting OK, or EOSE for a query */
	IT_AUTHWAIT, /* "auth-required": awaiting our AUTH's outcome */
	IT_DONE
};

struct item {
	enum item_state state;
	int resent; /* sent again after AUTH: never a third time */
	int phase; /* rpc: 0 the REQ, 1 the EVENT */
	struct relay_result *res;
};

struct conn {
	struct relay_session *s;
	char *url;
	struct ws *ws;
	int ever_open;
	char challenge[RELAY_CHALLENGE_MAX + 1];
	int authed;
	int auth_pending; /* our AUTH event awaits its OK */
	int auth_failed;
	char auth_msg[200];
	unsigned char auth_id[32];
	/* The current call. */
	struct item *items; /* m items for a publish, 1 for a query */
	size_t inflight;
	size_t nevents; /* events received in this query */
	size_t qbytes; /* bytes of those events */
	size_t msglen; /* bytes of the message being handled */
	char sub[32];
};

struct relay_session {
	struct relay_opts opts;
	char *ca_file; /* our copy of opts.ca_file */
	unsigned char sk[32];
	int has_sk;
	struct conn **conns;
	size_t nconns;
	unsigned int subseq;
	/* The current call. */
	const struct nostr_event *const *evs;
	char **evmsgs; /* ["EVENT",<event>] per event */
	size_t m;
	int query;
	char *reqmsg;
	struct json_object *reqfilter; /* what the query asked for */
	struct relay_events *out;
	/* An rpc call: the request's EVENT message and the reply's test. */
	int rpc;
	char *rpcmsg;
	unsigned char rpc_id[32];
	int (*accept)(void *, const struct nostr_event *);
	void *accept_arg;
	struct nostr_event *reply;
	int replied;
	int64_t eose_by;
};

const char *
relay_status_name(enum relay_status st)
{
	static const char *const names[] = {
		"pending", "ok", "rejected", "timeout", "connection failed"
	};

	return (size_t)st < nitems(names) ? names[st] : "?";
}

static void
result_set(struct relay_result *r, enum relay_status st, const char *fmt,
    ...) __attribute__((format(printf, 3, 4)));

/*
 * The message is formatted aside and then copied, so an argument may be
 * r->msg itself (vsnprintf's source and destination must not overlap:
 * C11 7.21.6.12).
 */
static void
result_set(struct relay_result *r, enum relay_status st, const char *fmt,
    ...)
{
	va_list ap;
	char msg[sizeof(r->msg)];

	r->status = st;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	memcpy(r->msg, msg, sizeof(msg));
}

static void
item_done(struct item *it, enum relay_status st, const char *text,
    size_t len)
{
	it->state = IT_DONE;
	it->res->status = st;
	relay_text_copy(it->res->msg, sizeof(it->res->msg), text, len);
}

/*
 * ["AUTH", <kind 22242 event>] for the connection's challenge (NIP-42);
 * NULL if signing failed. created_at is the real time: the relay checks
 * it against its own clock, so a pinned test clock must not leak here.
 */
static char *
auth_msg_alloc(struct conn *c)
{
	const char *relay[2], *chal[2];
	struct nostr_event ev;
	char *json, *msg = NULL;
	size_t len;

	relay[0] = "relay";
	relay[1] = c->url;
	chal[0] = "challenge";
	chal[1] = c->challenge;
	nostr_event_init(&ev);
	ev.kind = RELAY_AUTH_KIND;
	ev.created_at = (int64_t)time(NULL);
	nostr_event_add_tag(&ev, 2, relay);
	nostr_event_add_tag(&ev, 2, chal);
	if (nostr_event_sign(&ev, c->s->sk) == 0) {
		json = nostr_event_json_alloc(&ev, &len);
		msg = xmalloc(len + 16);
		snprintf(msg, len + 16, "[\"AUTH\",%s]", json);
		free(json);
		memcpy(c->auth_id, ev.id, 32);
	}
	nostr_event_release(&ev);
	return msg;
}

/* Answer the stored challenge, once per connection. */
static void
auth_start(struct conn *c)
{
	char *msg;

	if (c->auth_pending || c->authed || c->auth_failed ||
	    c->challenge[0] == '\0')
		return;
	if ((msg = auth_msg_alloc(c)) == NULL) {
		c->auth_failed = 1;
		snprintf(c->auth_msg, sizeof(c->auth_msg), "signing failed");
		return;
	}
	if (ws_send(c->ws, msg, strlen(msg)) == 0)
		c->auth_pending = 1;
	free(msg);
}

static size_t
nitems_call(const struct conn *c)
{
	return c->s->query || c->s->rpc ? 1 : c->s->m;
}

/* Does an item of the current call wait for AUTH? */
static int
auth_waiting(const struct conn *c)
{
	size_t i;

	for (i = 0; c->items != NULL && i < nitems_call(c); i++)
		if (c->items[i].state == IT_AUTHWAIT)
			return 1;
	return 0;
}

/* An "auth-required:" refusal of item it. */
static void
auth_required(struct conn *c, struct item *it, const char *text,
    size_t len)
{
	if (!c->s->has_sk || it->resent || c->authed) {
		item_done(it, RELAY_REJECTED, text, len);
		return;
	}
	if (c->auth_failed) {
		it->state = IT_DONE;
		result_set(it->res, RELAY_REJECTED, "auth failed: %s",
		    c->auth_msg);
		return;
	}
	it->state = IT_AUTHWAIT;
	relay_text_copy(it->res->msg, sizeof(it->res->msg), text, len);
	auth_start(c);
}

/* The OK for our AUTH event: resend what waited, or give up on it. */
static void
auth_answered(struct conn *c, const struct relay_msg *m)
{
	size_t i;

	c->auth_pending = 0;
	if (m->ok)
		c->authed = 1;
	else {
		c->auth_failed = 1;
		relay_text_copy(c->auth_msg, sizeof(c->auth_msg), m->text,
		    m->text_len);
	}
	for (i = 0; c->items != NULL && i < nitems_call(c); i++) {
		if (c->items[i].state != IT_AUTHWAIT)
			continue;
		if (m->ok) {
			c->items[i].state = IT_QUEUED;
			c->items[i].resent = 1;
		} else {
			c->items[i].state = IT_DONE;
			result_set(c->items[i].res, RELAY_REJECTED,
			    "auth failed: %s", c->auth_msg);
		}
	}
}

/*
 * The OK for an rpc request: a refusal ends this relay's part (after
 * AUTH, once); an acceptance changes nothing, the reply is what counts.
 */
static void
on_rpc_ok(struct conn *c, const struct relay_msg *m)
{
	struct item *it = c->items;
	char prefix[32];

	if (it->state == IT_DONE || it->phase != 1 ||
	    memcmp(m->id, c->s->rpc_id, 32) != 0 || m->ok)
		return;
	relay_msg_prefix(m->text, m->text_len, prefix);
	if (strcmp(prefix, "duplicate") == 0)
		return;
	if (strcmp(prefix, "auth-required") == 0)
		auth_required(c, it, m->text, m->text_len);
	else
		item_done(it, RELAY_REJECTED, m->text, m->text_len);
}

static void
on_ok(struct conn *c, const struct relay_msg *m)
{
	struct relay_session *s = c->s;
	struct item *it;
	char prefix[32];
	size_t j;

	if (c->auth_pending && memcmp(m->id, c->auth_id, 32) == 0) {
		auth_answered(c, m);
		return;
	}
	if (c->items != NULL && s->rpc) {
		on_rpc_ok(c, m);
		return;
	}
	if (c->items == NULL || s->query)
		return;
	relay_msg_prefix(m->text, m->text_len, prefix);
	for (j = 0; j < s->m; j++) {
		it = &c->items[j];
		if (it->state != IT_SENT ||
		    memcmp(s->evs[j]->id, m->id, 32) != 0)
			continue;
		c->inflight--;
		/* NIP-01: "duplicate:" means the relay has it. */
		if (m->ok || strcmp(prefix, "duplicate") == 0) {
			it->res->duplicate = strcmp(prefix, "duplicate") == 0;
			item_done(it, RELAY_OK, m->text, m->text_len);
		} else if (strcmp(prefix, "auth-required") == 0)
			auth_required(c, it, m->text, m->text_len);
		else
			item_done(it, RELAY_REJECTED, m->text, m->text_len);
	}
}

/* A query's end: stop the subscription on the relay (NIP-01 CLOSE). */
static void
query_end(struct conn *c)
{
	char msg[64];

	snprintf(msg, sizeof(msg), "[\"CLOSE\",\"%s\"]", c->sub);
	(void)ws_send(c->ws, msg, strlen(msg));
}

/*
 * A message on an rpc subscription: EOSE lets the request go out (the
 * subscription is live, so the reply cannot slip past it); an event that
 * verifies and that the caller accepts is the reply.
 */
static void
on_rpc_msg(struct conn *c, struct relay_msg *m)
{
	struct relay_session *s = c->s;
	struct item *it = c->items;
	const char *why;
	char prefix[32];

	if (it == NULL || it->state == IT_DONE || m->sub_id == NULL ||
	    strcmp(m->sub_id, c->sub) != 0)
		return;
	switch (m->type) {
	case RELAY_MSG_EOSE:
		if (it->phase == 0 && it->state == IT_SENT) {
			it->phase = 1;
			it->state = IT_QUEUED;
		}
		break;
	case RELAY_MSG_EVENT:
		if (s->replied || nostr_event_verify(&m->event, &why) == -1 ||
		    !s->accept(s->accept_arg, &m->event))
			break;
		*s->reply = m->event;
		m->has_event = 0;
		s->replied = 1;
		item_done(it, RELAY_OK, "", 0);
		break;
	case RELAY_MSG_CLOSED:
		relay_msg_prefix(m->text, m->text_len, prefix);
		if (strcmp(prefix, "auth-required") == 0) {
			it->phase = 0;
			auth_required(c, it, m->text, m->text_len);
		} else
			item_done(it, RELAY_REJECTED, m->text, m->text_len);
		break;
	default:
		break;
	}
}

static void
on_query_msg(struct conn *c, struct relay_msg *m)
{
	struct relay_session *s = c->s;
	struct item *it = c->items;
	const char *why;
	char prefix[32];
	size_t max;

	if (it == NULL || !s->query || it->state == IT_DONE ||
	    m->sub_id == NULL || strcmp(m->sub_id, c->sub) != 0)
		return;
	max = s->opts.max_events > 0 ? s->opts.max_events : RELAY_MAX_EVENTS;
	switch (m->type) {
	case RELAY_MSG_EVENT:
		if (nostr_event_verify(&m->event, &why) == -1) {
			log_debug("relay %s: dropped an event: %s", c->url,
			    why);
			break;
		}
		/*
		 * Only what was asked for is kept, and of a replaceable
		 * list only the newest: a relay cannot fill our memory with
		 * events of other kinds or authors, or with old versions.
		 */
		if (relay_filter_match(s->reqfilter, &m->event))
			(void)relay_events_add(s->out, &m->event);
		if (++c->nevents >= max) {
			result_set(it->res, RELAY_OK, "stopped after %zu "
			    "events", max);
			it->state = IT_DONE;
			query_end(c);
		} else if ((c->qbytes += c->msglen) > RELAY_QUERY_MAX_BYTES) {
			result_set(it->res, RELAY_OK, "stopped after %zu "
			    "bytes", c->qbytes);
			it->state = IT_DONE;
			query_end(c);
		}
		break;
	case RELAY_MSG_EOSE:
		item_done(it, RELAY_OK, "", 0);
		query_end(c);
		break;
	case RELAY_MSG_CLOSED:
		relay_msg_prefix(m->text, m->text_len, prefix);
		if (strcmp(prefix, "auth-required") == 0)
			auth_required(c, it, m->text, m->text_len);
		else
			item_done(it, RELAY_REJECTED, m->text, m->text_len);
		break;
	default:
		break;
	}
}

/* ws.h message callback: one relay message on connection arg. */
static void
on_message(void *arg, const char *buf, size_t len)
{
	struct conn *c = arg;
	struct relay_msg m;
	const char *why;
	char text[200];

	c->msglen = len;
	if (relay_msg_parse(buf, len, &m, &why) == -1) {
		log_debug("relay %s: ignored a message: %s", c->url, why);
		return;
	}
	switch (m.type) {
	case RELAY_MSG_AUTH:
		/* NIP-42: the latest challenge is the one to answer. */
		snprintf(c->challenge, sizeof(c->challenge), "%s", m.text);
		if (auth_waiting(c))
			auth_start(c);
		break;
	case RELAY_MSG_OK:
		on_ok(c, &m);
		break;
	case RELAY_MSG_NOTICE:
		relay_text_copy(text, sizeof(text), m.text, m.text_len);
		log_debug("relay %s: NOTICE %s", c->url, text);
		break;
	default:
		if (c->s->rpc)
			on_rpc_msg(c, &m);
		else
			on_query_msg(c, &m);
		break;
	}
	relay_msg_release(&m);
}

struct relay_session *
relay_session_new(const struct relay_opts *o, const unsigned char sk[32])
{
	struct relay_session *s;

	s = xcalloc(1, sizeof(*s));
	if (o != NULL)
		s->opts = *o;
	if (s->opts.ca_file != NULL)
		s->opts.ca_file = s->ca_file = xstrdup(s->opts.ca_file);
	if (sk != NULL) {
		memcpy(s->sk, sk, 32);
		s->has_sk = 1;
	}
	return s;
}

static int
ended(const struct conn *c)
{
	return ws_state(c->ws) == WS_CLOSED || ws_state(c->ws) == WS_FAILED;
}

static void
conn_connect(struct conn *c)
{
	struct ws_opts wo;

	memset(&wo, 0, sizeof(wo));
	wo.connect_timeout_ms = c->s->opts.connect_timeout_ms;
	wo.ca_file = c->s->opts.ca_file;
	wo.max_msg = c->s->opts.max_msg;
	wo.max_total = c->s->opts.max_conn_bytes > 0 ?
	    c->s->opts.max_conn_bytes : RELAY_CONN_MAX;
	wo.public_only = c->s->opts.public_only;
	ws_free(c->ws);
	c->ws = ws_connect(c->url, &wo, on_message, c);
	c->ever_open = 0;
	c->challenge[0] = '\0';
	c->authed = c->auth_pending = c->auth_failed = 0;
}

/*
 * The connection to url, made if needed. One that worked and then
 * closed (relays drop idle clients) is made again; one that never
 * opened stays failed for the session, so a dead relay costs one
 * timeout per pass, not one per event.
 */
static struct conn *
conn_get(struct relay_session *s, const char *url)
{
	struct conn *c;
	size_t i;

	for (i = 0; i < s->nconns; i++) {
		c = s->conns[i];
		if (strcmp(c->url, url) != 0)
			continue;
		if (ended(c) && c->ever_open)
			conn_connect(c);
		return c;
	}
	c = xcalloc(1, sizeof(*c));
	c->s = s;
	c->url = xstrdup(url);
	conn_connect(c);
	s->conns = xrealloc(s->conns, (s->nconns + 1) * sizeof(*s->conns));
	s->conns[s->nconns++] = c;
	return c;
}

/* Send what may be sent; fail everything if the connection ended. */
static void
pump(struct conn *c)
{
	struct relay_session *s = c->s;
	struct item *it;
	char *req;
	size_t j, len;

	for (j = 0; j < nitems_call(c); j++) {
		it = &c->items[j];
		if (it->state == IT_DONE)
			continue;
		if (ended(c)) {
			it->state = IT_DONE;
			result_set(it->res, RELAY_ECONN, "%s",
			    ws_error(c->ws));
			continue;
		}
		if (it->state != IT_QUEUED)
			continue;
		if (s->rpc && it->phase == 1) {
			if (ws_send(c->ws, s->rpcmsg, strlen(s->rpcmsg)) == 0)
				it->state = IT_SENT;
		} else if (s->query || s->rpc) {
			len = strlen(s->reqmsg) + strlen(c->sub) + 16;
			req = xmalloc(len);
			snprintf(req, len, "[\"REQ\",\"%s\",%s]", c->sub,
			    s->reqmsg);
			if (ws_send(c->ws, req, strlen(req)) == 0)
				it->state = IT_SENT;
			free(req);
		} else if (c->inflight < RELAY_WINDOW &&
		    ws_send(c->ws, s->evmsgs[j], strlen(s->evmsgs[j])) == 0) {
			it->state = IT_SENT;
			c->inflight++;
		}
	}
}

static int
conn_pending(const struct conn *c)
{
	size_t j;

	for (j = 0; j < nitems_call(c); j++)
		if (c->items[j].state != IT_DONE)
			return 1;
	return 0;
}

/*
 * An rpc call ends for every relay once one relay brought the reply; a
 * relay slow to send EOSE gets the request anyway after RPC_EOSE_WAIT_MS.
 * Returns when run() must wake up next.
 */
static int64_t
rpc_tick(struct conn **cs, size_t n, int64_t deadline)
{
	struct relay_session *s = NULL;
	struct item *it;
	int64_t now = ws_now_ms();
	size_t i;
	int waiting = 0;

	for (i = 0; i < n && s == NULL; i++)
		if (cs[i] != NULL)
			s = cs[i]->s;
	if (s == NULL || !s->rpc)
		return deadline;
	for (i = 0; i < n; i++) {
		if (cs[i] == NULL || (it = cs[i]->items)->state == IT_DONE)
			continue;
		if (s->replied) {
			result_set(it->res, RELAY_OK, "another relay answered");
			it->state = IT_DONE;
		} else if (it->phase == 0 && it->state == IT_SENT) {
			if (now >= s->eose_by) {
				it->phase = 1;
				it->state = IT_QUEUED;
			} else
				waiting = 1;
		}
	}
	return waiting && s->eose_by < deadline ? s->eose_by : deadline;
}

/* Drive the call's connections until every item is done or deadline. */
static void
run(struct conn **cs, size_t n, int64_t deadline, long timeout_ms)
{
	struct ws **ws;
	struct item *it;
	size_t i, j, pending;
	int64_t wake;

	ws = xcalloc(n, sizeof(*ws));
	for (;;) {
		wake = rpc_tick(cs, n, deadline);
		pending = 0;
		for (i = 0; i < n; i++) {
			ws[i] = NULL;
			if (cs[i] == NULL)
				continue;
			pump(cs[i]);
			if (conn_pending(cs[i])) {
				ws[i] = cs[i]->ws;
				pending++;
			}
		}
		if (pending == 0 || ws_now_ms() >= deadline ||
		    ws_poll(ws, n, wake) == -1)
			break;
		for (i = 0; i < n; i++)
			if (cs[i] != NULL && ws_state(cs[i]->ws) == WS_OPEN)
				cs[i]->ever_open = 1;
	}
	for (i = 0; i < n; i++)
		for (j = 0; cs[i] != NULL && j < nitems_call(cs[i]); j++) {
			it = &cs[i]->items[j];
			if (it->state == IT_DONE)
				continue;
			if (ws_state(cs[i]->ws) == WS_CONNECTING)
				result_set(it->res, RELAY_TIMEOUT, "timeout "
				    "while connecting (%ld ms)", timeout_ms);
			else if (it->state == IT_AUTHWAIT)
				result_set(it->res, RELAY_TIMEOUT, "timeout "
				    "waiting for AUTH after: %.180s",
				    it->res->msg);
			else
				result_set(it->res, RELAY_TIMEOUT, "no answer "
				    "within %ld ms", timeout_ms);
			it->state = IT_DONE;
		}
	free(ws);
}

/*
 * Map urls to connections for one call: a URL given twice shares the
 * first one's connection, and its results are copied at the end.
 */
static struct conn **
call_start(struct relay_session *s, const char *const *urls, size_t n,
    size_t *alias)
{
	struct conn **cs;
	size_t i, k;

	cs = xcalloc(n, sizeof(*cs));
	for (i = 0; i < n; i++) {
		alias[i] = i;
		for (k = 0; k < i; k++)
			if (strcmp(urls[k], urls[i]) == 0) {
				alias[i] = k;
				break;
			}
		if (alias[i] == i)
			cs[i] = conn_get(s, urls[i]);
	}
	return cs;
}

static void
call_end(struct conn **cs, size_t n, size_t per, struct relay_result *res,
    const size_t *alias)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		if (cs[i] != NULL) {
			for (j = 0; j < per; j++)
				cs[i]->items[j].res->authed = cs[i]->authed;
			free(cs[i]->items);
			cs[i]->items = NULL;
		} else
			memcpy(&res[i * per], &res[alias[i] * per],
			    per * sizeof(*res));
	}
	free(cs);
}

static long
call_timeout(const struct relay_session *s)
{
	return s->opts.timeout_ms > 0 ? s->opts.timeout_ms : RELAY_TIMEOUT_MS;
}

int
relay_session_publish(struct relay_session *s, const char *const *urls,
    size_t n, const struct nostr_event *const *evs, size_t m,
    struct relay_result *results)
{
	struct conn **cs;
	size_t i, j, len, *alias;
	char *json;
	int64_t deadline;

	if (s == NULL || (n > 0 && (urls == NULL || results == NULL)) ||
	    (m > 0 && evs == NULL))
		return -1;
	deadline = ws_now_ms() + call_timeout(s);
	for (j = 0; j < m; j++)
		if (evs[j] == NULL || !evs[j]->has_sig)
			return -1;
	for (i = 0; i < n; i++)
		if (urls[i] == NULL)
			return -1;
	memset(results, 0, n * m * sizeof(*results));
	if (n == 0 || m == 0)
		return 0;
	s->query = 0;
	s->evs = evs;
	s->m = m;
	s->evmsgs = xcalloc(m, sizeof(*s->evmsgs));
	for (j = 0; j < m; j++) {
		json = nostr_event_json_alloc(evs[j], &len);
		s->evmsgs[j] = xmalloc(len + 16);
		snprintf(s->evmsgs[j], len + 16, "[\"EVENT\",%s]", json);
		free(json);
	}
	alias = xcalloc(n, sizeof(*alias));
	cs = call_start(s, urls, n, alias);
	for (i = 0; i < n; i++) {
		if (cs[i] == NULL)
			continue;
		cs[i]->items = xcalloc(m, sizeof(*cs[i]->items));
		cs[i]->inflight = 0;
		for (j = 0; j < m; j++)
			cs[i]->items[j].res = &results[i * m + j];
	}
	run(cs, n, deadline, call_timeout(s));
	call_end(cs, n, m, results, alias);
	for (j = 0; j < m; j++)
		free(s->evmsgs[j]);
	free(s->evmsgs);
	free(alias);
	s->evmsgs = NULL;
	s->evs = NULL;
	return 0;
}

int
relay_session_query(struct relay_session *s, const char *const *urls,
    size_t n, const char *filter_json, struct relay_events *out,
    struct relay_result *results)
{
	struct relay_result *res;
	struct json_object *f;
	struct conn **cs;
	size_t i, *alias;
	int64_t deadline = ws_now_ms() + (s != NULL ? call_timeout(s) : 0);

	if (s == NULL || filter_json == NULL || out == NULL ||
	    (n > 0 && urls == NULL))
		return -1;
	for (i = 0; i < n; i++)
		if (urls[i] == NULL)
			return -1;
	if ((f = json_parse_object(filter_json, strlen(filter_json))) == NULL)
		return -1;
	s->reqmsg = xstrdup(json_text(f, NULL));
	s->reqfilter = f;
	res = results != NULL ? results : xcalloc(n + 1, sizeof(*res));
	memset(res, 0, n * sizeof(*res));
	s->query = 1;
	s->out = out;
	alias = xcalloc(n + 1, sizeof(*alias));
	cs = call_start(s, urls, n, alias);
	for (i = 0; i < n; i++) {
		if (cs[i] == NULL)
			continue;
		cs[i]->items = xcalloc(1, sizeof(*cs[i]->items));
		cs[i]->items[0].res = &res[i];
		cs[i]->nevents = 0;
		cs[i]->qbytes = 0;
		snprintf(cs[i]->sub, sizeof(cs[i]->sub), "caravel-%u",
		    ++s->subseq);
	}
	run(cs, n, deadline, call_timeout(s));
	for (i = 0; i < n; i++)
		if (cs[i] != NULL && res[i].status == RELAY_TIMEOUT)
			query_end(cs[i]);
	call_end(cs, n, 1, res, alias);
	if (res != results)
		free(res);
	free(alias);
	free(s->reqmsg);
	s->reqmsg = NULL;
	json_object_put(s->reqfilter);
	s->reqfilter = NULL;
	s->out = NULL;
	s->query = 0;
	return 0;
}

int
relay_session_rpc(struct relay_session *s, const char *const *urls, size_t n,
    const char *filter_json, const struct nostr_event *req, long timeout_ms,
    int (*accept)(void *, const struct nostr_event *), void *arg,
    struct nostr_event *reply, struct relay_result *results)
{
	struct relay_result *res;
	struct json_object *f;
	struct conn **cs;
	char *json;
	size_t i, len, *alias;
	int64_t deadline;

	if (s == NULL || filter_json == NULL || req == NULL || !req->has_sig ||
	    accept == NULL || reply == NULL || (n > 0 && urls == NULL))
		return -1;
	for (i = 0; i < n; i++)
		if (urls[i] == NULL)
			return -1;
	if ((f = json_parse_object(filter_json, strlen(filter_json))) == NULL)
		return -1;
	deadline = ws_now_ms() + (timeout_ms > 0 ? timeout_ms :
	    call_timeout(s));
	s->reqmsg = xstrdup(json_text(f, NULL));
	json_object_put(f);
	json = nostr_event_json_alloc(req, &len);
	s->rpcmsg = xmalloc(len + 16);
	snprintf(s->rpcmsg, len + 16, "[\"EVENT\",%s]", json);
	free(json);
	memcpy(s->rpc_id, req->id, 32);
	res = results != NULL ? results : xcalloc(n + 1, sizeof(*res));
	memset(res, 0, n * sizeof(*res));
	s->rpc = 1;
	s->accept = accept;
	s->accept_arg = arg;
	s->reply = reply;
	s->replied = 0;
	s->eose_by = ws_now_ms() + RPC_EOSE_WAIT_MS;
	alias = xcalloc(n + 1, sizeof(*alias));
	cs = call_start(s, urls, n, alias);
	for (i = 0; i < n; i++) {
		if (cs[i] == NULL)
			continue;
		cs[i]->items = xcalloc(1, sizeof(*cs[i]->items));
		cs[i]->items[0].res = &res[i];
		snprintf(cs[i]->sub, sizeof(cs[i]->sub), "caravel-%u",
		    ++s->subseq);
	}
	run(cs, n, deadline, timeout_ms > 0 ? timeout_ms : call_timeout(s));
	for (i = 0; i < n; i++)
		if (cs[i] != NULL && !ended(cs[i]))
			query_end(cs[i]);
	call_end(cs, n, 1, res, alias);
	if (res != results)
		free(res);
	free(alias);
	free(s->reqmsg);
	free(s->rpcmsg);
	s->reqmsg = s->rpcmsg = NULL;
	s->rpc = 0;
	s->reply = NULL;
	return s->replied ? 0 : -1;
}

void
relay_session_free(struct relay_session *s)
{
	struct ws **ws;
	int64_t deadline;
	size_t i, open;

	if (s == NULL)
		return;
	ws = xcalloc(s->nconns + 1, sizeof(*ws));
	for (i = 0; i < s->nconns; i++)
		ws_close(s->conns[i]->ws);
	deadline = ws_now_ms() + CLOSE_WAIT_MS;
	do {
		for (open = 0, i = 0; i < s->nconns; i++) {
			ws[i] = ws_state(s->conns[i]->ws) == WS_OPEN ?
			    s->conns[i]->ws : NULL;
			open += ws[i] != NULL;
		}
	} while (open > 0 && ws_now_ms() < deadline &&
	    ws_poll(ws, s->nconns, deadline) == 0);
	for (i = 0; i < s->nconns; i++) {
		ws_free(s->conns[i]->ws);
		free(s->conns[i]->url);
		free(s->conns[i]);
	}
	free(ws);
	free(s->conns);
	free(s->ca_file);
	explicit_zero(s->sk, sizeof(s->sk));
	free(s);
}

int
relay_publish_many(const char *const *urls, size_t n,
    const struct nostr_event *const *evs, size_t m,
    const unsigned char auth_sk[32], const struct relay_opts *o,
    struct relay_result *results)
{
	struct relay_session *s;
	int r;

	s = relay_session_new(o, auth_sk);
	r = relay_session_publish(s, urls, n, evs, m, results);
	relay_session_free(s);
	return r;
}

int
relay_publish(const char *const *urls, size_t n,
    const struct nostr_event *ev, const unsigned char auth_sk[32],
    const struct relay_opts *o, struct relay_result *results)
{
	return relay_publish_many(urls, n, &ev, 1, auth_sk, o, results);
}

int
relay_query(const char *const *urls, size_t n, const char *filter_json,
    const struct relay_opts *o, struct relay_events *out,
    struct relay_result *results)
{
	struct relay_session *s;
	int r;

	s = relay_session_new(o, NULL);
	r = relay_session_query(s, urls, n, filter_json, out, results);
	relay_session_free(s);
	return r;
}
