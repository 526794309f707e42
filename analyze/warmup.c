/* warmup.c - one small gzip'd layer analysed before confinement, so that
 * everything the analyzers set up once (Hyperscan's database and scratch,
 * libarchive's and zlib's tables, glibc's malloc arenas) is set up while
 * the process may still make the system calls that takes. */
#include "analyze.h"
#include "base.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>
#include <string.h>

static const char os_release[] = "ID=debian\nVERSION_ID=12\n";
static const char env_file[] = "PASSWORD=not-a-secret\nAWS_KEY=AKIAIOSFODNN7EXAMPLE\n";

static int add(struct archive *a, const char *path, const char *data)
{
    struct archive_entry *e = archive_entry_new();
    if (!e)
        return -1;
    archive_entry_set_pathname(e, path);
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, (la_int64_t)strlen(data));
    int rc = archive_write_header(a, e) == ARCHIVE_OK &&
                     archive_write_data(a, data, strlen(data)) == (la_ssize_t)strlen(data)
                 ? 0
                 : -1;
    archive_entry_free(e);
    return rc;
}

/* Writes the warm-up layer (tar.gz) into buf; its size, or 0 on failure. */
static size_t build(unsigned char *buf, size_t cap)
{
    struct archive *a = archive_write_new();
    size_t used = 0;
    int ok = a && archive_write_set_format_pax_restricted(a) == ARCHIVE_OK &&
             archive_write_add_filter_gzip(a) == ARCHIVE_OK &&
             archive_write_open_memory(a, buf, cap, &used) == ARCHIVE_OK &&
             add(a, "etc/os-release", os_release) == 0 && add(a, "app/.env", env_file) == 0 &&
             archive_write_close(a) == ARCHIVE_OK;
    if (a)
        archive_write_free(a);
    return ok ? used : 0;
}

static int discard(const char *buf, size_t n, void *ctx)
{
    (void)buf, (void)n, (void)ctx;
    return 0;
}

int rs_analyze_warmup(const rs_layer_limits *limits, char *errstr, size_t errsz)
{
    static unsigned char buf[16384];
    size_t n = build(buf, sizeof buf);
    if (!n)
        return rs_errf(errstr, errsz, RS_ERR_INTERNAL, "cannot build the warm-up layer");
    rs_reader *r = rs_reader_mem_new(buf, n);
    if (!r)
        return rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
    rs_layer_result *res = NULL;
    int rc = rs_layer_analyze(r, NULL, limits, &res, errstr, errsz);
    rs_reader_destroy(r);
    if (rc == 0) /* jansson's hash seed, and the writer's path as the child takes it */
        rs_layer_result_write_stream(res, discard, NULL);
    rs_layer_result_free(res);
    return rc;
}
