/* httpc.c: see httpc.h. */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "core.h"
#include "httpc.h"

#ifdef PACKAGE_VERSION
#define USER_AGENT "caravel/" PACKAGE_VERSION
#else
#define USER_AGENT "caravel"
#endif

/* What the libcurl callbacks of one call write into. */
struct sink {
	const struct httpc_req *req;
	struct httpc_resp *resp;
	size_t max; /* body cap */
	size_t cap; /* bytes allocated for resp->body */
	int toobig;
};

/*
 * Connections, DNS answers and TLS sessions are shared by the calls of a
 * process, so a worker pass that talks to zooid 1,000 times opens one
 * connection, not 1,000 (and one TLS handshake against a remote zooid).
 */
static CURLSH *share;

int
httpc_global_init(void)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return -1;
	if (share == NULL && (share = curl_share_init()) != NULL &&
	    (curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT) !=
	    CURLSHE_OK ||
	    curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) !=
	    CURLSHE_OK ||
	    curl_share_setopt(share, CURLSHOPT_SHARE,
	    CURL_LOCK_DATA_SSL_SESSION) != CURLSHE_OK)) {
		curl_share_cleanup(share);
		share = NULL;
	}
	return 0;
}

void
httpc_global_cleanup(void)
{
	if (share != NULL)
		curl_share_cleanup(share);
	share = NULL;
	curl_global_cleanup();
}

static size_t
sink_body(char *p, size_t size, size_t n, void *arg)
{
	struct sink *s = arg;
	struct httpc_resp *r = s->resp;
	size_t len = size * n, want;

	if (len > s->max - r->len) {
		s->toobig = 1;
		return 0;
	}
	if (r->len + len + 1 > s->cap) {
		want = s->cap == 0 ? 4096 : s->cap;
		while (want < r->len + len + 1)
			want *= 2;
		if (want > s->max + 1)
			want = s->max + 1;
		r->body = xrealloc(r->body, want);
		s->cap = want;
	}
	memcpy(r->body + r->len, p, len);
	r->len += len;
	r->body[r->len] = '\0';
	return len;
}

static void
capture_clear(struct httpc_resp *r)
{
	size_t i;

	for (i = 0; i < HTTPC_MAX_CAPTURE; i++) {
		free(r->captured[i]);
		r->captured[i] = NULL;
	}
}

/*
 * One header line per call, status lines included: a 1xx interim
 * response starts over, so only the final response's headers are kept.
 */
static size_t
sink_header(char *p, size_t size, size_t n, void *arg)
{
	struct sink *s = arg;
	const char *name, *v, *colon;
	size_t len = size * n, nlen, vlen, i;

	if (len >= 5 && memcmp(p, "HTTP/", 5) == 0) {
		capture_clear(s->resp);
		return len;
	}
	if ((colon = memchr(p, ':', len)) == NULL)
		return len;
	nlen = (size_t)(colon - p);
	v = colon + 1;
	vlen = len - nlen - 1;
	while (vlen > 0 && (*v == ' ' || *v == '\t')) {
		v++;
		vlen--;
	}
	while (vlen > 0 && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' ||
	    v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
		vlen--;
	if (vlen > HTTPC_MAX_HEADER || memchr(v, '\0', vlen) != NULL)
		return len;
	for (i = 0; i < HTTPC_MAX_CAPTURE; i++) {
		name = s->req->capture[i];
		if (name == NULL || strlen(name) != nlen ||
		    strncasecmp(name, p, nlen) != 0)
			continue;
		free(s->resp->captured[i]);
		s->resp->captured[i] = xmalloc(vlen + 1);
		memcpy(s->resp->captured[i], v, vlen);
		s->resp->captured[i][vlen] = '\0';
	}
	return len;
}

/* A header line we are asked to send must be one line: no CR, LF or NUL. */
static int
header_ok(const char *h)
{
	return strchr(h, ':') != NULL && strpbrk(h, "\r\n") == NULL;
}

/* Method, host and path only: queries and user info may hold secrets. */
static void
log_call(const struct httpc_req *q, long status, curl_off_t us)
{
	CURLU *u;
	char *host = NULL, *path = NULL;

	if ((u = curl_url()) == NULL)
		return;
	if (curl_url_set(u, CURLUPART_URL, q->url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PATH, &path, 0) == CURLUE_OK)
		log_debug("httpc: %s %s%s -> %ld in %ld ms", q->method, host,
		    path, status, (long)(us / 1000));
	curl_free(host);
	curl_free(path);
	curl_url_cleanup(u);
}

static void
fail(struct httpc_resp *r, enum httpc_fail why, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
fail(struct httpc_resp *r, enum httpc_fail why, const char *fmt, ...)
{
	va_list ap;

	r->fail = why;
	va_start(ap, fmt);
	vsnprintf(r->err, sizeof(r->err), fmt, ap);
	va_end(ap);
}

static int
setup(CURL *h, const struct httpc_req *q, struct curl_slist *hl,
    struct sink *s, char *cerr)
{
	long ct = q->connect_timeout_ms > 0 ? q->connect_timeout_ms :
	    q->timeout_ms;

	if (curl_easy_setopt(h, CURLOPT_URL, q->url) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https") !=
	    CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, q->timeout_ms) !=
	    CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, ct) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE,
	    (curl_off_t)s->max) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, cerr) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_USERAGENT, USER_AGENT) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink_body) !=
	    CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_WRITEDATA, s) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, sink_header) !=
	    CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_HEADERDATA, s) != CURLE_OK)
		return -1;
	if (strcmp(q->method, "GET") == 0 && q->body == NULL)
		return 0;
	if (strcmp(q->method, "POST") == 0) {
		if (curl_easy_setopt(h, CURLOPT_POST, 1L) != CURLE_OK)
			return -1;
	} else if (curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, q->method) !=
	    CURLE_OK)
		return -1;
	if (q->body == NULL && strcmp(q->method, "POST") != 0)
		return 0;
	if (curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
	    (curl_off_t)(q->body == NULL ? 0 : q->bodylen)) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_POSTFIELDS,
	    q->body == NULL ? "" : q->body) != CURLE_OK)
		return -1;
	return 0;
}

/* Sort a failed transfer into enum httpc_fail; cerr is libcurl's detail. */
static void
perform_failed(struct httpc_resp *r, const struct httpc_req *q,
    const struct sink *s, CURLcode rc, const char *cerr)
{
	const char *why = cerr[0] != '\0' ? cerr : curl_easy_strerror(rc);

	if (s->toobig || rc == CURLE_FILESIZE_EXCEEDED)
		fail(r, HTTPC_ETOOBIG, "response body over %zu bytes", s->max);
	else if (rc == CURLE_OPERATION_TIMEDOUT)
		fail(r, HTTPC_ETIMEOUT, "no complete response within %ld ms",
		    q->timeout_ms);
	else if (rc == CURLE_COULDNT_CONNECT ||
	    rc == CURLE_COULDNT_RESOLVE_HOST ||
	    rc == CURLE_COULDNT_RESOLVE_PROXY)
		fail(r, HTTPC_ECONNECT, "%s", why);
	else
		fail(r, HTTPC_EOTHER, "%s", why);
}

int
httpc_do(const struct httpc_req *q, struct httpc_resp *r)
{
	CURL *h = NULL;
	struct curl_slist *hl = NULL, *t;
	struct sink s;
	char cerr[CURL_ERROR_SIZE];
	curl_off_t us = 0;
	CURLcode rc;
	size_t i;
	int ret = -1;

	memset(r, 0, sizeof(*r));
	memset(&s, 0, sizeof(s));
	cerr[0] = '\0';
	s.req = q;
	s.resp = r;
	s.max = q->max_body > 0 ? q->max_body : HTTPC_MAX_BODY;
	if (q->method == NULL || q->url == NULL || q->timeout_ms <= 0 ||
	    strpbrk(q->method, " \r\n") != NULL) {
		fail(r, HTTPC_EOTHER, "bad request parameters");
		return -1;
	}
	/* Without this libcurl may wait a second for "100 Continue". */
	if ((hl = curl_slist_append(NULL, "Expect:")) == NULL) {
		fail(r, HTTPC_EOTHER, "out of memory");
		goto out;
	}
	for (i = 0; q->headers != NULL && q->headers[i] != NULL; i++) {
		if (!header_ok(q->headers[i])) {
			fail(r, HTTPC_EOTHER, "request header %zu is malformed",
			    i);
			goto out;
		}
		if ((t = curl_slist_append(hl, q->headers[i])) == NULL) {
			fail(r, HTTPC_EOTHER, "out of memory");
			goto out;
		}
		hl = t;
	}
	if ((h = curl_easy_init()) == NULL ||
	    setup(h, q, hl, &s, cerr) == -1 || (share != NULL &&
	    curl_easy_setopt(h, CURLOPT_SHARE, share) != CURLE_OK)) {
		fail(r, HTTPC_EOTHER, "libcurl could not be set up");
		goto out;
	}
	rc = curl_easy_perform(h);
	(void)curl_easy_getinfo(h, CURLINFO_TOTAL_TIME_T, &us);
	if (rc == CURLE_OK) {
		(void)curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
		if (r->body == NULL)
			r->body = xstrdup("");
		ret = 0;
	} else
		perform_failed(r, q, &s, rc, cerr);
	log_call(q, r->status, us);
out:
	if (ret == -1) {
		free(r->body);
		r->body = NULL;
		r->len = 0;
		r->status = 0;
		capture_clear(r);
	} else
		r->fail = HTTPC_OK;
	if (h != NULL)
		curl_easy_cleanup(h);
	curl_slist_free_all(hl);
	return ret;
}

void
httpc_resp_release(struct httpc_resp *r)
{
	free(r->body);
	r->body = NULL;
	r->len = 0;
	capture_clear(r);
}

void
form_init(struct form *f)
{
	memset(f, 0, sizeof(*f));
}

static void
form_put(struct form *f, const char *p, size_t n)
{
	size_t want;

	if (f->len + n + 1 > f->cap) {
		want = f->cap == 0 ? 256 : f->cap;
		while (want < f->len + n + 1)
			want *= 2;
		f->buf = xrealloc(f->buf, want);
		f->cap = want;
	}
	memcpy(f->buf + f->len, p, n);
	f->len += n;
	f->buf[f->len] = '\0';
}

static void
form_escape(struct form *f, const char *s)
{
	static const char hexd[] = "0123456789ABCDEF";
	const unsigned char *p;
	char e[3];

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~[]", *p) != NULL) {
			form_put(f, (const char *)p, 1);
			continue;
		}
		e[0] = '%';
		e[1] = hexd[*p >> 4];
		e[2] = hexd[*p & 15];
		form_put(f, e, 3);
	}
}

void
form_add(struct form *f, const char *key, const char *value)
{
	if (f->len > 0)
		form_put(f, "&", 1);
	form_escape(f, key);
	form_put(f, "=", 1);
	form_escape(f, value != NULL ? value : "");
}

void
form_add_encoded(struct form *f, const char *text)
{
	if (f->len > 0 && *text != '\0')
		form_put(f, "&", 1);
	form_put(f, text, strlen(text));
}

const char *
form_body(const struct form *f)
{
	return f->buf != NULL ? f->buf : "";
}

void
form_release(struct form *f)
{
	free(f->buf);
	form_init(f);
}

char *
form_escape_alloc(const char *s)
{
	struct form f;

	form_init(&f);
	form_put(&f, "", 0);
	form_escape(&f, s);
	return f.buf;
}
