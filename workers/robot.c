/*
 * robot.c: caravel-robot, the platform's Nostr identity (spec/workers.md
 * §4). One pass publishes the robot's kind 0 / 10002 / 10050 when their
 * content changed or a day has passed, then sends the queued DMs of the
 * outbox as NIP-17 gift wraps to each recipient's kind 10050 relays, with
 * a copy to the robot's own messaging relays. Each wrap is built once and
 * stored before it is published, so a retry after a crash republishes the
 * same event ids (relays answer "duplicate") and nobody gets a DM twice.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "crypt.h"
#include "json.h"
#include "nostr.h"
#include "relay.h"
#include "ws.h"
#include "worker.h"

#define PROFILE_REFRESH 86400 /* republish unchanged profile events daily */
#define DM_RELAYS_TTL 300 /* recipient relay lists are cached 5 minutes */
#define DM_GIVE_UP 86400 /* a DM not sent within a day fails */
#define DM_RETRY_BASE 60 /* seconds, doubled per attempt */
#define DM_RETRY_CAP 3600
#define DM_BATCH 1000
#define RELAYS_MAX 32
/*
 * Relay lists and profile events are a few kB; a relay sending more per
 * message is refused before json-c parses it (a tree costs some 85 times
 * its text), which bounds the robot's memory whatever relays send.
 */
#define ROBOT_MSG_MAX (64 * 1024)
#define ROBOT_QUERY_EVENTS 200
#define ROBOT_CONN_BYTES (16 * 1024 * 1024) /* per relay and pass */

struct robot {
	struct worker w;
	struct relay_session *rs; /* the relays the operator configured */
	struct relay_session *rs_public; /* relays strangers named */
	struct relay_opts opts;
	unsigned char sk[32], pk[32];
	char pkhex[65];
	char only[65]; /* --once-for as hex */
	int sent, retried, failed, published;
};

/* A list of relay URLs, deduplicated, at most RELAYS_MAX. */
struct urls {
	const char *v[RELAYS_MAX];
	size_t n;
};

static void
urls_add(struct urls *u, const char *url)
{
	size_t i;

	for (i = 0; i < u->n; i++)
		if (strcmp(u->v[i], url) == 0)
			return;
	if (u->n < RELAYS_MAX)
		u->v[u->n++] = url;
}

static void
urls_add_cfg(struct urls *u, const struct config *c, enum cfgkey k)
{
	size_t i;

	for (i = 0; i < c->nlist[k]; i++)
		urls_add(u, c->list[k][i]);
}

/* Publish ev to u over session rs; the number of relays that stored it. */
static size_t
publish(struct relay_session *rs, const struct urls *u,
    const struct nostr_event *ev, struct relay_result *res)
{
	const struct nostr_event *evs[1] = { ev };
	size_t i, ok = 0;

	if (u->n == 0 || relay_session_publish(rs, u->v, u->n, evs, 1,
	    res) == -1)
		return 0;
	for (i = 0; i < u->n; i++) {
		if (res[i].status == RELAY_OK)
			ok++;
		else
			log_info("%s: %s %s", u->v[i],
			    relay_status_name(res[i].status), res[i].msg);
	}
	return ok;
}

/*
 * Publish one of the robot's replaceable events when its content differs
 * from the last publication or a day has passed; the hash covers kind,
 * tags and content, not the time.
 */
static void
profile_event(struct robot *ro, struct arena *a, struct nostr_event *ev,
    const struct urls *u)
{
	struct relay_result res[RELAYS_MAX];
	unsigned char hash[32];
	char hex[65], idhex[65], *ser;
	const char *old;
	int64_t when, now = clock_now();
	size_t len;

	ev->created_at = 0;
	memset(ev->pubkey, 0, sizeof(ev->pubkey));
	ser = nostr_event_serialize_alloc(ev, &len);
	nostr_sha256(ser, len, hash);
	free(ser);
	hex_encode(hash, 32, hex);
	when = 0;
	if (db_robot_pub_get(ro->w.db, a, ev->kind, &old, &when) == DB_OK &&
	    strcmp(old, hex) == 0 && now - when < PROFILE_REFRESH)
		return;
	if (u->n == 0) {
		log_debug("kind %d: no relays configured to publish it",
		    ev->kind);
		return;
	}
	if (ro->w.dry_run) {
		log_info("kind %d: would publish to %zu relays", ev->kind,
		    u->n);
		return;
	}
	/*
	 * A replaceable event replaces an older one only if it is newer
	 * (NIP-01; on a tie the lower id wins): never reuse the last second.
	 */
	ev->created_at = now > when ? now : when + 1;
	if (nostr_event_sign(ev, ro->sk) == -1)
		return;
	if (publish(ro->rs, u, ev, res) == 0) {
		log_warnx("kind %d: no relay stored it; next pass retries",
		    ev->kind);
		return;
	}
	hex_encode(ev->id, 32, idhex);
	if (db_robot_pub_put(ro->w.db, ev->kind, hex, idhex, ev->created_at) ==
	    DB_OK) {
		log_info("kind %d: published %s", ev->kind, idhex);
		ro->published++;
	}
}

static void
profile(struct robot *ro, struct arena *a)
{
	const struct config *c = &ro->w.cfg;
	struct nostr_event ev;
	struct json_object *meta;
	struct urls out = { { NULL }, 0 }, all;
	const char *tag[2];
	size_t i, len;
	const char *text;

	urls_add_cfg(&out, c, CFG_ROBOT_OUTBOX_RELAYS);
	urls_add_cfg(&out, c, CFG_ROBOT_INDEXER_RELAYS);
	all = out;
	urls_add_cfg(&all, c, CFG_ROBOT_MESSAGING_RELAYS);

	/* kind 0: NIP-01 metadata, only the fields that are set. */
	nostr_event_init(&ev);
	ev.kind = 0;
	meta = jobj();
	if (cfg_isset(c, CFG_ROBOT_NAME))
		jadd_str(meta, "name", cfg_str(c, CFG_ROBOT_NAME));
	if (cfg_isset(c, CFG_ROBOT_DESCRIPTION))
		jadd_str(meta, "about", cfg_str(c, CFG_ROBOT_DESCRIPTION));
	if (cfg_isset(c, CFG_ROBOT_PICTURE))
		jadd_str(meta, "picture", cfg_str(c, CFG_ROBOT_PICTURE));
	text = json_text(meta, &len);
	nostr_event_set_content(&ev, text, len);
	json_object_put(meta);
	profile_event(ro, a, &ev, &out);
	nostr_event_release(&ev);

	/* kind 10002: NIP-65, the outbox relays (read and write). */
	nostr_event_init(&ev);
	ev.kind = 10002;
	tag[0] = "r";
	for (i = 0; i < c->nlist[CFG_ROBOT_OUTBOX_RELAYS]; i++) {
		tag[1] = c->list[CFG_ROBOT_OUTBOX_RELAYS][i];
		nostr_event_add_tag(&ev, 2, tag);
	}
	profile_event(ro, a, &ev, &out);
	nostr_event_release(&ev);

	/* kind 10050: NIP-17, where the robot receives DMs. */
	nostr_event_init(&ev);
	ev.kind = 10050;
	tag[0] = "relay";
	for (i = 0; i < c->nlist[CFG_ROBOT_MESSAGING_RELAYS]; i++) {
		tag[1] = c->list[CFG_ROBOT_MESSAGING_RELAYS][i];
		nostr_event_add_tag(&ev, 2, tag);
	}
	profile_event(ro, a, &ev, &all);
	nostr_event_release(&ev);
}

/* The relay URLs of tags named name in ev (for 10002: not "read"-only). */
static void
tag_urls(struct arena *a, const struct nostr_event *ev, const char *name,
    struct urls *u)
{
	struct json_object *t, *v;
	struct ws_url parsed;
	const char *url;
	size_t i, n;

	n = json_object_array_length(ev->tags);
	for (i = 0; i < n; i++) {
		t = json_object_array_get_idx(ev->tags, i);
		if (json_object_array_length(t) < 2 ||
		    strcmp(json_object_get_string(json_object_array_get_idx(t,
		    0)), name) != 0)
			continue;
		if (json_object_array_length(t) >= 3 &&
		    (v = json_object_array_get_idx(t, 2)) != NULL &&
		    strcmp(json_object_get_string(v), "read") == 0)
			continue;
		url = json_object_get_string(json_object_array_get_idx(t, 1));
		/*
		 * Strangers write these lists: a URL that ws.c would not
		 * connect to (a control byte, user info, not ws or wss) is
		 * never kept, logged or stored.
		 */
		if (url != NULL && ws_url_parse(url, &parsed) == 0)
			urls_add(u, arena_strdup(a, url));
	}
}

static void
urls_from_json(struct arena *a, const char *text, struct urls *u)
{
	struct json_object *o;
	size_t i;

	if ((o = json_parse(text, strlen(text))) == NULL)
		return;
	if (json_object_is_type(o, json_type_array))
		for (i = 0; i < json_object_array_length(o); i++)
			urls_add(u, arena_strdup(a, json_object_get_string(
			    json_object_array_get_idx(o, i))));
	json_object_put(o);
}

static char *
urls_to_json(struct arena *a, const struct urls *u)
{
	struct json_object *o = jarr();
	size_t i;
	char *s;

	for (i = 0; i < u->n; i++)
		jpush(o, jstr(u->v[i]));
	s = arena_strdup(a, json_text(o, NULL));
	json_object_put(o);
	return s;
}

/*
 * The newest event of kind by pk on the operator's relays (trusted) and
 * on relays a stranger named (named, may be NULL: reached only at public
 * addresses); -1, or 0 with it in *ev (caller releases).
 */
static int
newest(struct robot *ro, const struct urls *trusted, const struct urls *named,
    int kind, const unsigned char pk[32], const char *pkhex,
    struct nostr_event *ev)
{
	struct relay_events evs;
	char filter[160];
	int rc;

	snprintf(filter, sizeof(filter),
	    "{\"kinds\":[%d],\"authors\":[\"%s\"],\"limit\":1}", kind, pkhex);
	relay_events_init(&evs);
	if (trusted->n > 0)
		(void)relay_session_query(ro->rs, trusted->v, trusted->n,
		    filter, &evs, NULL);
	if (named != NULL && named->n > 0)
		(void)relay_session_query(ro->rs_public, named->v, named->n,
		    filter, &evs, NULL);
	rc = relay_events_newest(&evs, kind, pk, ev);
	relay_events_release(&evs);
	return rc;
}

/*
 * The recipient's DM relays (NIP-17): their kind 10002 from the indexers
 * names their outbox relays, where (and on the indexers) their newest
 * kind 10050 is looked up. Cached per recipient for DM_RELAYS_TTL.
 */
static void
discover(struct robot *ro, struct arena *a, const char *hex,
    struct urls *inbox)
{
	const struct config *c = &ro->w.cfg;
	struct urls where = { { NULL }, 0 }, outbox = { { NULL }, 0 };
	struct nostr_event ev;
	unsigned char pk[32];
	const char *cached_out, *cached_in;
	int64_t fetched, now = clock_now();

	if (db_dm_relays_get(ro->w.db, a, hex, &cached_out, &cached_in,
	    &fetched) == DB_OK && now - fetched < DM_RELAYS_TTL) {
		urls_from_json(a, cached_in, inbox);
		return;
	}
	if (hex_decode(hex, 64, pk, 32) == -1)
		return;
	urls_add_cfg(&where, c, CFG_ROBOT_INDEXER_RELAYS);
	if (newest(ro, &where, NULL, 10002, pk, hex, &ev) == 0) {
		tag_urls(a, &ev, "r", &outbox);
		nostr_event_release(&ev);
	}
	/* The indexers are the operator's; the outbox relays a stranger's. */
	if (newest(ro, &where, &outbox, 10050, pk, hex, &ev) == 0) {
		tag_urls(a, &ev, "relay", inbox);
		nostr_event_release(&ev);
	}
	db_dm_relays_put(ro->w.db, hex, urls_to_json(a, &outbox),
	    urls_to_json(a, inbox), now);
}

/*
 * The DM's two wraps (to the recipient, and the copy to the robot), built
 * and stored on the first attempt, read back on later ones.
 */
static int
wraps(struct robot *ro, const struct dm *d, struct nostr_event *to,
    struct nostr_event *self)
{
	struct nostr_event rumor;
	unsigned char rpk[32];
	char *tj = NULL, *sj = NULL;
	const char *why;
	int rc = -1;

	if (d->wrap_json != NULL && d->self_wrap_json != NULL) {
		if (nostr_event_parse(d->wrap_json, strlen(d->wrap_json), 1, to,
		    &why) == -1)
			return -1;
		if (nostr_event_parse(d->self_wrap_json,
		    strlen(d->self_wrap_json), 1, self, &why) == -1) {
			nostr_event_release(to);
			return -1;
		}
		return 0;
	}
	if (hex_decode(d->recipient, 64, rpk, 32) == -1)
		return -1;
	giftwrap_dm_rumor(&rumor, ro->pk, rpk, d->text, clock_now());
	if (giftwrap_wrap(&rumor, ro->sk, rpk, clock_now(), to) == -1)
		goto out;
	if (giftwrap_wrap(&rumor, ro->sk, ro->pk, clock_now(), self) == -1) {
		nostr_event_release(to);
		goto out;
	}
	if ((tj = nostr_event_json_alloc(to, NULL)) == NULL ||
	    (sj = nostr_event_json_alloc(self, NULL)) == NULL ||
	    db_dm_set_wraps(ro->w.db, d->id, tj, sj) != DB_OK) {
		nostr_event_release(to);
		nostr_event_release(self);
		goto out;
	}
	worker_point("robot-after-wraps");
	rc = 0;
out:
	free(tj);
	free(sj);
	nostr_event_release(&rumor);
	return rc;
}

/* Not sent this time: retry with backoff, or fail after a day. */
static void
dm_later(struct robot *ro, const struct dm *d, const char *why)
{
	int64_t now = clock_now(), wait;

	wait = worker_backoff(DM_RETRY_BASE, DM_RETRY_CAP, d->attempts + 1);
	if (now - d->created_at >= DM_GIVE_UP) {
		db_dm_failed(ro->w.db, d->id, why, now);
		log_warnx("dm %lld to %s: failed after a day: %s",
		    (long long)d->id, d->recipient, why);
		ro->failed++;
	} else {
		db_dm_retry(ro->w.db, d->id, why, now + wait);
		log_info("dm %lld to %s: not sent (%s); retry in %llds",
		    (long long)d->id, d->recipient, why, (long long)wait);
		ro->retried++;
	}
}

static void
dm_send(struct robot *ro, struct arena *a, const struct dm *d)
{
	struct relay_result res[RELAYS_MAX], sres[RELAYS_MAX];
	struct urls inbox = { { NULL }, 0 }, mine = { { NULL }, 0 };
	struct nostr_event to, self;
	const char *why;
	size_t i, ok;
	int64_t now = clock_now();

	discover(ro, a, d->recipient, &inbox);
	if (inbox.n == 0) {
		dm_later(ro, d, "the recipient has no kind 10050 DM relay list "
		    "(NIP-17)");
		return;
	}
	if (ro->w.dry_run) {
		log_info("dm %lld to %s: would send to %zu relays",
		    (long long)d->id, d->recipient, inbox.n);
		return;
	}
	if (wraps(ro, d, &to, &self) == -1) {
		dm_later(ro, d, "the gift wrap could not be built or stored");
		return;
	}
	ok = publish(ro->rs_public, &inbox, &to, res);
	for (i = 0; i < inbox.n; i++)
		db_dm_delivery(ro->w.db, d->id, inbox.v[i],
		    res[i].status == RELAY_OK, res[i].status == RELAY_OK ?
		    (res[i].duplicate ? "duplicate" : "stored") : res[i].msg,
		    now);
	urls_add_cfg(&mine, &ro->w.cfg, CFG_ROBOT_MESSAGING_RELAYS);
	(void)publish(ro->rs, &mine, &self, sres);
	worker_point("robot-after-publish");
	if (ok > 0) {
		db_dm_sent(ro->w.db, d->id, now);
		log_info("dm %lld to %s: sent to %zu of %zu relays",
		    (long long)d->id, d->recipient, ok, inbox.n);
		ro->sent++;
	} else {
		why = arena_printf(a, "no DM relay stored it (%s: %s)",
		    relay_status_name(res[0].status), res[0].msg);
		dm_later(ro, d, why);
	}
	nostr_event_release(&to);
	nostr_event_release(&self);
}

/* What caravel-robot cannot work without (-n checks it too). */
static const struct cfg_need robot_needs[] = {
	{ CFG_ROBOT_SECRET, "its nostr key, which signs every DM" },
	{ CFG_ROBOT_INDEXER_RELAYS, "relays to find recipients' inbox relay "
	    "lists (kind 10050) on" },
};

static const struct worker_def robot_def = {
	"robot", robot_needs, nitems(robot_needs), 0, "RECIPIENT",
};

int
main(int argc, char *argv[])
{
	struct robot ro;
	struct arena a = { NULL };
	struct dm *v;
	char counts[160];
	size_t i, n, matched;
	int rc = 0;

	memset(&ro, 0, sizeof(ro));
	worker_start(&ro.w, &robot_def, argc, argv);
	if (nostr_secret_parse(cfg_str(&ro.w.cfg, CFG_ROBOT_SECRET), ro.sk) ==
	    -1 || nostr_pubkey(ro.sk, ro.pk) == -1) {
		log_warnx("ROBOT_SECRET must be set to a nostr secret key");
		rc = 1;
		goto out;
	}
	hex_encode(ro.pk, 32, ro.pkhex);
	ro.opts.timeout_ms = cfg_int(&ro.w.cfg, CFG_HTTP_TIMEOUT) * 1000;
	if (cfg_isset(&ro.w.cfg, CFG_RELAY_CA_FILE))
		ro.opts.ca_file = cfg_str(&ro.w.cfg, CFG_RELAY_CA_FILE);
	ro.opts.max_msg = ROBOT_MSG_MAX;
	ro.opts.max_events = ROBOT_QUERY_EVENTS;
	ro.opts.max_conn_bytes = ROBOT_CONN_BYTES;
	ro.rs = relay_session_new(&ro.opts, ro.sk);
	/* Relays from recipients' lists: public addresses only. */
	ro.opts.public_only = !cfg_int(&ro.w.cfg, CFG_ALLOW_PRIVATE_ADDRESSES);
	ro.rs_public = relay_session_new(&ro.opts, ro.sk);
	if (ro.rs == NULL || ro.rs_public == NULL) {
		rc = 1;
		goto out;
	}
	if (ro.w.once_for != NULL) {
		/* A recipient as hex or npub; the outbox keys hex. */
		unsigned char pk[32];

		if (nostr_pubkey_parse(ro.w.once_for, pk) == -1) {
			log_warnx("--once-for %s: not a public key (hex or "
			    "npub)", ro.w.once_for);
			rc = 1;
			goto out;
		}
		hex_encode(pk, 32, ro.only);
	}
	profile(&ro, &a);
	if (db_dm_due(ro.w.db, &a, clock_now(), DM_BATCH, &v, &n) != DB_OK) {
		rc = 1;
		goto out;
	}
	for (i = 0, matched = 0; i < n; i++) {
		if (ro.w.once_for != NULL && strcmp(ro.only,
		    v[i].recipient) != 0)
			continue;
		matched++;
		dm_send(&ro, &a, &v[i]);
	}
	if (ro.w.once_for != NULL && matched == 0) {
		log_warnx("--once-for %s: no DM to this recipient is due",
		    ro.w.once_for);
		rc = 1;
	}
out:
	snprintf(counts, sizeof(counts), "%d sent, %d retried, %d failed, "
	    "%d profile events published", ro.sent, ro.retried, ro.failed,
	    ro.published);
	rc = worker_summary(&ro.w, rc, ro.sent + ro.retried + ro.failed +
	    ro.published, counts);
	relay_session_free(ro.rs);
	relay_session_free(ro.rs_public);
	ws_global_cleanup();
	explicit_zero(ro.sk, sizeof(ro.sk));
	arena_free(&a);
	worker_finish(&ro.w);
	return rc;
}
