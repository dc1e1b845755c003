/* metrics.c: see metrics.h. */
#include "config.h"

#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core.h"
#include "db.h"
#include "metrics.h"

/* "CARAVEL" and the layout's version: a file of another layout is remade. */
#define METRICS_MAGIC 0x4c455641524143ULL
#define METRICS_VERSION 1ULL

const int64_t metrics_bucket_le[METRICS_BUCKETS - 1] = { 1000, 2500, 5000,
	10000, 25000, 50000, 100000, 250000, 500000, 1000000, 2500000 };

static void
label(char dst[METRICS_LABEL], const char *src)
{
	snprintf(dst, METRICS_LABEL, "%s", src);
}

/*
 * The file, at its size: made with O_EXCL by one process, which sizes it
 * at once; the others wait for that, and a file of another layout (an
 * older release) is replaced, never truncated under its readers.
 */
static int
metrics_file(const char *path)
{
	struct stat st;
	int fd, tries;

	for (tries = 0; tries < 200; tries++) {
		fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0660);
		if (fd >= 0) {
			if (ftruncate(fd, (off_t)sizeof(struct metrics_shm)) == 0)
				return fd;
			close(fd);
			return -1;
		}
		if (errno != EEXIST ||
		    ((fd = open(path, O_RDWR | O_CLOEXEC)) == -1 &&
		    errno != ENOENT))
			return -1;
		if (fd == -1)
			continue;
		if (fstat(fd, &st) == 0 &&
		    st.st_size == (off_t)sizeof(struct metrics_shm))
			return fd;
		close(fd);
		if (st.st_size == 0)
			usleep(1000); /* its maker is about to size it */
		else
			(void)unlink(path);
	}
	errno = EAGAIN;
	return -1;
}

int
metrics_open(struct metrics *m, const char *dbpath, int create,
    const char *const *routes, size_t nroutes, const uint16_t *codes,
    size_t nstatuses, const char *const *auth, size_t nauth)
{
	struct metrics_shm *s;
	struct stat st;
	char *path;
	size_t i;
	int fd;

	m->shm = NULL;
	path = xasprintf("%s.metrics", dbpath);
	fd = create ? metrics_file(path) : open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1) {
		if (create || errno != ENOENT)
			log_warn("%s (requests are not counted)", path);
		free(path);
		return -1;
	}
	if (fstat(fd, &st) == -1 || st.st_size != (off_t)sizeof(*s) ||
	    (s = mmap(NULL, sizeof(*s), create ? PROT_READ | PROT_WRITE :
	    PROT_READ, MAP_SHARED, fd, 0)) == MAP_FAILED) {
		log_warnx("%s: not a metrics file of this version", path);
		close(fd);
		free(path);
		return -1;
	}
	close(fd);
	free(path);
	if (create) {
		/* Labels are the running program's (the same in every
		 * process of it); counters stay. */
		s->nroutes = (uint32_t)(nroutes < METRICS_ROUTES ? nroutes :
		    METRICS_ROUTES - 1);
		for (i = 0; i < s->nroutes; i++)
			label(s->route[i], routes[i]);
		label(s->route[s->nroutes], "other");
		s->nstatuses = (uint32_t)(nstatuses < METRICS_STATUSES ?
		    nstatuses : METRICS_STATUSES);
		for (i = 0; i < s->nstatuses; i++)
			s->status_code[i] = codes[i];
		s->nauth = (uint32_t)(nauth < METRICS_AUTH ? nauth :
		    METRICS_AUTH);
		for (i = 0; i < s->nauth; i++)
			label(s->auth[i], auth[i]);
		__atomic_store_n(&s->magic, METRICS_MAGIC ^ METRICS_VERSION,
		    __ATOMIC_RELEASE);
	} else if (__atomic_load_n(&s->magic, __ATOMIC_ACQUIRE) !=
	    (METRICS_MAGIC ^ METRICS_VERSION)) {
		munmap(s, sizeof(*s));
		return -1;
	}
	m->shm = s;
	return 0;
}

void
metrics_close(struct metrics *m)
{
	if (m->shm != NULL)
		munmap(m->shm, sizeof(*m->shm));
	m->shm = NULL;
}

void
metrics_request(struct metrics *m, size_t route, size_t status, int64_t us)
{
	struct metrics_shm *s = m->shm;
	size_t b;

	if (s == NULL || status >= s->nstatuses)
		return;
	if (route > s->nroutes)
		route = s->nroutes;
	for (b = 0; b < METRICS_BUCKETS - 1 && us > metrics_bucket_le[b]; b++)
		;
	__atomic_fetch_add(&s->requests[route][status], 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&s->bucket[route][b], 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&s->seconds_us[route], (uint64_t)(us < 0 ? 0 : us),
	    __ATOMIC_RELAXED);
}

void
metrics_auth_failure(struct metrics *m, size_t reason)
{
	if (m->shm != NULL && reason < m->shm->nauth)
		__atomic_fetch_add(&m->shm->auth_failures[reason], 1,
		    __ATOMIC_RELAXED);
}

static uint64_t
get(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

/* Requests by route and HTTP status (statuses sharing a code summed). */
static void
render_requests(FILE *f, const struct metrics_shm *s)
{
	uint64_t n, sum;
	size_t r, i, j, b;
	int seen;

	fprintf(f, "# HELP caravel_http_requests_total Requests the API "
	    "answered, by route and HTTP status.\n"
	    "# TYPE caravel_http_requests_total counter\n");
	for (r = 0; r <= s->nroutes; r++)
		for (i = 0; i < s->nstatuses; i++) {
			for (seen = 0, j = 0; j < i; j++)
				seen |= s->status_code[j] == s->status_code[i];
			if (seen)
				continue;
			for (n = 0, j = i; j < s->nstatuses; j++)
				if (s->status_code[j] == s->status_code[i])
					n += get(&s->requests[r][j]);
			if (n > 0)
				fprintf(f, "caravel_http_requests_total{route="
				    "\"%s\",status=\"%u\"} %llu\n", s->route[r],
				    (unsigned)s->status_code[i],
				    (unsigned long long)n);
		}
	fprintf(f, "# HELP caravel_http_request_duration_seconds Time from "
	    "the request read to the answer written, by route.\n"
	    "# TYPE caravel_http_request_duration_seconds histogram\n");
	for (r = 0; r <= s->nroutes; r++) {
		for (n = 0, b = 0; b < METRICS_BUCKETS; b++)
			n += get(&s->bucket[r][b]);
		if (n == 0)
			continue;
		for (sum = 0, b = 0; b < METRICS_BUCKETS; b++) {
			sum += get(&s->bucket[r][b]);
			if (b < METRICS_BUCKETS - 1)
				fprintf(f, "caravel_http_request_duration_"
				    "seconds_bucket{route=\"%s\",le=\"%g\"} "
				    "%llu\n", s->route[r],
				    (double)metrics_bucket_le[b] / 1e6,
				    (unsigned long long)sum);
		}
		fprintf(f, "caravel_http_request_duration_seconds_bucket{route="
		    "\"%s\",le=\"+Inf\"} %llu\n", s->route[r],
		    (unsigned long long)sum);
		fprintf(f, "caravel_http_request_duration_seconds_sum{route="
		    "\"%s\"} %.6f\n", s->route[r],
		    (double)get(&s->seconds_us[r]) / 1e6);
		fprintf(f, "caravel_http_request_duration_seconds_count{route="
		    "\"%s\"} %llu\n", s->route[r], (unsigned long long)sum);
	}
	fprintf(f, "# HELP caravel_auth_failures_total NIP-98 checks that "
	    "failed, by reason.\n"
	    "# TYPE caravel_auth_failures_total counter\n");
	for (i = 0; i < s->nauth; i++)
		fprintf(f, "caravel_auth_failures_total{reason=\"%s\"} %llu\n",
		    s->auth[i], (unsigned long long)get(&s->auth_failures[i]));
}

static void
gauge(FILE *f, const char *name, const char *help, int64_t v)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s gauge\n%s %lld\n", name, help, name,
	    name, (long long)v);
}

int
metrics_render(FILE *f, const struct metrics *m, struct db *db, int64_t now)
{
	struct arena a = { NULL };
	struct worker_pass *p;
	struct gauges g;
	size_t i, n;
	int rc = -1;

	if (m != NULL && m->shm != NULL)
		render_requests(f, m->shm);
	if (db_worker_pass_list(db, &a, &p, &n) != DB_OK ||
	    db_gauges(db, &g) != DB_OK)
		goto out;
	fprintf(f, "# HELP caravel_worker_last_pass_timestamp_seconds When "
	    "each worker's last pass started (unix time).\n"
	    "# TYPE caravel_worker_last_pass_timestamp_seconds gauge\n");
	for (i = 0; i < n; i++)
		fprintf(f, "caravel_worker_last_pass_timestamp_seconds{worker="
		    "\"%s\"} %lld\n", p[i].worker, (long long)p[i].started_at);
	fprintf(f, "# HELP caravel_worker_last_pass_duration_seconds How "
	    "long each worker's last pass took.\n"
	    "# TYPE caravel_worker_last_pass_duration_seconds gauge\n");
	for (i = 0; i < n; i++)
		fprintf(f, "caravel_worker_last_pass_duration_seconds{worker="
		    "\"%s\"} %.3f\n", p[i].worker,
		    (double)p[i].duration_ms / 1000);
	fprintf(f, "# HELP caravel_worker_last_pass_ok 1 if each worker's "
	    "last pass ended well, 0 if it needs an operator.\n"
	    "# TYPE caravel_worker_last_pass_ok gauge\n");
	for (i = 0; i < n; i++)
		fprintf(f, "caravel_worker_last_pass_ok{worker=\"%s\"} %d\n",
		    p[i].worker, strcmp(p[i].outcome, "ok") == 0);
	gauge(f, "caravel_tenants", "Tenants.", g.tenants);
	gauge(f, "caravel_tenants_past_due", "Tenants with an unpaid invoice "
	    "past its due date.", g.past_due);
	gauge(f, "caravel_tenants_delinquent", "Tenants whose paid relays are "
	    "suspended for non-payment.", g.delinquent);
	gauge(f, "caravel_relays", "Relays.", g.relays);
	gauge(f, "caravel_relays_unsynced", "Relays with changes zooid has "
	    "not been told yet.", g.unsynced);
	gauge(f, "caravel_relays_sync_failing", "Relays whose last sync with "
	    "zooid failed.", g.failing_sync);
	gauge(f, "caravel_dms_queued", "Robot DMs waiting to be sent.",
	    g.dms_queued);
	gauge(f, "caravel_dms_failed", "Robot DMs given up on.", g.dms_failed);
	gauge(f, "caravel_invoices_open", "Invoices waiting for payment.",
	    g.open_invoices);
	gauge(f, "caravel_invoices_open_cents", "What open invoices still ask, "
	    "in cents.", g.open_amount);
	gauge(f, "caravel_metrics_timestamp_seconds", "When this was made.",
	    now);
	rc = 0;
out:
	arena_free(&a);
	return rc;
}
