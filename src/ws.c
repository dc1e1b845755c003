/* ws.c: see ws.h. The connection is a state machine stepped by ws_poll(). */
#include "config.h"

#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <wslay/wslay.h>

#include "core.h"
#include "ws.h"

#ifdef PACKAGE_VERSION
#define USER_AGENT "caravel/" PACKAGE_VERSION
#else
#define USER_AGENT "caravel"
#endif

#define WS_MAX_ADDRS 8
/* Bytes read per connection per ws_poll() round: a peer that floods
 * cannot keep one wslay_event_recv() call from returning. */
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

struct ws_addr {
	socklen_t len;
	struct sockaddr_storage sa;
};

/* What the resolver child writes to its pipe. */
struct dns_reply {
	int gai; /* getaddrinfo(3) result */
	int sys; /* errno for EAI_SYSTEM */
	int n;
	struct ws_addr a[WS_MAX_ADDRS];
};

struct ws {
	enum ws_state state;
	enum phase phase;
	struct ws_url url;
	char err[256];
	int fd;
	int dns_fd;
	pid_t dns_pid;
	struct dns_reply dns;
	size_t dns_got;
	size_t addr_i;
	char conn_err[128]; /* why the last address failed */
	SSL *ssl;
	short tls_want; /* POLLIN or POLLOUT during the TLS handshake */
	int read_wants_write; /* SSL_read asked for POLLOUT */
	int write_wants_read; /* SSL_write asked for POLLIN */
	int64_t hs_deadline;
	char key[25];
	char *req;
	size_t req_len, req_off;
	char *resp; /* upgrade response, then the frames after it */
	size_t resp_len, pre_off;
	size_t budget;
	wslay_event_context_ptr wctx;
	ws_msg_fn fn;
	void *arg;
	int close_queued; /* by us */
	int io_failed; /* a read or write on the socket failed */
	char *ca_file;
};

struct tls_ctx {
	char *ca_file; /* NULL: the system store */
	SSL_CTX *ctx;
};

static struct tls_ctx *tls_ctxs;
static size_t ntls_ctxs;

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
	if (w->dns_pid > 0) {
		kill(w->dns_pid, SIGKILL);
		waitpid(w->dns_pid, NULL, 0);
		w->dns_pid = -1;
	}
	if (w->dns_fd >= 0) {
		close(w->dns_fd);
		w->dns_fd = -1;
	}
	if (w->ssl != NULL) {
		ERR_clear_error();
		if (w->state == WS_CLOSED)
			SSL_shutdown(w->ssl);
		SSL_free(w->ssl);
		w->ssl = NULL;
		ERR_clear_error();
	}
	if (w->fd >= 0) {
		close(w->fd);
		w->fd = -1;
	}
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

static SSL_CTX *
tls_ctx_get(const char *ca_file)
{
	SSL_CTX *c;
	size_t i;

	for (i = 0; i < ntls_ctxs; i++)
		if ((ca_file == NULL && tls_ctxs[i].ca_file == NULL) ||
		    (ca_file != NULL && tls_ctxs[i].ca_file != NULL &&
		    strcmp(ca_file, tls_ctxs[i].ca_file) == 0))
			return tls_ctxs[i].ctx;
	if ((c = SSL_CTX_new(TLS_client_method())) == NULL)
		return NULL;
	SSL_CTX_set_min_proto_version(c, TLS1_2_VERSION);
	SSL_CTX_set_verify(c, SSL_VERIFY_PEER, NULL);
	SSL_CTX_set_mode(c, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	if ((ca_file != NULL ?
	    SSL_CTX_load_verify_locations(c, ca_file, NULL) :
	    SSL_CTX_set_default_verify_paths(c)) != 1) {
		SSL_CTX_free(c);
		ERR_clear_error();
		return NULL;
	}
	tls_ctxs = xrealloc(tls_ctxs, (ntls_ctxs + 1) * sizeof(*tls_ctxs));
	tls_ctxs[ntls_ctxs].ca_file = ca_file != NULL ? xstrdup(ca_file) :
	    NULL;
	tls_ctxs[ntls_ctxs++].ctx = c;
	return c;
}

void
ws_global_cleanup(void)
{
	size_t i;

	for (i = 0; i < ntls_ctxs; i++) {
		SSL_CTX_free(tls_ctxs[i].ctx);
		free(tls_ctxs[i].ca_file);
	}
	free(tls_ctxs);
	tls_ctxs = NULL;
	ntls_ctxs = 0;
}

/* Raw reads and writes: >0 bytes, 0 end of stream, -1 would block, -2
 * error. */
static ssize_t
io_read(struct ws *w, void *buf, size_t len)
{
	ssize_t r;
	int n, e;

	if (w->ssl == NULL) {
		if ((r = recv(w->fd, buf, len, 0)) >= 0)
			return r;
		return errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == EINTR ? -1 : -2;
	}
	ERR_clear_error();
	w->read_wants_write = 0;
	if ((n = SSL_read(w->ssl, buf, len > INT_MAX ? INT_MAX : (int)len)) > 0)
		return n;
	e = SSL_get_error(w->ssl, n);
	ERR_clear_error();
	if (e == SSL_ERROR_WANT_READ)
		return -1;
	if (e == SSL_ERROR_WANT_WRITE) {
		w->read_wants_write = 1;
		return -1;
	}
	return e == SSL_ERROR_ZERO_RETURN ? 0 : -2;
}

static ssize_t
io_write(struct ws *w, const void *buf, size_t len)
{
	ssize_t r;
	int n, e;

	if (w->ssl == NULL) {
		if ((r = send(w->fd, buf, len, MSG_NOSIGNAL)) >= 0)
			return r;
		return errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == EINTR ? -1 : -2;
	}
	ERR_clear_error();
	w->write_wants_read = 0;
	if ((n = SSL_write(w->ssl, buf, len > INT_MAX ? INT_MAX : (int)len)) >
	    0)
		return n;
	e = SSL_get_error(w->ssl, n);
	ERR_clear_error();
	if (e == SSL_ERROR_WANT_WRITE)
		return -1;
	if (e == SSL_ERROR_WANT_READ) {
		w->write_wants_read = 1;
		return -1;
	}
	return -2;
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
	if ((r = io_read(w, buf, len < w->budget ? len : w->budget)) > 0) {
		w->budget -= (size_t)r;
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
	if ((r = io_write(w, data, len)) > 0)
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
		w->fn(w->arg, (const char *)m->msg, m->msg_length);
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
	w->fd = w->dns_fd = -1;
	w->dns_pid = -1;
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
	return w;
}

static void
start_connect(struct ws *w)
{
	struct ws_addr *a;
	int fd, one = 1;

	w->phase = PH_CONNECT;
	for (; w->addr_i < (size_t)w->dns.n; w->addr_i++) {
		a = &w->dns.a[w->addr_i];
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
			w->fd = fd;
			return;
		}
		snprintf(w->conn_err, sizeof(w->conn_err), "connect: %s",
		    strerror(errno));
		close(fd);
	}
	finish(w, WS_FAILED, "%s", w->conn_err[0] != '\0' ? w->conn_err :
	    "connect: no usable address");
}

/* The resolver child: getaddrinfo(3), one atomic write, exit. */
static void
dns_child(int wfd, const char *host, const char *port)
{
	struct dns_reply r;
	struct addrinfo hints, *res, *ai;
	ssize_t n;

	memset(&r, 0, sizeof(r));
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if ((r.gai = getaddrinfo(host, port, &hints, &res)) == 0) {
		for (ai = res; ai != NULL && r.n < WS_MAX_ADDRS;
		    ai = ai->ai_next) {
			if (ai->ai_addrlen > sizeof(r.a[0].sa))
				continue;
			r.a[r.n].len = ai->ai_addrlen;
			memcpy(&r.a[r.n].sa, ai->ai_addr, ai->ai_addrlen);
			r.n++;
		}
		freeaddrinfo(res);
	} else
		r.sys = errno;
	n = write(wfd, &r, sizeof(r));
	_exit(n == (ssize_t)sizeof(r) ? 0 : 1);
}

/*
 * getaddrinfo(3) cannot be bounded in time, so a name is resolved in a
 * child process we can kill at the deadline; literals skip it.
 */
static void
start_resolve(struct ws *w)
{
	struct addrinfo hints, *res;
	int p[2];

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	if (getaddrinfo(w->url.host, w->url.port, &hints, &res) == 0) {
		if (res->ai_addrlen <= sizeof(w->dns.a[0].sa)) {
			w->dns.n = 1;
			w->dns.a[0].len = res->ai_addrlen;
			memcpy(&w->dns.a[0].sa, res->ai_addr, res->ai_addrlen);
		}
		freeaddrinfo(res);
		start_connect(w);
		return;
	}
	w->phase = PH_RESOLVE;
	if (pipe2(p, O_CLOEXEC) == -1) {
		finish(w, WS_FAILED, "dns: pipe: %s", strerror(errno));
		return;
	}
	if ((w->dns_pid = fork()) == -1) {
		close(p[0]);
		close(p[1]);
		finish(w, WS_FAILED, "dns: fork: %s", strerror(errno));
		return;
	}
	if (w->dns_pid == 0) {
		close(p[0]);
		dns_child(p[1], w->url.host, w->url.port);
	}
	close(p[1]);
	w->dns_fd = p[0];
	fcntl(w->dns_fd, F_SETFL, O_NONBLOCK);
}

static int
step_resolve(struct ws *w)
{
	char extra;
	ssize_t r;

	for (;;) {
		if (w->dns_got < sizeof(w->dns))
			r = read(w->dns_fd, (char *)&w->dns + w->dns_got,
			    sizeof(w->dns) - w->dns_got);
		else
			r = read(w->dns_fd, &extra, 1);
		if (r > 0 && w->dns_got < sizeof(w->dns)) {
			w->dns_got += (size_t)r;
			continue;
		}
		if (r == -1 && (errno == EAGAIN || errno == EINTR))
			return 0;
		break;
	}
	waitpid(w->dns_pid, NULL, 0);
	w->dns_pid = -1;
	close(w->dns_fd);
	w->dns_fd = -1;
	if (r != 0 || w->dns_got != sizeof(w->dns))
		finish(w, WS_FAILED, "dns: the resolver failed");
	else if (w->dns.gai == EAI_SYSTEM)
		finish(w, WS_FAILED, "dns: %s", strerror(w->dns.sys));
	else if (w->dns.gai != 0)
		finish(w, WS_FAILED, "dns: %s", gai_strerror(w->dns.gai));
	else if (w->dns.n <= 0 || w->dns.n > WS_MAX_ADDRS)
		finish(w, WS_FAILED, "dns: no address");
	else
		start_connect(w);
	return 0;
}

static int
tls_start(struct ws *w)
{
	unsigned char ip[16];
	SSL_CTX *c;

	if ((c = tls_ctx_get(w->ca_file)) == NULL) {
		finish(w, WS_FAILED, "tls: cannot load the trust store%s%s",
		    w->ca_file != NULL ? " " : "",
		    w->ca_file != NULL ? w->ca_file : "");
		return 0;
	}
	if ((w->ssl = SSL_new(c)) == NULL || SSL_set_fd(w->ssl, w->fd) != 1)
		abort();
	/* SNI carries names only (RFC 6066 §3). */
	if (inet_pton(AF_INET, w->url.host, ip) != 1 &&
	    inet_pton(AF_INET6, w->url.host, ip) != 1 &&
	    SSL_set_tlsext_host_name(w->ssl, w->url.host) != 1) {
		finish(w, WS_FAILED, "tls: cannot set the server name");
		return 0;
	}
	/* OpenSSL 3 matches an IP literal against the IP SANs here. */
	SSL_set_hostflags(w->ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	if (SSL_set1_host(w->ssl, w->url.host) != 1) {
		finish(w, WS_FAILED, "tls: cannot set the host to verify");
		return 0;
	}
	w->phase = PH_TLS;
	return 1;
}

static int
step_connect(struct ws *w)
{
	socklen_t sl;
	int soerr = 0;

	sl = sizeof(soerr);
	if (getsockopt(w->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == -1)
		soerr = errno;
	if (soerr != 0) {
		snprintf(w->conn_err, sizeof(w->conn_err), "connect: %s",
		    strerror(soerr));
		close(w->fd);
		w->fd = -1;
		w->addr_i++;
		start_connect(w);
		return 0;
	}
	if (w->url.tls)
		return tls_start(w);
	w->phase = PH_UPSEND;
	return 1;
}

static int
step_tls(struct ws *w)
{
	unsigned long ec;
	long v;
	int r, e;

	ERR_clear_error();
	if ((r = SSL_connect(w->ssl)) == 1) {
		if (SSL_get_verify_result(w->ssl) != X509_V_OK ||
		    SSL_get0_peer_certificate(w->ssl) == NULL) {
			finish(w, WS_FAILED, "tls: certificate not verified");
			return 0;
		}
		w->phase = PH_UPSEND;
		return 1;
	}
	e = SSL_get_error(w->ssl, r);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		w->tls_want = e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
		return 0;
	}
	ec = ERR_peek_last_error();
	if ((v = SSL_get_verify_result(w->ssl)) != X509_V_OK)
		finish(w, WS_FAILED, "tls: %s",
		    X509_verify_cert_error_string(v));
	else if (ec != 0 && ERR_reason_error_string(ec) != NULL)
		finish(w, WS_FAILED, "tls: %s", ERR_reason_error_string(ec));
	else if (e == SSL_ERROR_SYSCALL && errno != 0)
		finish(w, WS_FAILED, "tls: %s", strerror(errno));
	else
		finish(w, WS_FAILED, "tls: connection closed during the "
		    "handshake");
	ERR_clear_error();
	return 0;
}

static int
step_upsend(struct ws *w)
{
	ssize_t r;

	while (w->req_off < w->req_len) {
		r = io_write(w, w->req + w->req_off, w->req_len - w->req_off);
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
		r = io_read(w, w->resp + w->resp_len,
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

	/* wslay reports frame-level errors (RFC 6455 §5.5) as callback
	 * failures too; only ours come from the socket. */
	if (r == WSLAY_ERR_PROTO || (r == WSLAY_ERR_CALLBACK_FAILURE &&
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
			more = step_tls(w);
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
	int buffered = w->ssl != NULL && SSL_has_pending(w->ssl);

	p->fd = w->fd;
	p->events = 0;
	switch (w->phase) {
	case PH_RESOLVE:
		p->fd = w->dns_fd;
		p->events = POLLIN;
		return 0;
	case PH_CONNECT:
		p->events = POLLOUT;
		return 0;
	case PH_TLS:
		p->events = w->tls_want;
		return 0;
	case PH_UPSEND:
		p->events = w->write_wants_read ? POLLIN : POLLOUT;
		return 0;
	case PH_UPRECV:
		p->events = w->read_wants_write ? POLLOUT : POLLIN;
		return buffered;
	case PH_OPEN:
		if (wslay_event_want_read(w->wctx))
			p->events |= w->read_wants_write ? POLLOUT : POLLIN;
		if (wslay_event_want_write(w->wctx))
			p->events |= w->write_wants_read ? POLLIN : POLLOUT;
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
	w->fd = fd;
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
