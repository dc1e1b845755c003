/*
 * ws.h: one client WebSocket connection (RFC 6455) over wslay, with our
 * own socket and OpenSSL code, driven by poll(2) so that a caller can run
 * many connections at once in one thread.
 *
 * Every phase is bounded: name resolution (in a child process, since
 * getaddrinfo(3) has no timeout), the TCP connect, the TLS handshake and
 * the HTTP upgrade share one handshake deadline; after that the caller's
 * deadline bounds each wait in ws_poll(). wss:// verifies the certificate
 * chain and the host name (or IP address); there is no way to turn either
 * check off. Received messages are capped in size.
 *
 * Not thread-safe: the TLS contexts are cached per process, and the first
 * connection sets SIGPIPE to SIG_IGN when it is SIG_DFL, because OpenSSL
 * writes to the socket with write(2). Call ws_global_cleanup() before
 * exit to free the cache.
 */
#ifndef CARAVEL_WS_H
#define CARAVEL_WS_H

#include <stddef.h>
#include <stdint.h>

#define WS_CONNECT_TIMEOUT_MS 10000 /* default handshake bound */
#define WS_MAX_MSG (1024 * 1024) /* default cap on a received message */
#define WS_URL_MAX 2048 /* bytes of a ws:// or wss:// URL */
#define WS_HEADER_MAX 8192 /* bytes of the server's upgrade response */

/* A parsed ws:// or wss:// URL. */
struct ws_url {
	int tls; /* wss */
	char host[256]; /* name or IP literal, without IPv6 brackets */
	char port[6]; /* decimal, 1..65535 */
	char hostport[264]; /* the Host header value (RFC 6455 §4.1) */
	char path[WS_URL_MAX]; /* "/" and query; never empty */
};

/*
 * Parse url strictly: scheme ws or wss (any case), a host name of
 * letters, digits, "-" and "." or an IP literal ("[v6]" for IPv6), an
 * optional port, an optional path and query. No user info, no bytes
 * outside printable ASCII, at most WS_URL_MAX bytes; a fragment is
 * dropped. Returns 0 or -1.
 */
int ws_url_parse(const char *url, struct ws_url *);

/* The Sec-WebSocket-Accept value for key (RFC 6455 §4.2.2). */
void ws_accept_value(const char *key, char out[29]);

/*
 * Check the server's answer to our upgrade request (RFC 6455 §4.1):
 * status 101, "Upgrade: websocket", a "Connection" header holding the
 * token "upgrade", the Sec-WebSocket-Accept matching key, and no
 * extension or subprotocol (we offer none). Returns 1 with *hdrlen the
 * bytes of the header (the frames follow it), 0 if buf holds no complete
 * header yet, or -1 with err set ("handshake: HTTP/1.1 403 Forbidden").
 */
int ws_handshake_check(const char *buf, size_t len, const char *key,
    size_t *hdrlen, char *err, size_t errsz);

struct ws_opts {
	long connect_timeout_ms; /* resolve+connect+TLS+upgrade; 0: default */
	const char *ca_file; /* PEM trust anchors; NULL: the system store */
	size_t max_msg; /* largest message accepted; 0: WS_MAX_MSG */
	/* bytes received over the connection's life, then it fails; 0: no cap */
	size_t max_total;
	int public_only; /* refuse addresses netaddr_is_public() refuses */
};

enum ws_state {
	WS_CONNECTING, /* resolving, connecting, TLS or upgrade */
	WS_OPEN,
	WS_CLOSED, /* a close handshake finished; ws_error() says who */
	WS_FAILED /* ws_error() says what failed */
};

/*
 * Called for each complete text or binary message; msg is not
 * NUL-terminated and lives until the callback returns. The callback may
 * call ws_send() and ws_close() on the same connection.
 */
typedef void (*ws_msg_fn)(void *arg, const char *msg, size_t len);

struct ws;

/*
 * Start connecting to url; never NULL (a bad URL gives a WS_FAILED
 * connection). opts may be NULL. Free with ws_free().
 */
struct ws *ws_connect(const char *url, const struct ws_opts *, ws_msg_fn,
    void *arg);
/*
 * The same over fd, an already connected stream socket (which the
 * connection then owns): the upgrade request is sent on it for url,
 * which must be ws://. For tests, which play the server on a
 * socketpair.
 */
struct ws *ws_adopt(int fd, const char *url, const struct ws_opts *,
    ws_msg_fn, void *arg);
void ws_free(struct ws *);

enum ws_state ws_state(const struct ws *);
/* Why the connection failed or closed: "" while it is fine. */
const char *ws_error(const struct ws *);
/*
 * Queue a text message (copied; sent once the connection is open); 0,
 * or -1 if the connection has ended or is closing.
 */
int ws_send(struct ws *, const char *, size_t);
/* Queue a close frame with status 1000 (normal closure). */
void ws_close(struct ws *);
/* 1 when no queued byte is left to write. */
int ws_flushed(const struct ws *);

/*
 * Wait until one of the n connections (NULL entries and finished ones
 * are skipped) can make progress or deadline (ws_now_ms() time) passes,
 * then make that progress: connection steps, messages (callbacks run
 * here), handshake timeouts. Returns 0, or -1 if poll(2) itself failed.
 */
int ws_poll(struct ws *const *, size_t n, int64_t deadline);
/* Monotonic milliseconds, the clock of every deadline here. */
int64_t ws_now_ms(void);

/* Free the cached TLS contexts (at exit, for leak checkers). */
void ws_global_cleanup(void);

#endif
