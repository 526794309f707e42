/* test_inventory.c - ecosystems, purls, ordering, the JSON round trip and the
 * invalid-utf8 flag. */
#include "base.h"
#include "model.h"
#include "rs_test.h"

static rs_os mkos(const char *id, const char *ver)
{
    rs_os os = {0};
    snprintf(os.id, sizeof os.id, "%s", id);
    snprintf(os.version_id, sizeof os.version_id, "%s", ver);
    os.found = 1;
    return os;
}

static void test_ecosystem(void)
{
    char e[64];
    rs_os os = mkos("debian", "12");
    rs_inventory_ecosystem(&os, "dpkg", e, sizeof e);
    RS_CHECK_STR(e, "Debian:12");
    os = mkos("debian", "12.4");
    rs_inventory_ecosystem(&os, "dpkg", e, sizeof e);
    RS_CHECK_STR(e, "Debian:12");
    os = mkos("ubuntu", "22.04");
    rs_inventory_ecosystem(&os, "dpkg", e, sizeof e);
    RS_CHECK_STR(e, "Ubuntu:22.04");
    os = mkos("alpine", "3.19.1");
    rs_inventory_ecosystem(&os, "apk", e, sizeof e);
    RS_CHECK_STR(e, "Alpine:v3.19");
    os = mkos("alpine", "3.20_alpha20240329");
    rs_inventory_ecosystem(&os, "apk", e, sizeof e);
    RS_CHECK_STR(e, "Alpine:v3.20");
    rs_inventory_ecosystem(&os, "dpkg", e, sizeof e);
    RS_CHECK_STR(e, "");
    os = mkos("debian", "");
    rs_inventory_ecosystem(&os, "dpkg", e, sizeof e);
    RS_CHECK_STR(e, "");
    os = mkos("fedora", "39");
    rs_inventory_ecosystem(&os, "dpkg", e, sizeof e);
    RS_CHECK_STR(e, "");
}

static void test_purl(void)
{
    rs_os os = mkos("debian", "12");
    rs_pkg p = {0};
    p.type = "dpkg";
    p.name = "bsdutils";
    p.version = "1:2.38.1-5+b1";
    p.arch = "amd64";
    char *u = rs_pkg_purl(&os, &p);
    RS_CHECK_STR(u, "pkg:deb/debian/bsdutils@1%3A2.38.1-5%2Bb1?arch=amd64&distro=debian-12");
    free(u);
    os = mkos("ubuntu", "22.04");
    p.name = "libc6";
    p.version = "2.35-0ubuntu3.6";
    p.arch = NULL;
    u = rs_pkg_purl(&os, &p);
    RS_CHECK_STR(u, "pkg:deb/ubuntu/libc6@2.35-0ubuntu3.6?distro=ubuntu-22.04");
    free(u);
    os = mkos("alpine", "3.19.1");
    p.type = "apk";
    p.name = "ssl_client";
    p.version = "1.36.1-r15";
    p.arch = "x86_64";
    u = rs_pkg_purl(&os, &p);
    RS_CHECK_STR(u, "pkg:apk/alpine/ssl_client@1.36.1-r15?arch=x86_64&distro=alpine-3.19.1");
    free(u);
    os = mkos("debian", "12");
    RS_CHECK(rs_pkg_purl(&os, &p) == NULL); /* apk on debian: no purl type */
}

static rs_inventory *sample(void)
{
    rs_inventory *inv = rs_inventory_new();
    RS_REQUIRE(inv);
    inv->os = mkos("debian", "12");
    snprintf(inv->os.pretty_name, sizeof inv->os.pretty_name, "Debian GNU/Linux 12 (bookworm)");
    snprintf(inv->os.version_codename, sizeof inv->os.version_codename, "bookworm");
    rs_pkg a = {"dpkg",          NULL,    "zlib1g", "1:1.2.13.dfsg-1",      "zlib",
                "1.2.13.dfsg-1", "amd64", NULL,     "/var/lib/dpkg/status", "sha256:aa"};
    rs_pkg b = {"dpkg",     NULL,    "bsdutils", "1:2.38.1-5+b1",        "util-linux",
                "2.38.1-5", "amd64", NULL,       "/var/lib/dpkg/status", "sha256:bb"};
    rs_pkg c = {"dpkg", NULL, "base-files", "12.4+deb12u5",         NULL,
                NULL,   NULL, NULL,         "/var/lib/dpkg/status", NULL};
    RS_CHECK_INT(rs_inventory_add(inv, &a), 0);
    RS_CHECK_INT(rs_inventory_add(inv, &b), 0);
    RS_CHECK_INT(rs_inventory_add(inv, &c), 0);
    RS_CHECK_INT(rs_inventory_add_layer(inv, "sha256:aa"), 0);
    RS_CHECK_INT(rs_inventory_add_layer(inv, "sha256:bb"), 0);
    rs_inventory_finish(inv);
    return inv;
}

static void test_finish_and_json(void)
{
    rs_inventory *inv = sample();
    RS_REQUIRE(inv->n_pkgs == 3);
    RS_CHECK_STR(inv->pkgs[0].name, "base-files");
    RS_CHECK_STR(inv->pkgs[1].name, "bsdutils");
    RS_CHECK_STR(inv->pkgs[2].name, "zlib1g");
    RS_CHECK_STR(inv->pkgs[2].ecosystem, "Debian:12");
    RS_CHECK_STR(inv->pkgs[2].purl,
                 "pkg:deb/debian/zlib1g@1%3A1.2.13.dfsg-1?arch=amd64&distro=debian-12");
    RS_CHECK_STR(inv->pkgs[0].purl, "pkg:deb/debian/base-files@12.4%2Bdeb12u5?distro=debian-12");

    json_t *j = rs_inventory_to_json(inv);
    RS_REQUIRE(j);
    json_t *p1 = json_array_get(json_object_get(j, "packages"), 1);
    RS_CHECK_STR(json_string_value(json_object_get(json_object_get(p1, "source"), "name")),
                 "util-linux");
    RS_CHECK_STR(json_string_value(json_object_get(json_object_get(p1, "source"), "version")),
                 "2.38.1-5");
    RS_CHECK(
        json_is_null(json_object_get(json_array_get(json_object_get(j, "packages"), 0), "source")));
    char *text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
    rs_inventory *back = NULL;
    char err[256];
    RS_CHECK_INT(rs_inventory_from_json(j, &back, err, sizeof err), 0);
    RS_REQUIRE(back);
    json_t *j2 = rs_inventory_to_json(back);
    char *text2 = json_dumps(j2, JSON_COMPACT | JSON_SORT_KEYS);
    RS_CHECK_STR(text2, text);
    RS_CHECK_STR(back->os.id, "debian");
    RS_CHECK_STR(back->os.version_codename, "bookworm");
    RS_CHECK_INT(back->n_layers, 2);
    RS_CHECK_STR(back->layers[1], "sha256:bb");
    RS_CHECK_STR(back->pkgs[1].source_version, "2.38.1-5");
    RS_CHECK_STR(back->pkgs[2].layer, "sha256:aa");
    free(text);
    free(text2);
    json_decref(j);
    json_decref(j2);
    rs_inventory_free(back);
    rs_inventory_free(inv);
}

static int decode(const char *text)
{
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    RS_REQUIRE(j);
    rs_inventory *inv = NULL;
    char err[256] = "";
    int rc = rs_inventory_from_json(j, &inv, err, sizeof err);
    RS_CHECK((rc == 0) == (inv != NULL));
    rs_inventory_free(inv);
    json_decref(j);
    return rc;
}

static void test_untrusted(void)
{
    RS_CHECK_INT(decode("[]"), RS_ERR_INVALID);
    RS_CHECK_INT(decode("{\"layers\": [], \"packages\": {}}"), RS_ERR_INVALID);
    RS_CHECK_INT(decode("{\"layers\": [1], \"packages\": []}"), RS_ERR_INVALID);
    RS_CHECK_INT(decode("{\"layers\": [], \"packages\": [{\"type\": \"dpkg\"}]}"), RS_ERR_INVALID);
    RS_CHECK_INT(decode("{\"layers\": [], \"packages\": [{\"type\": \"dpkg\", \"name\": 3, "
                        "\"version\": \"1\"}]}"),
                 RS_ERR_INVALID);
    RS_CHECK_INT(decode("{\"layers\": [], \"packages\": [{\"type\": \"dpkg\", \"name\": \"a\", "
                        "\"version\": \"1\", \"source\": \"x\"}]}"),
                 RS_ERR_INVALID);
    RS_CHECK_INT(decode("{\"os\": {\"id\": \"0123456789012345678901234567890123456789\"}, "
                        "\"layers\": [], \"packages\": []}"),
                 RS_ERR_INVALID);
    RS_CHECK_INT(decode("{\"os\": {\"id\": \"debian\", \"found\": 1}, \"layers\": [], "
                        "\"packages\": []}"),
                 RS_ERR_INVALID);
    RS_CHECK_INT(decode("{\"layers\": [], \"packages\": [{\"type\": \"dpkg\", \"name\": \"a\", "
                        "\"version\": \"1\"}]}"),
                 0);
}

static char *dump(const json_t *j)
{
    return json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
}

/* The flag is written only when set, read back, copied; strings that are not
 * UTF-8 (a bug upstream) are written with U+FFFD, never fail the document. */
static void test_flags(void)
{
    rs_pkg p = {.type = "apk",
                .name = "foo\xEF\xBF\xBD",
                .version = "1.0-r0",
                .path = "/lib/apk/db/installed",
                .text_replaced = 1};
    json_t *j = rs_pkg_to_json(&p);
    char *text = dump(j);
    RS_CHECK_STR(text, "{\"arch\":null,\"ecosystem\":null,\"flags\":[\"invalid-utf8\"],"
                       "\"layer\":null,\"name\":\"foo\\uFFFD\",\"path\":\"/lib/apk/db/installed\","
                       "\"purl\":null,\"source\":null,\"type\":\"apk\",\"version\":\"1.0-r0\"}");
    free(text);
    rs_pkg back, copy;
    char err[256];
    RS_CHECK_INT(rs_pkg_from_json(j, &back, err, sizeof err), 0);
    RS_CHECK_INT(back.text_replaced, 1);
    RS_CHECK_STR(back.name, "foo\xEF\xBF\xBD");
    RS_CHECK_INT(rs_pkg_copy(&copy, &back), 0);
    RS_CHECK_INT(copy.text_replaced, 1);
    rs_pkg_clear(&back);
    rs_pkg_clear(&copy);
    json_decref(j);

    p.text_replaced = 0;
    j = rs_pkg_to_json(&p);
    RS_CHECK(json_object_get(j, "flags") == NULL);
    RS_CHECK_INT(rs_pkg_from_json(j, &back, err, sizeof err), 0);
    RS_CHECK_INT(back.text_replaced, 0);
    rs_pkg_clear(&back);
    json_decref(j);

    /* raw bytes that never went through an analyzer still give a document */
    p.name = "foo\xFF";
    p.arch = "\xC3";
    p.source_name = "s\xED\xA0\x80";
    j = rs_pkg_to_json(&p);
    RS_REQUIRE(j);
    RS_CHECK_STR(json_string_value(json_object_get(j, "name")), "foo\xEF\xBF\xBD");
    RS_CHECK_STR(json_string_value(json_object_get(j, "arch")), "\xEF\xBF\xBD");
    RS_CHECK_STR(json_string_value(json_object_get(json_object_get(j, "source"), "name")),
                 "s\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
    json_decref(j);

    rs_os os = mkos("debian", "12");
    snprintf(os.version_codename, sizeof os.version_codename, "bookworm\xEF\xBF\xBD");
    os.text_replaced = 1;
    j = rs_os_to_json(&os);
    text = dump(j);
    RS_CHECK_STR(text, "{\"flags\":[\"invalid-utf8\"],\"found\":true,\"id\":\"debian\","
                       "\"pretty_name\":\"\",\"version_codename\":\"bookworm\\uFFFD\","
                       "\"version_id\":\"12\"}");
    free(text);
    rs_os os2;
    RS_CHECK_INT(rs_os_from_json(j, &os2, err, sizeof err), 0);
    RS_CHECK_INT(os2.text_replaced, 1);
    RS_CHECK_STR(os2.version_codename, "bookworm\xEF\xBF\xBD");
    json_decref(j);
    /* a pretty name cut inside a character upstream is still written */
    memset(os.pretty_name, 'x', sizeof os.pretty_name - 2);
    os.pretty_name[sizeof os.pretty_name - 2] = '\xC3';
    os.pretty_name[sizeof os.pretty_name - 1] = '\0';
    j = rs_os_to_json(&os);
    RS_REQUIRE(j);
    RS_CHECK_INT(json_string_length(json_object_get(j, "pretty_name")), 126 + 3);
    json_decref(j);

    /* a tar path of 4096 bytes that are not UTF-8 is 12288 bytes as JSON: read back */
    static char longpath[4097];
    memset(longpath, '\xFF', 4096);
    rs_pkg lp = {.type = "dpkg", .name = "p", .version = "1", .path = longpath, .text_replaced = 1};
    j = rs_pkg_to_json(&lp);
    RS_CHECK_INT(json_string_length(json_object_get(j, "path")), 3 * 4096);
    RS_CHECK_INT(rs_pkg_from_json(j, &back, err, sizeof err), 0);
    RS_CHECK_INT(back.path ? (long long)strlen(back.path) : -1, 3 * 4096);
    rs_pkg_clear(&back);
    json_decref(j);

    /* the whole inventory carries both flags through a round trip */
    rs_inventory *inv = sample();
    inv->os.text_replaced = 1;
    inv->pkgs[1].text_replaced = 1;
    j = rs_inventory_to_json(inv);
    rs_inventory *again = NULL;
    RS_CHECK_INT(rs_inventory_from_json(j, &again, err, sizeof err), 0);
    RS_REQUIRE(again && again->n_pkgs == 3);
    RS_CHECK_INT(again->os.text_replaced, 1);
    RS_CHECK_INT(again->pkgs[0].text_replaced, 0);
    RS_CHECK_INT(again->pkgs[1].text_replaced, 1);
    RS_CHECK_INT(again->pkgs[2].text_replaced, 0);
    rs_inventory_free(again);
    rs_inventory_free(inv);
    json_decref(j);
}

/* Decodes an inventory whose one package (or whose OS) has "flags": flags. */
static int decode_flags(int on_os, const char *flags)
{
    char text[512];
    if (on_os)
        snprintf(text, sizeof text,
                 "{\"os\": {\"id\": \"alpine\", \"flags\": %s}, \"layers\": [], "
                 "\"packages\": []}",
                 flags);
    else
        snprintf(text, sizeof text,
                 "{\"layers\": [], \"packages\": [{\"type\": \"apk\", \"name\": \"a\", "
                 "\"version\": \"1\", \"flags\": %s}]}",
                 flags);
    return decode(text);
}

static void test_flags_untrusted(void)
{
    for (int on_os = 0; on_os < 2; on_os++) {
        RS_CHECK_INT(decode_flags(on_os, "[\"invalid-utf8\"]"), 0);
        RS_CHECK_INT(decode_flags(on_os, "[]"), 0);
        RS_CHECK_INT(decode_flags(on_os, "[\"invalid-utf8\", \"other\"]"), RS_ERR_INVALID);
        RS_CHECK_INT(decode_flags(on_os, "\"invalid-utf8\""), RS_ERR_INVALID);
        RS_CHECK_INT(decode_flags(on_os, "[1]"), RS_ERR_INVALID);
        RS_CHECK_INT(decode_flags(on_os, "null"), RS_ERR_INVALID);
    }
}

int main(void)
{
    test_ecosystem();
    test_purl();
    test_finish_and_json();
    test_untrusted();
    test_flags();
    test_flags_untrusted();
    return RS_TEST_RESULT();
}
