/* test_npm.c - the npm analyzers: package.json in node_modules (which paths,
 * names and versions checked, scoped purls) and lock files
 * (package-lock.json v1 and v3, yarn.lock v1 and berry). */
#include "analyzers/npm_int.h"
#include "analyzers/npmlock_int.h"
#include "base.h"
#include "lang_check.h"

static void test_wants(void)
{
    static const struct {
        const char *path;
        int npm, lock;
    } cases[] = {
        {"/app/node_modules/lodash/package.json", 1, 0},
        {"/app/node_modules/@types/node/package.json", 1, 0},
        {"/app/node_modules/a/node_modules/b/package.json", 1, 0},
        {"/node_modules/x/package.json", 1, 0},
        {"/app/node_modules/@types/package.json", 0, 0},     /* a scope is no package */
        {"/app/node_modules/lodash/test/package.json", 0, 0}, /* a fixture */
        {"/app/node_modules/.bin/package.json", 0, 0},
        {"/app/node_modules/package.json", 0, 0},
        {"/app/package.json", 0, 0},
        {"/app/node_modules/@/x/package.json", 0, 0},
        {"/app/package-lock.json", 0, 1},
        {"/app/yarn.lock", 0, 1},
        {"/package-lock.json", 0, 1},
        {"/app/node_modules/.package-lock.json", 0, 0},
        {"/app/node_modules/x/package-lock.json", 0, 0},
        {"/app/node_modules/x/yarn.lock", 0, 0},
        {"/app/npm-shrinkwrap.json", 0, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        RS_CHECK_INT(rs_analyzer_npm.wants(cases[i].path), cases[i].npm);
        RS_CHECK_INT(rs_analyzer_npmlock.wants(cases[i].path), cases[i].lock);
    }
}

static void test_manifest(void)
{
    static const char path[] = "/app/node_modules/@types/node/package.json";
    static const char pj[] = "{\"name\":\"@types/node\",\"version\":\"20.1.0\",\"main\":\"x\"}";
    rs_analysis a = {0};
    char err[256];
    RS_CHECK_INT(rs_analyzer_npm.parse(path, pj, sizeof pj - 1, &a, err, sizeof err), 0);
    static const lang_want want[] = {{"@types/node", "20.1.0", "pkg:npm/%40types/node@20.1.0"}};
    check_pkgs(&a, "npm", "npm", path, want, 1);
    rs_analysis_clear(&a);

    static const char *const bad[] = {
        "",
        "not json",
        "[1,2]",
        "{\"name\":\"x\"}",
        "{\"version\":\"1.0.0\"}",
        "{\"name\":\"x\",\"version\":1}",
        "{\"name\":\"a b\",\"version\":\"1.0.0\"}",
        "{\"name\":\"@scope\",\"version\":\"1.0.0\"}",
        "{\"name\":\"a/b\",\"version\":\"1.0.0\"}",
        "{\"name\":\"@s/a/b\",\"version\":\"1.0.0\"}",
        "{\"name\":\".hidden\",\"version\":\"1.0.0\"}",
        "{\"name\":\"x\",\"version\":\"latest\"}",
        "{\"name\":\"x\\u0000y\",\"version\":\"1.0.0\"}",
        "{\"name\":\"x\",\"version\":\"1.0.0\\n\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        size_t m;
        RS_CHECK_INT(parse_text(&rs_analyzer_npm, "/node_modules/x/package.json", bad[i], &m), 0);
        RS_CHECK_INT(m, 1);
    }
    size_t m;
    RS_CHECK_INT(parse_text(&rs_analyzer_npm, "/node_modules/x/package.json",
                            "{\"name\":\"x\",\"version\":\"1.0.0-rc.1+b\"}", &m),
                 1);
    RS_CHECK_INT(m, 0);
}

static void test_lock_v1(void)
{
    rs_analysis a = {0};
    parse_data(&rs_analyzer_npmlock, "npm/package-lock-v1.json", "/app/package-lock.json", &a);
    /* sorted by name then version; links, files and git versions skipped */
    static const lang_want want[] = {
        {"@babel/code-frame", "7.12.13", "pkg:npm/%40babel/code-frame@7.12.13"},
        {"accepts", "1.3.7", "pkg:npm/accepts@1.3.7"},
        {"debug", "2.6.9", "pkg:npm/debug@2.6.9"},
        {"ms", "2.0.0", "pkg:npm/ms@2.0.0"},
        {"ms", "2.1.3", "pkg:npm/ms@2.1.3"},
    };
    check_pkgs(&a, "npm", "npm", "/app/package-lock.json", want, 5);
    RS_CHECK_INT(a.n_malformed, 2); /* no version; a name with a space */
    rs_analysis_clear(&a);
}

static void test_lock_v3(void)
{
    rs_analysis a = {0};
    parse_data(&rs_analyzer_npmlock, "npm/package-lock-v3.json", "/app/package-lock.json", &a);
    /* ms@2.0.0 twice in the tree, once in the report; the alias by its name */
    static const lang_want want[] = {
        {"@types/node", "20.1.0", "pkg:npm/%40types/node@20.1.0"},
        {"debug", "2.6.9", "pkg:npm/debug@2.6.9"},
        {"express", "4.17.1", "pkg:npm/express@4.17.1"},
        {"lodash", "4.17.21", "pkg:npm/lodash@4.17.21"},
        {"ms", "2.0.0", "pkg:npm/ms@2.0.0"},
        {"ms", "2.1.3", "pkg:npm/ms@2.1.3"},
    };
    check_pkgs(&a, "npm", "npm", "/app/package-lock.json", want, 6);
    RS_CHECK_INT(a.n_malformed, 1);
    rs_analysis_clear(&a);
}

static void test_yarn(void)
{
    rs_analysis a = {0};
    parse_data(&rs_analyzer_npmlock, "npm/yarn-v1.lock", "/app/yarn.lock", &a);
    static const lang_want v1[] = {
        {"@babel/code-frame", "7.12.13", "pkg:npm/%40babel/code-frame@7.12.13"},
        {"lodash", "4.17.20", "pkg:npm/lodash@4.17.20"},
        {"lodash", "4.17.21", "pkg:npm/lodash@4.17.21"},
    };
    check_pkgs(&a, "npm", "npm", "/app/yarn.lock", v1, 3);
    RS_CHECK_INT(a.n_malformed, 1);
    rs_analysis_clear(&a);

    parse_data(&rs_analyzer_npmlock, "npm/yarn-berry.lock", "/srv/yarn.lock", &a);
    static const lang_want berry[] = {
        {"@types/node", "20.1.0", "pkg:npm/%40types/node@20.1.0"},
        {"express", "4.17.1", "pkg:npm/express@4.17.1"},
    };
    check_pkgs(&a, "npm", "npm", "/srv/yarn.lock", berry, 2);
    RS_CHECK_INT(a.n_malformed, 0);
    rs_analysis_clear(&a);
}

static void test_lock_malformed(void)
{
    size_t m;
    RS_CHECK_INT(parse_text(&rs_analyzer_npmlock, "/a/package-lock.json", "{", &m), 0);
    RS_CHECK_INT(m, 1);
    RS_CHECK_INT(parse_text(&rs_analyzer_npmlock, "/a/package-lock.json", "{}", &m), 0);
    RS_CHECK_INT(m, 0);
    RS_CHECK_INT(parse_text(&rs_analyzer_npmlock, "/a/yarn.lock", "", &m), 0);
    RS_CHECK_INT(parse_text(&rs_analyzer_npmlock, "/a/yarn.lock", "x@1:\n  version \"1.0.0\"", &m),
                 1);
    /* nesting deeper than 64 levels stops there */
    char deep[8192];
    size_t o = (size_t)snprintf(deep, sizeof deep, "{\"lockfileVersion\":1,\"dependencies\":");
    for (int i = 0; i < 80; i++)
        o += (size_t)snprintf(deep + o, sizeof deep - o, "{\"a\":{\"version\":\"1.0.%d\","
                                                         "\"dependencies\":",
                              i);
    o += (size_t)snprintf(deep + o, sizeof deep - o, "{}");
    for (int i = 0; i < 80; i++)
        o += (size_t)snprintf(deep + o, sizeof deep - o, "}}");
    snprintf(deep + o, sizeof deep - o, "}");
    RS_CHECK_INT(parse_text(&rs_analyzer_npmlock, "/a/package-lock.json", deep, &m), 65);
    RS_CHECK_INT(m, 1);
}

int main(void)
{
    test_wants();
    test_manifest();
    test_lock_v1();
    test_lock_v3();
    test_yarn();
    test_lock_malformed();
    return RS_TEST_RESULT();
}
