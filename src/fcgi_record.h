/*
 * fcgi_record.h: FastCGI output records written straight to a request's
 * connection (FastCGI 1.0, §3.3 and §5.3), for answers longer than
 * libfcgi's 8 KiB stream buffer, which it sends one write(2) per 8 KiB.
 */
#ifndef CARAVEL_FCGI_RECORD_H
#define CARAVEL_FCGI_RECORD_H

#include <stddef.h>

#define FCGI_RECORD_MAX 65535 /* content bytes of one record */

/*
 * Write n bytes on fd as FCGI_STDOUT records of request_id, each at most
 * FCGI_RECORD_MAX long, header and content in one writev(2) (retried on
 * a short write or EINTR). The caller has flushed what libfcgi's stream
 * held. 0, or -1 with errno set: the stream is then broken off.
 */
int fcgi_stdout_records(int fd, int request_id, const char *, size_t n);

#endif
