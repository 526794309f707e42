/* analyzers/rpmdb.c - the rpm package database, in whichever of its three
 * formats the image has, at the places rpm keeps it:
 *   {/var/lib,/usr/lib/sysimage,/usr/share}/rpm/rpmdb.sqlite  SQLite (rpmsqlite.c)
 *   {/var/lib,/usr/lib/sysimage,/usr/share}/rpm/Packages      BerkeleyDB hash (rpmbdb.c)
 *   {/var/lib,/usr/lib/sysimage,/usr/share}/rpm/Packages.db   ndb (rpmndb.c)
 * Each holds one header blob per installed package (rpmhdr.c), from which a
 * package of type "rpm" is made: name, "[epoch:]version-release", arch, the
 * source RPM's name and version (with the binary's epoch), and its files as
 * owned paths. The whole file is needed (SQLite and the hash pages are not
 * read front to back): it is held in memory up to max_file_size. A file that
 * is not a database of its format is an error (the walker records a skip);
 * a record or header inside it that is malformed is skipped and counted. */
#include "analyzers/rpmdb_int.h"
#include "analyzers/rpmbdb_int.h"
#include "analyzers/rpmhdr_int.h"
#include "analyzers/rpmndb_int.h"
#include "analyzers/rpmsqlite_int.h"
#include "base.h"

#include <string.h>

static const char *const dirs[] = {"/var/lib/rpm/", "/usr/lib/sysimage/rpm/", "/usr/share/rpm/"};

enum { F_NONE, F_SQLITE, F_BDB, F_NDB };

static int format_of(const char *path)
{
    for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++) {
        size_t n = strlen(dirs[i]);
        if (strncmp(path, dirs[i], n) != 0)
            continue;
        const char *base = path + n;
        if (strcmp(base, "rpmdb.sqlite") == 0)
            return F_SQLITE;
        if (strcmp(base, "Packages") == 0)
            return F_BDB;
        if (strcmp(base, "Packages.db") == 0)
            return F_NDB;
    }
    return F_NONE;
}

static int rpmdb_wants(const char *path)
{
    return format_of(path) != F_NONE;
}

struct ctx {
    const char *path;
    rs_analysis *out;
};

static int add_blob(void *arg, const uint8_t *blob, size_t len)
{
    struct ctx *c = arg;
    return rs_rpmhdr_add(c->path, blob, len, c->out);
}

static int rpmdb_parse(const char *path, const char *data, size_t len, rs_analysis *out,
                       char *errstr, size_t errsz)
{
    struct ctx c = {path, out};
    const uint8_t *d = (const uint8_t *)data;
    switch (format_of(path)) {
    case F_SQLITE:
        return rs_rpmsqlite_each(d, len, add_blob, &c, &out->n_malformed, errstr, errsz);
    case F_BDB:
        return rs_rpmbdb_each(d, len, add_blob, &c, &out->n_malformed, errstr, errsz);
    case F_NDB:
        return rs_rpmndb_each(d, len, add_blob, &c, &out->n_malformed, errstr, errsz);
    default:
        return rs_errf(errstr, errsz, RS_ERR_INVALID, "not an rpm database: '%s'", path);
    }
}

const rs_analyzer rs_analyzer_rpmdb = {
    RS_ANALYZER_ID("rpmdb", 1),
    .wants = rpmdb_wants,
    /* a full Fedora or RHEL install has an rpmdb.sqlite of 100-200 MiB;
     * container images far less. SQLite's copy doubles it for a moment. */
    .max_file_size = 256u * 1024 * 1024,
    .parse = rpmdb_parse,
};
