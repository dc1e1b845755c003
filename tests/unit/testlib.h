/*
 * testlib.h: what the C unit tests share: running a suite, where the
 * official vectors live (../shared/vectors beside the checkout, or
 * CARAVEL_VECTORS), reading files, and hex helpers. A test whose vector file is absent says SKIP
 * loudly and exits 77, which automake reports as SKIP, never as PASS.
 */
#ifndef CARAVEL_TESTLIB_H
#define CARAVEL_TESTLIB_H

#include <stddef.h>

#include <check.h>
#include <json-c/json.h>

/* Path of a vector file; exits 77 with a SKIP line if it is absent. */
const char *tl_vector_path(const char *name);
/* Whole vector file as JSON (caller puts it); exits 77 if absent. */
struct json_object *tl_vector_json(const char *name);
/* Whole file as a NUL-terminated buffer (caller frees), or NULL. */
char *tl_read_file(const char *path, size_t *len);
/* Decode hex (either case) of exactly n bytes; aborts the test if bad. */
void tl_hex(const char *hex, unsigned char *out, size_t n);
/* A fresh temporary directory (caller removes it with tl_rmdir). */
char *tl_tmpdir(void);
void tl_rmdir(const char *);
struct db;
/* A new database at path, as caravel-admin migrate makes it, or NULL. */
struct db *tl_db_create(const char *path);
/* Run every test of s and free it: EXIT_SUCCESS if none failed. */
int tl_run(Suite *s);

#endif
