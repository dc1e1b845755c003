/*
 * core.h: what every Caravel binary shares and that knows nothing of HTTP:
 * memory (arena, x-allocators), logging, the clock, hex and base64.
 *
 * Ownership rules:
 *  1. Memory a request or a job step allocates comes from its arena and is
 *     never freed one piece at a time; arena_free() releases it all.
 *  2. Objects that outlive a request (configuration, the database handle)
 *     are made in main(), have a *_free(), and are lent as pointers.
 *  3. A function whose result the caller must free says so and is named
 *     *_new or *_alloc.
 */
#ifndef CARAVEL_CORE_H
#define CARAVEL_CORE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define nitems(a) (sizeof(a) / sizeof((a)[0]))

/* arena.c */
struct ablock;
struct arena {
	struct ablock *head; /* newest block first */
};

void *arena_alloc(struct arena *, size_t); /* zeroed; aborts on OOM */
char *arena_strdup(struct arena *, const char *);
char *arena_strndup(struct arena *, const char *, size_t);
char *arena_printf(struct arena *, const char *, ...)
    __attribute__((format(printf, 2, 3)));
void *arena_grow(struct arena *, void *, size_t n, size_t *cap, size_t);
void arena_free(struct arena *); /* frees all; the arena stays usable */
/* Forget everything but keep the newest block: one row at a time in
 * constant memory (db_each). */
void arena_clear(struct arena *);

/* util.c: allocators that abort on OOM, and bounded number parsing */
void *xmalloc(size_t);
void *xcalloc(size_t, size_t);
void *xrealloc(void *, size_t);
char *xstrdup(const char *);
char *xasprintf(const char *, ...) __attribute__((format(printf, 1, 2)));
int parse_int64(const char *, int64_t min, int64_t max, int64_t *out);
int is_utf8(const char *, size_t);
void explicit_zero(void *, size_t);
int ct_equal(const void *, const void *, size_t);
/*
 * An exact positive decimal: units / 10^scale, e.g. "97123.45" is 9712345
 * and 2. At most 12 digits before and 12 after the point, 18 in all (so
 * units fits 64 bits), no sign, no exponent, above zero. 0 or -1.
 */
struct decimal {
	uint64_t units;
	int scale;
};
int decimal_parse(const char *, struct decimal *);

/*
 * slot.c: at most n holders at once across processes: a descriptor that
 * holds slot i of base, or -1 when all n are taken. slot_give (or the
 * process's end, even by a signal) frees it.
 */
int slot_take(const char *base, int n);
void slot_give(int);

/* log.c: one line per event to stderr, "prog: level: message" */
void log_init(const char *prog);
void log_set_debug(int);
void log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));

/*
 * clock.c: the one source of "now" in unix seconds. Tests may pin it with
 * CARAVEL_TEST_NOW (an integer), so expiry rules are testable.
 */
int64_t clock_now(void);
/* Microseconds on the monotonic clock: durations, never dates. */
int64_t clock_mono_us(void);

/* hex.c: lower-case hex; decoding accepts lower case only (NIP-01) */
void hex_encode(const unsigned char *, size_t, char *out); /* 2n + 1 bytes */
int hex_decode(const char *, size_t len, unsigned char *out, size_t outlen);
int is_lower_hex(const char *, size_t len);

/* base64.c: standard alphabet (RFC 4648 §4); decoding accepts no padding */
char *base64_encode_alloc(const unsigned char *, size_t);
int base64_decode(const char *, size_t len, unsigned char *out, size_t outsz,
    size_t *outlen);

#endif
