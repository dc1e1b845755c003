/*
 * metrics.h: the API's request counters, shared by all its processes
 * through one mapped file beside the database ("<db>.metrics"), and the
 * Prometheus text exposition (https://prometheus.io/docs/instrumenting/
 * exposition_formats/) of them and of what the database knows (each
 * worker's last pass, queues). GET /metrics and caravel-admin metrics
 * print the same text. No knowledge of HTTP requests here: the API names
 * its routes and statuses when it opens the file.
 */
#ifndef CARAVEL_METRICS_H
#define CARAVEL_METRICS_H

#include <stdint.h>
#include <stdio.h>

struct db;

#define METRICS_ROUTES 40 /* the API's routes, then "other" */
#define METRICS_STATUSES 32 /* its statuses, by index */
#define METRICS_LABEL 48
#define METRICS_AUTH 16 /* authentication failure reasons */
#define METRICS_BUCKETS 12 /* latency: see metrics_bucket_le */

/* The file's layout; counters only grow, and are added to atomically. */
struct metrics_shm {
	uint64_t magic; /* METRICS_MAGIC: layout and version */
	uint32_t nroutes, nstatuses, nauth;
	char route[METRICS_ROUTES][METRICS_LABEL]; /* "GET /relays/:id" */
	uint16_t status_code[METRICS_STATUSES]; /* HTTP code of each */
	char auth[METRICS_AUTH][METRICS_LABEL]; /* reason labels */
	uint64_t requests[METRICS_ROUTES][METRICS_STATUSES];
	uint64_t bucket[METRICS_ROUTES][METRICS_BUCKETS]; /* not cumulative */
	uint64_t seconds_us[METRICS_ROUTES]; /* sum of latencies */
	uint64_t auth_failures[METRICS_AUTH];
};

struct metrics {
	struct metrics_shm *shm; /* NULL: not counting */
};

/* Upper bounds of the latency buckets, in microseconds (then +Inf). */
extern const int64_t metrics_bucket_le[METRICS_BUCKETS - 1];

/*
 * Map "<dbpath>.metrics" (created, mode 0660, with create). With create,
 * the labels are (re)written from the given tables; without it the file
 * must exist. 0, or -1 after logging (m->shm stays NULL: nothing counts).
 */
int metrics_open(struct metrics *, const char *dbpath, int create,
    const char *const *routes, size_t nroutes, const uint16_t *codes,
    size_t nstatuses, const char *const *auth, size_t nauth);
void metrics_close(struct metrics *);
/* One request: its route (nroutes: none matched), status and latency. */
void metrics_request(struct metrics *, size_t route, size_t status,
    int64_t us);
void metrics_auth_failure(struct metrics *, size_t reason);
/*
 * The exposition: the counters (if m has them), then from the database
 * each worker's last pass and the queues. 0, or -1 if the database
 * could not be read.
 */
int metrics_render(FILE *, const struct metrics *, struct db *, int64_t now);

#endif
