/* analyzers/ecosystem.h - what regscan knows about one family of
 * distributions, behind one table of function pointers.
 *
 * Everything about one ecosystem has one home: its OSV ecosystem names, its
 * purl type, its source-package rule for matching and its end-of-life table
 * sit in one file per family (debian.c for Debian and Ubuntu, alpine.c,
 * rpm.c), next to the analyzer that reads its package database. inventory.c,
 * match.c and eol.c call through this table and know no distribution. */
#ifndef RS_ECOSYSTEM_H
#define RS_ECOSYSTEM_H

#include <stddef.h>

#include "inventory.h"

/* One release's end of security support. */
typedef struct rs_eol_release {
    const char *id;      /* os-release ID */
    const char *release; /* as the family's eol_release writes it */
    const char *date;    /* "YYYY-MM-DD" */
} rs_eol_release;

typedef struct rs_ecosystem {
    const char *name;     /* "debian" (Debian and Ubuntu), "alpine", "rpm" */
    const char *pkg_type; /* the rs_pkg.type of its packages: "dpkg", "apk", "rpm" */
    /* 1 when `os` (found) is a release of this family. NULL: no OS known yet. */
    int (*owns_os)(const rs_os *os);
    /* Writes the OSV ecosystem of its packages on `os` (one it owns, with a
     * VERSION_ID): "Debian:12", "Alpine:v3.19"; "" when the version says none. */
    void (*osv_ecosystem)(const rs_os *os, char *out, size_t out_size);
    /* The purl type and namespace of its packages on `os` (one it owns);
     * *lower is 1 when the type's names are lowercase. */
    void (*purl_parts)(const rs_os *os, const char **type, const char **ns, int *lower);
    /* 1 when a version's "EPOCH:" prefix goes to the purl's epoch qualifier
     * (the rpm purl type), 0 when it stays in the version (deb). */
    int purl_epoch;
    /* The name and version a package is matched by (its source-package rule).
     * NULL: the package's own. */
    void (*match_identity)(const rs_pkg *p, const char **name, const char **version);
    /* Writes the release of `os` (one it owns) as its eol table names it. */
    void (*eol_release)(const rs_os *os, char *out, size_t out_size);
    const rs_eol_release *eol; /* the end-of-life table, n_eol entries */
    size_t n_eol;
} rs_ecosystem;

/* The NULL-terminated table of every ecosystem backend, in a fixed order. */
const rs_ecosystem *const *rs_ecosystems_all(void);
/* The backend of packages of type `type` (rs_pkg.type), or NULL. */
const rs_ecosystem *rs_ecosystem_for_type(const char *type);
/* The backend that owns `os` (found), or NULL. */
const rs_ecosystem *rs_ecosystem_for_os(const rs_os *os);
/* Writes the OSV ecosystem the OS packages of `os` are matched in
 * ("Debian:12", "Rocky Linux:9"); "" when no OSV source covers that release
 * (Amazon Linux, Fedora, CentOS, an OS no family knows). */
void rs_ecosystem_os_source(const rs_os *os, char *out, size_t out_size);
/* The number of ASCII digits `s` starts with (for VERSION_ID parsing). */
size_t rs_ecosystem_digits(const char *s);

extern const rs_ecosystem rs_ecosystem_debian;
extern const rs_ecosystem rs_ecosystem_alpine;
extern const rs_ecosystem rs_ecosystem_rpm;

#endif
