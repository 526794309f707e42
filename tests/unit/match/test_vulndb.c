/* test_vulndb.c - the vulnerability database: a directory of the real records,
 * an osv.dev all.zip made here with libarchive, a snapshot written and read
 * back (also into a store, under its content-unique name), snapshot file
 * names, lookups by key, the exact counters for records that are skipped, and
 * which copy of an id seen twice is kept. */
#include "base.h"
#include "rs_test.h"
#include "match.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmpdir[256];

static const char *data(const char *rel, char *buf, size_t n)
{
    return rs_test_data(rel, buf, n);
}

/* The whole file at `path` (malloc'd), its length in *len. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    char *b = malloc((size_t)n + 1);
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
        free(b);
        b = NULL;
    }
    fclose(f);
    if (b) {
        b[n] = '\0';
        *len = (size_t)n;
    }
    return b;
}

/* The hits of (ecosystem, name), through rs_osv_key. */
static const rs_vulndb_hit *find(const rs_vulndb *db, const char *eco, const char *name, size_t *n)
{
    char *key = NULL;
    RS_REQUIRE(rs_osv_key(eco, name, &key) == 0);
    const rs_vulndb_hit *h = rs_vulndb_find(db, key, n);
    free(key);
    return h;
}

static void check_stats(const rs_vulndb_stats *st, long files, long records, long withdrawn,
                        long invalid, long unknown_eco, long unmatchable, long replaced)
{
    RS_CHECK_INT(st->files, files);
    RS_CHECK_INT(st->records, records);
    RS_CHECK_INT(st->withdrawn, withdrawn);
    RS_CHECK_INT(st->invalid, invalid);
    RS_CHECK_INT(st->unknown_ecosystem, unknown_eco);
    RS_CHECK_INT(st->unmatchable, unmatchable);
    RS_CHECK_INT(st->replaced, replaced);
}

/* Lookups that every form of the real records must answer the same way. */
static void check_lookups(const rs_vulndb *db)
{
    size_t n = 0;
    const rs_vulndb_hit *h;
    /* PEP 503: PyYAML, pyyaml and py_yaml are one name */
    h = find(db, "PyPI", "PyYAML", &n);
    RS_CHECK_INT(n, 1);
    if (n == 1)
        RS_CHECK_STR(h[0].record->id, "GHSA-8q59-q68h-6hv4");
    find(db, "PyPI", "pyyaml", &n);
    RS_CHECK_INT(n, 1);
    find(db, "PyPI", "py_yaml", &n);
    RS_CHECK_INT(n, 0);
    RS_CHECK(rs_vulndb_find(db, "PyPI\x1fPyYAML", &n) == NULL);
    RS_CHECK_INT(n, 0);
    /* Django: one record, three affected entries */
    h = find(db, "PyPI", "django", &n);
    RS_CHECK_INT(n, 3);
    for (size_t i = 0; i < n; i++)
        RS_CHECK_STR(h[i].record->id, "GHSA-jh3w-4vvf-mjgr");
    find(db, "PyPI", "DJANGO", &n);
    RS_CHECK_INT(n, 3);
    /* Ubuntu with and without ":LTS" */
    h = find(db, "Ubuntu:22.04", "curl", &n);
    RS_CHECK_INT(n, 1);
    if (n == 1) {
        RS_CHECK_STR(h[0].record->id, "UBUNTU-CVE-2023-38545");
        RS_CHECK_STR(h[0].affected->ecosystem, "Ubuntu:22.04:LTS");
        RS_CHECK_STR(h[0].affected->ranges[0].events[1].version, "7.81.0-1ubuntu1.14");
    }
    find(db, "Ubuntu:22.04:LTS", "curl", &n);
    RS_CHECK_INT(n, 1);
    find(db, "Ubuntu:23.10", "curl", &n);
    RS_CHECK_INT(n, 0);
    /* Debian: by source name and release; binary names find nothing */
    h = find(db, "Debian:9", "openssl", &n);
    RS_CHECK_INT(n, 1);
    if (n == 1)
        RS_CHECK_STR(h[0].record->id, "DLA-3008-1");
    find(db, "Debian:9", "libssl1.1", &n);
    RS_CHECK_INT(n, 0);
    find(db, "Debian:10", "openssl", &n);
    RS_CHECK_INT(n, 0);
    find(db, "Debian:9", "dpkg", &n);
    RS_CHECK_INT(n, 1);
    /* lodash: three records, sorted by id */
    h = find(db, "npm", "lodash", &n);
    RS_CHECK_INT(n, 3);
    if (n == 3) {
        RS_CHECK_STR(h[0].record->id, "GHSA-35jh-r3h4-6jhm");
        RS_CHECK_STR(h[1].record->id, "GHSA-jf85-cpcp-j695");
        RS_CHECK_STR(h[2].record->id, "GHSA-p6mc-m468-83gw");
    }
    find(db, "npm", "Lodash", &n);
    RS_CHECK_INT(n, 0);
    /* log4j-core: two records, five entries; qs: nine entries */
    find(db, "Maven", "org.apache.logging.log4j:log4j-core", &n);
    RS_CHECK_INT(n, 5);
    find(db, "npm", "qs", &n);
    RS_CHECK_INT(n, 9);
    /* Go: stdlib in two records; Alpine by release */
    find(db, "Go", "stdlib", &n);
    RS_CHECK_INT(n, 2);
    h = find(db, "Alpine:v3.18", "musl", &n);
    RS_CHECK_INT(n, 1);
    if (n == 1)
        RS_CHECK_STR(h[0].affected->ranges[0].events[1].version, "1.2.4-r3");
    find(db, "Alpine", "musl", &n);
    RS_CHECK_INT(n, 0);
    find(db, "crates.io", "regex", &n);
    RS_CHECK_INT(n, 1);
    find(db, "RubyGems", "rack", &n);
    RS_CHECK_INT(n, 4);
}

static void test_directory(void)
{
    char p[1024], err[512] = "";
    rs_vulndb *db = NULL;
    rs_vulndb_stats st;
    RS_CHECK_INT(rs_vulndb_load(data("osv/records", p, sizeof p), &db, &st, err, sizeof err), 0);
    RS_REQUIRE(db != NULL);
    check_stats(&st, 26, 26, 0, 0, 0, 0, 0);
    RS_CHECK_INT(rs_vulndb_count(db), 26);
    RS_CHECK_INT(rs_vulndb_version(db), 0);
    check_lookups(db);
    rs_vulndb_destroy(db);

    /* a single record file */
    RS_CHECK_INT(rs_vulndb_load(data("osv/records/npm/GHSA-hrpp-h998-j3pp.json", p, sizeof p), &db,
                                &st, err, sizeof err),
                 0);
    RS_REQUIRE(db != NULL);
    check_stats(&st, 1, 1, 0, 0, 0, 0, 0);
    size_t n = 0;
    find(db, "npm", "qs", &n);
    RS_CHECK_INT(n, 9);
    rs_vulndb_destroy(db);

    /* what cannot be read at all is an error, not an empty database */
    db = (rs_vulndb *)1;
    RS_CHECK_INT(rs_vulndb_load(data("osv/nonexistent", p, sizeof p), &db, &st, err, sizeof err),
                 RS_ERR_INVALID);
    RS_CHECK(strstr(err, "nonexistent") != NULL);
    RS_CHECK_INT(rs_vulndb_load(data("osv/bad/notes.txt", p, sizeof p), &db, &st, err, sizeof err),
                 RS_ERR_INVALID);
    RS_CHECK(strstr(err, "neither") != NULL);
}

/* Good records plus every kind of bad one: exact counters, never a crash. */
static void test_skipped(void)
{
    char p[1024], err[512] = "";
    rs_vulndb *db = rs_vulndb_new();
    RS_REQUIRE(db != NULL);
    rs_vulndb_stats st;
    memset(&st, 0, sizeof st);
    RS_CHECK_INT(rs_vulndb_add(db, data("osv/records", p, sizeof p), &st, err, sizeof err), 0);
    RS_CHECK_INT(rs_vulndb_add(db, data("osv/bad", p, sizeof p), &st, err, sizeof err), 0);
    RS_CHECK_INT(rs_vulndb_finish(db, err, sizeof err), 0);
    st.replaced = rs_vulndb_replaced(db);
    /* 26 + 13 .json files (notes.txt and README.md not read); invalid: broken JSON,
     * a duplicate key, an empty file, no id, an unknown range type, an event with
     * two keys; unknown ecosystem: Hackage alone (unmatchable) and beside npm
     * (kept); unmatchable: Hackage alone and a GIT-only entry without package;
     * kept: 26 + mixed + both DUP-1 + BADVER-1, of which one DUP-1 is replaced */
    check_stats(&st, 39, 30, 1, 6, 2, 2, 1);
    RS_CHECK_INT(rs_vulndb_count(db), 29);
    check_lookups(db);
    size_t n = 0;
    const rs_vulndb_hit *h = find(db, "npm", "left-pad", &n);
    RS_CHECK_INT(n, 2);
    if (n == 2) {
        RS_CHECK_STR(h[0].record->id, "DUP-1");
        RS_CHECK_STR(h[0].record->summary, "the newer copy");
        RS_CHECK_STR(h[0].record->modified, "2024-05-01T00:00:00Z");
        RS_CHECK_STR(h[1].record->id, "MIXED-1");
        RS_CHECK_INT(h[1].record->n_affected, 1);
    }
    find(db, "Hackage", "aeson", &n);
    RS_CHECK_INT(n, 0);
    /* the unparseable event version is loaded and evaluates to unknown */
    h = find(db, "npm", "badver", &n);
    RS_CHECK_INT(n, 1);
    if (n == 1) {
        rs_osv_eval ev;
        rs_osv_evaluate(h[0].affected, &rs_version_semver, "1.0.0", &ev);
        RS_CHECK_INT(ev.state, RS_AFFECTED_UNKNOWN);
        RS_CHECK_STR(ev.unparsed, "not.a.version");
        rs_osv_evaluate(h[0].affected, &rs_version_semver, "2.0.1", &ev);
        RS_CHECK_INT(ev.state, RS_AFFECTED_YES);
    }
    rs_vulndb_destroy(db);

    /* rs_vulndb_load reports the replaced copy itself */
    RS_CHECK_INT(rs_vulndb_load(data("osv/bad", p, sizeof p), &db, &st, err, sizeof err), 0);
    RS_REQUIRE(db != NULL);
    check_stats(&st, 13, 4, 1, 6, 2, 2, 1);
    RS_CHECK_INT(rs_vulndb_count(db), 3);
    rs_vulndb_destroy(db);
}

/* Adds a member to a zip being written. */
static void zip_add(struct archive *a, const char *name, const char *body, size_t len, int dir)
{
    struct archive_entry *e = archive_entry_new();
    archive_entry_set_pathname(e, name);
    archive_entry_set_filetype(e, dir ? AE_IFDIR : AE_IFREG);
    archive_entry_set_perm(e, dir ? 0755 : 0644);
    archive_entry_set_size(e, dir ? 0 : (la_int64_t)len);
    RS_CHECK_INT(archive_write_header(a, e), ARCHIVE_OK);
    if (!dir && len)
        RS_CHECK_INT(archive_write_data(a, body, len), (la_ssize_t)len);
    archive_entry_free(e);
}

/* osv.dev's all.zip: one <ID>.json per record at the top. */
static void test_zip(void)
{
    char zip[512], p[1024], err[512] = "";
    snprintf(zip, sizeof zip, "%s/all.zip", tmpdir);
    struct archive *a = archive_write_new();
    RS_REQUIRE(a != NULL);
    RS_REQUIRE(archive_write_set_format_zip(a) == ARCHIVE_OK);
    RS_REQUIRE(archive_write_open_filename(a, zip) == ARCHIVE_OK);
    const char *recs[] = {"PyPI/GHSA-8q59-q68h-6hv4.json", "npm/GHSA-hrpp-h998-j3pp.json",
                          "Debian/DLA-3008-1.json", "Go/GO-2023-2102.json"};
    for (size_t i = 0; i < 4; i++) {
        char rel[256];
        snprintf(rel, sizeof rel, "osv/records/%s", recs[i]);
        size_t len = 0;
        char *body = slurp(data(rel, p, sizeof p), &len);
        RS_REQUIRE(body != NULL);
        zip_add(a, strchr(recs[i], '/') + 1, body, len, 0);
        free(body);
    }
    const char *broken = "{\"id\": \"BROKEN\", ";
    zip_add(a, "BROKEN.json", broken, strlen(broken), 0);
    const char *withdrawn = "{\"id\":\"W-1\",\"withdrawn\":\"2024-01-01T00:00:00Z\"}";
    zip_add(a, "W-1.json", withdrawn, strlen(withdrawn), 0);
    zip_add(a, "README.txt", "not a record", 12, 0);
    zip_add(a, "folder.json/", "", 0, 1);
    RS_CHECK_INT(archive_write_close(a), ARCHIVE_OK);
    archive_write_free(a);

    rs_vulndb *db = NULL;
    rs_vulndb_stats st;
    RS_CHECK_INT(rs_vulndb_load(zip, &db, &st, err, sizeof err), 0);
    RS_REQUIRE(db != NULL);
    check_stats(&st, 6, 4, 1, 1, 0, 0, 0);
    RS_CHECK_INT(rs_vulndb_count(db), 4);
    size_t n = 0;
    find(db, "PyPI", "PyYAML", &n);
    RS_CHECK_INT(n, 1);
    find(db, "Debian:9", "openssl", &n);
    RS_CHECK_INT(n, 1);
    find(db, "Go", "golang.org/x/net", &n);
    RS_CHECK_INT(n, 1);
    rs_vulndb_destroy(db);

    /* a file that starts like a zip but is none */
    char fake[512];
    snprintf(fake, sizeof fake, "%s/fake.zip", tmpdir);
    FILE *f = fopen(fake, "wb");
    RS_REQUIRE(f != NULL);
    fputs("PK\x03\x04 this is not a zip archive at all", f);
    fclose(f);
    db = (rs_vulndb *)1;
    RS_CHECK(rs_vulndb_load(fake, &db, &st, err, sizeof err) == RS_ERR_INVALID);
    unlink(fake);
    unlink(zip);
}

/* A snapshot written and read back: same records, the version kept, the sha256 right. */
static void test_snapshot(void)
{
    char p[1024], err[512] = "", snap[512], sha[72] = "", filesha[RS_DIGEST_SIZE];
    rs_vulndb *db = NULL, *back = NULL;
    rs_vulndb_stats st;
    RS_REQUIRE(rs_vulndb_load(data("osv/records", p, sizeof p), &db, &st, err, sizeof err) == 0);
    snprintf(snap, sizeof snap, "%s/vulndb-000007.jsonl", tmpdir);
    RS_CHECK_INT(rs_vulndb_write(db, snap, 7, sha, err, sizeof err), 0);
    size_t len = 0;
    char *body = slurp(snap, &len);
    RS_REQUIRE(body != NULL);
    rs_sha256_digest(body, len, filesha);
    RS_CHECK_STR(sha, filesha);
    RS_CHECK(!strncmp(sha, "sha256:", 7) && strlen(sha) == 71);
    /* header then one line per record, sorted by id */
    size_t lines = 0;
    for (size_t i = 0; i < len; i++)
        lines += body[i] == '\n';
    RS_CHECK_INT(lines, 27);
    RS_CHECK(strstr(body, "\"schema\":\"" RS_VULNDB_SCHEMA "\"") != NULL);
    RS_CHECK(strstr(body, "\"version\":7") != NULL);
    RS_CHECK(strstr(body, "\"records\":26") != NULL);
    const char *first = strchr(body, '\n') + 1;
    RS_CHECK(!strncmp(first, "{\"id\":\"ALPINE-CVE-2025-26519\"", 29));

    RS_CHECK_INT(rs_vulndb_load(snap, &back, &st, err, sizeof err), 0);
    RS_REQUIRE(back != NULL);
    check_stats(&st, 26, 26, 0, 0, 0, 0, 0);
    RS_CHECK_INT(rs_vulndb_version(back), 7);
    RS_CHECK_INT(rs_vulndb_count(back), 26);
    check_lookups(back);
    /* every hit of every key evaluates the same in both */
    const char *probe[][3] = {{"npm", "lodash", "4.17.20"},
                              {"npm", "qs", "6.5.2"},
                              {"Debian:9", "openssl", "1.1.0l-1~deb9u5"},
                              {"Debian:9", "openssl", "1.1.0l-1~deb9u6"},
                              {"Go", "stdlib", "v1.21.2"},
                              {"Maven", "org.apache.logging.log4j:log4j-core", "2.14.1"},
                              {"PyPI", "urllib3", "2.0.5"},
                              {"Alpine:v3.19", "musl", "1.2.4_git20230717-r4"},
                              {"RubyGems", "rack", "2.2.6.1"},
                              {"Ubuntu:24.04", "xz-utils", "5.4.5-0.2"}};
    for (size_t i = 0; i < sizeof probe / sizeof *probe; i++) {
        size_t n1 = 0, n2 = 0;
        const rs_vulndb_hit *h1 = find(db, probe[i][0], probe[i][1], &n1);
        const rs_vulndb_hit *h2 = find(back, probe[i][0], probe[i][1], &n2);
        RS_CHECK_INT(n2, n1);
        RS_CHECK(n1 > 0);
        for (size_t k = 0; k < n1 && k < n2; k++) {
            const rs_version_scheme *s = rs_version_scheme_for_ecosystem(probe[i][0]);
            rs_osv_eval e1, e2;
            rs_osv_evaluate(h1[k].affected, s, probe[i][2], &e1);
            rs_osv_evaluate(h2[k].affected, s, probe[i][2], &e2);
            RS_CHECK_STR(h2[k].record->id, h1[k].record->id);
            RS_CHECK_INT(e2.state, e1.state);
            RS_CHECK_STR(h2[k].record->summary, h1[k].record->summary);
            RS_CHECK_STR(h2[k].record->cvss3, h1[k].record->cvss3);
            RS_CHECK_STR(h2[k].record->severity, h1[k].record->severity);
            RS_CHECK_INT(h2[k].record->n_aliases, h1[k].record->n_aliases);
            RS_CHECK_INT(h2[k].record->n_upstream, h1[k].record->n_upstream);
            RS_CHECK_STR(h2[k].affected->severity, h1[k].affected->severity);
            RS_CHECK_INT(h2[k].affected->n_versions, h1[k].affected->n_versions);
        }
    }
    /* a snapshot written from the snapshot is the same but for built_at */
    char snap2[512], sha2[72];
    snprintf(snap2, sizeof snap2, "%s/again.jsonl", tmpdir);
    RS_CHECK_INT(rs_vulndb_write(back, snap2, 7, sha2, err, sizeof err), 0);
    size_t len2 = 0;
    char *body2 = slurp(snap2, &len2);
    RS_REQUIRE(body2 != NULL);
    RS_CHECK_INT(len2, len);
    RS_CHECK(strcmp(strchr(body2, '\n'), strchr(body, '\n')) == 0);
    free(body2);
    rs_vulndb_destroy(back);
    back = NULL;

    /* a damaged line is skipped and counted; a damaged header refuses the file */
    char *cut = strdup(body);
    RS_REQUIRE(cut != NULL);
    char *second = strchr(strchr(cut, '\n') + 1, '\n') + 1; /* third line */
    memcpy(second, "{\"id\":", 6);
    second[6] = '!';
    FILE *f = fopen(snap2, "wb");
    RS_REQUIRE(f != NULL);
    fwrite(cut, 1, len, f);
    fclose(f);
    RS_CHECK_INT(rs_vulndb_load(snap2, &back, &st, err, sizeof err), 0);
    RS_REQUIRE(back != NULL);
    check_stats(&st, 26, 25, 0, 1, 0, 0, 0);
    RS_CHECK_INT(rs_vulndb_version(back), 7);
    rs_vulndb_destroy(back);
    back = NULL;
    memcpy(cut, "{\"schema\":\"" RS_VULNDB_SCHEMA "\",\"version\":0",
           11 + strlen(RS_VULNDB_SCHEMA) + 13);
    f = fopen(snap2, "wb");
    RS_REQUIRE(f != NULL);
    fwrite(cut, 1, len, f);
    fclose(f);
    back = (rs_vulndb *)1;
    RS_CHECK_INT(rs_vulndb_load(snap2, &back, &st, err, sizeof err), RS_ERR_INVALID);
    RS_CHECK(strstr(err, "snapshot header") != NULL);
    free(cut);
    free(body);
    unlink(snap2);

    /* writing where no file can be made fails and leaves nothing */
    char bad[512];
    snprintf(bad, sizeof bad, "%s/missing-dir/snap.jsonl", tmpdir);
    RS_CHECK_INT(rs_vulndb_write(db, bad, 8, sha, err, sizeof err), RS_ERR_INVALID);
    RS_CHECK(access(bad, F_OK) != 0);
    unlink(snap);
    rs_vulndb_destroy(db);
}

/* Snapshot file names: what the store scan counts, and nothing else. */
static void test_names(void)
{
    static const struct {
        const char *name;
        int ok;
        long long version;
    } cases[] = {
        {"vulndb-000001.jsonl", 1, 1},
        {"vulndb-000042-0123456789abcdef.jsonl", 1, 42},
        {"vulndb-1234567-fedcba9876543210.jsonl", 1, 1234567},
        {"vulndb-999999999999999999.jsonl", 1, 999999999999999999LL},
        {"vulndb-000000.jsonl", 0, 0},
        {"vulndb-00001.jsonl", 0, 0},
        {"vulndb-1000000000000000000.jsonl", 0, 0},
        {"vulndb-000001-0123456789ABCDEF.jsonl", 0, 0},
        {"vulndb-000001-0123456789abcde.jsonl", 0, 0},
        {"vulndb-000001-0123456789abcdef0.jsonl", 0, 0},
        {"vulndb-000001-0123456789abcdeg.jsonl", 0, 0},
        {"vulndb-000001_0123456789abcdef.jsonl", 0, 0},
        {"vulndb-000001-.jsonl", 0, 0},
        {"vulndb-000001.jsonl.tmp.123", 0, 0},
        {"vulndb-000001.json", 0, 0},
        {"vulndb-+00001.jsonl", 0, 0},
        {"vulndb- 00001.jsonl", 0, 0},
        {"vulndb--000001.jsonl", 0, 0},
        {"vulndb-.jsonl", 0, 0},
        {"vulndb-000001.x.jsonl", 0, 0},
        {"xvulndb-000001.jsonl", 0, 0},
        {".vulndb-tmp-abc123", 0, 0},
        {"", 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        int64_t v = -1;
        int ok = rs_vulndb_name_version(cases[i].name, &v);
        if (ok != cases[i].ok)
            fprintf(stderr, "name '%s'\n", cases[i].name);
        RS_CHECK_INT(ok, cases[i].ok);
        RS_CHECK_INT(v, cases[i].ok ? cases[i].version : -1);
    }
}

/* A snapshot written into a store: its content-unique name, mode 0644, no
 * temporary file left; a store that does not exist leaves nothing. */
static void test_write_store(void)
{
    char p[1024], err[512] = "", dir[300], path[1024], sha[72] = "", want[1100];
    char filesha[RS_DIGEST_SIZE];
    rs_vulndb *db = NULL, *back = NULL;
    RS_REQUIRE(rs_vulndb_load(data("osv/records", p, sizeof p), &db, NULL, err, sizeof err) == 0);
    snprintf(dir, sizeof dir, "%s/store", tmpdir);
    RS_REQUIRE(mkdir(dir, 0755) == 0);
    RS_CHECK_INT(rs_vulndb_write_store(db, dir, 12, path, sizeof path, sha, err, sizeof err), 0);
    snprintf(want, sizeof want, "%s/vulndb-000012-%.16s.jsonl", dir, sha + 7);
    RS_CHECK_STR(path, want);
    size_t len = 0;
    char *body = slurp(path, &len);
    RS_REQUIRE(body != NULL);
    rs_sha256_digest(body, len, filesha);
    RS_CHECK_STR(sha, filesha);
    free(body);
    struct stat sb;
    RS_CHECK_INT(stat(path, &sb), 0);
    RS_CHECK_INT(sb.st_mode & 07777, 0644);
    int64_t v = 0;
    RS_CHECK_INT(rs_vulndb_name_version(strrchr(path, '/') + 1, &v), 1);
    RS_CHECK_INT(v, 12);
    RS_CHECK_INT(rs_vulndb_load(path, &back, NULL, err, sizeof err), 0);
    RS_CHECK_INT(back ? rs_vulndb_version(back) : -1, 12);
    rs_vulndb_destroy(back);
    /* the store holds that file alone */
    DIR *d = opendir(dir);
    RS_REQUIRE(d != NULL);
    int entries = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        entries += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    closedir(d);
    RS_CHECK_INT(entries, 1);
    unlink(path);
    rmdir(dir);

    snprintf(dir, sizeof dir, "%s/no-such-store", tmpdir);
    path[0] = '\0';
    RS_CHECK_INT(rs_vulndb_write_store(db, dir, 13, path, sizeof path, sha, err, sizeof err),
                 RS_ERR_INVALID);
    RS_CHECK(strstr(err, "no-such-store") != NULL);
    RS_CHECK(access(dir, F_OK) != 0);
    rs_vulndb_destroy(db);
}

/* Writes one record file: id TIE-1, the same `modified` in every copy. */
static void write_tie(const char *dir, const char *name, const char *summary)
{
    char path[600];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    RS_REQUIRE(f != NULL);
    fprintf(f,
            "{\"id\":\"TIE-1\",\"modified\":\"2024-01-01T00:00:00Z\",\"summary\":\"%s\","
            "\"affected\":[{\"package\":{\"ecosystem\":\"npm\",\"name\":\"tie\"},"
            "\"ranges\":[{\"type\":\"ECOSYSTEM\",\"events\":[{\"introduced\":\"0\"}]}]}]}",
            summary);
    fclose(f);
}

/* The same id with the same `modified` several times: the copy added first
 * is kept (files of a directory are added in the order of their names). */
static void test_same_modified(void)
{
    static const char *const names[] = {"a", "c", "e", "g", "i", "k", "m", "o", "q", "s"};
    enum { N = sizeof names / sizeof *names };
    char dir[300], err[512] = "", path[600], file[16], summary[32];
    snprintf(dir, sizeof dir, "%s/ties", tmpdir);
    RS_REQUIRE(mkdir(dir, 0755) == 0);
    for (size_t i = N; i-- > 0;) { /* made in the opposite order of their names */
        snprintf(file, sizeof file, "%s.json", names[i]);
        snprintf(summary, sizeof summary, "from %s", names[i]);
        write_tie(dir, file, summary);
    }
    for (int round = 0; round < 2; round++) {
        rs_vulndb *db = rs_vulndb_new();
        RS_REQUIRE(db != NULL);
        rs_vulndb_stats st;
        memset(&st, 0, sizeof st);
        snprintf(path, sizeof path, "%s/m.json", dir);
        if (round == 1) /* m first, then the directory (a, c, ..., s) */
            RS_CHECK_INT(rs_vulndb_add(db, path, &st, err, sizeof err), 0);
        RS_CHECK_INT(rs_vulndb_add(db, dir, &st, err, sizeof err), 0);
        RS_CHECK_INT(rs_vulndb_finish(db, err, sizeof err), 0);
        RS_CHECK_INT(rs_vulndb_count(db), 1);
        RS_CHECK_INT(rs_vulndb_replaced(db), N - 1 + round);
        size_t n = 0;
        const rs_vulndb_hit *h = find(db, "npm", "tie", &n);
        RS_CHECK_INT(n, 1);
        RS_CHECK_STR(n ? h[0].record->summary : NULL, round ? "from m" : "from a");
        rs_vulndb_destroy(db);
    }
    for (size_t i = 0; i < N; i++) {
        snprintf(path, sizeof path, "%s/%s.json", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "%s/rs-test-vulndb-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    RS_REQUIRE(mkdtemp(tmpdir) != NULL);
    test_directory();
    test_skipped();
    test_zip();
    test_snapshot();
    test_names();
    test_write_store();
    test_same_modified();
    rmdir(tmpdir);
    return RS_TEST_RESULT();
}
