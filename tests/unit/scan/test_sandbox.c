/* test_sandbox.c - rs_sandbox_analyze with the real child regscan-analyze
 * (beside this test in build/bin): the same result as rs_layer_analyze, the
 * reader's digest error first, an empty environment and no inherited
 * descriptor, and in test builds (RS_TEST_HOOKS) each trigger's exact error:
 * a crash, a forbidden system call, an abort, the CPU limit, the deadline,
 * the address-space limit. */
#include "rs_tarbuild.h"
#include "rs_test.h"
#include "scan.h"

#include <fcntl.h>
#include <jansson.h>
#include <sys/stat.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ASAN 1
#endif
#endif

static const char dpkg_status[] =
    "Package: base-files\nStatus: install ok installed\nVersion: 12.4\nArchitecture: amd64\n\n"
    "Package: tzdata\nStatus: install ok installed\nVersion: 2024a-0+deb12u1\n"
    "Architecture: all\n";

static char *dump(const rs_layer_result *r)
{
    json_t *j = rs_layer_result_to_json(r);
    char *s = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(j);
    return s;
}

/* Analyses the tar with o; returns the status, the message in err. */
static int run(const rs_sandbox_opts *o, const char *tar, size_t len, rs_layer_result **out,
               char *err, size_t errsz)
{
    rs_reader *r = rs_reader_mem_new(tar, len);
    RS_REQUIRE(r);
    int rc = rs_sandbox_analyze(o, r, NULL, NULL, out, err, errsz);
    rs_reader_destroy(r);
    return rc;
}

static void test_same_result(const rs_sandbox_opts *o)
{
    tent e[] = {{T_FILE, "var/lib/dpkg/status", dpkg_status, 0},
                {T_FILE, "etc/os-release", "ID=debian\nVERSION_ID=12\n", 0},
                {T_FILE, "etc/.wh.gone", "", 0}};
    size_t len = 0;
    char *tar = mktar(e, 3, F_GZIP, &len), err[512] = "";
    rs_layer_result *in = NULL, *sb = NULL;
    rs_reader *r = rs_reader_mem_new(tar, len);
    RS_CHECK_INT(rs_layer_analyze(r, NULL, NULL, &in, err, sizeof err), 0);
    rs_reader_destroy(r);
    RS_CHECK_INT(run(o, tar, len, &sb, err, sizeof err), 0);
    RS_REQUIRE(in && sb);
    char *a = dump(in), *b = dump(sb);
    RS_CHECK_STR(b, a);
    RS_CHECK_INT(sb->n_whiteouts, 1);
    RS_CHECK_INT(sb->compressed_bytes, len);
    free(a);
    free(b);
    rs_layer_result_free(in);
    rs_layer_result_free(sb);

    /* the reader's error wins: a digest that does not match */
    rs_reader *v = rs_reader_verify_new(rs_reader_mem_new(tar, len),
                                        "sha256:0000000000000000000000000000000000000000000000000"
                                        "000000000000000",
                                        0, "layer");
    RS_CHECK_INT(rs_sandbox_analyze(o, v, NULL, NULL, &sb, err, sizeof err),
                 RS_ERR_DIGEST_MISMATCH);
    RS_CHECK(sb == NULL);
    rs_reader_destroy(v);
    free(tar);
}

/* A stand-in child (python) that reports what it was given: the number of
 * environment variables (python's own LC_CTYPE coercion aside), of
 * descriptors past 2 (the one listing them aside) and of bytes on stdin. */
static void test_clean_start(const rs_sandbox_opts *dflt, const char *dir)
{
    char path[256];
    snprintf(path, sizeof path, "%.200s/fake-analyze.py", dir);
    FILE *f = fopen(path, "w");
    RS_REQUIRE(f);
    fputs("#!/usr/bin/python3\nimport os, sys\n"
          "env = [k for k in os.environ if k != 'LC_CTYPE']\n"
          "fds = [int(x) for x in os.listdir('/proc/self/fd') if int(x) > 2]\n"
          "n = len(sys.stdin.buffer.read())\n"
          "sys.stdout.write('{\"layer_result_stream\":1,\"files\":0,\"links\":0,'\n"
          "  '\"whiteouts\":0,\"opaque_dirs\":0,\"skipped\":0,\"entries\":%d,'\n"
          "  '\"uncompressed_bytes\":%d,\"compressed_bytes\":%d}\\n'\n"
          "  % (len(env), len(fds) - 1, n))\n",
          f);
    fclose(f);
    chmod(path, 0755);
    rs_sandbox_opts o = *dflt;
    snprintf(o.bin, sizeof o.bin, "%s", path);
    setenv("REGSCAN_TEST_PASSWORD", "sandbox-secret-1", 1);
    int leak = open("/dev/null", O_RDONLY); /* no O_CLOEXEC: the child must not get it */
    static char bytes[3 << 20];             /* three pipe-fulls and more */
    rs_layer_result *res = NULL;
    char err[512] = "";
    RS_CHECK_INT(run(&o, bytes, sizeof bytes, &res, err, sizeof err), 0);
    RS_REQUIRE(res);
    RS_CHECK_INT(res->n_entries, 0);            /* no environment at all */
    RS_CHECK_INT(res->uncompressed_bytes, 0);   /* no descriptor but 0-2 */
    RS_CHECK_INT(res->compressed_bytes, sizeof bytes);
    rs_layer_result_free(res);
    close(leak);
    unsetenv("REGSCAN_TEST_PASSWORD");

    /* a child that writes something else than a result, or fails */
    snprintf(o.bin, sizeof o.bin, "/bin/echo");
    RS_CHECK_INT(run(&o, bytes, 100, &res, err, sizeof err), RS_ERR_ANALYZER_CRASHED);
    RS_CHECK(strncmp(err, "analyzer wrote an invalid result: ", 34) == 0);
    snprintf(o.bin, sizeof o.bin, "%.200s/no-such-analyzer", dir);
    RS_CHECK_INT(run(&o, bytes, 100, &res, err, sizeof err), RS_ERR_INTERNAL);
    RS_CHECK(strstr(err, "no-such-analyzer") != NULL);
    unlink(path);
}

#ifdef RS_TEST_HOOKS
static void trigger(const rs_sandbox_opts *o, const char *what, int want_rc, const char *want)
{
    tent e[] = {{T_FILE, "etc/os-release", "ID=debian\n", 0},
                {T_FILE, "regscan-test/crash", what, 0}};
    size_t len = 0;
    char *tar = mktar(e, 2, F_GZIP, &len), err[512] = "";
    rs_layer_result *res = NULL;
    RS_CHECK_INT(run(o, tar, len, &res, err, sizeof err), want_rc);
    RS_CHECK_STR(err, want);
    RS_CHECK(res == NULL);
    free(tar);
}

static void test_triggers(const rs_sandbox_opts *dflt)
{
    rs_sandbox_opts o = *dflt;
    o.cpu_s = 1;
    o.memory_bytes = (uint64_t)256 << 20;
    trigger(&o, "segv", RS_ERR_ANALYZER_CRASHED, "analyzer crashed: killed by signal SIGSEGV");
    trigger(&o, "socket", RS_ERR_ANALYZER_CRASHED,
            "analyzer crashed: killed by signal SIGSYS (a system call the sandbox forbids)");
    trigger(&o, "exec", RS_ERR_ANALYZER_CRASHED,
            "analyzer crashed: killed by signal SIGSYS (a system call the sandbox forbids)");
    trigger(&o, "abort", RS_ERR_ANALYZER_CRASHED, "analyzer crashed: killed by signal SIGABRT");
    trigger(&o, "spin", RS_ERR_ANALYZER_CRASHED,
            "analyzer crashed: killed by signal SIGXCPU (its CPU time limit of 1 s)");
#ifndef ASAN
    trigger(&o, "alloc", RS_ERR_ANALYZER_CRASHED,
            "analyzer failed (address space limit 256 MiB): out of memory");
#endif
    o.cpu_s = 100;
    o.timeout_s = 1;
    uint64_t t0 = rs_now_ms();
    trigger(&o, "spin", RS_ERR_ANALYZER_CRASHED, "analyzer killed: past its deadline of 1 s");
    RS_CHECK(rs_now_ms() - t0 < 3000);
}
#endif

/* rs_sandbox_check: the real child passes; a missing one is named; off needs none. */
static void test_check(const rs_sandbox_opts *dflt)
{
    char err[256] = "";
    RS_CHECK_INT(rs_sandbox_check(dflt, err, sizeof err), 0);
    rs_sandbox_opts o = *dflt;
    snprintf(o.bin, sizeof o.bin, "%s", "/nonexistent/regscan-analyze");
    RS_CHECK_INT(rs_sandbox_check(&o, err, sizeof err), RS_ERR_CONFIG);
    RS_CHECK_STR(err, "cannot run the layer sandbox '/nonexistent/regscan-analyze': No such file "
                      "or directory (install regscan-analyze beside the program, or set "
                      "REGSCAN_ANALYZE_BIN)");
    o.enabled = 0;
    RS_CHECK_INT(rs_sandbox_check(&o, err, sizeof err), 0);
}

int main(void)
{
    unsetenv("REGSCAN_SANDBOX");
    unsetenv("REGSCAN_ANALYZE_BIN");
    rs_sandbox_opts o;
    char err[256];
    RS_REQUIRE(rs_sandbox_opts_env(&o, err, sizeof err) == 0);
    RS_CHECK_INT(o.enabled, 1);
    RS_CHECK_INT(o.memory_bytes, (uint64_t)1024 << 20);
    RS_CHECK_INT(o.cpu_s, 300);
    RS_CHECK_INT(o.timeout_s, 1800);
    RS_CHECK_INT(o.max_result_bytes, (size_t)64 << 20);
    setenv("REGSCAN_SANDBOX_MEMORY", "12x", 1);
    rs_sandbox_opts bad;
    RS_CHECK_INT(rs_sandbox_opts_env(&bad, err, sizeof err), RS_ERR_CONFIG);
    RS_CHECK_STR(err, "invalid REGSCAN_SANDBOX_MEMORY '12x': a whole number from 64 to 1048576");
    unsetenv("REGSCAN_SANDBOX_MEMORY");
    char dir[] = "/tmp/rs-sandbox-XXXXXX";
    RS_REQUIRE(mkdtemp(dir));
    test_check(&o);
    test_same_result(&o);
    test_clean_start(&o, dir);
#ifdef RS_TEST_HOOKS
    test_triggers(&o);
#endif
    rmdir(dir);
    return RS_TEST_RESULT();
}
