/* rs_tarbuild.h - tars built in memory for the unit tests of the layer walker,
 * the merge and the blob sources (test_layer.c, test_merge.c, test_blobsrc.c).
 *
 * mktar() writes a pax tar of the entries given (files, directories, symlinks,
 * hard links, large zero-filled files), plain or gzip/zstd-compressed, with
 * libarchive's writer into memory; every entry gets mode 0644/0755/0777 and the
 * mtime 1700000000. A failed libarchive call stops the test (RS_REQUIRE). The
 * functions are static: each test gets its own copy. */
#ifndef RS_TARBUILD_H
#define RS_TARBUILD_H

#include "base.h"
#include "rs_test.h"

#include <archive.h>
#include <archive_entry.h>
#include <string.h>

/* An entry: a file (data of size bytes, or strlen(data) when size is 0), a
 * directory, a symlink or hard link to data, a file of size zero bytes, or a
 * file of size bytes repeating the string data (cut where size ends), or a
 * FIFO. */
enum { T_FILE, T_DIR, T_SYMLINK, T_HARDLINK, T_BIGFILE, T_REPEAT, T_FIFO };
typedef struct tent {
    int type;
    const char *path;
    const char *data; /* file content, or link target */
    size_t size;      /* T_BIGFILE: that many zero bytes */
} tent;
/* The compression of the whole tar. */
enum { F_NONE, F_GZIP, F_ZSTD };

/* libarchive's writer callbacks: the tar goes into the rs_buf passed as c. */
static inline int tar_open_cb(struct archive *a, void *c)
{
    (void)a;
    (void)c;
    return ARCHIVE_OK;
}

static inline la_ssize_t tar_write_cb(struct archive *a, void *c, const void *buf, size_t n)
{
    (void)a;
    return rs_buf_append(c, buf, n) ? -1 : (la_ssize_t)n;
}

/* A tar of the n entries e, in order, compressed by filter (F_*); returns it
 * (the caller frees it) and its size in *len. Stops the test on any libarchive
 * error. */
static inline char *mktar(const tent *e, size_t n, int filter, size_t *len)
{
    rs_buf b = RS_BUF_INIT;
    struct archive *a = archive_write_new();
    RS_REQUIRE(a);
    archive_write_set_format_pax_restricted(a);
    if (filter == F_GZIP)
        RS_REQUIRE(archive_write_add_filter_gzip(a) == ARCHIVE_OK);
    else if (filter == F_ZSTD)
        RS_REQUIRE(archive_write_add_filter_zstd(a) == ARCHIVE_OK);
    archive_write_set_bytes_in_last_block(a, 1);
    RS_REQUIRE(archive_write_open(a, &b, tar_open_cb, tar_write_cb, NULL) == ARCHIVE_OK);
    for (size_t i = 0; i < n; i++) {
        struct archive_entry *ae = archive_entry_new();
        archive_entry_set_pathname(ae, e[i].path);
        archive_entry_set_mtime(ae, 1700000000, 0);
        size_t size = e[i].type == T_BIGFILE || e[i].type == T_REPEAT ? e[i].size
                      : e[i].type == T_FILE ? (e[i].size ? e[i].size : strlen(e[i].data))
                                            : 0;
        switch (e[i].type) {
        case T_DIR:
            archive_entry_set_filetype(ae, AE_IFDIR);
            archive_entry_set_perm(ae, 0755);
            break;
        case T_SYMLINK:
            archive_entry_set_filetype(ae, AE_IFLNK);
            archive_entry_set_perm(ae, 0777);
            archive_entry_set_symlink(ae, e[i].data);
            break;
        case T_FIFO:
            archive_entry_set_filetype(ae, AE_IFIFO);
            archive_entry_set_perm(ae, 0644);
            break;
        case T_HARDLINK:
            archive_entry_set_filetype(ae, AE_IFREG);
            archive_entry_set_perm(ae, 0644);
            archive_entry_set_hardlink(ae, e[i].data);
            break;
        default:
            archive_entry_set_filetype(ae, AE_IFREG);
            archive_entry_set_perm(ae, 0644);
            archive_entry_set_size(ae, (la_int64_t)size);
        }
        /* a path that is not UTF-8 is written as bytes (hdrcharset=BINARY), with a warning */
        RS_REQUIRE(archive_write_header(a, ae) >= ARCHIVE_WARN);
        if (e[i].type == T_FILE && size)
            RS_REQUIRE(archive_write_data(a, e[i].data, size) == (la_ssize_t)size);
        if (e[i].type == T_BIGFILE) {
            static const char zeros[65536];
            for (size_t off = 0; off < size;) {
                size_t k = size - off < sizeof zeros ? size - off : sizeof zeros;
                RS_REQUIRE(archive_write_data(a, zeros, k) == (la_ssize_t)k);
                off += k;
            }
        }
        if (e[i].type == T_REPEAT) {
            /* whole repetitions in 64 KiB blocks: memory stays small for any size */
            static char block[65536];
            size_t unit = strlen(e[i].data), fill = sizeof block / unit * unit;
            RS_REQUIRE(unit && fill);
            for (size_t k = 0; k < fill; k += unit)
                memcpy(block + k, e[i].data, unit);
            for (size_t off = 0; off < size;) {
                size_t k = size - off < fill ? size - off : fill;
                RS_REQUIRE(archive_write_data(a, block, k) == (la_ssize_t)k);
                off += k;
            }
        }
        archive_entry_free(ae);
    }
    RS_REQUIRE(archive_write_close(a) == ARCHIVE_OK);
    archive_write_free(a);
    *len = b.len;
    return rs_buf_steal(&b);
}

#endif
