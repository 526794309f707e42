/* sandbox.c - the parent side of the sandbox (DESIGN.md §7): each layer's
 * compressed bytes, read through the caller's verifying reader, are written
 * into the stdin of a `regscan-analyze` child started with an empty
 * environment and no descriptor but its three pipes; its stdout (the result
 * in its stream form, decoded line by line as it arrives, its bytes bounded)
 * and stderr (one error line, bounded) come back here. A
 * wall-clock deadline bounds the child. The child confines itself
 * (analyze/confine.c); this file neither parses layers nor confines. */
#include "scan.h"
#include "base.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SANDBOX_BLOCK ((size_t)1 << 20) /* bytes per write into the child */
#define SANDBOX_ERR_MAX 1024            /* bytes of the child's error line kept */

/* Reads the unsigned setting `name` into *out when set; 0 or RS_ERR_CONFIG. */
static int env_uint(const char *name, uint64_t min, uint64_t max, uint64_t *out, char *errstr,
                    size_t errsz)
{
    const char *v = getenv(name);
    if (!v || !*v)
        return 0;
    char *end = NULL;
    errno = 0;
    unsigned long long n = *v >= '0' && *v <= '9' ? strtoull(v, &end, 10) : 0;
    if (!end || *end || errno || n < min || n > max)
        return rs_errf(errstr, errsz, RS_ERR_CONFIG,
                       "invalid %s '%.40s': a whole number from %llu to %llu", name, v,
                       (unsigned long long)min, (unsigned long long)max);
    *out = n;
    return 0;
}

static int env_bool(const char *name, int *out, char *errstr, size_t errsz)
{
    const char *v = getenv(name);
    if (!v || !*v)
        return 0;
    if (!strcmp(v, "1") || !strcmp(v, "on") || !strcmp(v, "true"))
        *out = 1;
    else if (!strcmp(v, "0") || !strcmp(v, "off") || !strcmp(v, "false"))
        *out = 0;
    else
        return rs_errf(errstr, errsz, RS_ERR_CONFIG, "invalid %s '%.40s': on or off", name, v);
    return 0;
}

int rs_sandbox_opts_env(rs_sandbox_opts *o, char *errstr, size_t errsz)
{
    memset(o, 0, sizeof *o);
    o->enabled = 1;
    uint64_t mem = 1024, cpu = 300, timeout = 1800, result = 64;
    const char *bin = getenv("REGSCAN_ANALYZE_BIN");
    int rc = env_bool("REGSCAN_SANDBOX", &o->enabled, o->env_error, sizeof o->env_error);
    if (!rc)
        rc = env_uint("REGSCAN_SANDBOX_MEMORY", 64, 1 << 20, &mem, o->env_error,
                      sizeof o->env_error);
    if (!rc)
        rc = env_uint("REGSCAN_SANDBOX_CPU", 1, 86400, &cpu, o->env_error, sizeof o->env_error);
    if (!rc)
        rc = env_uint("REGSCAN_SANDBOX_TIMEOUT", 1, 86400, &timeout, o->env_error,
                      sizeof o->env_error);
    if (!rc)
        rc = env_uint("REGSCAN_SANDBOX_MAX_RESULT", 1, 4096, &result, o->env_error,
                      sizeof o->env_error);
    if (!rc && bin && strlen(bin) >= sizeof o->bin)
        rc = rs_errf(o->env_error, sizeof o->env_error, RS_ERR_CONFIG,
                     "REGSCAN_ANALYZE_BIN is longer than %zu bytes", sizeof o->bin - 1);
    if (rc)
        return rs_errf(errstr, errsz, rc, "%s", o->env_error);
    snprintf(o->bin, sizeof o->bin, "%s", bin ? bin : "");
    o->memory_bytes = mem << 20;
    o->cpu_s = (unsigned)cpu;
    o->timeout_s = (unsigned)timeout;
    o->max_result_bytes = (size_t)result << 20;
    return 0;
}

/* The child's path: o->bin, else regscan-analyze beside this program. */
static int child_path(const rs_sandbox_opts *o, char *path, size_t size, char *errstr,
                      size_t errsz)
{
    if (o->bin[0]) {
        snprintf(path, size, "%s", o->bin);
        return 0;
    }
    char self[512];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0 || (size_t)n >= sizeof self - 1)
        return rs_errf(errstr, errsz, RS_ERR_CONFIG,
                       "cannot find regscan-analyze: /proc/self/exe unreadable "
                       "(set REGSCAN_ANALYZE_BIN)");
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    *slash = '\0';
    int w = snprintf(path, size, "%s/regscan-analyze", self);
    if (w < 0 || (size_t)w >= size)
        return rs_errf(errstr, errsz, RS_ERR_CONFIG, "the path of regscan-analyze is too long");
    return 0;
}

int rs_sandbox_check(const rs_sandbox_opts *o, char *errstr, size_t errsz)
{
    char path[600];
    if (!o->enabled)
        return 0;
    int rc = child_path(o, path, sizeof path, errstr, errsz);
    if (rc == 0 && access(path, X_OK) != 0)
        rc = rs_errf(errstr, errsz, RS_ERR_CONFIG,
                     "cannot run the layer sandbox '%s': %s (install regscan-analyze beside "
                     "the program, or set REGSCAN_ANALYZE_BIN)",
                     path, strerror(errno));
    return rc;
}

/* The child's command line: limits, media type and analyzer names only. */
struct child_args {
    char *argv[48];
    char num[8][32];
    char lim[12][96]; /* "--limit" values: "max_packages=40000" */
    char names[2048];
};

static void add_num(struct child_args *c, int *i, int *k, const char *opt, unsigned long long v)
{
    c->argv[(*i)++] = (char *)opt;
    snprintf(c->num[*k], sizeof c->num[*k], "%llu", v);
    c->argv[(*i)++] = c->num[(*k)++];
}

/* What is left of a budget: 0 (no limit) stays 0; an exhausted one leaves 1,
 * so the child stops at its first addition and names the limit. */
static uint64_t budget_left(uint64_t max, uint64_t used)
{
    return !max ? 0 : used < max ? max - used : 1;
}

/* The result limits of rs_limits_all(), each as "--limit name=value"; the
 * image's as what is left of its budget now (layers run in parallel, so an
 * image may exceed its budget by what its layers in flight add: each is
 * bounded by the layer limits; the parent charges every result it takes). */
static void add_result_limits(struct child_args *c, int *i, const rs_layer_limits *l)
{
    int k = 0;
    for (const rs_limit_def *d = rs_limits_all(); d->name && k < 12; d++) {
        uint64_t v;
        if (d->image) {
            const rs_index_budget *b = l->image;
            if (!b)
                continue;
            v = d->offset == offsetof(rs_index_budget, max_bytes)
                    ? budget_left(b->max_bytes, atomic_load(&b->bytes))
                    : budget_left(b->max_packages, atomic_load(&b->packages));
        } else {
            const char *base = (const char *)l + d->offset;
            v = d->is_u64 ? *(const uint64_t *)base : (uint64_t) * (const size_t *)base;
        }
        snprintf(c->lim[k], sizeof c->lim[k], "%s=%llu", d->name, (unsigned long long)v);
        c->argv[(*i)++] = "--limit";
        c->argv[(*i)++] = c->lim[k++];
    }
}

static int child_args_build(struct child_args *c, const char *path, const rs_sandbox_opts *o,
                            const char *media_type, const rs_layer_limits *l, char *errstr,
                            size_t errsz)
{
    int i = 0, k = 0;
    c->argv[i++] = (char *)path;
    add_num(c, &i, &k, "--max-entries", l->max_entries);
    add_num(c, &i, &k, "--max-uncompressed", l->max_uncompressed_bytes);
    add_num(c, &i, &k, "--ratio-min", l->ratio_min_bytes);
    add_num(c, &i, &k, "--max-path", l->max_path_len);
    add_num(c, &i, &k, "--memory", o->memory_bytes);
    add_num(c, &i, &k, "--cpu", o->cpu_s);
    c->argv[i++] = "--max-ratio";
    snprintf(c->num[k], sizeof c->num[k], "%.17g", l->max_ratio);
    c->argv[i++] = c->num[k++];
    add_result_limits(c, &i, l);
    if (media_type && *media_type && strlen(media_type) < 256) {
        c->argv[i++] = "--media-type";
        c->argv[i++] = (char *)media_type;
    }
    if (l->analyzers) {
        size_t off = 0;
        for (const rs_analyzer *const *a = l->analyzers; *a; a++) {
            int w = snprintf(c->names + off, sizeof c->names - off, "%s%s", off ? "," : "",
                             (*a)->name);
            if (w < 0 || (size_t)w >= sizeof c->names - off)
                return rs_errf(errstr, errsz, RS_ERR_CONFIG, "too many analyzers");
            off += (size_t)w;
        }
        c->argv[i++] = "--analyzers";
        c->argv[i++] = c->names;
    }
    c->argv[i] = NULL;
    return 0;
}

/* One running child and what came back from it. */
struct child {
    pid_t pid;
    int in_w, out_r, err_r; /* parent's ends; -1 once closed */
    rs_layer_stream *dec; /* decodes stdout as it comes */
    size_t out_bytes, out_max; /* bytes of stdout read; the most taken */
    int out_over;              /* the child wrote more than out_max */
    int out_bad;               /* what it wrote is not a result (dec_err says why) */
    char dec_err[512];
    char err[SANDBOX_ERR_MAX];
    size_t err_len;
    int timed_out;
    int reader_rc; /* the verifying reader's failure: it wins */
    char reader_err[512];
    unsigned char *buf; /* SANDBOX_BLOCK bytes read from the reader */
    size_t have, off;
};

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

static int make_pipes(int fds[3][2])
{
    for (int i = 0; i < 3; i++)
        fds[i][0] = fds[i][1] = -1;
    for (int i = 0; i < 3; i++)
        if (pipe2(fds[i], O_CLOEXEC))
            return -1;
    return 0;
}

/* Starts the child with fds 0-2 its pipes, every other descriptor closed,
 * an empty environment, default signal dispositions and an empty mask. */
static int child_spawn(struct child *c, char *const argv[], char *errstr, size_t errsz)
{
    int p[3][2];
    int rc = make_pipes(p) ? errno : 0;
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&at);
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setsigdefault(&at, &all);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    if (!rc && (posix_spawn_file_actions_adddup2(&fa, p[0][0], 0) ||
                posix_spawn_file_actions_adddup2(&fa, p[1][1], 1) ||
                posix_spawn_file_actions_adddup2(&fa, p[2][1], 2) ||
                posix_spawn_file_actions_addclosefrom_np(&fa, 3)))
        rc = ENOMEM;
    char *envp[] = {NULL}; /* no REGSCAN_*, no credentials, nothing */
    if (!rc)
        rc = posix_spawn(&c->pid, argv[0], &fa, &at, argv, envp);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    close_fd(&p[0][0]);
    close_fd(&p[1][1]);
    close_fd(&p[2][1]);
    c->in_w = p[0][1];
    c->out_r = p[1][0];
    c->err_r = p[2][0];
    if (rc) {
        c->pid = 0;
        return rs_errf(errstr, errsz, RS_ERR_INTERNAL, "cannot start '%s': %s", argv[0],
                       strerror(rc));
    }
    fcntl(c->in_w, F_SETPIPE_SZ, (int)SANDBOX_BLOCK); /* fewer, larger writes; best effort */
    for (int i = 0; i < 3; i++) {
        int fd = i == 0 ? c->in_w : i == 1 ? c->out_r : c->err_r;
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    }
    return 0;
}

/* Moves the reader's next bytes into the child's stdin; closes it at the
 * end of the stream, on the reader's failure, or when the child stops
 * reading (SIGPIPE is blocked in this thread: EPIPE instead). */
static void child_feed(struct child *c, rs_reader *in)
{
    if (c->off == c->have) {
        ssize_t n = rs_reader_read(in, c->buf, SANDBOX_BLOCK, c->reader_err, sizeof c->reader_err);
        if (n <= 0) {
            c->reader_rc = n < 0 ? (int)n : 0;
            close_fd(&c->in_w);
            return;
        }
        c->have = (size_t)n;
        c->off = 0;
    }
    ssize_t w = write(c->in_w, c->buf + c->off, c->have - c->off);
    if (w > 0)
        c->off += (size_t)w;
    else if (w < 0 && errno != EAGAIN && errno != EINTR)
        close_fd(&c->in_w); /* EPIPE: the child ended; its status says why */
}

/* Decodes what the child wrote on stdout into the result as it comes (at
 * most out_max bytes), or keeps what it wrote on stderr (the first
 * SANDBOX_ERR_MAX - 1 bytes kept, the rest read and dropped). */
static void child_drain(struct child *c, int is_err)
{
    char tmp[65536];
    int *fd = is_err ? &c->err_r : &c->out_r;
    for (;;) {
        ssize_t n = read(*fd, tmp, sizeof tmp);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return;
        if (n <= 0) {
            close_fd(fd);
            return;
        }
        if (is_err) {
            size_t room = sizeof c->err - 1 - c->err_len, k = (size_t)n < room ? (size_t)n : room;
            memcpy(c->err + c->err_len, tmp, k);
            c->err_len += k;
            continue;
        }
        if ((size_t)n > c->out_max - c->out_bytes) {
            c->out_over = 1;
            return;
        }
        c->out_bytes += (size_t)n;
        if (rs_layer_stream_feed(c->dec, tmp, (size_t)n, c->dec_err, sizeof c->dec_err)) {
            c->out_bad = 1;
            return;
        }
    }
}

/* Feeds and drains the child until it closes stdout and stderr, the
 * deadline passes, the reader fails, or the result grows past its limit or
 * is found invalid. */
static void child_pump(struct child *c, rs_reader *in, uint64_t deadline)
{
    while ((c->out_r >= 0 || c->err_r >= 0) && !c->reader_rc && !c->out_over && !c->out_bad) {
        struct pollfd p[3];
        int n = 0, iw = -1, io = -1, ie = -1;
        if (c->in_w >= 0)
            iw = n, p[n++] = (struct pollfd){c->in_w, POLLOUT, 0};
        if (c->out_r >= 0)
            io = n, p[n++] = (struct pollfd){c->out_r, POLLIN, 0};
        if (c->err_r >= 0)
            ie = n, p[n++] = (struct pollfd){c->err_r, POLLIN, 0};
        uint64_t now = rs_now_ms();
        if (now >= deadline) {
            c->timed_out = 1;
            return;
        }
        uint64_t wait = deadline - now;
        if (poll(p, (nfds_t)n, wait > 1000 ? 1000 : (int)wait) < 0 && errno != EINTR)
            return; /* cannot happen with valid descriptors; the wait below ends it */
        if (iw >= 0 && p[iw].revents)
            child_feed(c, in);
        if (io >= 0 && p[io].revents)
            child_drain(c, 0);
        if (ie >= 0 && p[ie].revents)
            child_drain(c, 1);
    }
}

/* Waits for the child's end; kills it when it must stop (timed out, the
 * reader failed, a result too large) or when it outlives the deadline after
 * closing its pipes. Returns its wait status. */
static int child_wait(struct child *c, uint64_t deadline)
{
    int st = 0;
    if (c->timed_out || c->reader_rc || c->out_over || c->out_bad)
        kill(c->pid, SIGKILL);
    unsigned nap_us = 200;
    for (;;) {
        pid_t r = waitpid(c->pid, &st, WNOHANG);
        if (r == c->pid || (r < 0 && errno != EINTR))
            break;
        if (r == 0 && rs_now_ms() >= deadline && !c->timed_out) {
            c->timed_out = 1;
            kill(c->pid, SIGKILL);
        }
        struct timespec ts = {0, (long)nap_us * 1000};
        nanosleep(&ts, NULL);
        nap_us = nap_us < 50000 ? nap_us * 2 : nap_us;
    }
    c->pid = 0;
    return st;
}

/* The child's error line, printable: "regscan-analyze: " cut off, UTF-8
 * checked, control characters as '?'. */
static void child_line(const struct child *c, char *out, size_t size)
{
    const char *s = c->err;
    size_t n = c->err_len;
    const char *pfx = "regscan-analyze: ";
    if (n >= strlen(pfx) && !memcmp(s, pfx, strlen(pfx)))
        s += strlen(pfx), n -= strlen(pfx);
    while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
        n--;
    rs_utf8_copy(out, size, s, n, NULL);
    for (char *p = out; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
    if (!out[0])
        snprintf(out, size, "no message");
}

/* Writes what a signal that ended the child says about it into why. */
static void signal_why(int sig, const rs_sandbox_opts *o, char *why, size_t size)
{
    if (sig == SIGSYS)
        snprintf(why, size, " (a system call the sandbox forbids)");
    else if (sig == SIGXCPU)
        snprintf(why, size, " (its CPU time limit of %u s)", o->cpu_s);
    else if (sig == SIGKILL)
        snprintf(why, size, " (the CPU time limit's hard end, or the OOM killer)");
    else
        why[0] = '\0';
}

/* Turns the child's end into a status: 0 (a result to parse), the error
 * the child reported, or RS_ERR_ANALYZER_CRASHED saying what happened. */
static int child_status(const struct child *c, int st, const rs_sandbox_opts *o, char *errstr,
                        size_t errsz)
{
    char line[SANDBOX_ERR_MAX];
    child_line(c, line, sizeof line);
    if (c->timed_out)
        return rs_errf(errstr, errsz, RS_ERR_ANALYZER_CRASHED,
                       "analyzer killed: past its deadline of %u s", o->timeout_s);
    if (c->out_over)
        return rs_errf(errstr, errsz, RS_ERR_ANALYZER_CRASHED,
                       "analyzer killed: its result is larger than %zu bytes",
                       o->max_result_bytes);
    if (c->out_bad)
        return rs_errf(errstr, errsz, RS_ERR_ANALYZER_CRASHED,
                       "analyzer wrote an invalid result: %s", c->dec_err);
    if (WIFSIGNALED(st)) {
        const char *name = sigabbrev_np(WTERMSIG(st));
        char why[80];
        signal_why(WTERMSIG(st), o, why, sizeof why);
        return rs_errf(errstr, errsz, RS_ERR_ANALYZER_CRASHED,
                       "analyzer crashed: killed by signal SIG%s%s", name ? name : "?", why);
    }
    int code = WIFEXITED(st) ? WEXITSTATUS(st) : 255;
    switch (-code) {
    case 0:
        return 0;
    case RS_ERR_CONFIG:
    case RS_ERR_DIGEST_MISMATCH:
    case RS_ERR_LIMIT_EXCEEDED:
    case RS_ERR_UNSUPPORTED:
    case RS_ERR_INVALID:
        return rs_errf(errstr, errsz, -code, "%s", line);
    case RS_ERR_INTERNAL:
        return rs_errf(errstr, errsz, RS_ERR_ANALYZER_CRASHED,
                       "analyzer failed (address space limit %llu MiB): %s",
                       (unsigned long long)(o->memory_bytes >> 20), line);
    default:
        return rs_errf(errstr, errsz, RS_ERR_ANALYZER_CRASHED,
                       "analyzer exited with status %d: %s", code, line);
    }
}

/* The result decoded from the child's stdout (untrusted) into *out. */
static int child_result(struct child *c, rs_layer_result **out, char *errstr, size_t errsz)
{
    char why[512];
    if (rs_layer_stream_finish(c->dec, out, why, sizeof why))
        return rs_errf(errstr, errsz, RS_ERR_ANALYZER_CRASHED,
                       "analyzer wrote an invalid result: %s", why);
    return 0;
}

/* Blocks SIGPIPE in this thread while it writes into the child (a dead
 * child gives EPIPE, never a signal to the process); unblock_pipe takes a
 * SIGPIPE that became pending back and restores the mask. */
static void block_pipe(sigset_t *old)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &s, old);
}

static void unblock_pipe(const sigset_t *old)
{
    sigset_t s, pending;
    sigemptyset(&s);
    sigaddset(&s, SIGPIPE);
    struct timespec zero = {0, 0};
    while (sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) &&
           !sigismember(old, SIGPIPE) && sigtimedwait(&s, NULL, &zero) == SIGPIPE)
        ;
    pthread_sigmask(SIG_SETMASK, old, NULL);
}

int rs_sandbox_analyze(const rs_sandbox_opts *o, rs_reader *in, const char *media_type,
                       const rs_layer_limits *limits, rs_layer_result **out, char *errstr,
                       size_t errsz)
{
    *out = NULL;
    if (!o || !o->enabled)
        return rs_layer_analyze(in, media_type, limits, out, errstr, errsz);
    if (o->env_error[0])
        return rs_errf(errstr, errsz, RS_ERR_CONFIG, "%s", o->env_error);
    rs_layer_limits dl = RS_LAYER_LIMITS_DEFAULT;
    char path[600];
    struct child_args args;
    int rc = child_path(o, path, sizeof path, errstr, errsz);
    if (rc || (rc = child_args_build(&args, path, o, media_type, limits ? limits : &dl, errstr,
                                     errsz)))
        return rc;
    struct child c = {.in_w = -1, .out_r = -1, .err_r = -1};
    c.out_max = o->max_result_bytes;
    if (!(c.buf = malloc(SANDBOX_BLOCK)) || !(c.dec = rs_layer_stream_new())) {
        free(c.buf);
        return rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
    }
    sigset_t old;
    block_pipe(&old);
    uint64_t deadline = rs_now_ms() + (uint64_t)o->timeout_s * 1000u;
    rc = child_spawn(&c, args.argv, errstr, errsz);
    if (rc == 0) {
        RS_TEST_STEP("analyse"); /* the child analyses (its own hooks see no environment) */
        child_pump(&c, in, deadline);
        int st = child_wait(&c, deadline);
        if (c.reader_rc)
            rc = rs_errf(errstr, errsz, c.reader_rc, "%s", c.reader_err);
        else
            rc = child_status(&c, st, o, errstr, errsz);
        if (rc == 0)
            rc = child_result(&c, out, errstr, errsz);
        if (rc == 0 && limits && limits->image)
            rs_index_budget_charge(limits->image, *out);
    }
    close_fd(&c.in_w);
    close_fd(&c.out_r);
    close_fd(&c.err_r);
    unblock_pipe(&old);
    free(c.buf);
    rs_layer_stream_free(c.dec);
    return rc;
}
