/*
 * ws_net.h: what ws.c takes from ws_net.c, inside the WebSocket client
 * only: name resolution bounded in time, socket and TLS reads and writes,
 * the TLS handshake with its checks, and the per-process TLS contexts.
 */
#ifndef CARAVEL_WS_NET_H
#define CARAVEL_WS_NET_H

#include <sys/types.h>
#include <sys/socket.h>

#include <openssl/ssl.h>

#define WS_MAX_ADDRS 8

struct ws_addr {
	socklen_t len;
	struct sockaddr_storage sa;
};

/* What the resolver child writes to its pipe, in one write(2). */
struct ws_dns_reply {
	int gai; /* getaddrinfo(3) result */
	int sys; /* errno for EAI_SYSTEM */
	int n; /* addresses in a[] */
	struct ws_addr a[WS_MAX_ADDRS];
};

/* One lookup. */
struct ws_dns {
	pid_t pid; /* the resolver child, or -1 */
	int fd; /* its pipe (poll it for POLLIN), or -1 */
	struct ws_dns_reply r; /* the answer */
	size_t got;
};

void ws_dns_init(struct ws_dns *);
/*
 * Look host up (port is numeric). IP literals are answered at once (1);
 * names go to a child process, whose pipe d->fd the caller polls before
 * calling ws_dns_step() (0). -1 with err set on failure.
 */
int ws_dns_start(struct ws_dns *, const char *host, const char *port,
    char *err, size_t errsz);
/* 1 when d->r holds at least one address, 0 not yet, -1 with err. */
int ws_dns_step(struct ws_dns *, char *err, size_t errsz);
/* Kill and reap the child and close the pipe, if any. */
void ws_dns_cancel(struct ws_dns *);

/* A connected stream socket, plain or TLS; non-blocking. */
struct ws_io {
	int fd; /* -1: none */
	SSL *ssl; /* NULL: plain */
	short tls_want; /* POLLIN or POLLOUT during the TLS handshake */
	int read_wants_write; /* SSL_read asked for POLLOUT */
	int write_wants_read; /* SSL_write asked for POLLIN */
};

void ws_io_init(struct ws_io *);
/* Free TLS (sending close_notify if clean) and close the socket. */
void ws_io_close(struct ws_io *, int clean);
/* >0 bytes, 0 end of stream, -1 would block, -2 error. */
ssize_t ws_io_read(struct ws_io *, void *, size_t);
ssize_t ws_io_write(struct ws_io *, const void *, size_t);
/* 1 if OpenSSL holds bytes that poll(2) cannot see. */
int ws_io_pending(const struct ws_io *);
/*
 * Begin TLS on io->fd for host: chain verified against ca_file (NULL:
 * the system store), host name or IP address checked, SNI for names.
 * 0, or -1 with err set.
 */
int ws_tls_start(struct ws_io *, const char *host, const char *ca_file,
    char *err, size_t errsz);
/*
 * Advance the handshake: 1 done and verified; 0 poll for io->tls_want
 * and call again; -1 with err ("tls: hostname mismatch").
 */
int ws_tls_step(struct ws_io *, char *err, size_t errsz);

/*
 * The client context for ca_file (NULL: the system store), made on first
 * use: TLS 1.2 or later, peer verification on. NULL if the trust store
 * cannot be loaded. ws_global_cleanup() frees them.
 */
SSL_CTX *ws_tls_ctx(const char *ca_file);

#endif
