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
	const char *once_for; /* --once-for ID, or NULL */
	const char *envfile;
	int64_t started_ms;
};

/*
 * Parse the command line, load the configuration (exit 1 on a bad value
 * or a missing needed one; -n prints it and exits, 1 if it is bad or
 * incomplete), open the database, take the lock (a second run exits 0 at
 * once with a log line). Returns only when the pass should run.
 */
void worker_start(struct worker *, const char *name,
    const struct cfg_need *, size_t nneed, int argc, char **argv);
/*
 * An exclusive flock on <database>.<name>.lock, so overlapping runs
 * cannot both work; the lock dies with the process, even on kill -9.
 * The descriptor, -1 if another process holds it, -2 on error.
 */
int worker_lock_take(const char *dbpath, const char *name);
void worker_finish(struct worker *);
int64_t worker_ms(void);
/*
 * "name: 3 synced, 1 failed, 0 skipped in 0.41s" to stderr. Returns 1 if the disk refused a write
 * during the pass (what was not recorded is done again next pass), else 0:
 * the worker exits 1 then, so cron reports it.
 */
int worker_summary(const struct worker *, const char *counts);
/*
 * A named point in a pass. When CARAVEL_STOP_AT names it, the process
 * kills itself with SIGKILL there (tests of crash safety).
 */
void worker_point(const char *);

#endif
