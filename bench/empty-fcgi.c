/*
 * empty-fcgi: the baseline of bench/run.sh, a FastCGI responder that does
 * nothing but answer. It binds SOCKET the way caravel-api -s does
 * (FCGX_OpenSocket, backlog 128), pre-forks NCHILD children that loop on
 * FCGX_Accept_r, and answers every request with a fixed small JSON body.
 * What caravel-api takes beyond this is the cost of Caravel itself. With
 * the query "bytes=N" the body is N bytes long instead (at most 1 MiB),
 * a baseline for a route that answers that much JSON.
 *
 *	cc -O2 -o empty-fcgi empty-fcgi.c -lfcgi
 *	empty-fcgi SOCKET NCHILD
 *
 * SIGTERM or SIGINT to the parent stops the children, then the parent.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcgiapp.h>

#define MAXCHILD 256
#define MAXBODY (1L << 20)

static volatile sig_atomic_t stopping;

static void
on_stop(int sig)
{
	(void)sig;
	stopping = 1;
}

/* The body size asked for by QUERY_STRING "bytes=N", or -1. */
static long
body_size(FCGX_Request *r)
{
	const char *q;
	char *end;
	long n;

	q = FCGX_GetParam("QUERY_STRING", r->envp);
	if (q == NULL || strncmp(q, "bytes=", 6) != 0)
		return -1;
	errno = 0;
	n = strtol(q + 6, &end, 10);
	if (errno != 0 || *end != '\0' || n < 0 || n > MAXBODY)
		return -1;
	return n;
}

static int
serve(int fd)
{
	static const char head[] =
	    "Status: 200 OK\r\n"
	    "Content-Type: application/json; charset=utf-8\r\n"
	    "\r\n";
	static const char empty[] = "{\"data\":null,\"code\":\"ok\"}\n";
	static const char pre[] = "{\"data\":\"";
	static const char post[] = "\",\"code\":\"ok\"}\n";
	FCGX_Request r;
	char *fill;
	long n, pad;

	if ((fill = malloc(MAXBODY)) == NULL)
		return -1;
	memset(fill, 'x', MAXBODY);
	if (FCGX_Init() != 0 || FCGX_InitRequest(&r, fd, 0) != 0) {
		free(fill);
		return -1;
	}
	while (FCGX_Accept_r(&r) >= 0) {
		FCGX_PutStr(head, (int)sizeof(head) - 1, r.out);
		pad = (n = body_size(&r)) -
		    (long)(sizeof(pre) - 1 + sizeof(post) - 1);
		if (n < 0 || pad < 0)
			FCGX_PutStr(empty, (int)sizeof(empty) - 1, r.out);
		else {
			FCGX_PutStr(pre, (int)sizeof(pre) - 1, r.out);
			FCGX_PutStr(fill, (int)pad, r.out);
			FCGX_PutStr(post, (int)sizeof(post) - 1, r.out);
		}
		FCGX_Finish_r(&r);
	}
	FCGX_Free(&r, 1);
	free(fill);
	return 0;
}

int
main(int argc, char *argv[])
{
	struct sigaction sa;
	pid_t kids[MAXCHILD], pid;
	char *end;
	long n;
	int fd, i;

	if (argc != 3) {
		fprintf(stderr, "usage: empty-fcgi SOCKET NCHILD\n");
		return 2;
	}
	errno = 0;
	n = strtol(argv[2], &end, 10);
	if (errno != 0 || *end != '\0' || n < 1 || n > MAXCHILD) {
		fprintf(stderr, "empty-fcgi: NCHILD must be 1 to %d\n",
		    MAXCHILD);
		return 2;
	}
	(void)unlink(argv[1]);
	if ((fd = FCGX_OpenSocket(argv[1], 128)) < 0) {
		fprintf(stderr, "empty-fcgi: %s: cannot listen\n", argv[1]);
		return 1;
	}
	if (chmod(argv[1], 0666) == -1)
		perror("empty-fcgi: chmod");

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	memset(kids, 0, sizeof(kids));
	for (i = 0; i < n; i++) {
		if ((pid = fork()) == -1) {
			perror("empty-fcgi: fork");
			stopping = 1;
			break;
		}
		if (pid == 0) {
			signal(SIGTERM, SIG_DFL);
			signal(SIGINT, SIG_DFL);
			_exit(serve(fd) == 0 ? 0 : 1);
		}
		kids[i] = pid;
	}
	/* A child that dies is not replaced: the benchmark would notice. */
	while (!stopping)
		if (waitpid(-1, NULL, 0) == -1 && errno == ECHILD)
			break;
	for (i = 0; i < n; i++)
		if (kids[i] != 0)
			kill(kids[i], SIGTERM);
	while (waitpid(-1, NULL, 0) != -1 || errno == EINTR)
		;
	(void)unlink(argv[1]);
	return 0;
}
