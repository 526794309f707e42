/* test_ecosystem.c - the table of ecosystem backends: lookups by package type
 * and by OS, each family's hooks, and the consistency of the eol tables. */
#include "model.h"
#include "rs_test.h"

#include <stdio.h>
#include <string.h>

static rs_os mkos(const char *id, const char *version_id)
{
    rs_os o = {0};
    o.found = 1;
    snprintf(o.id, sizeof o.id, "%s", id);
    snprintf(o.version_id, sizeof o.version_id, "%s", version_id);
    return o;
}

static void test_lookup(void)
{
    RS_CHECK(rs_ecosystem_for_type("dpkg") == &rs_ecosystem_debian);
    RS_CHECK(rs_ecosystem_for_type("apk") == &rs_ecosystem_alpine);
    RS_CHECK(rs_ecosystem_for_type("rpm") == &rs_ecosystem_rpm);
    RS_CHECK(rs_ecosystem_for_type("npm") == NULL);
    RS_CHECK(rs_ecosystem_for_type(NULL) == NULL);
    rs_os o = mkos("ubuntu", "22.04");
    RS_CHECK(rs_ecosystem_for_os(&o) == &rs_ecosystem_debian);
    o = mkos("alpine", "3.19.1");
    RS_CHECK(rs_ecosystem_for_os(&o) == &rs_ecosystem_alpine);
    o = mkos("fedora", "40");
    RS_CHECK(rs_ecosystem_for_os(&o) == &rs_ecosystem_rpm);
    o = mkos("arch", "20240101");
    RS_CHECK(rs_ecosystem_for_os(&o) == NULL);
    o.found = 0;
    RS_CHECK(rs_ecosystem_for_os(&o) == NULL);
    RS_CHECK(rs_ecosystem_for_os(NULL) == NULL);
}

static void test_hooks(void)
{
    char out[64] = "";
    rs_os o = mkos("debian", "12.5");
    rs_ecosystem_debian.osv_ecosystem(&o, out, sizeof out);
    RS_CHECK_STR(out, "Debian:12");
    rs_ecosystem_debian.eol_release(&o, out, sizeof out);
    RS_CHECK_STR(out, "12");
    o = mkos("alpine", "3.19.1");
    rs_ecosystem_alpine.osv_ecosystem(&o, out, sizeof out);
    RS_CHECK_STR(out, "Alpine:v3.19");
    rs_ecosystem_alpine.eol_release(&o, out, sizeof out);
    RS_CHECK_STR(out, "3.19");
    /* source rules: Debian and RPM take the source's name and version,
     * Alpine the origin's name at the binary's version */
    rs_pkg p = {0};
    p.name = "libssl3";
    p.version = "3.0.11-1";
    p.source_name = "openssl";
    p.source_version = "3.0.11-1~deb12u2";
    const char *n = p.name, *v = p.version;
    rs_ecosystem_debian.match_identity(&p, &n, &v);
    RS_CHECK_STR(n, "openssl");
    RS_CHECK_STR(v, "3.0.11-1~deb12u2");
    n = p.name, v = p.version;
    rs_ecosystem_rpm.match_identity(&p, &n, &v);
    RS_CHECK_STR(n, "openssl");
    RS_CHECK_STR(v, "3.0.11-1~deb12u2");
    n = p.name, v = p.version;
    rs_ecosystem_alpine.match_identity(&p, &n, &v);
    RS_CHECK_STR(n, "openssl");
    RS_CHECK_STR(v, "3.0.11-1");
}

/* Every row of a family's table names an OS the family owns, and a date. */
static void test_eol_tables(void)
{
    size_t rows = 0;
    for (const rs_ecosystem *const *e = rs_ecosystems_all(); *e; e++) {
        for (size_t i = 0; i < (*e)->n_eol; i++, rows++) {
            rs_os o = mkos((*e)->eol[i].id, (*e)->eol[i].release);
            RS_CHECK((*e)->owns_os && (*e)->owns_os(&o));
            RS_CHECK_INT(strlen((*e)->eol[i].date), 10);
        }
    }
    RS_CHECK_INT(rows, 60);
}

int main(void)
{
    test_lookup();
    test_hooks();
    test_eol_tables();
    return RS_TEST_RESULT();
}
