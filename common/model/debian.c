/* analyzers/debian.c - the Debian family (Debian and Ubuntu): OSV ecosystem
 * names, the deb purl, the source-package rule and the end-of-life table.
 * Its package database is read by dpkg.c. */
#include "model.h"

#include <stdio.h>
#include <string.h>

static int debian_owns_os(const rs_os *os)
{
    return strcmp(os->id, "debian") == 0 || strcmp(os->id, "ubuntu") == 0;
}

/* Debian's advisories name the major release ("Debian:12"), Ubuntu's the
 * whole VERSION_ID ("Ubuntu:22.04"). */
static void debian_osv_ecosystem(const rs_os *os, char *out, size_t out_size)
{
    const char *v = os->version_id;
    size_t maj = rs_ecosystem_digits(v);
    if (strcmp(os->id, "debian") == 0) {
        if (maj)
            snprintf(out, out_size, "Debian:%.*s", (int)maj, v);
    } else {
        snprintf(out, out_size, "Ubuntu:%s", v);
    }
}

static void debian_purl_parts(const rs_os *os, const char **type, const char **ns, int *lower)
{
    *type = "deb";
    *ns = os->id;
    *lower = 1; /* the deb purl type's names are lowercase */
}

/* Debian's security data names source packages at source versions. */
static void debian_match_identity(const rs_pkg *p, const char **name, const char **version)
{
    if (p->source_name)
        *name = p->source_name;
    if (p->source_version)
        *version = p->source_version;
}

/* Debian by major release, Ubuntu by VERSION_ID. */
static void debian_eol_release(const rs_os *os, char *out, size_t out_size)
{
    const char *v = os->version_id;
    if (strcmp(os->id, "debian") == 0)
        snprintf(out, out_size, "%.*s", (int)strcspn(v, "."), v);
    else
        snprintf(out, out_size, "%s", v);
}

/* Debian: end of LTS; Ubuntu LTS: end of standard support, ESM not counted;
 * interim Ubuntu releases; from the distributions' own release pages. */
static const rs_eol_release eol[] = {
    {"debian", "7", "2018-05-31"},     {"debian", "8", "2020-06-30"},
    {"debian", "9", "2022-06-30"},     {"debian", "10", "2024-06-30"},
    {"debian", "11", "2026-08-31"},    {"debian", "12", "2028-06-30"},
    {"debian", "13", "2030-06-30"},    {"ubuntu", "14.04", "2019-04-30"},
    {"ubuntu", "16.04", "2021-04-30"}, {"ubuntu", "18.04", "2023-05-31"},
    {"ubuntu", "20.04", "2025-05-31"}, {"ubuntu", "20.10", "2021-07-22"},
    {"ubuntu", "21.04", "2022-01-20"}, {"ubuntu", "21.10", "2022-07-14"},
    {"ubuntu", "22.04", "2027-06-01"}, {"ubuntu", "22.10", "2023-07-20"},
    {"ubuntu", "23.04", "2024-01-25"}, {"ubuntu", "23.10", "2024-07-11"},
    {"ubuntu", "24.04", "2029-05-31"}, {"ubuntu", "24.10", "2025-07-10"},
    {"ubuntu", "25.04", "2026-01-15"},
};

const rs_ecosystem rs_ecosystem_debian = {
    .name = "debian",
    .pkg_type = "dpkg",
    .owns_os = debian_owns_os,
    .osv_ecosystem = debian_osv_ecosystem,
    .purl_parts = debian_purl_parts,
    .match_identity = debian_match_identity,
    .eol_release = debian_eol_release,
    .eol = eol,
    .n_eol = sizeof eol / sizeof *eol,
};
