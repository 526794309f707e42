/* vulndb.c - OSV records in memory, their sources and snapshots (see vulndb.h).
 *
 * Records live in one array; the index is an array of (key, hit) sorted by
 * key and searched by bisection: no hash table to size, deterministic. */
#include "match.h"
#include "base.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct idx_entry {
    const char *key; /* borrowed from the affected entry */
    rs_vulndb_hit hit;
};

struct rs_vulndb {
    rs_osv_record **recs;
    size_t n_recs, cap_recs;
    const char **keys; /* sorted; keys[i] is the key of hits[i] */
    rs_vulndb_hit *hits;
    size_t n_idx;
    int64_t version;
    long warnings;
    long replaced; /* records dropped by finish: an older copy of the same id */
};

rs_vulndb *rs_vulndb_new(void)
{
    return calloc(1, sizeof(rs_vulndb));
}

void rs_vulndb_destroy(rs_vulndb *db)
{
    if (!db)
        return;
    for (size_t i = 0; i < db->n_recs; i++)
        rs_osv_record_free(db->recs[i]);
    free(db->recs);
    free(db->keys);
    free(db->hits);
    free(db);
}

int64_t rs_vulndb_version(const rs_vulndb *db)
{
    return db->version;
}

size_t rs_vulndb_count(const rs_vulndb *db)
{
    return db->n_recs;
}

long rs_vulndb_replaced(const rs_vulndb *db)
{
    return db->replaced;
}

static void warn(rs_vulndb *db, const char *what, const char *msg)
{
    if (db->warnings++ < 20)
        rs_log(RS_LOG_WARN, "vulnerability data: skipped %s: %s", what, msg);
    else if (db->warnings == 21)
        rs_log(RS_LOG_WARN, "vulnerability data: more records skipped (counted, not logged)");
}

/* Drops affected entries whose ecosystem has no version order (unless all
 * their ranges are SEMVER or they list versions); returns how many are left. */
static size_t keep_matchable(rs_osv_record *r, long *dropped)
{
    size_t k = 0;
    for (size_t i = 0; i < r->n_affected; i++) {
        rs_osv_affected *a = &r->affected[i];
        int semver_only = a->n_ranges > 0;
        for (size_t g = 0; g < a->n_ranges; g++)
            semver_only &= a->ranges[g].type == RS_RANGE_SEMVER;
        if (rs_version_scheme_for_ecosystem(a->ecosystem) || semver_only) {
            r->affected[k++] = *a;
        } else {
            (*dropped)++;
            rs_osv_affected_clear(a);
        }
    }
    r->n_affected = k;
    return k;
}

/* Takes over `j`'s record (parsed and checked) into the database. */
static int add_json(rs_vulndb *db, json_t *j, const char *what, rs_vulndb_stats *st)
{
    char err[512];
    rs_osv_record *r = NULL;
    if (rs_osv_parse(j, &r, err, sizeof err) != 0) {
        st->invalid++;
        warn(db, what, err);
        return 0;
    }
    if (r->withdrawn) {
        st->withdrawn++;
        rs_osv_record_free(r);
        return 0;
    }
    long dropped = 0;
    size_t kept = keep_matchable(r, &dropped);
    /* versions the ecosystem cannot parse: counted and warned; the record stays,
     * since dropping an event would silently widen or narrow a range */
    const char *bad = NULL;
    for (size_t i = 0; i < r->n_affected && !bad; i++) {
        const rs_osv_affected *a = &r->affected[i];
        const rs_version_scheme *s = rs_version_scheme_for_ecosystem(a->ecosystem);
        for (size_t g = 0; g < a->n_ranges && !bad; g++) {
            const rs_osv_range *rg = &a->ranges[g];
            const rs_version_scheme *rs = rg->type == RS_RANGE_SEMVER ? &rs_version_semver : s;
            if (rg->type == RS_RANGE_GIT || !rs)
                continue;
            for (size_t e = 0; e < rg->n_events && !bad; e++) {
                const char *v = rg->events[e].version;
                if (rg->type == RS_RANGE_SEMVER && v[0] == 'v')
                    v++;
                if (strcmp(v, "0") && !strchr(v, '*') && !rs->valid(v))
                    bad = rg->events[e].version;
            }
        }
    }
    if (bad && kept) {
        st->unparseable++;
        char msg[1300];
        snprintf(msg, sizeof msg,
                 "version '%.1024s' cannot be parsed in its ecosystem (kept: "
                 "matches against it are reported unconfirmed)",
                 bad);
        warn(db, r->id, msg);
    }
    if (kept == 0) {
        st->unknown_ecosystem += dropped;
        st->unmatchable++;
        if (dropped)
            warn(db, r->id, "no affected package of an ecosystem with a known version order");
        rs_osv_record_free(r);
        return 0;
    }
    st->unknown_ecosystem += dropped;
    if (RS_GROW(db->recs, db->n_recs + 1, db->cap_recs)) {
        rs_osv_record_free(r);
        return RS_ERR_INTERNAL;
    }
    db->recs[db->n_recs++] = r;
    st->records++;
    return 0;
}

static int add_bytes(rs_vulndb *db, const char *data, size_t len, const char *what,
                     rs_vulndb_stats *st)
{
    json_error_t jerr;
    json_t *j = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
    st->files++;
    if (!j) {
        st->invalid++;
        char msg[300];
        snprintf(msg, sizeof msg, "invalid JSON: %s (line %d)", jerr.text, jerr.line);
        warn(db, what, msg);
        return 0;
    }
    int rc = add_json(db, j, what, st);
    json_decref(j);
    return rc;
}

static int read_file(const char *path, char **data, size_t *len, char *errstr, size_t errsz)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return rs_errf(errstr, errsz, RS_ERR_INVALID, "cannot open '%s': %s", path,
                       strerror(errno));
    rs_buf b = RS_BUF_INIT;
    b.limit = RS_OSV_MAX_RECORD_BYTES;
    char chunk[65536];
    size_t got;
    int rc = 0;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
        if ((rc = rs_buf_append(&b, chunk, got)))
            break;
    int ioerr = ferror(f);
    fclose(f);
    if (rc || ioerr) {
        rs_buf_free(&b);
        return rs_errf(errstr, errsz, rc ? rc : RS_ERR_INVALID, "cannot read '%s': %s", path,
                       rc ? "larger than the record limit" : "read error");
    }
    *len = b.len;
    *data = rs_buf_steal(&b);
    return 0;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int add_dir(rs_vulndb *db, const char *dir, int depth, rs_vulndb_stats *st, char *errstr,
                   size_t errsz)
{
    if (depth > 16)
        return 0;
    DIR *d = opendir(dir);
    if (!d)
        return rs_errf(errstr, errsz, RS_ERR_INVALID, "cannot open directory '%s': %s", dir,
                       strerror(errno));
    /* read names first, sorted, so loading order is deterministic */
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    int rc = 0;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        if ((rc = RS_GROW(names, n + 1, cap)))
            break;
        if (!(names[n] = strdup(e->d_name))) {
            rc = RS_ERR_INTERNAL;
            break;
        }
        n++;
    }
    closedir(d);
    if (n > 1)
        qsort(names, n, sizeof *names, name_cmp);
    for (size_t i = 0; i < n && rc == 0; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        struct stat sb;
        if (lstat(path, &sb) != 0)
            continue;
        if (S_ISDIR(sb.st_mode)) {
            rc = add_dir(db, path, depth + 1, st, errstr, errsz);
        } else if (S_ISREG(sb.st_mode)) {
            size_t l = strlen(names[i]);
            if (l > 5 && !strcmp(names[i] + l - 5, ".json")) {
                char *data = NULL;
                size_t len = 0;
                char err[512];
                if (read_file(path, &data, &len, err, sizeof err) != 0) {
                    st->files++;
                    st->invalid++;
                    warn(db, path, err);
                    continue;
                }
                rc = add_bytes(db, data, len, path, st);
                free(data);
            }
        }
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc;
}

static int add_zip(rs_vulndb *db, const char *path, rs_vulndb_stats *st, char *errstr, size_t errsz)
{
    struct archive *a = archive_read_new();
    if (!a)
        return RS_ERR_INTERNAL;
    archive_read_support_format_zip(a);
    int rc = 0;
    if (archive_read_open_filename(a, path, 65536) != ARCHIVE_OK) {
        rc = rs_errf(errstr, errsz, RS_ERR_INVALID, "cannot open zip '%s': %s", path,
                     archive_error_string(a));
        archive_read_free(a);
        return rc;
    }
    struct archive_entry *e;
    rs_buf b = RS_BUF_INIT;
    for (;;) {
        int r = archive_read_next_header(a, &e);
        if (r == ARCHIVE_EOF)
            break;
        if (r < ARCHIVE_WARN) {
            rc = rs_errf(errstr, errsz, RS_ERR_INVALID, "zip '%s' is corrupt: %s", path,
                         archive_error_string(a));
            break;
        }
        const char *name = archive_entry_pathname(e);
        size_t l = name ? strlen(name) : 0;
        if (archive_entry_filetype(e) != AE_IFREG || l < 6 || strcmp(name + l - 5, ".json"))
            continue;
        rs_buf_reset(&b);
        b.limit = RS_OSV_MAX_RECORD_BYTES;
        char chunk[65536];
        la_ssize_t got;
        int too_big = 0;
        while ((got = archive_read_data(a, chunk, sizeof chunk)) > 0)
            if (rs_buf_append(&b, chunk, (size_t)got)) {
                too_big = 1;
                break;
            }
        char what[600];
        snprintf(what, sizeof what, "%s:%s", path, name);
        if (got < 0) {
            rc = rs_errf(errstr, errsz, RS_ERR_INVALID, "zip '%s': cannot read '%s': %s", path,
                         name, archive_error_string(a));
            break;
        }
        if (too_big) {
            st->files++;
            st->invalid++;
            warn(db, what, "larger than the record limit");
            continue;
        }
        if ((rc = add_bytes(db, b.data ? b.data : "", b.len, what, st)))
            break;
    }
    rs_buf_free(&b);
    archive_read_free(a);
    return rc;
}

static int add_snapshot(rs_vulndb *db, const char *path, FILE *f, rs_vulndb_stats *st, char *errstr,
                        size_t errsz)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    long lineno = 0;
    int rc = 0;
    while ((n = getline(&line, &cap, f)) > 0) {
        lineno++;
        if (lineno == 1) {
            json_t *h = json_loadb(line, (size_t)n, 0, NULL);
            json_t *v = json_object_get(h, "version");
            if (!json_is_integer(v) || json_integer_value(v) < 1 ||
                strcmp(json_string_value(json_object_get(h, "schema")) ?: "", RS_VULNDB_SCHEMA)) {
                json_decref(h);
                rc = rs_errf(errstr, errsz, RS_ERR_INVALID, "'%s' has no valid snapshot header",
                             path);
                break;
            }
            db->version = json_integer_value(v);
            json_decref(h);
            continue;
        }
        char what[600];
        snprintf(what, sizeof what, "%s line %ld", path, lineno);
        if ((size_t)n > RS_OSV_MAX_RECORD_BYTES) {
            st->invalid++;
            warn(db, what, "larger than the record limit");
            continue;
        }
        if ((rc = add_bytes(db, line, (size_t)n, what, st)))
            break;
    }
    free(line);
    return rc;
}

int rs_vulndb_add(rs_vulndb *db, const char *path, rs_vulndb_stats *stp, char *errstr, size_t errsz)
{
    rs_vulndb_stats dummy;
    rs_vulndb_stats *st = stp ? stp : &dummy;
    if (!stp)
        memset(&dummy, 0, sizeof dummy);
    struct stat sb;
    if (stat(path, &sb) != 0)
        return rs_errf(errstr, errsz, RS_ERR_INVALID, "vulnerability source '%s': %s", path,
                       strerror(errno));
    if (S_ISDIR(sb.st_mode))
        return add_dir(db, path, 0, st, errstr, errsz);
    FILE *f = fopen(path, "rb");
    if (!f)
        return rs_errf(errstr, errsz, RS_ERR_INVALID, "cannot open '%s': %s", path,
                       strerror(errno));
    unsigned char magic[4] = {0};
    size_t got = fread(magic, 1, 4, f);
    int rc;
    if (got == 4 && magic[0] == 'P' && magic[1] == 'K') {
        fclose(f);
        rc = add_zip(db, path, st, errstr, errsz);
    } else if (got >= 1 && magic[0] == '{') {
        rewind(f);
        /* a snapshot starts with its header line; a lone record is one JSON document */
        char head[64] = "";
        size_t hn = fread(head, 1, sizeof head - 1, f);
        head[hn] = '\0';
        rewind(f);
        if (strstr(head, "\"schema\"") && strstr(head, RS_VULNDB_SCHEMA)) {
            rc = add_snapshot(db, path, f, st, errstr, errsz);
            fclose(f);
        } else {
            fclose(f);
            char *data = NULL;
            size_t len = 0;
            rc = read_file(path, &data, &len, errstr, errsz);
            if (rc == 0)
                rc = add_bytes(db, data, len, path, st);
            free(data);
        }
    } else {
        fclose(f);
        rc = rs_errf(errstr, errsz, RS_ERR_INVALID,
                     "'%s' is neither a directory, a zip, a snapshot nor an OSV record", path);
    }
    return rc;
}

/* A record and the position it was added at: the same id with the same
 * `modified` from two sources keeps the first one added, whatever qsort does
 * with ties (it is not stable). */
struct rec_pos {
    rs_osv_record *rec;
    size_t pos;
};

static int rec_cmp(const void *a, const void *b)
{
    const struct rec_pos *x = a, *y = b;
    int c = strcmp(x->rec->id, y->rec->id);
    if (c)
        return c;
    c = strcmp(y->rec->modified, x->rec->modified); /* newest first */
    if (c)
        return c;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* Sorts the records by id, the newest copy of an id first. */
static int sort_records(rs_vulndb *db)
{
    if (db->n_recs < 2)
        return 0;
    struct rec_pos *v = calloc(db->n_recs, sizeof *v);
    if (!v)
        return RS_ERR_INTERNAL;
    for (size_t i = 0; i < db->n_recs; i++) {
        v[i].rec = db->recs[i];
        v[i].pos = i;
    }
    qsort(v, db->n_recs, sizeof *v, rec_cmp);
    for (size_t i = 0; i < db->n_recs; i++)
        db->recs[i] = v[i].rec;
    free(v);
    return 0;
}

static int idx_cmp(const void *a, const void *b)
{
    const struct idx_entry *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    if (c)
        return c;
    c = strcmp(x->hit.record->id, y->hit.record->id);
    if (c)
        return c;
    return x->hit.affected < y->hit.affected ? -1 : x->hit.affected > y->hit.affected;
}

int rs_vulndb_finish(rs_vulndb *db, char *errstr, size_t errsz)
{
    if (sort_records(db) != 0)
        return rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
    /* the same id from two sources: keep the newest */
    size_t k = 0;
    for (size_t i = 0; i < db->n_recs; i++) {
        if (k > 0 && !strcmp(db->recs[k - 1]->id, db->recs[i]->id)) {
            rs_osv_record_free(db->recs[i]);
            db->replaced++;
            continue;
        }
        db->recs[k++] = db->recs[i];
    }
    db->n_recs = k;
    size_t n = 0;
    for (size_t i = 0; i < db->n_recs; i++)
        n += db->recs[i]->n_affected;
    struct idx_entry *idx = calloc(n ? n : 1, sizeof *idx);
    free(db->keys);
    free(db->hits);
    db->keys = calloc(n ? n : 1, sizeof *db->keys);
    db->hits = calloc(n ? n : 1, sizeof *db->hits);
    if (!idx || !db->keys || !db->hits) {
        free(idx);
        return rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
    }
    size_t m = 0;
    for (size_t i = 0; i < db->n_recs; i++)
        for (size_t a = 0; a < db->recs[i]->n_affected; a++) {
            idx[m].key = db->recs[i]->affected[a].key;
            idx[m].hit.record = db->recs[i];
            idx[m].hit.affected = &db->recs[i]->affected[a];
            m++;
        }
    if (m > 1)
        qsort(idx, m, sizeof *idx, idx_cmp);
    for (size_t i = 0; i < m; i++) {
        db->keys[i] = idx[i].key;
        db->hits[i] = idx[i].hit;
    }
    db->n_idx = m;
    free(idx);
    return 0;
}

int rs_vulndb_load(const char *path, rs_vulndb **out, rs_vulndb_stats *st, char *errstr,
                   size_t errsz)
{
    rs_vulndb *db = rs_vulndb_new();
    if (!db)
        return rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
    if (st)
        memset(st, 0, sizeof *st);
    int rc = rs_vulndb_add(db, path, st, errstr, errsz);
    if (rc == 0)
        rc = rs_vulndb_finish(db, errstr, errsz);
    if (rc == 0 && st)
        st->replaced = db->replaced;
    if (rc) {
        rs_vulndb_destroy(db);
        return rc;
    }
    *out = db;
    return 0;
}

const rs_vulndb_hit *rs_vulndb_find(const rs_vulndb *db, const char *key, size_t *n)
{
    *n = 0;
    size_t lo = 0, hi = db->n_idx;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(db->keys[mid], key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t end = lo;
    while (end < db->n_idx && !strcmp(db->keys[end], key))
        end++;
    *n = end - lo;
    return *n ? &db->hits[lo] : NULL;
}

/* Writes the header and the records into `f` (closed here); the sha256 of
 * what was written into sha_out. Returns 0, RS_ERR_INVALID (errno set) or
 * RS_ERR_INTERNAL. */
static int write_lines(const rs_vulndb *db, FILE *f, int64_t version, char sha_out[72])
{
    rs_sha256 *h = rs_sha256_new();
    char when[32];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    json_t *hdr =
        json_pack("{s:s, s:I, s:s, s:I}", "schema", RS_VULNDB_SCHEMA, "version",
                  (json_int_t)version, "built_at", when, "records", (json_int_t)db->n_recs);
    int rc = h && hdr ? 0 : RS_ERR_INTERNAL;
    for (size_t i = 0; i <= db->n_recs && rc == 0; i++) {
        json_t *j = i == 0 ? hdr : rs_osv_to_json(db->recs[i - 1]);
        char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
        if (i > 0)
            json_decref(j);
        if (!s) {
            rc = RS_ERR_INTERNAL;
            break;
        }
        size_t len = strlen(s);
        if (fwrite(s, 1, len, f) != len || fputc('\n', f) == EOF)
            rc = RS_ERR_INVALID;
        rs_sha256_update(h, s, len);
        rs_sha256_update(h, "\n", 1);
        free(s);
    }
    json_decref(hdr);
    if (fflush(f) != 0 || fsync(fileno(f)) != 0)
        rc = rc ? rc : RS_ERR_INVALID;
    if (fclose(f) != 0)
        rc = rc ? rc : RS_ERR_INVALID;
    if (rc == 0)
        rs_sha256_final(h, sha_out);
    rs_sha256_destroy(h);
    return rc;
}

/* Creates the temporary file `tmpl` (ending in XXXXXX, replaced), readable by
 * every worker, and writes the snapshot into it. On failure nothing is left. */
static int write_tmp(const rs_vulndb *db, char *tmpl, int64_t version, char sha_out[72],
                     char *errstr, size_t errsz)
{
    int fd = mkstemp(tmpl);
    if (fd < 0)
        return rs_errf(errstr, errsz, RS_ERR_INVALID, "cannot write '%s': %s", tmpl,
                       strerror(errno));
    /* mkstemp makes 0600; workers may run as another user on the shared store */
    FILE *f = fchmod(fd, 0644) == 0 ? fdopen(fd, "wb") : NULL;
    if (!f) {
        int e = errno;
        close(fd);
        unlink(tmpl);
        return rs_errf(errstr, errsz, RS_ERR_INVALID, "cannot write '%s': %s", tmpl, strerror(e));
    }
    errno = 0;
    int rc = write_lines(db, f, version, sha_out);
    if (rc) {
        int e = errno;
        unlink(tmpl);
        return rs_errf(errstr, errsz, rc, "cannot write the snapshot '%s': %s", tmpl,
                       rc == RS_ERR_INTERNAL ? "out of memory" : strerror(e));
    }
    return 0;
}

/* Moves the written temporary file to `path`. */
static int rename_tmp(const char *tmp, const char *path, char *errstr, size_t errsz)
{
    if (rename(tmp, path) == 0)
        return 0;
    int e = errno;
    unlink(tmp);
    return rs_errf(errstr, errsz, RS_ERR_INVALID, "cannot write the snapshot '%s': %s", path,
                   strerror(e));
}

int rs_vulndb_write(const rs_vulndb *db, const char *path, int64_t version, char sha256_out[72],
                    char *errstr, size_t errsz)
{
    char tmp[4096], sha[72];
    int n = snprintf(tmp, sizeof tmp, "%s.tmp.XXXXXX", path);
    if (n < 0 || (size_t)n >= sizeof tmp)
        return rs_errf(errstr, errsz, RS_ERR_INVALID, "snapshot path '%.256s...' is too long",
                       path);
    int rc = write_tmp(db, tmp, version, sha, errstr, errsz);
    if (rc == 0)
        rc = rename_tmp(tmp, path, errstr, errsz);
    if (rc == 0 && sha256_out)
        memcpy(sha256_out, sha, sizeof sha);
    return rc;
}

int rs_vulndb_write_store(const rs_vulndb *db, const char *dir, int64_t version, char *path_out,
                          size_t path_size, char sha256_out[72], char *errstr, size_t errsz)
{
    char tmp[4096], sha[72];
    int n = snprintf(tmp, sizeof tmp, "%s/.vulndb-tmp-XXXXXX", dir);
    if (n < 0 || (size_t)n >= sizeof tmp)
        return rs_errf(errstr, errsz, RS_ERR_INVALID, "store path '%.256s...' is too long", dir);
    int rc = write_tmp(db, tmp, version, sha, errstr, errsz);
    if (rc)
        return rc;
    /* sha is "sha256:" and 64 hex digits */
    n = snprintf(path_out, path_size, "%s/vulndb-%06lld-%.16s.jsonl", dir, (long long)version,
                 sha + 7);
    if (n < 0 || (size_t)n >= path_size) {
        unlink(tmp);
        return rs_errf(errstr, errsz, RS_ERR_INVALID, "store path '%.256s...' is too long", dir);
    }
    /* the same name is the same content: replacing it changes nothing */
    if ((rc = rename_tmp(tmp, path_out, errstr, errsz)))
        return rc;
    if (sha256_out)
        memcpy(sha256_out, sha, sizeof sha);
    return 0;
}

static int digits(const char *s, size_t n, int hex)
{
    for (size_t i = 0; i < n; i++)
        if (!(s[i] >= '0' && s[i] <= '9') && !(hex && s[i] >= 'a' && s[i] <= 'f'))
            return 0;
    return 1;
}

int rs_vulndb_name_version(const char *name, int64_t *version)
{
    static const char pre[] = "vulndb-", suf[] = ".jsonl";
    size_t len = strlen(name), p = sizeof pre - 1, s = sizeof suf - 1;
    if (len <= p + s || strncmp(name, pre, p) != 0 || strcmp(name + len - s, suf) != 0)
        return 0;
    const char *num = name + p;
    size_t body = len - p - s, nd = strcspn(num, "-.");
    /* NNNNNN (at least 6 digits, %06lld) then "-" and 16 hex digits, or nothing
     * (the names before content-unique ones) */
    if (nd < 6 || nd > 18 || !digits(num, nd, 0))
        return 0;
    if (nd != body && (body != nd + 17 || num[nd] != '-' || !digits(num + nd + 1, 16, 1)))
        return 0;
    int64_t v = 0;
    for (size_t i = 0; i < nd; i++)
        v = v * 10 + (num[i] - '0');
    if (v < 1)
        return 0;
    *version = v;
    return 1;
}
