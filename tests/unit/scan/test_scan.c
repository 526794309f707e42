/* test_scan - the whole index stage (resolve, config, parallel layers, merge)
 * on OCI layouts, no registry: the sample images of deploy/local/images and
 * the test-only images of tests/data/images are built by the
 * `unit.scan.layouts` fixture (deploy/local/mkimage.py), and each one's
 * inventory compared with the spec's hand-written "expected" section
 * (flags included).
 * Then faults: a tampered blob, too many layers, a cancelled scan, a config
 * whose diff_id does not match a layer's inflated bytes. */
#include "image.h"
#include "base.h"
#include "model.h"
#include "rs_test.h"
#include "scan.h"

#include <jansson.h>
#include <stdio.h>
#include <unistd.h>

static const char *layouts;

static int layer_index(const rs_inventory *inv, const char *digest)
{
    for (size_t i = 0; i < inv->n_layers; i++)
        if (digest && !strcmp(inv->layers[i], digest))
            return (int)i;
    return -1;
}

static const rs_pkg *find_pkg(const rs_inventory *inv, const char *name)
{
    for (size_t i = 0; i < inv->n_pkgs; i++)
        if (!strcmp(inv->pkgs[i].name, name))
            return &inv->pkgs[i];
    return NULL;
}

/* 1 when the "flags" array of `o` holds `flag`. */
static int has_flag(const json_t *o, const char *flag)
{
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(o, "flags"), i, v)
    {
        if (json_is_string(v) && !strcmp(json_string_value(v), flag))
            return 1;
    }
    return 0;
}

/* Scans every platform the spec expects and compares with "expected". The
 * spec is a sample image's (deploy/local/images) or a test-only one's
 * (tests/data/images). */
static void check_spec(const char *name, const char *tag)
{
    char spec_path[1024], dir[1024], errstr[1024];
    snprintf(spec_path, sizeof spec_path, "%s/deploy/local/images/%s.json", getenv("RS_SOURCE_DIR"),
             name);
    if (access(spec_path, R_OK) != 0)
        snprintf(spec_path, sizeof spec_path, "%s/tests/data/images/%s.json",
                 getenv("RS_SOURCE_DIR"), name);
    snprintf(dir, sizeof dir, "%s/%s", layouts, name);
    json_error_t jerr;
    json_t *spec = json_load_file(spec_path, 0, &jerr);
    RS_REQUIRE(spec != NULL);
    rs_blobsrc *src = rs_blobsrc_oci_new(dir, errstr, sizeof errstr);
    RS_REQUIRE(src != NULL);
    json_t *images = json_object_get(json_object_get(spec, "expected"), "images");
    size_t i;
    json_t *img;
    json_array_foreach(images, i, img)
    {
        const char *platform = json_string_value(json_object_get(img, "platform"));
        char digest[RS_DIGEST_SIZE] = "";
        RS_CHECK_INT(rs_scan_resolve(src, "", tag, platform, digest, errstr, sizeof errstr), 0);
        rs_scan_opts o;
        rs_scan_opts_default(&o);
        o.layer_parallelism = 2;
        rs_scan_result *res = rs_scan_index(src, "", digest, &o);
        RS_REQUIRE(res != NULL);
        if (res->status)
            fprintf(stderr, "%s %s: %s\n", name, platform, res->error);
        RS_CHECK_INT(res->status, 0);
        if (res->status) {
            rs_scan_result_free(res);
            continue;
        }
        const rs_inventory *inv = res->inv;
        json_t *eos = json_object_get(img, "os");
        RS_CHECK_STR(inv->os.id, json_string_value(json_object_get(eos, "id")));
        RS_CHECK_STR(inv->os.version_id, json_string_value(json_object_get(eos, "version_id")));
        RS_CHECK_STR(inv->os.pretty_name, json_string_value(json_object_get(eos, "pretty_name")));
        if (json_object_get(eos, "version_codename"))
            RS_CHECK_STR(inv->os.version_codename,
                         json_string_value(json_object_get(eos, "version_codename")));
        RS_CHECK_INT(inv->os.text_replaced, has_flag(eos, "invalid-utf8"));
        json_t *pkgs = json_object_get(img, "packages");
        RS_CHECK_INT(inv->n_pkgs, json_array_size(pkgs));
        size_t k;
        json_t *ep;
        json_array_foreach(pkgs, k, ep)
        {
            const char *pname = json_string_value(json_object_get(ep, "name"));
            const rs_pkg *p = find_pkg(inv, pname);
            RS_CHECK(p != NULL);
            if (!p) {
                fprintf(stderr, "%s %s: missing package %s\n", name, platform, pname);
                continue;
            }
            json_t *es = json_object_get(ep, "source");
            RS_CHECK_STR(p->version, json_string_value(json_object_get(ep, "version")));
            RS_CHECK_STR(p->ecosystem, json_string_value(json_object_get(ep, "ecosystem")));
            RS_CHECK_STR(p->path, json_string_value(json_object_get(ep, "path")));
            RS_CHECK_STR(p->source_name, json_string_value(json_object_get(es, "name")));
            RS_CHECK_STR(p->source_version ? p->source_version : p->version,
                         json_string_value(json_object_get(es, "version")));
            RS_CHECK_INT(layer_index(inv, p->layer),
                         json_integer_value(json_object_get(ep, "layer_index")));
            if (json_object_get(ep, "arch"))
                RS_CHECK_STR(p->arch, json_string_value(json_object_get(ep, "arch")));
            RS_CHECK_INT(p->text_replaced, has_flag(ep, "invalid-utf8"));
        }
        json_t *absent;
        json_array_foreach(json_object_get(img, "absent_packages"), k, absent)
            RS_CHECK(find_pkg(inv, json_string_value(absent)) == NULL);
        rs_scan_result_free(res);
    }
    rs_blobsrc_destroy(src);
    json_decref(spec);
}

/* Copies a layout, then flips one byte of its first layer blob. */
static void faults(void)
{
    char errstr[1024], dir[1024], cmd[4096], digest[RS_DIGEST_SIZE];
    snprintf(dir, sizeof dir, "%s/debian-layers", layouts);
    rs_blobsrc *src = rs_blobsrc_oci_new(dir, errstr, sizeof errstr);
    RS_REQUIRE(src != NULL);
    RS_REQUIRE(rs_scan_resolve(src, "", "", NULL, digest, errstr, sizeof errstr) == 0);

    rs_scan_opts o;
    rs_scan_opts_default(&o);
    o.max_layers = 2;
    rs_scan_result *res = rs_scan_index(src, "", digest, &o);
    RS_CHECK_INT(res->status, RS_ERR_LIMIT_EXCEEDED);
    RS_CHECK(strstr(res->error, "3 layers, more than the limit of 2") != NULL);
    RS_CHECK(res->inv == NULL);
    rs_scan_result_free(res);

    atomic_int cancel = 1;
    rs_scan_opts_default(&o);
    o.cancel = &cancel;
    res = rs_scan_index(src, "", digest, &o);
    RS_CHECK_INT(res->status, RS_ERR_CANCELLED);
    rs_scan_result_free(res);

    res = rs_scan_index(
        src, "", "sha256:0000000000000000000000000000000000000000000000000000000000000000", NULL);
    RS_CHECK(res->status < 0);
    rs_scan_result_free(res);
    rs_blobsrc_destroy(src);

    /* a tampered layer: same size, one byte changed */
    char copy[1024];
    snprintf(copy, sizeof copy, "%s/tampered", layouts);
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && cp -r '%s' '%s'", copy, dir, copy);
    RS_REQUIRE(system(cmd) == 0);
    src = rs_blobsrc_oci_new(copy, errstr, sizeof errstr);
    RS_REQUIRE(src != NULL);
    res = rs_scan_index(src, "", digest, NULL);
    RS_REQUIRE(res->status == 0 && res->n_layers == 3);
    char blob[2048];
    snprintf(blob, sizeof blob, "%s/blobs/sha256/%s", copy, res->inv->layers[2] + 7);
    rs_scan_result_free(res);
    FILE *f = fopen(blob, "r+b");
    RS_REQUIRE(f != NULL);
    fseek(f, -9, SEEK_END); /* inside the gzip trailer's CRC: still inflates */
    int c = fgetc(f);
    fseek(f, -9, SEEK_END);
    fputc(c ^ 0x5a, f);
    fclose(f);
    res = rs_scan_index(src, "", digest, NULL);
    RS_CHECK(res->status == RS_ERR_DIGEST_MISMATCH || res->status == RS_ERR_INVALID);
    RS_CHECK(strstr(res->error, "layer 2") != NULL);
    RS_CHECK(res->inv == NULL);
    rs_scan_result_free(res);
    rs_blobsrc_destroy(src);
}

/* Writes `j` as blob of layout `dir`; its digest into `digest`, its size returned. */
static size_t put_json_blob(const char *dir, json_t *j, char digest[RS_DIGEST_SIZE])
{
    char *body = json_dumps(j, JSON_COMPACT), path[2048];
    RS_REQUIRE(body);
    size_t len = strlen(body);
    rs_sha256_digest(body, len, digest);
    snprintf(path, sizeof path, "%s/blobs/sha256/%s", dir, digest + 7);
    FILE *f = fopen(path, "wb");
    RS_REQUIRE(f && fwrite(body, 1, len, f) == len && fclose(f) == 0);
    free(body);
    return len;
}

/* Reads blob `digest` of layout `dir` as JSON (new reference). */
static json_t *get_json_blob(const char *dir, const char *digest)
{
    char path[2048];
    snprintf(path, sizeof path, "%s/blobs/sha256/%s", dir, digest + 7);
    json_t *j = json_load_file(path, 0, NULL);
    RS_REQUIRE(j);
    return j;
}

/* A copy of debian-layers whose config names layer 0's diff_id for layer 1
 * too (config, manifest and index.json rewritten so every digest matches):
 * the layer's inflated bytes do not hash to it, an INVALID error naming
 * the layer and both digests. */
static void wrong_diff_id(void)
{
    char src_dir[1024], dir[1024], cmd[4096], errstr[1024], want[1024];
    char cfg_digest[RS_DIGEST_SIZE], man_digest[RS_DIGEST_SIZE];
    snprintf(src_dir, sizeof src_dir, "%s/debian-layers", layouts);
    snprintf(dir, sizeof dir, "%s/wrong-diff-id", layouts);
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && cp -r '%s' '%s'", dir, src_dir, dir);
    RS_REQUIRE(system(cmd) == 0);
    snprintf(cmd, sizeof cmd, "%s/index.json", dir);
    json_t *index = json_load_file(cmd, 0, NULL);
    RS_REQUIRE(index);
    json_t *desc = json_array_get(json_object_get(index, "manifests"), 0);
    json_t *man = get_json_blob(dir, json_string_value(json_object_get(desc, "digest")));
    json_t *cdesc = json_object_get(man, "config");
    json_t *cfg = get_json_blob(dir, json_string_value(json_object_get(cdesc, "digest")));
    json_t *ids = json_object_get(json_object_get(cfg, "rootfs"), "diff_ids");
    RS_REQUIRE(json_array_size(ids) == 3);
    char real1[RS_DIGEST_SIZE], claimed[RS_DIGEST_SIZE];
    snprintf(real1, sizeof real1, "%s", json_string_value(json_array_get(ids, 1)));
    snprintf(claimed, sizeof claimed, "%s", json_string_value(json_array_get(ids, 0)));
    RS_REQUIRE(strcmp(real1, claimed) != 0);
    json_array_set_new(ids, 1, json_string(claimed));
    size_t clen = put_json_blob(dir, cfg, cfg_digest);
    json_object_set_new(cdesc, "digest", json_string(cfg_digest));
    json_object_set_new(cdesc, "size", json_integer((json_int_t)clen));
    size_t mlen = put_json_blob(dir, man, man_digest);
    json_object_set_new(desc, "digest", json_string(man_digest));
    json_object_set_new(desc, "size", json_integer((json_int_t)mlen));
    RS_REQUIRE(json_dump_file(index, cmd, JSON_COMPACT) == 0);
    snprintf(want, sizeof want,
             "layer 1 '%s': diff_id mismatch: the uncompressed layer is '%s', the config says "
             "'%s'",
             json_string_value(json_object_get(json_array_get(json_object_get(man, "layers"), 1),
                                               "digest")),
             real1, claimed);

    rs_blobsrc *src = rs_blobsrc_oci_new(dir, errstr, sizeof errstr);
    RS_REQUIRE(src != NULL);
    rs_scan_opts o;
    rs_scan_opts_default(&o);
    o.layer_parallelism = 1; /* layer 1 fails first: layer 2 is never reached */
    rs_scan_result *res = rs_scan_index(src, "", man_digest, &o);
    RS_CHECK_INT(res->status, RS_ERR_INVALID);
    RS_CHECK_STR(res->error, want);
    RS_CHECK(res->inv == NULL);
    rs_scan_result_free(res);
    rs_blobsrc_destroy(src);
    json_decref(cfg);
    json_decref(man);
    json_decref(index);
}

int main(int argc, char **argv)
{
    RS_REQUIRE(argc == 2);
    layouts = argv[1];
    RS_REQUIRE(getenv("RS_SOURCE_DIR") != NULL);
    check_spec("debian-single", "");
    check_spec("debian-layers", "");
    check_spec("alpine", "");
    check_spec("tiny-zstd", "");
    check_spec("multiarch", "");
    /* text that is not UTF-8: U+FFFD, flags, cuts on character boundaries */
    check_spec("badtext-apk", "");
    check_spec("badtext-dpkg", "");
    check_spec("badtext-osrelease", "");
    faults();
    wrong_diff_id();
    return RS_TEST_RESULT();
}
