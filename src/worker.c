/* worker.c: see worker.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "core.h"
#include "worker.h"

int64_t
worker_ms(void)
{
	return clock_mono_us() / 1000;
}

/* --help: to stdout, exit 0; a wrong command line: to stderr, exit 2. */
static void
worker_usage(const struct worker_def *d, int help)
{
	fprintf(help ? stdout : stderr, "usage: caravel-%s [--env-file FILE] "
	    "[-n] [-v] [--dry-run] [--once-for %s]%s%s\n"
	    "       caravel-%s --help | --version\n"
	    "One pass, then exit: run it from a systemd timer or cron "
	    "(README).\n", d->name, d->once_for,
	    d->options & WORKER_RETRY_FAILED ? " [--retry-failed]" : "",
	    d->options & WORKER_ALL ? " [--all]" : "", d->name);
	exit(help ? 0 : 2);
}

int
worker_lock_wait(const char *dbpath, const char *name, int wait_ms)
{
	const struct timespec step = { 0, 20 * 1000 * 1000 };
	char *path = NULL;
	int fd, waited = 0;

	path = xasprintf("%s.%s.lock", dbpath, name);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1) {
		log_warn("%s", path);
		free(path);
		return -2;
	}
	while (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno != EWOULDBLOCK) {
			log_warn("flock %s", path);
			close(fd);
			free(path);
			return -2;
		}
		if (waited >= wait_ms) {
			log_info("another %s pass holds %s%s", name, path,
			    wait_ms == 0 ? "; exiting" : "");
			close(fd);
			free(path);
			return -1;
		}
		(void)nanosleep(&step, NULL);
		waited += 20;
	}
	free(path);
	return fd;
}

int64_t
worker_backoff(int64_t base, int64_t cap, int64_t n)
{
	int64_t s = base;

	while (--n > 0 && s < cap)
		s *= 2;
	return s < cap ? s : cap;
}

int
worker_lock_take(const char *dbpath, const char *name)
{
	return worker_lock_wait(dbpath, name, 0);
}

void
worker_start(struct worker *w, const struct worker_def *d, int argc,
    char **argv)
{
	static const struct option opts[] = {
		{ "env-file", required_argument, NULL, 'f' },
		{ "check-config", no_argument, NULL, 'n' },
		{ "dry-run", no_argument, NULL, 'd' },
		{ "once-for", required_argument, NULL, 'o' },
		{ "retry-failed", no_argument, NULL, 'r' },
		{ "all", no_argument, NULL, 'a' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	static char program[32]; /* the log's name for the whole run */
	char errbuf[4096];
	int ch;

	memset(w, 0, sizeof(*w));
	w->name = d->name;
	w->lock_fd = -1;
	w->started_ms = worker_ms();
	w->started_at = clock_now();
	/* Every line names the program, as journald and syslog show it. */
	snprintf(program, sizeof(program), "caravel-%s", d->name);
	log_init(program);
	signal(SIGPIPE, SIG_IGN);
	while ((ch = getopt_long(argc, argv, "f:nv", opts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			w->envfile = optarg;
			break;
		case 'n':
			w->check_config = 1;
			break;
		case 'd':
			w->dry_run = 1;
			break;
		case 'o':
			w->once_for = optarg;
			break;
		case 'r':
			if (!(d->options & WORKER_RETRY_FAILED))
				worker_usage(d, 0);
			w->retry_failed = 1;
			break;
		case 'a':
			if (!(d->options & WORKER_ALL))
				worker_usage(d, 0);
			w->all = 1;
			break;
		case 'v':
			w->verbose = 1;
			log_set_debug(1);
			break;
		case 'h':
			worker_usage(d, 1);
			break;
		case 'V':
			printf("caravel-%s %s\n", d->name, PACKAGE_VERSION);
			exit(0);
		default:
			worker_usage(d, 0);
		}
	}
	if (optind != argc)
		worker_usage(d, 0);
	if (cfg_load(&w->cfg, w->envfile, errbuf, sizeof(errbuf)) == -1) {
		fprintf(stderr, "%s: bad configuration:\n%s", program, errbuf);
		exit(1);
	}
	if (w->check_config)
		cfg_print(&w->cfg, stdout);
	if (cfg_require(&w->cfg, program, d->need, d->nneed, errbuf,
	    sizeof(errbuf)) == -1) {
		fprintf(stderr, "%s: incomplete configuration:\n%s", program,
		    errbuf);
		cfg_free(&w->cfg);
		exit(1);
	}
	if (w->check_config) {
		cfg_free(&w->cfg);
		exit(0);
	}
	/* The database first: no lock file beside a database that is not. */
	if ((w->db = db_open(w->cfg.dbpath)) == NULL) {
		worker_finish(w);
		exit(1);
	}
	switch ((w->lock_fd = worker_lock_take(w->cfg.dbpath, w->name))) {
	case -1:
		worker_finish(w);
		exit(0);
	case -2:
		worker_finish(w);
		exit(1);
	default:
		break;
	}
}

void
worker_finish(struct worker *w)
{
	if (w->db != NULL)
		db_checkpoint(w->db);
	db_close(w->db);
	w->db = NULL;
	if (w->lock_fd >= 0)
		close(w->lock_fd);
	w->lock_fd = -1;
	cfg_free(&w->cfg);
}

int
worker_summary(const struct worker *w, int rc, int did, const char *counts)
{
	struct worker_pass pass;
	int64_t ms = worker_ms() - w->started_ms;
	int disk = w->db != NULL && w->db->disk_errors > 0;

	/* A pass with nothing to do is silent: a timer runs one a minute. */
	if (did || rc != 0 || disk || w->verbose)
		log_info("%s%s in %lld.%02llds", counts,
		    w->dry_run ? " (dry run)" : "", (long long)(ms / 1000),
		    (long long)(ms % 1000 / 10));
	if (disk) {
		log_warnx("the database could not be written %lu times (disk "
		    "full or failing): what was not recorded is done again "
		    "next pass", w->db->disk_errors);
		rc = 1;
	}
	if (w->db != NULL && !w->dry_run) {
		pass.worker = w->name;
		pass.started_at = w->started_at;
		pass.duration_ms = ms;
		pass.outcome = rc != 0 ? "failed" : "ok";
		pass.summary = counts;
		if (!db_wrote(db_worker_pass_put(w->db, &pass)))
			log_warnx("this pass could not be recorded for "
			    "monitoring");
	}
	return rc != 0 ? 1 : 0;
}

void
worker_point(const char *point)
{
	const char *stop = getenv("CARAVEL_STOP_AT");

	if (stop != NULL && strcmp(stop, point) == 0) {
		log_info("stopping at %s (CARAVEL_STOP_AT)", point);
		raise(SIGKILL);
	}
}
