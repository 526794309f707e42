/* test_blobsrc.c - OCI image layouts and `docker save` archives built here in
 * a temporary directory: manifest lookup (default, by name, by digest, nested
 * index), blob streaming with digest checks, escapes refused, FIFOs, devices
 * and directories refused where a regular file is expected. */
#include "analyzers/dpkg_int.h"
#include "analyzers/osrelease_int.h"
#include "image.h"
#include "base.h"
#include "index.h"
#include "rs_tarbuild.h"
#include "rs_test.h"

#include <jansson.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmpdir[256];

static void write_file(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    RS_REQUIRE(f);
    RS_REQUIRE(fwrite(data, 1, len, f) == len);
    fclose(f);
}

/* Writes a blob into layout `dir`, returns its digest in d. */
static void put_blob(const char *dir, const void *data, size_t len, char d[RS_DIGEST_SIZE])
{
    char path[512];
    rs_sha256_digest(data, len, d);
    snprintf(path, sizeof path, "%s/blobs/sha256/%s", dir, d + 7);
    write_file(path, data, len);
}

static void mklayout(const char *dir)
{
    char p[512];
    RS_REQUIRE(mkdir(dir, 0755) == 0);
    snprintf(p, sizeof p, "%s/blobs", dir);
    RS_REQUIRE(mkdir(p, 0755) == 0);
    snprintf(p, sizeof p, "%s/blobs/sha256", dir);
    RS_REQUIRE(mkdir(p, 0755) == 0);
    snprintf(p, sizeof p, "%s/oci-layout", dir);
    write_file(p, "{\"imageLayoutVersion\": \"1.0.0\"}", 31);
}

static const char OS_REL[] = "ID=debian\nVERSION_ID=\"12\"\n";

static char *layer_tar(int filter, size_t *len)
{
    tent e[] = {{T_FILE, "etc/os-release", OS_REL, 0},
                {T_FILE, "var/lib/dpkg/status",
                 "Package: a\nStatus: install ok installed\nVersion: 1\n", 0}};
    return mktar(e, 2, filter, len);
}

static void check_layer(rs_reader *r)
{
    rs_layer_result *res = NULL;
    char err[256] = "";
    /* the OS analyzers: the secrets analyzer would add a result per file */
    static const rs_analyzer *const os_only[] = {&rs_analyzer_dpkg, &rs_analyzer_osrelease,
                                                 NULL};
    rs_layer_limits lim = RS_LAYER_LIMITS_DEFAULT;
    lim.analyzers = os_only;
    RS_CHECK_INT(rs_layer_analyze(r, NULL, &lim, &res, err, sizeof err), 0);
    RS_REQUIRE(res);
    RS_CHECK_INT(res->n_files, 2);
    RS_CHECK_INT(res->n_entries, 2);
    rs_layer_result_free(res);
}

static void test_oci(void)
{
    char dir[300], p[512], cfg_d[RS_DIGEST_SIZE], layer_d[RS_DIGEST_SIZE], man_d[RS_DIGEST_SIZE],
        idx_d[RS_DIGEST_SIZE], err[256] = "";
    snprintf(dir, sizeof dir, "%s/oci", tmpdir);
    mklayout(dir);
    size_t llen;
    char *layer = layer_tar(F_GZIP, &llen);
    put_blob(dir, layer, llen, layer_d);
    const char *cfg =
        "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\"}}";
    put_blob(dir, cfg, strlen(cfg), cfg_d);
    char man[2048];
    snprintf(man, sizeof man,
             "{\"schemaVersion\":2,\"mediaType\":\"%s\",\"config\":{\"mediaType\":"
             "\"application/vnd.oci.image.config.v1+json\",\"digest\":\"%s\",\"size\":%zu},"
             "\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\","
             "\"digest\":\"%s\",\"size\":%zu}]}",
             RS_MT_OCI_MANIFEST, cfg_d, strlen(cfg), layer_d, llen);
    put_blob(dir, man, strlen(man), man_d);
    char idx[2048];
    snprintf(idx, sizeof idx,
             "{\"schemaVersion\":2,\"mediaType\":\"%s\",\"manifests\":[{\"mediaType\":\"%s\","
             "\"digest\":\"%s\",\"size\":%zu,\"platform\":{\"os\":\"linux\","
             "\"architecture\":\"amd64\"}}]}",
             RS_MT_OCI_INDEX, RS_MT_OCI_MANIFEST, man_d, strlen(man));
    put_blob(dir, idx, strlen(idx), idx_d);
    char top[1024];
    snprintf(top, sizeof top,
             "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"%s\",\"digest\":\"%s\","
             "\"size\":%zu,\"annotations\":{\"org.opencontainers.image.ref.name\":\"v1\"}}]}",
             RS_MT_OCI_INDEX, idx_d, strlen(idx));
    snprintf(p, sizeof p, "%s/index.json", dir);
    write_file(p, top, strlen(top));

    RS_CHECK(rs_blobsrc_oci_new(tmpdir, err, sizeof err) == NULL); /* no oci-layout */
    rs_blobsrc *s = rs_blobsrc_oci_new(dir, err, sizeof err);
    RS_REQUIRE(s);
    RS_CHECK_STR(s->kind, "oci-layout");
    char *body = NULL, mt[128], dg[RS_DIGEST_SIZE];
    size_t len = 0;
    RS_CHECK_INT(s->get_manifest(s, "x", "", &body, &len, mt, dg, err, sizeof err), 0);
    RS_CHECK_STR(mt, RS_MT_OCI_INDEX);
    RS_CHECK_STR(dg, idx_d);
    RS_CHECK_INT(len, strlen(idx));
    free(body);
    RS_CHECK_INT(s->get_manifest(s, "x", "v1", &body, &len, mt, dg, err, sizeof err), 0);
    RS_CHECK_STR(dg, idx_d);
    free(body);
    RS_CHECK_INT(s->get_manifest(s, "x", "v2", &body, &len, mt, dg, err, sizeof err),
                 RS_ERR_MANIFEST_UNKNOWN);
    /* a manifest of the nested index, by digest */
    RS_CHECK_INT(s->get_manifest(s, "x", man_d, &body, &len, mt, dg, err, sizeof err), 0);
    RS_CHECK_STR(mt, RS_MT_OCI_MANIFEST);
    RS_CHECK_STR(dg, man_d);
    RS_CHECK(body && strcmp(body, man) == 0);
    free(body);
    RS_CHECK_INT(
        s->get_manifest(s, "x",
                        "sha256:0000000000000000000000000000000000000000000000000000000000000000",
                        &body, &len, mt, dg, err, sizeof err),
        RS_ERR_MANIFEST_UNKNOWN);

    rs_reader *r = NULL;
    RS_CHECK_INT(s->open_blob(s, "x", layer_d, 0, &r, err, sizeof err), 0);
    RS_REQUIRE(r);
    check_layer(r);
    rs_reader_destroy(r);
    char *got = NULL;
    size_t glen = 0;
    RS_CHECK_INT(rs_blobsrc_fetch(s, "x", cfg_d, 4096, &got, &glen, err, sizeof err), 0);
    RS_CHECK_INT(glen, strlen(cfg));
    RS_CHECK_STR(got, cfg);
    free(got);
    RS_CHECK_INT(rs_blobsrc_fetch(s, "x", cfg_d, 10, &got, &glen, err, sizeof err),
                 RS_ERR_LIMIT_EXCEEDED);
    RS_CHECK_INT(s->open_blob(s, "x", "sha256:../../../etc/passwd", 0, &r, err, sizeof err),
                 RS_ERR_BLOB_UNKNOWN);
    /* a blob that is a symlink out of the layout */
    char outside[300], link[512], fake[RS_DIGEST_SIZE];
    snprintf(outside, sizeof outside, "%s/outside", tmpdir);
    write_file(outside, "secret", 6);
    rs_sha256_digest("secret", 6, fake);
    snprintf(link, sizeof link, "%s/blobs/sha256/%s", dir, fake + 7);
    RS_REQUIRE(symlink(outside, link) == 0);
    RS_CHECK_INT(s->open_blob(s, "x", fake, 0, &r, err, sizeof err), RS_ERR_BLOB_UNKNOWN);
    /* a blob whose bytes were changed */
    snprintf(p, sizeof p, "%s/blobs/sha256/%s", dir, cfg_d + 7);
    write_file(p, "{\"tampered\":1}", 14);
    RS_CHECK_INT(rs_blobsrc_fetch(s, "x", cfg_d, 4096, &got, &glen, err, sizeof err),
                 RS_ERR_DIGEST_MISMATCH);
    rs_blobsrc_destroy(s);
    free(layer);

    /* two untagged manifests: "" is ambiguous */
    snprintf(top, sizeof top,
             "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"%s\",\"digest\":\"%s\","
             "\"size\":1},{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":1}]}",
             RS_MT_OCI_MANIFEST, man_d, RS_MT_OCI_INDEX, idx_d);
    snprintf(p, sizeof p, "%s/index.json", dir);
    write_file(p, top, strlen(top));
    s = rs_blobsrc_oci_new(dir, err, sizeof err);
    RS_REQUIRE(s);
    RS_CHECK_INT(s->get_manifest(s, "x", "", &body, &len, mt, dg, err, sizeof err),
                 RS_ERR_MANIFEST_UNKNOWN);
    RS_CHECK_INT(s->get_manifest(s, "x", man_d, &body, &len, mt, dg, err, sizeof err), 0);
    RS_CHECK_STR(mt, RS_MT_OCI_MANIFEST);
    free(body);
    rs_blobsrc_destroy(s);
}

static void test_docker(void)
{
    char err[256] = "", path[300];
    size_t plen, glen;
    char *plain = layer_tar(F_NONE, &plen), *gz = layer_tar(F_GZIP, &glen);
    const char *cfg = "{\"architecture\":\"amd64\",\"os\":\"linux\"}";
    char cfg_d[RS_DIGEST_SIZE], plain_d[RS_DIGEST_SIZE], gz_d[RS_DIGEST_SIZE];
    rs_sha256_digest(cfg, strlen(cfg), cfg_d);
    rs_sha256_digest(plain, plen, plain_d);
    rs_sha256_digest(gz, glen, gz_d);
    char cfg_name[128];
    snprintf(cfg_name, sizeof cfg_name, "%s.json", cfg_d + 7);
    const char *mj = "[{\"Config\":\"CFG\",\"RepoTags\":[\"app:1\",\"app:latest\"],"
                     "\"Layers\":[\"aaa/layer.tar\",\"blobs/sha256/bbb\",\"ccc/layer.tar\"]}]";
    char mjbuf[512];
    snprintf(mjbuf, sizeof mjbuf, "%.*s%s%s", 12, mj, cfg_name, mj + 15);
    tent e[] = {{T_FILE, cfg_name, cfg, 0},
                {T_DIR, "aaa/", NULL, 0},
                {T_FILE, "aaa/layer.tar", plain, plen},
                {T_FILE, "blobs/sha256/bbb", gz, glen},
                {T_DIR, "ccc/", NULL, 0},
                {T_SYMLINK, "ccc/layer.tar", "../aaa/layer.tar", 0},
                {T_FILE, "manifest.json", mjbuf, 0},
                {T_FILE, "repositories", "{\"app\":{\"1\":\"x\"}}", 0}};
    size_t alen;
    char *arch = mktar(e, sizeof e / sizeof e[0], F_NONE, &alen);
    snprintf(path, sizeof path, "%s/image.tar", tmpdir);
    write_file(path, arch, alen);
    free(arch);

    rs_blobsrc *s = rs_blobsrc_docker_new(path, err, sizeof err);
    if (!s)
        fprintf(stderr, "docker: %s\n", err);
    RS_REQUIRE(s);
    RS_CHECK_STR(s->kind, "docker-archive");
    char *body = NULL, mt[128], dg[RS_DIGEST_SIZE], dg2[RS_DIGEST_SIZE];
    size_t len;
    RS_CHECK_INT(s->get_manifest(s, "app", "", &body, &len, mt, dg, err, sizeof err), 0);
    RS_CHECK_STR(mt, RS_MT_DOCKER_MANIFEST);
    char check[RS_DIGEST_SIZE];
    rs_sha256_digest(body, len, check);
    RS_CHECK_STR(dg, check);
    json_t *m = json_loadb(body, len, 0, NULL);
    RS_REQUIRE(m);
    RS_CHECK_INT(json_integer_value(json_object_get(m, "schemaVersion")), 2);
    json_t *c = json_object_get(m, "config"), *ls = json_object_get(m, "layers");
    RS_CHECK_STR(json_string_value(json_object_get(c, "digest")), cfg_d);
    RS_CHECK_INT(json_integer_value(json_object_get(c, "size")), strlen(cfg));
    RS_REQUIRE(json_array_size(ls) == 3);
    RS_CHECK_STR(json_string_value(json_object_get(json_array_get(ls, 0), "digest")), plain_d);
    RS_CHECK_STR(json_string_value(json_object_get(json_array_get(ls, 0), "mediaType")),
                 "application/vnd.docker.image.rootfs.diff.tar");
    RS_CHECK_STR(json_string_value(json_object_get(json_array_get(ls, 1), "digest")), gz_d);
    RS_CHECK_STR(json_string_value(json_object_get(json_array_get(ls, 1), "mediaType")),
                 "application/vnd.docker.image.rootfs.diff.tar.gzip");
    RS_CHECK_INT(json_integer_value(json_object_get(json_array_get(ls, 1), "size")), glen);
    RS_CHECK_STR(json_string_value(json_object_get(json_array_get(ls, 2), "digest")), plain_d);
    json_decref(m);
    /* the manifest parses as a Docker schema 2 image */
    rs_manifest *pm = NULL;
    RS_CHECK_INT(rs_manifest_parse(body, len, mt, &pm, err, sizeof err), 0);
    if (pm) {
        RS_CHECK_INT(pm->n_layers, 3);
        rs_manifest_free(pm);
    }
    free(body);
    RS_CHECK_INT(s->get_manifest(s, "app", "app:latest", &body, &len, mt, dg2, err, sizeof err), 0);
    RS_CHECK_STR(dg2, dg);
    free(body);
    RS_CHECK_INT(s->get_manifest(s, "app", dg, &body, &len, mt, dg2, err, sizeof err), 0);
    free(body);
    RS_CHECK_INT(s->get_manifest(s, "app", "other:1", &body, &len, mt, dg2, err, sizeof err),
                 RS_ERR_MANIFEST_UNKNOWN);

    rs_reader *r = NULL;
    RS_CHECK_INT(s->open_blob(s, "app", gz_d, 0, &r, err, sizeof err), 0);
    RS_REQUIRE(r);
    check_layer(r);
    rs_reader_destroy(r);
    RS_CHECK_INT(s->open_blob(s, "app", plain_d, 0, &r, err, sizeof err), 0);
    RS_REQUIRE(r);
    check_layer(r);
    RS_CHECK_INT(rs_reader_verify_count(r), plen);
    rs_reader_destroy(r);
    char *got = NULL;
    size_t gotlen;
    RS_CHECK_INT(rs_blobsrc_fetch(s, "app", cfg_d, 1024, &got, &gotlen, err, sizeof err), 0);
    RS_CHECK_STR(got, cfg);
    free(got);
    RS_CHECK_INT(s->open_blob(s, "app", check, 0, &r, err, sizeof err), RS_ERR_BLOB_UNKNOWN);
    rs_blobsrc_destroy(s);

    /* no manifest.json */
    tent none[] = {{T_FILE, "aaa/layer.tar", plain, plen}};
    arch = mktar(none, 1, F_NONE, &alen);
    write_file(path, arch, alen);
    free(arch);
    RS_CHECK(rs_blobsrc_docker_new(path, err, sizeof err) == NULL);
    RS_CHECK(strstr(err, "manifest.json") != NULL);
    free(plain);
    free(gz);
}

/* A FIFO, a device or a directory where a local source expects a regular
 * file is refused, naming it, before it is read: no hang, no endless read. */
static void test_special_files(void)
{
    char dir[300], real[4096], p[4400], want[9000], err[9000] = "";
    snprintf(dir, sizeof dir, "%s/special", tmpdir);
    mklayout(dir);
    RS_REQUIRE(realpath(dir, real));
    snprintf(p, sizeof p, "%s/index.json", dir);
    RS_REQUIRE(mkfifo(p, 0644) == 0);
    RS_CHECK(rs_blobsrc_oci_new(dir, err, sizeof err) == NULL);
    snprintf(want, sizeof want, "not an OCI layout: refusing '%s/index.json': a FIFO, not a "
             "regular file", real);
    RS_CHECK_STR(err, want);
    RS_REQUIRE(unlink(p) == 0 && mkdir(p, 0755) == 0);
    RS_CHECK(rs_blobsrc_oci_new(dir, err, sizeof err) == NULL);
    snprintf(want, sizeof want, "not an OCI layout: refusing '%s/index.json': a directory, not "
             "a regular file", real);
    RS_CHECK_STR(err, want);
    snprintf(p, sizeof p, "%s/oci-layout", dir);
    RS_REQUIRE(unlink(p) == 0 && symlink("/dev/zero", p) == 0);
    RS_CHECK(rs_blobsrc_oci_new(dir, err, sizeof err) == NULL);
    snprintf(want, sizeof want, "not an OCI layout: refusing '%s/oci-layout': a character "
             "device, not a regular file", real);
    RS_CHECK_STR(err, want);

    /* a docker archive that is a FIFO; one whose manifest.json, one whose layer is */
    snprintf(p, sizeof p, "%s/fifo.tar", tmpdir);
    RS_REQUIRE(mkfifo(p, 0644) == 0);
    RS_CHECK(rs_blobsrc_docker_new(p, err, sizeof err) == NULL);
    snprintf(want, sizeof want, "cannot open docker archive '%s': refusing '%s': a FIFO, not a "
             "regular file", p, p);
    RS_CHECK_STR(err, want);
    const char *mj = "[{\"Config\":\"c.json\",\"Layers\":[\"l/layer.tar\"]}]";
    tent fifo_mj[] = {{T_FILE, "c.json", "{}", 0}, {T_FIFO, "manifest.json", NULL, 0}};
    tent fifo_layer[] = {{T_FILE, "c.json", "{}", 0},
                         {T_FIFO, "l/layer.tar", NULL, 0},
                         {T_FILE, "manifest.json", mj, 0}};
    snprintf(p, sizeof p, "%s/special.tar", tmpdir);
    size_t alen;
    char *arch = mktar(fifo_mj, 2, F_NONE, &alen);
    write_file(p, arch, alen);
    free(arch);
    RS_CHECK(rs_blobsrc_docker_new(p, err, sizeof err) == NULL);
    snprintf(want, sizeof want, "invalid docker archive '%s': 'manifest.json' is not a regular "
             "file", p);
    RS_CHECK_STR(err, want);
    arch = mktar(fifo_layer, 3, F_NONE, &alen);
    write_file(p, arch, alen);
    free(arch);
    RS_CHECK(rs_blobsrc_docker_new(p, err, sizeof err) == NULL);
    snprintf(want, sizeof want, "invalid docker archive '%s': layer 0 of image 0 is not a "
             "regular file", p);
    RS_CHECK_STR(err, want);

    /* a damaged member header (ARCHIVE_RETRY): no member may go missing unseen */
    tent damaged[] = {{T_FILE, "c.json", "{}", 0},
                      {T_FILE, "l/layer.tar", "x", 0},
                      {T_FILE, "manifest.json", mj, 0}};
    arch = mktar(damaged, 3, F_NONE, &alen);
    char *h = memmem(arch, alen, "l/layer.tar", 11);
    RS_REQUIRE(h && (h - arch) % 512 == 0);
    h[0] = 'L';
    write_file(p, arch, alen);
    free(arch);
    RS_CHECK(rs_blobsrc_docker_new(p, err, sizeof err) == NULL);
    snprintf(want, sizeof want, "invalid docker archive '%s': more than 0 damaged tar header "
             "blocks", p);
    RS_CHECK_STR(err, want);
}

/* The limits of a (gzip-compressed) docker archive, each named when exceeded. */
static void test_archive_limits(void)
{
    char p[300], want[1024], err[1024] = "";
    const char *mj = "[{\"Config\":\"c.json\",\"Layers\":[\"l/layer.tar\"]}]";
    tent e[] = {{T_FILE, "c.json", "{\"os\":\"linux\"}", 0},
                {T_BIGFILE, "l/layer.tar", NULL, 20u << 20},
                {T_FILE, "manifest.json", mj, 0}};
    size_t alen;
    char *arch = mktar(e, 3, F_GZIP, &alen);
    snprintf(p, sizeof p, "%s/bomb.tar.gz", tmpdir);
    write_file(p, arch, alen);
    free(arch);
    /* 20 MiB of zeros gzip to about 20 KiB: a ratio near 1000, past 16 MiB */
    rs_docker_limits lim = RS_DOCKER_LIMITS_DEFAULT;
    lim.max_ratio = 100;
    RS_CHECK(rs_blobsrc_docker_open(p, &lim, err, sizeof err) == NULL);
    snprintf(want, sizeof want, "docker archive '%s' exceeds max_ratio (100): ", p);
    RS_CHECK(strncmp(err, want, strlen(want)) == 0);
    lim.max_ratio = 0;
    lim.max_bytes = 1u << 20;
    RS_CHECK(rs_blobsrc_docker_open(p, &lim, err, sizeof err) == NULL);
    snprintf(want, sizeof want, "docker archive '%s' exceeds max_bytes (1048576 bytes)", p);
    RS_CHECK_STR(err, want);
    lim = (rs_docker_limits)RS_DOCKER_LIMITS_DEFAULT;
    lim.max_ratio = 0;
    lim.max_entries = 2;
    RS_CHECK(rs_blobsrc_docker_open(p, &lim, err, sizeof err) == NULL);
    snprintf(want, sizeof want, "docker archive '%s' exceeds max_entries (2 entries)", p);
    RS_CHECK_STR(err, want);
    lim.max_entries = 3;
    lim.max_json_bytes = 15; /* c.json is 14 bytes, manifest.json 46 */
    RS_CHECK(rs_blobsrc_docker_open(p, &lim, err, sizeof err) == NULL);
    snprintf(want, sizeof want, "manifest.json of docker archive '%s' exceeds max_json_bytes (15 "
             "bytes)", p);
    RS_CHECK_STR(err, want);
    /* a config larger than manifest.json: 40 bytes hold the one, not the other */
    e[0].data = "{\"os\":\"linux\",\"architecture\":\"amd64\",\"variant\":\"v8\"}";
    e[1] = (tent){T_FILE, "l/layer.tar", "x", 0};
    e[2].data = "[{\"Config\":\"c.json\",\"Layers\":[]}]";
    arch = mktar(e, 3, F_GZIP, &alen);
    write_file(p, arch, alen);
    free(arch);
    lim.max_json_bytes = 40;
    RS_CHECK(rs_blobsrc_docker_open(p, &lim, err, sizeof err) == NULL);
    snprintf(want, sizeof want, "config 'c.json' of docker archive '%s' exceeds max_json_bytes "
             "(40 bytes)", p);
    RS_CHECK_STR(err, want);
    /* the defaults take the same archive */
    rs_blobsrc *s = rs_blobsrc_docker_open(p, NULL, err, sizeof err);
    RS_CHECK(s != NULL);
    rs_blobsrc_destroy(s);
}

int main(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/rs_blobsrc_XXXXXX");
    RS_REQUIRE(mkdtemp(tmpdir));
    test_oci();
    test_docker();
    test_special_files();
    test_archive_limits();
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", tmpdir);
    return RS_TEST_RESULT();
}
