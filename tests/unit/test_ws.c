/*
 * test_ws.c: the WebSocket client (src/ws.c, src/ws_http.c, src/ws_net.c)
 * without a network: URLs and upgrade responses as tables; framing,
 * fragmentation, ping, close and the size cap with the test playing the
 * server on a socketpair, writing frames it builds in memory; connect,
 * DNS and handshake failures against loopback sockets that refuse or stay
 * silent. The relay messages on top are in test_relay_msg.c, real relays
 * in test_relay_net.c.
 */
#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>

#include "core.h"
#include "testlib.h"
#include "ws.h"

/* What the client delivered. */
struct rec {
	int n;
	char last[4096];
	size_t last_len;
	size_t total;
};

static void
rec_msg(void *arg, const char *msg, size_t len)
{
	struct rec *r = arg;

	r->n++;
	r->total += len;
	r->last_len = len;
	if (len > sizeof(r->last) - 1)
		len = sizeof(r->last) - 1;
	memcpy(r->last, msg, len);
	r->last[len] = '\0';
}

static const struct {
	const char *url;
	int tls;
	const char *host, *port, *hostport, *path;
} good_urls[] = {
	{ "ws://127.0.0.1:7777", 0, "127.0.0.1", "7777", "127.0.0.1:7777",
	  "/" },
	{ "wss://relay.example.com", 1, "relay.example.com", "443",
	  "relay.example.com", "/" },
	{ "WSS://Relay.Example.com:443/", 1, "Relay.Example.com", "443",
	  "Relay.Example.com", "/" },
	{ "ws://relay.example:80/a/b?x=1&y=%20", 0, "relay.example", "80",
	  "relay.example", "/a/b?x=1&y=%20" },
	{ "wss://r.example:8443?q", 1, "r.example", "8443", "r.example:8443",
	  "/?q" },
	{ "wss://r.example/p#frag", 1, "r.example", "443", "r.example",
	  "/p" },
	{ "ws://[::1]:9000/x", 0, "::1", "9000", "[::1]:9000", "/x" },
	{ "wss://[2001:db8::1]", 1, "2001:db8::1", "443", "[2001:db8::1]",
	  "/" },
	{ "ws://localhost:00080", 0, "localhost", "80", "localhost", "/" },
};

static const char *const bad_urls[] = {
	"", "ws://", "wss://", "http://relay.example", "wss:/relay.example",
	"relay.example", "ws:relay.example", "wss://user@relay.example",
	"wss://u:p@relay.example/", "wss://relay example", "wss://relay.\x01",
	"wss://relay.example/a b", "wss://relay.example/\r\nX: y",
	"wss://r\xc3\xa9lay.example", "wss://relay.example:", "wss://:443",
	"wss://relay.example:0", "wss://relay.example:65536",
	"wss://relay.example:123456", "wss://relay.example:-1",
	"wss://relay.example:+443", "wss://relay.example:44a",
	"wss://[::1", "wss://[::1]x", "wss://[]", "wss://[zz::1]",
	"wss://[127.0.0.1]", "wss://rel_ay.example", "wss://.relay.example",
	"wss://relay..example", "wss://-relay.example", "wss://a%2eb",
	"wss://relay.example:443:443",
};

START_TEST(urls)
{
	struct ws_url u;
	char *longurl;
	size_t i;

	for (i = 0; i < nitems(good_urls); i++) {
		ck_assert_msg(ws_url_parse(good_urls[i].url, &u) == 0, "%s",
		    good_urls[i].url);
		ck_assert_int_eq(u.tls, good_urls[i].tls);
		ck_assert_str_eq(u.host, good_urls[i].host);
		ck_assert_str_eq(u.port, good_urls[i].port);
		ck_assert_str_eq(u.hostport, good_urls[i].hostport);
		ck_assert_str_eq(u.path, good_urls[i].path);
	}
	for (i = 0; i < nitems(bad_urls); i++)
		ck_assert_msg(ws_url_parse(bad_urls[i], &u) == -1,
		    "accepted %s", bad_urls[i]);
	longurl = xmalloc(WS_URL_MAX + 16);
	memcpy(longurl, "wss://r.example/", 16);
	memset(longurl + 16, 'a', WS_URL_MAX - 17);
	longurl[WS_URL_MAX - 1] = '\0';
	ck_assert_int_eq(ws_url_parse(longurl, &u), 0);
	longurl[WS_URL_MAX - 1] = 'a';
	longurl[WS_URL_MAX] = '\0';
	ck_assert_int_eq(ws_url_parse(longurl, &u), -1);
	free(longurl);
}
END_TEST

/* RFC 6455 §1.3 gives this key and its answer. */
#define RFC_KEY "dGhlIHNhbXBsZSBub25jZQ=="
#define RFC_ACCEPT "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
#define OK_HEAD "HTTP/1.1 101 Switching Protocols\r\n"
#define UPG "Upgrade: websocket\r\n"
#define CONN "Connection: Upgrade\r\n"
#define ACC "Sec-WebSocket-Accept: " RFC_ACCEPT "\r\n"

static const struct {
	const char *resp;
	int want; /* 1 ok, 0 incomplete, -1 refused */
	const char *err;
} handshakes[] = {
	{ OK_HEAD UPG CONN ACC "\r\n", 1, NULL },
	{ "HTTP/1.1 101\r\nupgrade:WebSocket\r\nCONNECTION: keep-alive, "
	  "upgrade\r\nsec-websocket-accept:  " RFC_ACCEPT "  \r\n\r\n", 1,
	  NULL },
	{ OK_HEAD UPG CONN ACC "Server: x\r\n\r\n\x81\x02hi", 1, NULL },
	{ OK_HEAD UPG CONN ACC, 0, NULL },
	{ "HTTP/1.1 10", 0, NULL },
	{ "", 0, NULL },
	{ "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n", -1,
	  "handshake: HTTP/1.1 403 Forbidden" },
	{ "HTTP/1.1 200 OK\r\n" UPG CONN ACC "\r\n", -1,
	  "handshake: HTTP/1.1 200 OK" },
	{ "HTTP/1.1 1010 x\r\n" UPG CONN ACC "\r\n", -1,
	  "handshake: HTTP/1.1 1010 x" },
	{ "SSH-2.0-OpenSSH_9.2\r\n\r\n", -1,
	  "handshake: SSH-2.0-OpenSSH_9.2" },
	{ "HTTP/1.1 403 \x01\xff\r\n\r\n", -1, "handshake: HTTP/1.1 403 ??" },
	{ OK_HEAD CONN ACC "\r\n", -1, "handshake: no \"Upgrade: websocket\"" },
	{ OK_HEAD "Upgrade: h2c\r\n" CONN ACC "\r\n", -1,
	  "handshake: no \"Upgrade: websocket\"" },
	{ OK_HEAD UPG ACC "\r\n", -1, "handshake: no \"Connection: upgrade\"" },
	{ OK_HEAD UPG "Connection: upgraded\r\n" ACC "\r\n", -1,
	  "handshake: no \"Connection: upgrade\"" },
	{ OK_HEAD UPG CONN "\r\n", -1, "handshake: bad Sec-WebSocket-Accept" },
	{ OK_HEAD UPG CONN "Sec-WebSocket-Accept: "
	  "s3pPLMBiTxaQ9kYGzzhZRbK+xOA=\r\n\r\n", -1,
	  "handshake: bad Sec-WebSocket-Accept" },
	{ OK_HEAD UPG CONN ACC ACC "\r\n", -1,
	  "handshake: bad Sec-WebSocket-Accept" },
	{ OK_HEAD UPG CONN "Sec-WebSocket-Accept: " RFC_ACCEPT "x\r\n\r\n",
	  -1, "handshake: bad Sec-WebSocket-Accept" },
	{ OK_HEAD UPG CONN ACC "Sec-WebSocket-Extensions: "
	  "permessage-deflate\r\n\r\n", -1, "handshake: the server chose an "
	  "extension or subprotocol we did not offer" },
	{ OK_HEAD UPG CONN ACC "Sec-WebSocket-Protocol: nostr\r\n\r\n", -1,
	  "handshake: the server chose an extension or subprotocol we did "
	  "not offer" },
	{ OK_HEAD UPG CONN ACC "X-Folded: a\r\n b\r\n\r\n", -1,
	  "handshake: malformed header line" },
	{ OK_HEAD UPG CONN ACC "no colon here\r\n\r\n", -1,
	  "handshake: malformed header line" },
	{ OK_HEAD UPG CONN ACC ": empty name\r\n\r\n", -1,
	  "handshake: malformed header line" },
};

START_TEST(handshake_table)
{
	char err[256], *big;
	size_t i, hdr, len;
	int r;

	ws_accept_value(RFC_KEY, err);
	ck_assert_str_eq(err, RFC_ACCEPT);
	for (i = 0; i < nitems(handshakes); i++) {
		err[0] = '\0';
		hdr = 0;
		r = ws_handshake_check(handshakes[i].resp,
		    strlen(handshakes[i].resp), RFC_KEY, &hdr, err,
		    sizeof(err));
		ck_assert_msg(r == handshakes[i].want, "case %zu: %d", i, r);
		if (handshakes[i].err != NULL)
			ck_assert_str_eq(err, handshakes[i].err);
		if (r == 1)
			ck_assert_ptr_nonnull(strstr(handshakes[i].resp,
			    "\r\n\r\n"));
	}
	/* The header ends where the frames begin. */
	ck_assert_int_eq(ws_handshake_check(handshakes[2].resp,
	    strlen(handshakes[2].resp), RFC_KEY, &hdr, err, sizeof(err)), 1);
	ck_assert_str_eq(handshakes[2].resp + hdr, "\x81\x02hi");
	/* A NUL byte inside the header. */
	len = sizeof(OK_HEAD UPG CONN ACC "\r\n") - 1;
	big = xmalloc(WS_HEADER_MAX + 64);
	memcpy(big, OK_HEAD UPG CONN ACC "\r\n", len);
	big[5] = '\0';
	ck_assert_int_eq(ws_handshake_check(big, len, RFC_KEY, &hdr, err,
	    sizeof(err)), -1);
	ck_assert_str_eq(err, "handshake: NUL byte in the response");
	/* An endless header. */
	memcpy(big, OK_HEAD, strlen(OK_HEAD));
	memset(big + strlen(OK_HEAD), 'a', WS_HEADER_MAX);
	ck_assert_int_eq(ws_handshake_check(big, WS_HEADER_MAX - 1, RFC_KEY,
	    &hdr, err, sizeof(err)), 0);
	ck_assert_int_eq(ws_handshake_check(big, WS_HEADER_MAX, RFC_KEY,
	    &hdr, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "handshake: response header too long");
	memcpy(big + WS_HEADER_MAX, "\r\n\r\n", 4);
	ck_assert_int_eq(ws_handshake_check(big, WS_HEADER_MAX + 4, RFC_KEY,
	    &hdr, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "handshake: response header too long");
	free(big);
}
END_TEST

/* --- the test as the server, on the other end of a socketpair --- */

struct srv {
	int fd; /* our end */
	struct ws *ws;
	struct rec rec;
	char key[64];
	char req[4096];
};

/* Wait up to ms for fd to become readable; 1 or 0. */
static int
readable(int fd, int ms)
{
	struct pollfd p = { fd, POLLIN, 0 };

	return poll(&p, 1, ms) == 1;
}

static void
srv_write(struct srv *s, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t w;

	while (len > 0) {
		if ((w = write(s->fd, p, len)) <= 0) {
			if (errno == EAGAIN) {
				ws_poll(&s->ws, 1, ws_now_ms() + 10);
				continue;
			}
			ck_abort_msg("server write: %s", strerror(errno));
		}
		p += w;
		len -= (size_t)w;
	}
}

/* An unmasked server frame (RFC 6455 §5.2). */
static void
srv_frame(struct srv *s, int fin, int rsv, int opcode, const void *payload,
    size_t len)
{
	unsigned char h[10];
	size_t hl = 2, i;

	h[0] = (unsigned char)((fin ? 0x80 : 0) | rsv << 4 | opcode);
	if (len < 126)
		h[1] = (unsigned char)len;
	else if (len < 65536) {
		h[1] = 126;
		h[2] = (unsigned char)(len >> 8);
		h[3] = (unsigned char)len;
		hl = 4;
	} else {
		h[1] = 127;
		for (i = 0; i < 8; i++)
			h[2 + i] = (unsigned char)((uint64_t)len >>
			    (56 - 8 * i));
		hl = 10;
	}
	srv_write(s, h, hl);
	if (len > 0)
		srv_write(s, payload, len);
}

/* Read exactly n bytes, running the client meanwhile; 0 or -1 (EOF). */
static int
srv_read(struct srv *s, void *buf, size_t n)
{
	unsigned char *p = buf;
	int64_t deadline = ws_now_ms() + 3000;
	ssize_t r;

	while (n > 0) {
		if (ws_now_ms() > deadline)
			ck_abort_msg("server read: timeout");
		ws_poll(&s->ws, 1, ws_now_ms() + 5);
		if (!readable(s->fd, 5))
			continue;
		if ((r = read(s->fd, p, n)) == 0)
			return -1;
		if (r < 0)
			continue;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* One client frame, which must be masked; returns the opcode. */
static int
srv_read_frame(struct srv *s, unsigned char *payload, size_t cap,
    size_t *len, int *fin)
{
	unsigned char h[2], ext[8], mask[4];
	uint64_t n = 0;
	size_t i;

	ck_assert_int_eq(srv_read(s, h, 2), 0);
	ck_assert_msg(h[1] & 0x80, "client frame not masked");
	n = h[1] & 0x7f;
	if (n == 126) {
		ck_assert_int_eq(srv_read(s, ext, 2), 0);
		n = (uint64_t)ext[0] << 8 | ext[1];
	} else if (n == 127) {
		ck_assert_int_eq(srv_read(s, ext, 8), 0);
		for (n = 0, i = 0; i < 8; i++)
			n = n << 8 | ext[i];
	}
	ck_assert_uint_le(n, cap);
	ck_assert_int_eq(srv_read(s, mask, 4), 0);
	if (n > 0)
		ck_assert_int_eq(srv_read(s, payload, (size_t)n), 0);
	for (i = 0; i < n; i++)
		payload[i] ^= mask[i % 4];
	*len = (size_t)n;
	*fin = h[0] >> 7;
	return h[0] & 0x0f;
}

/* Start a client on a socketpair and read its upgrade request. */
static void
srv_start(struct srv *s, const char *url, size_t max_msg)
{
	struct ws_opts o;
	int sv[2];
	size_t got = 0;
	ssize_t r;
	char *k, *e;

	memset(s, 0, sizeof(*s));
	memset(&o, 0, sizeof(o));
	o.max_msg = max_msg;
	o.connect_timeout_ms = 3000;
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	s->fd = sv[1];
	s->ws = ws_adopt(sv[0], url, &o, rec_msg, &s->rec);
	ck_assert_int_eq(ws_state(s->ws), WS_CONNECTING);
	while (strstr(s->req, "\r\n\r\n") == NULL) {
		ck_assert_uint_lt(got, sizeof(s->req) - 1);
		ws_poll(&s->ws, 1, ws_now_ms() + 20);
		if (!readable(s->fd, 20))
			continue;
		ck_assert_int_gt(r = read(s->fd, s->req + got,
		    sizeof(s->req) - 1 - got), 0);
		got += (size_t)r;
		s->req[got] = '\0';
	}
	ck_assert_ptr_nonnull(k = strstr(s->req, "Sec-WebSocket-Key: "));
	k += strlen("Sec-WebSocket-Key: ");
	ck_assert_ptr_nonnull(e = strstr(k, "\r\n"));
	ck_assert_int_eq(e - k, 24);
	memcpy(s->key, k, 24);
	s->key[24] = '\0';
}

/* Answer 101, with extra bytes (frames) in the same write. */
static void
srv_accept(struct srv *s, const void *extra, size_t extralen)
{
	char resp[512], acc[29];
	int n;

	ws_accept_value(s->key, acc);
	n = snprintf(resp, sizeof(resp), "HTTP/1.1 101 Switching Protocols"
	    "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Accept: %s\r\n\r\n", acc);
	ck_assert_uint_lt((size_t)n + extralen, sizeof(resp));
	if (extralen > 0)
		memcpy(resp + n, extra, extralen);
	srv_write(s, resp, (size_t)n + extralen);
}

static void
run_until_state(struct srv *s, enum ws_state st, int ms)
{
	int64_t deadline = ws_now_ms() + ms;

	while (ws_state(s->ws) != st && ws_now_ms() < deadline)
		ws_poll(&s->ws, 1, deadline);
	ck_assert_msg(ws_state(s->ws) == st, "state %d, wanted %d (%s)",
	    ws_state(s->ws), st, ws_error(s->ws));
}

static void
run_until_msgs(struct srv *s, int n, int ms)
{
	int64_t deadline = ws_now_ms() + ms;

	while (s->rec.n < n && ws_now_ms() < deadline)
		ws_poll(&s->ws, 1, deadline);
	ck_assert_int_eq(s->rec.n, n);
}

static void
srv_stop(struct srv *s)
{
	ws_free(s->ws);
	close(s->fd);
}

START_TEST(request_and_early_frames)
{
	struct srv s;
	static const unsigned char early[] = { 0x81, 0x05, 'h', 'e', 'l',
	    'l', 'o' };

	srv_start(&s, "ws://relay.example:8080/sub/path?x=1", 0);
	ck_assert_ptr_nonnull(strstr(s.req,
	    "GET /sub/path?x=1 HTTP/1.1\r\n"));
	ck_assert_ptr_eq(strstr(s.req, "GET "), s.req);
	ck_assert_ptr_nonnull(strstr(s.req,
	    "\r\nHost: relay.example:8080\r\n"));
	ck_assert_ptr_nonnull(strstr(s.req, "\r\nUpgrade: websocket\r\n"));
	ck_assert_ptr_nonnull(strstr(s.req, "\r\nConnection: Upgrade\r\n"));
	ck_assert_ptr_nonnull(strstr(s.req,
	    "\r\nSec-WebSocket-Version: 13\r\n"));
	/* A frame that arrives with the 101 is not lost. */
	srv_accept(&s, early, sizeof(early));
	run_until_msgs(&s, 1, 2000);
	ck_assert_int_eq(ws_state(s.ws), WS_OPEN);
	ck_assert_str_eq(s.rec.last, "hello");
	ck_assert_str_eq(ws_error(s.ws), "");
	srv_stop(&s);
}
END_TEST

START_TEST(send_and_receive)
{
	struct srv s;
	unsigned char buf[70000];
	char *big;
	size_t len;
	int fin;

	srv_start(&s, "ws://127.0.0.1:1/", 0);
	srv_accept(&s, NULL, 0);
	run_until_state(&s, WS_OPEN, 2000);
	ck_assert_int_eq(ws_send(s.ws, "[\"REQ\",\"a\",{}]", 14), 0);
	ck_assert_int_eq(srv_read_frame(&s, buf, sizeof(buf), &len, &fin), 1);
	ck_assert_int_eq(fin, 1);
	ck_assert_uint_eq(len, 14);
	ck_assert_int_eq(memcmp(buf, "[\"REQ\",\"a\",{}]", 14), 0);
	/* 16-bit and 64-bit length forms both ways. */
	big = xmalloc(sizeof(buf));
	memset(big, 'x', sizeof(buf));
	ck_assert_int_eq(ws_send(s.ws, big, 300), 0);
	ck_assert_int_eq(srv_read_frame(&s, buf, sizeof(buf), &len, &fin), 1);
	ck_assert_uint_eq(len, 300);
	ck_assert_int_eq(ws_send(s.ws, big, 66000), 0);
	ck_assert_int_eq(srv_read_frame(&s, buf, sizeof(buf), &len, &fin), 1);
	ck_assert_uint_eq(len, 66000);
	ck_assert_int_eq(memcmp(buf, big, 66000), 0);
	srv_frame(&s, 1, 0, 1, big, 300);
	run_until_msgs(&s, 1, 2000);
	ck_assert_uint_eq(s.rec.last_len, 300);
	srv_frame(&s, 1, 0, 2, big, 66000);
	run_until_msgs(&s, 2, 2000);
	ck_assert_uint_eq(s.rec.last_len, 66000);
	/* An empty text message. */
	srv_frame(&s, 1, 0, 1, "", 0);
	run_until_msgs(&s, 3, 2000);
	ck_assert_uint_eq(s.rec.last_len, 0);
	free(big);
	srv_stop(&s);
}
END_TEST

START_TEST(fragments_and_ping)
{
	struct srv s;
	unsigned char buf[256];
	size_t len;
	int fin;

	srv_start(&s, "ws://127.0.0.1:1/", 0);
	srv_accept(&s, NULL, 0);
	run_until_state(&s, WS_OPEN, 2000);
	/* RFC 6455 §5.4: control frames may come between fragments. */
	srv_frame(&s, 0, 0, 1, "[\"NOT", 5);
	srv_frame(&s, 0, 0, 0, "ICE\",", 5);
	srv_frame(&s, 1, 0, 9, "ping-1", 6);
	srv_frame(&s, 1, 0, 0, "\"x\"]", 4);
	run_until_msgs(&s, 1, 2000);
	ck_assert_str_eq(s.rec.last, "[\"NOTICE\",\"x\"]");
	/* The pong echoes the ping's payload (§5.5.3). */
	ck_assert_int_eq(srv_read_frame(&s, buf, sizeof(buf), &len, &fin),
	    10);
	ck_assert_uint_eq(len, 6);
	ck_assert_int_eq(memcmp(buf, "ping-1", 6), 0);
	ck_assert_int_eq(ws_state(s.ws), WS_OPEN);
	srv_stop(&s);
}
END_TEST

START_TEST(peer_close)
{
	struct srv s;
	unsigned char buf[256];
	static const unsigned char code[] = { 0x03, 0xe8, 'b', 'y', 'e' };
	size_t len;
	int fin;

	srv_start(&s, "ws://127.0.0.1:1/", 0);
	srv_accept(&s, NULL, 0);
	run_until_state(&s, WS_OPEN, 2000);
	srv_frame(&s, 1, 0, 8, code, sizeof(code));
	ck_assert_int_eq(srv_read_frame(&s, buf, sizeof(buf), &len, &fin), 8);
	ck_assert_uint_ge(len, 2);
	ck_assert_int_eq(buf[0] << 8 | buf[1], 1000);
	run_until_state(&s, WS_CLOSED, 2000);
	ck_assert_str_eq(ws_error(s.ws), "closed by peer (1000)");
	ck_assert_int_eq(ws_send(s.ws, "x", 1), -1);
	srv_stop(&s);
}
END_TEST

START_TEST(our_close)
{
	struct srv s;
	unsigned char buf[256];
	size_t len;
	int fin;

	srv_start(&s, "ws://127.0.0.1:1/", 0);
	srv_accept(&s, NULL, 0);
	run_until_state(&s, WS_OPEN, 2000);
	ws_close(s.ws);
	ck_assert_int_eq(ws_send(s.ws, "x", 1), -1);
	ck_assert_int_eq(srv_read_frame(&s, buf, sizeof(buf), &len, &fin), 8);
	ck_assert_int_eq(buf[0] << 8 | buf[1], 1000);
	run_until_state(&s, WS_CLOSED, 2000);
	ck_assert_str_eq(ws_error(s.ws), "closed");
	ck_assert_int_eq(ws_flushed(s.ws), 1);
	srv_stop(&s);
}
END_TEST

START_TEST(oversize)
{
	struct srv s;
	unsigned char buf[256];
	char *big;
	size_t len;
	int fin;

	srv_start(&s, "ws://127.0.0.1:1/", 1000);
	srv_accept(&s, NULL, 0);
	run_until_state(&s, WS_OPEN, 2000);
	big = xcalloc(1, 4000);
	srv_frame(&s, 1, 0, 1, big, 1000);
	run_until_msgs(&s, 1, 2000);
	/* Over the cap, also when the parts are small (§5.4). */
	srv_frame(&s, 0, 0, 1, big, 600);
	srv_frame(&s, 1, 0, 0, big, 600);
	ck_assert_int_eq(srv_read_frame(&s, buf, sizeof(buf), &len, &fin), 8);
	ck_assert_int_eq(buf[0] << 8 | buf[1], 1009);
	run_until_state(&s, WS_FAILED, 2000);
	ck_assert_str_eq(ws_error(s.ws), "message too big");
	ck_assert_int_eq(s.rec.n, 1);
	srv_stop(&s);
	/* A single frame that announces more than the cap. */
	srv_start(&s, "ws://127.0.0.1:1/", 1000);
	srv_accept(&s, NULL, 0);
	run_until_state(&s, WS_OPEN, 2000);
	srv_frame(&s, 1, 0, 1, big, 4000);
	run_until_state(&s, WS_FAILED, 2000);
	ck_assert_str_eq(ws_error(s.ws), "message too big");
	ck_assert_int_eq(s.rec.n, 0);
	free(big);
	srv_stop(&s);
}
END_TEST

/* Frames a client must refuse (RFC 6455 §5.1-§5.5). */
static const struct {
	const char *name;
	unsigned char bytes[16];
	size_t len;
} bad_frames[] = {
	{ "masked server frame", { 0x81, 0x82, 1, 2, 3, 4, 'h' ^ 1,
	  'i' ^ 2 }, 8 },
	{ "reserved bit", { 0xc1, 0x02, 'h', 'i' }, 4 },
	{ "reserved opcode", { 0x83, 0x02, 'h', 'i' }, 4 },
	{ "continuation first", { 0x80, 0x02, 'h', 'i' }, 4 },
	{ "fragmented ping", { 0x09, 0x02, 'h', 'i' }, 4 },
	{ "text inside a fragmented text", { 0x01, 0x01, 'a', 0x81, 0x01,
	  'b' }, 6 },
	{ "control frame over 125 bytes", { 0x89, 0x7e, 0x00, 0x7e }, 4 },
	{ "close code 999", { 0x88, 0x02, 0x03, 0xe7 }, 4 },
};

START_TEST(hostile_frames)
{
	struct srv s;
	size_t i;

	for (i = 0; i < nitems(bad_frames); i++) {
		srv_start(&s, "ws://127.0.0.1:1/", 0);
		srv_accept(&s, bad_frames[i].bytes, bad_frames[i].len);
		run_until_state(&s, WS_FAILED, 2000);
		ck_assert_msg(strcmp(ws_error(s.ws), "websocket protocol error")
		    == 0, "%s: %s", bad_frames[i].name, ws_error(s.ws));
		ck_assert_int_eq(s.rec.n, 0);
		srv_stop(&s);
	}
	/* Text frames must be UTF-8 (RFC 6455 §8.1). */
	srv_start(&s, "ws://127.0.0.1:1/", 0);
	srv_accept(&s, "\x81\x02\xc3\x28", 4);
	run_until_state(&s, WS_FAILED, 2000);
	ck_assert_str_eq(ws_error(s.ws), "invalid frame payload");
	ck_assert_int_eq(s.rec.n, 0);
	srv_stop(&s);
}
END_TEST

START_TEST(abrupt_eof)
{
	struct srv s;

	srv_start(&s, "ws://127.0.0.1:1/", 0);
	srv_accept(&s, "\x81\x05hel", 5);
	run_until_state(&s, WS_OPEN, 2000);
	shutdown(s.fd, SHUT_WR);
	run_until_state(&s, WS_FAILED, 2000);
	ck_assert_str_eq(ws_error(s.ws), "connection lost");
	ck_assert_int_eq(s.rec.n, 0);
	srv_stop(&s);
}
END_TEST

START_TEST(handshake_failures)
{
	struct srv s;
	int64_t t0;

	srv_start(&s, "ws://127.0.0.1:1/", 0);
	srv_write(&s, "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n",
	    46);
	run_until_state(&s, WS_FAILED, 2000);
	ck_assert_str_eq(ws_error(s.ws), "handshake: HTTP/1.1 403 Forbidden");
	srv_stop(&s);

	srv_start(&s, "ws://127.0.0.1:1/", 0);
	srv_write(&s, "HTTP/1.1 101 Switching", 22);
	shutdown(s.fd, SHUT_WR);
	run_until_state(&s, WS_FAILED, 2000);
	ck_assert_str_eq(ws_error(s.ws), "handshake: connection closed "
	    "before the response");
	srv_stop(&s);

	/* A server that never answers: srv_start set a 3 s bound. */
	t0 = ws_now_ms();
	srv_start(&s, "ws://127.0.0.1:1/", 0);
	run_until_state(&s, WS_FAILED, 6000);
	ck_assert_str_eq(ws_error(s.ws), "handshake: timeout");
	ck_assert_int_ge(ws_now_ms() - t0, 3000);
	ck_assert_int_lt(ws_now_ms() - t0, 5500);
	srv_stop(&s);
}
END_TEST

/* A listening loopback socket that never accepts; returns its port. */
static int
silent_listener(int *fd)
{
	struct sockaddr_in a;
	socklen_t al = sizeof(a);

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_ge(*fd = socket(AF_INET, SOCK_STREAM, 0), 0);
	ck_assert_int_eq(bind(*fd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(*fd, 8), 0);
	ck_assert_int_eq(getsockname(*fd, (struct sockaddr *)&a, &al), 0);
	return ntohs(a.sin_port);
}

static struct ws *
connect_and_wait(const char *url, long timeout_ms, int64_t *elapsed)
{
	struct ws_opts o;
	struct ws *w;
	int64_t t0 = ws_now_ms();

	memset(&o, 0, sizeof(o));
	o.connect_timeout_ms = timeout_ms;
	w = ws_connect(url, &o, NULL, NULL);
	while (ws_state(w) == WS_CONNECTING && ws_now_ms() - t0 < 20000)
		ws_poll(&w, 1, t0 + 20000);
	*elapsed = ws_now_ms() - t0;
	return w;
}

START_TEST(connect_failures)
{
	struct ws *w;
	char url[64];
	int64_t el;
	int fd, port;

	w = connect_and_wait("http://127.0.0.1/", 1000, &el);
	ck_assert_int_eq(ws_state(w), WS_FAILED);
	ck_assert_str_eq(ws_error(w), "bad URL (ws:// or wss:// expected)");
	ws_free(w);

	/* A closed port: refused at once. */
	port = silent_listener(&fd);
	close(fd);
	snprintf(url, sizeof(url), "ws://127.0.0.1:%d", port);
	w = connect_and_wait(url, 2000, &el);
	ck_assert_int_eq(ws_state(w), WS_FAILED);
	ck_assert_str_eq(ws_error(w), "connect: Connection refused");
	ck_assert_int_lt(el, 1000);
	ws_free(w);

	/* The kernel completes the TCP handshake; nobody ever answers. */
	port = silent_listener(&fd);
	snprintf(url, sizeof(url), "ws://127.0.0.1:%d/", port);
	w = connect_and_wait(url, 700, &el);
	ck_assert_str_eq(ws_error(w), "handshake: timeout");
	ck_assert_int_ge(el, 700);
	ck_assert_int_lt(el, 3000);
	ws_free(w);
	snprintf(url, sizeof(url), "wss://127.0.0.1:%d/", port);
	w = connect_and_wait(url, 700, &el);
	ck_assert_str_eq(ws_error(w), "tls: timeout");
	ck_assert_int_ge(el, 700);
	/* Loading the first trust store takes seconds under valgrind. */
	ck_assert_int_lt(el, 8000);
	ws_free(w);
	close(fd);

	/* RFC 6761 §6.4: .invalid never resolves. */
	w = connect_and_wait("wss://caravel-test.invalid/", 3000, &el);
	ck_assert_int_eq(ws_state(w), WS_FAILED);
	ck_assert_msg(strncmp(ws_error(w), "dns: ", 5) == 0, "%s",
	    ws_error(w));
	ck_assert_int_lt(el, 9000);
	ws_free(w);
	ws_global_cleanup();
}
END_TEST

int
main(void)
{
	Suite *s;
	TCase *tc;
	int status;

	s = suite_create("ws");
	tc = tcase_create("http");
	tcase_add_test(tc, urls);
	tcase_add_test(tc, handshake_table);
	suite_add_tcase(s, tc);
	tc = tcase_create("frames");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, request_and_early_frames);
	tcase_add_test(tc, send_and_receive);
	tcase_add_test(tc, fragments_and_ping);
	tcase_add_test(tc, peer_close);
	tcase_add_test(tc, our_close);
	tcase_add_test(tc, oversize);
	tcase_add_test(tc, hostile_frames);
	tcase_add_test(tc, abrupt_eof);
	tcase_add_test(tc, handshake_failures);
	suite_add_tcase(s, tc);
	tc = tcase_create("net");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, connect_failures);
	suite_add_tcase(s, tc);
	status = tl_run(s);
	ws_global_cleanup();
	return status;
}
