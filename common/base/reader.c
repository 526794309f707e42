/* reader.c - file, memory and verifying readers. */
#include "base.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void rs_reader_destroy(rs_reader *r)
{
    if (r)
        r->destroy(r);
}

struct file_reader {
    rs_reader base;
    int fd;
    char path[512];
};

static ssize_t file_read(rs_reader *r, void *buf, size_t n, char *errstr, size_t errsz)
{
    struct file_reader *f = (struct file_reader *)r;
    for (;;) {
        ssize_t got = read(f->fd, buf, n);
        if (got >= 0)
            return got;
        if (errno == EINTR)
            continue;
        return rs_errf(errstr, errsz, RS_ERR_INVALID, "cannot read '%s': %s", f->path,
                       strerror(errno));
    }
}

static void file_destroy(rs_reader *r)
{
    struct file_reader *f = (struct file_reader *)r;
    close(f->fd);
    free(f);
}

/* A reader over the open descriptor fd (taken over). */
static rs_reader *fd_reader(int fd, const char *path, char *errstr, size_t errsz)
{
    struct file_reader *f = calloc(1, sizeof *f);
    if (!f) {
        close(fd);
        rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
        return NULL;
    }
    f->base.read = file_read;
    f->base.destroy = file_destroy;
    f->fd = fd;
    snprintf(f->path, sizeof f->path, "%s", path);
    return &f->base;
}

rs_reader *rs_reader_file_new(const char *path, char *errstr, size_t errsz)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        rs_errf(errstr, errsz, RS_ERR_INVALID, "cannot open '%s': %s", path, strerror(errno));
        return NULL;
    }
    return fd_reader(fd, path, errstr, errsz);
}

rs_reader *rs_reader_regular_new(const char *path, int nofollow, char *errstr, size_t errsz)
{
    int fd = rs_file_open_regular(path, nofollow, errstr, errsz);
    return fd < 0 ? NULL : fd_reader(fd, path, errstr, errsz);
}

struct mem_reader {
    rs_reader base;
    const unsigned char *data;
    size_t len, off;
};

static ssize_t mem_read(rs_reader *r, void *buf, size_t n, char *errstr, size_t errsz)
{
    (void)errstr;
    (void)errsz;
    struct mem_reader *m = (struct mem_reader *)r;
    return (ssize_t)rs_reader_copy_out(buf, n, m->data, m->len, &m->off);
}

size_t rs_reader_copy_out(void *dst, size_t n, const unsigned char *src, size_t len, size_t *off)
{
    size_t left = len > *off ? len - *off : 0;
    if (n > left)
        n = left;
    if (n)
        memcpy(dst, src + *off, n);
    *off += n;
    return n;
}

static void mem_destroy(rs_reader *r)
{
    free(r);
}

rs_reader *rs_reader_mem_new(const void *data, size_t len)
{
    struct mem_reader *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->base.read = mem_read;
    m->base.destroy = mem_destroy;
    m->data = data;
    m->len = len;
    return &m->base;
}

struct verify_reader {
    rs_reader base;
    rs_reader *inner;
    rs_sha256 *h;
    size_t count, max;
    int done;
    char expected[RS_DIGEST_SIZE];
    char what[256];
};

static ssize_t verify_read(rs_reader *r, void *buf, size_t n, char *errstr, size_t errsz)
{
    struct verify_reader *v = (struct verify_reader *)r;
    if (v->done)
        return 0;
    ssize_t got = rs_reader_read(v->inner, buf, n, errstr, errsz);
    if (got < 0)
        return got;
    if (got == 0) {
        v->done = 1;
        if (v->expected[0]) {
            char actual[RS_DIGEST_SIZE];
            rs_sha256_final(v->h, actual);
            if (strcmp(actual, v->expected) != 0)
                return rs_errf(errstr, errsz, RS_ERR_DIGEST_MISMATCH,
                               "digest mismatch for '%s': content hashes to '%s'", v->what, actual);
        }
        return 0;
    }
    v->count += (size_t)got;
    if (v->max && v->count > v->max)
        return rs_errf(errstr, errsz, RS_ERR_LIMIT_EXCEEDED,
                       "blob '%s' is larger than the limit of %zu bytes", v->what, v->max);
    rs_sha256_update(v->h, buf, (size_t)got);
    /* tests stop a worker in the middle of a layer: past its first 64 KiB (a
     * manifest or a config is smaller) */
    if (v->count >= 65536 && v->count - (size_t)got < 65536)
        RS_TEST_STEP("download");
    return got;
}

static void verify_destroy(rs_reader *r)
{
    struct verify_reader *v = (struct verify_reader *)r;
    rs_reader_destroy(v->inner);
    rs_sha256_destroy(v->h);
    free(v);
}

rs_reader *rs_reader_verify_new(rs_reader *inner, const char *expected_digest, size_t max_bytes,
                                const char *what)
{
    struct verify_reader *v = calloc(1, sizeof *v);
    if (!v || !(v->h = rs_sha256_new())) {
        free(v);
        rs_reader_destroy(inner);
        return NULL;
    }
    v->base.read = verify_read;
    v->base.destroy = verify_destroy;
    v->inner = inner;
    v->max = max_bytes;
    if (expected_digest)
        snprintf(v->expected, sizeof v->expected, "%s", expected_digest);
    snprintf(v->what, sizeof v->what, "%s", what ? what : "blob");
    return &v->base;
}

size_t rs_reader_verify_count(rs_reader *r)
{
    return ((struct verify_reader *)r)->count;
}

int rs_reader_slurp(rs_reader *r, size_t max, char **out, size_t *out_len, char *errstr,
                    size_t errsz)
{
    rs_buf b = RS_BUF_INIT;
    b.limit = max;
    char chunk[65536];
    for (;;) {
        ssize_t got = rs_reader_read(r, chunk, sizeof chunk, errstr, errsz);
        if (got < 0) {
            rs_buf_free(&b);
            return (int)got;
        }
        if (got == 0)
            break;
        int rc = rs_buf_append(&b, chunk, (size_t)got);
        if (rc) {
            rs_buf_free(&b);
            return rs_errf(errstr, errsz, rc, "content is larger than the limit of %zu bytes", max);
        }
    }
    *out_len = b.len;
    *out = rs_buf_steal(&b);
    return 0;
}
