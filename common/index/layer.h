/* layer.h - one layer blob in, one analysis out.
 *
 * rs_layer_analyze pulls the blob's bytes from a reader, inflates them
 * (gzip, zstd or none, detected from the bytes), walks the tar entries in
 * memory and hands the files an analyzer wants to it. It records what the
 * merge needs (whiteouts, opaque directories, links to wanted paths) and
 * never writes layer content to disk. It sees only the reader: no
 * credentials, no network (it later runs in a sandboxed child process, whose
 * answer travels back as the JSON form below). */
#ifndef RS_LAYER_H
#define RS_LAYER_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "inventory.h"
#include "base.h"
#include "secret.h"

/* DESIGN.md §6 limits for one layer. 0 means "no limit" for each field. */
typedef struct rs_layer_limits {
    size_t max_entries;              /* tar entries */
    uint64_t max_uncompressed_bytes; /* bytes of tar stream after inflating */
    double max_ratio;                /* uncompressed / compressed bytes */
    uint64_t ratio_min_bytes;        /* the ratio is checked past this many uncompressed bytes */
    size_t max_path_len;             /* bytes of one entry's path */
    /* The analyzers to run, NULL-terminated (not a limit, but the walk's
     * one other option); NULL: rs_analyzers_all(). Tests pass their own. */
    const struct rs_analyzer *const *analyzers;
} rs_layer_limits;

#define RS_LAYER_LIMITS_DEFAULT                                                                  \
    {1000000, (uint64_t)32 << 30, 1000.0, (uint64_t)16 << 20, 4096, NULL}

/* A file an analyzer parsed; packages carry type and path, no layer. A file
 * several analyzers want has one of these per analyzer, one after another. */
typedef struct rs_layer_file {
    char *path;     /* normalised: "/var/lib/dpkg/status" */
    char *analyzer; /* rs_analyzer name */
    rs_pkg *pkgs;
    size_t n_pkgs;
    rs_os os; /* os.found when the file described the OS */
    size_t n_malformed;
    char **owned; /* paths an OS package owns, as the file lists them (rs_analysis.owned) */
    size_t n_owned;
    rs_secrets secrets; /* found in the file; path and layer NULL */
    unsigned facts;     /* RS_FACT_* (analyzer.h) of the entry */
    unsigned mode;      /* with facts: its permission bits */
} rs_layer_file;

/* A symlink or hard link whose own path an analyzer wants. */
typedef struct rs_layer_link {
    char *path;   /* normalised */
    char *target; /* as written in the tar (symlinks may be relative) */
    int hard;
} rs_layer_link;

typedef struct rs_layer_skipped {
    char *path;
    char *reason;   /* "LIMIT_EXCEEDED", "INVALID" */
    char *analyzer; /* the analyzer that skipped the file; NULL: the entry as a whole */
    char *limit;    /* the limit that was exceeded ("max_file_size"); NULL: none */
    char *detail;   /* what happened, one line (valid UTF-8); NULL: nothing to add */
} rs_layer_skipped;

typedef struct rs_layer_result {
    rs_layer_file *files;
    size_t n_files, cap_files;
    rs_layer_link *links;
    size_t n_links, cap_links;
    char **whiteouts; /* paths the layer deletes ("/etc/foo" for "/etc/.wh.foo") */
    size_t n_whiteouts, cap_whiteouts;
    char **opaque_dirs; /* directories whose lower content the layer hides */
    size_t n_opaque_dirs, cap_opaque_dirs;
    rs_layer_skipped *skipped;
    size_t n_skipped, cap_skipped;
    uint64_t n_entries;
    uint64_t uncompressed_bytes;
    uint64_t compressed_bytes;
} rs_layer_result;

/* Analyses the layer read from `in` (not destroyed; always read to its end,
 * so a verifying reader's digest error becomes this function's result).
 * media_type is a hint only (may be NULL); limits may be NULL (defaults).
 * Returns 0 with *out set (free with rs_layer_result_free), or
 * RS_ERR_LIMIT_EXCEEDED, RS_ERR_INVALID, RS_ERR_DIGEST_MISMATCH, ... */
int rs_layer_analyze(rs_reader *in, const char *media_type, const rs_layer_limits *limits,
                     rs_layer_result **out, char *errstr, size_t errstr_size);

void rs_layer_result_free(rs_layer_result *r);

struct archive;
struct archive_entry;
/* The next entry of an archive read by libarchive: 1 with *e set, 0 at its
 * end, -1 when it is broken (archive_error_string says why). One loop for
 * the layer walker and the docker-archive source. */
int rs_layer_tar_next(struct archive *a, struct archive_entry **e);
/* The next block of the current entry's data: 1 with *blk, *n and *off (where
 * the block starts in the file) set, 0 at the entry's end, -1 when broken. */
int rs_layer_tar_block(struct archive *a, const void **blk, size_t *n, int64_t *off);

/* Encodes the result (new reference; NULL when out of memory). */
json_t *rs_layer_result_to_json(const rs_layer_result *r);
/* Decodes what rs_layer_result_to_json wrote; the input is untrusted (cache,
 * child process): types, lengths, counts and paths are checked. Returns 0 with
 * *out set, or RS_ERR_INVALID. */
int rs_layer_result_from_json(const json_t *j, rs_layer_result **out, char *errstr,
                              size_t errstr_size);

#endif
