/* analyzers/alpine.c - Alpine Linux: OSV ecosystem names, the apk purl, the
 * origin-package rule and the end-of-life table. Its package database is
 * read by apk.c. */
#include "model.h"

#include <stdio.h>
#include <string.h>

static int alpine_owns_os(const rs_os *os)
{
    return strcmp(os->id, "alpine") == 0;
}

/* Alpine's advisories name the branch: "Alpine:v3.19" for VERSION_ID 3.19.1. */
static void alpine_osv_ecosystem(const rs_os *os, char *out, size_t out_size)
{
    const char *v = os->version_id;
    size_t maj = rs_ecosystem_digits(v);
    if (maj && v[maj] == '.') {
        size_t min = rs_ecosystem_digits(v + maj + 1);
        if (min)
            snprintf(out, out_size, "Alpine:v%.*s", (int)(maj + 1 + min), v);
    }
}

static void alpine_purl_parts(const rs_os *os, const char **type, const char **ns, int *lower)
{
    (void)os;
    *type = "apk";
    *ns = "alpine";
    *lower = 1;
}

/* Alpine's security data names the origin package at the binary's version
 * (an origin has no version of its own in the database). */
static void alpine_match_identity(const rs_pkg *p, const char **name, const char **version)
{
    (void)version;
    if (p->source_name)
        *name = p->source_name;
}

/* The branch: major.minor. */
static void alpine_eol_release(const rs_os *os, char *out, size_t out_size)
{
    const char *v = os->version_id;
    size_t a = strcspn(v, ".");
    size_t b = v[a] ? a + 1 + strcspn(v + a + 1, ".") : a;
    snprintf(out, out_size, "%.*s", (int)b, v);
}

/* End of the branch's security fixes, from Alpine's release page. */
static const rs_eol_release eol[] = {
    {"alpine", "3.12", "2022-05-01"}, {"alpine", "3.13", "2022-11-01"},
    {"alpine", "3.14", "2023-05-01"}, {"alpine", "3.15", "2023-11-01"},
    {"alpine", "3.16", "2024-05-23"}, {"alpine", "3.17", "2024-11-22"},
    {"alpine", "3.18", "2025-05-09"}, {"alpine", "3.19", "2025-11-01"},
    {"alpine", "3.20", "2026-04-01"}, {"alpine", "3.21", "2026-11-01"},
    {"alpine", "3.22", "2027-05-01"},
};

const rs_ecosystem rs_ecosystem_alpine = {
    .name = "alpine",
    .pkg_type = "apk",
    .owns_os = alpine_owns_os,
    .osv_ecosystem = alpine_osv_ecosystem,
    .purl_parts = alpine_purl_parts,
    .match_identity = alpine_match_identity,
    .eol_release = alpine_eol_release,
    .eol = eol,
    .n_eol = sizeof eol / sizeof *eol,
};
