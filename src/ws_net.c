/* ws_net.c: see ws_net.h. */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <limits.h>
#include <poll.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "core.h"
#include "ws.h"
#include "ws_net.h"

struct tls_ctx {
	char *ca_file; /* NULL: the system store */
	SSL_CTX *ctx;
};

static struct tls_ctx *tls_ctxs;
static size_t ntls_ctxs;

void
ws_dns_init(struct ws_dns *d)
{
	memset(d, 0, sizeof(*d));
	d->pid = -1;
	d->fd = -1;
}

void
ws_dns_cancel(struct ws_dns *d)
{
	if (d->pid > 0) {
		kill(d->pid, SIGKILL);
		waitpid(d->pid, NULL, 0);
		d->pid = -1;
	}
	if (d->fd >= 0) {
		close(d->fd);
		d->fd = -1;
	}
}

/* The resolver child: getaddrinfo(3), one atomic write, exit. */
static void
dns_child(int wfd, const char *host, const char *port)
{
	struct ws_dns_reply r;
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
 * child process that the caller can kill at its deadline.
 */
int
ws_dns_start(struct ws_dns *d, const char *host, const char *port,
    char *err, size_t errsz)
{
	struct addrinfo hints, *res;
	int p[2];

	ws_dns_init(d);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	if (getaddrinfo(host, port, &hints, &res) == 0) {
		if (res->ai_addrlen <= sizeof(d->r.a[0].sa)) {
			d->r.n = 1;
			d->r.a[0].len = res->ai_addrlen;
			memcpy(&d->r.a[0].sa, res->ai_addr, res->ai_addrlen);
		}
		freeaddrinfo(res);
		if (d->r.n == 1)
			return 1;
		snprintf(err, errsz, "dns: address too long");
		return -1;
	}
	if (pipe2(p, O_CLOEXEC) == -1) {
		snprintf(err, errsz, "dns: pipe: %s", strerror(errno));
		return -1;
	}
	if ((d->pid = fork()) == -1) {
		close(p[0]);
		close(p[1]);
		snprintf(err, errsz, "dns: fork: %s", strerror(errno));
		return -1;
	}
	if (d->pid == 0) {
		close(p[0]);
		dns_child(p[1], host, port);
	}
	close(p[1]);
	d->fd = p[0];
	fcntl(d->fd, F_SETFL, O_NONBLOCK);
	return 0;
}

int
ws_dns_step(struct ws_dns *d, char *err, size_t errsz)
{
	char extra;
	ssize_t r;

	for (;;) {
		if (d->got < sizeof(d->r))
			r = read(d->fd, (char *)&d->r + d->got,
			    sizeof(d->r) - d->got);
		else
			r = read(d->fd, &extra, 1);
		if (r > 0 && d->got < sizeof(d->r)) {
			d->got += (size_t)r;
			continue;
		}
		if (r == -1 && (errno == EAGAIN || errno == EINTR))
			return 0;
		break;
	}
	waitpid(d->pid, NULL, 0);
	d->pid = -1;
	close(d->fd);
	d->fd = -1;
	if (r != 0 || d->got != sizeof(d->r))
		snprintf(err, errsz, "dns: the resolver failed");
	else if (d->r.gai == EAI_SYSTEM)
		snprintf(err, errsz, "dns: %s", strerror(d->r.sys));
	else if (d->r.gai != 0)
		snprintf(err, errsz, "dns: %s", gai_strerror(d->r.gai));
	else if (d->r.n <= 0 || d->r.n > WS_MAX_ADDRS)
		snprintf(err, errsz, "dns: no address");
	else
		return 1;
	return -1;
}

SSL_CTX *
ws_tls_ctx(const char *ca_file)
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

void
ws_io_init(struct ws_io *io)
{
	memset(io, 0, sizeof(*io));
	io->fd = -1;
}

void
ws_io_close(struct ws_io *io, int clean)
{
	if (io->ssl != NULL) {
		ERR_clear_error();
		if (clean)
			SSL_shutdown(io->ssl);
		SSL_free(io->ssl);
		io->ssl = NULL;
		ERR_clear_error();
	}
	if (io->fd >= 0) {
		close(io->fd);
		io->fd = -1;
	}
}

ssize_t
ws_io_read(struct ws_io *io, void *buf, size_t len)
{
	ssize_t r;
	int n, e;

	if (io->ssl == NULL) {
		if ((r = recv(io->fd, buf, len, 0)) >= 0)
			return r;
		return errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == EINTR ? -1 : -2;
	}
	ERR_clear_error();
	io->read_wants_write = 0;
	if ((n = SSL_read(io->ssl, buf, len > INT_MAX ? INT_MAX :
	    (int)len)) > 0)
		return n;
	e = SSL_get_error(io->ssl, n);
	ERR_clear_error();
	if (e == SSL_ERROR_WANT_READ)
		return -1;
	if (e == SSL_ERROR_WANT_WRITE) {
		io->read_wants_write = 1;
		return -1;
	}
	return e == SSL_ERROR_ZERO_RETURN ? 0 : -2;
}

/*
 * Plain sockets send with MSG_NOSIGNAL; OpenSSL's write(2) relies on
 * SIGPIPE being ignored (ws.h).
 */
ssize_t
ws_io_write(struct ws_io *io, const void *buf, size_t len)
{
	ssize_t r;
	int n, e;

	if (io->ssl == NULL) {
		if ((r = send(io->fd, buf, len, MSG_NOSIGNAL)) >= 0)
			return r;
		return errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == EINTR ? -1 : -2;
	}
	ERR_clear_error();
	io->write_wants_read = 0;
	if ((n = SSL_write(io->ssl, buf, len > INT_MAX ? INT_MAX :
	    (int)len)) > 0)
		return n;
	e = SSL_get_error(io->ssl, n);
	ERR_clear_error();
	if (e == SSL_ERROR_WANT_WRITE)
		return -1;
	if (e == SSL_ERROR_WANT_READ) {
		io->write_wants_read = 1;
		return -1;
	}
	return -2;
}

int
ws_io_pending(const struct ws_io *io)
{
	return io->ssl != NULL && SSL_has_pending(io->ssl);
}

int
ws_tls_start(struct ws_io *io, const char *host, const char *ca_file,
    char *err, size_t errsz)
{
	unsigned char ip[16];
	SSL_CTX *c;

	if ((c = ws_tls_ctx(ca_file)) == NULL) {
		snprintf(err, errsz, "tls: cannot load the trust store%s%s",
		    ca_file != NULL ? " " : "", ca_file != NULL ? ca_file : "");
		return -1;
	}
	if ((io->ssl = SSL_new(c)) == NULL || SSL_set_fd(io->ssl, io->fd) != 1)
		abort();
	/* SNI carries names only (RFC 6066 §3). */
	if (inet_pton(AF_INET, host, ip) != 1 &&
	    inet_pton(AF_INET6, host, ip) != 1 &&
	    SSL_set_tlsext_host_name(io->ssl, host) != 1) {
		snprintf(err, errsz, "tls: cannot set the server name");
		return -1;
	}
	/* OpenSSL 3 matches an IP literal against the IP SANs here. */
	SSL_set_hostflags(io->ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	if (SSL_set1_host(io->ssl, host) != 1) {
		snprintf(err, errsz, "tls: cannot set the host to verify");
		return -1;
	}
	io->tls_want = POLLOUT;
	return 0;
}

int
ws_tls_step(struct ws_io *io, char *err, size_t errsz)
{
	unsigned long ec;
	long v;
	int r, e;

	ERR_clear_error();
	if ((r = SSL_connect(io->ssl)) == 1) {
		if (SSL_get_verify_result(io->ssl) == X509_V_OK &&
		    SSL_get0_peer_certificate(io->ssl) != NULL)
			return 1;
		snprintf(err, errsz, "tls: certificate not verified");
		return -1;
	}
	e = SSL_get_error(io->ssl, r);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		io->tls_want = e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
		return 0;
	}
	ec = ERR_peek_last_error();
	if ((v = SSL_get_verify_result(io->ssl)) != X509_V_OK)
		snprintf(err, errsz, "tls: %s",
		    X509_verify_cert_error_string(v));
	else if (ec != 0 && ERR_reason_error_string(ec) != NULL)
		snprintf(err, errsz, "tls: %s", ERR_reason_error_string(ec));
	else if (e == SSL_ERROR_SYSCALL && errno != 0)
		snprintf(err, errsz, "tls: %s", strerror(errno));
	else
		snprintf(err, errsz, "tls: connection closed during the "
		    "handshake");
	ERR_clear_error();
	return -1;
}
