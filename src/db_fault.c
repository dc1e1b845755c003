/*
 * db_fault.c: a full disk, on demand, for the fault tests (issue
 * "Hardening" §6). Inactive unless CARAVEL_TEST_DISK_FULL names a file;
 * then every database the process opens goes through a VFS that wraps
 * the default one and, while that file exists, fails every write and
 * truncation of the database, its WAL and its journal with SQLITE_FULL,
 * as a disk with no block left would (the harshest case: even blocks a
 * file already has cannot be rewritten). Removing the file gives the
 * space back. Reads, locks and the WAL index (shared memory) work
 * throughout, as they do on a full disk.
 */
#include "config.h"

#include <sys/stat.h>

#include <stdlib.h>
#include <string.h>

#include "db.h"

struct fault_file {
	sqlite3_file base;
	sqlite3_file *real; /* the wrapped VFS's file, right after us */
};

static sqlite3_vfs fault_vfs;
static const char *flag_path;

static int
full(void)
{
	struct stat st;

	return stat(flag_path, &st) == 0;
}

#define REAL(f) (((struct fault_file *)(f))->real)

static int
f_close(sqlite3_file *f)
{
	int rc = REAL(f)->pMethods->xClose(REAL(f));

	f->pMethods = NULL;
	return rc;
}

static int
f_read(sqlite3_file *f, void *buf, int n, sqlite3_int64 off)
{
	return REAL(f)->pMethods->xRead(REAL(f), buf, n, off);
}

static int
f_write(sqlite3_file *f, const void *buf, int n, sqlite3_int64 off)
{
	if (full())
		return SQLITE_FULL;
	return REAL(f)->pMethods->xWrite(REAL(f), buf, n, off);
}

static int
f_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	if (full())
		return SQLITE_FULL;
	return REAL(f)->pMethods->xTruncate(REAL(f), size);
}

static int
f_sync(sqlite3_file *f, int flags)
{
	return REAL(f)->pMethods->xSync(REAL(f), flags);
}

static int
f_size(sqlite3_file *f, sqlite3_int64 *size)
{
	return REAL(f)->pMethods->xFileSize(REAL(f), size);
}

static int
f_lock(sqlite3_file *f, int lock)
{
	return REAL(f)->pMethods->xLock(REAL(f), lock);
}

static int
f_unlock(sqlite3_file *f, int lock)
{
	return REAL(f)->pMethods->xUnlock(REAL(f), lock);
}

static int
f_reserved(sqlite3_file *f, int *out)
{
	return REAL(f)->pMethods->xCheckReservedLock(REAL(f), out);
}

static int
f_control(sqlite3_file *f, int op, void *arg)
{
	return REAL(f)->pMethods->xFileControl(REAL(f), op, arg);
}

static int
f_sector(sqlite3_file *f)
{
	return REAL(f)->pMethods->xSectorSize(REAL(f));
}

static int
f_device(sqlite3_file *f)
{
	return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f));
}

static int
f_shm_map(sqlite3_file *f, int page, int size, int extend, void volatile **p)
{
	return REAL(f)->pMethods->xShmMap(REAL(f), page, size, extend, p);
}

static int
f_shm_lock(sqlite3_file *f, int off, int n, int flags)
{
	return REAL(f)->pMethods->xShmLock(REAL(f), off, n, flags);
}

static void
f_shm_barrier(sqlite3_file *f)
{
	REAL(f)->pMethods->xShmBarrier(REAL(f));
}

static int
f_shm_unmap(sqlite3_file *f, int del)
{
	return REAL(f)->pMethods->xShmUnmap(REAL(f), del);
}

/* Version 2: no memory-mapped I/O, so every write passes f_write. */
static const sqlite3_io_methods fault_methods = {
	2, f_close, f_read, f_write, f_truncate, f_sync, f_size, f_lock,
	f_unlock, f_reserved, f_control, f_sector, f_device, f_shm_map,
	f_shm_lock, f_shm_barrier, f_shm_unmap, NULL, NULL
};

static int
f_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags,
    int *out_flags)
{
	sqlite3_vfs *real = vfs->pAppData;
	struct fault_file *ff = (struct fault_file *)f;
	int rc;

	ff->real = (sqlite3_file *)(ff + 1);
	rc = real->xOpen(real, name, ff->real, flags, out_flags);
	f->pMethods = rc == SQLITE_OK ? &fault_methods : NULL;
	return rc;
}

#define VFS(v) ((sqlite3_vfs *)(v)->pAppData)

static int
v_delete(sqlite3_vfs *v, const char *name, int sync)
{
	return VFS(v)->xDelete(VFS(v), name, sync);
}

static int
v_access(sqlite3_vfs *v, const char *name, int flags, int *out)
{
	return VFS(v)->xAccess(VFS(v), name, flags, out);
}

static int
v_fullname(sqlite3_vfs *v, const char *name, int n, char *out)
{
	return VFS(v)->xFullPathname(VFS(v), name, n, out);
}

static int
v_random(sqlite3_vfs *v, int n, char *out)
{
	return VFS(v)->xRandomness(VFS(v), n, out);
}

static int
v_sleep(sqlite3_vfs *v, int us)
{
	return VFS(v)->xSleep(VFS(v), us);
}

static int
v_time(sqlite3_vfs *v, double *out)
{
	return VFS(v)->xCurrentTime(VFS(v), out);
}

static int
v_error(sqlite3_vfs *v, int n, char *out)
{
	return VFS(v)->xGetLastError(VFS(v), n, out);
}

static void *
v_dlopen(sqlite3_vfs *v, const char *name)
{
	return VFS(v)->xDlOpen(VFS(v), name);
}

static void
v_dlerror(sqlite3_vfs *v, int n, char *out)
{
	VFS(v)->xDlError(VFS(v), n, out);
}

static void (*v_dlsym(sqlite3_vfs *v, void *h, const char *sym))(void)
{
	return VFS(v)->xDlSym(VFS(v), h, sym);
}

static void
v_dlclose(sqlite3_vfs *v, void *h)
{
	VFS(v)->xDlClose(VFS(v), h);
}

void
db_fault_install(void)
{
	sqlite3_vfs *real;
	const char *p;

	if (flag_path != NULL || (p = getenv("CARAVEL_TEST_DISK_FULL")) ==
	    NULL || *p == '\0' || (real = sqlite3_vfs_find(NULL)) == NULL)
		return;
	flag_path = p;
	fault_vfs.iVersion = 1;
	fault_vfs.szOsFile = (int)sizeof(struct fault_file) + real->szOsFile;
	fault_vfs.mxPathname = real->mxPathname;
	fault_vfs.zName = "caravel-fault";
	fault_vfs.pAppData = real;
	fault_vfs.xOpen = f_open;
	fault_vfs.xDelete = v_delete;
	fault_vfs.xAccess = v_access;
	fault_vfs.xFullPathname = v_fullname;
	fault_vfs.xDlOpen = v_dlopen;
	fault_vfs.xDlError = v_dlerror;
	fault_vfs.xDlSym = v_dlsym;
	fault_vfs.xDlClose = v_dlclose;
	fault_vfs.xRandomness = v_random;
	fault_vfs.xSleep = v_sleep;
	fault_vfs.xCurrentTime = v_time;
	fault_vfs.xGetLastError = v_error;
	if (sqlite3_vfs_register(&fault_vfs, 1) == SQLITE_OK)
		log_info("CARAVEL_TEST_DISK_FULL: writes fail while %s exists",
		    flag_path);
}
