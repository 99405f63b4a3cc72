#ifndef CSYSTEM_H
#define CSYSTEM_H

// The Linux and zlib surface Swift cannot reach through Glibc: Glibc does not export
// epoll, inotify or eventfd, and zlib's init functions are macros Swift cannot call.

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <zlib.h>

/// deflateInit2 for gzip output (windowBits 15 + 16), at `level`.
int csystem_deflate_init_gzip(z_stream *stream, int level);

/// inflateInit2 accepting gzip or zlib headers (windowBits 15 + 32).
int csystem_inflate_init_auto(z_stream *stream);

/// accept4 with SOCK_NONBLOCK | SOCK_CLOEXEC (accept4 needs _GNU_SOURCE, which Swift's Glibc lacks).
int csystem_accept_nonblocking(int fd);

/// Processors in this process's CPU affinity mask (sched_getaffinity needs _GNU_SOURCE); 0 if unknown.
int csystem_affinity_processor_count(void);

/// epoll_wait with a timeout in nanoseconds (negative: none), through epoll_pwait2 so a
/// timer fires on time instead of on the next whole millisecond; on a kernel without it
/// (before 5.11), epoll_wait with the timeout rounded up to milliseconds.
int csystem_epoll_wait_ns(int epfd, struct epoll_event *events, int max_events, long long timeout_ns);

#endif
