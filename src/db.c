/*
 * db.c: opening the shared SQLite file and the statement mechanics
 * (prepare once, step, map result codes, reset). See db.h.
 */
#include "config.h"

#include <sys/file.h>
#include <sys/stat.h>
#include <sys/time.h>

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db.h"

/*
 * SQLite's own busy handler sleeps up to 100 ms at a time; a writer here
 * holds the lock for a few hundred microseconds, so a request waiting
 * for it retries every 100 us at first (a longer sleep leaves the lock
 * idle while everyone sleeps), then every millisecond, up to busy_ms in
 * all, measured on the clock.
 */
static int
db_busy(void *arg, int count)
{
	struct db *db = arg;
	int64_t now = clock_mono_us();

	if (count == 0)
		db->busy_since_us = now;
	if (now - db->busy_since_us >= (int64_t)db->busy_ms * 1000)
		return 0;
	usleep(count < 50 ? 100 : 1000);
	return 1;
}

/*
 * Root must not open a database that belongs to the service user: SQLite
 * would make its -wal and -shm files, and the workers their lock files,
 * owned by root, and every later pass as that user would fail on them.
 * The file's owner decides, or its directory's for a file to be made.
 */
static int
root_on_theirs(const char *path)
{
	struct stat st;
	char *dir, *slash;
	int rc;

	if (geteuid() != 0)
		return 0;
	if ((rc = stat(path, &st)) == -1) {
		dir = xstrdup(path);
		if ((slash = strrchr(dir, '/')) != NULL)
			*(slash == dir ? slash + 1 : slash) = '\0';
		else
			strcpy(dir, ".");
		rc = stat(dir, &st);
		free(dir);
	}
	if (rc == -1 || st.st_uid == 0)
		return 0;
	log_warnx("database %s belongs to uid %lu, and this runs as root, "
	    "which would leave root-owned files beside it: run it as that "
	    "user (runuser -u caravel -- ...)", path, (unsigned long)st.st_uid);
	return -1;
}

/*
 * Open the file at path (creating it only with create), with WAL, a busy
 * timeout and foreign keys; the schema is the callers' business.
 */
static struct db *
db_connect(const char *path, int create)
{
	struct db *db;
	char *err = NULL;
	int rc, tries;

	db_fault_install();
	db = xcalloc(1, sizeof(*db));
	db->queue_fd = -1;
	db->path = xstrdup(path);
	if (!create && access(path, F_OK) == -1) {
		log_warnx("database %s does not exist: check DATABASE_URL; "
		    "only `caravel-admin migrate` creates a database", path);
		goto fail;
	}
	if (root_on_theirs(path) == -1)
		goto fail;
	if (sqlite3_open_v2(path, &db->h, SQLITE_OPEN_READWRITE |
	    (create ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK) {
		log_warnx("%s: cannot open database: %s", path,
		    db->h != NULL ? sqlite3_errmsg(db->h) : "out of memory");
		goto fail;
	}
	db_set_busy(db, DB_BUSY_TIMEOUT_MS);
	sqlite3_extended_result_codes(db->h, 0);
	/*
	 * WAL lets the API read while a worker writes; the mode persists in
	 * the file, and cannot change inside a transaction, so it comes first.
	 * Switching a new file to WAL can answer SQLITE_BUSY without calling
	 * the busy handler when other processes open it at the same moment.
	 */
	for (tries = 0; (rc = sqlite3_exec(db->h, "PRAGMA journal_mode = WAL",
	    NULL, NULL, NULL)) == SQLITE_BUSY && tries < 300; tries++)
		usleep(20000 + (useconds_t)(tries % 50) * 1000);
	if (rc != SQLITE_OK || sqlite3_exec(db->h, "PRAGMA foreign_keys = ON; "
	    "PRAGMA synchronous = NORMAL", NULL, NULL, &err) != SQLITE_OK) {
		log_warnx("%s: cannot set pragmas: %s", path,
		    err != NULL ? err : sqlite3_errmsg(db->h));
		sqlite3_free(err);
		goto fail;
	}
	return db;
fail:
	db_close(db);
	return NULL;
}

struct db *
db_open(const char *path)
{
	struct db *db;
	int v;

	if ((db = db_connect(path, 0)) == NULL)
		return NULL;
	if ((v = db_schema_version(db)) < 0) {
		log_warnx("database %s: cannot read its schema version (not a "
		    "Caravel database?)", path);
		goto fail;
	}
	if (v < db_schema_latest()) {
		log_warnx("database %s is at schema version %d; this program "
		    "needs %d: run `caravel-admin migrate`", path, v,
		    db_schema_latest());
		goto fail;
	}
	/* Newer is fine: migrations only add (README, "Upgrading"). */
	return db;
fail:
	db_close(db);
	return NULL;
}

struct db *
db_open_migrate(const char *path, char **backup)
{
	struct db *db;
	char *dest = NULL, *lock;
	int v, fd;

	*backup = NULL;
	if ((db = db_connect(path, 1)) == NULL)
		return NULL;
	/*
	 * One migrate at a time: a second one waits, then finds the schema
	 * current and has nothing to back up or apply.
	 */
	lock = xasprintf("%s.migrate.lock", path);
	if ((fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1 ||
	    flock(fd, LOCK_EX) == -1) {
		log_warn("%s", lock);
		free(lock);
		if (fd != -1)
			close(fd);
		db_close(db);
		return NULL;
	}
	free(lock);
	if ((v = db_schema_version(db)) < 0)
		goto fail;
	if (v > 0 && v < db_schema_latest()) {
		dest = xasprintf("%s.schema-%d.%lld.bak", path, v,
		    (long long)clock_now());
		if (db_backup(db, dest) == -1)
			goto fail;
	}
	if (db_migrate(db) == -1)
		goto fail;
	close(fd);
	*backup = dest;
	return db;
fail:
	close(fd);
	free(dest);
	db_close(db);
	return NULL;
}

/* Copy every page of from into to ("main" of each), one step. */
static int
copy_pages(sqlite3 *to, sqlite3 *from)
{
	sqlite3_backup *b;
	int rc;

	if ((b = sqlite3_backup_init(to, "main", from, "main")) == NULL)
		return sqlite3_errcode(to);
	do {
		rc = sqlite3_backup_step(b, -1);
		if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
			usleep(10000);
	} while (rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
	(void)sqlite3_backup_finish(b);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int
db_backup(struct db *db, const char *dest)
{
	sqlite3 *to = NULL;
	int rc;

	if (access(dest, F_OK) == 0) {
		log_warnx("%s already exists: a backup never overwrites", dest);
		return -1;
	}
	if (sqlite3_open_v2(dest, &to, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		log_warnx("%s: cannot create the backup: %s", dest,
		    to != NULL ? sqlite3_errmsg(to) : "out of memory");
		sqlite3_close(to);
		return -1;
	}
	/*
	 * One step copies every page inside one read transaction, so the
	 * copy is the database as of one commit, whatever writes meanwhile
	 * (https://sqlite.org/backup.html).
	 */
	rc = copy_pages(to, db->h);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(to, "PRAGMA journal_mode = DELETE", NULL, NULL,
		    NULL);
	if (rc != SQLITE_OK)
		log_warnx("%s: backup failed: %s", dest, sqlite3_errmsg(to));
	sqlite3_close(to);
	if (rc != SQLITE_OK)
		(void)unlink(dest);
	return rc == SQLITE_OK ? 0 : -1;
}

int
db_restore(const char *path, const char *src)
{
	sqlite3 *from = NULL, *to = NULL;
	sqlite3_stmt *st = NULL;
	int rc = -1, v = -1;

	if (sqlite3_open_v2(src, &from, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK || sqlite3_prepare_v2(from, "SELECT (SELECT "
	    "user_version FROM pragma_user_version), (SELECT * FROM "
	    "pragma_quick_check)", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW) {
		log_warnx("%s: not a readable SQLite database: %s", src,
		    from != NULL ? sqlite3_errmsg(from) : "out of memory");
		goto out;
	}
	v = sqlite3_column_int(st, 0);
	if (v < 1 || strcmp((const char *)sqlite3_column_text(st, 1), "ok")) {
		log_warnx("%s: not a Caravel database, or damaged (schema "
		    "version %d, quick_check: %s)", src, v,
		    (const char *)sqlite3_column_text(st, 1));
		goto out;
	}
	/*
	 * In exclusive locking mode the first write transaction keeps the
	 * file's exclusive lock until the connection closes, and cannot
	 * get it while any other connection has the database open (WAL
	 * readers hold a shared lock): so this both proves nobody uses the
	 * database and keeps it that way while the pages are replaced.
	 */
	if (sqlite3_open_v2(path, &to, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE, NULL) != SQLITE_OK ||
	    sqlite3_exec(to, "PRAGMA locking_mode = EXCLUSIVE; "
	    "BEGIN EXCLUSIVE; COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		log_warnx("database %s is in use (%s): stop caravel-api and "
		    "the workers' timers or cron first", path,
		    to != NULL ? sqlite3_errmsg(to) : "out of memory");
		goto out;
	}
	if (copy_pages(to, from) != SQLITE_OK) {
		log_warnx("%s: restore failed: %s", path, sqlite3_errmsg(to));
		goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(st);
	sqlite3_close(to);
	sqlite3_close(from);
	return rc == 0 ? v : -1;
}

void
db_set_busy(struct db *db, int ms)
{
	db->busy_ms = ms;
	sqlite3_busy_handler(db->h, db_busy, db);
}

void
db_close(struct db *db)
{
	size_t i;

	if (db == NULL)
		return;
	for (i = 0; i < STMT__MAX; i++)
		sqlite3_finalize(db->stmt[i]);
	sqlite3_close(db->h);
	if (db->queue_fd >= 0)
		close(db->queue_fd);
	free(db->path);
	free(db);
}

sqlite3_stmt *
db_stmt(struct db *db, enum stmt s)
{
	if (db->stmt[s] == NULL &&
	    sqlite3_prepare_v3(db->h, stmts[s], -1, SQLITE_PREPARE_PERSISTENT,
	    &db->stmt[s], NULL) != SQLITE_OK) {
		log_warnx("prepare statement %d: %s", (int)s,
		    sqlite3_errmsg(db->h));
		db->stmt[s] = NULL;
		return NULL;
	}
	sqlite3_reset(db->stmt[s]);
	sqlite3_clear_bindings(db->stmt[s]);
	return db->stmt[s];
}

enum dbrc
db_step(struct db *db, sqlite3_stmt *s)
{
	switch (sqlite3_step(s)) {
	case SQLITE_ROW:
		return DB_ROW;
	case SQLITE_DONE:
		return DB_DONE;
	case SQLITE_CONSTRAINT:
		return DB_CONSTRAINT;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		log_warnx("database busy: %s", sqlite3_sql(s));
		return DB_BUSY;
	case SQLITE_FULL:
	case SQLITE_IOERR:
		/* SQLite rolled the statement (or the transaction) back. */
		(void)db_fail(db, s, "db_step");
		db->disk_errors++;
		return DB_DISK;
	default:
		return db_fail(db, s, "db_step");
	}
}

enum dbrc
db_fail(struct db *db, sqlite3_stmt *s, const char *func)
{
	log_warnx("%s: %s (in: %.80s)", func, sqlite3_errmsg(db->h),
	    s != NULL ? sqlite3_sql(s) : "");
	if (s != NULL)
		sqlite3_reset(s);
	return DB_ERROR;
}

/* Reset at once: an un-reset statement pins a WAL snapshot. */
void
db_reset(sqlite3_stmt *s)
{
	if (s != NULL)
		sqlite3_reset(s);
}

enum dbrc
db_exec(struct db *db, enum stmt st)
{
	sqlite3_stmt *s;
	enum dbrc rc;

	if ((s = db_stmt(db, st)) == NULL)
		return DB_ERROR;
	rc = db_step(db, s);
	db_reset(s);
	return rc == DB_ROW || rc == DB_DONE ? DB_OK : rc;
}

static void
on_alarm(int sig)
{
	(void)sig; /* only to interrupt flock(2) */
}

/*
 * Take the writers' queue: at once if free, else wait in flock(2) (the
 * kernel wakes the next waiter the moment it is freed) for at most
 * busy_ms, by an interval timer whose signal interrupts the wait.
 */
static int
queue_take(struct db *db)
{
	struct sigaction sa, old;
	struct itimerval t, off;
	int rc;

	if (flock(db->queue_fd, LOCK_EX | LOCK_NB) == 0)
		return 0;
	memset(&sa, 0, sizeof(sa));
	memset(&t, 0, sizeof(t));
	memset(&off, 0, sizeof(off));
	sa.sa_handler = on_alarm; /* no SA_RESTART: flock returns EINTR */
	sigemptyset(&sa.sa_mask);
	t.it_value.tv_sec = db->busy_ms / 1000;
	t.it_value.tv_usec = (db->busy_ms % 1000) * 1000;
	sigaction(SIGALRM, &sa, &old);
	setitimer(ITIMER_REAL, &t, NULL);
	rc = flock(db->queue_fd, LOCK_EX);
	setitimer(ITIMER_REAL, &off, NULL);
	sigaction(SIGALRM, &old, NULL);
	if (rc == -1)
		log_warnx("%s: no turn to write within %d ms", db->path,
		    db->busy_ms);
	return rc;
}

static void
queue_give(struct db *db)
{
	if (db->queue_held) {
		(void)flock(db->queue_fd, LOCK_UN);
		db->queue_held = 0;
	}
}

void
db_queue_writers(struct db *db)
{
	char *path;

	path = xasprintf("%s.writers.lock", db->path);
	if ((db->queue_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0660)) ==
	    -1)
		log_warn("%s (writers wait on SQLite's lock instead)", path);
	free(path);
}

enum dbrc
db_begin(struct db *db)
{
	enum dbrc rc;

	if (db->queue_fd >= 0 && !db->queue_held) {
		if (queue_take(db) == -1)
			return DB_BUSY;
		db->queue_held = 1;
	}
	if ((rc = db_exec(db, STMT_BEGIN)) != DB_OK)
		queue_give(db);
	return rc;
}

enum dbrc
db_commit(struct db *db)
{
	enum dbrc rc;

	if ((rc = db_exec(db, STMT_COMMIT)) != DB_OK)
		db_rollback(db);
	/* Still first in the writers' queue: the others wait on it, not in
	 * the busy handler, while the log is copied back (db.h). */
	if (db->checkpoint_frames > 0 && db->wal_frames >= db->checkpoint_at)
		db_checkpoint_restart(db);
	queue_give(db);
	return rc;
}

void
db_rollback(struct db *db)
{
	if (!sqlite3_get_autocommit(db->h))
		(void)db_exec(db, STMT_ROLLBACK);
	queue_give(db);
}

int
db_bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v == NULL)
		return sqlite3_bind_null(s, i) == SQLITE_OK ? 0 : -1;
	return sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT) == SQLITE_OK ?
	    0 : -1;
}

int
db_bind_int(sqlite3_stmt *s, int i, int64_t v)
{
	return sqlite3_bind_int64(s, i, v) == SQLITE_OK ? 0 : -1;
}

char *
db_col_text(struct arena *a, sqlite3_stmt *s, int i)
{
	const unsigned char *t;

	if ((t = sqlite3_column_text(s, i)) == NULL)
		return arena_strdup(a, "");
	return arena_strndup(a, (const char *)t,
	    (size_t)sqlite3_column_bytes(s, i));
}

char *
db_col_textn(struct arena *a, sqlite3_stmt *s, int i)
{
	return sqlite3_column_type(s, i) == SQLITE_NULL ? NULL :
	    db_col_text(a, s, i);
}

int64_t
db_col_opt(sqlite3_stmt *s, int i)
{
	return sqlite3_column_type(s, i) == SQLITE_NULL ? -1 :
	    sqlite3_column_int64(s, i);
}

static int
db_bind_v(sqlite3_stmt *s, const struct dbv *v, size_t n)
{
	size_t i;
	int k, rc;

	for (i = 0; i < n; i++) {
		k = v[i].param != NULL ? sqlite3_bind_parameter_index(s,
		    v[i].param) : (int)i + 1;
		switch (v[i].type) {
		case DBV_TEXT:
			rc = db_bind_text(s, k, v[i].s);
			break;
		case DBV_INT:
			rc = db_bind_int(s, k, v[i].i);
			break;
		default:
			rc = sqlite3_bind_null(s, k) == SQLITE_OK ? 0 : -1;
			break;
		}
		if (rc == -1)
			return -1;
	}
	return 0;
}

sqlite3_stmt *
db_query_v(struct db *db, enum stmt st, const struct dbv *v, size_t n)
{
	sqlite3_stmt *s;

	if ((s = db_stmt(db, st)) == NULL)
		return NULL;
	if (db_bind_v(s, v, n) == -1) {
		(void)db_fail(db, s, "db_query");
		return NULL;
	}
	return s;
}

static enum dbrc
db_write_step(struct db *db, sqlite3_stmt *s)
{
	enum dbrc rc;

	if ((rc = db_step(db, s)) == DB_DONE)
		rc = sqlite3_changes(db->h) >= 1 ? DB_OK : DB_DONE;
	else if (rc == DB_ROW)
		rc = DB_OK;
	db_reset(s);
	return rc;
}

enum dbrc
db_write_v(struct db *db, enum stmt st, const struct dbv *v, size_t n)
{
	sqlite3_stmt *s;

	if ((s = db_query_v(db, st, v, n)) == NULL)
		return DB_ERROR;
	return db_write_step(db, s);
}

enum dbrc
db_update_v(struct db *db, enum stmt st, const struct dbv *v, size_t n)
{
	enum dbrc rc = db_write_v(db, st, v, n);

	return rc == DB_DONE ? DB_NOTFOUND : rc;
}

enum dbrc
db_write_row_v(struct db *db, enum stmt st, const struct table *t,
    const void *row, const struct dbv *v, size_t n)
{
	sqlite3_stmt *s;

	if ((s = db_stmt(db, st)) == NULL)
		return DB_ERROR;
	if (table_bind(s, t, row) == -1 || db_bind_v(s, v, n) == -1)
		return db_fail(db, s, __func__);
	return db_write_step(db, s);
}
