/* test_registry.c - Link headers, image references, names, Docker config,
 * URL redaction. The network side runs in test_http.c. */
#include "base.h"
#include "registry.h"
#include "rs_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void test_links(void)
{
    char out[512];
    RS_CHECK_INT(rs_registry_link_next("</v2/_catalog?last=x&n=100&orderby=>; rel=\"next\"", out,
                                       sizeof out),
                 1);
    RS_CHECK_STR(out, "/v2/_catalog?last=x&n=100&orderby=");
    RS_CHECK_INT(
        rs_registry_link_next("<https://reg.example.test/v2/a/tags/list?last=9&n=2>;rel=next", out,
                              sizeof out),
        1);
    RS_CHECK_STR(out, "https://reg.example.test/v2/a/tags/list?last=9&n=2");
    RS_CHECK_INT(rs_registry_link_next("</p1>; rel=\"prev\", </p3>; rel=\"next\"", out, sizeof out),
                 1);
    RS_CHECK_STR(out, "/p3");
    RS_CHECK_INT(rs_registry_link_next("</p3>; title=\"a;b\"; REL=\"last next\"", out, sizeof out),
                 1);
    RS_CHECK_STR(out, "/p3");
    RS_CHECK_INT(rs_registry_link_next("</p1>; rel=\"prev\"", out, sizeof out), 0);
    RS_CHECK_INT(rs_registry_link_next("", out, sizeof out), 0);
    RS_CHECK_INT(rs_registry_link_next(NULL, out, sizeof out), 0);
    RS_CHECK_INT(rs_registry_link_next("/v2/_catalog?last=x; rel=\"next\"", out, sizeof out),
                 RS_ERR_INVALID);
    RS_CHECK_INT(rs_registry_link_next("</v2/_catalog; rel=\"next\"", out, sizeof out),
                 RS_ERR_INVALID);
    RS_CHECK_INT(rs_registry_link_next("</a>; rel=\"next", out, sizeof out), RS_ERR_INVALID);
    RS_CHECK_INT(rs_registry_link_next("<>; rel=next", out, sizeof out), RS_ERR_INVALID);
    RS_CHECK_INT(rs_registry_link_next("</a> junk; rel=next", out, sizeof out), RS_ERR_INVALID);
    char small[4];
    RS_CHECK_INT(rs_registry_link_next("</abcdef>; rel=next", small, sizeof small), RS_ERR_INVALID);
}

static void test_names(void)
{
    RS_CHECK_INT(rs_registry_valid_repository("team/web"), 1);
    RS_CHECK_INT(rs_registry_valid_repository("a0/b.c/d__e/f-g--h"), 1);
    RS_CHECK_INT(rs_registry_valid_repository("Team/web"), 0);
    RS_CHECK_INT(rs_registry_valid_repository("team//web"), 0);
    RS_CHECK_INT(rs_registry_valid_repository("team/web/"), 0);
    RS_CHECK_INT(rs_registry_valid_repository("../etc"), 0);
    RS_CHECK_INT(rs_registry_valid_repository("a?b"), 0);
    RS_CHECK_INT(rs_registry_valid_repository("a___b"), 0);
    RS_CHECK_INT(rs_registry_valid_repository(""), 0);
    RS_CHECK_INT(rs_registry_valid_tag("1.4"), 1);
    RS_CHECK_INT(rs_registry_valid_tag("_x-Y.z"), 1);
    RS_CHECK_INT(rs_registry_valid_tag(".hidden"), 0);
    RS_CHECK_INT(rs_registry_valid_tag("a/b"), 0);
    char long_tag[200];
    memset(long_tag, 'a', 129);
    long_tag[129] = '\0';
    RS_CHECK_INT(rs_registry_valid_tag(long_tag), 0);
    long_tag[128] = '\0';
    RS_CHECK_INT(rs_registry_valid_tag(long_tag), 1);
}

static void test_imagerefs(void)
{
    const char *dg = "sha256:0f4f1d3a7c6b2e59e5e5b2b3c9a8f7e6d5c4b3a29180716253443526170819aa";
    char errstr[256], ref[256];
    rs_imageref r;
    RS_CHECK_INT(
        rs_imageref_parse("127.0.0.1:5001/team/web:1.4", NULL, 0, &r, errstr, sizeof errstr), 0);
    RS_CHECK_STR(r.host, "127.0.0.1:5001");
    RS_CHECK_STR(r.repository, "team/web");
    RS_CHECK_STR(r.tag, "1.4");
    RS_CHECK_STR(r.digest, "");
    RS_CHECK_INT(r.insecure, 1);

    snprintf(ref, sizeof ref, "reg.example.test/team/web@%s", dg);
    RS_CHECK_INT(rs_imageref_parse(ref, NULL, 0, &r, errstr, sizeof errstr), 0);
    RS_CHECK_STR(r.host, "reg.example.test");
    RS_CHECK_STR(r.tag, "");
    RS_CHECK_STR(r.digest, dg);
    RS_CHECK_INT(r.insecure, 0);

    snprintf(ref, sizeof ref, "reg.example.test:443/a/b/c:v1@%s", dg);
    RS_CHECK_INT(rs_imageref_parse(ref, NULL, 0, &r, errstr, sizeof errstr), 0);
    RS_CHECK_STR(r.host, "reg.example.test:443");
    RS_CHECK_STR(r.repository, "a/b/c");
    RS_CHECK_STR(r.tag, "v1");
    RS_CHECK_STR(r.digest, dg);

    RS_CHECK_INT(rs_imageref_parse("alpine", NULL, 0, &r, errstr, sizeof errstr), 0);
    RS_CHECK_STR(r.host, "docker.io");
    RS_CHECK_STR(r.repository, "library/alpine");
    RS_CHECK_STR(r.tag, "latest");
    RS_CHECK_INT(rs_imageref_parse("bitnami/redis:7.2", NULL, 0, &r, errstr, sizeof errstr), 0);
    RS_CHECK_STR(r.host, "docker.io");
    RS_CHECK_STR(r.repository, "bitnami/redis");
    RS_CHECK_STR(r.tag, "7.2");

    RS_CHECK_INT(rs_imageref_parse("localhost/x", NULL, 0, &r, errstr, sizeof errstr), 0);
    RS_CHECK_STR(r.host, "localhost");
    RS_CHECK_INT(r.insecure, 1);
    RS_CHECK_INT(rs_imageref_parse("localhost:5000/x:1", NULL, 0, &r, errstr, sizeof errstr), 0);
    RS_CHECK_INT(r.insecure, 1);
    RS_CHECK_INT(rs_imageref_parse("[::1]:5000/x:1", NULL, 0, &r, errstr, sizeof errstr), 0);
    RS_CHECK_STR(r.host, "[::1]:5000");
    RS_CHECK_INT(r.insecure, 1);
    RS_CHECK_INT(rs_imageref_parse("127.10.0.3/x", NULL, 0, &r, errstr, sizeof errstr), 0);
    RS_CHECK_INT(r.insecure, 1);
    RS_CHECK_INT(rs_imageref_parse("127.example.test/x", NULL, 0, &r, errstr, sizeof errstr), 0);
    RS_CHECK_INT(r.insecure, 0);
    char *listed[] = {"build.example.test", "other.example.test:8443"};
    RS_CHECK_INT(
        rs_imageref_parse("build.example.test:5000/x", listed, 2, &r, errstr, sizeof errstr), 0);
    RS_CHECK_INT(r.insecure, 1);
    RS_CHECK_INT(
        rs_imageref_parse("other.example.test:8443/x", listed, 2, &r, errstr, sizeof errstr), 0);
    RS_CHECK_INT(r.insecure, 1);
    RS_CHECK_INT(rs_imageref_parse("other.example.test/x", listed, 2, &r, errstr, sizeof errstr),
                 0);
    RS_CHECK_INT(r.insecure, 0);

    const char *bad[] = {
        "",   "Team/Web",           "reg.example.test/a@sha256:abc", "a:b:c", "reg.example.test/",
        "a:", "reg.exa$mple.test/a"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = rs_imageref_parse(bad[i], NULL, 0, &r, errstr, sizeof errstr);
        if (rc != RS_ERR_CONFIG)
            fprintf(stderr, "  accepted '%s'\n", bad[i]);
        RS_CHECK_INT(rc, RS_ERR_CONFIG);
    }
}

static void test_docker_config(void)
{
    char dir[64] = "/tmp/rs-dockercfg-";
    size_t dl = strlen(dir);
    memset(dir + dl, 'X', 6); /* mkdtemp's template */
    dir[dl + 6] = '\0';
    RS_REQUIRE(mkdtemp(dir) != NULL);
    char path[256];
    snprintf(path, sizeof path, "%s/config.json", dir);
    FILE *f = fopen(path, "w");
    RS_REQUIRE(f != NULL);
    /* "dXNlcjpwYTpzcw==" is "user:pa:ss" (a password may hold ':') */
    fputs("{\"auths\":{\"https://reg.example.test/v1/\":{\"auth\":\"dXNlcjpwYTpzcw==\"},"
          "\"127.0.0.1:5001\":{\"username\":\"robot\",\"password\":\"s3cret\"},"
          "\"bad.example.test\":{\"auth\":\"bm9jb2xvbg==\"}},\"credsStore\":\"desktop\"}",
          f);
    fclose(f);
    setenv("DOCKER_CONFIG", dir, 1);
    char *u = NULL, *p = NULL;
    RS_CHECK_INT(rs_docker_config_auth("reg.example.test", &u, &p), 1);
    RS_CHECK_STR(u, "user");
    RS_CHECK_STR(p, "pa:ss");
    free(u);
    free(p);
    RS_CHECK_INT(rs_docker_config_auth("127.0.0.1:5001", &u, &p), 1);
    RS_CHECK_STR(u, "robot");
    RS_CHECK_STR(p, "s3cret");
    free(u);
    free(p);
    RS_CHECK_INT(rs_docker_config_auth("none.example.test", &u, &p), 0);
    RS_CHECK(u == NULL && p == NULL);
    RS_CHECK_INT(rs_docker_config_auth("bad.example.test", &u, &p), RS_ERR_CONFIG); /* no ':' */
    f = fopen(path, "w");
    fputs("{\"auths\":", f);
    fclose(f);
    RS_CHECK_INT(rs_docker_config_auth("reg.example.test", &u, &p), RS_ERR_CONFIG);
    unlink(path);
    RS_CHECK_INT(rs_docker_config_auth("reg.example.test", &u, &p), 0);
    rmdir(dir);
    unsetenv("DOCKER_CONFIG");
}

static void test_redaction(void)
{
    char out[256];
    rs_log_redact_url("https://acct.blob.example.test/c/docker/registry/v2/blobs/sha256/ab/"
                      "data?sv=2020&se=2030&sig=SECRETSIG%3D&sp=r",
                      out, sizeof out);
    RS_CHECK_STR(out, "https://acct.blob.example.test/c/docker/registry/v2/blobs/sha256/ab/data");
    rs_log_redact_url("https://user:pw@reg.example.test/v2/?x=1", out, sizeof out);
    RS_CHECK_STR(out, "https://reg.example.test/v2/");

    /* a registry client's messages never carry a query string it was given */
    rs_registry_conf conf;
    memset(&conf, 0, sizeof conf);
    conf.url = "https://reg.example.test/";
    char errstr[256];
    rs_registry *reg = rs_registry_new(&conf, errstr, sizeof errstr);
    RS_REQUIRE(reg != NULL);
    RS_CHECK_STR(rs_registry_host(reg), "reg.example.test");
    rs_reader *rd = NULL;
    RS_CHECK_INT(
        rs_registry_open_blob(reg, "team/web", "sha256:abc", 0, &rd, errstr, sizeof errstr),
        RS_ERR_INVALID);
    char *body = NULL, mt[128], dg[RS_DIGEST_SIZE];
    size_t len = 0;
    RS_CHECK_INT(
        rs_registry_get_manifest(reg, "Team/Web", "1", &body, &len, mt, dg, errstr, sizeof errstr),
        RS_ERR_INVALID);
    RS_CHECK_STR(errstr, "invalid repository name 'Team/Web'");
    RS_CHECK_INT(rs_registry_get_manifest(reg, "team/web", "sha512:00", &body, &len, mt, dg, errstr,
                                          sizeof errstr),
                 RS_ERR_UNSUPPORTED);
    RS_CHECK_INT(rs_registry_get_manifest(reg, "team/web", "a/../b", &body, &len, mt, dg, errstr,
                                          sizeof errstr),
                 RS_ERR_INVALID);
    RS_CHECK(body == NULL);
    rs_registry_destroy(reg);
    conf.url = "ftp://reg.example.test";
    RS_CHECK(rs_registry_new(&conf, errstr, sizeof errstr) == NULL);
    RS_CHECK(strstr(errstr, "is not http(s)") != NULL);

    rs_blobsrc *src = NULL;
    conf.url = "http://127.0.0.1:1";
    src = rs_blobsrc_registry_new(&conf, errstr, sizeof errstr);
    RS_REQUIRE(src != NULL);
    RS_CHECK_STR(src->kind, "registry");
    RS_CHECK(rs_blobsrc_registry_get(src) != NULL);
    RS_CHECK_STR(rs_registry_host(rs_blobsrc_registry_get(src)), "127.0.0.1:1");
    rs_blobsrc_destroy(src);
    RS_CHECK(rs_blobsrc_registry_get(NULL) == NULL);
}

int main(void)
{
    test_links();
    test_names();
    test_imagerefs();
    test_docker_config();
    test_redaction();
    return RS_TEST_RESULT();
}
