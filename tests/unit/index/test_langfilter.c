/* test_langfilter.c - the owned-files and lock-file rules through the layer
 * walker and the merge: a Debian package's egg-info and package.json are
 * reported once (as dpkg), a pip-installed one beside them as PyPI; a .list
 * removed (whiteout) or replaced by a later layer no longer owns; apk's R:
 * lines own too; the owned paths survive the per-layer JSON round trip; lock
 * files count only where no node_modules tree was read beside them. */
#include "base.h"
#include "index.h"
#include "rs_tarbuild.h"
#include "rs_testanalyzers.h"
#include "rs_test.h"

#include <string.h>

static rs_layer_result *layer(const tent *e, size_t n)
{
    size_t len;
    char *data = mktar(e, n, F_GZIP, &len), err[256] = "";
    rs_reader *r = rs_reader_mem_new(data, len);
    rs_layer_result *res = NULL;
    rs_layer_limits lim = RS_LAYER_LIMITS_DEFAULT;
    lim.analyzers = real_analyzers(); /* not the secrets analyzer's result per file */
    int rc = rs_layer_analyze(r, NULL, &lim, &res, err, sizeof err);
    RS_REQUIRE(rc == 0);
    rs_reader_destroy(r);
    free(data);
    return res;
}

/* The layer through its JSON form, as a cache or the sandbox would return it. */
static rs_layer_result *round_trip(rs_layer_result *in)
{
    json_t *j = rs_layer_result_to_json(in);
    RS_REQUIRE(j);
    rs_layer_result *out = NULL;
    char err[256];
    RS_REQUIRE(rs_layer_result_from_json(j, &out, err, sizeof err) == 0);
    json_decref(j);
    rs_layer_result_free(in);
    return out;
}

/* "type name version path" of every package, one per line, sorted as the
 * inventory sorts them. */
static char *rows(rs_layer_result **L, size_t n)
{
    rs_inventory *inv = NULL;
    char err[256];
    RS_REQUIRE(rs_merge_layers(L, NULL, n, &inv, err, sizeof err) == 0);
    static char out[4096];
    size_t o = 0;
    out[0] = '\0';
    for (size_t i = 0; i < inv->n_pkgs; i++)
        o += (size_t)snprintf(out + o, sizeof out - o, "%s %s %s %s\n", inv->pkgs[i].type,
                              inv->pkgs[i].name, inv->pkgs[i].version, inv->pkgs[i].path);
    rs_inventory_free(inv);
    for (size_t i = 0; i < n; i++)
        rs_layer_result_free(L[i]);
    return out;
}

#define OS "ID=debian\nVERSION_ID=\"12\"\n"
#define STATUS                                                                                     \
    "Package: python3-six\nStatus: install ok installed\nVersion: 1.16.0-4\n\n"                    \
    "Package: node-ms\nStatus: install ok installed\nVersion: 2.1.3+~cs0.7.31-3\n"
#define DIST "usr/lib/python3/dist-packages/"
#define LIST                                                                                       \
    "/.\n/usr\n/" DIST "six-1.16.0.egg-info\n/" DIST "six-1.16.0.egg-info/top_level.txt\n"
#define NODE_LIST "/.\n/usr/share/nodejs/node_modules/ms/package.json\n"

static const tent base[] = {
    {T_FILE, "etc/os-release", OS, 0},
    {T_FILE, "var/lib/dpkg/status", STATUS, 0},
    {T_FILE, "var/lib/dpkg/info/python3-six.list", LIST, 0},
    {T_FILE, "var/lib/dpkg/info/node-ms.list", NODE_LIST, 0},
    {T_FILE, DIST "six-1.16.0.egg-info/PKG-INFO", "Name: six\nVersion: 1.16.0\n", 0},
    {T_FILE, "usr/share/nodejs/node_modules/ms/package.json",
     "{\"name\":\"ms\",\"version\":\"2.1.3\"}", 0},
    {T_FILE, "usr/local/lib/python3.11/dist-packages/six-1.17.0.dist-info/METADATA",
     "Name: six\nVersion: 1.17.0\n", 0},
};
#define N_BASE (sizeof base / sizeof *base)

static const char DEB_ONLY[] =
    "dpkg node-ms 2.1.3+~cs0.7.31-3 /var/lib/dpkg/status\n"
    "dpkg python3-six 1.16.0-4 /var/lib/dpkg/status\n"
    "python six 1.17.0 /usr/local/lib/python3.11/dist-packages/six-1.17.0.dist-info/METADATA\n";

static void test_owned(void)
{
    rs_layer_result *L[1] = {layer(base, N_BASE)};
    RS_CHECK_STR(rows(L, 1), DEB_ONLY);
    /* the same through the JSON form */
    rs_layer_result *J[1] = {round_trip(layer(base, N_BASE))};
    RS_CHECK_INT(J[0]->n_files, 7);
    RS_CHECK_STR(rows(J, 1), DEB_ONLY);
}

static void test_whiteout_and_replace(void)
{
    /* the .list removed (dpkg --force bookkeeping): six is nobody's now */
    tent wh[] = {{T_FILE, "var/lib/dpkg/info/.wh.python3-six.list", "", 0}};
    rs_layer_result *L[2] = {layer(base, N_BASE), layer(wh, 1)};
    RS_CHECK_STR(rows(L, 2),
                 "dpkg node-ms 2.1.3+~cs0.7.31-3 /var/lib/dpkg/status\n"
                 "dpkg python3-six 1.16.0-4 /var/lib/dpkg/status\n"
                 "python six 1.16.0 /usr/lib/python3/dist-packages/six-1.16.0.egg-info/PKG-INFO\n"
                 "python six 1.17.0 /usr/local/lib/python3.11/dist-packages/six-1.17.0.dist-info/"
                 "METADATA\n");
    /* node-ms's list replaced by one that owns another file */
    tent re[] = {{T_FILE, "var/lib/dpkg/info/node-ms.list", "/usr/share/doc/node-ms\n", 0}};
    rs_layer_result *R[2] = {layer(base, N_BASE), layer(re, 1)};
    RS_CHECK_STR(rows(R, 2),
                 "dpkg node-ms 2.1.3+~cs0.7.31-3 /var/lib/dpkg/status\n"
                 "dpkg python3-six 1.16.0-4 /var/lib/dpkg/status\n"
                 "npm ms 2.1.3 /usr/share/nodejs/node_modules/ms/package.json\n"
                 "python six 1.17.0 /usr/local/lib/python3.11/dist-packages/six-1.17.0.dist-info/"
                 "METADATA\n");
    /* an opaque directory over the whole dpkg database hides every list */
    tent opq[] = {{T_FILE, "var/lib/dpkg/.wh..wh..opq", "", 0}};
    rs_layer_result *O[2] = {layer(base, N_BASE), layer(opq, 1)};
    RS_CHECK_STR(rows(O, 2),
                 "npm ms 2.1.3 /usr/share/nodejs/node_modules/ms/package.json\n"
                 "python six 1.16.0 /usr/lib/python3/dist-packages/six-1.16.0.egg-info/PKG-INFO\n"
                 "python six 1.17.0 /usr/local/lib/python3.11/dist-packages/six-1.17.0.dist-info/"
                 "METADATA\n");
}

static void test_apk(void)
{
    tent l[] = {
        {T_FILE, "etc/os-release", "ID=alpine\nVERSION_ID=3.19.1\n", 0},
        {T_FILE, "lib/apk/db/installed",
         "P:py3-six\nV:1.16.0-r8\nF:usr/lib/python3.11/site-packages/six-1.16.0.dist-info\n"
         "R:METADATA\nR:RECORD\n\n",
         0},
        {T_FILE, "usr/lib/python3.11/site-packages/six-1.16.0.dist-info/METADATA",
         "Name: six\nVersion: 1.16.0\n", 0},
    };
    rs_layer_result *L[1] = {layer(l, 3)};
    RS_CHECK_STR(rows(L, 1), "apk py3-six 1.16.0-r8 /lib/apk/db/installed\n");
}

static void test_lockfiles(void)
{
    static const char lock[] = "{\"lockfileVersion\":3,\"packages\":{"
                               "\"node_modules/ms\":{\"version\":\"2.1.3\"},"
                               "\"node_modules/debug\":{\"version\":\"4.3.4\"}}}";
    tent l[] = {
        {T_FILE, "app/package-lock.json", lock, 0},
        {T_FILE, "app/node_modules/ms/package.json", "{\"name\":\"ms\",\"version\":\"2.1.3\"}", 0},
        {T_FILE, "srv/package-lock.json", lock, 0},
        {T_FILE, "srv/sub/node_modules/ms/package.json", "{\"name\":\"ms\",\"version\":\"2.1.3\"}",
         0},
    };
    rs_layer_result *L[1] = {layer(l, 4)};
    RS_CHECK_STR(rows(L, 1), "npm debug 4.3.4 /srv/package-lock.json\n"
                             "npm ms 2.1.3 /app/node_modules/ms/package.json\n"
                             "npm ms 2.1.3 /srv/package-lock.json\n"
                             "npm ms 2.1.3 /srv/sub/node_modules/ms/package.json\n");
    /* the node_modules tree deleted in a later layer: the lock counts again */
    tent wh[] = {{T_FILE, "app/.wh.node_modules", "", 0}};
    rs_layer_result *W[2] = {layer(l, 4), layer(wh, 1)};
    RS_CHECK_STR(rows(W, 2), "npm debug 4.3.4 /app/package-lock.json\n"
                             "npm debug 4.3.4 /srv/package-lock.json\n"
                             "npm ms 2.1.3 /app/package-lock.json\n"
                             "npm ms 2.1.3 /srv/package-lock.json\n"
                             "npm ms 2.1.3 /srv/sub/node_modules/ms/package.json\n");
}

int main(void)
{
    test_owned();
    test_whiteout_and_replace();
    test_apk();
    test_lockfiles();
    return RS_TEST_RESULT();
}
