/*
 * main.c: caravel-api, the FastCGI program nginx talks to. It serves
 * FastCGI on a socket it is handed (spawn-fcgi, systemd socket
 * activation), or binds one itself and keeps pre-forked children that are
 * replaced after --max-requests, or answers one request as plain CGI.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "http.h"
#include "httpc.h"

static volatile sig_atomic_t stopping;

static void
on_stop(int sig)
{
	(void)sig;
	stopping = 1;
}

/*
 * Keep nchild children serving listen_fd; each exits after max_requests
 * and is replaced. SIGTERM or SIGINT stops the children, then the parent.
 */
static int
prefork(struct app *app, int listen_fd, int nchild, long max_requests)
{
	struct sigaction sa;
	pid_t *kids, pid;
	int i, alive = 0, status;

	kids = xcalloc((size_t)nchild, sizeof(*kids));
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	while (!stopping) {
		for (i = 0; i < nchild && !stopping; i++) {
			if (kids[i] != 0)
				continue;
			if ((pid = fork()) == -1) {
				log_warn("fork");
				sleep(1);
				continue;
			}
			if (pid == 0) {
				signal(SIGTERM, SIG_DFL);
				signal(SIGINT, SIG_DFL);
				free(kids);
				_exit(http_serve_fcgi(app, listen_fd,
				    max_requests) == 0 ? 0 : 1);
			}
			kids[i] = pid;
			alive++;
		}
		if ((pid = waitpid(-1, &status, 0)) == -1) {
			if (errno != EINTR)
				break;
			continue;
		}
		for (i = 0; i < nchild; i++)
			if (kids[i] == pid) {
				kids[i] = 0;
				alive--;
			}
	}
	for (i = 0; i < nchild; i++)
		if (kids[i] != 0)
			kill(kids[i], SIGTERM);
	while (alive > 0 && wait(NULL) > 0)
		alive--;
	free(kids);
	return 0;
}

/* --help: to stdout, exit 0; a wrong command line: to stderr, exit 2. */
static void
usage(int help)
{
	fprintf(help ? stdout : stderr, "usage: caravel-api [--env-file FILE] "
	    "[-n] [-s SOCKET [--socket-mode MODE]] [-c CHILDREN] "
	    "[-m MAX_REQUESTS] [--list-routes]\n"
	    "       caravel-api --help | --version\n"
	    "FastCGI on SOCKET (or on a socket passed as fd 0), or one CGI "
	    "request (README).\n");
	exit(help ? 0 : 2);
}

int
main(int argc, char *argv[])
{
	static const struct option opts[] = {
		{ "env-file", required_argument, NULL, 'f' },
		{ "check-config", no_argument, NULL, 'n' },
		{ "socket", required_argument, NULL, 's' },
		{ "socket-mode", required_argument, NULL, 'M' },
		{ "children", required_argument, NULL, 'c' },
		{ "max-requests", required_argument, NULL, 'm' },
		{ "list-routes", no_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct app app;
	char errbuf[4096];
	const char *envfile = NULL, *sockpath = NULL;
	int64_t nchild = 0, maxreq = 10000, mode = 0660;
	int ch, check = 0, fd, rc;

	log_init("caravel-api");
	/*
	 * SQLite builds and frees temporary tables for the CHECK (x IN (...))
	 * lists of every write; with glibc's default trim threshold the freed
	 * top of the heap goes back to the kernel and the next request
	 * faults it in again (measured: 30k-100k page faults in 3 s of
	 * webhooks, a quarter of the throughput). Keep it. (It also freezes
	 * glibc's mmap threshold at 128 KiB: no response is built whole
	 * past 32 KiB, see LIST_BUFFER, so none is mapped per request.)
	 */
	(void)mallopt(M_TRIM_THRESHOLD, 64 << 20);
	while ((ch = getopt_long(argc, argv, "f:ns:c:m:", opts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			envfile = optarg;
			break;
		case 'n':
			check = 1;
			break;
		case 'L':
			return api_list_routes(stdout) == 0 ? 0 : 1;
		case 'h':
			usage(1);
			break;
		case 'V':
			printf("caravel-api %s\n", PACKAGE_VERSION);
			return 0;
		case 's':
			sockpath = optarg;
			break;
		case 'M':
			if ((mode = strtol(optarg, NULL, 8)) <= 0 || mode > 0777)
				usage(0);
			break;
		case 'c':
			if (parse_int64(optarg, 1, 256, &nchild) == -1)
				usage(0);
			break;
		case 'm':
			if (parse_int64(optarg, 0, INT32_MAX, &maxreq) == -1)
				usage(0);
			break;
		default:
			usage(0);
		}
	}
	if (optind != argc)
		usage(0);

	memset(&app, 0, sizeof(app));
	if (cfg_load(&app.cfg, envfile, errbuf, sizeof(errbuf)) == -1) {
		fprintf(stderr, "caravel-api: bad configuration:\n%s", errbuf);
		cfg_free(&app.cfg);
		return 1;
	}
	if (check) {
		cfg_print(&app.cfg, stdout);
		rc = cfg_require(&app.cfg, "caravel-api", cfg_api_needs,
		    cfg_api_needs_count, errbuf, sizeof(errbuf));
		if (rc == -1)
			fprintf(stderr, "caravel-api: incomplete configuration:"
			    "\n%s", errbuf);
		cfg_free(&app.cfg);
		return rc == -1 ? 1 : 0;
	}

	if (httpc_global_init() == -1) {
		log_warnx("cannot initialise libcurl");
		cfg_free(&app.cfg);
		return 1;
	}
	if (sockpath != NULL) {
		(void)unlink(sockpath);
		if ((fd = FCGX_OpenSocket(sockpath, 128)) < 0) {
			log_warn("%s: cannot listen", sockpath);
			cfg_free(&app.cfg);
			return 1;
		}
		if (chmod(sockpath, (mode_t)mode) == -1)
			log_warn("%s: chmod", sockpath);
		app.children = nchild > 0 ? (int)nchild : 2;
		rc = prefork(&app, fd, app.children, maxreq);
		(void)unlink(sockpath);
	} else if (FCGX_IsCGI())
		rc = http_serve_cgi(&app);
	else if (nchild > 0) {
		app.children = (int)nchild;
		rc = prefork(&app, 0, (int)nchild, maxreq);
	}
	else
		rc = http_serve_fcgi(&app, 0, 0);
	httpc_global_cleanup();
	app_release(&app);
	return rc == 0 ? 0 : 1;
}
