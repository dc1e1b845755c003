/*
 * peakrss: run a command and report the most memory it held resident,
 * for tests that bound a worker's memory (tests/js/robot.test.mjs). The
 * command's output passes through; then "peakrss <kB>" goes to stderr
 * and peakrss exits as the command did (128 + signal when killed).
 * Linux reports ru_maxrss in kB (getrusage(2)). Without arguments, as
 * make check runs it, it checks itself: a child that touches 16 MB must
 * be reported as holding at least that.
 */
#include "config.h"

#include <sys/resource.h>
#include <sys/wait.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define SELFTEST_BYTES (16L << 20)

/* Run argv (or, when NULL, touch SELFTEST_BYTES); its status and peak. */
static int
run(char *argv[], long *kb)
{
	struct rusage ru;
	volatile char *p;
	pid_t pid;
	long i;
	int st;

	if ((pid = fork()) == -1) {
		fprintf(stderr, "peakrss: fork: %s\n", strerror(errno));
		return 2;
	}
	if (pid == 0 && argv == NULL) {
		/* volatile: the compiler may not elide what is never read */
		if ((p = malloc(SELFTEST_BYTES)) == NULL)
			_exit(1);
		for (i = 0; i < SELFTEST_BYTES; i += 512)
			p[i] = 1;
		free((void *)(uintptr_t)p); /* valgrind runs this child too */
		_exit(0);
	}
	if (pid == 0) {
		execvp(argv[0], argv);
		fprintf(stderr, "peakrss: %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	while (wait4(pid, &st, 0, &ru) == -1)
		if (errno != EINTR) {
			fprintf(stderr, "peakrss: wait4: %s\n", strerror(errno));
			return 2;
		}
	*kb = ru.ru_maxrss;
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return WEXITSTATUS(st);
}

int
main(int argc, char *argv[])
{
	long kb = 0;
	int rc;

	if (argc < 2) {
		rc = run(NULL, &kb);
		printf("self-test: a child touching %ld kB peaked at %ld kB\n",
		    SELFTEST_BYTES / 1024, kb);
		return rc == 0 && kb >= SELFTEST_BYTES / 1024 ? 0 : 1;
	}
	rc = run(argv + 1, &kb);
	fprintf(stderr, "peakrss %ld\n", kb);
	return rc;
}
