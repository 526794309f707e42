/* regscan-analyze - the sandboxed child of the index stage (DESIGN.md §7):
 * reads one layer's compressed bytes from stdin, analyses them under
 * seccomp and resource limits, writes the rs_layer_result to stdout (its
 * stream form, rs_layer_result_write_stream),
 * or one error line to stderr and exits with the error's code (-rs_err).
 * Started by rs_sandbox_analyze with an empty environment and only its
 * three pipes; not meant to be run by hand (but it can: `< layer.tar.gz`). */
#include "analyze.h"
#include "base.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef RS_ASAN
/* ASan's own handlers would turn a crash into an exit status and need
 * system calls the filter forbids: let signals end the child as they do in
 * a build without it. The leak check at exit needs ptrace: the child exits
 * with _exit anyway. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "handle_segv=0:handle_abort=0:handle_sigbus=0:handle_sigill=0:handle_sigfpe=0:"
           "detect_leaks=0";
}
#endif

struct fd_reader {
    rs_reader base;
};

static ssize_t fd_read(rs_reader *r, void *buf, size_t n, char *errstr, size_t errsz)
{
    (void)r;
    for (;;) {
        ssize_t got = read(0, buf, n);
        if (got >= 0)
            return got;
        if (errno != EINTR)
            return rs_errf(errstr, errsz, RS_ERR_INTERNAL, "cannot read the layer: %s",
                           strerror(errno));
    }
}

static void fd_destroy(rs_reader *r)
{
    (void)r;
}

static int write_all(int fd, const char *s, size_t n)
{
    while (n) {
        ssize_t w = write(fd, s, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        s += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Writes "regscan-analyze: <err>\n" and ends with the error's code. */
static void fail(int rc, const char *err)
{
    char line[1100];
    int n = snprintf(line, sizeof line, "regscan-analyze: %s\n", err);
    if (n > 0)
        write_all(2, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
    _exit(rc < 0 && rc > -64 ? -rc : 1);
}

/* The result goes out in its stream form (index.h) through a 64 KiB buffer:
 * one line's JSON tree at a time beside the result, never a whole copy. */
struct out_buf {
    char data[65536];
    size_t len;
};

static int out_write(const char *buf, size_t n, void *ctx)
{
    struct out_buf *o = ctx;
    if (o->len + n > sizeof o->data) {
        if (write_all(1, o->data, o->len))
            return -1;
        o->len = 0;
        if (n > sizeof o->data)
            return write_all(1, buf, n);
    }
    memcpy(o->data + o->len, buf, n);
    o->len += n;
    return 0;
}

static int emit(const rs_layer_result *res)
{
    static struct out_buf o;
    if (rs_layer_result_write_stream(res, out_write, &o))
        return -1;
    return write_all(1, o.data, o.len);
}

int main(int argc, char **argv)
{
    char err[1024];
    rs_analyze_args a;
    const rs_analyzer **list = NULL;
    int rc = rs_analyze_parse_args(argc, argv, &a, err, sizeof err);
    if (rc == 0)
        rc = rs_analyze_analyzers(a.names, &list, err, sizeof err);
    if (rc)
        fail(rc, err);
    a.limits.analyzers = list;
    /* local time is UTC, set now: libarchive's zip reader calls mktime, whose first tzset
     * would open /etc/localtime under the filter; a TZ string opens no file */
    setenv("TZ", "UTC0", 1);
    tzset();
    if ((rc = rs_analyze_warmup(&a.limits, err, sizeof err)) ||
        (rc = rs_analyze_confine(a.memory_bytes, a.cpu_s, err, sizeof err)))
        fail(rc, err);
    if (a.image.max_bytes || a.image.max_packages)
        a.limits.image = &a.image; /* after the warm-up, which must not use it */
    /* from here on: reads of fd 0, writes to 1 and 2, memory, exit */
    struct fd_reader in = {{fd_read, fd_destroy}};
    rs_layer_result *res = NULL;
    rc = rs_layer_analyze(&in.base, a.media_type, &a.limits, &res, err, sizeof err);
    if (rc)
        fail(rc, err);
    if (emit(res))
        fail(RS_ERR_INTERNAL, "cannot write the result");
    _exit(0); /* nothing to tear down: the process ends */
}
