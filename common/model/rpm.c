/* model/rpm.c - the RPM family: RHEL, CentOS, Rocky Linux, AlmaLinux,
 * Fedora, Amazon Linux, Azure Linux / CBL-Mariner, SUSE and openSUSE. Their
 * OSV ecosystem names, the rpm purl, the source-package rule and the
 * end-of-life tables. Its package databases are read by
 * index/analyzers/rpmdb.c and rpmmanifest.c.
 *
 * OSV ecosystems, as the OSV schema's ecosystems.json and the records
 * osv.dev imports name them:
 *   rhel 9.x         "Red Hat:enterprise_linux:9::baseos" (a CPE of the
 *                    product stream; AppStream packages are published under
 *                    "...::appstream", which this one name does not cover)
 *   rocky 9.x        "Rocky Linux:9"        almalinux 9.x   "AlmaLinux:9"
 *   azurelinux 3.0   "Azure Linux:3"        mariner 2.0     "Azure Linux:2"
 *   sles 15.5        "SUSE:" + PRETTY_NAME without "SUSE " ("SUSE:Linux
 *                    Enterprise Server 15 SP5"); sles_sap alike
 *   opensuse-leap    "openSUSE:Leap 15.5"   opensuse-tumbleweed "openSUSE:Tumbleweed"
 * CentOS, Fedora, Amazon Linux and CBL-Mariner 1.0 have none: their packages
 * are listed with no ecosystem and the report says no source covers them.
 * Records name source packages: packages are matched by their source RPM's
 * name, at its version with the package's epoch. */
#include "model.h"

#include <stdio.h>
#include <string.h>

/* One distribution: os-release ID, purl namespace, OSV ecosystem base and
 * how it names releases. */
enum { REL_NONE, REL_MAJOR, REL_RHEL, REL_SUSE, REL_LEAP, REL_TUMBLEWEED };

typedef struct distro {
    const char *id, *ns, *osv;
    int rel;
} distro;

static const distro distros[] = {
    {"rhel", "redhat", "Red Hat", REL_RHEL},
    {"centos", "centos", NULL, REL_NONE},
    {"rocky", "rocky-linux", "Rocky Linux", REL_MAJOR},
    {"almalinux", "almalinux", "AlmaLinux", REL_MAJOR},
    {"fedora", "fedora", NULL, REL_NONE},
    {"amzn", "amazon", NULL, REL_NONE},
    {"azurelinux", "azure-linux", "Azure Linux", REL_MAJOR},
    {"mariner", "azure-linux", "Azure Linux", REL_MAJOR},
    {"sles", "suse", "SUSE", REL_SUSE},
    {"sles_sap", "suse", "SUSE", REL_SUSE},
    {"opensuse-leap", "opensuse", "openSUSE", REL_LEAP},
    {"opensuse-tumbleweed", "opensuse", "openSUSE", REL_TUMBLEWEED},
};

static const distro *distro_of(const rs_os *os)
{
    for (size_t i = 0; i < sizeof distros / sizeof *distros; i++)
        if (strcmp(os->id, distros[i].id) == 0)
            return &distros[i];
    return NULL;
}

static int rpm_owns_os(const rs_os *os)
{
    return distro_of(os) != NULL;
}

/* SUSE: the product's marketing name, PRETTY_NAME without "SUSE ". */
static void suse_release(const rs_os *os, char *out, size_t out_size)
{
    if (strncmp(os->pretty_name, "SUSE ", 5) == 0 && os->pretty_name[5])
        snprintf(out, out_size, "SUSE:%s", os->pretty_name + 5);
}

static void rpm_osv_ecosystem(const rs_os *os, char *out, size_t out_size)
{
    const distro *d = distro_of(os);
    const char *v = os->version_id;
    int maj = (int)rs_ecosystem_digits(v);
    if (!d || !d->osv)
        return;
    switch (d->rel) {
    case REL_MAJOR:
        /* CBL-Mariner 1.0 predates the Azure Linux data */
        if (maj && !(strcmp(d->id, "mariner") == 0 && strncmp(v, "1.", 2) == 0))
            snprintf(out, out_size, "%s:%.*s", d->osv, maj, v);
        break;
    case REL_RHEL:
        if (maj)
            snprintf(out, out_size, "Red Hat:enterprise_linux:%.*s::baseos", maj, v);
        break;
    case REL_SUSE:
        suse_release(os, out, out_size);
        break;
    case REL_LEAP:
        snprintf(out, out_size, "openSUSE:Leap %s", v);
        break;
    case REL_TUMBLEWEED:
        snprintf(out, out_size, "openSUSE:Tumbleweed");
        break;
    }
}

static void rpm_purl_parts(const rs_os *os, const char **type, const char **ns, int *lower)
{
    const distro *d = distro_of(os);
    *type = "rpm";
    *ns = d ? d->ns : os->id;
    *lower = 0; /* rpm names are case-sensitive */
}

static void rpm_match_identity(const rs_pkg *p, const char **name, const char **version)
{
    if (p->source_name)
        *name = p->source_name;
    if (p->source_version)
        *version = p->source_version;
}

/* Most by major release; Amazon Linux, SUSE and openSUSE Leap by VERSION_ID
 * ("2023", "15.5"), Fedora by its release number. */
static void rpm_eol_release(const rs_os *os, char *out, size_t out_size)
{
    const char *v = os->version_id;
    const distro *d = distro_of(os);
    int whole = d && (d->rel == REL_SUSE || d->rel == REL_LEAP || strcmp(d->id, "amzn") == 0);
    snprintf(out, out_size, "%.*s", whole ? (int)strlen(v) : (int)strcspn(v, "."), v);
}

/* End of maintenance (RHEL and its rebuilds: end of Maintenance Support, ELS
 * not counted; SUSE: end of general support of the service pack, LTSS not
 * counted; CentOS 8 is CentOS Linux, 9 CentOS Stream), from the vendors'
 * life-cycle pages. openSUSE Tumbleweed rolls and has none. */
static const rs_eol_release eol[] = {
    {"rhel", "7", "2024-06-30"},         {"rhel", "8", "2029-05-31"},
    {"rhel", "9", "2032-05-31"},         {"centos", "7", "2024-06-30"},
    {"centos", "8", "2021-12-31"},       {"centos", "9", "2027-05-31"},
    {"rocky", "8", "2029-05-31"},        {"rocky", "9", "2032-05-31"},
    {"almalinux", "8", "2029-03-01"},    {"almalinux", "9", "2032-05-31"},
    {"fedora", "37", "2023-12-05"},      {"fedora", "38", "2024-05-21"},
    {"fedora", "39", "2024-11-26"},      {"fedora", "40", "2025-05-13"},
    {"fedora", "41", "2025-12-15"},      {"amzn", "2", "2026-06-30"},
    {"amzn", "2023", "2029-06-30"},      {"mariner", "1", "2023-07-31"},
    {"mariner", "2", "2025-07-31"},      {"sles", "12.5", "2024-10-31"},
    {"sles", "15.3", "2022-12-31"},      {"sles", "15.4", "2023-12-31"},
    {"sles", "15.5", "2024-12-31"},      {"sles", "15.6", "2025-12-31"},
    {"opensuse-leap", "15.3", "2022-12-31"}, {"opensuse-leap", "15.4", "2023-12-07"},
    {"opensuse-leap", "15.5", "2024-12-31"}, {"opensuse-leap", "15.6", "2026-04-30"},
};

const rs_ecosystem rs_ecosystem_rpm = {
    .name = "rpm",
    .pkg_type = "rpm",
    .owns_os = rpm_owns_os,
    .osv_ecosystem = rpm_osv_ecosystem,
    .purl_parts = rpm_purl_parts,
    .purl_epoch = 1, /* purl spec, rpm type: the epoch is a qualifier */
    .match_identity = rpm_match_identity,
    .eol_release = rpm_eol_release,
    .eol = eol,
    .n_eol = sizeof eol / sizeof *eol,
};
