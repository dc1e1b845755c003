/*
 * slot.c: a fixed number of slots shared by processes, as exclusive
 * flocks on files "<base>.<i>.lock". A slot is held by an open file
 * descriptor, so it is given back when the process closes it or dies,
 * even by kill -9: nothing can leak a slot.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <unistd.h>

#include "core.h"

int
slot_take(const char *base, int n)
{
	char *path;
	int i, fd;

	for (i = 0; i < n; i++) {
		path = xasprintf("%s.%d.lock", base, i);
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
		if (fd == -1) {
			log_warn("%s", path);
			free(path);
			return -1;
		}
		free(path);
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return fd;
		close(fd);
		if (errno != EWOULDBLOCK)
			return -1;
	}
	return -1;
}

void
slot_give(int fd)
{
	if (fd >= 0)
		close(fd);
}
