/*
 * test_relay_net.c: the relay client (src/relay.c over src/ws.c) against
 * a real relay, tests/relay/relay.mjs (@nostr-relay/core), on loopback:
 * publish and query, one relay down, NIP-42 AUTH, many events over one
 * connection, TLS with a test CA made here by the openssl command (and
 * the untrusted, self-signed and wrong-name certificates that must
 * fail), messages over the cap, and a relay that misbehaves on purpose.
 * Needs node and `npm ci --prefix tests/js`: without them the test is
 * skipped, or fails when CI is set.
 */
#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "core.h"
#include "fake.h"
#include "json.h"
#include "nostr.h"
#include "relay.h"
#include "testlib.h"
#include "ws.h"

/* fake.c looks in tests/fakes/; the relay lives beside it. */
#define RELAY_SCRIPT "../relay/relay.mjs"

static struct fake plain, eager, lazy, mute;
static struct fake tls_ip, tls_name, tls_wrong, tls_self;
static char *certdir;
static char ca_file[4096];
static char logpath[4096];
static unsigned char sk_robot[32], pk_robot[32], sk_other[32];

/* "ws://127.0.0.1:<port>" (or wss, or another host) for a fake. */
static void
relay_url(const struct fake *f, const char *scheme, const char *host,
    char *out, size_t outsz)
{
	const char *port = strrchr(f->url, ':');

	ck_assert_ptr_nonnull(port);
	snprintf(out, outsz, "%s://%s:%s", scheme, host, port + 1);
}


static void
start_plain(void)
{
	static char logenv[4200];
	static char allow[128];
	unsigned char pk_other[32];
	char hex[65];
	const char *env_plain[] = { logenv, NULL };
	const char *env_eager[] = { "RELAY_AUTH=eager", NULL };
	const char *env_lazy[] = { "RELAY_AUTH=lazy", allow, NULL };
	const char *env_mute[] = { "RELAY_AUTH=lazy", "RELAY_AUTH_SILENT=1",
		NULL };

	fake_need_node("@nostr-relay/core", "the relay tests");
	ck_assert_int_eq(nostr_keygen(sk_robot, pk_robot), 0);
	ck_assert_int_eq(nostr_keygen(sk_other, pk_other), 0);
	hex_encode(pk_robot, 32, hex);
	snprintf(allow, sizeof(allow), "RELAY_AUTH_PUBKEYS=%s", hex);
	fake_init(&plain);
	snprintf(logpath, sizeof(logpath), "%s/relay.log", plain.dir);
	snprintf(logenv, sizeof(logenv), "RELAY_LOG=%s", logpath);
	fake_start(&plain, RELAY_SCRIPT, env_plain);
	fake_init(&eager);
	fake_start(&eager, RELAY_SCRIPT, env_eager);
	fake_init(&lazy);
	fake_start(&lazy, RELAY_SCRIPT, env_lazy);
	fake_init(&mute);
	fake_start(&mute, RELAY_SCRIPT, env_mute);
}

static void
stop_plain(void)
{
	fake_stop(&plain);
	fake_stop(&eager);
	fake_stop(&lazy);
	fake_stop(&mute);
}

/* A signed event of kind with content by sk; caller releases it. */
static void
make_event(struct nostr_event *ev, int kind, const char *content,
    const unsigned char sk[32], int64_t created_at)
{
	static const char *const tag[] = { "t", "caravel-test" };

	nostr_event_init(ev);
	ev->kind = kind;
	ev->created_at = created_at != 0 ? created_at : (int64_t)time(NULL);
	nostr_event_set_content(ev, content, strlen(content));
	nostr_event_add_tag(ev, 2, tag);
	ck_assert_int_eq(nostr_event_sign(ev, sk), 0);
}

static void
opts_init(struct relay_opts *o, long timeout_ms)
{
	memset(o, 0, sizeof(*o));
	o->connect_timeout_ms = timeout_ms;
	o->timeout_ms = timeout_ms;
}

static void
ids_filter(const struct nostr_event *ev, const char *extra, char *out,
    size_t outsz)
{
	char hex[65];

	hex_encode(ev->id, 32, hex);
	snprintf(out, outsz, "{\"ids\":[\"%s\"]%s}", hex, extra);
}

START_TEST(publish_and_query)
{
	struct relay_result r[2];
	struct relay_events evs;
	struct relay_opts o;
	struct nostr_event ev, got;
	const char *urls[1];
	char url[64], filter[256];

	relay_url(&plain, "ws", "127.0.0.1", url, sizeof(url));
	urls[0] = url;
	opts_init(&o, 5000);
	make_event(&ev, 1, "hello from C \xf0\x9f\x8c\x8d \"/\\\n", sk_robot,
	    0);
	ck_assert_int_eq(relay_publish(urls, 1, &ev, NULL, &o, r), 0);
	ck_assert_msg(r[0].status == RELAY_OK, "%s: %s",
	    relay_status_name(r[0].status), r[0].msg);
	ck_assert_int_eq(r[0].duplicate, 0);
	ck_assert_int_eq(r[0].authed, 0);
	ck_assert_str_eq(r[0].msg, "");
	/* The same event again: the relay already has it. */
	ck_assert_int_eq(relay_publish(urls, 1, &ev, NULL, &o, r), 0);
	ck_assert_int_eq(r[0].status, RELAY_OK);
	ck_assert_int_eq(r[0].duplicate, 1);
	ck_assert_str_eq(r[0].msg, "duplicate: the event already exists");

	relay_events_init(&evs);
	ids_filter(&ev, "", filter, sizeof(filter));
	ck_assert_int_eq(relay_query(urls, 1, filter, &o, &evs, r), 0);
	ck_assert_msg(r[0].status == RELAY_OK, "%s", r[0].msg);
	ck_assert_uint_eq(evs.n, 1);
	ck_assert_int_eq(memcmp(evs.v[0].id, ev.id, 32), 0);
	ck_assert_int_eq(relay_events_get(&evs, 0, &got), 0);
	ck_assert_str_eq(got.content, ev.content);
	ck_assert_int_eq(nostr_event_verify(&got, NULL), 0);
	nostr_event_release(&got);
	relay_events_release(&evs);
	/* Not a filter object. */
	ck_assert_int_eq(relay_query(urls, 1, "[1]", &o, &evs, r), -1);
	ck_assert_int_eq(relay_query(urls, 1, "{", &o, &evs, r), -1);
	nostr_event_release(&ev);
}
END_TEST

START_TEST(rejected)
{
	struct relay_result r[1];
	struct relay_opts o;
	struct nostr_event ev;
	const char *urls[1];
	char url[64];

	relay_url(&plain, "ws", "127.0.0.1", url, sizeof(url));
	urls[0] = url;
	opts_init(&o, 5000);
	make_event(&ev, 1, "signed", sk_robot, 0);
	nostr_event_set_content(&ev, "changed after signing", 21);
	ck_assert_int_eq(relay_publish(urls, 1, &ev, NULL, &o, r), 0);
	ck_assert_int_eq(r[0].status, RELAY_REJECTED);
	ck_assert_str_eq(r[0].msg, "invalid: id is wrong");
	nostr_event_release(&ev);
}
END_TEST

/* A loopback port that refuses, and one that accepts and stays silent. */
static int
loopback_listener(int *fd, int listening)
{
	struct sockaddr_in a;
	socklen_t al = sizeof(a);

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_ge(*fd = socket(AF_INET, SOCK_STREAM, 0), 0);
	ck_assert_int_eq(bind(*fd, (struct sockaddr *)&a, sizeof(a)), 0);
	if (listening)
		ck_assert_int_eq(listen(*fd, 8), 0);
	ck_assert_int_eq(getsockname(*fd, (struct sockaddr *)&a, &al), 0);
	return ntohs(a.sin_port);
}

START_TEST(one_relay_down)
{
	struct relay_result r[5];
	struct relay_opts o;
	struct nostr_event ev;
	const char *urls[5];
	char url[5][64];
	int64_t t0;
	int fd[3], p, i;

	relay_url(&plain, "ws", "127.0.0.1", url[0], sizeof(url[0]));
	p = loopback_listener(&fd[0], 0);
	snprintf(url[1], sizeof(url[1]), "ws://127.0.0.1:%d", p);
	p = loopback_listener(&fd[1], 1);
	snprintf(url[2], sizeof(url[2]), "ws://127.0.0.1:%d", p);
	p = loopback_listener(&fd[2], 1);
	snprintf(url[3], sizeof(url[3]), "ws://127.0.0.1:%d/x", p);
	relay_url(&eager, "ws", "127.0.0.1", url[4], sizeof(url[4]));
	for (i = 0; i < 5; i++)
		urls[i] = url[i];
	opts_init(&o, 4000);
	o.connect_timeout_ms = 1500;
	make_event(&ev, 1, "to five relays, three of them down", sk_robot, 0);
	t0 = ws_now_ms();
	ck_assert_int_eq(relay_publish(urls, 5, &ev, NULL, &o, r), 0);
	/* All at once: two silent relays cost one bound, not two. */
	ck_assert_int_ge(ws_now_ms() - t0, 1500);
	ck_assert_int_lt(ws_now_ms() - t0, 2900);
	ck_assert_int_eq(r[0].status, RELAY_OK);
	ck_assert_int_eq(r[1].status, RELAY_ECONN);
	ck_assert_str_eq(r[1].msg, "connect: Connection refused");
	ck_assert_int_eq(r[2].status, RELAY_ECONN);
	ck_assert_str_eq(r[2].msg, "handshake: timeout");
	ck_assert_int_eq(r[3].status, RELAY_ECONN);
	ck_assert_str_eq(r[3].msg, "handshake: timeout");
	ck_assert_int_eq(r[4].status, RELAY_OK);
	for (i = 0; i < 3; i++)
		close(fd[i]);
	nostr_event_release(&ev);
}
END_TEST

START_TEST(auth)
{
	struct relay_session *s;
	struct relay_result r[2];
	struct relay_events evs;
	struct relay_opts o;
	struct nostr_event wrap, note;
	const char *urls[2];
	char url[2][64], filter[256];

	relay_url(&eager, "ws", "127.0.0.1", url[0], sizeof(url[0]));
	relay_url(&lazy, "ws", "localhost", url[1], sizeof(url[1]));
	urls[0] = url[0];
	urls[1] = url[1];
	opts_init(&o, 5000);
	make_event(&wrap, 1059, "a gift wrap", sk_other, 0);
	make_event(&note, 1, "a note", sk_other, 0);

	/* No key: the refusal is final. */
	ck_assert_int_eq(relay_publish(urls, 2, &wrap, NULL, &o, r), 0);
	ck_assert_int_eq(r[0].status, RELAY_REJECTED);
	ck_assert_str_eq(r[0].msg, "auth-required: gift wraps are kept for "
	    "authenticated users");
	ck_assert_int_eq(r[1].status, RELAY_REJECTED);
	ck_assert_int_eq(r[1].authed, 0);

	/*
	 * With the key: AUTH answers the challenge that came on connect
	 * (eager) or with the refusal (lazy), and the event goes again.
	 */
	ck_assert_int_eq(relay_publish(urls, 2, &wrap, sk_robot, &o, r), 0);
	ck_assert_msg(r[0].status == RELAY_OK, "%s", r[0].msg);
	ck_assert_int_eq(r[0].authed, 1);
	ck_assert_msg(r[1].status == RELAY_OK, "%s", r[1].msg);
	ck_assert_int_eq(r[1].authed, 1);

	/* A kind that needs no AUTH does not trigger one. */
	ck_assert_int_eq(relay_publish(urls, 2, &note, sk_robot, &o, r), 0);
	ck_assert_int_eq(r[0].status, RELAY_OK);
	ck_assert_int_eq(r[0].authed, 0);

	/* lazy accepts only the robot's key: "restricted:" is final. */
	ck_assert_int_eq(relay_publish(urls + 1, 1, &wrap, sk_other, &o, r),
	    0);
	ck_assert_int_eq(r[0].status, RELAY_REJECTED);
	ck_assert_str_eq(r[0].msg, "auth failed: restricted: this key may "
	    "not use this relay");

	/* REQ for gift wraps: CLOSED auth-required, then AUTH and again. */
	relay_events_init(&evs);
	ids_filter(&wrap, ",\"kinds\":[1059]", filter, sizeof(filter));
	ck_assert_int_eq(relay_query(urls, 1, filter, &o, &evs, r), 0);
	ck_assert_int_eq(r[0].status, RELAY_REJECTED);
	ck_assert_str_eq(r[0].msg, "auth-required: gift wraps are served to "
	    "authenticated users");
	ck_assert_uint_eq(evs.n, 0);
	s = relay_session_new(&o, sk_robot);
	ck_assert_int_eq(relay_session_query(s, urls, 2, filter, &evs, r), 0);
	ck_assert_msg(r[0].status == RELAY_OK, "%s", r[0].msg);
	ck_assert_msg(r[1].status == RELAY_OK, "%s", r[1].msg);
	ck_assert_int_eq(r[0].authed, 1);
	ck_assert_uint_eq(evs.n, 1);
	ck_assert_int_eq(memcmp(evs.v[0].id, wrap.id, 32), 0);
	relay_session_free(s);
	relay_events_release(&evs);
	nostr_event_release(&wrap);
	nostr_event_release(&note);
}
END_TEST

/*
 * A relay that asks for AUTH and never acknowledges ours: the timeout
 * keeps the relay's words whole (they were once formatted into the
 * buffer they were read from, which garbled them).
 */
START_TEST(auth_never_acknowledged)
{
	struct relay_result r[1];
	struct relay_opts o;
	struct nostr_event wrap;
	const char *urls[1];
	char url[64];

	relay_url(&mute, "ws", "127.0.0.1", url, sizeof(url));
	urls[0] = url;
	opts_init(&o, 1500);
	make_event(&wrap, 1059, "sealed", sk_other, time(NULL));
	ck_assert_int_eq(relay_publish(urls, 1, &wrap, sk_robot, &o, r), 0);
	ck_assert_int_eq(r[0].status, RELAY_TIMEOUT);
	ck_assert_str_eq(r[0].msg, "timeout waiting for AUTH after: "
	    "auth-required: gift wraps are kept for authenticated users");
	nostr_event_release(&wrap);
}
END_TEST

START_TEST(many_over_one_connection)
{
	struct relay_session *s;
	struct relay_result r[40];
	struct relay_opts o;
	struct nostr_event ev[25];
	const struct nostr_event *p[25];
	struct json_object *log, *line, *v;
	const char *urls[2];
	char url[64], content[64], hex[65];
	size_t i, j, found = 0, nlog;
	int64_t conn = -1, c;

	relay_url(&plain, "ws", "127.0.0.1", url, sizeof(url));
	urls[0] = url;
	urls[1] = url;
	opts_init(&o, 10000);
	for (i = 0; i < 25; i++) {
		snprintf(content, sizeof(content), "message %zu", i);
		make_event(&ev[i], 1, content, sk_robot, 0);
		p[i] = &ev[i];
	}
	s = relay_session_new(&o, sk_robot);
	/* The same URL twice shares one connection and one answer. */
	ck_assert_int_eq(relay_session_publish(s, urls, 2, p, 20, r), 0);
	for (i = 0; i < 40; i++)
		ck_assert_msg(r[i].status == RELAY_OK, "%zu: %s", i, r[i].msg);
	ck_assert_int_eq(relay_session_publish(s, urls, 1, p + 20, 5, r), 0);
	for (i = 0; i < 5; i++)
		ck_assert_int_eq(r[i].status, RELAY_OK);
	relay_session_free(s);

	log = fake_log_read(logpath);
	nlog = json_object_array_length(log);
	for (i = 0; i < 25; i++) {
		hex_encode(ev[i].id, 32, hex);
		for (j = 0; j < nlog; j++) {
			line = json_object_array_get_idx(log, j);
			if (!json_object_object_get_ex(line, "event", &v) ||
			    strcmp(json_object_get_string(v), hex) != 0)
				continue;
			ck_assert_int_eq(json_get_int(line, "conn", 1, 1000000,
			    &c), JGET_OK);
			if (conn == -1)
				conn = c;
			ck_assert_int_eq(c, conn);
			found++;
		}
	}
	ck_assert_uint_eq(found, 25);
	json_object_put(log);
	for (i = 0; i < 25; i++)
		nostr_event_release(&ev[i]);
}
END_TEST

START_TEST(newest_of_two_relays)
{
	struct relay_result r[2];
	struct relay_events evs;
	struct relay_opts o;
	struct nostr_event old, new;
	struct nostr_event best;
	const char *urls[2];
	char url[2][64], filter[256], hex[65];
	unsigned char sk[32], pk[32];

	ck_assert_int_eq(nostr_keygen(sk, pk), 0);
	relay_url(&plain, "ws", "127.0.0.1", url[0], sizeof(url[0]));
	relay_url(&eager, "ws", "127.0.0.1", url[1], sizeof(url[1]));
	opts_init(&o, 5000);
	make_event(&old, 10002, "", sk, 1700000000);
	make_event(&new, 10002, "", sk, 1700000100);
	urls[0] = url[0];
	ck_assert_int_eq(relay_publish(urls, 1, &old, NULL, &o, r), 0);
	ck_assert_int_eq(r[0].status, RELAY_OK);
	urls[0] = url[1];
	ck_assert_int_eq(relay_publish(urls, 1, &new, NULL, &o, r), 0);
	ck_assert_int_eq(r[0].status, RELAY_OK);
	urls[0] = url[0];
	urls[1] = url[1];
	hex_encode(pk, 32, hex);
	snprintf(filter, sizeof(filter), "{\"kinds\":[10002],\"authors\":"
	    "[\"%s\"]}", hex);
	relay_events_init(&evs);
	ck_assert_int_eq(relay_query(urls, 2, filter, &o, &evs, r), 0);
	ck_assert_int_eq(r[0].status, RELAY_OK);
	ck_assert_int_eq(r[1].status, RELAY_OK);
	/* Each relay holds one version; the newer is the one kept. */
	ck_assert_uint_eq(evs.n, 1);
	ck_assert_int_eq(relay_events_newest(&evs, 10002, pk, &best), 0);
	ck_assert_int_eq(memcmp(best.id, new.id, 32), 0);
	ck_assert_int_eq(nostr_event_verify(&best, NULL), 0);
	nostr_event_release(&best);
	relay_events_release(&evs);
	nostr_event_release(&old);
	nostr_event_release(&new);
}
END_TEST

START_TEST(misbehaving_relay)
{
	struct relay_session *s;
	struct relay_result r[1];
	struct relay_events evs;
	struct relay_opts o;
	struct nostr_event ev, got;
	const struct nostr_event *p[1];
	const char *urls[1];
	char url[64], filter[256];
	int64_t t0;

	relay_url(&plain, "ws", "127.0.0.1", url, sizeof(url));
	urls[0] = url;
	opts_init(&o, 5000);
	make_event(&ev, 1, "misbehaviour", sk_robot, 0);
	p[0] = &ev;
	ck_assert_int_eq(relay_publish(urls, 1, &ev, NULL, &o, r), 0);
	ck_assert_int_eq(r[0].status, RELAY_OK);
	relay_events_init(&evs);

	/* Forged and malformed messages are dropped; the real event stays. */
	ids_filter(&ev, ",\"caravel_test\":\"hostile\"", filter,
	    sizeof(filter));
	ck_assert_int_eq(relay_query(urls, 1, filter, &o, &evs, r), 0);
	ck_assert_msg(r[0].status == RELAY_OK, "%s", r[0].msg);
	ck_assert_uint_eq(evs.n, 1);
	ck_assert_int_eq(relay_events_get(&evs, 0, &got), 0);
	ck_assert_int_eq(memcmp(got.id, ev.id, 32), 0);
	ck_assert_str_eq(got.content, "misbehaviour");
	nostr_event_release(&got);
	relay_events_release(&evs);

	/* Fragments with a ping between them. */
	ids_filter(&ev, ",\"caravel_test\":\"frag\"", filter, sizeof(filter));
	ck_assert_int_eq(relay_query(urls, 1, filter, &o, &evs, r), 0);
	ck_assert_int_eq(r[0].status, RELAY_OK);
	ck_assert_uint_eq(evs.n, 1);
	relay_events_release(&evs);

	/* 200 kB: over a 100 kB cap, under the default one. */
	o.max_msg = 100000;
	ck_assert_int_eq(relay_query(urls, 1, "{\"caravel_test\":"
	    "\"big:200000\"}", &o, &evs, r), 0);
	ck_assert_int_eq(r[0].status, RELAY_ECONN);
	ck_assert_str_eq(r[0].msg, "message too big");
	o.max_msg = 0;
	ck_assert_int_eq(relay_query(urls, 1, "{\"caravel_test\":"
	    "\"big:200000\"}", &o, &evs, r), 0);
	ck_assert_int_eq(r[0].status, RELAY_OK);
	ck_assert_uint_eq(evs.n, 0);
	/* A connection's life is bounded too, whatever its messages. */
	o.max_conn_bytes = 100000;
	ck_assert_int_eq(relay_query(urls, 1, "{\"caravel_test\":"
	    "\"big:200000\"}", &o, &evs, r), 0);
	ck_assert_int_eq(r[0].status, RELAY_ECONN);
	/* Not a byte more: frames read with the upgrade response count. */
	ck_assert_str_eq(r[0].msg, "closed after receiving 100000 bytes");
	o.max_conn_bytes = 0;

	/* Silence: the call's own bound. */
	o.timeout_ms = 800;
	t0 = ws_now_ms();
	ck_assert_int_eq(relay_query(urls, 1, "{\"caravel_test\":\"silent\"}",
	    &o, &evs, r), 0);
	ck_assert_int_eq(r[0].status, RELAY_TIMEOUT);
	ck_assert_str_eq(r[0].msg, "no answer within 800 ms");
	ck_assert_int_ge(ws_now_ms() - t0, 800);
	ck_assert_int_lt(ws_now_ms() - t0, 2800);

	/* A close instead of an answer; the session then reconnects. */
	o.timeout_ms = 5000;
	s = relay_session_new(&o, NULL);
	ck_assert_int_eq(relay_session_query(s, urls, 1, "{\"caravel_test\":"
	    "\"close\"}", &evs, r), 0);
	ck_assert_int_eq(r[0].status, RELAY_ECONN);
	ck_assert_str_eq(r[0].msg, "closed by peer (1000)");
	ck_assert_int_eq(relay_session_publish(s, urls, 1, p, 1, r), 0);
	ck_assert_int_eq(r[0].status, RELAY_OK);
	ck_assert_int_eq(r[0].duplicate, 1);
	relay_session_free(s);
	nostr_event_release(&ev);
}
END_TEST

/* --- TLS: a test CA and four servers --- */

static void
make_certs(void)
{
	char cmd[8192];
	int n;

	certdir = tl_tmpdir();
	snprintf(ca_file, sizeof(ca_file), "%s/ca.pem", certdir);
	n = snprintf(cmd, sizeof(cmd),
	    "set -e; cd '%s'; exec >openssl.log 2>&1\n"
	    "key='-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes'\n"
	    "openssl req -x509 $key -keyout ca.key -out ca.pem -days 2 "
	    "-subj /CN=caravel-test-ca "
	    "-addext basicConstraints=critical,CA:TRUE "
	    "-addext keyUsage=critical,keyCertSign,cRLSign\n"
	    "leaf() {\n"
	    "  openssl req $key -keyout $1.key -out $1.csr -subj /CN=$1\n"
	    "  printf 'subjectAltName=%%s\\nbasicConstraints=CA:FALSE\\n"
	    "extendedKeyUsage=serverAuth\\n' $2 > $1.ext\n"
	    "  openssl x509 -req -in $1.csr -CA ca.pem -CAkey ca.key "
	    "-CAcreateserial -days 2 -out $1.pem -extfile $1.ext\n"
	    "}\n"
	    "leaf ip IP:127.0.0.1\n"
	    "leaf name DNS:localhost\n"
	    "leaf wrong DNS:wrong.example,IP:127.0.0.2\n"
	    "openssl req -x509 $key -keyout self.key -out self.pem -days 2 "
	    "-subj /CN=localhost "
	    "-addext subjectAltName=IP:127.0.0.1,DNS:localhost\n",
	    certdir);
	ck_assert_int_lt(n, (int)sizeof(cmd));
	if ((n = system(cmd)) != 0) {
		fprintf(stderr, "making test certificates failed (%d): is the "
		    "openssl command installed?\n", n);
		snprintf(cmd, sizeof(cmd), "cat '%s/openssl.log' >&2", certdir);
		n = system(cmd);
		exit(1);
	}
}

static void
start_tls_one(struct fake *f, const char *name)
{
	char cert[4200], key[4200];
	const char *env[] = { cert, key, NULL };

	snprintf(cert, sizeof(cert), "RELAY_TLS_CERT=%s/%s.pem", certdir, name);
	snprintf(key, sizeof(key), "RELAY_TLS_KEY=%s/%s.key", certdir, name);
	fake_init(f);
	fake_start(f, RELAY_SCRIPT, env);
}

static void
start_tls(void)
{
	fake_need_node("@nostr-relay/core", "the relay tests");
	ck_assert_int_eq(nostr_keygen(sk_robot, pk_robot), 0);
	make_certs();
	start_tls_one(&tls_ip, "ip");
	start_tls_one(&tls_name, "name");
	start_tls_one(&tls_wrong, "wrong");
	start_tls_one(&tls_self, "self");
}

static void
stop_tls(void)
{
	fake_stop(&tls_ip);
	fake_stop(&tls_name);
	fake_stop(&tls_wrong);
	fake_stop(&tls_self);
	tl_rmdir(certdir);
	free(certdir);
	certdir = NULL;
}

/* Publish one event to url with ca (NULL: system store). */
static void
tls_publish(const char *url, const char *ca, struct relay_result *r)
{
	struct relay_opts o;
	struct nostr_event ev;
	const char *urls[1];

	urls[0] = url;
	opts_init(&o, 5000);
	o.ca_file = ca;
	make_event(&ev, 1, "over TLS", sk_robot, 0);
	ck_assert_int_eq(relay_publish(urls, 1, &ev, NULL, &o, r), 0);
	nostr_event_release(&ev);
}

START_TEST(tls_trusted)
{
	struct relay_result r[1];
	struct relay_events evs;
	struct relay_opts o;
	struct nostr_event got;
	const char *urls[1];
	char url[64];

	/* An IP address certificate, reached by IP. */
	relay_url(&tls_ip, "wss", "127.0.0.1", url, sizeof(url));
	tls_publish(url, ca_file, r);
	ck_assert_msg(r[0].status == RELAY_OK, "%s", r[0].msg);
	/* A name certificate, reached by name (resolved, SNI sent). */
	relay_url(&tls_name, "wss", "localhost", url, sizeof(url));
	tls_publish(url, ca_file, r);
	ck_assert_msg(r[0].status == RELAY_OK, "%s", r[0].msg);
	/* Messages of many TLS records, and fragments with a ping. */
	urls[0] = url;
	opts_init(&o, 5000);
	o.ca_file = ca_file;
	relay_events_init(&evs);
	ck_assert_int_eq(relay_query(urls, 1, "{\"caravel_test\":"
	    "\"big:300000\"}", &o, &evs, r), 0);
	ck_assert_msg(r[0].status == RELAY_OK, "%s", r[0].msg);
	ck_assert_int_eq(relay_query(urls, 1, "{\"kinds\":[1],"
	    "\"caravel_test\":\"frag\"}", &o, &evs, r), 0);
	ck_assert_msg(r[0].status == RELAY_OK, "%s", r[0].msg);
	ck_assert_uint_eq(evs.n, 1);
	ck_assert_int_eq(relay_events_get(&evs, 0, &got), 0);
	ck_assert_str_eq(got.content, "over TLS");
	nostr_event_release(&got);
	relay_events_release(&evs);
	ws_global_cleanup();
}
END_TEST

START_TEST(tls_refused)
{
	struct relay_result r[1];
	char url[64];

	relay_url(&tls_ip, "wss", "127.0.0.1", url, sizeof(url));
	tls_publish(url, NULL, r);
	ck_assert_int_eq(r[0].status, RELAY_ECONN);
	ck_assert_str_eq(r[0].msg, "tls: unable to get local issuer "
	    "certificate");

	relay_url(&tls_self, "wss", "127.0.0.1", url, sizeof(url));
	tls_publish(url, ca_file, r);
	ck_assert_int_eq(r[0].status, RELAY_ECONN);
	ck_assert_str_eq(r[0].msg, "tls: self-signed certificate");

	relay_url(&tls_wrong, "wss", "localhost", url, sizeof(url));
	tls_publish(url, ca_file, r);
	ck_assert_int_eq(r[0].status, RELAY_ECONN);
	ck_assert_str_eq(r[0].msg, "tls: hostname mismatch");

	relay_url(&tls_wrong, "wss", "127.0.0.1", url, sizeof(url));
	tls_publish(url, ca_file, r);
	ck_assert_int_eq(r[0].status, RELAY_ECONN);
	ck_assert_str_eq(r[0].msg, "tls: IP address mismatch");

	relay_url(&tls_name, "wss", "127.0.0.1", url, sizeof(url));
	tls_publish(url, ca_file, r);
	ck_assert_int_eq(r[0].status, RELAY_ECONN);
	ck_assert_str_eq(r[0].msg, "tls: IP address mismatch");

	/* Plain WebSocket to a TLS port, and TLS to a plain one. */
	relay_url(&tls_ip, "ws", "127.0.0.1", url, sizeof(url));
	tls_publish(url, ca_file, r);
	ck_assert_int_eq(r[0].status, RELAY_ECONN);
	ck_assert_msg(strncmp(r[0].msg, "handshake: ", 11) == 0, "%s",
	    r[0].msg);

	relay_url(&tls_ip, "wss", "127.0.0.1", url, sizeof(url));
	tls_publish(url, "/nonexistent/ca.pem", r);
	ck_assert_int_eq(r[0].status, RELAY_ECONN);
	ck_assert_str_eq(r[0].msg, "tls: cannot load the trust store "
	    "/nonexistent/ca.pem");
	ws_global_cleanup();
}
END_TEST

START_TEST(tls_to_plain)
{
	struct relay_result r[1];
	char url[64];

	relay_url(&plain, "wss", "127.0.0.1", url, sizeof(url));
	tls_publish(url, NULL, r);
	ck_assert_int_eq(r[0].status, RELAY_ECONN);
	ck_assert_msg(strncmp(r[0].msg, "tls: ", 5) == 0, "%s", r[0].msg);
	ws_global_cleanup();
}
END_TEST

int
main(void)
{
	Suite *s;
	TCase *tc;
	int status;

	/* The relay's clock is real; AUTH and created_at must be too. */
	unsetenv("CARAVEL_TEST_NOW");
	fake_need_node("@nostr-relay/core", "the relay tests");
	s = suite_create("relay_net");
	tc = tcase_create("relay");
	tcase_add_unchecked_fixture(tc, start_plain, stop_plain);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, publish_and_query);
	tcase_add_test(tc, rejected);
	tcase_add_test(tc, one_relay_down);
	tcase_add_test(tc, auth);
	tcase_add_test(tc, auth_never_acknowledged);
	tcase_add_test(tc, many_over_one_connection);
	tcase_add_test(tc, newest_of_two_relays);
	tcase_add_test(tc, misbehaving_relay);
	tcase_add_test(tc, tls_to_plain);
	suite_add_tcase(s, tc);
	tc = tcase_create("tls");
	tcase_add_unchecked_fixture(tc, start_tls, stop_tls);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, tls_trusted);
	tcase_add_test(tc, tls_refused);
	suite_add_tcase(s, tc);
	status = tl_run(s);
	ws_global_cleanup();
	return status;
}
