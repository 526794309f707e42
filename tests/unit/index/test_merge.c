/* test_merge.c - merging layer results: whiteouts, opaque directories,
 * os-release through a symlink, /etc over /usr/lib, and package attribution
 * across layers (kept through rewrites, reset by removal and re-adding). */
#include "base.h"
#include "index.h"
#include "rs_tarbuild.h"
#include "rs_testanalyzers.h"
#include "rs_test.h"

static rs_layer_result *layer_with(const tent *e, size_t n, const rs_layer_limits *lim)
{
    size_t len;
    char *data = mktar(e, n, F_GZIP, &len), err[256] = "";
    rs_reader *r = rs_reader_mem_new(data, len);
    rs_layer_result *res = NULL;
    int rc = rs_layer_analyze(r, NULL, lim, &res, err, sizeof err);
    if (rc)
        fprintf(stderr, "analyze: %s\n", err);
    RS_REQUIRE(rc == 0);
    rs_reader_destroy(r);
    free(data);
    return res;
}

static rs_layer_result *layer(const tent *e, size_t n)
{
    return layer_with(e, n, NULL);
}

#define STANZA(name, ver) \
    "Package: " name "\nStatus: install ok installed\nArchitecture: amd64\nVersion: " ver "\n\n"

static const char DEB_OS[] = "ID=debian\nVERSION_ID=\"12\"\nPRETTY_NAME=\"Debian GNU/Linux 12\"\n";
static const char UBU_OS[] = "ID=ubuntu\nVERSION_ID=\"22.04\"\n";

static const rs_pkg *pkg(const rs_inventory *inv, const char *name)
{
    for (size_t i = 0; i < inv->n_pkgs; i++)
        if (strcmp(inv->pkgs[i].name, name) == 0)
            return &inv->pkgs[i];
    return NULL;
}

static char *const DIGESTS[] = {"sha256:l0", "sha256:l1", "sha256:l2", "sha256:l3"};

static void test_attribution(void)
{
    tent l0[] = {{T_SYMLINK, "etc/os-release", "../usr/lib/os-release", 0},
                 {T_FILE, "usr/lib/os-release", DEB_OS, 0},
                 {T_FILE, "var/lib/dpkg/status",
                  STANZA("aaa", "1") STANZA("bbb", "1") STANZA("ccc", "1"), 0},
                 {T_FILE, "var/lib/dpkg/status.d/foo", "Package: foo\nVersion: 1.0\n", 0}};
    /* bbb upgraded, ddd added, foo deleted: the status is rewritten whole */
    tent l1[] = {{T_FILE, "var/lib/dpkg/status",
                  STANZA("aaa", "1") STANZA("bbb", "2") STANZA("ccc", "1") STANZA("ddd", "1"), 0},
                 {T_FILE, "var/lib/dpkg/status.d/.wh.foo", "", 0}};
    /* ccc removed */
    tent l2[] = {{T_FILE, "var/lib/dpkg/status",
                  STANZA("aaa", "1") STANZA("bbb", "2") STANZA("ddd", "1"), 0}};
    /* ccc back */
    tent l3[] = {{T_FILE, "var/lib/dpkg/status",
                  STANZA("aaa", "1") STANZA("bbb", "2") STANZA("ccc", "1") STANZA("ddd", "1"), 0}};
    rs_layer_result *L[4] = {layer(l0, 4), layer(l1, 2), layer(l2, 1), layer(l3, 1)};
    rs_inventory *inv = NULL;
    char err[256];
    RS_CHECK_INT(rs_merge_layers(L, DIGESTS, 4, &inv, err, sizeof err), 0);
    RS_REQUIRE(inv);
    RS_CHECK_STR(inv->os.id, "debian");
    RS_CHECK_STR(inv->os.version_id, "12");
    RS_CHECK_INT(inv->n_layers, 4);
    RS_CHECK_STR(inv->layers[3], "sha256:l3");
    RS_REQUIRE(inv->n_pkgs == 4);
    RS_CHECK(pkg(inv, "foo") == NULL);
    RS_CHECK_STR(pkg(inv, "aaa")->layer, "sha256:l0");
    RS_CHECK_STR(pkg(inv, "bbb")->layer, "sha256:l1");
    RS_CHECK_STR(pkg(inv, "bbb")->version, "2");
    RS_CHECK_STR(pkg(inv, "ccc")->layer, "sha256:l3");
    RS_CHECK_STR(pkg(inv, "ddd")->layer, "sha256:l1");
    RS_CHECK_STR(pkg(inv, "aaa")->ecosystem, "Debian:12");
    RS_CHECK_STR(pkg(inv, "aaa")->purl, "pkg:deb/debian/aaa@1?arch=amd64&distro=debian-12");
    RS_CHECK_STR(pkg(inv, "aaa")->path, "/var/lib/dpkg/status");
    rs_inventory_free(inv);

    /* layer 0 alone: foo is there */
    RS_CHECK_INT(rs_merge_layers(L, DIGESTS, 1, &inv, err, sizeof err), 0);
    RS_REQUIRE(inv->n_pkgs == 4);
    RS_CHECK_STR(pkg(inv, "foo")->layer, "sha256:l0");
    RS_CHECK_STR(pkg(inv, "foo")->path, "/var/lib/dpkg/status.d/foo");
    rs_inventory_free(inv);
    for (int i = 0; i < 4; i++)
        rs_layer_result_free(L[i]);
}

static void test_opaque_and_os_precedence(void)
{
    tent l0[] = {{T_FILE, "etc/os-release", UBU_OS, 0},
                 {T_FILE, "usr/lib/os-release", DEB_OS, 0},
                 {T_FILE, "var/lib/dpkg/status.d/xx", "Package: xx\nVersion: 1\n", 0},
                 {T_FILE, "var/lib/dpkg/status.d/yy", "Package: yy\nVersion: 1\n", 0}};
    tent l1[] = {{T_FILE, "var/lib/dpkg/status.d/.wh..wh..opq", "", 0},
                 {T_FILE, "var/lib/dpkg/status.d/zz", "Package: zz\nVersion: 1\n", 0}};
    tent l2[] = {{T_FILE, "etc/.wh.os-release", "", 0}};
    rs_layer_result *L[3] = {layer(l0, 4), layer(l1, 2), layer(l2, 1)};
    rs_inventory *inv = NULL;
    char err[256];
    RS_CHECK_INT(rs_merge_layers(L, NULL, 2, &inv, err, sizeof err), 0);
    RS_REQUIRE(inv);
    RS_CHECK_STR(inv->os.id, "ubuntu"); /* /etc wins over /usr/lib */
    RS_REQUIRE(inv->n_pkgs == 1);
    RS_CHECK_STR(inv->pkgs[0].name, "zz");
    RS_CHECK_STR(inv->pkgs[0].layer, NULL);
    RS_CHECK_STR(inv->pkgs[0].ecosystem, "Ubuntu:22.04");
    RS_CHECK_INT(inv->n_layers, 0);
    rs_inventory_free(inv);
    /* /etc/os-release deleted: /usr/lib/os-release speaks */
    RS_CHECK_INT(rs_merge_layers(L, NULL, 3, &inv, err, sizeof err), 0);
    RS_CHECK_STR(inv->os.id, "debian");
    rs_inventory_free(inv);
    for (int i = 0; i < 3; i++)
        rs_layer_result_free(L[i]);
}

static void test_whiteout_dir_and_links(void)
{
    /* an absolute symlink, then a directory whiteout that removes the target */
    tent l0[] = {{T_FILE, "usr/lib/os-release", DEB_OS, 0},
                 {T_SYMLINK, "etc/os-release", "/usr/lib/os-release", 0},
                 {T_FILE, "lib/apk/db/installed", "P:musl\nV:1.2.4-r2\nA:x86_64\no:musl\n", 0}};
    tent l1[] = {{T_FILE, "usr/.wh.lib", "", 0}};
    tent l2[] = {{T_SYMLINK, "etc/os-release", "../../../../etc/alpine-release", 0},
                 {T_FILE, "etc/alpine-release",
                  "ID=alpine\nVERSION_ID=3.19.1\nPRETTY_NAME=\"Alpine Linux v3.19\"\n", 0}};
    rs_layer_result *L[3] = {layer(l0, 3), layer(l1, 1), layer(l2, 2)};
    rs_inventory *inv = NULL;
    char err[256];
    RS_CHECK_INT(rs_merge_layers(L, DIGESTS, 1, &inv, err, sizeof err), 0);
    RS_CHECK_STR(inv->os.id, "debian");
    rs_inventory_free(inv);
    RS_CHECK_INT(rs_merge_layers(L, DIGESTS, 2, &inv, err, sizeof err), 0);
    RS_CHECK_INT(inv->os.found, 0); /* dangling symlink, /usr/lib gone */
    RS_REQUIRE(inv->n_pkgs == 1);
    RS_CHECK_STR(inv->pkgs[0].ecosystem, NULL);
    RS_CHECK_STR(inv->pkgs[0].purl, NULL);
    rs_inventory_free(inv);
    /* os-release from a file only an analyzer of os-release paths would not
     * read: the link's target is not a wanted path, so no OS */
    RS_CHECK_INT(rs_merge_layers(L, DIGESTS, 3, &inv, err, sizeof err), 0);
    RS_CHECK_INT(inv->os.found, 0);
    RS_CHECK_STR(inv->pkgs[0].layer, "sha256:l0");
    rs_inventory_free(inv);
    for (int i = 0; i < 3; i++)
        rs_layer_result_free(L[i]);
}

static void test_alpine(void)
{
    tent l0[] = {
        {T_FILE, "etc/os-release", "NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID=3.19.1\n", 0},
        {T_FILE, "lib/apk/db/installed",
         "P:musl\nV:1.2.4_git20230717-r4\nA:x86_64\no:musl\n\n"
         "P:ssl_client\nV:1.36.1-r15\nA:x86_64\no:busybox\n",
         0}};
    rs_layer_result *L[1] = {layer(l0, 2)};
    rs_inventory *inv = NULL;
    char err[256];
    RS_CHECK_INT(rs_merge_layers(L, DIGESTS, 1, &inv, err, sizeof err), 0);
    RS_REQUIRE(inv->n_pkgs == 2);
    RS_CHECK_STR(inv->pkgs[1].name, "ssl_client");
    RS_CHECK_STR(inv->pkgs[1].ecosystem, "Alpine:v3.19");
    RS_CHECK_STR(inv->pkgs[1].source_name, "busybox");
    RS_CHECK_STR(inv->pkgs[1].purl,
                 "pkg:apk/alpine/ssl_client@1.36.1-r15?arch=x86_64&distro=alpine-3.19.1");
    rs_inventory_free(inv);
    rs_layer_result_free(L[0]);
}

#define FFFD "\xEF\xBF\xBD"

/* Paths from tar headers are bytes: whiteouts match them as bytes, the
 * inventory gets them as UTF-8 (U+FFFD) with the package flagged, and the OS
 * keeps its flag. */
static void test_invalid_utf8(void)
{
    tent l0[] = {
        {T_FILE, "etc/os-release", "ID=debian\nVERSION_ID=12\nVERSION_CODENAME=b\xFF\n", 0},
        {T_FILE, "var/lib/dpkg/status.d/tz\xFF", "Package: tzdata\nVersion: 1\n", 0},
        {T_FILE, "var/lib/dpkg/status.d/ok", "Package: ok\nVersion: 1\n", 0},
        {T_HARDLINK, "var/lib/dpkg/status.d/hl\xFE", "var/lib/dpkg/status.d/ok", 0}};
    /* the hard link's file is reported once, at its own path while it is there,
     * at the link's when an upper layer deletes it */
    tent l1[] = {{T_FILE, "var/lib/dpkg/status.d/.wh.tz\xFF", "", 0},
                 {T_FILE, "var/lib/dpkg/status.d/.wh.ok", "", 0}};
    rs_layer_result *L[2] = {layer(l0, 4), layer(l1, 2)};
    rs_inventory *inv = NULL;
    char err[256];
    RS_CHECK_INT(rs_merge_layers(L, DIGESTS, 1, &inv, err, sizeof err), 0);
    RS_REQUIRE(inv && inv->n_pkgs == 2);
    RS_CHECK_STR(inv->os.version_codename, "b" FFFD);
    RS_CHECK_INT(inv->os.text_replaced, 1);
    /* sorted by (type, name, version, path) */
    RS_CHECK_STR(inv->pkgs[0].name, "ok");
    RS_CHECK_STR(inv->pkgs[0].path, "/var/lib/dpkg/status.d/ok");
    RS_CHECK_INT(inv->pkgs[0].text_replaced, 0);
    RS_CHECK_STR(inv->pkgs[1].name, "tzdata");
    RS_CHECK_STR(inv->pkgs[1].path, "/var/lib/dpkg/status.d/tz" FFFD);
    RS_CHECK_INT(inv->pkgs[1].text_replaced, 1);
    rs_inventory_free(inv);
    RS_CHECK_INT(rs_merge_layers(L, DIGESTS, 2, &inv, err, sizeof err), 0);
    RS_REQUIRE(inv && inv->n_pkgs == 1);
    RS_CHECK(pkg(inv, "tzdata") == NULL);
    RS_CHECK_STR(inv->pkgs[0].name, "ok");
    RS_CHECK_STR(inv->pkgs[0].path, "/var/lib/dpkg/status.d/hl" FFFD);
    RS_CHECK_INT(inv->pkgs[0].text_replaced, 1);
    rs_inventory_free(inv);
    /* through the JSON form of the layer results (the cache, a child process):
     * the same paths, flags and whiteout */
    rs_layer_result *J[2];
    for (int i = 0; i < 2; i++) {
        json_t *j = rs_layer_result_to_json(L[i]);
        RS_REQUIRE(j);
        RS_CHECK_INT(rs_layer_result_from_json(j, &J[i], err, sizeof err), 0);
        RS_REQUIRE(J[i]);
        json_decref(j);
    }
    RS_CHECK_INT(rs_merge_layers(J, DIGESTS, 1, &inv, err, sizeof err), 0);
    RS_REQUIRE(inv && inv->n_pkgs == 2);
    RS_CHECK_INT(inv->os.text_replaced, 1);
    RS_CHECK_INT(inv->pkgs[0].text_replaced, 0);
    RS_CHECK_STR(inv->pkgs[1].path, "/var/lib/dpkg/status.d/tz" FFFD);
    RS_CHECK_INT(inv->pkgs[1].text_replaced, 1);
    rs_inventory_free(inv);
    RS_CHECK_INT(rs_merge_layers(J, DIGESTS, 2, &inv, err, sizeof err), 0);
    RS_REQUIRE(inv && inv->n_pkgs == 1);
    RS_CHECK_STR(inv->pkgs[0].path, "/var/lib/dpkg/status.d/hl" FFFD);
    rs_inventory_free(inv);
    for (int i = 0; i < 2; i++) {
        rs_layer_result_free(L[i]);
        rs_layer_result_free(J[i]);
    }
}

/* The test package `name` read from `path`, or NULL. */
static const rs_pkg *test_pkg(const rs_inventory *inv, const char *path, const char *name)
{
    for (size_t i = 0; i < inv->n_pkgs; i++)
        if (!strcmp(inv->pkgs[i].path, path) && !strcmp(inv->pkgs[i].name, name))
            return &inv->pkgs[i];
    return NULL;
}

/* Two analyzers on one path: each one's result is merged on its own; a
 * layer that rewrites the path replaces both, including the one that now
 * skips it; a whiteout removes both. */
static void test_several_analyzers(void)
{
    rs_layer_limits lim = RS_LAYER_LIMITS_DEFAULT;
    lim.analyzers = test_analyzers();
    tent l0[] = {{T_FILE, "data/a.txt", "x\ny\n", 0},
                 {T_FILE, "data/c.txt", "zz", 0},
                 {T_FILE, "data/d.txt", "d\n", 0}};
    /* a.txt outgrows head's limit; d.txt is deleted */
    tent l1[] = {{T_BIGFILE, "data/a.txt", NULL, 2 << 20}, {T_FILE, "data/.wh.d.txt", "", 0}};
    rs_layer_result *L[2] = {layer_with(l0, 3, &lim), layer_with(l1, 2, &lim)};
    rs_inventory *inv = NULL;
    char err[256];
    RS_CHECK_INT(rs_merge_layers(L, DIGESTS, 2, &inv, err, sizeof err), 0);
    RS_REQUIRE(inv);
    RS_CHECK_INT(inv->n_pkgs, 3);
    const rs_pkg *p = test_pkg(inv, "/data/a.txt", "wc");
    RS_REQUIRE(p);
    RS_CHECK_STR(p->version, "2097152:0");
    RS_CHECK_STR(p->layer, "sha256:l1");
    RS_CHECK(test_pkg(inv, "/data/a.txt", "head") == NULL);
    p = test_pkg(inv, "/data/c.txt", "wc");
    RS_REQUIRE(p);
    RS_CHECK_STR(p->version, "2:0");
    RS_CHECK_STR(p->layer, "sha256:l0");
    p = test_pkg(inv, "/data/c.txt", "head");
    RS_REQUIRE(p);
    RS_CHECK_STR(p->version, "2");
    RS_CHECK_STR(p->layer, "sha256:l0");
    rs_inventory_free(inv);
    rs_layer_result_free(L[0]);
    rs_layer_result_free(L[1]);
}

int main(void)
{
    test_attribution();
    test_opaque_and_os_precedence();
    test_whiteout_dir_and_links();
    test_alpine();
    test_invalid_utf8();
    test_several_analyzers();
    return RS_TEST_RESULT();
}
