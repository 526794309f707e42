/* analyzers/rpmsqlite.c - rpmdb.sqlite through SQLite's in-memory database.
 *
 * SQLite needs the whole file, which the layer walker holds (up to the
 * analyzer's max_file_size): it is copied into memory SQLite owns and opened
 * with sqlite3_deserialize, read-only, so nothing touches the disk. rpm
 * writes its database in WAL mode (file header bytes 18 and 19 are 2), which
 * an in-memory database cannot open: the copy says "rollback journal" (1)
 * instead; a -wal file beside the database is not read (rpm checkpoints it
 * when it closes the database, so an image built by dnf or rpm has none).
 * The input is hostile: the connection is defensive (SQLITE_DBCONFIG_DEFENSIVE,
 * no trusted schema), Packages must be a table, not a view, and a progress
 * handler stops a query that works longer than the file's size justifies. */
#include "analyzers/rpmsqlite_int.h"
#include "base.h"

#include <sqlite3.h>
#include <string.h>

/* VM instructions between progress calls, and calls allowed per byte */
#define SQL_PROGRESS_STEP 1000
#define SQL_WORK_PER_BYTE 64u
#define SQL_WORK_MIN 10000000u

struct budget {
    uint64_t calls, max_calls;
};

static int progress(void *arg)
{
    struct budget *b = arg;
    return ++b->calls > b->max_calls;
}

/* Opens a copy of data as the read-only main database of *db. */
static int sql_open(const uint8_t *data, size_t len, sqlite3 **db, char *errstr, size_t errsz)
{
    static const char magic[16] = "SQLite format 3";
    if (len < 100 || memcmp(data, magic, 16) != 0)
        return rs_errf(errstr, errsz, RS_ERR_INVALID, "invalid sqlite file: bad magic");
    if (sqlite3_open_v2(":memory:", db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
        return rs_errf(errstr, errsz, RS_ERR_INTERNAL, "cannot open sqlite: out of memory");
    sqlite3_db_config(*db, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)NULL);
    sqlite3_db_config(*db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, (int *)NULL);
    unsigned char *copy = sqlite3_malloc64(len);
    if (!copy)
        return rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory copying a sqlite file");
    memcpy(copy, data, len);
    if (copy[18] == 2 && copy[19] == 2)
        copy[18] = copy[19] = 1; /* WAL: read as a rollback-journal database */
    /* FREEONCLOSE: SQLite frees the copy, also when deserialize fails */
    int rc = sqlite3_deserialize(*db, "main", copy, (sqlite3_int64)len, (sqlite3_int64)len,
                                 SQLITE_DESERIALIZE_READONLY | SQLITE_DESERIALIZE_FREEONCLOSE);
    if (rc != SQLITE_OK)
        return rs_errf(errstr, errsz, rc == SQLITE_NOMEM ? RS_ERR_INTERNAL : RS_ERR_INVALID,
                       "cannot open sqlite file: %s", sqlite3_errstr(rc));
    return 0;
}

/* 0 when Packages is a table of the schema, else an rs_err. */
static int sql_check_table(sqlite3 *db, char *errstr, size_t errsz)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(
        db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'Packages'", -1, &st,
        NULL);
    int found = rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW;
    const char *msg = sqlite3_errmsg(db);
    int out = found ? 0
                    : rs_errf(errstr, errsz, RS_ERR_INVALID, "invalid rpm sqlite database: %s",
                              rc == SQLITE_OK && sqlite3_errcode(db) == SQLITE_OK
                                  ? "no Packages table"
                                  : msg);
    sqlite3_finalize(st);
    return out;
}

/* Steps through SELECT blob FROM Packages. */
static int sql_rows(sqlite3 *db, const struct budget *b, rs_rpmhdr_blob_fn fn, void *ctx,
                    size_t *n_malformed, char *errstr, size_t errsz)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, "SELECT blob FROM Packages", -1, &st, NULL), out = 0;
    while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (sqlite3_column_type(st, 0) != SQLITE_BLOB) {
            (*n_malformed)++;
            rc = SQLITE_OK;
            continue;
        }
        const void *blob = sqlite3_column_blob(st, 0);
        int n = sqlite3_column_bytes(st, 0);
        if ((out = fn(ctx, blob, n > 0 ? (size_t)n : 0)) != 0)
            break;
        rc = SQLITE_OK;
    }
    if (out)
        out = rs_errf(errstr, errsz, out, "out of memory reading a sqlite file");
    else if (rc == SQLITE_INTERRUPT && b->calls > b->max_calls)
        out = rs_errf(errstr, errsz, RS_ERR_LIMIT_EXCEEDED,
                      "rpm sqlite database: query exceeds its work budget");
    else if (rc != SQLITE_DONE)
        out = rs_errf(errstr, errsz, rc == SQLITE_NOMEM ? RS_ERR_INTERNAL : RS_ERR_INVALID,
                      "invalid rpm sqlite database: %s", sqlite3_errmsg(db));
    sqlite3_finalize(st);
    return out;
}

int rs_rpmsqlite_each(const uint8_t *data, size_t len, rs_rpmhdr_blob_fn fn, void *ctx,
                      size_t *n_malformed, char *errstr, size_t errsz)
{
    sqlite3 *db = NULL;
    struct budget b = {0, (SQL_WORK_MIN + (uint64_t)len * SQL_WORK_PER_BYTE) / SQL_PROGRESS_STEP};
    int rc = sql_open(data, len, &db, errstr, errsz);
    if (!rc) {
        sqlite3_progress_handler(db, SQL_PROGRESS_STEP, progress, &b);
        rc = sql_check_table(db, errstr, errsz);
    }
    if (!rc)
        rc = sql_rows(db, &b, fn, ctx, n_malformed, errstr, errsz);
    sqlite3_close(db);
    return rc;
}
