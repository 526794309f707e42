/* analyzers/rpmhdr.h - one rpm header blob, as the rpm databases store it
 * (rpmdb.sqlite, BerkeleyDB Packages, ndb Packages.db all hold the same
 * bytes): a big-endian index count and data length, the index entries (tag,
 * type, offset, count) and the data store. Reads the tags a package needs
 * and its file list; every offset and count is checked (see rpmhdr.c). */
#ifndef RS_RPMHDR_H
#define RS_RPMHDR_H

#include <stddef.h>
#include <stdint.h>

#include "index.h"

/* Tags of rpm's lib/rpmtag.h that regscan reads. */
enum {
    RS_RPMTAG_NAME = 1000,
    RS_RPMTAG_VERSION = 1001,
    RS_RPMTAG_RELEASE = 1002,
    RS_RPMTAG_EPOCH = 1003,
    RS_RPMTAG_VENDOR = 1011,
    RS_RPMTAG_LICENSE = 1014,
    RS_RPMTAG_ARCH = 1022,
    RS_RPMTAG_OLDFILENAMES = 1027,
    RS_RPMTAG_SOURCERPM = 1044,
    RS_RPMTAG_DIRINDEXES = 1116,
    RS_RPMTAG_BASENAMES = 1117,
    RS_RPMTAG_DIRNAMES = 1118,
};

/* A string of the blob: bytes (not NUL-terminated, not checked as UTF-8). */
typedef struct rs_rpmhdr_str {
    const char *p; /* NULL: the tag is absent */
    size_t n;
} rs_rpmhdr_str;

/* One index entry (checked to lie inside the data store). */
typedef struct rs_rpmhdr_ent {
    uint32_t type, off, count;
    int found;
} rs_rpmhdr_ent;

/* What one header says of its package; strings point into the blob. */
typedef struct rs_rpmhdr {
    rs_rpmhdr_str name, version, release, arch, sourcerpm, vendor, license;
    int has_epoch;
    uint32_t epoch;
    /* the file list: DIRNAMES/BASENAMES/DIRINDEXES, or OLDFILENAMES */
    rs_rpmhdr_ent dirnames, basenames, dirindexes, oldfilenames;
    const uint8_t *data; /* the data store, dl bytes */
    size_t dl;
} rs_rpmhdr;

/* What the database readers (rpmbdb.c, rpmndb.c, rpmsqlite.c) call for
 * each header blob they find: returns 0 to go on, else an rs_err that stops
 * the walk and is returned. */
typedef int (*rs_rpmhdr_blob_fn)(void *ctx, const uint8_t *blob, size_t len);

/* Parses the header blob (len bytes, untrusted). Returns 0 with *h set, or
 * RS_ERR_INVALID when the blob is malformed or lacks NAME, VERSION or
 * RELEASE. Allocates nothing. */
int rs_rpmhdr_parse(const uint8_t *blob, size_t len, rs_rpmhdr *h);

/* Calls fn(ctx, path, n) for every file of the parsed header `h` (a path of
 * n bytes, not NUL-terminated, up to 4096 bytes; longer ones are left out).
 * Returns 0, RS_ERR_INVALID when the file list is malformed (inconsistent
 * counts, an index out of range), RS_ERR_INTERNAL when out of memory, or
 * what fn returned when not 0. */
int rs_rpmhdr_files(const rs_rpmhdr *h, int (*fn)(void *ctx, const char *path, size_t n),
                    void *ctx);

/* Adds the package `h` describes (type "rpm", path `path`): version
 * "[epoch:]version-release" (release may be absent when version already
 * holds both, as in the rpm manifest), the source RPM's name and its
 * version-release with the package's epoch, and its files as owned paths (a
 * malformed file list is counted in out->n_malformed, the package kept).
 * Returns 0 or RS_ERR_INTERNAL. */
int rs_rpmhdr_emit(const char *path, const rs_rpmhdr *h, rs_analysis *out);

/* Parses the blob and adds its package (type "rpm", path `path`) and its
 * files (rs_analysis_add_owned) to `out`; a malformed blob is counted in
 * out->n_malformed and skipped. Returns 0 or RS_ERR_INTERNAL. */
int rs_rpmhdr_add(const char *path, const uint8_t *blob, size_t len, rs_analysis *out);

#endif
