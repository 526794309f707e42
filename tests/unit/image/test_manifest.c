/* test_manifest.c - manifest parsing and classification on tests/data/manifest. */
#include "base.h"
#include "image.h"
#include "rs_test.h"
#include "rs_testfile.h"

/* tests/data/manifest/<name>, whole. */
static char *load(const char *name, size_t *len)
{
    char rel[256];
    snprintf(rel, sizeof rel, "manifest/%s", name);
    return rs_test_load(rel, 8u * 1024 * 1024, len);
}

static int parse_file(const char *name, const char *ct, rs_manifest **m, char *errstr, size_t errsz)
{
    size_t len;
    char *data = load(name, &len);
    int rc = rs_manifest_parse(data, len, ct, m, errstr, errsz);
    free(data);
    return rc;
}

static void test_images(void)
{
    char errstr[512];
    rs_manifest *m = NULL;
    RS_CHECK_INT(parse_file("oci-manifest.json", RS_MT_OCI_MANIFEST, &m, errstr, sizeof errstr), 0);
    RS_REQUIRE(m != NULL);
    RS_CHECK_INT(m->kind, RS_MANIFEST_IMAGE);
    RS_CHECK_INT(m->skip, RS_SKIP_NONE);
    RS_CHECK_STR(m->media_type, RS_MT_OCI_MANIFEST);
    RS_CHECK_STR(m->config.media_type, "application/vnd.oci.image.config.v1+json");
    RS_CHECK_INT(m->config.size, 1469);
    RS_CHECK_INT(m->n_layers, 2);
    RS_CHECK_INT(m->layers[1].size, 1002);
    RS_CHECK_STR(m->layers[0].media_type, "application/vnd.oci.image.layer.v1.tar+gzip");
    RS_CHECK_STR(m->layers[0].digest,
                 "sha256:2804bad6fe94a55f18b2b37e300919a5fd517b95aa81e95db574c0ba069a3740");
    rs_manifest_free(m);

    /* mediaType is optional in OCI: the structure tells; content type with parameters */
    RS_CHECK_INT(parse_file("oci-manifest-no-mediatype.json", "application/json; charset=utf-8", &m,
                            errstr, sizeof errstr),
                 0);
    RS_CHECK_STR(m->media_type, RS_MT_OCI_MANIFEST);
    RS_CHECK_INT(m->n_layers, 1);
    rs_manifest_free(m);

    RS_CHECK_INT(parse_file("docker-v2.json", NULL, &m, errstr, sizeof errstr), 0);
    RS_CHECK_STR(m->media_type, RS_MT_DOCKER_MANIFEST);
    RS_CHECK_INT(m->n_layers, 3);
    RS_CHECK_INT(m->skip, RS_SKIP_NONE);
    RS_CHECK_INT(m->config.size, 7023);
    rs_manifest_free(m);

    /* served type and declared type disagree */
    RS_CHECK_INT(parse_file("docker-v2.json", RS_MT_OCI_MANIFEST, &m, errstr, sizeof errstr),
                 RS_ERR_INVALID);
    RS_CHECK(m == NULL);
}

static void test_indexes(void)
{
    char errstr[512];
    rs_manifest *m = NULL;
    RS_CHECK_INT(parse_file("docker-list.json", RS_MT_DOCKER_LIST, &m, errstr, sizeof errstr), 0);
    RS_REQUIRE(m != NULL);
    RS_CHECK_INT(m->kind, RS_MANIFEST_INDEX);
    RS_CHECK_INT(m->n_manifests, 3);
    RS_CHECK_INT(m->skip, RS_SKIP_NONE);
    RS_CHECK_STR(m->manifests[1].platform.variant, "v7");
    RS_CHECK_STR(m->manifests[2].platform.os, "windows");
    RS_CHECK_STR(m->manifests[2].platform.os_version, "10.0.17763.5329");
    char *linux_only[] = {"linux/*"};
    RS_CHECK_INT(rs_manifest_entry_skip(&m->manifests[0], linux_only, 1), RS_SKIP_NONE);
    RS_CHECK_INT(rs_manifest_entry_skip(&m->manifests[2], NULL, 0), RS_SKIP_WINDOWS);
    char *amd64_only[] = {"linux/amd64"};
    RS_CHECK_INT(rs_manifest_entry_skip(&m->manifests[1], amd64_only, 1), RS_SKIP_PLATFORM);
    rs_manifest_free(m);

    RS_CHECK_INT(parse_file("oci-index-attestation.json", NULL, &m, errstr, sizeof errstr), 0);
    RS_CHECK_INT(m->kind, RS_MANIFEST_INDEX);
    RS_CHECK_INT(m->n_manifests, 3);
    RS_CHECK_INT(m->manifests[0].is_attestation, 0);
    RS_CHECK_INT(m->manifests[2].is_attestation, 1);
    RS_CHECK_INT(m->skip, RS_SKIP_NONE);
    RS_CHECK_INT(rs_manifest_entry_skip(&m->manifests[2], NULL, 0), RS_SKIP_ATTESTATION);
    RS_CHECK_INT(rs_manifest_entry_skip(&m->manifests[1], NULL, 0), RS_SKIP_NONE);
    char out[64];
    rs_platform_format(&m->manifests[1].platform, out, sizeof out);
    RS_CHECK_STR(out, "linux/arm64/v8");
    rs_platform_format(&m->manifests[0].platform, out, sizeof out);
    RS_CHECK_STR(out, "linux/amd64");
    rs_manifest_free(m);

    RS_CHECK_INT(parse_file("oci-index-windows.json", NULL, &m, errstr, sizeof errstr), 0);
    RS_CHECK_INT(m->skip, RS_SKIP_WINDOWS);
    rs_manifest_free(m);
}

static void test_skipped(void)
{
    static const struct {
        const char *file, *ct;
        rs_skip_reason skip;
    } cases[] = {
        {"schema1.json", RS_MT_DOCKER_V1_SIGNED, RS_SKIP_SCHEMA1},
        {"schema1.json", NULL, RS_SKIP_SCHEMA1},
        {"cosign-signature.json", NULL, RS_SKIP_SIGNATURE},
        {"in-toto-attestation.json", NULL, RS_SKIP_ATTESTATION},
        {"helm-chart.json", NULL, RS_SKIP_HELM},
        {"artifact-sbom.json", NULL, RS_SKIP_SBOM},
        {"artifact-config.json", NULL, RS_SKIP_ARTIFACT},
        {"foreign-layers.json", NULL, RS_SKIP_FOREIGN},
        {"unknown-type.json", NULL, RS_SKIP_UNKNOWN_TYPE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char errstr[512] = "";
        rs_manifest *m = NULL;
        int rc = parse_file(cases[i].file, cases[i].ct, &m, errstr, sizeof errstr);
        RS_CHECK_INT(rc, 0);
        if (rc) {
            fprintf(stderr, "  %s: %s\n", cases[i].file, errstr);
            continue;
        }
        if (m->skip != cases[i].skip)
            fprintf(stderr, "  %s: skip %s\n", cases[i].file, rs_skip_reason_name(m->skip));
        RS_CHECK_INT(m->skip, cases[i].skip);
        rs_manifest_free(m);
    }
    char errstr[512];
    rs_manifest *m = NULL;
    RS_CHECK_INT(parse_file("artifact-sbom.json", NULL, &m, errstr, sizeof errstr), 0);
    RS_CHECK_STR(m->artifact_type, "application/spdx+json");
    rs_manifest_free(m);
}

static void test_malformed(void)
{
    static const struct {
        const char *file;
        int rc;
        const char *msg;
    } cases[] = {
        {"bad-digest.json", RS_ERR_INVALID, "layers[0].digest is not a sha256 digest"},
        {"negative-size.json", RS_ERR_INVALID, "layers[0].size is not a non-negative integer"},
        {"size-string.json", RS_ERR_INVALID, "layers[0].size is not a non-negative integer"},
        {"layers-object.json", RS_ERR_INVALID, "'layers' is not an array"},
        {"schema3.json", RS_ERR_INVALID, "schemaVersion is not 2"},
        {"too-many-layers.json", RS_ERR_LIMIT_EXCEEDED, "257 layers, more than the limit of 256"},
        {"truncated.json", RS_ERR_INVALID, "invalid manifest json"},
        {"duplicate-key.json", RS_ERR_INVALID, "invalid manifest json"},
        {"bad-platform.json", RS_ERR_INVALID, "manifests[0].platform is malformed"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char errstr[512] = "";
        rs_manifest *m = (rs_manifest *)1;
        RS_CHECK_INT(parse_file(cases[i].file, NULL, &m, errstr, sizeof errstr), cases[i].rc);
        RS_CHECK(m == NULL);
        if (!strstr(errstr, cases[i].msg))
            fprintf(stderr, "  %s: message '%s'\n", cases[i].file, errstr);
        RS_CHECK(strstr(errstr, cases[i].msg) != NULL);
    }
    char errstr[256];
    rs_manifest *m = NULL;
    RS_CHECK_INT(rs_manifest_parse("[]", 2, NULL, &m, errstr, sizeof errstr), RS_ERR_INVALID);
    RS_CHECK_INT(rs_manifest_parse("{\"schemaVersion\":2}", 19, NULL, &m, errstr, sizeof errstr),
                 RS_ERR_INVALID);
    RS_CHECK_INT(
        rs_manifest_parse("{}", RS_MANIFEST_MAX_BYTES + 1, NULL, &m, errstr, sizeof errstr),
        RS_ERR_LIMIT_EXCEEDED);
}

static void test_tags_and_platforms(void)
{
    rs_skip_reason r = RS_SKIP_NONE;
    const char *hex = "0f4f1d3a7c6b2e59e5e5b2b3c9a8f7e6d5c4b3a29180716253443526170819aa";
    char tag[128];
    snprintf(tag, sizeof tag, "sha256-%s.sig", hex);
    RS_CHECK_INT(rs_manifest_tag_is_artifact(tag, &r), 1);
    RS_CHECK_INT(r, RS_SKIP_SIGNATURE);
    snprintf(tag, sizeof tag, "sha256-%s.att", hex);
    RS_CHECK_INT(rs_manifest_tag_is_artifact(tag, &r), 1);
    RS_CHECK_INT(r, RS_SKIP_ATTESTATION);
    snprintf(tag, sizeof tag, "sha256-%s.sbom", hex);
    RS_CHECK_INT(rs_manifest_tag_is_artifact(tag, &r), 1);
    RS_CHECK_INT(r, RS_SKIP_SBOM);
    snprintf(tag, sizeof tag, "sha256-%s.txt", hex);
    RS_CHECK_INT(rs_manifest_tag_is_artifact(tag, &r), 0);
    RS_CHECK_INT(rs_manifest_tag_is_artifact("sha256-abc.sig", &r), 0);
    RS_CHECK_INT(rs_manifest_tag_is_artifact("latest", &r), 0);
    RS_CHECK_INT(rs_manifest_tag_is_artifact("1.4.sig", &r), 0);

    rs_platform amd64 = {"linux", "amd64", "", ""};
    rs_platform arm64 = {"linux", "arm64", "", ""};
    rs_platform armv7 = {"linux", "arm", "v7", ""};
    rs_platform win = {"windows", "amd64", "", "10.0.17763"};
    char *p1[] = {"linux/*"};
    char *p2[] = {"linux/arm64/v8"};
    char *p3[] = {"linux/amd64", "linux/arm/*"};
    char *p4[] = {"*"};
    char *p5[] = {"linux/arm/v6"};
    RS_CHECK_INT(rs_platform_match(&amd64, NULL, 0), 1);
    RS_CHECK_INT(rs_platform_match(&amd64, p1, 1), 1);
    RS_CHECK_INT(rs_platform_match(&win, p1, 1), 0);
    RS_CHECK_INT(rs_platform_match(&arm64, p2, 1), 1); /* arm64 without variant is v8 */
    RS_CHECK_INT(rs_platform_match(&amd64, p2, 1), 0);
    RS_CHECK_INT(rs_platform_match(&armv7, p3, 2), 1);
    RS_CHECK_INT(rs_platform_match(&arm64, p3, 2), 0);
    RS_CHECK_INT(rs_platform_match(&win, p4, 1), 1);
    RS_CHECK_INT(rs_platform_match(&armv7, p5, 1), 0);
    char out[64];
    rs_platform_format(&armv7, out, sizeof out);
    RS_CHECK_STR(out, "linux/arm/v7");
    RS_CHECK_STR(rs_skip_reason_name(RS_SKIP_SCHEMA1), "schema1");
    RS_CHECK_STR(rs_skip_reason_name(RS_SKIP_HELM), "helm");
    RS_CHECK_STR(rs_skip_reason_name(RS_SKIP_UNKNOWN_TYPE), "unknown-type");
    RS_CHECK_STR(rs_skip_reason_name((rs_skip_reason)99), "unknown");
}

int main(void)
{
    test_images();
    test_indexes();
    test_skipped();
    test_malformed();
    test_tags_and_platforms();
    return RS_TEST_RESULT();
}
