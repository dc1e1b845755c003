/*
 * log.c: one line per event on stderr ("prog: warning: text"), which cron
 * mail, journald and nginx's error log all capture. Never pass secrets.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core.h"

static const char *log_prog = "caravel";
static int log_debug_on;

void
log_init(const char *prog)
{
	log_prog = prog;
}

void
log_set_debug(int on)
{
	log_debug_on = on;
}

static void log_vline(const char *, const char *, va_list, const char *)
    __attribute__((format(printf, 2, 0)));

static void
log_vline(const char *level, const char *fmt, va_list ap, const char *err)
{
	char buf[1024];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	if (err != NULL)
		fprintf(stderr, "%s: %s%s: %s\n", log_prog, level, buf, err);
	else
		fprintf(stderr, "%s: %s%s\n", log_prog, level, buf);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vline("", fmt, ap, NULL);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vline("warning: ", fmt, ap, NULL);
	va_end(ap);
}

/* Like log_warnx, with strerror(errno) appended. */
void
log_warn(const char *fmt, ...)
{
	va_list ap;
	int e = errno;

	va_start(ap, fmt);
	log_vline("warning: ", fmt, ap, strerror(e));
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (!log_debug_on)
		return;
	va_start(ap, fmt);
	log_vline("debug: ", fmt, ap, NULL);
	va_end(ap);
}
