/*
 * http.c: requests in and responses out, over FastCGI (libfcgi's FCGX_*
 * only) or plain CGI (environment + stdin), and the one table that maps
 * each status to its HTTP code, slug and default sentence (api.md §1).
 */
#include "config.h"

#include <sys/socket.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "fcgi_record.h"
#include "http.h"
#include "json.h"
#include "nwc.h"
#include "crypt.h"
#include "worker.h"

static const struct {
	int code;
	const char *reason;
	const char *slug;
	const char *sentence;
} statuses[ST__MAX] = {
	[ST_OK] = { 200, "OK", "ok", NULL },
	[ST_CREATED] = { 201, "Created", "ok", NULL },
	[ST_NO_CONTENT] = { 204, "No Content", NULL, NULL },
	[ST_BAD_REQUEST] = { 400, "Bad Request", "bad-request",
	    "the request is malformed" },
	[ST_UNAUTHORIZED] = { 401, "Unauthorized", "unauthorized",
	    "a valid NIP-98 Authorization header is required" },
	[ST_FORBIDDEN] = { 403, "Forbidden", "forbidden",
	    "you may not access this resource" },
	[ST_NOT_FOUND] = { 404, "Not Found", "not-found",
	    "no such resource" },
	[ST_METHOD] = { 405, "Method Not Allowed", "method-not-allowed",
	    "this method is not allowed on this resource" },
	[ST_CONFLICT] = { 409, "Conflict", "conflict",
	    "the request conflicts with the current state" },
	[ST_INVOICE_NOT_OPEN] = { 409, "Conflict", "invoice-not-open",
	    "the invoice is not open" },
	[ST_TENANT_REQUIRED] = { 409, "Conflict", "tenant-required",
	    "create your tenant first (POST /tenants)" },
	[ST_TOO_LARGE] = { 413, "Payload Too Large", "payload-too-large",
	    "the request body is too large" },
	[ST_INVALID_SUBDOMAIN] = { 422, "Unprocessable Entity",
	    "invalid-subdomain", "the subdomain is not valid" },
	[ST_SUBDOMAIN_EXISTS] = { 422, "Unprocessable Entity",
	    "subdomain-exists", "the subdomain is already taken" },
	[ST_INVALID_PLAN] = { 422, "Unprocessable Entity", "invalid-plan",
	    "no such plan" },
	[ST_PLAN_FEATURE] = { 422, "Unprocessable Entity",
	    "plan-feature-not-allowed", "the plan does not allow this feature" },
	[ST_MEMBER_LIMIT] = { 422, "Unprocessable Entity",
	    "member-limit-exceeded", "the relay has more members than the plan "
	    "allows" },
	[ST_INVALID_NWC] = { 422, "Unprocessable Entity", "invalid-nwc-url",
	    "the NWC URL is not valid" },
	[ST_INVALID_FIELD] = { 422, "Unprocessable Entity", "invalid-field",
	    "a field is not valid" },
	[ST_STRIPE_ERROR] = { 502, "Bad Gateway", "stripe-error",
	    "the payment provider failed" },
	[ST_ZOOID_ERROR] = { 502, "Bad Gateway", "zooid-error",
	    "the relay server failed" },
	[ST_WALLET_ERROR] = { 502, "Bad Gateway", "wallet-error",
	    "the Lightning wallet failed" },
	[ST_PRICE_ERROR] = { 502, "Bad Gateway", "price-error",
	    "no bitcoin price is available" },
	[ST_NOT_CONFIGURED] = { 503, "Service Unavailable", "not-configured",
	    "this feature is not configured" },
	[ST_WALLET_BUSY] = { 503, "Service Unavailable", "wallet-busy",
	    "the Lightning wallet is busy with other requests; try again in "
	    "a few seconds" },
	[ST_BILLING_BUSY] = { 503, "Service Unavailable", "billing-busy",
	    "billing is busy with other requests; try again in a few "
	    "seconds" },
	[ST_DISK] = { 503, "Service Unavailable", "unavailable",
	    "the server cannot write to its database (its disk is full or "
	    "failing); nothing was changed; try again later" },
	[ST_UNAVAILABLE] = { 503, "Service Unavailable", "unavailable",
	    "the service is busy; try again" },
	[ST_INTERNAL] = { 500, "Internal Server Error", "internal",
	    "internal error" },
};

/* Where a request comes from: a FastCGI request, or CGI's stdio. */
struct io {
	FCGX_Request *fr; /* NULL: plain CGI */
	int cut; /* the response broke off: end the connection, not it */
};

struct list_out {
	struct sbuf b; /* text not sent yet */
	struct io *io;
	struct req *r;
	struct resp *w;
	struct arena scratch; /* list_scratch() */
	size_t n; /* elements so far */
	int sent; /* the head went out: a failure can only cut it short */
};

static const char *
io_env(struct io *io, const char *name)
{
	return io->fr != NULL ? FCGX_GetParam(name, io->fr->envp) :
	    getenv(name);
}

static size_t
io_read(struct io *io, char *buf, size_t n)
{
	size_t got = 0;
	int r;

	while (got < n) {
		if (io->fr != NULL)
			r = FCGX_GetStr(buf + got, (int)(n - got), io->fr->in);
		else
			r = (int)fread(buf + got, 1, n - got, stdin);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	return got;
}

/*
 * A piece longer than libfcgi's stream buffer (sent one write(2) per 8 KiB:
 * eleven for an 85 kB list) goes out as whole records instead, after what
 * the stream holds, so the order stays. A failed write cuts the response.
 */
#define LIBFCGI_BUFFER 8192

static void
io_write(struct io *io, const char *buf, size_t n)
{
	if (io->fr == NULL)
		fwrite(buf, 1, n, stdout);
	else if (io->cut)
		return;
	else if (n <= LIBFCGI_BUFFER)
		FCGX_PutStr(buf, (int)n, io->fr->out);
	else if (FCGX_FFlush(io->fr->out) == -1 ||
	    fcgi_stdout_records(io->fr->ipcFd, io->fr->requestId, buf,
	    n) == -1) {
		log_warnx("the response could not be sent: %s",
		    strerror(errno));
		io->cut = 1;
	}
}

struct db *
app_db(struct app *app)
{
	if (app->db == NULL && app->cfg.dbpath != NULL)
		if ((app->db = db_open(app->cfg.dbpath)) != NULL) {
			(void)db_exec(app->db, STMT_API_CACHE_SIZE);
			db_api_checkpoints(app->db);
			db_queue_writers(app->db);
			/* Beside a database that exists, as the queue's file. */
			app_metrics_open(app);
		}
	return app->db;
}

/* The ECDH behind the key costs more than a request: do it once. */
const struct secretbox *
app_secretbox(struct app *app)
{
	if (app->box == NULL && cfg_isset(&app->cfg, CFG_ENCRYPTION_SECRET)) {
		app->box = xcalloc(1, sizeof(*app->box));
		if (secretbox_init(app->box, cfg_str(&app->cfg,
		    CFG_ENCRYPTION_SECRET)) == -1) {
			free(app->box);
			app->box = NULL;
		}
	}
	return app->box;
}

void
app_release(struct app *app)
{
	if (app->box != NULL) {
		secretbox_release(app->box);
		free(app->box);
		app->box = NULL;
	}
	db_close(app->db);
	app->db = NULL;
	metrics_close(&app->metrics);
	cfg_free(&app->cfg);
}

enum status
resp_fail(struct resp *w, enum status st, const char *message)
{
	w->message = message;
	return st;
}

enum status
resp_field(struct resp *w, enum status st, const char *field,
    const char *message)
{
	w->field = field;
	w->message = message;
	return st;
}

enum status
st_from_db(enum dbrc rc)
{
	switch (rc) {
	case DB_OK:
	case DB_ROW:
	case DB_DONE:
		return ST_OK;
	case DB_NOTFOUND:
		return ST_NOT_FOUND;
	case DB_CONSTRAINT:
		return ST_CONFLICT;
	case DB_BUSY:
		return ST_UNAVAILABLE;
	case DB_DISK:
		return ST_DISK;
	default:
		return ST_INTERNAL;
	}
}

enum status
req_body_object(struct req *r, struct resp *w)
{
	if (r->body_len == 0)
		return resp_fail(w, ST_BAD_REQUEST,
		    "the request body must be a JSON object");
	if ((r->json = json_parse_object(r->body, r->body_len)) == NULL)
		return resp_fail(w, ST_BAD_REQUEST,
		    "the request body is not one valid JSON object");
	return ST_OK;
}

const char *
req_query(struct req *r, const char *name)
{
	const char *p = r->query, *end;
	size_t n = strlen(name);

	while (p != NULL && *p != '\0') {
		end = strchr(p, '&');
		if (strncmp(p, name, n) == 0 && p[n] == '=')
			return arena_strndup(&r->arena, p + n + 1,
			    (end != NULL ? (size_t)(end - p) : strlen(p)) - n - 1);
		p = end != NULL ? end + 1 : NULL;
	}
	return NULL;
}

enum status
req_return_url(struct req *r, struct resp *w, const char **out)
{
	const struct config *c = &r->app->cfg;
	const char *ret = NULL, *q;

	if ((q = req_query(r, "return_url")) != NULL &&
	    ((ret = url_decode(&r->arena, q, strlen(q))) == NULL ||
	    (strncmp(ret, "https://", 8) != 0 &&
	    strncmp(ret, "http://", 7) != 0) || strlen(ret) > 2048 ||
	    strpbrk(ret, " \t\r\n") != NULL))
		return resp_field(w, ST_BAD_REQUEST, "return_url",
		    "return_url must be an http(s) URL");
	if (ret == NULL)
		ret = r->origin != NULL ? r->origin :
		    c->nlist[CFG_ALLOW_ORIGINS] > 0 ?
		    c->list[CFG_ALLOW_ORIGINS][0] : NULL;
	if (ret == NULL)
		return resp_field(w, ST_BAD_REQUEST, "return_url",
		    "return_url is required when the request has no Origin");
	*out = ret;
	return ST_OK;
}

#define PAGE_DEFAULT 100
#define PAGE_MAX 1000

enum status
req_page(struct req *r, struct resp *w, size_t keylen, struct list_filter *f)
{
	const char *q;

	if ((q = req_query(r, "limit")) != NULL &&
	    parse_int64(q, 1, PAGE_MAX, &f->limit) == -1)
		return resp_field(w, ST_BAD_REQUEST, "limit",
		    "limit must be a whole number from 1 to 1000");
	if ((q = req_query(r, "after")) != NULL) {
		if (strlen(q) != keylen || !is_lower_hex(q, keylen))
			return resp_field(w, ST_BAD_REQUEST, "after",
			    arena_printf(&r->arena, "after must be the id of "
			    "the last row of the previous page (%zu lower-case "
			    "hex digits)", keylen));
		f->after = q;
		if (f->limit == 0)
			f->limit = PAGE_DEFAULT;
	}
	return ST_OK;
}

static enum hmethod
method_of(const char *m)
{
	static const char *const names[HM__MAX] = {
		[HM_GET] = "GET", [HM_POST] = "POST", [HM_PUT] = "PUT",
		[HM_OPTIONS] = "OPTIONS", [HM_OTHER] = NULL,
	};
	size_t i;

	for (i = 0; i < HM_OTHER; i++)
		if (strcmp(m, names[i]) == 0)
			return (enum hmethod)i;
	return HM_OTHER;
}

/* Fill r from the CGI/FastCGI variables; the body is read within limit. */
static void
req_read(struct req *r, struct io *io, size_t limit)
{
	const char *v;
	int64_t clen = 0;

	r->method_name = (v = io_env(io, "REQUEST_METHOD")) != NULL ? v : "GET";
	r->method = method_of(r->method_name);
	if ((v = io_env(io, "PATH_INFO")) == NULL || *v == '\0')
		v = io_env(io, "DOCUMENT_URI");
	r->path = v != NULL && *v != '\0' ? v : "/";
	r->query = (v = io_env(io, "QUERY_STRING")) != NULL ? v : "";
	r->origin = io_env(io, "HTTP_ORIGIN");
	r->authorization = io_env(io, "HTTP_AUTHORIZATION");
	r->content_type = io_env(io, "CONTENT_TYPE");
	r->request_uri = io_env(io, "REQUEST_URI");
	r->http_host = io_env(io, "HTTP_HOST");
	r->stripe_signature = io_env(io, "HTTP_STRIPE_SIGNATURE");
	r->https = (v = io_env(io, "HTTPS")) != NULL && strcasecmp(v, "on") == 0;
	if ((v = io_env(io, "CONTENT_LENGTH")) != NULL && *v != '\0' &&
	    parse_int64(v, 0, INT64_MAX, &clen) == -1)
		clen = INT64_MAX;
	if (strcmp(r->path, WEBHOOK_PATH) == 0 && limit < WEBHOOK_MAX_BODY)
		limit = WEBHOOK_MAX_BODY;
	if (clen > (int64_t)limit) {
		r->body_too_large = 1;
		clen = 0;
	}
	r->body = arena_alloc(&r->arena, (size_t)clen + 1);
	r->body_len = io_read(io, r->body, (size_t)clen);
	r->body[r->body_len] = '\0';
}

static void
resp_header(struct io *io, const char *name, const char *value)
{
	io_write(io, name, strlen(name));
	io_write(io, ": ", 2);
	io_write(io, value, strlen(value));
	io_write(io, "\r\n", 2);
}

/* The status line and the headers every answer carries; its HTTP code. */
static int
resp_head(struct io *io, struct req *r, struct resp *w, enum status st)
{
	char line[64];
	int code;

	code = st == ST_OK && w->code != 0 ? w->code : statuses[st].code;
	snprintf(line, sizeof(line), "%d %s", code, statuses[st].reason);
	resp_header(io, "Status", line);
	if (w->cors_origin != NULL) {
		resp_header(io, "Access-Control-Allow-Origin", w->cors_origin);
		resp_header(io, "Vary", "Origin");
	}
	if (r->method == HM_OPTIONS && st == ST_NO_CONTENT) {
		resp_header(io, "Access-Control-Allow-Methods",
		    "GET, POST, PUT, OPTIONS");
		resp_header(io, "Access-Control-Allow-Headers",
		    "Authorization, Content-Type");
		resp_header(io, "Access-Control-Max-Age", "86400");
	}
	if (w->allow != NULL)
		resp_header(io, "Allow", w->allow);
	return code;
}

/*
 * Write the response: {"data", "code"} on success, and on failure the one
 * error body {"error", "code", "field"?} that every error takes.
 */
static void
resp_write(struct io *io, struct req *r, struct resp *w, enum status st)
{
	struct json_object *o = NULL;
	const char *text = "";
	char line[64];
	size_t len = 0;

	if (st >= ST__MAX)
		st = ST_INTERNAL;
	if (resp_head(io, r, w, st) == 204) {
		io_write(io, "\r\n", 2);
		return;
	}
	if ((st == ST_OK || st == ST_CREATED) && w->data_text != NULL) {
		/* {"data":<text>,"code":"ok"}: the same envelope, no json-c. */
		resp_header(io, "Content-Type",
		    "application/json; charset=utf-8");
		resp_header(io, "Cache-Control", "no-store");
		snprintf(line, sizeof(line), "%zu", w->data_len + 22);
		resp_header(io, "Content-Length", line);
		io_write(io, "\r\n{\"data\":", 10);
		io_write(io, w->data_text, w->data_len);
		io_write(io, ",\"code\":\"ok\"}\n", 14);
		return;
	}
	if (st == ST_OK && w->content_type != NULL) {
		resp_header(io, "Content-Type", w->content_type);
		resp_header(io, "Cache-Control", "no-store");
		snprintf(line, sizeof(line), "%zu", w->text_len);
		resp_header(io, "Content-Length", line);
		io_write(io, "\r\n", 2);
		io_write(io, w->text, w->text_len);
		return;
	}
	o = jobj();
	if (st == ST_OK || st == ST_CREATED) {
		jadd(o, "data", w->data);
		w->data = NULL;
		jadd_str(o, "code", "ok");
	} else {
		jadd_str(o, "error", w->message != NULL ? w->message :
		    statuses[st].sentence);
		jadd_str(o, "code", statuses[st].slug);
		if (w->field != NULL)
			jadd_str(o, "field", w->field);
	}
	text = json_text(o, &len);
	resp_header(io, "Content-Type", "application/json; charset=utf-8");
	resp_header(io, "Cache-Control", "no-store");
	snprintf(line, sizeof(line), "%zu", len + 1);
	resp_header(io, "Content-Length", line);
	io_write(io, "\r\n", 2);
	io_write(io, text, len);
	io_write(io, "\n", 1);
	json_object_put(o);
}

/* Send what o holds, after the head if it has not gone out yet. */
static void
list_flush(struct list_out *o)
{
	int first = !o->sent;

	if (first) {
		(void)resp_head(o->io, o->r, o->w, ST_OK);
		resp_header(o->io, "Content-Type",
		    "application/json; charset=utf-8");
		resp_header(o->io, "Cache-Control", "no-store");
		io_write(o->io, "\r\n{\"data\":", 10);
		o->sent = 1;
	}
	io_write(o->io, o->b.p, o->b.len);
	o->b.len = 0;
	if (first)
		worker_point("api-list-sent");
}

struct sbuf *
list_elem(struct list_out *o)
{
	if (o->b.len >= LIST_BUFFER)
		list_flush(o);
	if (o->n++ > 0)
		sbuf_add(&o->b, ",", 1);
	return &o->b;
}

struct arena *
list_scratch(struct list_out *o)
{
	return &o->scratch;
}

enum status
list_done(struct resp *w, enum dbrc rc, const char *no_after)
{
	if (rc == DB_NOTFOUND)
		return resp_field(w, ST_BAD_REQUEST, "after", no_after);
	return rc == DB_OK ? ST_OK : st_from_db(rc);
}

/* Answer w->list (see http.h): whole when it fits, else as it is made. */
static enum status
list_write(struct io *io, struct req *r, struct resp *w)
{
	struct list_out o;
	enum status st;

	memset(&o, 0, sizeof(o));
	o.io = io;
	o.r = r;
	o.w = w;
	/* Room for a flush's worth at once, not a realloc (and copy) per
	 * doubling on the way there. */
	sbuf_grow(&o.b, LIST_BUFFER + LIST_BUFFER / 2);
	sbuf_add(&o.b, "[", 1);
	st = w->list(r, w, &o);
	if (st != ST_OK && o.sent) {
		log_warnx("%s %s: the list failed after part of it was sent; "
		    "the response is cut short", r->method_name, r->path);
		io->cut = 1;
	} else if (st != ST_OK)
		resp_write(io, r, w, st);
	else if (o.sent) {
		sbuf_add(&o.b, "],\"code\":\"ok\"}\n", 15);
		io_write(io, o.b.p, o.b.len);
	} else {
		sbuf_add(&o.b, "]", 1);
		w->data_text = o.b.p;
		w->data_len = o.b.len;
		resp_write(io, r, w, st);
	}
	sbuf_release(&o.b);
	arena_free(&o.scratch);
	return st;
}

/* The row of statuses[] whose HTTP code a response has (metrics). */
static size_t
status_row(enum status st, const struct resp *w)
{
	size_t i;
	int code;

	if (st >= ST__MAX)
		st = ST_INTERNAL;
	code = st == ST_OK && w->code != 0 ? w->code : statuses[st].code;
	for (i = 0; i < ST__MAX; i++)
		if (statuses[i].code == code)
			return i;
	return (size_t)st;
}

void
app_metrics_open(struct app *app)
{
	static char labels[METRICS_ROUTES][METRICS_LABEL];
	const char *routes[METRICS_ROUTES];
	uint16_t codes[ST__MAX];
	size_t i, n = api_nroutes();

	if (app->cfg.dbpath == NULL || app->metrics.shm != NULL)
		return;
	if (n > METRICS_ROUTES - 1)
		n = METRICS_ROUTES - 1;
	for (i = 0; i < n; i++)
		routes[i] = api_route_label(i, labels[i], sizeof(labels[i]));
	for (i = 0; i < ST__MAX; i++)
		codes[i] = (uint16_t)statuses[i].code;
	(void)metrics_open(&app->metrics, app->cfg.dbpath, 1, routes, n, codes,
	    ST__MAX, auth_reasons, auth_nreasons);
}

/* One request, start to finish, with its own arena. */
static void
http_handle(struct app *app, struct io *io)
{
	struct req r;
	struct resp w;
	enum status st;
	int64_t t0 = clock_mono_us();

	memset(&r, 0, sizeof(r));
	memset(&w, 0, sizeof(w));
	r.app = app;
	r.route = api_nroutes();
	req_read(&r, io, (size_t)cfg_int(&app->cfg, CFG_MAX_BODY_SIZE));
	api_dispatch(&r, &w, &st);
	if (st == ST_OK && w.list != NULL)
		st = list_write(io, &r, &w);
	else
		resp_write(io, &r, &w, st);
	/* The counters open with the database; a request that needed none
	 * (a 404, a preflight) opens it here, once per process, but never
	 * tries again a database that is not there. */
	if (app->metrics.shm == NULL && app->db == NULL &&
	    app->cfg.dbpath != NULL && access(app->cfg.dbpath, F_OK) == 0)
		(void)app_db(app);
	metrics_request(&app->metrics, r.route, status_row(st, &w),
	    clock_mono_us() - t0);
	json_object_put(r.json);
	json_object_put(w.data);
	arena_free(&r.arena);
}

int
http_serve_cgi(struct app *app)
{
	struct io io = { NULL, 0 };

	http_handle(app, &io);
	return fflush(stdout) == 0 && !io.cut ? 0 : -1;
}

/*
 * Accept FastCGI requests on listen_fd until max_requests were served
 * (0: no limit), so a child's lifetime, and anything it could leak, is
 * bounded; the parent replaces it.
 */
int
http_serve_fcgi(struct app *app, int listen_fd, long max_requests)
{
	FCGX_Request fr;
	struct io io = { &fr, 0 };
	long served = 0;

	/* A cut response, or nginx gone, fails the write, not the child. */
	signal(SIGPIPE, SIG_IGN);
	if (FCGX_Init() != 0 || FCGX_InitRequest(&fr, listen_fd, 0) != 0) {
		log_warnx("cannot initialise FastCGI");
		return -1;
	}
	while ((max_requests == 0 || served < max_requests) &&
	    FCGX_Accept_r(&fr) >= 0) {
		io.cut = 0;
		http_handle(app, &io);
		/* No FCGI_END_REQUEST after a cut: nginx sees the upstream
		 * close early and ends the client's response unfinished. */
		if (io.cut)
			(void)shutdown(fr.ipcFd, SHUT_RDWR);
		FCGX_Finish_r(&fr);
		served++;
	}
	FCGX_Free(&fr, 1);
	return 0;
}
