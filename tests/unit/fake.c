/* fake.c: see fake.h. */
#include "config.h"

#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core.h"
#include "fake.h"
#include "httpc.h"
#include "json.h"
#include "testlib.h"

/* An executable node from $NODE or PATH, or NULL. */
static const char *
find_node(void)
{
	static char path[4096];
	const char *env, *p, *e;

	if ((env = getenv("NODE")) != NULL && access(env, X_OK) == 0)
		return env;
	for (p = getenv("PATH"); p != NULL && *p != '\0'; p = e + 1) {
		if ((e = strchr(p, ':')) == NULL)
			e = p + strlen(p);
		snprintf(path, sizeof(path), "%.*s/node", (int)(e - p), p);
		if (access(path, X_OK) == 0)
			return path;
		if (*e == '\0')
			break;
	}
	return NULL;
}

void
fake_need_node(const char *package, const char *what)
{
	char path[4096];
	const char *top, *ci = getenv("CI");
	int in_ci = ci != NULL && *ci != '\0' && strcmp(ci, "false") != 0;

	if ((top = getenv("top_srcdir")) == NULL)
		top = ".";
	snprintf(path, sizeof(path), "%s/tests/js/node_modules/%s/package.json",
	    top, package);
	if (find_node() != NULL && access(path, R_OK) == 0)
		return;
	fprintf(stderr, "%s: node or tests/js/node_modules/%s is missing: "
	    "install node >= 20 and run npm ci --prefix tests/js\n",
	    in_ci ? "FAIL" : "SKIP", package);
	if (in_ci)
		exit(1);
	printf("SKIP: %s did NOT run\n", what);
	exit(77);
}

void
fake_init(struct fake *f)
{
	memset(f, 0, sizeof(*f));
	f->pid = -1;
	f->dir = tl_tmpdir();
}

void
fake_start(struct fake *f, const char *script, const char *const *env)
{
	char path[4096], line[128];
	const char *top, *node;
	char *kv, *eq;
	struct pollfd pfd;
	ssize_t n;
	size_t got = 0, i;
	int p[2], port = 0;

	if ((node = find_node()) == NULL) {
		fprintf(stderr, "SKIP: node is not on PATH (or $NODE); the "
		    "fakes need Node 20\n");
		printf("SKIP: node is not on PATH\n");
		exit(77);
	}
	if ((top = getenv("top_srcdir")) == NULL)
		top = ".";
	snprintf(path, sizeof(path), "%s/tests/fakes/%s", top, script);
	if (access(path, R_OK) != 0) {
		fprintf(stderr, "cannot read %s (set top_srcdir)\n", path);
		exit(1);
	}
	if (pipe(p) == -1 || (f->pid = fork()) == -1)
		abort();
	if (f->pid == 0) {
		/* Die with the test even if it crashes before fake_stop(). */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		dup2(p[1], STDOUT_FILENO);
		close(p[0]);
		close(p[1]);
		for (i = 0; env != NULL && env[i] != NULL; i++) {
			kv = xstrdup(env[i]);
			if ((eq = strchr(kv, '=')) == NULL)
				_exit(126);
			*eq = '\0';
			setenv(kv, eq + 1, 1);
		}
		execl(node, "node", path, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	pfd.fd = p[0];
	pfd.events = POLLIN;
	while (got < sizeof(line) - 1 && memchr(line, '\n', got) == NULL) {
		if (poll(&pfd, 1, 15000) != 1 ||
		    (n = read(p[0], line + got, sizeof(line) - 1 - got)) <= 0)
			break;
		got += (size_t)n;
	}
	line[got] = '\0';
	close(p[0]);
	if (sscanf(line, "listening %d", &port) != 1 || port <= 0 ||
	    port > 65535) {
		fprintf(stderr, "fake %s did not start: \"%s\"\n", script,
		    line);
		fake_stop(f);
		exit(1);
	}
	snprintf(f->url, sizeof(f->url), "http://127.0.0.1:%d", port);
}

void
fake_stop(struct fake *f)
{
	if (f->pid > 0) {
		kill(f->pid, SIGTERM);
		waitpid(f->pid, NULL, 0);
		f->pid = -1;
	}
	if (f->dir != NULL) {
		tl_rmdir(f->dir);
		free(f->dir);
		f->dir = NULL;
	}
}

long
fake_call(const struct fake *f, const char *method, const char *path,
    const char *json, struct json_object **reply)
{
	static const char *const hdr[] = {
		"Content-Type: application/json", NULL
	};
	struct httpc_req q;
	struct httpc_resp r;
	char url[512];
	long status;

	if (reply != NULL)
		*reply = NULL;
	snprintf(url, sizeof(url), "%s%s", f->url, path);
	memset(&q, 0, sizeof(q));
	q.method = method;
	q.url = url;
	q.headers = hdr;
	q.body = json;
	q.bodylen = json != NULL ? strlen(json) : 0;
	q.timeout_ms = 20000;
	if (httpc_do(&q, &r) == -1) {
		fprintf(stderr, "fake %s %s failed: %s\n", method, path, r.err);
		abort();
	}
	status = r.status;
	if (reply != NULL)
		*reply = json_parse(r.body, r.len);
	httpc_resp_release(&r);
	return status;
}

void
fake_control(const struct fake *f, const char *json)
{
	if (fake_call(f, "POST", "/__control", json, NULL) != 200) {
		fprintf(stderr, "fake control %s failed\n", json);
		abort();
	}
}

struct json_object *
fake_log_read(const char *path)
{
	struct json_object *arr, *e;
	char *buf, *line, *save = NULL;

	arr = jarr();
	if ((buf = tl_read_file(path, NULL)) == NULL)
		return arr;
	for (line = strtok_r(buf, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if ((e = json_parse_object(line, strlen(line))) == NULL) {
			fprintf(stderr, "%s: a line is not JSON\n", path);
			abort();
		}
		jpush(arr, e);
	}
	free(buf);
	return arr;
}
