/* ws.c: see ws.h. The connection is a state machine stepped by ws_poll(). */
#include "config.h"

#include <sys/socket.h>
#include <sys/types.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/rand.h>
#include <wslay/wslay.h>

#include "core.h"
#include "ws.h"
#include "netaddr.h"
#include "ws_net.h"

#ifdef PACKAGE_VERSION
#define USER_AGENT "caravel/" PACKAGE_VERSION
#else
#define USER_AGENT "caravel"
#endif

/*
 * Bytes read per connection per ws_poll() round: a peer that floods
 * cannot keep one wslay_event_recv() call from returning.
 */
#define WS_READ_BUDGET (256 * 1024)

enum phase {
	PH_RESOLVE, /* waiting for the resolver child */
	PH_CONNECT,
	PH_TLS,
	PH_UPSEND, /* writing the upgrade request */
	PH_UPRECV, /* reading the 101 response */
	PH_OPEN,
	PH_DONE
};

static const char *const phase_names[] = {
	"dns", "connect", "tls", "handshake", "handshake", "", ""
};

struct ws {
	enum ws_state state;
	enum phase phase;
	struct ws_url url;
	char err[256];
	struct ws_io io;
	struct ws_dns dns;
	size_t addr_i;
	char conn_err[128]; /* why the last address failed */
	int64_t hs_deadline;
	char key[25];
	char *req;
	size_t req_len, req_off;
	char *resp; /* upgrade response, then the frames after it */
	size_t resp_len, pre_off;
	size_t budget;
	size_t received, max_total; /* bytes read from the socket, and cap */
	int over_total;
	wslay_event_context_ptr wctx;
	ws_msg_fn fn;
	void *arg;
	int close_queued; /* by us */
	int io_failed; /* a read or write on the socket failed */
	char *ca_file;
	int public_only;
};

int64_t
ws_now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Release the socket, TLS and resolver; the wslay context stays. */
static void
release_io(struct ws *w)
{
	ws_dns_cancel(&w->dns);
	ws_io_close(&w->io, w->state == WS_CLOSED);
}

/* End the connection in state st; the first reason given is kept. */
static void
finish(struct ws *w, enum ws_state st, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
finish(struct ws *w, enum ws_state st, const char *fmt, ...)
{
	va_list ap;

	if (w->phase == PH_DONE)
		return;
	if (w->err[0] == '\0') {
		va_start(ap, fmt);
		vsnprintf(w->err, sizeof(w->err), fmt, ap);
		va_end(ap);
	}
	w->state = st;
	release_io(w);
	w->phase = PH_DONE;
}

/* wslay callbacks (wslay.h documents the error protocol). */
static ssize_t
recv_cb(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags,
    void *arg)
{
	struct ws *w = arg;
	ssize_t r;
	size_t n;

	(void)flags;
	if (w->pre_off < w->resp_len) {
		n = w->resp_len - w->pre_off;
		if (n > len)
			n = len;
		memcpy(buf, w->resp + w->pre_off, n);
		w->pre_off += n;
		return (ssize_t)n;
	}
	if (w->budget == 0) {
		wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
		return -1;
	}
	if (w->max_total > 0 && w->received >= w->max_total) {
		w->io_failed = w->over_total = 1;
		wslay_event_set_error(ctx, WSLAY_ERR_CALLBACK_FAILURE);
		return -1;
	}
	if (w->max_total > 0 && len > w->max_total - w->received)
		len = w->max_total - w->received;
	if ((r = ws_io_read(&w->io, buf, len < w->budget ? len :
	    w->budget)) > 0) {
		w->budget -= (size_t)r;
		w->received += (size_t)r;
		return r;
	}
	if (r != -1)
		w->io_failed = 1;
	wslay_event_set_error(ctx, r == -1 ? WSLAY_ERR_WOULDBLOCK :
	    WSLAY_ERR_CALLBACK_FAILURE);
	return -1;
}

static ssize_t
send_cb(wslay_event_context_ptr ctx, const uint8_t *data, size_t len,
    int flags, void *arg)
{
	struct ws *w = arg;
	ssize_t r;

	(void)flags;
	if ((r = ws_io_write(&w->io, data, len)) > 0)
		return r;
	if (r != -1)
		w->io_failed = 1;
	wslay_event_set_error(ctx, r == -1 ? WSLAY_ERR_WOULDBLOCK :
	    WSLAY_ERR_CALLBACK_FAILURE);
	return -1;
}

static int
genmask_cb(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, void *arg)
{
	(void)ctx;
	(void)arg;
	return RAND_bytes(buf, (int)len) == 1 ? 0 : -1;
}

static void
msg_cb(wslay_event_context_ptr ctx,
    const struct wslay_event_on_msg_recv_arg *m, void *arg)
{
	struct ws *w = arg;

	(void)ctx;
	/* wslay answers pings and queues the reply to a close itself. */
	if ((m->opcode == WSLAY_TEXT_FRAME ||
	    m->opcode == WSLAY_BINARY_FRAME) && w->fn != NULL)
		w->fn(w->arg, m->msg != NULL ? (const char *)m->msg : "",
		    m->msg_length);
}

/* OpenSSL writes with write(2): a closed peer must not kill us. */
static void
ignore_sigpipe(void)
{
	struct sigaction sa;

	if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL)
		signal(SIGPIPE, SIG_IGN);
}

static struct ws *
ws_new(const char *url, const struct ws_opts *o, ws_msg_fn fn, void *arg)
{
	static const struct wslay_event_callbacks cbs = {
		recv_cb, send_cb, genmask_cb, NULL, NULL, NULL, msg_cb
	};
	struct ws *w;
	unsigned char rnd[16];
	char *b64;
	long to;

	w = xcalloc(1, sizeof(*w));
	ws_io_init(&w->io);
	ws_dns_init(&w->dns);
	w->fn = fn;
	w->arg = arg;
	w->state = WS_CONNECTING;
	to = o != NULL && o->connect_timeout_ms > 0 ? o->connect_timeout_ms :
	    WS_CONNECT_TIMEOUT_MS;
	w->hs_deadline = ws_now_ms() + to;
	ignore_sigpipe();
	if (wslay_event_context_client_init(&w->wctx, &cbs, w) != 0)
		abort();
	wslay_event_config_set_max_recv_msg_length(w->wctx,
	    o != NULL && o->max_msg > 0 ? o->max_msg : WS_MAX_MSG);
	if (ws_url_parse(url, &w->url) == -1) {
		finish(w, WS_FAILED, "bad URL (ws:// or wss:// expected)");
		return w;
	}
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		abort();
	b64 = base64_encode_alloc(rnd, sizeof(rnd));
	snprintf(w->key, sizeof(w->key), "%s", b64);
	free(b64);
	w->req = xmalloc(WS_URL_MAX + 512);
	w->req_len = (size_t)snprintf(w->req, WS_URL_MAX + 512,
	    "GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\n"
	    "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
	    "Sec-WebSocket-Version: 13\r\nUser-Agent: %s\r\n\r\n",
	    w->url.path, w->url.hostport, w->key, USER_AGENT);
	w->resp = xmalloc(WS_HEADER_MAX + 1);
	if (o != NULL && o->ca_file != NULL)
		w->ca_file = xstrdup(o->ca_file);
	w->public_only = o != NULL && o->public_only;
	w->max_total = o != NULL ? o->max_total : 0;
	return w;
}

static void
start_connect(struct ws *w)
{
	struct ws_addr *a;
	char text[64];
	int fd, one = 1;

	w->phase = PH_CONNECT;
	for (; w->addr_i < (size_t)w->dns.r.n; w->addr_i++) {
		a = &w->dns.r.a[w->addr_i];
		if (w->public_only &&
		    !netaddr_is_public((struct sockaddr *)&a->sa)) {
			netaddr_text((struct sockaddr *)&a->sa, text,
			    sizeof(text));
			snprintf(w->conn_err, sizeof(w->conn_err), "refused: "
			    "%s is not a public address", text);
			continue;
		}
		if ((fd = socket(a->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0)) == -1) {
			snprintf(w->conn_err, sizeof(w->conn_err),
			    "connect: %s", strerror(errno));
			continue;
		}
		/*
		 * wslay writes a frame's header and payload in two sends:
		 * with Nagle and delayed ACKs each message would wait ~40 ms.
		 */
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (connect(fd, (struct sockaddr *)&a->sa, a->len) == 0 ||
		    errno == EINPROGRESS) {
			w->io.fd = fd;
			return;
		}
		snprintf(w->conn_err, sizeof(w->conn_err), "connect: %s",
		    strerror(errno));
		close(fd);
	}
	finish(w, WS_FAILED, "%s", w->conn_err[0] != '\0' ? w->conn_err :
	    "connect: no usable address");
}

static void
start_resolve(struct ws *w)
{
	int r;

	w->phase = PH_RESOLVE;
	r = ws_dns_start(&w->dns, w->url.host, w->url.port, w->err,
	    sizeof(w->err));
	if (r == 1)
		start_connect(w);
	else if (r == -1)
		finish(w, WS_FAILED, "dns failed");
}

static int
step_resolve(struct ws *w)
{
	int r;

	if ((r = ws_dns_step(&w->dns, w->err, sizeof(w->err))) == 1)
		start_connect(w);
	else if (r == -1)
		finish(w, WS_FAILED, "dns failed");
	return 0;
}

static int
step_connect(struct ws *w)
{
	socklen_t sl;
	int soerr = 0;

	sl = sizeof(soerr);
	if (getsockopt(w->io.fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == -1)
		soerr = errno;
	if (soerr != 0) {
		snprintf(w->conn_err, sizeof(w->conn_err), "connect: %s",
		    strerror(soerr));
		close(w->io.fd);
		w->io.fd = -1;
		w->addr_i++;
		start_connect(w);
		return 0;
	}
	if (w->url.tls) {
		if (ws_tls_start(&w->io, w->url.host, w->ca_file, w->err,
		    sizeof(w->err)) == -1) {
			finish(w, WS_FAILED, "tls failed");
			return 0;
		}
		w->phase = PH_TLS;
		return 1;
	}
	w->phase = PH_UPSEND;
	return 1;
}

static int
step_upsend(struct ws *w)
{
	ssize_t r;

	while (w->req_off < w->req_len) {
		r = ws_io_write(&w->io, w->req + w->req_off,
		    w->req_len - w->req_off);
		if (r == -1)
			return 0;
		if (r < 0) {
			finish(w, WS_FAILED, "handshake: connection lost");
			return 0;
		}
		w->req_off += (size_t)r;
	}
	w->phase = PH_UPRECV;
	return 1;
}

static int
step_uprecv(struct ws *w)
{
	size_t hdr;
	ssize_t r;
	int c;

	for (;;) {
		r = ws_io_read(&w->io, w->resp + w->resp_len,
		    WS_HEADER_MAX - w->resp_len);
		if (r == -1)
			return 0;
		if (r <= 0) {
			finish(w, WS_FAILED, "handshake: connection closed "
			    "before the response");
			return 0;
		}
		w->resp_len += (size_t)r;
		c = ws_handshake_check(w->resp, w->resp_len, w->key, &hdr,
		    w->err, sizeof(w->err));
		if (c == -1) {
			finish(w, WS_FAILED, "handshake failed");
			return 0;
		}
		if (c == 1)
			break;
	}
	w->pre_off = hdr;
	/* Frames that came with the response count against max_total. */
	w->received = w->resp_len - hdr;
	w->phase = PH_OPEN;
	w->state = WS_OPEN;
	return 1;
}

static void
check_end(struct ws *w)
{
	wslay_event_context_ptr c = w->wctx;
	unsigned int code;

	if (wslay_event_want_read(c) || wslay_event_want_write(c)) {
		/* Our close frame is out; the peer's echo adds nothing. */
		if (w->close_queued && wslay_event_get_close_sent(c) &&
		    !wslay_event_want_write(c))
			finish(w, WS_CLOSED, "closed");
		return;
	}
	if (wslay_event_get_close_received(c)) {
		code = wslay_event_get_status_code_received(c);
		if (w->close_queued)
			finish(w, WS_CLOSED, "closed");
		else
			finish(w, WS_CLOSED, "closed by peer (%u)", code);
		return;
	}
	switch ((code = wslay_event_get_status_code_sent(c))) {
	case WSLAY_CODE_MESSAGE_TOO_BIG:
		finish(w, WS_FAILED, "message too big");
		break;
	case WSLAY_CODE_PROTOCOL_ERROR:
		finish(w, WS_FAILED, "websocket protocol error");
		break;
	case WSLAY_CODE_INVALID_FRAME_PAYLOAD_DATA:
		finish(w, WS_FAILED, "invalid frame payload");
		break;
	default:
		if (w->close_queued)
			finish(w, WS_CLOSED, "closed");
		else
			finish(w, WS_FAILED, "closed (%u)", code);
	}
}

static void
lost(struct ws *w, int r)
{
	wslay_event_context_ptr c = w->wctx;

	/*
	 * wslay reports frame-level errors (RFC 6455 §5.5) as callback
	 * failures too; only ours come from the socket.
	 */
	if (w->over_total)
		finish(w, WS_FAILED, "closed after receiving %zu bytes",
		    w->received);
	else if (r == WSLAY_ERR_PROTO || (r == WSLAY_ERR_CALLBACK_FAILURE &&
	    !w->io_failed))
		finish(w, WS_FAILED, "websocket protocol error");
	else if (wslay_event_get_close_received(c) && w->close_queued)
		finish(w, WS_CLOSED, "closed");
	else if (wslay_event_get_close_received(c))
		finish(w, WS_CLOSED, "closed by peer (%u)",
		    wslay_event_get_status_code_received(c));
	else
		finish(w, WS_FAILED, "connection lost");
}

static void
step_open(struct ws *w)
{
	int r;

	if (wslay_event_want_read(w->wctx)) {
		w->budget = WS_READ_BUDGET;
		if ((r = wslay_event_recv(w->wctx)) != 0) {
			lost(w, r);
			return;
		}
	}
	if (wslay_event_want_write(w->wctx) &&
	    (r = wslay_event_send(w->wctx)) != 0) {
		lost(w, r);
		return;
	}
	check_end(w);
}

static void
step(struct ws *w)
{
	int more = 1;

	while (more && w->phase != PH_DONE) {
		switch (w->phase) {
		case PH_RESOLVE:
			more = step_resolve(w);
			break;
		case PH_CONNECT:
			more = step_connect(w);
			break;
		case PH_TLS:
			if ((more = ws_tls_step(&w->io, w->err,
			    sizeof(w->err))) == 1)
				w->phase = PH_UPSEND;
			else if (more == -1) {
				finish(w, WS_FAILED, "tls failed");
				more = 0;
			}
			break;
		case PH_UPSEND:
			more = step_upsend(w);
			break;
		case PH_UPRECV:
			more = step_uprecv(w);
			break;
		case PH_OPEN:
			step_open(w);
			more = 0;
			break;
		case PH_DONE:
			more = 0;
			break;
		}
	}
}

/* What to poll for; 1 if bytes already wait in our or OpenSSL's buffer. */
static int
ws_events(const struct ws *w, struct pollfd *p)
{
	int buffered = ws_io_pending(&w->io);

	p->fd = w->io.fd;
	p->events = 0;
	switch (w->phase) {
	case PH_RESOLVE:
		p->fd = w->dns.fd;
		p->events = POLLIN;
		return 0;
	case PH_CONNECT:
		p->events = POLLOUT;
		return 0;
	case PH_TLS:
		p->events = w->io.tls_want;
		return 0;
	case PH_UPSEND:
		p->events = w->io.write_wants_read ? POLLIN : POLLOUT;
		return 0;
	case PH_UPRECV:
		p->events = w->io.read_wants_write ? POLLOUT : POLLIN;
		return buffered;
	case PH_OPEN:
		if (wslay_event_want_read(w->wctx))
			p->events |= w->io.read_wants_write ? POLLOUT : POLLIN;
		if (wslay_event_want_write(w->wctx))
			p->events |= w->io.write_wants_read ? POLLIN : POLLOUT;
		return buffered || w->pre_off < w->resp_len;
	case PH_DONE:
		break;
	}
	p->fd = -1;
	return 0;
}

int
ws_poll(struct ws *const *v, size_t n, int64_t deadline)
{
	struct pollfd *p;
	unsigned char *buffered;
	int64_t now, until = deadline;
	size_t i, active = 0;
	int r, ready = 0;

	if (n == 0)
		return 0;
	p = xcalloc(n, sizeof(*p));
	buffered = xcalloc(n, 1);
	for (i = 0; i < n; i++) {
		p[i].fd = -1;
		if (v[i] == NULL || v[i]->phase == PH_DONE)
			continue;
		active++;
		buffered[i] = (unsigned char)ws_events(v[i], &p[i]);
		ready |= buffered[i];
		if (v[i]->phase < PH_OPEN && v[i]->hs_deadline < until)
			until = v[i]->hs_deadline;
	}
	r = 0;
	if (active > 0) {
		now = ws_now_ms();
		r = poll(p, (nfds_t)n, ready ? 0 : until <= now ? 0 :
		    until - now > INT_MAX ? INT_MAX : (int)(until - now));
		if (r == -1 && errno == EINTR)
			r = 0;
	}
	if (r >= 0)
		for (i = 0; i < n; i++)
			if (p[i].fd >= 0 && (p[i].revents != 0 || buffered[i]))
				step(v[i]);
	now = ws_now_ms();
	for (i = 0; i < n; i++)
		if (v[i] != NULL && v[i]->phase < PH_OPEN &&
		    now >= v[i]->hs_deadline)
			finish(v[i], WS_FAILED, "%s: timeout",
			    phase_names[v[i]->phase]);
	free(p);
	free(buffered);
	return r == -1 ? -1 : 0;
}

struct ws *
ws_connect(const char *url, const struct ws_opts *o, ws_msg_fn fn,
    void *arg)
{
	struct ws *w;

	w = ws_new(url, o, fn, arg);
	if (w->phase != PH_DONE)
		start_resolve(w);
	return w;
}

struct ws *
ws_adopt(int fd, const char *url, const struct ws_opts *o, ws_msg_fn fn,
    void *arg)
{
	struct ws *w;
	int one = 1;

	w = ws_new(url, o, fn, arg);
	if (w->phase == PH_DONE) {
		close(fd);
		return w;
	}
	w->io.fd = fd;
	if (w->url.tls) {
		finish(w, WS_FAILED, "ws_adopt: wss:// is not supported");
		return w;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	w->phase = PH_UPSEND;
	return w;
}

void
ws_free(struct ws *w)
{
	if (w == NULL)
		return;
	release_io(w);
	if (w->wctx != NULL)
		wslay_event_context_free(w->wctx);
	free(w->req);
	free(w->resp);
	free(w->ca_file);
	free(w);
}

enum ws_state
ws_state(const struct ws *w)
{
	return w->state;
}

const char *
ws_error(const struct ws *w)
{
	return w->state == WS_CLOSED || w->state == WS_FAILED ? w->err : "";
}

int
ws_send(struct ws *w, const char *s, size_t len)
{
	struct wslay_event_msg m;

	if (w->phase == PH_DONE || w->close_queued)
		return -1;
	m.opcode = WSLAY_TEXT_FRAME;
	m.msg = (const uint8_t *)s;
	m.msg_length = len;
	return wslay_event_queue_msg(w->wctx, &m) == 0 ? 0 : -1;
}

void
ws_close(struct ws *w)
{
	if (w->phase == PH_DONE || w->close_queued)
		return;
	w->close_queued = 1;
	if (w->phase != PH_OPEN) {
		finish(w, WS_CLOSED, "closed");
		return;
	}
	(void)wslay_event_queue_close(w->wctx, WSLAY_CODE_NORMAL_CLOSURE,
	    NULL, 0);
}

int
ws_flushed(const struct ws *w)
{
	return w->phase != PH_OPEN || !wslay_event_want_write(w->wctx);
}
