/* test_policy.c - policy files, their effective version, suppressions by the
 * allow-list and OpenVEX, violations and the verdict. */
#include "base.h"
#include "policy.h"
#include "rs_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#define DIGEST "sha256:1111111111111111111111111111111111111111111111111111111111111111"
/* 2027-01-01T00:00:00Z and a day later */
#define T0 ((time_t)1798761600)
#define DAY ((time_t)86400)

static rs_policy *parse(const char *text, const char *dir, int *rc, char *err, size_t errsz)
{
    rs_policy *p = NULL;
    *rc = rs_policy_parse(text, strlen(text), dir, &p, err, errsz);
    return p;
}

static void test_parse_errors(void)
{
    static const struct {
        const char *text, *needle;
    } cases[] = {
        {"{\"fail\": {}}", "unknown key \"fail\""},
        {"{\"fail_on\": {\"vulnerability_severity\": \"severe\"}}", "vulnerability_severity"},
        {"{\"fail_on\": {\"secrets\": \"yes\"}}", "\"secrets\" must be true or false"},
        {"{\"fail_on\": {\"sec\": true}}", "unknown key \"sec\" in \"fail_on\""},
        {"{\"allow\": [{\"path\": \"/x\"}]}", "\"allow\"[0] needs an \"id\""},
        {"{\"allow\": [{\"id\": \"X\", \"expires\": \"soon\"}]}", "\"expires\" is not"},
        {"{\"allow\": {}}", "\"allow\" must be an array"},
        {"{\"forbidden_packages\": [{\"versions\": [\"1\"]}]}", "needs a \"name\""},
        {"{\"forbidden_packages\": [{\"name\": \"x\", \"versions\": [1]}]}", "only strings"},
        {"[1]", "not a JSON object"},
        {"{", "not JSON"},
        {"{\"vex\": \"missing.json\"}", "missing.json"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char err[512] = "";
        int rc;
        rs_policy *p = parse(cases[i].text, "/nonexistent", &rc, err, sizeof err);
        RS_CHECK(p == NULL);
        RS_CHECK_INT(rc, RS_ERR_CONFIG);
        if (!strstr(err, cases[i].needle))
            fprintf(stderr, "case %zu: \"%s\" lacks \"%s\"\n", i, err, cases[i].needle);
        RS_CHECK(strstr(err, cases[i].needle) != NULL);
    }
}

static void test_version(void)
{
    const char *a = "{\"version\": \"1\", \"allow\": [{\"id\": \"CVE-1\", \"expires\": "
                    "\"2027-01-01\"}, {\"id\": \"CVE-2\"}]}";
    const char *b = "{\"version\": \"2\", \"allow\": [{\"id\": \"CVE-1\", \"expires\": "
                    "\"2027-01-01\"}, {\"id\": \"CVE-2\"}]}";
    char err[256], va[24], va2[24], vb[24], expired[24];
    int rc;
    rs_policy *pa = parse(a, NULL, &rc, err, sizeof err);
    rs_policy *pa2 = parse(a, NULL, &rc, err, sizeof err);
    rs_policy *pb = parse(b, NULL, &rc, err, sizeof err);
    RS_REQUIRE(pa && pa2 && pb);
    rs_policy_version(pa, T0, va);
    rs_policy_version(pa2, T0 + 3600, va2); /* the entry holds to the end of its day */
    rs_policy_version(pb, T0, vb);
    rs_policy_version(pa, T0 + DAY, expired);
    RS_CHECK_INT(strlen(va), 19);
    RS_CHECK(!strncmp(va, "p1-", 3));
    RS_CHECK_STR(va, va2);
    RS_CHECK(strcmp(va, vb) != 0);      /* other bytes */
    RS_CHECK(strcmp(va, expired) != 0); /* the time-limited entry has expired */
    rs_policy_free(pa);
    rs_policy_free(pa2);
    rs_policy_free(pb);
}

static json_t *vuln(const char *id, const char *alias, const char *pkg, const char *purl,
                    const char *sev, int fixable, const char *path)
{
    return json_pack("{s:s, s:[s], s:s, s:s, s:s, s:s, s:b, s:s, s:s, s:s}", "id", id, "aliases",
                     alias, "package", pkg, "purl", purl, "installed_version", "1.0", "severity",
                     sev, "fixable", fixable, "path", path, "match", "affected", "ecosystem",
                     "npm");
}

/* A report as rs_report_build and the match stage leave it. */
static json_t *report(void)
{
    json_t *r = json_pack("{s:{s:i}, s:[], s:[], s:{s:s}}", "summary", "packages", 3,
                          "secrets", "misconfigurations", "policy", "verdict", "pass");
    json_t *v = json_array();
    json_array_append_new(v, vuln("GHSA-aaaa", "CVE-2021-0001", "left-pad",
                                  "pkg:npm/left-pad@1.0", "critical", 1,
                                  "/app/node_modules/left-pad/package.json"));
    json_array_append_new(v, vuln("GHSA-bbbb", "CVE-2021-0002", "qs", "pkg:npm/qs@1.0", "high",
                                  0, "/app/node_modules/qs/package.json"));
    json_array_append_new(v, vuln("GHSA-cccc", "CVE-2021-0003", "ms", "pkg:npm/ms@1.0", "medium",
                                  1, "/srv/node_modules/ms/package.json"));
    json_object_set_new(r, "vulnerabilities", v);
    json_array_append_new(json_object_get(r, "secrets"),
                          json_pack("{s:s, s:s, s:s, s:i, s:s}", "rule", "aws-access-key-id",
                                    "severity", "critical", "path", "/app/.env", "line", 3, "match",
                                    "AKIA****"));
    json_array_append_new(json_object_get(r, "misconfigurations"),
                          json_pack("{s:s, s:s}", "id", "RS-CFG-ROOT", "severity", "medium"));
    return r;
}

static const char *vid(const json_t *r, const char *array, size_t i)
{
    json_t *e = json_array_get(json_object_get(r, array), i);
    return json_string_value(json_object_get(e, "id"));
}

static json_int_t count(const json_t *r, const char *sev)
{
    json_t *s = json_object_get(json_object_get(r, "summary"), "vulnerabilities");
    return json_integer_value(json_object_get(s, sev));
}

static json_t *apply_text(const char *text, const rs_inventory *inv, time_t now)
{
    char err[256];
    int rc;
    rs_policy *p = text ? parse(text, NULL, &rc, err, sizeof err) : NULL;
    if (text && !p)
        fprintf(stderr, "policy: %s\n", err);
    RS_REQUIRE(!text || p);
    json_t *r = report();
    RS_CHECK_INT(rs_policy_apply(p, DIGEST, inv, now, r), 0);
    rs_policy_free(p);
    return r;
}

static void test_thresholds(void)
{
    json_t *r = apply_text(NULL, NULL, T0);
    RS_CHECK_STR(json_string_value(json_object_get(json_object_get(r, "policy"), "verdict")),
                 "pass");
    RS_CHECK(json_is_null(json_object_get(json_object_get(r, "policy"), "version")));
    RS_CHECK_INT(json_array_size(json_object_get(r, "suppressed")), 0);
    RS_CHECK_INT(count(r, "critical"), 1);
    RS_CHECK_INT(json_integer_value(json_object_get(json_object_get(r, "summary"), "fixable")), 2);
    json_decref(r);

    r = apply_text("{\"fail_on\": {\"vulnerability_severity\": \"high\"}}", NULL, T0);
    json_t *viol = json_object_get(json_object_get(r, "policy"), "violations");
    RS_CHECK(rs_policy_failed(r));
    RS_CHECK_INT(json_array_size(viol), 2);
    RS_CHECK_STR(vid(r, "vulnerabilities", 0), "GHSA-aaaa");
    RS_CHECK_STR(json_string_value(json_object_get(json_array_get(viol, 0), "id")), "GHSA-aaaa");
    RS_CHECK_STR(json_string_value(json_object_get(json_array_get(viol, 1), "id")), "GHSA-bbbb");
    RS_CHECK_STR(json_string_value(json_object_get(json_array_get(viol, 1), "rule")),
                 "vulnerability_severity");
    json_decref(r);

    r = apply_text("{\"fail_on\": {\"vulnerability_severity\": \"high\", \"only_fixable\": true}}",
                   NULL, T0);
    viol = json_object_get(json_object_get(r, "policy"), "violations");
    RS_CHECK_INT(json_array_size(viol), 1);
    RS_CHECK_STR(json_string_value(json_object_get(json_array_get(viol, 0), "id")), "GHSA-aaaa");
    json_decref(r);

    r = apply_text("{\"fail_on\": {\"vulnerability_severity\": \"critical\"}, \"allow\": "
                   "[{\"id\": \"CVE-2021-0001\"}]}",
                   NULL, T0);
    RS_CHECK(!rs_policy_failed(r)); /* allowed by its alias */
    json_decref(r);

    r = apply_text("{\"fail_on\": {\"secrets\": true, \"misconfiguration_severity\": \"medium\"}}",
                   NULL, T0);
    viol = json_object_get(json_object_get(r, "policy"), "violations");
    RS_CHECK_INT(json_array_size(viol), 2);
    RS_CHECK_STR(json_string_value(json_object_get(json_array_get(viol, 0), "rule")), "secret");
    RS_CHECK_STR(json_string_value(json_object_get(json_array_get(viol, 0), "id")),
                 "aws-access-key-id");
    RS_CHECK(!json_object_get(json_array_get(viol, 0), "match")); /* not even redacted text */
    RS_CHECK_STR(json_string_value(json_object_get(json_array_get(viol, 1), "id")), "RS-CFG-ROOT");
    json_decref(r);

    r = apply_text("{\"fail_on\": {\"misconfiguration_severity\": \"high\"}}", NULL, T0);
    RS_CHECK(!rs_policy_failed(r));
    json_decref(r);
}

static void test_allow(void)
{
    /* by id and path glob, one expiring at the end of 2027-01-01 */
    const char *text =
        "{\"fail_on\": {\"vulnerability_severity\": \"medium\", \"secrets\": true},"
        " \"allow\": [{\"id\": \"GHSA-cccc\", \"path\": \"/srv/*\", \"reason\": \"not reachable\"},"
        "            {\"id\": \"GHSA-bbbb\", \"path\": \"/other/*\"},"
        "            {\"id\": \"aws-access-key-id\", \"expires\": \"2027-01-01\"}]}";
    json_t *r = apply_text(text, NULL, T0);
    json_t *sup = json_object_get(r, "suppressed");
    RS_CHECK_INT(json_array_size(sup), 2);
    RS_CHECK_STR(json_string_value(json_object_get(json_array_get(sup, 0), "id")), "GHSA-cccc");
    RS_CHECK_STR(json_string_value(json_object_get(json_array_get(sup, 0), "kind")),
                 "vulnerability");
    RS_CHECK_STR(json_string_value(json_object_get(
                     json_object_get(json_array_get(sup, 0), "suppressed_by"), "reason")),
                 "not reachable");
    RS_CHECK_STR(json_string_value(json_object_get(json_array_get(sup, 1), "rule")),
                 "aws-access-key-id");
    RS_CHECK_INT(json_array_size(json_object_get(r, "vulnerabilities")), 2);
    RS_CHECK_INT(json_array_size(json_object_get(r, "secrets")), 0);
    RS_CHECK_INT(count(r, "medium"), 0);
    RS_CHECK_INT(json_integer_value(json_object_get(json_object_get(r, "summary"), "suppressed")),
                 2);
    RS_CHECK_INT(json_array_size(json_object_get(json_object_get(r, "policy"), "violations")), 2);
    json_decref(r);

    /* a day later the secret's entry has expired */
    r = apply_text(text, NULL, T0 + DAY);
    RS_CHECK_INT(json_array_size(json_object_get(r, "suppressed")), 1);
    RS_CHECK_INT(json_array_size(json_object_get(r, "secrets")), 1);
    RS_CHECK_INT(json_array_size(json_object_get(json_object_get(r, "policy"), "violations")), 3);
    json_decref(r);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    RS_REQUIRE(f);
    fputs(text, f);
    fclose(f);
}

static void test_vex(void)
{
    char dir[] = "/tmp/rs-policy-XXXXXX", path[256];
    RS_REQUIRE(mkdtemp(dir));
    /* v0.2.0: the image with a subcomponent; a package product; an affected
     * statement that must not suppress; one for another image */
    snprintf(path, sizeof path, "%s/app.openvex.json", dir);
    write_file(path, "{\"@context\": \"https://openvex.dev/ns/v0.2.0\", \"statements\": ["
                     "{\"vulnerability\": {\"name\": \"CVE-2021-0001\"}, \"products\": [{\"@id\": "
                     "\"pkg:oci/app@sha256%3A"
                     "1111111111111111111111111111111111111111111111111111111111111111\","
                     " \"subcomponents\": [{\"@id\": \"pkg:npm/left-pad@1.0\"}]}],"
                     " \"status\": \"not_affected\", \"justification\": "
                     "\"vulnerable_code_not_in_execute_path\"},"
                     "{\"vulnerability\": {\"name\": \"GHSA-bbbb\"}, \"products\": [{\"@id\": "
                     "\"pkg:npm/qs@1.0\"}], \"status\": \"affected\"},"
                     "{\"vulnerability\": {\"name\": \"GHSA-cccc\"}, \"products\": [{\"@id\": "
                     "\"sha256:"
                     "2222222222222222222222222222222222222222222222222222222222222222\"}],"
                     " \"status\": \"not_affected\"}]}");
    /* v0.0.1: strings */
    snprintf(path, sizeof path, "%s/old.json", dir);
    write_file(path, "{\"statements\": [{\"vulnerability\": \"GHSA-cccc\", \"products\": "
                     "[\"pkg:npm/ms\"], \"status\": \"fixed\"}]}");
    const char *text = "{\"fail_on\": {\"vulnerability_severity\": \"low\"},"
                       " \"vex\": [\"app.openvex.json\", \"old.json\"]}";
    char err[512];
    int rc;
    rs_policy *p = parse(text, dir, &rc, err, sizeof err);
    if (!p)
        fprintf(stderr, "%s\n", err);
    RS_REQUIRE(p);
    json_t *r = report();
    RS_CHECK_INT(rs_policy_apply(p, DIGEST, NULL, T0, r), 0);
    json_t *sup = json_object_get(r, "suppressed");
    RS_CHECK_INT(json_array_size(sup), 2);
    RS_CHECK_STR(json_string_value(json_object_get(json_array_get(sup, 0), "id")), "GHSA-aaaa");
    json_t *by = json_object_get(json_array_get(sup, 0), "suppressed_by");
    RS_CHECK_STR(json_string_value(json_object_get(by, "by")), "vex");
    RS_CHECK_STR(json_string_value(json_object_get(by, "document")), "app.openvex.json");
    RS_CHECK_STR(json_string_value(json_object_get(by, "justification")),
                 "vulnerable_code_not_in_execute_path");
    /* GHSA-cccc: not by the statement for another image, but by the version-less purl */
    RS_CHECK_STR(json_string_value(json_object_get(json_array_get(sup, 1), "id")), "GHSA-cccc");
    RS_CHECK_STR(json_string_value(json_object_get(
                     json_object_get(json_array_get(sup, 1), "suppressed_by"), "document")),
                 "old.json");
    RS_CHECK_INT(json_array_size(json_object_get(r, "vulnerabilities")), 1);
    RS_CHECK_STR(vid(r, "vulnerabilities", 0), "GHSA-bbbb");
    /* the VEX bytes are part of the version */
    char v1[24], v2[24];
    rs_policy_version(p, T0, v1);
    json_decref(r);
    rs_policy_free(p);
    write_file(path, "{\"statements\": []}");
    p = parse(text, dir, &rc, err, sizeof err);
    RS_REQUIRE(p);
    rs_policy_version(p, T0, v2);
    RS_CHECK(strcmp(v1, v2) != 0);
    rs_policy_free(p);
    /* a statement without products is refused */
    write_file(path, "{\"statements\": [{\"vulnerability\": \"X\", \"status\": \"fixed\"}]}");
    RS_CHECK(parse(text, dir, &rc, err, sizeof err) == NULL);
    RS_CHECK(strstr(err, "\"products\"") != NULL);
    unlink(path);
    snprintf(path, sizeof path, "%s/app.openvex.json", dir);
    unlink(path);
    rmdir(dir);
}

static void test_forbidden(void)
{
    rs_inventory *inv = rs_inventory_new();
    rs_pkg a = {.type = "npm", .ecosystem = "npm", .name = "event-stream", .version = "3.3.6",
                .path = "/app/node_modules/event-stream/package.json"};
    rs_pkg b = {.type = "dpkg", .ecosystem = "Debian:12", .name = "telnet", .version = "0.17",
                .path = "/var/lib/dpkg/status"};
    RS_REQUIRE(inv && !rs_inventory_add(inv, &a) && !rs_inventory_add(inv, &b));
    json_t *r = apply_text("{\"forbidden_packages\": [{\"ecosystem\": \"npm\", \"name\": "
                           "\"event-stream\", \"versions\": [\"3.3.6\"], \"reason\": \"malware\"},"
                           " {\"ecosystem\": \"Debian\", \"name\": \"telnet\"},"
                           " {\"name\": \"event-stream\", \"versions\": [\"4.0.0\"]}]}",
                           inv, T0);
    json_t *viol = json_object_get(json_object_get(r, "policy"), "violations");
    RS_CHECK(rs_policy_failed(r));
    RS_CHECK_INT(json_array_size(viol), 2);
    RS_CHECK_STR(json_string_value(json_object_get(json_array_get(viol, 0), "rule")),
                 "forbidden_package");
    RS_CHECK_STR(json_string_value(json_object_get(json_array_get(viol, 0), "message")),
                 "forbidden package: malware");
    RS_CHECK_STR(json_string_value(json_object_get(json_array_get(viol, 1), "package")), "telnet");
    json_decref(r);
    /* allowed by name and path */
    r = apply_text("{\"forbidden_packages\": [{\"name\": \"telnet\"}], \"allow\": [{\"id\": "
                   "\"telnet\", \"path\": \"/var/lib/dpkg/*\"}]}",
                   inv, T0);
    RS_CHECK(!rs_policy_failed(r));
    json_t *first = json_array_get(json_object_get(r, "suppressed"), 0);
    RS_CHECK_STR(json_string_value(json_object_get(first, "kind")), "forbidden_package");
    json_decref(r);
    rs_inventory_free(inv);
}

/* A loaded policy knows whether its files changed since: the policy file
 * and each VEX document, by size and modification time. */
static void test_unchanged(void)
{
    char dir[] = "/tmp/rs-policy-XXXXXX", pol[256], vex[256], err[512];
    RS_REQUIRE(mkdtemp(dir));
    snprintf(pol, sizeof pol, "%s/policy.json", dir);
    snprintf(vex, sizeof vex, "%s/v.json", dir);
    write_file(vex, "{\"statements\": []}");
    write_file(pol, "{\"version\": \"1\", \"vex\": [\"v.json\"]}");
    rs_policy *p = NULL;
    RS_REQUIRE(rs_policy_load(pol, &p, err, sizeof err) == 0);
    RS_CHECK_INT(rs_policy_unchanged(p), 1);
    RS_CHECK(rs_policy_ref(p) == p); /* two references: one free leaves it usable */
    rs_policy_free(p);
    RS_CHECK_INT(rs_policy_unchanged(p), 1);
    write_file(vex, "{\"statements\": [ ]}"); /* the VEX document changed */
    RS_CHECK_INT(rs_policy_unchanged(p), 0);
    rs_policy_free(p);
    RS_REQUIRE(rs_policy_load(pol, &p, err, sizeof err) == 0);
    RS_CHECK_INT(rs_policy_unchanged(p), 1);
    /* the policy file: same size, another modification time */
    struct timespec ts[2] = {{.tv_sec = 1000000000}, {.tv_sec = 1000000000}};
    RS_REQUIRE(utimensat(AT_FDCWD, pol, ts, 0) == 0);
    RS_CHECK_INT(rs_policy_unchanged(p), 0);
    rs_policy_free(p);
    RS_REQUIRE(rs_policy_load(pol, &p, err, sizeof err) == 0);
    unlink(vex); /* gone */
    RS_CHECK_INT(rs_policy_unchanged(p), 0);
    rs_policy_free(p);
    unlink(pol);
    rmdir(dir);
}

int main(void)
{
    test_parse_errors();
    test_version();
    test_thresholds();
    test_allow();
    test_vex();
    test_forbidden();
    test_unchanged();
    return RS_TEST_RESULT();
}
