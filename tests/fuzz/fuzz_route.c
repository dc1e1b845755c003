/*
 * fuzz_route.c: libFuzzer harness for api_dispatch(): CORS, the route
 * matcher, each route's rule and the handlers behind public routes, as a
 * request from nginx would reach them (without main.c and FastCGI). The
 * first input byte is flags; the rest is split at NUL bytes into path,
 * query, Origin, Authorization and Content-Type (a field that is not
 * there is unset), and what follows the fifth NUL is the body:
 *
 *	bits 0-2  the method: GET, POST, PUT, OPTIONS, DELETE, HEAD, PATCH,
 *	          or "get" (methods are case-sensitive, RFC 9110 §9.1);
 *	bit 3     the configuration with ALLOW_ORIGINS set (else empty);
 *	bit 4     the body was over MAX_BODY_SIZE.
 *
 * The configuration comes from an env file through cfg_load(), and the
 * database is a temporary SQLite file made and migrated once. Outgoing
 * HTTP, should a handler try it, goes to a closed loopback port. Checks:
 * no crash, a status below ST__MAX, and the response fields api.c
 * promises for it (Allow with 405, CORS echoing only the request's
 * Origin).
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http.h"
#include "json.h"

#define NFIELDS 5 /* before the body */

int LLVMFuzzerInitialize(int *, char ***);
int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct app apps[2];
static char dir[512];

static void
fail(const char *what)
{
	fprintf(stderr, "fuzz_route: invariant broken: %s\n", what);
	abort();
}

static void
path_in(char *buf, size_t n, const char *name)
{
	if ((size_t)snprintf(buf, n, "%s/%s", dir, name) >= n)
		fail("the temporary directory name is too long");
}

static void
cleanup(void)
{
	static const char *const files[] = {
		"caravel.db", "caravel.db-wal", "caravel.db-shm",
		"env0", "env1"
	};
	char p[600];
	size_t i;

	for (i = 0; i < nitems(apps); i++) {
		db_close(apps[i].db);
		apps[i].db = NULL;
		cfg_free(&apps[i].cfg);
	}
	for (i = 0; i < nitems(files); i++) {
		path_in(p, sizeof(p), files[i]);
		(void)unlink(p);
	}
	(void)rmdir(dir);
}

/* Settings for app i; secrets are fixed test values, never real ones. */
static void
load_app(size_t i)
{
	char env[600], db[600], err[2048];
	FILE *f;

	path_in(env, sizeof(env), i == 0 ? "env0" : "env1");
	path_in(db, sizeof(db), "caravel.db");
	if ((f = fopen(env, "w")) == NULL)
		fail("cannot write the env file");
	fprintf(f, "DATABASE_URL=sqlite://%s\n", db);
	fputs("HOST=127.0.0.1\n"
	    "RELAY_DOMAIN=caravel.example\n"
	    "RESERVED_SUBDOMAINS=www,api,admin\n"
	    "ENCRYPTION_SECRET="
	    "7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f7f\n"
	    "ROBOT_SECRET="
	    "3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c3c\n"
	    "STRIPE_API_URL=http://127.0.0.1:9\n"
	    "ZOOID_API_URL=http://127.0.0.1:9\n"
	    "BTC_PRICE_URL=http://127.0.0.1:9\n"
	    "BTC_PRICE_USD_OVERRIDE=100000\n"
	    "HTTP_TIMEOUT=1\n", f);
	if (i == 1)
		fputs("ALLOW_ORIGINS=https://caravel.example,"
		    "https://app.caravel.example\n", f);
	if (fclose(f) != 0)
		fail("cannot write the env file");
	if (cfg_load(&apps[i].cfg, env, err, sizeof(err)) != 0) {
		fprintf(stderr, "fuzz_route: cfg_load:\n%s", err);
		fail("the test configuration does not load");
	}
	/* As caravel-admin migrate would make it; the API only opens it. */
	if (i == 0) {
		char *backup;
		struct db *made = db_open_migrate(apps[i].cfg.dbpath, &backup);

		if (made == NULL)
			fail("the test database cannot be made");
		free(backup);
		db_close(made);
	}
	if (app_db(&apps[i]) == NULL)
		fail("the test database does not open");
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp;
	int k;

	(void)argc;
	(void)argv;
	/* Only the env file counts: settings of the caller must not leak. */
	for (k = 0; k < CFG__MAX; k++)
		(void)unsetenv(cfg_name((enum cfgkey)k));
	if ((tmp = getenv("TMPDIR")) == NULL || *tmp == '\0')
		tmp = "/tmp";
	if ((size_t)snprintf(dir, sizeof(dir), "%s/fuzz_route.XXXXXX", tmp) >=
	    sizeof(dir) || mkdtemp(dir) == NULL)
		fail("cannot make a temporary directory");
	if (atexit(cleanup) != 0)
		fail("atexit failed");
	log_init("fuzz_route");
	load_app(0);
	load_app(1);
	return 0;
}

/*
 * The field at *off of data[0..size), up to a NUL or the end, or NULL when
 * the input ended before it; *off moves past the NUL.
 */
static const char *
field(struct arena *a, const uint8_t *data, size_t size, size_t *off)
{
	const uint8_t *nul;
	size_t n;

	if (*off > size)
		return NULL;
	n = (nul = memchr(data + *off, '\0', size - *off)) == NULL ?
	    size - *off : (size_t)(nul - (data + *off));
	*off += n + 1;
	return arena_strndup(a, (const char *)data + *off - n - 1, n);
}

static void
check_query(struct req *r, const char *name)
{
	const char *v;

	if ((v = req_query(r, name)) != NULL && strchr(v, '&') != NULL)
		fail("a query value runs into the next parameter");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const methods[8] = {
		"GET", "POST", "PUT", "OPTIONS", "DELETE", "HEAD", "PATCH", "get"
	};
	const char *f[NFIELDS];
	struct req r;
	struct resp w;
	enum status st = ST__MAX;
	size_t i, len, off;
	unsigned int flags;

	if (size == 0)
		return 0;
	flags = data[0];
	memset(&r, 0, sizeof(r));
	memset(&w, 0, sizeof(w));
	r.app = &apps[(flags >> 3) & 1];
	r.method_name = methods[flags & 7];
	r.method = (flags & 7) < HM_OTHER ? (enum hmethod)(flags & 7) :
	    HM_OTHER;
	off = 1;
	for (i = 0; i < NFIELDS; i++)
		f[i] = field(&r.arena, data, size, &off);
	r.path = f[0] != NULL && *f[0] != '\0' ? f[0] : "/";
	r.query = f[1] != NULL ? f[1] : "";
	r.origin = f[2];
	r.authorization = f[3];
	r.content_type = f[4];
	/* The body is the rest of the input, NUL bytes and all. */
	r.body_len = off < size ? size - off : 0;
	r.body = arena_alloc(&r.arena, r.body_len + 1);
	if (r.body_len > 0)
		memcpy(r.body, data + off, r.body_len);
	r.body_too_large = (flags & 16) != 0;

	api_dispatch(&r, &w, &st);

	if ((int)st < 0 || st >= ST__MAX)
		fail("api_dispatch set no status, or one out of range");
	if (st == ST_METHOD && w.allow == NULL)
		fail("405 without an Allow header");
	if (w.cors_origin != NULL && (r.origin == NULL ||
	    strcmp(w.cors_origin, r.origin) != 0))
		fail("CORS echoes an origin the request did not send");
	if (r.nparam > REQ_MAX_PARAMS)
		fail("more path parameters than there is room for");
	if (w.data != NULL)
		(void)json_text(w.data, &len);
	check_query(&r, "limit");
	check_query(&r, "");
	json_object_put(r.json);
	json_object_put(w.data);
	arena_free(&r.arena);
	return 0;
}
