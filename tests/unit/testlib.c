/* testlib.c: see testlib.h. */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "testlib.h"

const char *
tl_vector_path(const char *name)
{
	static char path[4096];
	const char *dir;

	if ((dir = getenv("CARAVEL_VECTORS")) == NULL)
		dir = VECTORS_DIR;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (access(path, R_OK) != 0) {
		fprintf(stderr, "SKIP: vector file %s is absent "
		    "(set CARAVEL_VECTORS to the shared/vectors folder)\n",
		    path);
		printf("SKIP: vector file %s is absent\n", name);
		exit(77);
	}
	return path;
}

char *
tl_read_file(const char *path, size_t *len)
{
	FILE *f;
	char *buf = NULL;
	size_t cap = 0, n = 0, r;

	if ((f = fopen(path, "rb")) == NULL)
		return NULL;
	for (;;) {
		if (cap - n < 4096) {
			char *nb;

			cap = cap * 2 + 8192;
			if ((nb = realloc(buf, cap)) == NULL)
				abort();
			buf = nb;
		}
		if ((r = fread(buf + n, 1, cap - n - 1, f)) == 0)
			break;
		n += r;
	}
	fclose(f);
	buf[n] = '\0';
	if (len != NULL)
		*len = n;
	return buf;
}

struct json_object *
tl_vector_json(const char *name)
{
	const char *path = tl_vector_path(name);
	struct json_object *o;

	if ((o = json_object_from_file(path)) == NULL) {
		fprintf(stderr, "cannot parse %s\n", path);
		abort();
	}
	printf("vectors: %s\n", name);
	return o;
}

void
tl_hex(const char *hex, unsigned char *out, size_t n)
{
	size_t i;
	unsigned int v;

	if (strlen(hex) != 2 * n) {
		fprintf(stderr, "bad hex length in test data: %s\n", hex);
		abort();
	}
	for (i = 0; i < n; i++) {
		if (!isxdigit((unsigned char)hex[2 * i]) ||
		    !isxdigit((unsigned char)hex[2 * i + 1]) ||
		    sscanf(hex + 2 * i, "%2x", &v) != 1)
			abort();
		out[i] = (unsigned char)v;
	}
}

char *
tl_tmpdir(void)
{
	char tmpl[] = "/tmp/caravel-test.XXXXXX";
	char *d;

	if ((d = mkdtemp(tmpl)) == NULL)
		abort();
	return strdup(d);
}

void
tl_rmdir(const char *dir)
{
	char cmd[4200];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

struct db *
tl_db_create(const char *path)
{
	char *backup;
	struct db *db = db_open_migrate(path, &backup);

	free(backup);
	return db;
}

int
tl_run(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
