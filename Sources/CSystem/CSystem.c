#define _GNU_SOURCE
#include <sys/socket.h>
#include <sched.h>
#include <errno.h>
#include <time.h>
#include <stdatomic.h>
#include "CSystem.h"

int csystem_deflate_init_gzip(z_stream *stream, int level) {
    return deflateInit2(stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
}

int csystem_inflate_init_auto(z_stream *stream) {
    return inflateInit2(stream, 15 + 32);
}

int csystem_accept_nonblocking(int fd) {
    return accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

int csystem_affinity_processor_count(void) {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof(set), &set) != 0) return 0;
    return CPU_COUNT(&set);
}

int csystem_epoll_wait_ns(int epfd, struct epoll_event *events, int max_events, long long timeout_ns) {
    // -1 once this kernel turned out to lack it (ENOSYS); loops that try at once all get
    // the same answer.
    static _Atomic int pwait2 = 0;
    if (atomic_load_explicit(&pwait2, memory_order_relaxed) >= 0) {
        struct timespec timeout = { (time_t)(timeout_ns / 1000000000LL), (long)(timeout_ns % 1000000000LL) };
        int count = epoll_pwait2(epfd, events, max_events, timeout_ns < 0 ? NULL : &timeout, NULL);
        if (count >= 0 || errno != ENOSYS) {
            return count;
        }
        atomic_store_explicit(&pwait2, -1, memory_order_relaxed);
    }
    long long ms = timeout_ns < 0 ? -1 : (timeout_ns + 999999LL) / 1000000LL;
    return epoll_wait(epfd, events, max_events, ms > 0x7fffffff ? 0x7fffffff : (int)ms);
}
