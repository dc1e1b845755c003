/* fcgi_record.c: FCGI_STDOUT records on a connection (fcgi_record.h). */
#include "config.h"

#include <sys/uio.h>

#include <errno.h>
#include <stdint.h>

#include "fcgi_record.h"

#define FCGI_VERSION_1 1
#define FCGI_STDOUT 6
#define FCGI_HEADER_LEN 8

int
fcgi_stdout_records(int fd, int request_id, const char *buf, size_t n)
{
	unsigned char h[FCGI_HEADER_LEN];
	struct iovec iov[2];
	size_t len, off, body;
	ssize_t w;

	while (n > 0) {
		len = n < FCGI_RECORD_MAX ? n : FCGI_RECORD_MAX;
		h[0] = FCGI_VERSION_1;
		h[1] = FCGI_STDOUT;
		h[2] = (unsigned char)(request_id >> 8);
		h[3] = (unsigned char)request_id;
		h[4] = (unsigned char)(len >> 8);
		h[5] = (unsigned char)len;
		h[6] = 0; /* no padding: it is optional (§3.3) */
		h[7] = 0;
		for (off = 0; off < sizeof(h) + len; off += (size_t)w) {
			body = off > sizeof(h) ? off - sizeof(h) : 0;
			iov[0].iov_base = h + (off < sizeof(h) ? off : sizeof(h));
			iov[0].iov_len = off < sizeof(h) ? sizeof(h) - off : 0;
			iov[1].iov_base = (char *)(uintptr_t)(buf + body);
			iov[1].iov_len = len - body;
			if ((w = writev(fd, iov, 2)) == -1 && errno == EINTR)
				w = 0;
			else if (w <= 0)
				return -1;
		}
		buf += len;
		n -= len;
	}
	return 0;
}
