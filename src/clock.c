/* clock.c: the one source of "now" (see core.h). */
#include "config.h"

#include <stdlib.h>
#include <time.h>

#include "core.h"

int64_t
clock_now(void)
{
	const char *pin;
	int64_t v;

	if ((pin = getenv("CARAVEL_TEST_NOW")) != NULL &&
	    parse_int64(pin, 0, INT64_MAX / 2, &v) == 0)
		return v;
	return (int64_t)time(NULL);
}

int64_t
clock_mono_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}
