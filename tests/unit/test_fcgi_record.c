/*
 * test_fcgi_record.c: long answers as FastCGI records (fcgi_record.h),
 * read back from a socket pair the way nginx parses them.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>

#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core.h"
#include "fcgi_record.h"
#include "testlib.h"

#define BODY 200000

static void
on_tick(int sig)
{
	(void)sig; /* only to interrupt writev(2) */
}

/* Read exactly n bytes, slowly, so the writer is interrupted mid-write. */
static int
read_slowly(int fd, unsigned char *p, size_t n)
{
	ssize_t r;
	size_t got = 0;

	while (got < n) {
		r = read(fd, p + got, n - got < 4096 ? n - got : 4096);
		if (r <= 0)
			return -1;
		got += (size_t)r;
		usleep(50);
	}
	return 0;
}

/*
 * A writer whose writev(2) calls are cut short by a timer's signal (no
 * SA_RESTART) still sends every byte, in order, as records of at most
 * 65,535 bytes with the request's id, and nothing after them.
 */
START_TEST(long_answer_in_records)
{
	static unsigned char body[BODY], got[BODY];
	unsigned char h[8];
	struct sigaction sa;
	struct itimerval t;
	size_t i, total = 0, records = 0, len;
	int sv[2], status, small = 4096;
	pid_t pid;

	for (i = 0; i < BODY; i++)
		body[i] = (unsigned char)(i * 7 + i / 251);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	/* A record does not fit the socket: each writev(2) blocks part way. */
	ck_assert_int_eq(setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &small,
	    sizeof(small)), 0);
	if ((pid = fork()) == 0) {
		close(sv[0]);
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_tick;
		sigaction(SIGALRM, &sa, NULL);
		memset(&t, 0, sizeof(t));
		t.it_interval.tv_usec = t.it_value.tv_usec = 300;
		setitimer(ITIMER_REAL, &t, NULL);
		_exit(fcgi_stdout_records(sv[1], 0x1234, (char *)body,
		    BODY) == 0 ? 0 : 1);
	}
	close(sv[1]);
	while (total < BODY) {
		ck_assert_int_eq(read_slowly(sv[0], h, sizeof(h)), 0);
		ck_assert_int_eq(h[0], 1);		/* FCGI_VERSION_1 */
		ck_assert_int_eq(h[1], 6);		/* FCGI_STDOUT */
		ck_assert_int_eq(h[2] << 8 | h[3], 0x1234);
		len = (size_t)(h[4] << 8 | h[5]);
		ck_assert_uint_eq(h[6], 0);		/* no padding */
		ck_assert_uint_eq(len, BODY - total < FCGI_RECORD_MAX ?
		    BODY - total : FCGI_RECORD_MAX);
		ck_assert_int_eq(read_slowly(sv[0], got + total, len), 0);
		total += len;
		records++;
	}
	ck_assert_uint_eq(records, 4);
	ck_assert_int_eq(memcmp(got, body, BODY), 0);
	ck_assert_int_eq(read(sv[0], h, 1), 0); /* the writer is done */
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(sv[0]);
}
END_TEST

/* nginx gone: the write fails (EPIPE), it does not kill the child. */
START_TEST(closed_peer_fails)
{
	static char body[BODY];
	int sv[2];

	signal(SIGPIPE, SIG_IGN);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	close(sv[0]);
	ck_assert_int_eq(fcgi_stdout_records(sv[1], 1, body, BODY), -1);
	ck_assert_int_eq(errno, EPIPE);
	ck_assert_int_eq(fcgi_stdout_records(sv[1], 1, body, 0), 0);
	close(sv[1]);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("fcgi_record");
	TCase *tc = tcase_create("fcgi_record");

	tcase_add_test(tc, long_answer_in_records);
	tcase_add_test(tc, closed_peer_fails);
	suite_add_tcase(s, tc);
	return tl_run(s);
}
