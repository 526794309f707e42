/* test_baseimage.c - the base image in reports: layer chain ids (against
 * values computed with Python's hashlib), the manifest annotations and their
 * round trip through the cached inventory, origins, counts, the newer base
 * tag and remediation, the basevulns: value and hostile candidates. */
#include "base.h"
#include "image.h"
#include "report.h"
#include "rs_test.h"

#include <stdlib.h>
#include <string.h>

#define DA "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define DB "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define DC "sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
#define DD "sha256:dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"

static void test_chain_ids(void)
{
    char *layers[3] = {DA, DB, DC};
    char out[3][65];
    RS_CHECK_INT(rs_base_chain_ids(layers, 3, out), 0);
    RS_CHECK_STR(out[0], DA + 7);
    /* hashlib.sha256(b"sha256:a…a sha256:b…b"), then over "sha256:<that> sha256:c…c" */
    RS_CHECK_STR(out[1], "ccd722928bd92476ba1745586fed6e45a102504185ad88cd89e01ff116fd146c");
    RS_CHECK_STR(out[2], "c1377126441fb2f5ec2c21ae2a60255331d639e830f0ee1b40a36e52d4c40588");
    /* a prefix's id does not depend on what follows it */
    char two[2][65];
    RS_CHECK_INT(rs_base_chain_ids(layers, 2, two), 0);
    RS_CHECK_STR(two[1], out[1]);
    char *bad[2] = {DA, "sha256:xyz"};
    RS_CHECK_INT(rs_base_chain_ids(bad, 2, two), RS_ERR_INVALID);
    char *null[1] = {NULL};
    RS_CHECK_INT(rs_base_chain_ids(null, 1, two), RS_ERR_INVALID);
}

static rs_manifest *parse_with(const char *annotations)
{
    char doc[2048], err[256];
    snprintf(doc, sizeof doc,
             "{\"schemaVersion\":2,\"mediaType\":\"" RS_MT_OCI_MANIFEST "\","
             "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\","
             "\"digest\":\"" DA "\",\"size\":2},"
             "\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\","
             "\"digest\":\"" DB "\",\"size\":3}]%s%s}",
             annotations ? ",\"annotations\":" : "", annotations ? annotations : "");
    rs_manifest *m = NULL;
    int rc = rs_manifest_parse(doc, strlen(doc), NULL, &m, err, sizeof err);
    if (rc)
        fprintf(stderr, "%s\n", err);
    RS_REQUIRE(rc == 0);
    return m;
}

static void test_annotations(void)
{
    rs_manifest *m = parse_with("{\"org.opencontainers.image.base.name\":"
                                "\"docker.io/library/alpine:3.18\","
                                "\"org.opencontainers.image.base.digest\":\"" DC "\"}");
    RS_CHECK_STR(m->base_name, "docker.io/library/alpine:3.18");
    RS_CHECK_STR(m->base_digest, DC);
    rs_manifest_free(m);
    /* unusable annotations are ignored, never fail the manifest */
    const char *hostile[] = {
        "{\"org.opencontainers.image.base.name\":\"a b\\n\","
        "\"org.opencontainers.image.base.digest\":\"sha256:XYZ\"}",
        "{\"org.opencontainers.image.base.name\":\"a\\u0001b\u00e9\","
        "\"org.opencontainers.image.base.digest\":7}",
        "{\"org.opencontainers.image.base.name\":\"\"}",
        "[1,2]",
        "\"x\""};
    for (size_t i = 0; i < sizeof hostile / sizeof *hostile; i++) {
        m = parse_with(hostile[i]);
        RS_CHECK_STR(m->base_name, "");
        RS_CHECK_STR(m->base_digest, "");
        rs_manifest_free(m);
    }
    char longname[400];
    memset(longname, 'a', sizeof longname);
    snprintf(longname, sizeof longname, "{\"org.opencontainers.image.base.name\":\"%0300d\"}", 1);
    m = parse_with(longname);
    RS_CHECK_STR(m->base_name, "");
    rs_manifest_free(m);
    m = parse_with(NULL);
    RS_CHECK_STR(m->base_name, "");
    rs_manifest_free(m);
}

static void test_inventory_roundtrip(void)
{
    rs_inventory *inv = rs_inventory_new(), *back = NULL;
    RS_REQUIRE(inv != NULL);
    snprintf(inv->base_name, sizeof inv->base_name, "%s", "docker.io/library/alpine:3.18");
    snprintf(inv->base_digest, sizeof inv->base_digest, "%s", DC);
    json_t *j = rs_inventory_to_json(inv);
    char err[256];
    RS_REQUIRE(j != NULL);
    RS_CHECK_INT(rs_inventory_from_json(j, &back, err, sizeof err), 0);
    RS_CHECK_STR(back ? back->base_name : NULL, "docker.io/library/alpine:3.18");
    RS_CHECK_STR(back ? back->base_digest : NULL, DC);
    rs_inventory_free(back);
    back = NULL;
    json_object_set_new(json_object_get(j, "base_annotation"), "digest", json_string("sha256:1"));
    RS_CHECK_INT(rs_inventory_from_json(j, &back, err, sizeof err), RS_ERR_INVALID);
    RS_CHECK_STR(err, "invalid inventory: 'base_annotation' is malformed");
    json_object_set_new(j, "base_annotation", json_integer(3));
    RS_CHECK_INT(rs_inventory_from_json(j, &back, err, sizeof err), RS_ERR_INVALID);
    json_decref(j);
    /* none: no key written */
    inv->base_name[0] = inv->base_digest[0] = '\0';
    j = rs_inventory_to_json(inv);
    RS_CHECK(j && !json_object_get(j, "base_annotation"));
    json_decref(j);
    rs_inventory_free(inv);
}

/* A report with musl (layer A, the base's) and lodash (layer B) findings. */
static json_t *report_doc(void)
{
    return json_pack(
        "{s:{s:i}, s:[{s:s, s:[s], s:s, s:s, s:s, s:s}, {s:s, s:s, s:s, s:s, s:s, s:[]}, "
        "{s:s, s:s, s:s, s:s, s:s, s:[]}], s:[{s:s, s:s}]}",
        "summary", "packages", 2, "vulnerabilities", "id", "ALPINE-CVE-2025-26519", "aliases",
        "CVE-2025-26519", "package", "musl", "installed_version", "1.2.4-r2", "layer", DA,
        "remediation", "upgrade musl to 1.2.4-r3 or later", "id", "ALPINE-CVE-2099-1", "package",
        "musl", "installed_version", "1.2.4-r2", "layer", DA, "remediation", "no fix available",
        "aliases", "id", "GHSA-35jh-r3h4-6jhm", "package", "lodash", "installed_version",
        "4.17.20", "layer", DB, "remediation", "upgrade lodash to 4.17.21 or later", "aliases",
        "suppressed", "rule", "aws-access-key-id", "path", "/x");
}

static rs_inventory *two_layers(void)
{
    rs_inventory *inv = rs_inventory_new();
    RS_REQUIRE(inv && rs_inventory_add_layer(inv, DA) == 0 && rs_inventory_add_layer(inv, DB) == 0);
    return inv;
}

static const char *origin(json_t *rep, size_t i)
{
    json_t *o = json_object_get(json_array_get(json_object_get(rep, "vulnerabilities"), i),
                                "origin");
    return json_is_null(o) ? "null" : json_string_value(o);
}

static void add(rs_base *b, const char *name, const char *digest, int64_t created,
                const char *json, int64_t min)
{
    RS_CHECK_INT(
        rs_base_add_candidate(b, name, digest, created, json, strlen(json), min, "linux/amd64"), 0);
}

static void test_apply(void)
{
    rs_inventory *inv = two_layers();
    rs_base b = {0};
    b.found = 1;
    snprintf(b.name, sizeof b.name, "%s", "r/base/alpine:3.18.4");
    snprintf(b.digest, sizeof b.digest, "%s", DC);
    b.layers = 1;
    b.source = "layers";
    /* 3.18.5 and the newer 3.18.6 fix the CVE; 3.18.7 still has it under its alias;
     * 3.18.9 was matched with an older snapshot; 3.19.0 is another platform; malformed
     * values are no candidates */
    add(&b, "r/base/alpine:3.18.5", DD, 200, "{\"vulndb_version\":4,\"platform\":\"linux/amd64\","
        "\"ids\":[\"ALPINE-CVE-2099-1\"]}", 4);
    add(&b, "r/base/alpine:3.18.6", DB, 300, "{\"vulndb_version\":5,\"platform\":\"linux/amd64\","
        "\"ids\":[\"ALPINE-CVE-2099-1\",\"X\"]}", 4);
    add(&b, "r/base/alpine:3.18.7", DD, 400, "{\"vulndb_version\":4,\"platform\":\"linux/amd64\","
        "\"ids\":[\"ALPINE-CVE-2099-1\",\"CVE-2025-26519\"]}", 4);
    add(&b, "r/base/alpine:3.18.9", DA, 900, "{\"vulndb_version\":3,\"platform\":\"linux/amd64\","
        "\"ids\":[]}", 4);
    add(&b, "r/base/alpine:3.19.0", DA, 901, "{\"vulndb_version\":9,\"platform\":\"linux/arm64\","
        "\"ids\":[]}", 4);
    add(&b, "r/base/alpine:bad", DA, 902, "{\"vulndb_version\":9,\"platform\":\"\",\"ids\":[1]}", 4);
    add(&b, "r/base/alpine:bad2", DA, 903, "not json", 4);
    RS_CHECK_INT(b.n_newer, 3);
    json_t *rep = report_doc();
    RS_CHECK_INT(rs_report_base_apply(rep, &b, inv), 0);
    RS_CHECK_STR(origin(rep, 0), "base");
    RS_CHECK_STR(origin(rep, 1), "base");
    RS_CHECK_STR(origin(rep, 2), "application");
    json_t *s = json_object_get(rep, "summary");
    RS_CHECK_INT(json_integer_value(json_object_get(s, "base")), 2);
    RS_CHECK_INT(json_integer_value(json_object_get(s, "application")), 1);
    char *base = json_dumps(json_object_get(rep, "base"), JSON_COMPACT | JSON_SORT_KEYS);
    RS_CHECK_STR(base, "{\"digest\":\"" DC "\",\"layers\":1,\"name\":\"r/base/alpine:3.18.4\","
                       "\"newer\":{\"digest\":\"" DB "\",\"fixes\":1,\"name\":"
                       "\"r/base/alpine:3.18.6\"},\"source\":\"layers\"}");
    free(base);
    json_t *v = json_object_get(rep, "vulnerabilities");
    RS_CHECK_STR(json_string_value(json_object_get(json_array_get(v, 0), "remediation")),
                 "fixed by rebuilding on r/base/alpine:3.18.6; or upgrade musl to 1.2.4-r3 or "
                 "later");
    RS_CHECK_STR(json_string_value(json_object_get(json_array_get(v, 1), "remediation")),
                 "no fix available");
    RS_CHECK_STR(json_string_value(json_object_get(json_array_get(v, 2), "remediation")),
                 "upgrade lodash to 4.17.21 or later");
    /* a secret in suppressed gets no origin */
    RS_CHECK(!json_object_get(json_array_get(json_object_get(rep, "suppressed"), 0), "origin"));
    json_decref(rep);

    /* the same base by annotation, layers unknown: no split, no newer */
    b.layers = -1;
    b.source = "annotation";
    rep = report_doc();
    RS_CHECK_INT(rs_report_base_apply(rep, &b, inv), 0);
    RS_CHECK_STR(origin(rep, 0), "null");
    RS_CHECK(json_is_null(json_object_get(json_object_get(rep, "summary"), "base")));
    RS_CHECK(json_is_null(json_object_get(json_object_get(rep, "base"), "newer")));
    RS_CHECK(json_is_null(json_object_get(json_object_get(rep, "base"), "layers")));
    json_decref(rep);

    /* no base */
    rep = report_doc();
    RS_CHECK_INT(rs_report_base_apply(rep, NULL, inv), 0);
    RS_CHECK(json_is_null(json_object_get(rep, "base")));
    RS_CHECK_STR(origin(rep, 2), "null");
    RS_CHECK(json_is_null(json_object_get(json_object_get(rep, "summary"), "application")));
    json_decref(rep);

    /* a newer base whose report has no finding at all fixes every base finding */
    rs_base clean = {.found = 1, .layers = 1, .source = "layers"};
    snprintf(clean.name, sizeof clean.name, "%s", "r/base/alpine:3.18.4");
    add(&clean, "r/base/alpine:3.19", DD, 500, "{\"vulndb_version\":4,\"platform\":\"\","
        "\"ids\":[]}", 4);
    rep = report_doc();
    RS_CHECK_INT(rs_report_base_apply(rep, &clean, inv), 0);
    RS_CHECK_INT(json_integer_value(json_object_get(
                     json_object_get(json_object_get(rep, "base"), "newer"), "fixes")),
                 2);
    RS_CHECK_STR(json_string_value(json_object_get(
                     json_array_get(json_object_get(rep, "vulnerabilities"), 1), "remediation")),
                 "fixed by rebuilding on r/base/alpine:3.19");
    json_decref(rep);
    rs_base_clear(&clean);

    char f1[RS_DIGEST_SIZE], f2[RS_DIGEST_SIZE];
    rs_base_fingerprint(&b, "sha256:x", f1);
    b.layers = 1;
    rs_base_fingerprint(&b, "sha256:x", f2);
    RS_CHECK(strcmp(f1, f2) != 0);
    rs_base_clear(&b);
    RS_CHECK_INT(b.n_newer, 0);
    rs_inventory_free(inv);
}

static void test_vulns_json(void)
{
    char *s = rs_base_vulns_json(NULL, 7, "linux/amd64");
    RS_CHECK_STR(s, "{\"ids\":[],\"platform\":\"linux/amd64\",\"vulndb_version\":7}");
    free(s);
    rs_pkg p = {0};
    char *al1[] = {"CVE-1", "GHSA-1"}, *al2[] = {"CVE-1"};
    rs_finding f[2] = {{.id = "B-1", .aliases = al1, .n_aliases = 2, .pkg = &p},
                       {.id = "A-1", .aliases = al2, .n_aliases = 1, .pkg = &p}};
    rs_match_result m = {.findings = f, .n = 2};
    s = rs_base_vulns_json(&m, 8, "");
    RS_CHECK_STR(s, "{\"ids\":[\"A-1\",\"B-1\",\"CVE-1\",\"GHSA-1\"],\"platform\":\"\","
                    "\"vulndb_version\":8}");
    rs_base b = {0};
    RS_CHECK_INT(rs_base_add_candidate(&b, "n", DA, 1, s, strlen(s), 8, "linux/amd64"), 0);
    RS_CHECK_INT(b.n_newer, 1);
    RS_CHECK_INT(b.n_newer ? b.newer[0].n_ids : 0, 4);
    free(s);
    rs_base_clear(&b);
}

int main(void)
{
    test_chain_ids();
    test_annotations();
    test_inventory_roundtrip();
    test_apply();
    test_vulns_json();
    return RS_TEST_RESULT();
}
