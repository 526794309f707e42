/* vulndb.h - a vulnerability database in memory: OSV records from
 * directories of .json files, osv.dev all.zip exports or a snapshot file,
 * looked up by (ecosystem, package name) key; and the snapshot file itself
 * (DESIGN.md §9).
 *
 * A snapshot is JSON lines: a header {"schema":"regscan.vulndb-snapshot/v1",
 * "version":N,"built_at":…,"records":N,"sources":[…]} then one compact record
 * per line, sorted by id. Loading never trusts its input: a malformed record,
 * one with an unknown ecosystem or one whose versions cannot be read is
 * skipped and counted, never a crash. */
#ifndef RS_VULNDB_H
#define RS_VULNDB_H

#include <stddef.h>
#include <stdint.h>

#include "osv.h"

#define RS_VULNDB_SCHEMA "regscan.vulndb-snapshot/v1"

typedef struct rs_vulndb rs_vulndb;

typedef struct rs_vulndb_stats {
    long files;             /* .json files or zip members read */
    long records;           /* records kept */
    long withdrawn;         /* skipped: withdrawn */
    long invalid;           /* skipped: malformed (JSON or fields) */
    long unknown_ecosystem; /* affected entries dropped: no version order for their ecosystem */
    long unmatchable;       /* records skipped: nothing left to match */
    long replaced;          /* the same id seen again: the newer `modified` kept */
    long unparseable;       /* records kept with a version their ecosystem cannot parse: such a
                             * range evaluates to "unknown" (reported unconfirmed), never "no" */
} rs_vulndb_stats;

/* An empty database. NULL when out of memory. */
rs_vulndb *rs_vulndb_new(void);
void rs_vulndb_destroy(rs_vulndb *db);

/* Adds every record of `path`: a directory (searched recursively for .json
 * files), a .zip (osv.dev's all.zip) or a snapshot file. Bad records are
 * counted in *st (may be NULL) and logged as warnings, at most a few lines.
 * Returns 0, or RS_ERR_INVALID / RS_ERR_UNREACHABLE when `path` itself
 * cannot be read. */
int rs_vulndb_add(rs_vulndb *db, const char *path, rs_vulndb_stats *st, char *errstr,
                  size_t errstr_size);
/* Sorts and indexes the records added; call once after the last add. */
int rs_vulndb_finish(rs_vulndb *db, char *errstr, size_t errstr_size);

/* rs_vulndb_new + add + finish for one path. */
int rs_vulndb_load(const char *path, rs_vulndb **out, rs_vulndb_stats *st, char *errstr,
                   size_t errstr_size);

/* Writes a snapshot with `version` atomically (a temporary file next to it,
 * renamed), and its sha256 ("sha256:…") into sha256_out when not NULL. */
int rs_vulndb_write(const rs_vulndb *db, const char *path, int64_t version, char sha256_out[72],
                    char *errstr, size_t errstr_size);
/* Writes a snapshot with `version` into the store directory `dir` under its
 * content-unique name DIR/vulndb-NNNNNN-<first 16 hex digits of its
 * sha256>.jsonl (NNNNNN: the version, at least 6 digits), atomically: a
 * temporary DIR/.vulndb-tmp-XXXXXX renamed, mode 0644. The path goes to
 * path_out, the sha256 to sha256_out (may be NULL). Two writers never clash:
 * equal names mean equal content. */
int rs_vulndb_write_store(const rs_vulndb *db, const char *dir, int64_t version, char *path_out,
                          size_t path_size, char sha256_out[72], char *errstr, size_t errstr_size);
/* Returns 1 and sets *version when `name` (a file name, no directory) is a
 * snapshot's: "vulndb-" 6 to 18 digits (a version >= 1), optionally "-" and
 * 16 lowercase hex digits, ".jsonl"; 0 for any other name. */
int rs_vulndb_name_version(const char *name, int64_t *version);

/* The snapshot version (0 when built from raw sources), record count. */
int64_t rs_vulndb_version(const rs_vulndb *db);
size_t rs_vulndb_count(const rs_vulndb *db);
/* How many records rs_vulndb_finish dropped because a newer copy of the same
 * id was kept (rs_vulndb_load puts it in stats.replaced; callers of add +
 * finish copy it there themselves). */
long rs_vulndb_replaced(const rs_vulndb *db);

typedef struct rs_vulndb_hit {
    const rs_osv_record *record;
    const rs_osv_affected *affected;
} rs_vulndb_hit;

/* The affected entries whose key (rs_osv_key) is `key`; *n set to their
 * count; the array stays valid while the database lives. */
const rs_vulndb_hit *rs_vulndb_find(const rs_vulndb *db, const char *key, size_t *n);

#endif
