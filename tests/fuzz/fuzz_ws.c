/*
 * fuzz_ws.c: libFuzzer harness for what a WebSocket server sends our
 * client (ws.h): the HTTP upgrade response, and the frames after it. The
 * first input byte holds flags (F_* below); the rest is used twice:
 *
 *  - as the upgrade response, given to ws_handshake_check() for a fixed
 *    key (after a good status line and headers for that key when F_GOOD
 *    is set, so that the fuzzer starts past the accept check). It
 *    returns 1, 0 or -1; 0 only when no complete header ("\r\n\r\n") is
 *    there, and never when one is; 1 with *hdrlen the bytes up to and
 *    including the first "\r\n\r\n", at most WS_HEADER_MAX, for a "101"
 *    status line holding the right Sec-WebSocket-Accept, and 0 for
 *    every shorter prefix; the bytes after a complete header do not
 *    change the answer; -1 with err a NUL-terminated string within errsz
 *    without control characters;
 *  - with F_STREAM, as the frame stream of a server that accepted our
 *    upgrade: ws_adopt() runs the client on one end of a socketpair, the
 *    harness reads its request (GET for the URL, Host, a key of 16 bytes
 *    in base64, version 13), answers 101 with the right accept value and
 *    the rest of the input as raw frames, and then ends its writing.
 *    ws_poll() must then end the connection (WS_CLOSED or WS_FAILED)
 *    within a bounded time, every message given to the callback must be
 *    within ws_opts.max_msg and readable to its end, messages cannot
 *    hold more bytes than the frames did, and ws_error() must then say
 *    why in a string without control characters; ws_send() must refuse
 *    a connection that has ended. Other flags cap the bytes received,
 *    echo messages, close from the callback or from our side first, and
 *    send the first bytes a few at a time.
 *
 * A broken promise aborts, which libFuzzer reports as a crash; leaks and
 * file descriptors left open show up under LeakSanitizer and as EMFILE.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core.h"
#include "ws.h"

int LLVMFuzzerInitialize(int *, char ***);
int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define F_GOOD 0x01 /* the upgrade response starts right */
#define F_STREAM 0x02 /* run the client on the frames */
#define F_CAP 0x04 /* ws_opts.max_total of CAP_BYTES */
#define F_ECHO 0x08 /* the callback sends each message back */
#define F_CB_CLOSE 0x10 /* the callback closes after the first message */
#define F_TRICKLE 0x20 /* the first TRICKLE_BYTES go a few at a time */
#define F_SMALL_ERR 0x40 /* ws_handshake_check gets a short err */
#define F_CLOSE_FIRST 0x80 /* we close once the upgrade is done */

#define MAX_MSG 4096
#define CAP_BYTES 512
#define TRICKLE_BYTES 96
#define RUN_MS 3000 /* bound on one connection's life here */
#define URL "ws://127.0.0.1:1/"

/* RFC 6455 §1.3: the example key and its Sec-WebSocket-Accept. */
static const char key[] = "dGhlIHNhbXBsZSBub25jZQ==";
static char accept_key[29];

struct run {
	struct ws *ws;
	unsigned int flags;
	size_t frames; /* bytes of frames the server sent */
	size_t got; /* bytes of messages the callback saw */
	int msgs;
};

static void
fail(const char *what)
{
	fprintf(stderr, "fuzz_ws: invariant broken: %s\n", what);
	abort();
}

/* Does s[0..len) hold a control character (C0, DEL, or C1 as UTF-8)? */
static int
has_control(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] < 0x20 || p[i] == 0x7f || (p[i] == 0xc2 &&
		    i + 1 < len && p[i + 1] >= 0x80 && p[i + 1] <= 0x9f))
			return 1;
	return 0;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	ws_accept_value(key, accept_key);
	if (strcmp(accept_key, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=") != 0)
		fail("ws_accept_value differs from RFC 6455 §1.3");
	return 0;
}

/* ws_handshake_check on buf[0..len): the answer, checked alone. */
static int
check_once(const char *buf, size_t len, size_t errsz, size_t *hdrlen)
{
	char *err;
	size_t n;
	int r;

	err = xmalloc(errsz);
	memset(err, 'Z', errsz);
	*hdrlen = SIZE_MAX;
	r = ws_handshake_check(buf, len, key, hdrlen, err, errsz);
	if (r == -1) {
		if (memchr(err, '\0', errsz) == NULL)
			fail("an error without its NUL");
		n = strlen(err);
		if (errsz > 1 && n == 0)
			fail("an error without words");
		if (has_control(err, n))
			fail("an error with a control character");
	} else if (r == 1) {
		if (*hdrlen > len || *hdrlen < 4)
			fail("a header longer than the buffer");
	} else if (r != 0)
		fail("ws_handshake_check gave neither 1, 0 nor -1");
	free(err);
	return r;
}

static void
handshake(const char *data, size_t size, unsigned int flags)
{
	char *buf;
	const char *end;
	size_t len, pre = 0, hdr, hdr2, whole, errsz;
	int r;

	buf = xmalloc(256 + size);
	if (flags & F_GOOD)
		pre = (size_t)snprintf(buf, 256, "HTTP/1.1 101 Switching "
		    "Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
		    "Sec-WebSocket-Accept: %s\r\n", accept_key);
	if (size > 0)
		memcpy(buf + pre, data, size);
	len = pre + size;
	errsz = flags & F_SMALL_ERR ? 1 + size % 24 : 256;
	r = check_once(buf, len, errsz, &hdr);
	end = memmem(buf, len, "\r\n\r\n", 4);
	whole = end != NULL ? (size_t)(end - buf) + 4 : 0;
	if (r == 0 && whole != 0)
		fail("a complete header read as incomplete");
	if (r == 1) {
		if (hdr != whole || hdr > WS_HEADER_MAX)
			fail("a header that does not end at the first blank "
			    "line");
		if (memcmp(buf, "HTTP/1.", 7) != 0 ||
		    memcmp(buf + 8, " 101", 4) != 0)
			fail("a header accepted without status 101");
		if (memchr(buf, '\0', hdr) != NULL)
			fail("a header accepted with a NUL byte");
		if (memmem(buf, hdr, accept_key, 28) == NULL)
			fail("a header accepted without our accept value");
		if (check_once(buf, hdr - 1, errsz, &hdr2) != 0)
			fail("a header's prefix did not read as incomplete");
	}
	if (whole != 0 && whole < len &&
	    (check_once(buf, whole, errsz, &hdr2) != r ||
	    (r == 1 && hdr2 != hdr)))
		fail("the bytes after the header changed the answer");
	free(buf);
}

static void
on_msg(void *arg, const char *msg, size_t len)
{
	struct run *rn = arg;

	if (msg == NULL)
		fail("a message without bytes");
	if (len > MAX_MSG)
		fail("a message over max_msg");
	/* Read it all: ASan sees a message shorter than it says. */
	(void)is_utf8(msg, len);
	rn->got += len;
	if (rn->got > rn->frames)
		fail("messages hold more bytes than the frames");
	rn->msgs++;
	if (rn->flags & F_ECHO)
		(void)ws_send(rn->ws, msg, len);
	if (rn->flags & F_CB_CLOSE)
		ws_close(rn->ws);
}

static int
ended(const struct ws *w)
{
	return ws_state(w) == WS_CLOSED || ws_state(w) == WS_FAILED;
}

/* Throw away what the client wrote to us. */
static void
drain(int fd)
{
	char junk[4096];

	while (recv(fd, junk, sizeof(junk), MSG_DONTWAIT) > 0)
		;
}

/* The client's upgrade request: check it, and take its key. */
static void
request(struct ws *w, int fd, char k[25])
{
	char req[4096], *p, *e;
	unsigned char raw[32];
	size_t got = 0, n;
	int64_t deadline = ws_now_ms() + RUN_MS;
	ssize_t r;

	req[0] = '\0';
	while (strstr(req, "\r\n\r\n") == NULL) {
		if (ws_now_ms() > deadline || ws_state(w) != WS_CONNECTING)
			fail("the client sent no upgrade request");
		ws_poll(&w, 1, ws_now_ms() + 10);
		if ((r = recv(fd, req + got, sizeof(req) - 1 - got,
		    MSG_DONTWAIT)) > 0) {
			got += (size_t)r;
			req[got] = '\0';
		}
		if (got == sizeof(req) - 1)
			fail("an upgrade request too long");
	}
	if (strncmp(req, "GET / HTTP/1.1\r\n", 16) != 0 ||
	    strstr(req, "\r\nHost: 127.0.0.1:1\r\n") == NULL ||
	    strstr(req, "\r\nUpgrade: websocket\r\n") == NULL ||
	    strstr(req, "\r\nSec-WebSocket-Version: 13\r\n") == NULL)
		fail("an upgrade request that is not RFC 6455 §4.1's");
	if ((p = strstr(req, "\r\nSec-WebSocket-Key: ")) == NULL)
		fail("an upgrade request without a key");
	p += 21;
	e = strstr(p, "\r\n");
	n = (size_t)(e - p);
	if (n != 24 || base64_decode(p, n, raw, sizeof(raw), &n) != 0 ||
	    n != 16)
		fail("a key that is not 16 bytes in base64");
	memcpy(k, p, 24);
	k[24] = '\0';
}

static void
stream(const char *data, size_t size, unsigned int flags)
{
	struct ws_opts o;
	struct run rn;
	char k[25], acc[29], head[256], *out;
	size_t hlen, outlen, off = 0, chunk, limit;
	int64_t deadline;
	ssize_t r;
	int sv[2], shut = 0, split, opened = 0;
	const char *e;

	memset(&o, 0, sizeof(o));
	o.connect_timeout_ms = RUN_MS;
	o.max_msg = MAX_MSG;
	o.max_total = flags & F_CAP ? CAP_BYTES : 0;
	memset(&rn, 0, sizeof(rn));
	rn.flags = flags;
	rn.frames = size;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1) {
		perror("fuzz_ws: socketpair");
		abort();
	}
	rn.ws = ws_adopt(sv[0], URL, &o, on_msg, &rn);
	request(rn.ws, sv[1], k);

	ws_accept_value(k, acc);
	hlen = (size_t)snprintf(head, sizeof(head), "HTTP/1.1 101 Switching "
	    "Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
	    "Sec-WebSocket-Accept: %s\r\n\r\n", acc);
	outlen = hlen + size;
	out = xmalloc(outlen);
	memcpy(out, head, hlen);
	if (size > 0)
		memcpy(out + hlen, data, size);

	/*
	 * F_CAP and F_CLOSE_FIRST send the header alone, the frames once
	 * the client is open: frames in the read that completes the header
	 * are not counted against max_total.
	 */
	split = (flags & (F_CAP | F_CLOSE_FIRST)) != 0;
	deadline = ws_now_ms() + RUN_MS;
	while (!ended(rn.ws)) {
		if (ws_now_ms() > deadline)
			fail("the connection did not end after the server's "
			    "end of stream");
		if (!opened && ws_state(rn.ws) != WS_CONNECTING) {
			opened = 1;
			if (flags & F_CLOSE_FIRST)
				ws_close(rn.ws);
		}
		limit = split && !opened ? hlen : outlen;
		if (off < limit) {
			chunk = limit - off;
			if (flags & F_TRICKLE && off < TRICKLE_BYTES &&
			    chunk > 1 + off % 7)
				chunk = 1 + off % 7;
			r = send(sv[1], out + off, chunk,
			    MSG_DONTWAIT | MSG_NOSIGNAL);
			if (r > 0)
				off += (size_t)r;
			else if (errno != EAGAIN && errno != EINTR)
				off = outlen; /* the client is gone */
		}
		if (off == outlen && !shut) {
			shutdown(sv[1], SHUT_WR);
			shut = 1;
		}
		drain(sv[1]);
		ws_poll(&rn.ws, 1, ws_now_ms() + 10);
	}
	e = ws_error(rn.ws);
	if (e == NULL || e[0] == '\0')
		fail("a connection ended without saying why");
	if (has_control(e, strlen(e)) || !is_utf8(e, strlen(e)))
		fail("ws_error with a control character");
	if (ws_send(rn.ws, "x", 1) != -1)
		fail("ws_send queued on a connection that has ended");
	ws_free(rn.ws);
	close(sv[1]);
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *rest;
	unsigned int flags;

	if (size == 0)
		return 0;
	flags = data[0];
	rest = (const char *)data + 1;
	handshake(rest, size - 1, flags);
	if (flags & F_STREAM)
		stream(rest, size - 1, flags);
	return 0;
}
