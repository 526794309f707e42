/* test_layer.c - layer walking on tars built here with libarchive's writer:
 * gzip, zstd and plain, whiteouts, opaque dirs, links, limits, corruption,
 * digest verification, and the JSON form of the result. */
#include "base.h"
#include "index.h"
#include "rs_tarbuild.h"
#include "rs_testanalyzers.h"
#include "rs_test.h"

static const char DEB_OS[] = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\n"
                             "VERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n";
static const char STATUS[] = "Package: libc6\nStatus: install ok installed\nArchitecture: amd64\n"
                             "Source: glibc\nVersion: 2.36-9+deb12u4\n\n"
                             "Package: tzdata\nStatus: install ok installed\nArchitecture: all\n"
                             "Version: 2024a-0+deb12u1\n";

static const tent BASE[] = {
    {T_DIR, "./", NULL, 0},
    {T_DIR, "./etc/", NULL, 0},
    {T_SYMLINK, "./etc/os-release", "../usr/lib/os-release", 0},
    {T_FILE, "./etc/hostname", "box\n", 0},
    {T_FILE, "./etc/.wh.motd", "", 0},
    {T_DIR, "./opt/", NULL, 0},
    {T_FILE, "./opt/.wh..wh..opq", "", 0},
    {T_DIR, "./usr/lib/", NULL, 0},
    {T_FILE, "./usr/lib/os-release", DEB_OS, 0},
    {T_FILE, "var/lib/dpkg/status", STATUS, 0},
    {T_HARDLINK, "var/lib/dpkg/status.d/copy", "var/lib/dpkg/status", 0},
    {T_FILE, "./var/lib/dpkg/status.d/x.md5sums", "abc\n", 0},
    {T_FILE, "./../escape/etc/os-release", "ID=evil\n", 0},
};
#define N_BASE (sizeof BASE / sizeof BASE[0])

/* The walker with the analyzers of some paths (lim NULL): the secrets and files
 * analyzers, which see every file, have their own tests (test_secrets,
 * test_checks). */
static int analyze(const char *data, size_t len, const rs_layer_limits *lim, rs_layer_result **out,
                   char *err, size_t errsz)
{
    rs_layer_limits dflt = RS_LAYER_LIMITS_DEFAULT;
    dflt.analyzers = real_analyzers();
    if (!lim)
        lim = &dflt;
    rs_reader *r = rs_reader_mem_new(data, len);
    RS_REQUIRE(r);
    int rc =
        rs_layer_analyze(r, "application/vnd.oci.image.layer.v1.tar+gzip", lim, out, err, errsz);
    rs_reader_destroy(r);
    return rc;
}

static const rs_layer_file *file_at(const rs_layer_result *r, const char *path)
{
    for (size_t i = 0; i < r->n_files; i++)
        if (strcmp(r->files[i].path, path) == 0)
            return &r->files[i];
    return NULL;
}

static void check_base(const rs_layer_result *r)
{
    RS_CHECK_INT(r->n_entries, N_BASE);
    RS_REQUIRE(r->n_files == 3);
    /* a distroless file list (dpkg-files): "abc" is no "<md5>  <path>" line */
    const rs_layer_file *md5 = file_at(r, "/var/lib/dpkg/status.d/x.md5sums");
    RS_REQUIRE(md5);
    RS_CHECK_STR(md5->analyzer, "dpkg-files");
    RS_CHECK_INT(md5->n_owned, 0);
    RS_CHECK_INT(md5->n_malformed, 1);
    const rs_layer_file *os = file_at(r, "/usr/lib/os-release");
    RS_REQUIRE(os);
    RS_CHECK_STR(os->analyzer, "os-release");
    RS_CHECK_INT(os->os.found, 1);
    RS_CHECK_STR(os->os.id, "debian");
    const rs_layer_file *st = file_at(r, "/var/lib/dpkg/status");
    RS_REQUIRE(st);
    RS_CHECK_STR(st->analyzer, "dpkg");
    RS_REQUIRE(st->n_pkgs == 2);
    RS_CHECK_STR(st->pkgs[0].name, "libc6");
    RS_CHECK_STR(st->pkgs[0].path, "/var/lib/dpkg/status");
    /* the hard link is a link (the merge resolves it), not a copy of its target */
    RS_CHECK(file_at(r, "/var/lib/dpkg/status.d/copy") == NULL);
    RS_REQUIRE(r->n_links == 2);
    RS_CHECK_STR(r->links[0].path, "/etc/os-release");
    RS_CHECK_STR(r->links[0].target, "../usr/lib/os-release");
    RS_CHECK_INT(r->links[0].hard, 0);
    RS_CHECK_STR(r->links[1].path, "/var/lib/dpkg/status.d/copy");
    RS_CHECK_STR(r->links[1].target, "/var/lib/dpkg/status");
    RS_CHECK_INT(r->links[1].hard, 1);
    RS_REQUIRE(r->n_whiteouts == 1);
    RS_CHECK_STR(r->whiteouts[0], "/etc/motd");
    RS_REQUIRE(r->n_opaque_dirs == 1);
    RS_CHECK_STR(r->opaque_dirs[0], "/opt");
    RS_REQUIRE(r->n_skipped == 1);
    RS_CHECK_STR(r->skipped[0].path, "./../escape/etc/os-release");
    RS_CHECK_STR(r->skipped[0].reason, "INVALID");
}

static void test_filters(void)
{
    size_t plain_len = 0;
    char *plain = mktar(BASE, N_BASE, F_NONE, &plain_len);
    for (int f = F_NONE; f <= F_ZSTD; f++) {
        size_t len;
        char *data = mktar(BASE, N_BASE, f, &len);
        rs_layer_result *r = NULL;
        char err[256] = "";
        RS_CHECK_INT(analyze(data, len, NULL, &r, err, sizeof err), 0);
        RS_REQUIRE(r);
        check_base(r);
        RS_CHECK_INT(r->compressed_bytes, len);
        /* the tar stream up to its end-of-archive blocks went through */
        RS_CHECK(r->uncompressed_bytes >= plain_len - 1024 && r->uncompressed_bytes <= plain_len);
        if (f != F_NONE)
            RS_CHECK(len < plain_len);
        rs_layer_result_free(r);
        free(data);
    }
    free(plain);
}

static void test_oversize_skipped(void)
{
    tent e[] = {{T_BIGFILE, "usr/lib/os-release", NULL, 70000},
                {T_FILE, "etc/os-release", DEB_OS, 0}};
    size_t len;
    char *data = mktar(e, 2, F_GZIP, &len);
    rs_layer_result *r = NULL;
    char err[256];
    RS_CHECK_INT(analyze(data, len, NULL, &r, err, sizeof err), 0);
    RS_REQUIRE(r);
    RS_REQUIRE(r->n_skipped == 1);
    RS_CHECK_STR(r->skipped[0].path, "/usr/lib/os-release");
    RS_CHECK_STR(r->skipped[0].reason, "LIMIT_EXCEEDED");
    RS_CHECK_STR(r->skipped[0].analyzer, "os-release");
    RS_REQUIRE(r->n_files == 1);
    RS_CHECK_STR(r->files[0].path, "/etc/os-release");
    /* the analyzer that skipped it survives the JSON form */
    json_t *j = rs_layer_result_to_json(r);
    RS_REQUIRE(j);
    rs_layer_result *back = NULL;
    RS_CHECK_INT(rs_layer_result_from_json(j, &back, err, sizeof err), 0);
    RS_REQUIRE(back && back->n_skipped == 1);
    RS_CHECK_STR(back->skipped[0].analyzer, "os-release");
    json_decref(j);
    rs_layer_result_free(back);
    rs_layer_result_free(r);
    free(data);
}

/* Two analyzers want the same paths: each sees every entry, a hard link
 * is recorded once as a link, a file too large for one is skipped for that
 * one only. */
static void test_several_analyzers(void)
{
    tent e[] = {{T_FILE, "data/a.txt", "x\ny\n", 0},
                {T_HARDLINK, "data/b.txt", "data/a.txt", 0},
                {T_BIGFILE, "data/big.bin", NULL, 3 << 20},
                {T_FILE, "etc/os-release", DEB_OS, 0}};
    size_t len;
    char *data = mktar(e, 4, F_GZIP, &len);
    rs_layer_limits lim = RS_LAYER_LIMITS_DEFAULT;
    lim.analyzers = test_analyzers();
    rs_layer_result *r = NULL;
    char err[256] = "";
    RS_CHECK_INT(analyze(data, len, &lim, &r, err, sizeof err), 0);
    RS_REQUIRE(r);
    RS_CHECK_INT(r->n_files, 4);
    /* the hard link is one link for the merge, whatever analyzers read its target */
    RS_REQUIRE(r->n_links == 1);
    RS_CHECK_STR(r->links[0].path, "/data/b.txt");
    RS_CHECK_STR(r->links[0].target, "/data/a.txt");
    RS_CHECK_INT(r->links[0].hard, 1);
    RS_REQUIRE(r->n_skipped == 1);
    RS_CHECK_STR(r->skipped[0].path, "/data/big.bin");
    RS_CHECK_STR(r->skipped[0].analyzer, "head");
    RS_CHECK_STR(r->skipped[0].reason, "LIMIT_EXCEEDED");
    /* one entry's results sit together, in the analyzers' order */
    RS_CHECK_STR(r->files[0].path, "/data/a.txt");
    RS_CHECK_STR(r->files[0].analyzer, "wc");
    RS_CHECK_STR(r->files[1].path, "/data/a.txt");
    RS_CHECK_STR(r->files[1].analyzer, "head");
    const char *v = test_version(r->files, r->n_files, "/data/a.txt", "wc");
    RS_CHECK_STR(v ? v : "-", "4:2");
    v = test_version(r->files, r->n_files, "/data/a.txt", "head");
    RS_CHECK_STR(v ? v : "-", "4");
    v = test_version(r->files, r->n_files, "/data/big.bin", "wc");
    RS_CHECK_STR(v ? v : "-", "3145728:0");
    const rs_layer_file *os = file_at(r, "/etc/os-release");
    RS_CHECK(os && os->os.found && !strcmp(os->analyzer, "os-release"));
    /* the JSON form names each file's analyzer: ones outside the registry are refused */
    json_t *j = rs_layer_result_to_json(r);
    RS_REQUIRE(j);
    RS_CHECK_STR(json_string_value(
                     json_object_get(json_array_get(json_object_get(j, "files"), 1), "analyzer")),
                 "head");
    RS_CHECK_STR(json_string_value(
                     json_object_get(json_array_get(json_object_get(j, "skipped"), 0), "analyzer")),
                 "head");
    rs_layer_result *back = NULL;
    RS_CHECK_INT(rs_layer_result_from_json(j, &back, err, sizeof err), RS_ERR_INVALID);
    RS_CHECK(back == NULL);
    json_decref(j);
    rs_layer_result_free(r);
    free(data);
}

/* A streaming analyzer reads a 100 MiB entry, far past the whole-file limit
 * of the other analyzer that wants it, without the walker holding it: exact
 * counts, and the heap stays small while it is fed. */
static void test_streaming_large(void)
{
    const size_t big = ((size_t)100 << 20) + 5; /* 6553600 lines of 16 bytes, then 5 bytes */
    tent e[] = {{T_REPEAT, "data/huge.txt", "regscan-stream!\n", big},
                {T_FILE, "data/small.txt", "a\nb", 0}};
    size_t len;
    char *data = mktar(e, 2, F_GZIP, &len);
    RS_CHECK(len < big / 100);
    rs_layer_limits lim = RS_LAYER_LIMITS_DEFAULT;
    lim.analyzers = test_analyzers();
    lim.max_ratio = 0; /* repeated text inflates past the default ratio */
    rs_layer_result *r = NULL;
    char err[256] = "";
    wc_peak_heap = 0;
    RS_CHECK_INT(analyze(data, len, &lim, &r, err, sizeof err), 0);
    RS_REQUIRE(r);
    RS_CHECK(r->uncompressed_bytes > big);
    RS_CHECK_INT(r->n_files, 3);
    const char *v = test_version(r->files, r->n_files, "/data/huge.txt", "wc");
    RS_CHECK_STR(v ? v : "-", "104857605:6553600");
    RS_CHECK(test_version(r->files, r->n_files, "/data/huge.txt", "head") == NULL);
    RS_REQUIRE(r->n_skipped == 1);
    RS_CHECK_STR(r->skipped[0].path, "/data/huge.txt");
    RS_CHECK_STR(r->skipped[0].analyzer, "head");
    RS_CHECK_STR(r->skipped[0].reason, "LIMIT_EXCEEDED");
    /* a small file wanted by both kinds is read once and given to both */
    v = test_version(r->files, r->n_files, "/data/small.txt", "wc");
    RS_CHECK_STR(v ? v : "-", "3:1");
    v = test_version(r->files, r->n_files, "/data/small.txt", "head");
    RS_CHECK_STR(v ? v : "-", "3");
    /* 0 under sanitizers (their allocator is not malloc's) */
    RS_CHECK(wc_peak_heap < ((size_t)16 << 20));
    rs_layer_result_free(r);
    free(data);
}

static void test_limits(void)
{
    size_t len;
    char *data = mktar(BASE, N_BASE, F_GZIP, &len);
    rs_layer_limits lim = RS_LAYER_LIMITS_DEFAULT;
    rs_layer_result *r = NULL;
    char err[256] = "";

    lim.max_entries = 3;
    RS_CHECK_INT(analyze(data, len, &lim, &r, err, sizeof err), RS_ERR_LIMIT_EXCEEDED);
    RS_CHECK(r == NULL);
    RS_CHECK(strstr(err, "max_entries") != NULL);

    lim = (rs_layer_limits)RS_LAYER_LIMITS_DEFAULT;
    lim.max_path_len = 12;
    RS_CHECK_INT(analyze(data, len, &lim, &r, err, sizeof err), RS_ERR_LIMIT_EXCEEDED);
    RS_CHECK(strstr(err, "max_path_len") != NULL);

    lim = (rs_layer_limits)RS_LAYER_LIMITS_DEFAULT;
    lim.max_uncompressed_bytes = 2048;
    RS_CHECK_INT(analyze(data, len, &lim, &r, err, sizeof err), RS_ERR_LIMIT_EXCEEDED);
    RS_CHECK(strstr(err, "max_uncompressed_bytes") != NULL);
    free(data);

    /* a zero-filled file inflates about a thousand times */
    tent bomb[] = {{T_BIGFILE, "zeros", NULL, 8u << 20}};
    data = mktar(bomb, 1, F_GZIP, &len);
    lim = (rs_layer_limits)RS_LAYER_LIMITS_DEFAULT;
    lim.max_ratio = 50;
    lim.ratio_min_bytes = 1 << 20;
    RS_CHECK_INT(analyze(data, len, &lim, &r, err, sizeof err), RS_ERR_LIMIT_EXCEEDED);
    RS_CHECK(strstr(err, "max_ratio") != NULL);
    /* the same layer passes with the defaults */
    RS_CHECK_INT(analyze(data, len, NULL, &r, err, sizeof err), 0);
    RS_REQUIRE(r);
    RS_CHECK_INT(r->n_entries, 1);
    RS_CHECK(r->uncompressed_bytes >= (8u << 20));
    rs_layer_result_free(r);
    free(data);
}

static void test_corrupt(void)
{
    tent e[] = {{T_BIGFILE, "big", NULL, 200000}, {T_FILE, "etc/os-release", DEB_OS, 0}};
    size_t len;
    char *data = mktar(e, 2, F_GZIP, &len);
    rs_layer_result *r = NULL;
    char err[256] = "";
    RS_REQUIRE(len > 100);
    for (size_t i = len / 2; i < len / 2 + 16; i++)
        data[i] ^= 0x5a;
    RS_CHECK_INT(analyze(data, len, NULL, &r, err, sizeof err), RS_ERR_INVALID);
    RS_CHECK(r == NULL);
    RS_CHECK(strstr(err, "invalid layer") != NULL);
    free(data);

    /* a gzip layer cut short: the inflater (ISA-L's or zlib's) says the stream ends */
    data = mktar(e, 2, F_GZIP, &len);
    err[0] = '\0';
    RS_CHECK_INT(analyze(data, len - 9, NULL, &r, err, sizeof err), RS_ERR_INVALID);
    RS_CHECK(r == NULL);
    RS_CHECK(strstr(err, "invalid layer") != NULL);
    free(data);

    /* a plain tar cut in the middle of a file's data */
    data = mktar(e, 2, F_NONE, &len);
    RS_CHECK_INT(analyze(data, 100000, NULL, &r, err, sizeof err), RS_ERR_INVALID);
    RS_CHECK(strstr(err, "runcated") != NULL);
    /* not a tar at all */
    RS_CHECK_INT(analyze("hello world, this is not a tar archive", 38, NULL, &r, err, sizeof err),
                 RS_ERR_INVALID);
    free(data);
}

static void test_digest(void)
{
    size_t len;
    char *data = mktar(BASE, N_BASE, F_GZIP, &len);
    char digest[RS_DIGEST_SIZE], err[256] = "";
    rs_sha256_digest(data, len, digest);
    rs_layer_result *r = NULL;

    rs_reader *v = rs_reader_verify_new(rs_reader_mem_new(data, len), digest, 0, "layer");
    rs_layer_limits lim = RS_LAYER_LIMITS_DEFAULT;
    lim.analyzers = test_analyzers();
    RS_CHECK_INT(rs_layer_analyze(v, NULL, &lim, &r, err, sizeof err), 0);
    RS_CHECK_INT(rs_reader_verify_count(v), len); /* drained to the end */
    rs_reader_destroy(v);
    RS_REQUIRE(r);
    check_base(r);
    rs_layer_result_free(r);
    r = NULL;

    /* trailing bytes after the gzip stream are drained too */
    digest[10] = digest[10] == 'a' ? 'b' : 'a';
    v = rs_reader_verify_new(rs_reader_mem_new(data, len), digest, 0, "sha256:bad");
    RS_CHECK_INT(rs_layer_analyze(v, NULL, NULL, &r, err, sizeof err), RS_ERR_DIGEST_MISMATCH);
    RS_CHECK(r == NULL);
    RS_CHECK(strstr(err, "digest mismatch") != NULL);
    rs_reader_destroy(v);

    /* the blob limit of the verifying reader surfaces as LIMIT_EXCEEDED */
    v = rs_reader_verify_new(rs_reader_mem_new(data, len), NULL, 100, "layer");
    RS_CHECK_INT(rs_layer_analyze(v, NULL, NULL, &r, err, sizeof err), RS_ERR_LIMIT_EXCEEDED);
    rs_reader_destroy(v);
    free(data);
}

static void test_json(void)
{
    size_t len;
    char *data = mktar(BASE, N_BASE, F_ZSTD, &len);
    rs_layer_result *r = NULL, *back = NULL;
    char err[256] = "";
    RS_REQUIRE(analyze(data, len, NULL, &r, err, sizeof err) == 0);
    json_t *j = rs_layer_result_to_json(r);
    RS_REQUIRE(j);
    RS_CHECK_INT(rs_layer_result_from_json(j, &back, err, sizeof err), 0);
    RS_REQUIRE(back);
    check_base(back);
    RS_CHECK_INT(back->compressed_bytes, r->compressed_bytes);
    RS_CHECK_INT(back->uncompressed_bytes, r->uncompressed_bytes);
    json_t *j2 = rs_layer_result_to_json(back);
    char *a = json_dumps(j, JSON_SORT_KEYS), *b = json_dumps(j2, JSON_SORT_KEYS);
    RS_CHECK_STR(a, b);
    free(a);
    free(b);
    json_decref(j2);

    /* hostile inputs */
    const char *bad[] = {
        "{}",
        "[]",
        "{\"files\": [], \"links\": [], \"whiteouts\": [\"../etc\"], \"opaque_dirs\": [], "
        "\"skipped\": [], \"entries\": 1, \"uncompressed_bytes\": 1, \"compressed_bytes\": 1}",
        "{\"files\": [], \"links\": [], \"whiteouts\": [\"/etc//x\"], \"opaque_dirs\": [], "
        "\"skipped\": [], \"entries\": 1, \"uncompressed_bytes\": 1, \"compressed_bytes\": 1}",
        "{\"files\": [{\"path\": \"/x\", \"analyzer\": \"nope\", \"packages\": [], "
        "\"malformed\": 0}], \"links\": [], \"whiteouts\": [], \"opaque_dirs\": [], "
        "\"skipped\": [], \"entries\": 1, \"uncompressed_bytes\": 1, \"compressed_bytes\": 1}",
        "{\"files\": [], \"links\": [], \"whiteouts\": [], \"opaque_dirs\": [], "
        "\"skipped\": [], \"entries\": -1, \"uncompressed_bytes\": 1, \"compressed_bytes\": 1}",
        "{\"files\": [], \"links\": [{\"path\": \"/a\", \"target\": 5, \"hard\": false}], "
        "\"whiteouts\": [], \"opaque_dirs\": [], \"skipped\": [], \"entries\": 1, "
        "\"uncompressed_bytes\": 1, \"compressed_bytes\": 1}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *h = json_loads(bad[i], 0, NULL);
        RS_REQUIRE(h);
        rs_layer_result *x = NULL;
        RS_CHECK_INT(rs_layer_result_from_json(h, &x, err, sizeof err), RS_ERR_INVALID);
        RS_CHECK(x == NULL);
        json_decref(h);
    }
    json_decref(j);
    rs_layer_result_free(back);
    rs_layer_result_free(r);
    free(data);
}

/* Tar paths are bytes: a whiteout of 3000 bytes that are not UTF-8 (9000
 * bytes as U+FFFD) and a status.d file so named go through the JSON form. */
static void test_json_invalid_utf8(void)
{
    static char wh[3100], file[1100];
    memcpy(wh, "etc/.wh.", 8);
    memset(wh + 8, '\xFF', 3000);
    memcpy(file, "var/lib/dpkg/status.d/", 22);
    memset(file + 22, '\xFE', 1000);
    tent e[] = {{T_FILE, wh, "", 0}, {T_FILE, file, "Package: p\nVersion: 1\n", 0}};
    size_t len;
    char *data = mktar(e, 2, F_GZIP, &len), err[256] = "";
    rs_layer_result *r = NULL, *back = NULL;
    RS_REQUIRE(analyze(data, len, NULL, &r, err, sizeof err) == 0);
    json_t *j = rs_layer_result_to_json(r);
    RS_REQUIRE(j);
    RS_CHECK_INT(rs_layer_result_from_json(j, &back, err, sizeof err), 0);
    RS_REQUIRE(back && back->n_whiteouts == 1 && back->n_files == 1);
    RS_CHECK_INT(strlen(back->whiteouts[0]), strlen("/etc/") + 3000 * 3);
    RS_CHECK_INT(strncmp(back->whiteouts[0], "/etc/\xEF\xBF\xBD", 8), 0);
    RS_REQUIRE(back->files[0].n_pkgs == 1);
    RS_CHECK_INT(strlen(back->files[0].pkgs[0].path), strlen("/var/lib/dpkg/status.d/") + 1000 * 3);
    RS_CHECK_INT(back->files[0].pkgs[0].text_replaced, 1);
    json_decref(j);
    rs_layer_result_free(back);
    rs_layer_result_free(r);
    free(data);
}

/* The result limits: a layer that would exceed one ends at that entry with
 * one LIMIT_EXCEEDED skip naming it, and keeps what it recorded before; a
 * hard link past max_link_fanout; the settings' names and values. */
static void test_result_limits(void)
{
    tent e[] = {{T_FILE, "etc/.wh.a", "", 0},
                {T_FILE, "etc/.wh.b", "", 0},
                {T_FILE, "etc/.wh.c", "", 0},
                {T_FILE, "var/lib/dpkg/status", STATUS, 0},
                {T_HARDLINK, "var/lib/dpkg/status.d/l1", "var/lib/dpkg/status", 0},
                {T_HARDLINK, "var/lib/dpkg/status.d/l2", "var/lib/dpkg/status", 0}};
    size_t len;
    char *data = mktar(e, 6, F_GZIP, &len);
    rs_layer_limits lim = RS_LAYER_LIMITS_DEFAULT;
    RS_CHECK_INT(rs_limits_set(&lim, NULL, "max-whiteouts", "2", NULL, 0), 0);
    rs_layer_result *r = NULL;
    char err[256] = "";
    RS_CHECK_INT(analyze(data, len, &lim, &r, err, sizeof err), 0);
    RS_REQUIRE(r);
    RS_CHECK_INT(r->n_whiteouts, 3); /* the third is recorded, then the layer ends */
    RS_CHECK_INT(r->n_files, 0);
    RS_REQUIRE(r->n_skipped == 1);
    RS_CHECK_STR(r->skipped[0].path, "/etc/.wh.c");
    RS_CHECK_STR(r->skipped[0].reason, "LIMIT_EXCEEDED");
    RS_CHECK_STR(r->skipped[0].limit, "max_whiteouts");
    RS_CHECK(r->skipped[0].analyzer == NULL);
    rs_layer_result_free(r);
    lim = (rs_layer_limits)RS_LAYER_LIMITS_DEFAULT;
    lim.max_link_fanout = 1;
    RS_CHECK_INT(analyze(data, len, &lim, &r, err, sizeof err), 0);
    RS_REQUIRE(r);
    RS_CHECK_INT(r->n_links, 1);
    RS_REQUIRE(r->n_skipped == 1);
    RS_CHECK_STR(r->skipped[0].path, "/var/lib/dpkg/status.d/l2");
    RS_CHECK_STR(r->skipped[0].limit, "max_link_fanout");
    rs_layer_result_free(r);
    lim = (rs_layer_limits)RS_LAYER_LIMITS_DEFAULT;
    lim.max_packages = 1; /* the status has two */
    RS_CHECK_INT(analyze(data, len, &lim, &r, err, sizeof err), 0);
    RS_REQUIRE(r && r->n_skipped == 1);
    RS_CHECK_STR(r->skipped[0].path, "/var/lib/dpkg/status");
    RS_CHECK_STR(r->skipped[0].limit, "max_packages");
    rs_layer_result_free(r);
    free(data);
    rs_index_budget img = {0};
    RS_CHECK_INT(rs_limits_set(&lim, &img, "MAX_IMAGE_BYTES", "7", err, sizeof err), 0);
    RS_CHECK_INT(img.max_bytes, 7);
    RS_CHECK_INT(rs_limits_set(&lim, &img, "max_nope", "1", err, sizeof err), RS_ERR_CONFIG);
    RS_CHECK_STR(err, "unknown limit 'max_nope'");
    RS_CHECK_INT(rs_limits_set(&lim, &img, "max_paths", "-1", err, sizeof err), RS_ERR_CONFIG);
}

int main(void)
{
    test_result_limits();
    test_filters();
    test_oversize_skipped();
    test_several_analyzers();
    test_streaming_large();
    test_limits();
    test_corrupt();
    test_digest();
    test_json();
    test_json_invalid_utf8();
    return RS_TEST_RESULT();
}
