/* test_vulndb_source.c - vulnerability sources: local paths, file:// URLs and
 * cached downloads from tests/helpers/osv_server.py on loopback (conditional
 * GETs, 304 reuse, changed content, failures that keep the old copy, limits,
 * redaction). Zips are made here with libarchive's zip writer. Exits 77 when
 * /usr/bin/python3 is missing. */
#include "base.h"
#include "registry.h"
#include "rs_test.h"
#include "vulndb_source_int.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <jansson.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char g_work[512], g_root[1024], g_cache[1024];
static pid_t g_pid = -1;
static int g_port;
static rs_http_policy g_policy = {2, 10, 40, 100, 2000, 1024, 30, 5};
static char errbuf[1024];

/* ---- files ------------------------------------------------------------ */

static void write_file(const char *path, const void *data, size_t len)
{
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s.new", path);
    FILE *f = fopen(tmp, "wb");
    RS_REQUIRE(f != NULL);
    RS_REQUIRE(fwrite(data, 1, len, f) == len);
    RS_REQUIRE(fclose(f) == 0);
    RS_REQUIRE(rename(tmp, path) == 0);
}

/* Reads a whole file (NULL when missing); *len set. */
static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    rs_buf b = RS_BUF_INIT;
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        RS_REQUIRE(rs_buf_append(&b, chunk, n) == 0);
    fclose(f);
    *len = b.len;
    return rs_buf_steal(&b);
}

static int file_equals(const char *path, const void *data, size_t len)
{
    size_t got = 0;
    char *b = read_file(path, &got);
    int eq = b && got == len && memcmp(b, data, len) == 0;
    free(b);
    return eq;
}

static int exists(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0;
}

/* Files of the cache directory whose name contains ".tmp." (leftovers). */
static int count_tmp(void)
{
    DIR *d = opendir(g_cache);
    int n = 0;
    if (!d)
        return -1;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strstr(e->d_name, ".tmp."))
            n++;
    closedir(d);
    return n;
}

static int rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

/* A zip holding `n` OSV records named <id>.json. */
static void make_zip(const char *const *ids, size_t n, rs_buf *out)
{
    size_t cap = 1 << 16, used = 0;
    char *mem = malloc(cap);
    RS_REQUIRE(mem != NULL);
    struct archive *a = archive_write_new();
    RS_REQUIRE(archive_write_set_format_zip(a) == ARCHIVE_OK);
    RS_REQUIRE(archive_write_open_memory(a, mem, cap, &used) == ARCHIVE_OK);
    for (size_t i = 0; i < n; i++) {
        char name[128], body[512];
        snprintf(name, sizeof name, "%s.json", ids[i]);
        int len = snprintf(body, sizeof body,
                           "{\"id\":\"%s\",\"modified\":\"2024-01-01T00:00:00Z\",\"affected\":"
                           "[{\"package\":{\"ecosystem\":\"npm\",\"name\":\"left-pad\"},"
                           "\"ranges\":[{\"type\":\"SEMVER\",\"events\":[{\"introduced\":\"0\"},"
                           "{\"fixed\":\"1.3.0\"}]}]}]}\n",
                           ids[i]);
        struct archive_entry *e = archive_entry_new();
        archive_entry_set_pathname(e, name);
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 0644);
        archive_entry_set_size(e, len);
        archive_entry_set_mtime(e, 1700000000, 0);
        RS_REQUIRE(archive_write_header(a, e) == ARCHIVE_OK);
        RS_REQUIRE(archive_write_data(a, body, (size_t)len) == len);
        archive_entry_free(e);
    }
    RS_REQUIRE(archive_write_close(a) == ARCHIVE_OK);
    archive_write_free(a);
    rs_buf_reset(out);
    RS_REQUIRE(rs_buf_append(out, mem, used) == 0);
    free(mem);
}

/* The member names of a zip file, joined with ','. */
static void zip_names(const char *path, char *out, size_t out_size)
{
    struct archive *a = archive_read_new();
    archive_read_support_format_zip(a);
    out[0] = '\0';
    if (archive_read_open_filename(a, path, 16384) == ARCHIVE_OK) {
        struct archive_entry *e;
        while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
            size_t l = strlen(out);
            snprintf(out + l, out_size - l, "%s%s", l ? "," : "", archive_entry_pathname(e));
        }
    }
    archive_read_free(a);
}

/* "\"<first 32 hex of sha256>\"": the server's ETag for these bytes. */
static void etag_of(const void *data, size_t len, char *out, size_t out_size)
{
    char d[RS_DIGEST_SIZE];
    rs_sha256_digest(data, len, d);
    snprintf(out, out_size, "\"%.32s\"", d + 7);
}

/* cache_dir/<sha256 hex of url><ext> */
static void cache_path(const char *url, const char *ext, char *out, size_t out_size)
{
    char d[RS_DIGEST_SIZE];
    rs_sha256_digest(url, strlen(url), d);
    snprintf(out, out_size, "%s/%s%s", g_cache, d + 7, ext);
}

/* ---- the server ------------------------------------------------------- */

static void server_start(void)
{
    const char *src = getenv("RS_SOURCE_DIR");
    char script[PATH_MAX];
    snprintf(script, sizeof script, "%s/tests/helpers/osv_server.py", src ? src : ".");
    RS_REQUIRE(access(script, R_OK) == 0);
    int fds[2];
    RS_REQUIRE(pipe(fds) == 0);
    g_pid = fork();
    RS_REQUIRE(g_pid >= 0);
    if (g_pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        execl("/usr/bin/python3", "python3", script, "--root", g_root, "--port", "0", "--lifetime",
              "120", (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    char line[128];
    size_t n = 0;
    while (n + 1 < sizeof line) {
        struct pollfd p = {fds[0], POLLIN, 0};
        if (poll(&p, 1, 15000) <= 0)
            break;
        ssize_t r = read(fds[0], line + n, 1);
        if (r <= 0 || line[n] == '\n')
            break;
        n++;
    }
    line[n] = '\0';
    close(fds[0]);
    RS_REQUIRE(sscanf(line, "LISTENING %d", &g_port) == 1);
}

static void server_stop(void)
{
    if (g_pid > 0) {
        kill(g_pid, SIGTERM);
        waitpid(g_pid, NULL, 0);
        g_pid = -1;
    }
}

static json_t *server_get(const char *path_query)
{
    char url[512];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", g_port, path_query);
    rs_http *h = rs_http_new(&g_policy);
    RS_REQUIRE(h != NULL);
    rs_http_request req = {"GET", url, NULL, NULL, 0};
    rs_http_response resp;
    RS_REQUIRE(rs_http_do(h, &req, &resp, errbuf, sizeof errbuf) == 0);
    RS_REQUIRE(resp.status == 200);
    json_t *j = json_loads(resp.body, 0, NULL);
    rs_http_response_free(&resp);
    rs_http_destroy(h);
    return j;
}

static long long stat_int(const char *key)
{
    json_t *j = server_get("/__stats");
    RS_REQUIRE(j != NULL);
    long long v = json_integer_value(json_object_get(j, key));
    json_decref(j);
    return v;
}

/* Copies a string statistic into out ("(null)" for JSON null). */
static const char *stat_str(const char *key, char *out, size_t out_size)
{
    json_t *j = server_get("/__stats");
    RS_REQUIRE(j != NULL);
    const char *v = json_string_value(json_object_get(j, key));
    snprintf(out, out_size, "%s", v ? v : "(null)");
    json_decref(j);
    return out;
}

static void server_mode(const char *query)
{
    char pq[256];
    snprintf(pq, sizeof pq, "/__mode%s%s", query[0] ? "?" : "", query);
    rs_http *h = rs_http_new(&g_policy);
    rs_http_request req = {"GET", NULL, NULL, NULL, 0};
    char url[512];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", g_port, pq);
    req.url = url;
    rs_http_response resp;
    RS_REQUIRE(rs_http_do(h, &req, &resp, errbuf, sizeof errbuf) == 0);
    RS_REQUIRE(resp.status == 200);
    rs_http_response_free(&resp);
    rs_http_destroy(h);
}

static int fetch(const char *source, char *path, size_t path_size, int *from_cache)
{
    rs_vulndb_source_opts o = {NULL, &g_policy, 0};
    errbuf[0] = '\0';
    *from_cache = -1;
    return rs_vulndb_source_resolve_opts(source, g_cache, &o, path, path_size, from_cache, errbuf,
                                         sizeof errbuf);
}

/* ---- cases ------------------------------------------------------------ */

static void test_local(void)
{
    char p[2048], got[PATH_MAX], url[PATH_MAX];
    int fc = -1;
    snprintf(p, sizeof p, "%s/local.zip", g_work);
    write_file(p, "PK\x05\x06", 4);

    RS_CHECK_INT(rs_vulndb_source_resolve(p, NULL, got, sizeof got, &fc, errbuf, sizeof errbuf), 0);
    RS_CHECK_STR(got, p);
    RS_CHECK_INT(fc, 0);

    /* a directory of records is a source too */
    RS_CHECK_INT(
        rs_vulndb_source_resolve(g_root, NULL, got, sizeof got, &fc, errbuf, sizeof errbuf), 0);
    RS_CHECK_STR(got, g_root);

    snprintf(url, sizeof url, "file://%s", p);
    RS_CHECK_INT(rs_vulndb_source_resolve(url, NULL, got, sizeof got, &fc, errbuf, sizeof errbuf),
                 0);
    RS_CHECK_STR(got, p);
    snprintf(url, sizeof url, "FILE://localhost%s", p);
    RS_CHECK_INT(rs_vulndb_source_resolve(url, NULL, got, sizeof got, &fc, errbuf, sizeof errbuf),
                 0);
    RS_CHECK_STR(got, p);

    char spaced[PATH_MAX];
    snprintf(spaced, sizeof spaced, "%s/with space.json", g_work);
    write_file(spaced, "{}", 2);
    snprintf(url, sizeof url, "file://%s/with%%20space.json", g_work);
    RS_CHECK_INT(rs_vulndb_source_resolve(url, NULL, got, sizeof got, &fc, errbuf, sizeof errbuf),
                 0);
    RS_CHECK_STR(got, spaced);

    /* missing paths are configuration errors naming the path */
    char missing[2048];
    snprintf(missing, sizeof missing, "%s/nope/all.zip", g_work);
    got[0] = '\0';
    RS_CHECK_INT(
        rs_vulndb_source_resolve(missing, NULL, got, sizeof got, &fc, errbuf, sizeof errbuf),
        RS_ERR_CONFIG);
    RS_CHECK(strstr(errbuf, missing) != NULL);
    RS_CHECK_STR(got, "");
    snprintf(url, sizeof url, "file://%s", missing);
    RS_CHECK_INT(rs_vulndb_source_resolve(url, NULL, got, sizeof got, &fc, errbuf, sizeof errbuf),
                 RS_ERR_CONFIG);
    RS_CHECK_INT(rs_vulndb_source_resolve("file://otherhost/x.zip", NULL, got, sizeof got, &fc,
                                          errbuf, sizeof errbuf),
                 RS_ERR_CONFIG);
    RS_CHECK_INT(rs_vulndb_source_resolve("", NULL, got, sizeof got, &fc, errbuf, sizeof errbuf),
                 RS_ERR_CONFIG);
    RS_CHECK_INT(rs_vulndb_source_resolve(NULL, NULL, got, sizeof got, &fc, errbuf, sizeof errbuf),
                 RS_ERR_CONFIG);

    /* a buffer too small for the path */
    char small[8];
    RS_CHECK_INT(rs_vulndb_source_resolve(p, NULL, small, sizeof small, &fc, errbuf, sizeof errbuf),
                 RS_ERR_CONFIG);

    /* other schemes, plain http off loopback, URLs without a cache */
    RS_CHECK_INT(rs_vulndb_source_resolve("ftp://user:pw@127.0.0.1/all.zip", g_cache, got,
                                          sizeof got, &fc, errbuf, sizeof errbuf),
                 RS_ERR_UNSUPPORTED);
    RS_CHECK(strstr(errbuf, "pw") == NULL);
    RS_CHECK_INT(rs_vulndb_source_resolve("http://example.invalid/all.zip", g_cache, got,
                                          sizeof got, &fc, errbuf, sizeof errbuf),
                 RS_ERR_CONFIG);
    RS_CHECK(strstr(errbuf, "loopback") != NULL);
    RS_CHECK_INT(rs_vulndb_source_resolve("http://192.0.2.1:8080/all.zip", g_cache, got, sizeof got,
                                          &fc, errbuf, sizeof errbuf),
                 RS_ERR_CONFIG);
    RS_CHECK_INT(rs_vulndb_source_resolve("http://127.0.0.1:1/all.zip", NULL, got, sizeof got, &fc,
                                          errbuf, sizeof errbuf),
                 RS_ERR_CONFIG);
    RS_CHECK(strstr(errbuf, "cache directory") != NULL);
    RS_CHECK_INT(rs_vulndb_source_is_url("HTTPS://x/y"), 1);
    RS_CHECK_INT(rs_vulndb_source_is_url("/srv/osv/all.zip"), 0);
    RS_CHECK_INT(rs_vulndb_source_is_url("file:///srv/all.zip"), 0);
}

static void test_download(void)
{
    char url[256], want[PATH_MAX], got[PATH_MAX], meta[PATH_MAX], etag[80], line[160], s[256];
    int fc;
    rs_buf zip1 = RS_BUF_INIT, zip2 = RS_BUF_INIT, zip3 = RS_BUF_INIT;
    const char *ids1[] = {"GHSA-0001", "GHSA-0002"};
    const char *ids2[] = {"GHSA-0001", "GHSA-0002", "GHSA-0003"};
    const char *ids3[] = {"GHSA-0004"};
    make_zip(ids1, 2, &zip1);
    make_zip(ids2, 3, &zip2);
    make_zip(ids3, 1, &zip3);
    char served[PATH_MAX];
    snprintf(served, sizeof served, "%s/osv/all.zip", g_root);
    write_file(served, zip1.data, zip1.len);

    snprintf(url, sizeof url, "http://127.0.0.1:%d/osv/all.zip", g_port);
    cache_path(url, ".zip", want, sizeof want);
    cache_path(url, ".etag", meta, sizeof meta);

    /* first download: a plain GET, cached bytes and validators kept */
    RS_CHECK_INT(fetch(url, got, sizeof got, &fc), 0);
    RS_CHECK_STR(got, want);
    RS_CHECK_INT(fc, 0);
    RS_CHECK(file_equals(want, zip1.data, zip1.len));
    zip_names(want, s, sizeof s);
    RS_CHECK_STR(s, "GHSA-0001.json,GHSA-0002.json");
    etag_of(zip1.data, zip1.len, etag, sizeof etag);
    size_t ml = 0;
    char *m = read_file(meta, &ml);
    RS_REQUIRE(m != NULL);
    snprintf(line, sizeof line, "ETag: %s\nLast-Modified: ", etag);
    RS_CHECK(strncmp(m, line, strlen(line)) == 0);
    RS_CHECK(ml > 5 && strcmp(m + ml - 5, " GMT\n") == 0);
    RS_CHECK_INT(stat_int("requests"), 1);
    RS_CHECK_INT(stat_int("conditional"), 0);
    RS_CHECK_INT(stat_int("served"), 1);

    /* second: conditional, 304, the cached copy */
    RS_CHECK_INT(fetch(url, got, sizeof got, &fc), 0);
    RS_CHECK_STR(got, want);
    RS_CHECK_INT(fc, 1);
    RS_CHECK_INT(stat_int("requests"), 2);
    RS_CHECK_INT(stat_int("conditional"), 1);
    RS_CHECK_INT(stat_int("not_modified"), 1);
    RS_CHECK_STR(stat_str("last_if_none_match", s, sizeof s), etag);
    RS_CHECK(file_equals(want, zip1.data, zip1.len));
    RS_CHECK(file_equals(meta, m, ml));
    free(m);

    /* changed on the server: a new ETag, downloaded again */
    write_file(served, zip2.data, zip2.len);
    RS_CHECK_INT(fetch(url, got, sizeof got, &fc), 0);
    RS_CHECK_INT(fc, 0);
    RS_CHECK_STR(got, want);
    RS_CHECK(file_equals(want, zip2.data, zip2.len));
    zip_names(want, s, sizeof s);
    RS_CHECK_STR(s, "GHSA-0001.json,GHSA-0002.json,GHSA-0003.json");
    RS_CHECK_INT(stat_int("conditional"), 2);
    RS_CHECK_INT(stat_int("not_modified"), 1);
    RS_CHECK_INT(stat_int("served"), 2);
    etag_of(zip2.data, zip2.len, etag, sizeof etag);
    m = read_file(meta, &ml);
    RS_REQUIRE(m != NULL);
    snprintf(line, sizeof line, "ETag: %s\n", etag);
    RS_CHECK(strncmp(m, line, strlen(line)) == 0);

    /* 404: a configuration error naming the host; the cache untouched */
    server_mode("status=404&count=1");
    RS_CHECK_INT(fetch(url, got, sizeof got, &fc), RS_ERR_CONFIG);
    RS_CHECK(strstr(errbuf, "'127.0.0.1'") != NULL);
    RS_CHECK(strstr(errbuf, "404") != NULL);
    RS_CHECK(file_equals(want, zip2.data, zip2.len));
    RS_CHECK(file_equals(meta, m, ml));

    /* 401, 403, 429 */
    server_mode("status=401&count=1");
    RS_CHECK_INT(fetch(url, got, sizeof got, &fc), RS_ERR_UNAUTHORIZED);
    server_mode("status=403&count=1");
    RS_CHECK_INT(fetch(url, got, sizeof got, &fc), RS_ERR_UNAUTHORIZED);
    server_mode("status=429");
    RS_CHECK_INT(fetch(url, got, sizeof got, &fc), RS_ERR_TOOMANYREQUESTS);
    server_mode("");

    /* 503 once: http.c retries; the retry is conditional and gets a 304 */
    long long before = stat_int("requests"), failed = stat_int("failed");
    server_mode("status=503&count=1");
    RS_CHECK_INT(fetch(url, got, sizeof got, &fc), 0);
    RS_CHECK_INT(fc, 1);
    RS_CHECK_INT(stat_int("requests"), before + 2);
    RS_CHECK_INT(stat_int("failed"), failed + 1);

    /* 503 always: 1 + 2 attempts, then RS_ERR_UNREACHABLE; the cache untouched */
    before = stat_int("requests");
    server_mode("status=503");
    RS_CHECK_INT(fetch(url, got, sizeof got, &fc), RS_ERR_UNREACHABLE);
    RS_CHECK_INT(stat_int("requests"), before + 3);
    RS_CHECK(strstr(errbuf, "'127.0.0.1'") != NULL);
    RS_CHECK(file_equals(want, zip2.data, zip2.len));
    RS_CHECK(file_equals(meta, m, ml));
    server_mode("");

    /* a body cut short: no partial file replaces the cached one */
    write_file(served, zip3.data, zip3.len);
    server_mode("truncate=40&count=10");
    RS_CHECK_INT(fetch(url, got, sizeof got, &fc), RS_ERR_UNREACHABLE);
    RS_CHECK(file_equals(want, zip2.data, zip2.len));
    RS_CHECK(file_equals(meta, m, ml));
    RS_CHECK_INT(count_tmp(), 0);
    server_mode("");

    /* over the size limit: refused, the cache untouched */
    rs_vulndb_source_opts small = {NULL, &g_policy, 100};
    RS_CHECK_INT(rs_vulndb_source_resolve_opts(url, g_cache, &small, got, sizeof got, &fc, errbuf,
                                               sizeof errbuf),
                 RS_ERR_LIMIT_EXCEEDED);
    RS_CHECK(file_equals(want, zip2.data, zip2.len));
    RS_CHECK_INT(count_tmp(), 0);

    /* then fine again: the third zip */
    RS_CHECK_INT(fetch(url, got, sizeof got, &fc), 0);
    RS_CHECK_INT(fc, 0);
    RS_CHECK(file_equals(want, zip3.data, zip3.len));
    free(m);
    m = read_file(meta, &ml);
    RS_REQUIRE(m != NULL);

    /* the server gone: RS_ERR_UNREACHABLE naming the host, the cache untouched */
    server_stop();
    RS_CHECK_INT(fetch(url, got, sizeof got, &fc), RS_ERR_UNREACHABLE);
    RS_CHECK(strstr(errbuf, "'127.0.0.1'") != NULL);
    RS_CHECK(file_equals(want, zip3.data, zip3.len));
    RS_CHECK(file_equals(meta, m, ml));
    RS_CHECK_INT(count_tmp(), 0);
    free(m);
    server_start();

    rs_buf_free(&zip1);
    rs_buf_free(&zip2);
    rs_buf_free(&zip3);
}

static void test_kinds(void)
{
    char url[256], want[PATH_MAX], got[PATH_MAX], meta[PATH_MAX], path[PATH_MAX], s[256];
    int fc;
    const char *rec = "\n  {\"id\":\"OSV-1\",\"modified\":\"2024-01-01T00:00:00Z\"}\n";

    /* JSON content is cached as .json */
    snprintf(path, sizeof path, "%s/osv/OSV-1.json", g_root);
    write_file(path, rec, strlen(rec));
    snprintf(url, sizeof url, "http://localhost:%d/osv/OSV-1.json", g_port);
    cache_path(url, ".json", want, sizeof want);
    RS_CHECK_INT(fetch(url, got, sizeof got, &fc), 0);
    RS_CHECK_STR(got, want);
    RS_CHECK(file_equals(want, rec, strlen(rec)));

    /* the same URL turning from zip to JSON leaves only the .json */
    rs_buf zip = RS_BUF_INIT;
    const char *ids[] = {"PYSEC-1"};
    make_zip(ids, 1, &zip);
    snprintf(path, sizeof path, "%s/osv/switch", g_root);
    write_file(path, zip.data, zip.len);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/osv/switch", g_port);
    RS_CHECK_INT(fetch(url, got, sizeof got, &fc), 0);
    cache_path(url, ".zip", want, sizeof want);
    RS_CHECK_STR(got, want);
    write_file(path, rec, strlen(rec));
    RS_CHECK_INT(fetch(url, got, sizeof got, &fc), 0);
    RS_CHECK_INT(exists(want), 0);
    cache_path(url, ".json", want, sizeof want);
    RS_CHECK_STR(got, want);
    RS_CHECK(file_equals(want, rec, strlen(rec)));
    rs_buf_free(&zip);

    /* neither zip nor JSON: unsupported, nothing cached */
    snprintf(path, sizeof path, "%s/osv/junk.bin", g_root);
    write_file(path, "hello world\n", 12);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/osv/junk.bin", g_port);
    RS_CHECK_INT(fetch(url, got, sizeof got, &fc), RS_ERR_UNSUPPORTED);
    cache_path(url, ".zip", want, sizeof want);
    RS_CHECK_INT(exists(want), 0);
    cache_path(url, ".json", want, sizeof want);
    RS_CHECK_INT(exists(want), 0);
    cache_path(url, ".etag", want, sizeof want);
    RS_CHECK_INT(exists(want), 0);

    /* no ETag: Last-Modified alone makes the next request conditional */
    snprintf(url, sizeof url, "http://127.0.0.1:%d/osv/OSV-1.json?noetag=1", g_port);
    RS_CHECK_INT(fetch(url, got, sizeof got, &fc), 0);
    RS_CHECK_INT(fc, 0);
    cache_path(url, ".etag", meta, sizeof meta);
    size_t ml = 0;
    char *m = read_file(meta, &ml);
    RS_REQUIRE(m != NULL);
    RS_CHECK(strncmp(m, "Last-Modified: ", 15) == 0);
    RS_CHECK(strstr(m, "ETag") == NULL);
    RS_CHECK_INT(fetch(url, got, sizeof got, &fc), 0);
    RS_CHECK_INT(fc, 1);
    RS_CHECK_STR(stat_str("last_if_none_match", s, sizeof s), "(null)");
    stat_str("last_if_modified_since", s, sizeof s);
    RS_CHECK(ml > 16 && strlen(s) == ml - 16 && strncmp(s, m + 15, ml - 16) == 0);
    free(m);

    /* credentials and query never reach the message; the host does */
    snprintf(url, sizeof url, "http://reader:s3cret@127.0.0.1:%d/osv/missing.zip?sig=abc123",
             g_port);
    RS_CHECK_INT(fetch(url, got, sizeof got, &fc), RS_ERR_CONFIG);
    RS_CHECK(strstr(errbuf, "s3cret") == NULL);
    RS_CHECK(strstr(errbuf, "reader") == NULL);
    RS_CHECK(strstr(errbuf, "abc123") == NULL);
    RS_CHECK(strstr(errbuf, "'127.0.0.1'") != NULL);
    RS_CHECK(strstr(errbuf, "/osv/missing.zip") != NULL);

    RS_CHECK_INT(count_tmp(), 0);
}

static void test_cache_dir_created(void)
{
    char url[256], got[PATH_MAX], dir[PATH_MAX];
    int fc;
    snprintf(dir, sizeof dir, "%s/deep/er/cache", g_work);
    snprintf(url, sizeof url, "http://127.0.0.1:%d/osv/OSV-1.json", g_port);
    rs_vulndb_source_opts o = {NULL, &g_policy, 0};
    RS_CHECK_INT(
        rs_vulndb_source_resolve_opts(url, dir, &o, got, sizeof got, &fc, errbuf, sizeof errbuf),
        0);
    RS_CHECK(strncmp(got, dir, strlen(dir)) == 0);
    RS_CHECK_INT(fc, 0);
    /* a file where the cache directory should be */
    char file[PATH_MAX];
    snprintf(file, sizeof file, "%s/local.zip", g_work);
    RS_CHECK_INT(
        rs_vulndb_source_resolve_opts(url, file, &o, got, sizeof got, &fc, errbuf, sizeof errbuf),
        RS_ERR_CONFIG);
}

int main(void)
{
    if (access("/usr/bin/python3", X_OK) != 0)
        RS_SKIP("/usr/bin/python3 is missing");
    signal(SIGPIPE, SIG_IGN);
    const char *tmpdir = getenv("TMPDIR");
    snprintf(g_work, sizeof g_work, "%s/rs-vulndb-source-XXXXXX", tmpdir ? tmpdir : "/tmp");
    RS_REQUIRE(mkdtemp(g_work) != NULL);
    snprintf(g_root, sizeof g_root, "%s/root", g_work);
    snprintf(g_cache, sizeof g_cache, "%s/cache", g_work);
    RS_REQUIRE(mkdir(g_root, 0700) == 0);
    char osv[PATH_MAX];
    snprintf(osv, sizeof osv, "%s/osv", g_root);
    RS_REQUIRE(mkdir(osv, 0700) == 0);
    server_start();

    test_local();
    test_download();
    test_kinds();
    test_cache_dir_created();

    server_stop();
    nftw(g_work, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
    return RS_TEST_RESULT();
}
