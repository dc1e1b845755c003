/*
 * ws_http.c: the HTTP side of a WebSocket client (see ws.h): URLs and
 * the upgrade response (RFC 6455 §4.1, §4.2.2). Pure functions, so the
 * unit tests reach every check without a socket.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "core.h"
#include "ws.h"

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

static int
host_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '.';
}

/* Decimal port 1..65535 of n digits; 0 or -1. */
static int
port_parse(const char *s, size_t n, char out[6])
{
	size_t i;
	long v = 0;

	if (n == 0 || n > 5)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	if (v < 1 || v > 65535)
		return -1;
	snprintf(out, 6, "%ld", v);
	return 0;
}

int
ws_url_parse(const char *url, struct ws_url *u)
{
	const char *p, *auth, *end, *hend, *frag;
	unsigned char tmp[16];
	size_t i, n, hlen;
	int explicit_port = 0;

	memset(u, 0, sizeof(*u));
	n = strnlen(url, WS_URL_MAX);
	if (n == WS_URL_MAX)
		return -1;
	for (i = 0; i < n; i++)
		if ((unsigned char)url[i] <= 0x20 ||
		    (unsigned char)url[i] >= 0x7f)
			return -1;
	if (strncasecmp(url, "wss://", 6) == 0) {
		u->tls = 1;
		auth = url + 6;
	} else if (strncasecmp(url, "ws://", 5) == 0)
		auth = url + 5;
	else
		return -1;
	end = auth + strcspn(auth, "/?#");
	if (memchr(auth, '@', (size_t)(end - auth)) != NULL)
		return -1;
	if (*auth == '[') {
		if ((hend = memchr(auth, ']', (size_t)(end - auth))) == NULL)
			return -1;
		hlen = (size_t)(hend - auth - 1);
		if (hlen == 0 || hlen >= sizeof(u->host))
			return -1;
		memcpy(u->host, auth + 1, hlen);
		if (inet_pton(AF_INET6, u->host, tmp) != 1)
			return -1;
		p = hend + 1;
		if (p != end && *p != ':')
			return -1;
	} else {
		p = auth;
		while (p < end && *p != ':')
			p++;
		hlen = (size_t)(p - auth);
		if (hlen == 0 || hlen > 253)
			return -1;
		for (i = 0; i < hlen; i++)
			if (!host_char(auth[i]) ||
			    (auth[i] == '.' && (i == 0 || auth[i - 1] == '.')))
				return -1;
		if (auth[0] == '-')
			return -1;
		memcpy(u->host, auth, hlen);
	}
	if (p < end) {
		if (port_parse(p + 1, (size_t)(end - p - 1), u->port) == -1)
			return -1;
		explicit_port = strcmp(u->port, u->tls ? "443" : "80") != 0;
	} else
		snprintf(u->port, sizeof(u->port), "%s", u->tls ? "443" : "80");
	snprintf(u->hostport, sizeof(u->hostport), "%s%s%s%s%s",
	    *auth == '[' ? "[" : "", u->host, *auth == '[' ? "]" : "",
	    explicit_port ? ":" : "", explicit_port ? u->port : "");
	frag = strchr(end, '#');
	n = frag != NULL ? (size_t)(frag - end) : strlen(end);
	if (*end == '/')
		snprintf(u->path, sizeof(u->path), "%.*s", (int)n, end);
	else
		snprintf(u->path, sizeof(u->path), "/%.*s", (int)n, end);
	return 0;
}

void
ws_accept_value(const char *key, char out[29])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *c;
	char *b64;

	if ((c = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(c, EVP_sha1(), NULL) != 1 ||
	    EVP_DigestUpdate(c, key, strlen(key)) != 1 ||
	    EVP_DigestUpdate(c, WS_GUID, strlen(WS_GUID)) != 1 ||
	    EVP_DigestFinal_ex(c, md, &mdlen) != 1 || mdlen != 20)
		abort();
	EVP_MD_CTX_free(c);
	b64 = base64_encode_alloc(md, 20);
	snprintf(out, 29, "%s", b64);
	free(b64);
}

/* Copy the printable ASCII of s[0..n) into err after "handshake: ". */
static void
status_error(const char *s, size_t n, char *err, size_t errsz)
{
	char line[128];
	size_t i, j = 0;

	for (i = 0; i < n && j < sizeof(line) - 1; i++)
		line[j++] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	line[j] = '\0';
	snprintf(err, errsz, "handshake: %s", line);
}

/* Does the comma-separated list v[0..n) hold token (any case)? */
static int
has_token(const char *v, size_t n, const char *token)
{
	size_t i = 0, s, e, tl = strlen(token);

	while (i < n) {
		while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		s = i;
		while (i < n && v[i] != ',')
			i++;
		e = i;
		while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t'))
			e--;
		if (e - s == tl && strncasecmp(v + s, token, tl) == 0)
			return 1;
	}
	return 0;
}

int
ws_handshake_check(const char *buf, size_t len, const char *key,
    size_t *hdrlen, char *err, size_t errsz)
{
	const char *end, *line, *eol, *colon, *v;
	char expect[29];
	size_t n, vlen, nlen;
	int upgrade = 0, connection = 0, accept = 0;

	if ((end = memmem(buf, len, "\r\n\r\n", 4)) == NULL) {
		if (len >= WS_HEADER_MAX) {
			snprintf(err, errsz, "handshake: response header "
			    "too long");
			return -1;
		}
		return 0;
	}
	n = (size_t)(end - buf) + 4;
	if (n > WS_HEADER_MAX) {
		snprintf(err, errsz, "handshake: response header too long");
		return -1;
	}
	if (memchr(buf, '\0', n) != NULL) {
		snprintf(err, errsz, "handshake: NUL byte in the response");
		return -1;
	}
	eol = memmem(buf, n, "\r\n", 2);
	if ((size_t)(eol - buf) < 12 || memcmp(buf, "HTTP/1.", 7) != 0 ||
	    buf[8] != ' ') {
		status_error(buf, (size_t)(eol - buf), err, errsz);
		return -1;
	}
	if (memcmp(buf + 9, "101", 3) != 0 ||
	    ((size_t)(eol - buf) > 12 && buf[12] != ' ')) {
		status_error(buf, (size_t)(eol - buf), err, errsz);
		return -1;
	}
	ws_accept_value(key, expect);
	for (line = eol + 2; line < end + 2; line = eol + 2) {
		eol = memmem(line, (size_t)(end + 2 - line), "\r\n", 2);
		if (line[0] == ' ' || line[0] == '\t' ||
		    (colon = memchr(line, ':', (size_t)(eol - line))) == NULL ||
		    colon == line) {
			snprintf(err, errsz, "handshake: malformed header "
			    "line");
			return -1;
		}
		nlen = (size_t)(colon - line);
		v = colon + 1;
		while (v < eol && (*v == ' ' || *v == '\t'))
			v++;
		vlen = (size_t)(eol - v);
		while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
			vlen--;
#define IS(h) (nlen == strlen(h) && strncasecmp(line, h, nlen) == 0)
		if (IS("Upgrade"))
			upgrade += vlen == 9 &&
			    strncasecmp(v, "websocket", 9) == 0;
		else if (IS("Connection"))
			connection += has_token(v, vlen, "upgrade");
		else if (IS("Sec-WebSocket-Accept")) {
			if (accept != 0 || vlen != 28 ||
			    memcmp(v, expect, 28) != 0)
				accept = -1;
			else
				accept = 1;
		} else if (IS("Sec-WebSocket-Extensions") ||
		    IS("Sec-WebSocket-Protocol")) {
			snprintf(err, errsz, "handshake: the server chose an "
			    "extension or subprotocol we did not offer");
			return -1;
		}
#undef IS
	}
	if (upgrade == 0) {
		snprintf(err, errsz, "handshake: no \"Upgrade: websocket\"");
		return -1;
	}
	if (connection == 0) {
		snprintf(err, errsz, "handshake: no \"Connection: upgrade\"");
		return -1;
	}
	if (accept != 1) {
		snprintf(err, errsz, "handshake: bad Sec-WebSocket-Accept");
		return -1;
	}
	*hdrlen = n;
	return 1;
}
