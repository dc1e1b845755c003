/*
 * api.c: caravel-api, the FastCGI program nginx talks to. The route table
 * below is the API's table of contents (spec/api.md §5): each row names a
 * method, a path pattern, its handler and who may call it. main() serves
 * FastCGI on a socket it is handed (spawn-fcgi, systemd) or binds itself
 * with pre-forked children, or answers one request as plain CGI.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "http.h"

/*
 * Who may call a route; checked before the handler runs. RULE_UNSET is
 * zero so a row that forgets its rule is caught by tests/unit/test_routes.
 */
enum rule {
	RULE_UNSET,
	RULE_PUBLIC, /* anyone */
	RULE_SIGNER, /* any valid NIP-98 signer */
	RULE_ADMIN, /* a signer listed in ADMINS */
	RULE_TENANT /* the owning tenant, or an admin */
};

struct route {
	enum hmethod method;
	const char *pattern; /* ":name" matches one path segment */
	enum status (*fn)(struct req *, struct resp *);
	enum rule rule;
};

/* Sorted by path. */
static const struct route routes[] = {
	{ HM_GET, "/health", health_get, RULE_PUBLIC },
	{ HM_GET, "/plans", plans_list, RULE_PUBLIC },
	{ HM_GET, "/plans/:id", plans_get, RULE_PUBLIC },
};

static const char *const method_names[HM__MAX] = {
	[HM_GET] = "GET", [HM_POST] = "POST", [HM_PUT] = "PUT",
	[HM_OPTIONS] = "OPTIONS", [HM_OTHER] = "?",
};

/*
 * Does path match pattern? Captured ":name" segments go to r->param in
 * order. Segments are compared whole; an empty segment never matches.
 */
static int
route_match(const char *pattern, const char *path, struct req *r)
{
	const char *p = pattern, *s = path, *pe, *se;
	size_t n = 0;

	while (*p == '/' && *s == '/') {
		p++;
		s++;
		pe = p + strcspn(p, "/");
		se = s + strcspn(s, "/");
		if (se == s)
			return 0;
		if (*p == ':') {
			if (n == REQ_MAX_PARAMS)
				return 0;
			if (r != NULL)
				r->param[n] = arena_strndup(&r->arena, s,
				    (size_t)(se - s));
			n++;
		} else if (pe - p != se - s || strncmp(p, s, (size_t)(pe - p)))
			return 0;
		p = pe;
		s = se;
	}
	if (*p != '\0' || *s != '\0')
		return 0;
	if (r != NULL)
		r->nparam = n;
	return 1;
}

/*
 * The row for r, or NULL with *st set to ST_NOT_FOUND, or ST_METHOD and
 * w->allow listing the methods the path does accept.
 */
static const struct route *
route_find(struct req *r, struct resp *w, enum status *st)
{
	const char *allow = NULL;
	size_t i;

	for (i = 0; i < nitems(routes); i++) {
		if (!route_match(routes[i].pattern, r->path, NULL))
			continue;
		if (routes[i].method == r->method) {
			route_match(routes[i].pattern, r->path, r);
			return &routes[i];
		}
		allow = allow == NULL ? method_names[routes[i].method] :
		    arena_printf(&r->arena, "%s, %s", allow,
		    method_names[routes[i].method]);
	}
	if (allow != NULL) {
		w->allow = arena_printf(&r->arena, "%s, OPTIONS", allow);
		*st = ST_METHOD;
	} else
		*st = ST_NOT_FOUND;
	return NULL;
}

/*
 * CORS (api.md §2): with ALLOW_ORIGINS empty every origin is allowed;
 * otherwise the Origin must be listed. Returns 0 when allowed.
 */
static int
cors_check(struct req *r, struct resp *w)
{
	const struct config *c = &r->app->cfg;
	size_t i;

	if (r->origin == NULL)
		return 0;
	if (c->nlist[CFG_ALLOW_ORIGINS] == 0) {
		w->cors_origin = r->origin;
		return 0;
	}
	for (i = 0; i < c->nlist[CFG_ALLOW_ORIGINS]; i++)
		if (strcmp(c->list[CFG_ALLOW_ORIGINS][i], r->origin) == 0) {
			w->cors_origin = r->origin;
			return 0;
		}
	return -1;
}

/* Enforce the route's rule; authentication arrives with NIP-98. */
static enum status
route_check(const struct route *rt, struct resp *w)
{
	switch (rt->rule) {
	case RULE_PUBLIC:
		return ST_OK;
	default:
		return resp_fail(w, ST_UNAUTHORIZED,
		    "this route requires a NIP-98 Authorization header");
	}
}

void
api_dispatch(struct req *r, struct resp *w, enum status *st)
{
	const struct route *rt;

	if (cors_check(r, w) == -1) {
		*st = resp_fail(w, ST_FORBIDDEN,
		    "requests from this origin are not allowed");
		return;
	}
	if (r->method == HM_OPTIONS) {
		*st = ST_NO_CONTENT;
		return;
	}
	if (r->body_too_large) {
		*st = ST_TOO_LARGE;
		return;
	}
	if ((rt = route_find(r, w, st)) == NULL)
		return;
	if ((*st = route_check(rt, w)) != ST_OK)
		return;
	*st = rt->fn(r, w);
}

static volatile sig_atomic_t stopping;

static void
on_stop(int sig)
{
	(void)sig;
	stopping = 1;
}

/*
 * Keep nchild children serving listen_fd; each exits after max_requests
 * and is replaced. SIGTERM or SIGINT stops the children, then the parent.
 */
static int
prefork(struct app *app, int listen_fd, int nchild, long max_requests)
{
	struct sigaction sa;
	pid_t *kids, pid;
	int i, alive = 0, status;

	kids = xcalloc((size_t)nchild, sizeof(*kids));
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	while (!stopping) {
		for (i = 0; i < nchild && !stopping; i++) {
			if (kids[i] != 0)
				continue;
			if ((pid = fork()) == -1) {
				log_warn("fork");
				sleep(1);
				continue;
			}
			if (pid == 0) {
				signal(SIGTERM, SIG_DFL);
				signal(SIGINT, SIG_DFL);
				free(kids);
				_exit(http_serve_fcgi(app, listen_fd,
				    max_requests) == 0 ? 0 : 1);
			}
			kids[i] = pid;
			alive++;
		}
		if ((pid = waitpid(-1, &status, 0)) == -1) {
			if (errno != EINTR)
				break;
			continue;
		}
		for (i = 0; i < nchild; i++)
			if (kids[i] == pid) {
				kids[i] = 0;
				alive--;
			}
	}
	for (i = 0; i < nchild; i++)
		if (kids[i] != 0)
			kill(kids[i], SIGTERM);
	while (alive > 0 && wait(NULL) > 0)
		alive--;
	free(kids);
	return 0;
}

static void
usage(void)
{
	fprintf(stderr, "usage: caravel-api [--env-file FILE] [-n] "
	    "[-s SOCKET [--socket-mode MODE]] [-c CHILDREN] "
	    "[-m MAX_REQUESTS]\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "env-file", required_argument, NULL, 'f' },
		{ "check-config", no_argument, NULL, 'n' },
		{ "socket", required_argument, NULL, 's' },
		{ "socket-mode", required_argument, NULL, 'M' },
		{ "children", required_argument, NULL, 'c' },
		{ "max-requests", required_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 },
	};
	struct app app;
	char errbuf[4096];
	const char *envfile = NULL, *sockpath = NULL;
	int64_t nchild = 0, maxreq = 10000, mode = 0660;
	int ch, check = 0, fd, rc;

	log_init("caravel-api");
	while ((ch = getopt_long(argc, argv, "f:ns:c:m:", opts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			envfile = optarg;
			break;
		case 'n':
			check = 1;
			break;
		case 's':
			sockpath = optarg;
			break;
		case 'M':
			if ((mode = strtol(optarg, NULL, 8)) <= 0 || mode > 0777)
				usage();
			break;
		case 'c':
			if (parse_int64(optarg, 1, 256, &nchild) == -1)
				usage();
			break;
		case 'm':
			if (parse_int64(optarg, 0, INT32_MAX, &maxreq) == -1)
				usage();
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();

	memset(&app, 0, sizeof(app));
	if (cfg_load(&app.cfg, envfile, errbuf, sizeof(errbuf)) == -1) {
		fprintf(stderr, "caravel-api: bad configuration:\n%s", errbuf);
		cfg_free(&app.cfg);
		return 1;
	}
	if (check) {
		cfg_print(&app.cfg, stdout);
		cfg_free(&app.cfg);
		return 0;
	}

	if (sockpath != NULL) {
		(void)unlink(sockpath);
		if ((fd = FCGX_OpenSocket(sockpath, 128)) < 0) {
			log_warn("%s: cannot listen", sockpath);
			cfg_free(&app.cfg);
			return 1;
		}
		if (chmod(sockpath, (mode_t)mode) == -1)
			log_warn("%s: chmod", sockpath);
		rc = prefork(&app, fd, nchild > 0 ? (int)nchild : 2, maxreq);
		(void)unlink(sockpath);
	} else if (FCGX_IsCGI())
		rc = http_serve_cgi(&app);
	else if (nchild > 0)
		rc = prefork(&app, 0, (int)nchild, maxreq);
	else
		rc = http_serve_fcgi(&app, 0, 0);
	db_close(app.db);
	cfg_free(&app.cfg);
	return rc == 0 ? 0 : 1;
}
