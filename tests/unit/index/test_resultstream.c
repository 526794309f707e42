/* test_resultstream.c - the stream form of a layer result (resultstream.c):
 * a walked layer with every kind of item comes back equal through any split
 * of its bytes, and each way a hostile stream can be wrong gets its exact
 * error: no header, bad counts, a bad item, a line too long, invalid JSON or
 * UTF-8, data after the end, a stream cut short. */
#include "base.h"
#include "index.h"
#include "rs_tarbuild.h"
#include "rs_test.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

static const char dpkg_status[] =
    "Package: base-files\nStatus: install ok installed\nVersion: 12.4\nArchitecture: amd64\n\n"
    "Package: tzdata\nStatus: install ok installed\nVersion: 2024a-0+deb12u1\n"
    "Architecture: all\n";

static int to_buf(const char *s, size_t n, void *ctx)
{
    return rs_buf_append(ctx, s, n) ? RS_ERR_INTERNAL : 0;
}

static char *dump(const rs_layer_result *r)
{
    json_t *j = rs_layer_result_to_json(r);
    char *s = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(j);
    return s;
}

/* Decodes len bytes fed in pieces of `step`; returns the status. */
static int decode(const char *s, size_t len, size_t step, rs_layer_result **out, char *err,
                  size_t errsz)
{
    rs_layer_stream *d = rs_layer_stream_new();
    RS_REQUIRE(d);
    int rc = 0;
    for (size_t off = 0; !rc && off < len; off += step)
        rc = rs_layer_stream_feed(d, s + off, len - off < step ? len - off : step, err, errsz);
    if (!rc)
        rc = rs_layer_stream_finish(d, out, err, errsz);
    rs_layer_stream_free(d);
    return rc;
}

static rs_layer_result *walk(void)
{
    /* a token the secrets analyzer finds, made here so that none sits in the sources */
    static char env[64];
    int w = snprintf(env, sizeof env, "token=ghp_");
    for (int i = 0; i < 36; i++)
        env[w + i] = "0123456789abcdefghijklmnopqrstuvwxyzQ"[(i * 7) % 36];
    env[w + 36] = '\n';
    tent e[] = {{T_FILE, "var/lib/dpkg/status", dpkg_status, 0},
                {T_FILE, "var/lib/dpkg/info/tzdata.list", "/usr/share/zoneinfo\n/etc/tz\n", 0},
                {T_SYMLINK, "etc/os-release", "../usr/lib/os-release", 0},
                {T_FILE, "usr/lib/os-release", "ID=debian\nVERSION_ID=12\n", 0},
                {T_FILE, "app/.env", env, 0},
                {T_FIFO, "app/package.json", "", 0},
                {T_FILE, "etc/.wh.gone", "", 0},
                {T_FILE, "opt/.wh..wh..opq", "", 0}};
    size_t len = 0;
    char *tar = mktar(e, sizeof e / sizeof *e, F_GZIP, &len), err[256] = "";
    rs_reader *in = rs_reader_mem_new(tar, len);
    rs_layer_result *r = NULL;
    RS_REQUIRE(in);
    RS_CHECK_INT(rs_layer_analyze(in, NULL, NULL, &r, err, sizeof err), 0);
    rs_reader_destroy(in);
    free(tar);
    RS_REQUIRE(r);
    return r;
}

static void test_round_trip(void)
{
    rs_layer_result *r = walk();
    /* every kind of item is there */
    RS_CHECK(r->n_files >= 3);
    RS_CHECK_INT(r->n_links, 1);
    RS_CHECK_INT(r->n_whiteouts, 1);
    RS_CHECK_INT(r->n_opaque_dirs, 1);
    RS_CHECK(r->n_skipped >= 1);
    size_t owned = 0, secrets = 0;
    for (size_t i = 0; i < r->n_files; i++)
        owned += r->files[i].n_owned, secrets += r->files[i].secrets.n;
    RS_CHECK_INT(owned, 2);
    RS_CHECK_INT(secrets, 1);
    rs_buf b = {0};
    RS_CHECK_INT(rs_layer_result_write_stream(r, to_buf, &b), 0);
    RS_REQUIRE(b.len && b.data[b.len - 1] == '\n');
    char *want = dump(r), err[512] = "";
    size_t steps[] = {1, 7, 4096, b.len};
    for (size_t k = 0; k < sizeof steps / sizeof *steps; k++) {
        rs_layer_result *back = NULL;
        RS_CHECK_INT(decode(b.data, b.len, steps[k], &back, err, sizeof err), 0);
        RS_REQUIRE(back);
        char *got = dump(back);
        RS_CHECK_STR(got, want);
        free(got);
        rs_layer_result_free(back);
    }
    /* cut anywhere before its end, the stream is refused */
    for (size_t cut = 0; cut < b.len; cut += 1 + cut / 8) {
        rs_layer_result *back = NULL;
        RS_CHECK_INT(decode(b.data, cut, 5, &back, err, sizeof err), RS_ERR_INVALID);
        RS_CHECK(back == NULL);
    }
    free(want);
    rs_buf_free(&b);
    rs_layer_result_free(r);
}

/* Decodes s (one chunk) and checks the status and message. */
static void bad(const char *s, int want_rc, const char *want)
{
    char err[512] = "";
    rs_layer_result *r = NULL;
    RS_CHECK_INT(decode(s, strlen(s), strlen(s) + 1, &r, err, sizeof err), want_rc);
    RS_CHECK_STR(err, want);
    RS_CHECK(r == NULL);
}

#define HDR(f, l, w, o, s)                                                                         \
    "{\"layer_result_stream\":1,\"files\":" #f ",\"links\":" #l ",\"whiteouts\":" #w              \
    ",\"opaque_dirs\":" #o ",\"skipped\":" #s ",\"entries\":3,\"uncompressed_bytes\":10,"          \
    "\"compressed_bytes\":5}\n"
#define FILEHEAD(p, q)                                                                             \
    "{\"path\":\"/var/lib/dpkg/status\",\"analyzer\":\"dpkg\",\"malformed\":0,\"packages\":" #p  \
    ",\"owned\":" #q "}\n"
#define PKG "{\"type\":\"deb\",\"name\":\"a\",\"version\":\"1\"}\n"

static void test_hostile(void)
{
    char err[256] = "";
    rs_layer_result *r = NULL;
    /* the smallest valid stream */
    const char *ok = HDR(1, 0, 1, 0, 0) FILEHEAD(1, 1) PKG "\"/etc/x\"\n\"/w\"\n";
    RS_CHECK_INT(decode(ok, strlen(ok), 3, &r, err, sizeof err), 0);
    RS_REQUIRE(r && r->n_files == 1 && r->files[0].n_pkgs == 1 && r->files[0].n_owned == 1);
    RS_CHECK_STR(r->files[0].pkgs[0].name, "a");
    RS_CHECK_STR(r->whiteouts[0], "/w");
    RS_CHECK_INT(r->n_entries, 3);
    rs_layer_result_free(r);

    bad("", RS_ERR_INVALID, "line 1: no result (nothing written)");
    bad("{\"files\":[]}\n", RS_ERR_INVALID,
        "line 1: not a layer result stream (no \"layer_result_stream\": 1)");
    bad("{\"layer_result_stream\":1,\"files\":1000001,\"links\":0,\"whiteouts\":0,"
        "\"opaque_dirs\":0,\"skipped\":0}\n",
        RS_ERR_INVALID, "line 1: bad 'files' count (at most 1000000)");
    bad(HDR(0, 0, 0, 0, -1), RS_ERR_INVALID, "line 1: bad 'skipped' count (at most 1000000)");
    bad("{\"layer_result_stream\":1,\"files\":0,\"links\":0,\"whiteouts\":0,\"opaque_dirs\":0,"
        "\"skipped\":0,\"entries\":\"3\"}\n",
        RS_ERR_INVALID, "line 1: invalid layer result: bad counters");
    bad(HDR(0, 0, 0, 0, 0) "\"/x\"\n", RS_ERR_INVALID,
        "line 2: data after the end of the result");
    bad(HDR(0, 0, 1, 0, 0), RS_ERR_INVALID, "line 2: the result ends early");
    bad(HDR(0, 0, 1, 0, 0) "\"/x\"", RS_ERR_INVALID, "line 2: the result ends inside this line");
    bad(HDR(0, 0, 1, 0, 0) "\"/../x\"\n", RS_ERR_INVALID,
        "line 2: invalid layer result: bad whiteout");
    bad(HDR(0, 0, 0, 1, 0) "{\"a\":1}\n", RS_ERR_INVALID,
        "line 2: invalid layer result: bad opaque dir");
    bad(HDR(0, 1, 0, 0, 0) "{\"path\":\"/l\",\"target\":\"x\",\"hard\":1}\n", RS_ERR_INVALID,
        "line 2: invalid layer result: bad link");
    bad(HDR(0, 0, 0, 0, 1) "{\"path\":\"/s\",\"reason\":7}\n", RS_ERR_INVALID,
        "line 2: invalid layer result: bad skipped");
    bad(HDR(1, 0, 0, 0, 0) FILEHEAD(2000000, 0), RS_ERR_INVALID,
        "line 2: invalid layer result: bad file entry (its counts)");
    bad(HDR(1, 0, 0, 0, 0) "{\"path\":\"/f\",\"analyzer\":\"no-such\",\"malformed\":0,"
                           "\"packages\":0,\"owned\":0}\n",
        RS_ERR_INVALID, "line 2: invalid layer result: bad file entry");
    bad(HDR(1, 0, 0, 0, 0) FILEHEAD(1, 0) "{\"type\":\"deb\"}\n", RS_ERR_INVALID,
        "line 3: invalid package: missing 'name'");
    bad(HDR(1, 0, 0, 0, 0) FILEHEAD(0, 1) "\"etc/rel\"\n", RS_ERR_INVALID,
        "line 3: invalid layer result: bad owned path");
    bad(HDR(1, 0, 0, 0, 0) FILEHEAD(2, 0) PKG, RS_ERR_INVALID, "line 4: the result ends early");
    bad(HDR(0, 0, 1, 0, 0) "\"/\xff\"\n", RS_ERR_INVALID,
        "line 2: not JSON: unable to decode byte 0xff near '\"/'");
    bad(HDR(0, 0, 1, 0, 0) "\"/a\\u0000b\"\n", RS_ERR_INVALID,
        "line 2: not JSON: \\u0000 is not allowed without JSON_ALLOW_NUL near '\"/a\\u0000b\"'");
    bad("{\"layer_result_stream\":1,\"layer_result_stream\":1}\n", RS_ERR_INVALID,
        "line 1: not JSON: duplicate object key");

    /* a line longer than the bound, and the error stays */
    size_t n = RS_LAYER_STREAM_MAX_LINE + 2;
    char *big = malloc(n);
    RS_REQUIRE(big);
    memset(big, ' ', n);
    rs_layer_stream *d = rs_layer_stream_new();
    RS_REQUIRE(d);
    RS_CHECK_INT(rs_layer_stream_feed(d, big, n / 2, err, sizeof err), 0);
    RS_CHECK_INT(rs_layer_stream_feed(d, big, n - n / 2, err, sizeof err), RS_ERR_INVALID);
    RS_CHECK_STR(err, "line 1: longer than 8388608 bytes");
    RS_CHECK_INT(rs_layer_stream_feed(d, "\n", 1, err, sizeof err), RS_ERR_INVALID);
    RS_CHECK_INT(rs_layer_stream_finish(d, &r, err, sizeof err), RS_ERR_INVALID);
    RS_CHECK_STR(err, "line 1: longer than 8388608 bytes");
    RS_CHECK(r == NULL);
    rs_layer_stream_free(d);
    free(big);
}

static int refuse(const char *s, size_t n, void *ctx)
{
    (void)s;
    size_t *left = ctx;
    if (n > *left)
        return 42;
    *left -= n;
    return 0;
}

/* A writer that fails stops the writing with its value. */
static void test_write_fails(void)
{
    rs_layer_result *r = walk();
    size_t left = 100;
    RS_CHECK_INT(rs_layer_result_write_stream(r, refuse, &left), 42);
    rs_layer_result_free(r);
}

int main(void)
{
    test_round_trip();
    test_hostile();
    test_write_fails();
    return RS_TEST_RESULT();
}
