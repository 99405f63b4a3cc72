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

#endif
