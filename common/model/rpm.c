/* analyzers/rpm.c - the RPM family, so far only its source-package rule:
 * packages of type "rpm" are matched by their source RPM's name and version.
 * Its OS releases, OSV ecosystem names, purl and end-of-life table come with
 * its package-database analyzer. */
#include "ecosystem.h"

static void rpm_match_identity(const rs_pkg *p, const char **name, const char **version)
{
    if (p->source_name)
        *name = p->source_name;
    if (p->source_version)
        *version = p->source_version;
}

const rs_ecosystem rs_ecosystem_rpm = {
    .name = "rpm",
    .pkg_type = "rpm",
    .match_identity = rpm_match_identity,
};
