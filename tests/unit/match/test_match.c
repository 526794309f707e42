/* test_match.c - the match stage: an inventory built here (Debian 9 packages
 * with Source: fields, an epoch and a binNMU the source lacks, Alpine musl,
 * npm, PyPI and Maven packages) against the real records of
 * tests/data/osv/records plus tests/data/osv/extra: exact ids, aliases,
 * fixes, remediation, severity, summary counts and fingerprints; the order of
 * fixed versions the scheme cannot all parse (tests/data/osv/mixed-fixed);
 * the same match from 8 threads at once, always the same result. */
#include "base.h"
#include "match.h"
#include "rs_test.h"

#include <pthread.h>

static void add_pkg(rs_inventory *inv, const char *type, const char *eco, const char *name,
                    const char *version, const char *src, const char *srcver, const char *path)
{
    rs_pkg p = {0};
    p.type = (char *)type;
    p.ecosystem = (char *)eco;
    p.name = (char *)name;
    p.version = (char *)version;
    p.source_name = (char *)src;
    p.source_version = (char *)srcver;
    p.path = (char *)path;
    RS_REQUIRE(rs_inventory_add(inv, &p) == 0);
}

static rs_inventory *make_inventory(void)
{
    rs_inventory *inv = rs_inventory_new();
    RS_REQUIRE(inv != NULL);
    snprintf(inv->os.id, sizeof inv->os.id, "debian");
    snprintf(inv->os.version_id, sizeof inv->os.version_id, "9");
    inv->os.found = 1;
    const char *st = "/var/lib/dpkg/status";
    add_pkg(inv, "dpkg", NULL, "libssl1.1", "1.1.0l-1~deb9u5", "openssl", NULL, st);
    /* an epoch on the binary that its source version lacks */
    add_pkg(inv, "dpkg", NULL, "openssl", "1:1.1.0l-1~deb9u5", "openssl", "1.1.0l-1~deb9u5", st);
    /* binNMUs: +b1 on the binary only; the second one is fixed */
    add_pkg(inv, "dpkg", NULL, "libxml2", "2.9.4+dfsg1-2.2+deb9u6+b1", "libxml2",
            "2.9.4+dfsg1-2.2+deb9u6", st);
    add_pkg(inv, "dpkg", NULL, "libxml2-utils", "2.9.4+dfsg1-2.2+deb9u7+b1", "libxml2",
            "2.9.4+dfsg1-2.2+deb9u7", st);
    add_pkg(inv, "dpkg", NULL, "dpkg", "1.18.25", NULL, NULL, st);
    add_pkg(inv, "dpkg", NULL, "bash", "4.4-5", NULL, NULL, st);
    add_pkg(inv, "dpkg", NULL, "libc6", "2.24-11+deb9u4", "glibc", NULL, st);
    add_pkg(inv, "apk", "Alpine:v3.18", "musl", "1.2.4-r2", "musl", NULL, "/lib/apk/db/installed");
    add_pkg(inv, "apk", "Alpine:v3.18", "musl-utils", "1.2.4-r3", "musl", NULL,
            "/lib/apk/db/installed");
    add_pkg(inv, "npm", "npm", "lodash", "4.17.15", NULL, NULL,
            "/app/node_modules/lodash/package.json");
    add_pkg(inv, "npm", "npm", "express", "not-a-version", NULL, NULL,
            "/app/node_modules/express/package.json");
    add_pkg(inv, "python", "PyPI", "PyYAML", "5.3.1", NULL, NULL,
            "/usr/lib/python3/dist-packages/PyYAML-5.3.1.dist-info/METADATA");
    add_pkg(inv, "java", "Maven", "org.apache.logging.log4j:log4j-core", "2.14.1", NULL, NULL,
            "/app/lib/log4j-core-2.14.1.jar");
    rs_inventory_finish(inv);
    return inv;
}

static rs_vulndb *make_db(const char *const *dirs, size_t n)
{
    char p[1024], err[512] = "";
    rs_vulndb *db = rs_vulndb_new();
    RS_REQUIRE(db != NULL);
    rs_vulndb_stats st;
    memset(&st, 0, sizeof st);
    for (size_t i = 0; i < n; i++)
        RS_REQUIRE(rs_vulndb_add(db, rs_test_data(dirs[i], p, sizeof p), &st, err, sizeof err) ==
                   0);
    RS_REQUIRE(rs_vulndb_finish(db, err, sizeof err) == 0);
    return db;
}

static rs_match_result *match(const rs_vulndb *db, const rs_inventory *inv)
{
    rs_match_result *m = NULL;
    char err[512] = "";
    RS_REQUIRE(rs_match_inventory(db, inv, &m, err, sizeof err) == 0);
    RS_REQUIRE(m != NULL);
    return m;
}

struct want {
    const char *id, *pkg, *matched_name, *matched_version;
    const char *aliases; /* joined with ',' */
    const char *upstream;
    const char *fixed;
    const char *nearest;
    rs_severity severity;
    const char *cvss_version;
    int cvss_tenths;
    const char *remediation;
    int unknown;
};

static void join(char *const *v, size_t n, char *out, size_t size)
{
    out[0] = '\0';
    size_t used = 0;
    for (size_t i = 0; i < n && used < size; i++)
        used += (size_t)snprintf(out + used, size - used, "%s%s", i ? "," : "", v[i]);
}

static void check_finding(const rs_finding *f, const struct want *w)
{
    char buf[1024];
    RS_CHECK_STR(f->id, w->id);
    RS_CHECK_STR(f->pkg->name, w->pkg);
    RS_CHECK_STR(f->matched_name, w->matched_name);
    RS_CHECK_STR(f->matched_version, w->matched_version);
    join(f->aliases, f->n_aliases, buf, sizeof buf);
    RS_CHECK_STR(buf, w->aliases);
    join(f->upstream, f->n_upstream, buf, sizeof buf);
    RS_CHECK_STR(buf, w->upstream);
    join(f->fixed, f->n_fixed, buf, sizeof buf);
    RS_CHECK_STR(buf, w->fixed);
    RS_CHECK_STR(f->nearest_fix, w->nearest);
    RS_CHECK_STR(rs_severity_name(f->severity), rs_severity_name(w->severity));
    RS_CHECK_STR(f->cvss_version, w->cvss_version);
    RS_CHECK_INT((int)(f->cvss_score * 10.0 + 0.5), w->cvss_tenths);
    RS_CHECK_STR(f->remediation, w->remediation);
    RS_CHECK_INT(f->version_unknown, w->unknown);
}

static const struct want expected[] = {
    {"GHSA-8q59-q68h-6hv4", "PyYAML", "PyYAML", "5.3.1", "CVE-2020-14343", "", "5.4", "5.4",
     RS_SEV_CRITICAL, "3.1", 98, "upgrade PyYAML to 5.4 or later", 0},
    {"GHSA-7rjr-3q55-vv33", "org.apache.logging.log4j:log4j-core",
     "org.apache.logging.log4j:log4j-core", "2.14.1", "CVE-2021-45046", "", "2.12.2,2.16.0",
     "2.16.0", RS_SEV_CRITICAL, "3.1", 90,
     "upgrade org.apache.logging.log4j:log4j-core to 2.16.0 or later", 0},
    {"GHSA-jfh8-c2jp-5v3q", "org.apache.logging.log4j:log4j-core",
     "org.apache.logging.log4j:log4j-core", "2.14.1", "CVE-2021-44228", "", "2.3.1,2.12.2,2.15.0",
     "2.15.0", RS_SEV_CRITICAL, "3.1", 100,
     "upgrade org.apache.logging.log4j:log4j-core to 2.15.0 or later", 0},
    /* one vulnerability under three ids: reported once, the advisory as primary */
    {"GHSA-35jh-r3h4-6jhm", "lodash", "lodash", "4.17.15", "CVE-2021-23337,OSV-TEST-2021-23337", "",
     "4.17.21", "4.17.21", RS_SEV_HIGH, "3.1", 72, "upgrade lodash to 4.17.21 or later", 0},
    {"GHSA-p6mc-m468-83gw", "lodash", "lodash", "4.17.15", "CVE-2020-8203", "", "4.17.20",
     "4.17.20", RS_SEV_HIGH, "3.1", 74, "upgrade lodash to 4.17.20 or later", 0},
    {"ALPINE-CVE-2025-26519", "musl", "musl", "1.2.4-r2", "", "CVE-2025-26519", "1.2.4-r3",
     "1.2.4-r3", RS_SEV_HIGH, "3.1", 70, "upgrade musl to 1.2.4-r3 or later", 0},
    /* Debian's urgency "unimportant", a record of "Debian" without release */
    {"DEBIAN-CVE-2099-0001", "bash", "bash", "4.4-5", "", "CVE-2099-0001", "", NULL,
     RS_SEV_NEGLIGIBLE, "", 0, "no fix available", 0},
    /* Debian records without CVSS or urgency: unknown */
    {"DLA-3022-1", "dpkg", "dpkg", "1.18.25", "", "CVE-2022-1664,DEBIAN-CVE-2022-1664", "1.18.26",
     "1.18.26", RS_SEV_UNKNOWN, "", 0, "upgrade dpkg to 1.18.26 or later", 0},
    {"DLA-3008-1", "libssl1.1", "openssl", "1.1.0l-1~deb9u5", "",
     "CVE-2022-1292,DEBIAN-CVE-2022-1292", "1.1.0l-1~deb9u6", "1.1.0l-1~deb9u6", RS_SEV_UNKNOWN, "",
     0, "upgrade libssl1.1 (source package openssl) to 1.1.0l-1~deb9u6 or later", 0},
    {"DLA-3012-1", "libxml2", "libxml2", "2.9.4+dfsg1-2.2+deb9u6", "",
     "CVE-2022-29824,DEBIAN-CVE-2022-29824", "2.9.4+dfsg1-2.2+deb9u7", "2.9.4+dfsg1-2.2+deb9u7",
     RS_SEV_UNKNOWN, "", 0, "upgrade libxml2 to 2.9.4+dfsg1-2.2+deb9u7 or later", 0},
    /* matched by the source version: the binary's epoch would hide it */
    {"DLA-3008-1", "openssl", "openssl", "1.1.0l-1~deb9u5", "",
     "CVE-2022-1292,DEBIAN-CVE-2022-1292", "1.1.0l-1~deb9u6", "1.1.0l-1~deb9u6", RS_SEV_UNKNOWN, "",
     0, "upgrade openssl to 1.1.0l-1~deb9u6 or later", 0},
    /* a version that cannot be compared: reported as unconfirmed, last */
    {"GHSA-rv95-896h-c2vc", "express", "express", "not-a-version", "CVE-2024-29041", "",
     "4.19.2,5.0.0-beta.3", NULL, RS_SEV_MEDIUM, "3.1", 61, "no fix available", 1},
};

static void test_findings(void)
{
    static const char *const dirs[] = {"osv/records", "osv/extra"};
    rs_vulndb *db = make_db(dirs, 2);
    rs_inventory *inv = make_inventory();
    rs_match_result *m = match(db, inv);
    size_t n_want = sizeof expected / sizeof *expected;
    RS_CHECK_INT(m->n, n_want);
    for (size_t i = 0; i < m->n && i < n_want; i++) {
        if (strcmp(m->findings[i].id, expected[i].id) != 0)
            fprintf(stderr, "finding %zu: %s on %s\n", i, m->findings[i].id,
                    m->findings[i].pkg->name);
        check_finding(&m->findings[i], &expected[i]);
    }
    RS_CHECK_INT(m->by_severity[RS_SEV_CRITICAL], 3);
    RS_CHECK_INT(m->by_severity[RS_SEV_HIGH], 3);
    RS_CHECK_INT(m->by_severity[RS_SEV_MEDIUM], 0);
    RS_CHECK_INT(m->by_severity[RS_SEV_LOW], 0);
    RS_CHECK_INT(m->by_severity[RS_SEV_NEGLIGIBLE], 1);
    RS_CHECK_INT(m->by_severity[RS_SEV_UNKNOWN], 4);
    RS_CHECK_INT(m->fixable, 10);
    RS_CHECK_INT(m->unconfirmed, 1);
    RS_CHECK_INT(m->git_ranges_skipped, 0);
    /* the v4 vector is kept as is; the v3.1 one gives the score */
    for (size_t i = 0; i < m->n; i++)
        RS_CHECK(m->findings[i].cvss4_vector == NULL);

    /* the report */
    json_t *report = json_pack("{s:{}}", "summary");
    RS_REQUIRE(report != NULL);
    RS_CHECK_INT(rs_match_to_report(m, report), 0);
    json_t *vulns = json_object_get(report, "vulnerabilities");
    RS_CHECK_INT(json_array_size(vulns), n_want);
    json_t *v = json_array_get(vulns, 10);
    RS_CHECK_STR(json_string_value(json_object_get(v, "id")), "DLA-3008-1");
    RS_CHECK_STR(json_string_value(json_object_get(v, "package")), "openssl");
    RS_CHECK_STR(json_string_value(json_object_get(v, "installed_version")), "1:1.1.0l-1~deb9u5");
    RS_CHECK_STR(json_string_value(json_object_get(v, "source_version")), "1.1.0l-1~deb9u5");
    RS_CHECK_STR(json_string_value(json_object_get(v, "ecosystem")), "Debian:9");
    RS_CHECK_STR(json_string_value(json_object_get(v, "severity")), "unknown");
    RS_CHECK(json_is_null(json_object_get(v, "cvss")));
    RS_CHECK_STR(json_string_value(json_object_get(v, "match")), "affected");
    v = json_array_get(vulns, 0);
    json_t *cvss = json_object_get(v, "cvss");
    RS_CHECK_STR(json_string_value(json_object_get(cvss, "version")), "3.1");
    RS_CHECK(json_real_value(json_object_get(cvss, "score")) == 9.8);
    RS_CHECK_STR(json_string_value(json_object_get(cvss, "vector")),
                 "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H");
    RS_CHECK_STR(json_string_value(json_array_get(json_object_get(v, "fixed_versions"), 0)), "5.4");
    v = json_array_get(vulns, 11);
    RS_CHECK_STR(json_string_value(json_object_get(v, "match")), "version-unknown");
    json_t *sum = json_object_get(report, "summary");
    json_t *by = json_object_get(sum, "vulnerabilities");
    RS_CHECK_INT(json_integer_value(json_object_get(by, "critical")), 3);
    RS_CHECK_INT(json_integer_value(json_object_get(by, "high")), 3);
    RS_CHECK_INT(json_integer_value(json_object_get(by, "medium")), 0);
    RS_CHECK_INT(json_integer_value(json_object_get(by, "negligible")), 1);
    RS_CHECK_INT(json_integer_value(json_object_get(by, "unknown")), 4);
    RS_CHECK_INT(json_integer_value(json_object_get(sum, "fixable")), 10);
    RS_CHECK_INT(json_integer_value(json_object_get(sum, "unconfirmed")), 1);
    json_decref(report);
    rs_match_result_free(m);

    /* without the extra records: lodash's template vulnerability has its own ids only */
    static const char *const only[] = {"osv/records"};
    rs_vulndb *db2 = make_db(only, 1);
    m = match(db2, inv);
    RS_CHECK_INT(m->n, n_want - 1);
    int seen = 0;
    for (size_t i = 0; i < m->n; i++)
        if (!strcmp(m->findings[i].id, "GHSA-35jh-r3h4-6jhm")) {
            seen = 1;
            RS_CHECK_INT(m->findings[i].n_aliases, 1);
        }
    RS_CHECK_INT(seen, 1);
    rs_match_result_free(m);
    rs_vulndb_destroy(db2);
    rs_inventory_free(inv);
    rs_vulndb_destroy(db);
}

/* Equal results, equal fingerprints; a new fix changes it. */
static void test_fingerprint(void)
{
    static const char *const base[] = {"osv/records", "osv/extra"};
    static const char *const unrelated[] = {"osv/records", "osv/extra", "osv/bad"};
    static const char *const updated[] = {"osv/records", "osv/extra", "osv/extra-update"};
    rs_vulndb *db = make_db(base, 2), *db_u = make_db(unrelated, 3), *db_f = make_db(updated, 3);
    rs_inventory *inv = make_inventory();
    rs_match_result *m1 = match(db, inv), *m2 = match(db, inv), *mu = match(db_u, inv),
                    *mf = match(db_f, inv);
    char f1[72], f2[72], fu[72], ff[72];
    rs_match_fingerprint(m1, f1);
    rs_match_fingerprint(m2, f2);
    rs_match_fingerprint(mu, fu);
    rs_match_fingerprint(mf, ff);
    RS_CHECK(!strncmp(f1, "sha256:", 7) && strlen(f1) == 71);
    RS_CHECK_STR(f1, f2);
    RS_CHECK_STR(f1, fu); /* records of packages not installed change nothing */
    RS_CHECK(strcmp(f1, ff) != 0);
    /* the update gave bash a fix */
    RS_CHECK_INT(mf->n, m1->n);
    RS_CHECK_INT(mf->fixable, m1->fixable + 1);
    for (size_t i = 0; i < mf->n; i++)
        if (!strcmp(mf->findings[i].id, "DEBIAN-CVE-2099-0001")) {
            RS_CHECK_STR(mf->findings[i].nearest_fix, "4.4-5+deb9u1");
            RS_CHECK_STR(mf->findings[i].remediation, "upgrade bash to 4.4-5+deb9u1 or later");
        }
    /* an empty result has a fingerprint of its own */
    rs_inventory *empty = rs_inventory_new();
    RS_REQUIRE(empty != NULL);
    rs_match_result *me = match(db, empty);
    RS_CHECK_INT(me->n, 0);
    char fe[72];
    rs_match_fingerprint(me, fe);
    RS_CHECK(strcmp(fe, f1) != 0);
    rs_match_result_free(me);
    rs_inventory_free(empty);
    rs_match_result_free(m1);
    rs_match_result_free(m2);
    rs_match_result_free(mu);
    rs_match_result_free(mf);
    rs_inventory_free(inv);
    rs_vulndb_destroy(db);
    rs_vulndb_destroy(db_u);
    rs_vulndb_destroy(db_f);
}

/* Other releases, a fixed version, an OS package without source. */
static void test_releases(void)
{
    static const char *const dirs[] = {"osv/records"};
    rs_vulndb *db = make_db(dirs, 1);
    rs_inventory *inv = rs_inventory_new();
    RS_REQUIRE(inv != NULL);
    snprintf(inv->os.id, sizeof inv->os.id, "ubuntu");
    snprintf(inv->os.version_id, sizeof inv->os.version_id, "22.04");
    inv->os.found = 1;
    const char *st = "/var/lib/dpkg/status";
    add_pkg(inv, "dpkg", NULL, "libcurl4", "7.81.0-1ubuntu1.13", "curl", NULL, st);
    add_pkg(inv, "dpkg", NULL, "curl", "7.81.0-1ubuntu1.14", NULL, NULL, st);
    add_pkg(inv, "dpkg", NULL, "liblzma5", "5.2.5-1ubuntu1", "xz-utils", NULL, st);
    add_pkg(inv, "dpkg", NULL, "openssl", "1.1.0l-1~deb9u5", NULL, NULL, st); /* Debian's */
    add_pkg(inv, "apk", "Alpine:v3.19", "musl", "1.2.4_git20230717-r4", "musl", NULL, "/a");
    add_pkg(inv, "apk", "Alpine:v3.19", "musl-dev", "1.2.4_git20230717-r5", "musl", NULL, "/a");
    rs_inventory_finish(inv);
    rs_match_result *m = match(db, inv);
    RS_CHECK_INT(m->n, 3);
    if (m->n == 3) {
        /* both critical (CVSS 9.8 and 10.0), by package name, then Alpine's high one */
        RS_CHECK_STR(m->findings[0].id, "UBUNTU-CVE-2023-38545");
        RS_CHECK_STR(m->findings[0].pkg->name, "libcurl4");
        RS_CHECK_STR(m->findings[0].pkg->ecosystem, "Ubuntu:22.04");
        RS_CHECK_STR(m->findings[0].nearest_fix, "7.81.0-1ubuntu1.14");
        RS_CHECK_INT((int)(m->findings[0].cvss_score * 10 + 0.5), 98);
        RS_CHECK_INT(m->findings[0].severity, RS_SEV_CRITICAL);
        RS_CHECK_STR(m->findings[1].id, "UBUNTU-CVE-2024-3094");
        RS_CHECK_STR(m->findings[1].pkg->name, "liblzma5");
        RS_CHECK_STR(m->findings[1].nearest_fix, "5.2.5-2ubuntu1");
        RS_CHECK_INT((int)(m->findings[1].cvss_score * 10 + 0.5), 100);
        RS_CHECK_STR(m->findings[2].id, "ALPINE-CVE-2025-26519");
        RS_CHECK_STR(m->findings[2].pkg->name, "musl");
        RS_CHECK_STR(m->findings[2].nearest_fix, "1.2.4_git20230717-r5");
    }
    RS_CHECK_INT(m->fixable, 3);
    rs_match_result_free(m);
    rs_inventory_free(inv);
    rs_vulndb_destroy(db);
}

/* Fixed versions npm's order parses and does not: one order, whatever the
 * input order. A comparator falling back to strcmp for the pairs the scheme
 * cannot compare had a cycle here: 4.17.9 < 4.17.10 by the scheme, yet
 * "4.17.10" < "4.17.5.1" < "4.17.9" by strcmp. */
static void test_sort_total_order(void)
{
    const rs_version_scheme *s = rs_version_scheme_for_ecosystem("npm");
    RS_REQUIRE(s != NULL);
    int cmp = 0;
    RS_CHECK_INT(s->compare("4.17.9", "4.17.10", &cmp), 0);
    RS_CHECK(cmp < 0);
    RS_CHECK_INT(s->valid("4.17.5.1"), 0);
    RS_CHECK(strcmp("4.17.10", "4.17.5.1") < 0 && strcmp("4.17.5.1", "4.17.9") < 0);

    static const char *const want[] = {"4.17.9",   "4.17.10", "4.17.19", "v4.17.19",
                                       "4.17.5.1", "latest",  "next"};
    enum { N = sizeof want / sizeof *want };
    /* every permutation of the input (Heap's algorithm): 7! = 5040 */
    char *in[N];
    for (size_t i = 0; i < N; i++)
        in[N - 1 - i] = (char *)want[i];
    size_t c[N] = {0}, perms = 0, wrong = 0;
    for (size_t i = 0;;) {
        char *v[N];
        memcpy(v, in, sizeof v);
        RS_REQUIRE(rs_version_sort(s, v, N) == 0);
        perms++;
        for (size_t k = 0; k < N; k++)
            if (strcmp(v[k], want[k]) != 0) {
                wrong++;
                break;
            }
        while (i < N && c[i] >= i) {
            c[i] = 0;
            i++;
        }
        if (i >= N)
            break;
        char *t = in[i % 2 ? c[i] : 0];
        in[i % 2 ? c[i] : 0] = in[i];
        in[i] = t;
        c[i]++;
        i = 1;
    }
    RS_CHECK_INT(perms, 5040);
    RS_CHECK_INT(wrong, 0);

    /* without a scheme: strcmp alone */
    char *v[] = {"b", "10", "a", "9"};
    RS_CHECK_INT(rs_version_sort(NULL, v, 4), 0);
    RS_CHECK_STR(v[0], "10");
    RS_CHECK_STR(v[1], "9");
    RS_CHECK_STR(v[2], "a");
    RS_CHECK_STR(v[3], "b");
}

/* Every fixed version of every finding, one line per finding. */
static void fixed_lines(const rs_match_result *m, char *out, size_t size)
{
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < m->n && used < size; i++) {
        char line[1024];
        join(m->findings[i].fixed, m->findings[i].n_fixed, line, sizeof line);
        used += (size_t)snprintf(out + used, size - used, "%s:%s\n", m->findings[i].id, line);
    }
}

struct match_run {
    const rs_vulndb *db;
    const rs_inventory *inv;
    const char *fingerprint, *fixed; /* what one thread alone found */
    int runs, failed, differ;        /* this thread's counts, checked by main */
};

static void *match_thread(void *arg)
{
    struct match_run *r = arg;
    char mine[8192], err[512];
    for (int i = 0; i < 1000; i++) {
        rs_match_result *m = NULL;
        if (rs_match_inventory(r->db, r->inv, &m, err, sizeof err) != 0) {
            r->failed++;
            continue;
        }
        char fp[72];
        rs_match_fingerprint(m, fp);
        fixed_lines(m, mine, sizeof mine);
        r->differ += strcmp(fp, r->fingerprint) != 0 || strcmp(mine, r->fixed) != 0;
        r->runs++;
        rs_match_result_free(m);
    }
    return NULL;
}

/* The same inventory matched 1,000 times on each of 8 threads at once: one
 * fingerprint, one order of fixed versions (run under ThreadSanitizer by
 * scripts/test.sh). */
static void test_concurrent(void)
{
    static const char *const dirs[] = {"osv/records", "osv/extra", "osv/mixed-fixed"};
    rs_vulndb *db = make_db(dirs, 3);
    rs_inventory *inv = make_inventory();
    rs_match_result *m = match(db, inv);
    char fp[72], fixed[8192];
    rs_match_fingerprint(m, fp);
    fixed_lines(m, fixed, sizeof fixed);
    RS_CHECK_INT(m->n, sizeof expected / sizeof *expected + 1);
    int seen = 0;
    for (size_t i = 0; i < m->n; i++) {
        const rs_finding *f = &m->findings[i];
        if (strcmp(f->id, "OSV-TEST-MIXED-0001") != 0)
            continue;
        seen++;
        char buf[512];
        join(f->fixed, f->n_fixed, buf, sizeof buf);
        RS_CHECK_STR(buf, "4.17.9,4.17.10,4.17.19,v4.17.19,4.17.5.1,next");
        RS_CHECK_STR(f->nearest_fix, "4.17.19");
        RS_CHECK_INT(f->version_unknown, 0);
    }
    RS_CHECK_INT(seen, 1);
    /* the log4j fixes of three release lines, in Maven's order */
    RS_CHECK(strstr(fixed, "GHSA-jfh8-c2jp-5v3q:2.3.1,2.12.2,2.15.0\n") != NULL);
    rs_match_result_free(m);

    pthread_t t[8];
    struct match_run runs[8];
    for (int i = 0; i < 8; i++) {
        runs[i] = (struct match_run){db, inv, fp, fixed, 0, 0, 0};
        RS_REQUIRE(pthread_create(&t[i], NULL, match_thread, &runs[i]) == 0);
    }
    for (int i = 0; i < 8; i++) {
        RS_REQUIRE(pthread_join(t[i], NULL) == 0);
        RS_CHECK_INT(runs[i].runs, 1000);
        RS_CHECK_INT(runs[i].failed, 0);
        RS_CHECK_INT(runs[i].differ, 0);
    }
    rs_inventory_free(inv);
    rs_vulndb_destroy(db);
}

/* A finding on a flagged package says so; text that is not UTF-8 (from the
 * database, say) gets U+FFFD in the report instead of failing it. */
static void test_report_text(void)
{
    rs_pkg pkgs[2] = {{.type = "apk",
                       .ecosystem = "Alpine:v3.19",
                       .name = "foo\xEF\xBF\xBD",
                       .version = "1.0-r0",
                       .source_name = "foo",
                       .path = "/lib/apk/db/installed",
                       .layer = "sha256:aa",
                       .text_replaced = 1},
                      {.type = "apk",
                       .ecosystem = "Alpine:v3.19",
                       .name = "musl",
                       .version = "1.2.4-r2",
                       .source_name = "musl",
                       .path = "/lib/apk/db/installed",
                       .layer = "sha256:aa"}};
    rs_finding f[2] = {{.id = "ALPINE-1",
                        .pkg = &pkgs[0],
                        .matched_name = "foo",
                        .matched_version = "1.0-r0",
                        .summary = "bad \xFF summary",
                        .remediation = "no fix available",
                        .severity = RS_SEV_HIGH},
                       {.id = "ALPINE-2",
                        .pkg = &pkgs[1],
                        .matched_name = "musl",
                        .matched_version = "1.2.4-r2",
                        .summary = "s",
                        .remediation = "no fix available",
                        .severity = RS_SEV_LOW}};
    rs_match_result m = {.findings = f, .n = 2};
    m.by_severity[RS_SEV_HIGH] = 1;
    m.by_severity[RS_SEV_LOW] = 1;
    json_t *report = json_pack("{s:{}}", "summary");
    RS_REQUIRE(report != NULL);
    RS_CHECK_INT(rs_match_to_report(&m, report), 0);
    json_t *v = json_array_get(json_object_get(report, "vulnerabilities"), 0);
    RS_CHECK_STR(json_string_value(json_object_get(v, "package")), "foo\xEF\xBF\xBD");
    RS_CHECK_STR(json_string_value(json_object_get(v, "summary")), "bad \xEF\xBF\xBD summary");
    char *flags = json_dumps(json_object_get(v, "flags"), JSON_COMPACT);
    RS_CHECK_STR(flags, "[\"invalid-utf8\"]");
    free(flags);
    v = json_array_get(json_object_get(report, "vulnerabilities"), 1);
    RS_CHECK(json_object_get(v, "flags") == NULL);
    RS_CHECK_STR(json_string_value(json_object_get(v, "match")), "affected");
    json_decref(report);
}

int main(void)
{
    test_findings();
    test_fingerprint();
    test_releases();
    test_sort_total_order();
    test_concurrent();
    test_report_text();
    return RS_TEST_RESULT();
}
