/*
 * worker.h: what every cron worker shares (spec/workers.md, common rules):
 * its command line, configuration, an exclusive non-blocking lock beside
 * the database, the one summary line, and named stop points for crash
 * tests.
 */
#ifndef CARAVEL_WORKER_H
#define CARAVEL_WORKER_H

#include <stdint.h>

#include "cfg.h"
#include "db.h"

struct worker {
	const char *name; /* "infra", "billing", "robot" */
	struct config cfg;
	struct db *db;
	int lock_fd;
	int dry_run;
	int check_config;
	int retry_failed;
	int all;
	int verbose; /* -v: debug lines, and the summary of an idle pass */
	const char *once_for; /* --once-for ID, or NULL */
	const char *envfile;
	int64_t started_ms; /* monotonic, for the duration */
	int64_t started_at; /* unix time, for the record */
};

/* What a worker is: its name, needs and options (one row per worker). */
struct worker_def {
	const char *name; /* "infra": the program caravel-infra */
	const struct cfg_need *need; /* settings it cannot run without */
	size_t nneed;
	unsigned options; /* WORKER_* beyond the common ones */
	const char *once_for; /* what --once-for names, for the usage */
};
#define WORKER_RETRY_FAILED 0x1
#define WORKER_ALL 0x2

/*
 * Parse the command line, load the configuration (exit 1 on a bad value
 * or a missing needed one; -n prints it and exits, 1 if it is bad or
 * incomplete), open the database, take the lock (a second run exits 0 at
 * once with a log line). Returns only when the pass should run.
 */
void worker_start(struct worker *, const struct worker_def *, int argc,
    char **argv);
/*
 * An exclusive flock on <database>.<name>.lock, so overlapping runs
 * cannot both work; the lock dies with the process, even on kill -9.
 * The descriptor, -1 if another process holds it, -2 on error.
 */
int worker_lock_take(const char *dbpath, const char *name);
/* The same, waiting up to wait_ms for the other process to let go. */
int worker_lock_wait(const char *dbpath, const char *name, int wait_ms);
void worker_finish(struct worker *);
/*
 * Seconds to wait after the n-th failure in a row (n >= 1): base, doubled
 * per further failure, never more than cap.
 */
int64_t worker_backoff(int64_t base, int64_t cap, int64_t n);
int64_t worker_ms(void);
/*
 * End a pass whose status so far is rc (0: fine): "name: 3 synced, 1
 * failed, 0 skipped in 0.41s" to stderr, unless the pass was idle (did 0:
 * it did and tried nothing) with rc 0 and without -v; the pass recorded
 * in worker_pass for monitoring (not with --dry-run). Returns the exit
 * status: 1 if rc was not 0 or the disk refused a write during the pass
 * (what was not recorded is done again next pass), else 0.
 */
int worker_summary(const struct worker *, int rc, int did,
    const char *counts);
/*
 * A named point in a pass. When CARAVEL_STOP_AT names it, the process
 * kills itself with SIGKILL there (tests of crash safety).
 */
void worker_point(const char *);

#endif
