/*
 * streamload: the slow upstream and the load client of the proxied-concurrency benchmark
 * (bench tooling only; built by Benchmarks/run.sh with the system C compiler).
 *
 * Why C: with 9,000 streams opened at 2,000/s, the asyncio client and upstream this
 * replaces kept the harness core ~90 % busy and fell up to 0.25 s behind their own
 * schedule, so the figure measured Python's event loop as much as the server. One epoll
 * loop in C costs a few microseconds per event, and leaves the tails to the server.
 *
 *   streamload upstream --port P [--chunks 12] [--interval 1]
 *     An OpenAI-compatible upstream: every POST (any path) gets a chunked
 *     text/event-stream of `chat.completion.chunk` events "w0 ", "w1 ", ... on a fixed
 *     schedule from the request (the first at once), then `data: [DONE]`. Keep-alive.
 *     Prints "listening" when ready.
 *
 *   streamload client --port P --kind direct|runnel|litellm --streams N [--rate 2000]
 *                     [--chunks 12] [--interval 1] [--pid PID]
 *     Opens N streams at `rate` per second, evenly spaced. `runnel` posts to
 *     /api/message (backend openai) and reads runnel's events; `direct` and `litellm`
 *     post to /v1/chat/completions and read OpenAI chunks. Each stream must deliver
 *     exactly "w0 w1 ... " in order and end cleanly. With --pid it samples that process
 *     (RSS, threads, fds) before, with 5 % of the streams started, and once 99 % are open.
 *     Prints one line per figure, for Benchmarks/proxied_streams.py:
 *       before rss=KiB threads=T        early threads=T
 *       sample open=N rss=KiB threads=T fds=F
 *       lag SECONDS                      (how far the latest start fell behind schedule)
 *       ok INDEX FIRST PAST              (first chunk after connect; duration - nominal)
 *       err INDEX REASON
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* --- shared --------------------------------------------------------------------------- */

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *format, ...) {
    va_list args;
    va_start(args, format);
    fprintf(stderr, "streamload: ");
    vfprintf(stderr, format, args);
    fprintf(stderr, "\n");
    va_end(args);
    exit(2);
}

static void raise_nofile(void) {
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
    }
}

/* epoll's timeout in ms for a wait until `due` (rounded up, so the loop never spins). */
static int timeout_until(double due) {
    double wait = due - now_s();
    return wait <= 0 ? 0 : (int)ceil(wait * 1000);
}

/* A growable byte buffer: `start` bytes at the front are consumed, not yet moved. */
typedef struct {
    char *data;
    size_t start, length, capacity;
} Bytes;

static void bytes_append(Bytes *b, const char *data, size_t count) {
    if (b->start && b->start == b->length) b->start = b->length = 0;
    if (b->length + count > b->capacity) {
        if (b->start) {
            memmove(b->data, b->data + b->start, b->length - b->start);
            b->length -= b->start;
            b->start = 0;
        }
        if (b->length + count > b->capacity) {
            b->capacity = (b->length + count) * 2 + 256;
            b->data = realloc(b->data, b->capacity);
            if (!b->data) die("out of memory");
        }
    }
    memcpy(b->data + b->length, data, count);
    b->length += count;
}

static void bytes_free(Bytes *b) {
    free(b->data);
    memset(b, 0, sizeof *b);
}

static char *bytes_find(Bytes *b, const char *needle) {
    return memmem(b->data + b->start, b->length - b->start, needle, strlen(needle));
}

static int arg_int(int argc, char **argv, const char *name, int fallback) {
    for (int i = 2; i + 1 < argc; i++)
        if (!strcmp(argv[i], name)) return atoi(argv[i + 1]);
    return fallback;
}

static double arg_double(int argc, char **argv, const char *name, double fallback) {
    for (int i = 2; i + 1 < argc; i++)
        if (!strcmp(argv[i], name)) return atof(argv[i + 1]);
    return fallback;
}

static const char *arg_string(int argc, char **argv, const char *name, const char *fallback) {
    for (int i = 2; i + 1 < argc; i++)
        if (!strcmp(argv[i], name)) return argv[i + 1];
    return fallback;
}

static void add_watch(int epoll, int fd, unsigned events, unsigned long key) {
    struct epoll_event event = {.events = events, .data.u64 = key};
    if (epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event) < 0) die("epoll_ctl: %s", strerror(errno));
}

static void change_watch(int epoll, int fd, unsigned events, unsigned long key) {
    struct epoll_event event = {.events = events, .data.u64 = key};
    epoll_ctl(epoll, EPOLL_CTL_MOD, fd, &event);
}

/* --- upstream ------------------------------------------------------------------------- */

typedef struct {
    int fd;          /* -1 when the slot is free */
    unsigned generation;
    Bytes in, out;
    int streaming;   /* answering a request: the next event is `next` */
    int next;
    double began;
} Peer;

typedef struct {
    double due;
    int fd;
    unsigned generation;
} Timer;

static Peer *peers;
static int peer_slots;
static Timer *timers;
static size_t timer_count, timer_capacity;
static char **events;     /* chunk-encoded event i; events[chunks] is [DONE] and the last chunk */
static size_t *event_lengths;

static void timer_push(Timer timer) {
    if (timer_count == timer_capacity) {
        timer_capacity = timer_capacity ? timer_capacity * 2 : 1024;
        timers = realloc(timers, timer_capacity * sizeof *timers);
    }
    size_t i = timer_count++;
    while (i && timers[(i - 1) / 2].due > timer.due) {
        timers[i] = timers[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    timers[i] = timer;
}

static Timer timer_pop(void) {
    Timer top = timers[0], last = timers[--timer_count];
    size_t i = 0;
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= timer_count) break;
        if (child + 1 < timer_count && timers[child + 1].due < timers[child].due) child++;
        if (timers[child].due >= last.due) break;
        timers[i] = timers[child];
        i = child;
    }
    if (timer_count) timers[i] = last;
    return top;
}

static void peer_close(int epoll, Peer *peer) {
    epoll_ctl(epoll, EPOLL_CTL_DEL, peer->fd, NULL);
    close(peer->fd);
    peer->fd = -1;
    peer->generation++;
    peer->streaming = 0;
    bytes_free(&peer->in);
    bytes_free(&peer->out);
}

/* Writes what it can now; the rest waits in `out` for EPOLLOUT. Returns -1 on a dead peer. */
static int peer_send(int epoll, Peer *peer, const char *data, size_t count) {
    if (peer->out.length == peer->out.start) {
        ssize_t sent = send(peer->fd, data, count, MSG_NOSIGNAL);
        if (sent < 0 && errno != EAGAIN) return -1;
        if (sent < 0) sent = 0;
        data += sent;
        count -= (size_t)sent;
        if (!count) return 0;
        change_watch(epoll, peer->fd, EPOLLIN | EPOLLOUT, (unsigned long)peer->fd);
    }
    bytes_append(&peer->out, data, count);
    return 0;
}

static int peer_flush(int epoll, Peer *peer) {
    while (peer->out.start < peer->out.length) {
        ssize_t sent = send(peer->fd, peer->out.data + peer->out.start, peer->out.length - peer->out.start, MSG_NOSIGNAL);
        if (sent < 0) return errno == EAGAIN ? 0 : -1;
        peer->out.start += (size_t)sent;
    }
    peer->out.start = peer->out.length = 0;
    change_watch(epoll, peer->fd, EPOLLIN, (unsigned long)peer->fd);
    return 0;
}

/* Starts answering the next whole request in `in`, if there is one. */
static int peer_take_request(int epoll, Peer *peer, int chunks, double interval) {
    if (peer->streaming) return 0;
    char *end = bytes_find(&peer->in, "\r\n\r\n");
    if (!end) return 0;
    char *head = peer->in.data + peer->in.start;
    size_t head_length = (size_t)(end - head) + 4, body = 0;
    for (char *line = head; line < end; line++) {
        if ((line == head || line[-1] == '\n') && !strncasecmp(line, "content-length:", 15))
            body = strtoul(line + 15, NULL, 10);
    }
    if (peer->in.length - peer->in.start < head_length + body) return 0;
    peer->in.start += head_length + body;
    static const char response[] =
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";
    if (peer_send(epoll, peer, response, sizeof response - 1) < 0) return -1;
    if (peer_send(epoll, peer, events[0], event_lengths[0]) < 0) return -1;
    peer->began = now_s();
    peer->next = 1;
    peer->streaming = 1;
    if (chunks == 1) {
        peer->streaming = 0;
        return peer_send(epoll, peer, events[1], event_lengths[1]);
    }
    timer_push((Timer){peer->began + interval, peer->fd, peer->generation});
    return 0;
}

static void make_events(int chunks) {
    events = calloc((size_t)chunks + 1, sizeof *events);
    event_lengths = calloc((size_t)chunks + 1, sizeof *event_lengths);
    char data[512];
    for (int i = 0; i <= chunks; i++) {
        int length = i < chunks
            ? snprintf(data, sizeof data,
                       "data: {\"id\": \"bench\", \"object\": \"chat.completion.chunk\", \"model\": \"slow-1\", "
                       "\"choices\": [{\"index\": 0, \"delta\": {\"content\": \"w%d \"}, \"finish_reason\": %s}]}\n\n",
                       i, i == chunks - 1 ? "\"stop\"" : "null")
            : snprintf(data, sizeof data, "data: [DONE]\n\n");
        events[i] = malloc(600);
        event_lengths[i] = (size_t)snprintf(events[i], 600, "%x\r\n%s\r\n%s", length, data, i < chunks ? "" : "0\r\n\r\n");
    }
}

static _Noreturn void run_upstream(int argc, char **argv) {
    int port = arg_int(argc, argv, "--port", 0), chunks = arg_int(argc, argv, "--chunks", 12);
    double interval = arg_double(argc, argv, "--interval", 1.0);
    if (!port || chunks < 1) die("usage: streamload upstream --port P [--chunks 12] [--interval 1]");
    raise_nofile();
    make_events(chunks);
    struct rlimit limit;
    getrlimit(RLIMIT_NOFILE, &limit);
    peer_slots = (int)limit.rlim_cur;
    peers = calloc((size_t)peer_slots, sizeof *peers);
    for (int i = 0; i < peer_slots; i++) peers[i].fd = -1;

    int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(listener, (struct sockaddr *)&address, sizeof address) < 0) die("bind %d: %s", port, strerror(errno));
    if (listen(listener, 4096) < 0) die("listen: %s", strerror(errno));
    int epoll = epoll_create1(0);
    add_watch(epoll, listener, EPOLLIN, (unsigned long)-1);
    printf("listening\n");
    fflush(stdout);

    struct epoll_event ready[256];
    static char buffer[65536];
    for (;;) {
        int count = epoll_wait(epoll, ready, 256, timer_count ? timeout_until(timers[0].due) : -1);
        for (int i = 0; i < count; i++) {
            if (ready[i].data.u64 == (unsigned long)-1) {
                int fd;
                while ((fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                    if (fd >= peer_slots) { close(fd); continue; }
                    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    peers[fd].fd = fd;
                    add_watch(epoll, fd, EPOLLIN, (unsigned long)fd);
                }
                continue;
            }
            Peer *peer = &peers[ready[i].data.u64];
            if (peer->fd < 0) continue;
            if ((ready[i].events & EPOLLOUT) && peer_flush(epoll, peer) < 0) { peer_close(epoll, peer); continue; }
            if (ready[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
                ssize_t got;
                while ((got = recv(peer->fd, buffer, sizeof buffer, 0)) > 0) bytes_append(&peer->in, buffer, (size_t)got);
                if (got == 0 || (got < 0 && errno != EAGAIN)) { peer_close(epoll, peer); continue; }
                if (peer_take_request(epoll, peer, chunks, interval) < 0) peer_close(epoll, peer);
            }
        }
        double now = now_s();
        while (timer_count && timers[0].due <= now) {
            Timer timer = timer_pop();
            Peer *peer = &peers[timer.fd];
            if (peer->fd < 0 || peer->generation != timer.generation || !peer->streaming) continue;
            int index = peer->next++, last = index == chunks - 1;
            if (peer_send(epoll, peer, events[index], event_lengths[index]) < 0
                || (last && peer_send(epoll, peer, events[chunks], event_lengths[chunks]) < 0)) {
                peer_close(epoll, peer);
                continue;
            }
            if (!last) {
                /* On a fixed schedule from the request: a late wake-up does not delay the rest. */
                timer_push((Timer){peer->began + peer->next * interval, peer->fd, peer->generation});
            } else {
                peer->streaming = 0;
                if (peer_take_request(epoll, peer, chunks, interval) < 0) peer_close(epoll, peer);
            }
        }
    }
}

/* --- client --------------------------------------------------------------------------- */

enum Kind { DIRECT, RUNNEL, LITELLM };

typedef struct {
    int fd;
    int state;          /* 0 waiting, 1 connecting, 2 head, 3 body, 4 finished */
    int status, chunked, counted_open;
    long chunk_left;    /* body bytes left in this chunk; -1 reading a size line; -2 its CRLF */
    double started, first;
    size_t matched;     /* bytes of the expected text seen so far */
    Bytes raw, sse;
} Stream;

static Stream *streams;
static int stream_count, kind, finished, open_now, failures;
static char expected[4096];
static size_t expected_length;
static double nominal;

static void finish(int epoll, Stream *stream, const char *error) {
    if (stream->state == 4) return;
    if (stream->counted_open) open_now--;
    if (stream->fd >= 0) {
        epoll_ctl(epoll, EPOLL_CTL_DEL, stream->fd, NULL);
        close(stream->fd);
        stream->fd = -1;
    }
    stream->state = 4;
    finished++;
    int index = (int)(stream - streams);
    if (error) {
        failures++;
        printf("err %d %s\n", index, error);
    } else {
        printf("ok %d %.6f %.6f\n", index, stream->first, now_s() - stream->started - nominal);
    }
    bytes_free(&stream->raw);
    bytes_free(&stream->sse);
}

/* The JSON string value after `"name"` in `data` (no escapes expected in this text), or NULL. */
static const char *string_field(const char *data, size_t length, const char *name, size_t *value_length) {
    char key[64];
    snprintf(key, sizeof key, "\"%s\"", name);
    const char *at = memmem(data, length, key, strlen(key)), *end = data + length;
    if (!at) return NULL;
    at += strlen(key);
    while (at < end && (*at == ' ' || *at == ':')) at++;
    if (at >= end || *at != '"') return NULL;
    at++;
    const char *close = memchr(at, '"', (size_t)(end - at));
    if (!close) return NULL;
    *value_length = (size_t)(close - at);
    return at;
}

/* One `data:` line. Returns an error, "" once the stream ended cleanly, or NULL to go on. */
static const char *on_data(Stream *stream, const char *data, size_t length) {
    const char *piece = NULL;
    size_t piece_length = 0;
    if (kind == RUNNEL) {
        if (memmem(data, length, "\"error\":{", 9)) return "error event";
        if (memmem(data, length, "\"end\":true", 10))
            return stream->matched == expected_length ? "" : "incomplete or out of order";
        piece = string_field(data, length, "chunk", &piece_length);
    } else {
        if (length == 6 && !memcmp(data, "[DONE]", 6))
            return stream->matched == expected_length ? "" : "incomplete or out of order";
        piece = string_field(data, length, "content", &piece_length);
    }
    if (!piece || !piece_length) return NULL;
    if (stream->matched + piece_length > expected_length
        || memcmp(expected + stream->matched, piece, piece_length)) return "incomplete or out of order";
    if (!stream->matched) stream->first = now_s() - stream->started;
    stream->matched += piece_length;
    return NULL;
}

/* Body bytes (de-chunked) into SSE events. */
static const char *on_body(Stream *stream, const char *data, size_t length) {
    bytes_append(&stream->sse, data, length);
    char *end;
    while ((end = bytes_find(&stream->sse, "\n\n"))) {
        char *event = stream->sse.data + stream->sse.start;
        stream->sse.start = (size_t)(end - stream->sse.data) + 2;
        for (char *line = event; line < end;) {
            char *newline = memchr(line, '\n', (size_t)(end - line));
            char *line_end = newline ? newline : end;
            if (line_end - line >= 6 && !memcmp(line, "data: ", 6)) {
                const char *outcome = on_data(stream, line + 6, (size_t)(line_end - line - 6));
                if (outcome) return outcome;
            }
            line = line_end + 1;
        }
    }
    return NULL;
}

/* Response bytes: the head, then the body, de-chunked when it is chunked. */
static const char *on_bytes(Stream *stream, const char *data, size_t length) {
    if (stream->state == 2) {
        bytes_append(&stream->raw, data, length);
        char *end = bytes_find(&stream->raw, "\r\n\r\n");
        if (!end) return NULL;
        char *head = stream->raw.data + stream->raw.start;
        *end = 0;
        stream->status = atoi(head + 9);
        static char reason[32];
        if (stream->status != 200) {
            snprintf(reason, sizeof reason, "HTTP %d", stream->status);
            return reason;
        }
        stream->chunked = strcasestr(head, "\r\ntransfer-encoding: chunked") != NULL;
        stream->chunk_left = -1;
        stream->state = 3;
        stream->counted_open = 1;
        open_now++;
        size_t rest_at = (size_t)(end - stream->raw.data) + 4, rest = stream->raw.length - rest_at;
        char *copy = malloc(rest + 1);
        memcpy(copy, stream->raw.data + rest_at, rest);
        bytes_free(&stream->raw);
        const char *outcome = rest ? on_bytes(stream, copy, rest) : NULL;
        free(copy);
        return outcome;
    }
    if (!stream->chunked) return on_body(stream, data, length);
    while (length) {
        if (stream->chunk_left > 0) {
            size_t take = length < (size_t)stream->chunk_left ? length : (size_t)stream->chunk_left;
            const char *outcome = on_body(stream, data, take);
            if (outcome) return outcome;
            data += take;
            length -= take;
            stream->chunk_left -= (long)take;
            if (!stream->chunk_left) stream->chunk_left = -2;
            continue;
        }
        /* A size line or the CRLF after a chunk's data: gathered in `raw` up to its CRLF. */
        const char *newline = memchr(data, '\n', length);
        size_t take = newline ? (size_t)(newline - data) + 1 : length;
        bytes_append(&stream->raw, data, take);
        data += take;
        length -= take;
        if (!newline) continue;
        if (stream->chunk_left == -1) {
            long size = strtol(stream->raw.data + stream->raw.start, NULL, 16);
            if (size == 0) return stream->matched == expected_length ? "no end event" : "incomplete or out of order";
            stream->chunk_left = size;
        } else {
            stream->chunk_left = -1;
        }
        stream->raw.start = stream->raw.length = 0;
    }
    return NULL;
}

static void request_for(int index, char *out, size_t capacity, size_t *length) {
    char body[512];
    int body_length;
    const char *path;
    if (kind == RUNNEL) {
        path = "/api/message";
        body_length = snprintf(body, sizeof body,
                               "{\"message\": \"stream %d\", \"backend\": \"openai\", \"conversation_id\": \"p%d\"}", index, index);
    } else {
        path = "/v1/chat/completions";
        body_length = snprintf(body, sizeof body,
                               "{\"model\": \"slow-1\", \"stream\": true, \"messages\": [{\"role\": \"user\", \"content\": \"stream %d\"}]}", index);
    }
    *length = (size_t)snprintf(out, capacity,
                               "POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n%sContent-Length: %d\r\n\r\n%s",
                               path, kind == LITELLM ? "Authorization: Bearer sk-bench\r\n" : "", body_length, body);
}

static long proc_field(int pid, const char *field) {
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", pid);
    FILE *file = fopen(path, "r");
    long value = -1;
    if (!file) return -1;
    while (fgets(line, sizeof line, file))
        if (!strncmp(line, field, strlen(field)) && line[strlen(field)] == ':') value = atol(line + strlen(field) + 1);
    fclose(file);
    return value;
}

static int fd_count(int pid) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/fd", pid);
    DIR *dir = opendir(path);
    int count = 0;
    if (!dir) return -1;
    for (struct dirent *entry; (entry = readdir(dir));) count += entry->d_name[0] != '.';
    closedir(dir);
    return count;
}

static int run_client(int argc, char **argv) {
    int port = arg_int(argc, argv, "--port", 0), pid = arg_int(argc, argv, "--pid", 0);
    int chunks = arg_int(argc, argv, "--chunks", 12);
    stream_count = arg_int(argc, argv, "--streams", 0);
    double rate = arg_double(argc, argv, "--rate", 2000), interval = arg_double(argc, argv, "--interval", 1.0);
    const char *kind_name = arg_string(argc, argv, "--kind", "");
    kind = !strcmp(kind_name, "runnel") ? RUNNEL : !strcmp(kind_name, "litellm") ? LITELLM : DIRECT;
    if (!port || stream_count < 1 || rate <= 0 || (kind == DIRECT && strcmp(kind_name, "direct")))
        die("usage: streamload client --port P --kind direct|runnel|litellm --streams N [--rate R] [--chunks C] [--interval S] [--pid PID]");
    raise_nofile();
    nominal = (chunks - 1) * interval;
    for (int i = 0; i < chunks && expected_length < sizeof expected - 16; i++)
        expected_length += (size_t)snprintf(expected + expected_length, sizeof expected - expected_length, "w%d ", i);
    double timeout = nominal + 60;
    streams = calloc((size_t)stream_count, sizeof *streams);
    for (int i = 0; i < stream_count; i++) streams[i].fd = -1;
    if (pid) printf("before rss=%ld threads=%ld\n", proc_field(pid, "VmRSS"), proc_field(pid, "Threads"));

    int epoll = epoll_create1(0), started = 0, sampled = 0, one = 1;
    double began = now_s(), lag = 0, next_scan = began + 1, sample_at = 0;
    struct epoll_event ready[512];
    static char buffer[65536];
    char request[1024];
    size_t request_length;
    while (finished < stream_count) {
        double now = now_s();
        for (; started < stream_count && began + started / rate <= now; started++) {
            double due = began + started / rate;
            if (now - due > lag) lag = now - due;
            if (pid && started == stream_count / 20) printf("early threads=%ld\n", proc_field(pid, "Threads"));
            Stream *stream = &streams[started];
            stream->started = now_s();  /* the stream's own connect: accept delays count */
            stream->state = 1;
            stream->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
            if (stream->fd < 0) { finish(epoll, stream, strerrorname_np(errno)); continue; }
            setsockopt(stream->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
            struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
            address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            if (connect(stream->fd, (struct sockaddr *)&address, sizeof address) < 0 && errno != EINPROGRESS) {
                finish(epoll, stream, strerrorname_np(errno));
                continue;
            }
            add_watch(epoll, stream->fd, EPOLLOUT | EPOLLIN, (unsigned long)started);
            now = now_s();
        }
        /* Sample the server once 99 % of the streams are open (or failed), half a second on;
           a server that cannot open them all is sampled 5 s after the last start. */
        if (pid && !sampled && !sample_at && started == stream_count
            && (open_now + failures >= stream_count * 0.99 || now >= began + stream_count / rate + 5))
            sample_at = now + 0.5;
        if (sample_at && !sampled && now >= sample_at) {
            printf("sample open=%d rss=%ld threads=%ld fds=%d\n", open_now, proc_field(pid, "VmRSS"),
                   proc_field(pid, "Threads"), fd_count(pid));
            sampled = 1;
        }
        if (now >= next_scan) {
            for (int i = 0; i < started; i++)
                if (streams[i].state != 4 && now - streams[i].started > timeout) finish(epoll, &streams[i], "timeout");
            next_scan = now + 1;
        }
        double wake = next_scan;
        if (started < stream_count && began + started / rate < wake) wake = began + started / rate;
        if (sample_at && !sampled && sample_at < wake) wake = sample_at;
        if (pid && !sampled && !sample_at && started == stream_count && now + 0.1 < wake) wake = now + 0.1;
        int count = epoll_wait(epoll, ready, 512, timeout_until(wake));
        for (int i = 0; i < count; i++) {
            Stream *stream = &streams[ready[i].data.u64];
            if (stream->state == 4) continue;
            if (stream->state == 1) {
                int error = 0;
                socklen_t size = sizeof error;
                getsockopt(stream->fd, SOL_SOCKET, SO_ERROR, &error, &size);
                if (error) { finish(epoll, stream, strerrorname_np(error)); continue; }
                request_for((int)ready[i].data.u64, request, sizeof request, &request_length);
                if (send(stream->fd, request, request_length, MSG_NOSIGNAL) != (ssize_t)request_length) {
                    finish(epoll, stream, "short send");
                    continue;
                }
                stream->state = 2;
                change_watch(epoll, stream->fd, EPOLLIN, ready[i].data.u64);
                continue;
            }
            ssize_t got;
            const char *outcome = NULL;
            while (!outcome && (got = recv(stream->fd, buffer, sizeof buffer, 0)) > 0)
                outcome = on_bytes(stream, buffer, (size_t)got);
            if (outcome) finish(epoll, stream, *outcome ? outcome : NULL);
            else if (got == 0) finish(epoll, stream, stream->state == 2 ? "closed before a head" : "closed before the end");
            else if (errno != EAGAIN) finish(epoll, stream, strerrorname_np(errno));
        }
    }
    printf("lag %.6f\n", lag);
    return failures ? 1 : 0;
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOFBF, 1 << 20);  /* one write at exit: no syscall per stream mid-run */
    if (argc > 1 && !strcmp(argv[1], "upstream")) run_upstream(argc, argv);
    if (argc > 1 && !strcmp(argv[1], "client")) return run_client(argc, argv);
    die("usage: streamload upstream|client ... (see the comment at the top of Benchmarks/streamload.c)");
}
