/*
 * arena.c: a bump allocator per request and per job, so a long-lived
 * FastCGI process cannot leak what a handler forgot (see core.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

#define ABLOCK_MIN 4096

struct ablock {
	struct ablock *next;
	size_t size; /* usable bytes in data[] */
	size_t used;
	_Alignas(max_align_t) unsigned char data[];
};

/* n bytes, zeroed only if zero (a copy overwrites them anyway). */
static void *
arena_take(struct arena *a, size_t n, int zero)
{
	struct ablock *b;
	size_t align = _Alignof(max_align_t), off, size;

	if (n == 0)
		n = 1;
	if ((b = a->head) != NULL) {
		off = (b->used + align - 1) & ~(align - 1);
		if (off <= b->size && b->size - off >= n) {
			b->used = off + n;
			if (zero)
				memset(b->data + off, 0, n);
			return b->data + off;
		}
	}
	size = n > ABLOCK_MIN ? n : ABLOCK_MIN;
	if (size > SIZE_MAX - sizeof(*b))
		abort();
	b = zero ? xcalloc(1, sizeof(*b) + size) : xmalloc(sizeof(*b) + size);
	b->size = size;
	b->used = n;
	b->next = a->head;
	a->head = b;
	return b->data;
}

void *
arena_alloc(struct arena *a, size_t n)
{
	return arena_take(a, n, 1);
}

char *
arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p;

	p = arena_take(a, n + 1, 0);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

char *
arena_printf(struct arena *a, const char *fmt, ...)
{
	va_list ap;
	int n;
	char *p;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		abort();
	p = arena_alloc(a, (size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

/*
 * Room for one more element in an arena array v of n elements: returns v,
 * or a copy twice as large once *cap is reached.
 */
void *
arena_grow(struct arena *a, void *v, size_t n, size_t *cap, size_t size)
{
	void *nv;

	if (n < *cap)
		return v;
	*cap = *cap == 0 ? 16 : *cap * 2;
	if (*cap > SIZE_MAX / size)
		abort();
	nv = arena_alloc(a, *cap * size);
	if (n > 0)
		memcpy(nv, v, n * size);
	return nv;
}

void
arena_free(struct arena *a)
{
	struct ablock *b, *next;

	for (b = a->head; b != NULL; b = next) {
		next = b->next;
		free(b);
	}
	a->head = NULL;
}

void
arena_clear(struct arena *a)
{
	struct ablock *keep = a->head;

	if (keep == NULL)
		return;
	a->head = keep->next;
	arena_free(a);
	keep->next = NULL;
	keep->used = 0;
	a->head = keep;
}
