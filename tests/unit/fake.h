/*
 * fake.h: run one loopback fake (a Node script in tests/fakes/) for a C
 * unit test. The script must print "listening <port>" on stdout once it
 * serves on 127.0.0.1, accept POST /__control with a JSON object, and may
 * write its request log as JSON lines to a file in the fake's directory.
 * Without node on PATH (or $NODE) the test says SKIP and exits 77.
 */
#ifndef CARAVEL_FAKE_H
#define CARAVEL_FAKE_H

#include <sys/types.h>

#include <json-c/json.h>

struct fake {
	pid_t pid;
	char url[64]; /* "http://127.0.0.1:<port>" */
	char *dir; /* a fresh directory for the fake's files */
};

/*
 * Node and the npm package (from tests/js/node_modules) the fakes need:
 * without them the test says SKIP naming what did not run and exits 77,
 * or fails under CI (CI set and not "false"), where nothing may skip.
 */
void fake_need_node(const char *package, const char *what);
/* Make f->dir; call before building paths inside it. */
void fake_init(struct fake *);
/*
 * Start node $top_srcdir/tests/fakes/<script> with env ("NAME=value"
 * strings, NULL-ended) added to the environment; exits the test on failure.
 */
void fake_start(struct fake *, const char *script, const char *const *env);
/* Stop the fake and remove f->dir. */
void fake_stop(struct fake *);
/*
 * One HTTP call to the fake (json may be NULL): its status, and the JSON
 * it answered in *reply (caller puts it; NULL if not JSON). Aborts if
 * the fake does not answer.
 */
long fake_call(const struct fake *, const char *method, const char *path,
    const char *json, struct json_object **reply);
/* POST /__control with json; aborts the test unless it answers 200. */
void fake_control(const struct fake *, const char *json);
/* Every line of a JSON-lines log as an array (caller puts it). */
struct json_object *fake_log_read(const char *path);

#endif
