/* analyzers/jar.c - Maven artifacts in Java archives: *.jar, *.war, *.ear,
 * *.par, *.sar, and the archives nested in them.
 *
 * An archive is read from memory with libarchive's seekable zip reader (the
 * central directory, as the JVM reads a jar; a zip without one is invalid).
 * Each META-INF/maven/<group>/<artifact>/pom.properties is one package (a
 * shaded jar has several); without any, the MANIFEST.MF main section
 * (jarmeta.h) names it; without that, the file name ("artifact-1.2.3.jar",
 * no group). Packages: type "jar", ecosystem "Maven", name "group:artifact"
 * (the artifact alone when no group is known, which matches no advisory),
 * purl pkg:maven/<group>/<artifact>@<version>.
 *
 * Every entry named like an archive (Spring Boot's BOOT-INF/lib/, a war's
 * WEB-INF/lib/, an ear's modules, any other) is read into memory and
 * analysed the same way, down to JAR_MAX_DEPTH levels below the file; its
 * packages' path is the chain "/app/app.jar!/BOOT-INF/lib/log4j-core.jar"
 * (as Trivy and Syft write it). Budgets per file of the layer, shared by
 * its whole nesting: JAR_MAX_ENTRIES central-directory records (counted by
 * their signatures before libarchive reads them, which bounds its memory),
 * and the bytes inflated from entries that are read: 4 times the file's size
 * plus 16 MiB, at most 1 GiB, and one nested archive at most 128 MiB (it is
 * held while it is read). A nested archive that is too deep, over a budget
 * or broken is skipped alone, as a part of the file (rs_analysis.skips: the
 * walker reports "outer.jar!/inner.jar" with its code) and the rest is still
 * read; the file itself fails (a skip of the whole file) only when it is not
 * a readable zip or exceeds the entry budget. pom.properties and MANIFEST.MF
 * over 64 KiB are malformed (counted), as are entry names over 1 KiB.
 *
 * Whole-file mode, max_file_size 256 MiB: a zip's directory is at its end and
 * libarchive's streaming zip reader cannot skip stored entries written with
 * data descriptors, so the file is held once, by the walker. */
#include "analyzers/jar_int.h"
#include "analyzers/jarmeta_int.h"
#include "base.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define JAR_MAX_FILE (256u << 20)
#define JAR_MAX_DEPTH 4
#define JAR_MAX_ENTRIES 200000
#define JAR_BUDGET_MIN (16u << 20)
#define JAR_BUDGET_MAX ((uint64_t)1 << 30)
#define JAR_NESTED_MAX (128u << 20)
#define JAR_TEXT_MAX (64u << 10)
#define JAR_NAME_MAX 1024
#define JAR_PATH_MAX 4096
#define POM_PREFIX "META-INF/maven/"
#define POM_FILE "/pom.properties"

static int is_archive_name(const char *name)
{
    static const char *const ext[] = {".jar", ".war", ".ear", ".par", ".sar"};
    size_t n = strlen(name);
    for (size_t i = 0; i < sizeof ext / sizeof *ext; i++)
        if (n > 4 && strcasecmp(name + n - 4, ext[i]) == 0)
            return 1;
    return 0;
}

static int jar_wants(const char *path)
{
    const char *base = strrchr(path, '/');
    return is_archive_name(base ? base + 1 : path);
}

/* What the nesting of one file of the layer may still use. */
typedef struct budget {
    uint64_t bytes;
    size_t entries;
} budget;

/* 1 for "META-INF/maven/<group>/<artifact>/pom.properties". */
static int is_pom_properties(const char *name)
{
    size_t n = strlen(name), pl = strlen(POM_PREFIX), fl = strlen(POM_FILE);
    if (n <= pl + fl || strncmp(name, POM_PREFIX, pl) || strcmp(name + n - fl, POM_FILE))
        return 0;
    const char *g = name + pl, *slash = strchr(g, '/');
    /* exactly <group>/<artifact>, both non-empty */
    const char *end = name + n - fl;
    return slash && slash > g && slash + 1 < end && !memchr(slash + 1, '/', (size_t)(end - slash - 1));
}

/* Reads the current entry into a malloc'd buffer of at most `max` bytes,
 * charged to the budget. Returns 0, RS_ERR_LIMIT_EXCEEDED (over max or the
 * budget), RS_ERR_INVALID (unreadable) or RS_ERR_INTERNAL. */
static int read_entry(struct archive *a, budget *b, size_t max, char **out, size_t *out_len)
{
    size_t cap = 0, len = 0;
    char *buf = NULL;
    int rc = 0;
    for (;;) {
        if (len == cap) {
            /* at most one byte past max: enough to see that an entry is larger */
            size_t nc = cap ? cap * 2 : 16384;
            nc = nc > max + 1 ? max + 1 : nc;
            char *nb = realloc(buf, nc + 1);
            if (!nb) {
                rc = RS_ERR_INTERNAL;
                break;
            }
            buf = nb;
            cap = nc;
        }
        la_ssize_t got = archive_read_data(a, buf + len, cap - len);
        if (got < 0) {
            rc = RS_ERR_INVALID;
            break;
        }
        if (got == 0)
            break;
        if ((uint64_t)got > b->bytes) {
            b->bytes = 0; /* spent: what is read after this is refused too */
            rc = RS_ERR_LIMIT_EXCEEDED;
            break;
        }
        b->bytes -= (uint64_t)got;
        if (len + (size_t)got > max) {
            rc = RS_ERR_LIMIT_EXCEEDED;
            break;
        }
        len += (size_t)got;
    }
    if (rc) {
        free(buf);
        return rc;
    }
    *out = buf;
    *out_len = len;
    return 0;
}

/* Appends the package `m` (valid fields) read from the file at `path`. */
static int add_artifact(rs_analysis *out, const char *path, const rs_jarmeta *m)
{
    char name[2 * RS_JARMETA_FIELD_MAX + 2];
    snprintf(name, sizeof name, "%s%s%s", m->group, m->group[0] ? ":" : "", m->artifact);
    rs_pkg p = {0};
    p.type = (char *)"jar";
    p.ecosystem = (char *)"Maven";
    p.path = (char *)path;
    p.name = rs_utf8_dup(name, strlen(name), &p.text_replaced);
    p.version = rs_utf8_dup(m->version, strlen(m->version), &p.text_replaced);
    char *group = rs_utf8_dup(m->group, strlen(m->group), &p.text_replaced);
    char *artifact = rs_utf8_dup(m->artifact, strlen(m->artifact), &p.text_replaced);
    int rc = RS_ERR_INTERNAL;
    if (p.name && p.version && group && artifact) {
        p.purl = rs_purl_make("maven", group[0] ? group : NULL, artifact, p.version, 0);
        rc = p.purl ? rs_analysis_add_pkg(out, &p) : (out->n_malformed++, 0);
    }
    free(p.name);
    free(p.version);
    free(p.purl);
    free(group);
    free(artifact);
    return rc;
}

/* The state of one archive being read. */
typedef struct level {
    const char *path; /* "/app/a.jar" or "/app/a.jar!/lib/b.jar" */
    int depth;        /* 0 for the file of the layer */
    budget *b;
    rs_analysis *out;
    int poms;       /* pom.properties packages found */
    char *manifest; /* its MANIFEST.MF, when read */
    size_t manifest_len;
} level;

static int read_archive(level *lv, const char *data, size_t len, char *errstr, size_t errsz);

/* Moves the packages and skips of `child` into `out`. */
static int adopt(rs_analysis *out, rs_analysis *child)
{
    for (size_t i = 0; i < child->n_pkgs; i++)
        if (rs_analysis_add_pkg(out, &child->pkgs[i]))
            return RS_ERR_INTERNAL;
    for (size_t i = 0; i < child->n_skips; i++)
        if (rs_analysis_add_skip(out, child->skips[i].path, child->skips[i].err))
            return RS_ERR_INTERNAL;
    out->n_malformed += child->n_malformed;
    return 0;
}

/* The nested archive `name`, the current entry of `a`: read and analysed, or
 * skipped alone. Returns 0 or RS_ERR_INTERNAL. */
static int nested(level *lv, struct archive *a, const char *name, char *errstr, size_t errsz)
{
    char path[JAR_PATH_MAX + 1];
    int w = snprintf(path, sizeof path, "%s!/%s", lv->path, name);
    if (w < 0 || (size_t)w >= sizeof path) {
        lv->out->n_malformed++;
        return 0;
    }
    if (lv->depth + 1 > JAR_MAX_DEPTH)
        return rs_analysis_add_skip(lv->out, path, RS_ERR_LIMIT_EXCEEDED);
    char *buf = NULL;
    size_t n = 0;
    int rc = read_entry(a, lv->b, JAR_NESTED_MAX, &buf, &n);
    if (rc == RS_ERR_INTERNAL)
        return rc;
    if (rc)
        return rs_analysis_add_skip(lv->out, path, rc);
    rs_analysis child = {0};
    level sub = {path, lv->depth + 1, lv->b, &child, 0, NULL, 0};
    rc = read_archive(&sub, buf, n, errstr, errsz);
    free(buf);
    if (rc == 0)
        rc = adopt(lv->out, &child);
    else if (rc != RS_ERR_INTERNAL)
        rc = rs_analysis_add_skip(lv->out, path, rc);
    rs_analysis_clear(&child);
    return rc;
}

/* A small text entry (pom.properties, MANIFEST.MF): held, or counted as
 * malformed. Returns 0 with *out NULL when not held, or RS_ERR_INTERNAL. */
static int text_entry(level *lv, struct archive *a, char **out, size_t *n)
{
    *out = NULL;
    int rc = read_entry(a, lv->b, JAR_TEXT_MAX, out, n);
    if (rc == RS_ERR_INTERNAL)
        return rc;
    lv->out->n_malformed += rc != 0;
    return 0;
}

/* One entry of the archive. Returns 0 or RS_ERR_INTERNAL. */
static int entry(level *lv, struct archive *a, struct archive_entry *e, char *errstr, size_t errsz)
{
    const char *name = archive_entry_pathname(e);
    if (!name)
        name = archive_entry_pathname_utf8(e);
    if (!name || archive_entry_filetype(e) == AE_IFDIR)
        return 0;
    if (strlen(name) > JAR_NAME_MAX) {
        lv->out->n_malformed++;
        return 0;
    }
    char *text;
    size_t n;
    rs_jarmeta m;
    if (is_pom_properties(name)) {
        if (text_entry(lv, a, &text, &n))
            return RS_ERR_INTERNAL;
        int rc = 0;
        if (text && rs_jarmeta_pom_properties(text, n, &m)) {
            rc = add_artifact(lv->out, lv->path, &m);
            lv->poms++;
        } else if (text) {
            lv->out->n_malformed++;
        }
        free(text);
        return rc;
    }
    if (!strcasecmp(name, "META-INF/MANIFEST.MF") && !lv->manifest) {
        if (text_entry(lv, a, &text, &n))
            return RS_ERR_INTERNAL;
        lv->manifest = text;
        lv->manifest_len = n;
        return 0;
    }
    return is_archive_name(name) ? nested(lv, a, name, errstr, errsz) : 0;
}

/* Record signatures of a zip's central directory in data: at least as many
 * as the records libarchive will read. */
static size_t count_records(const char *data, size_t len)
{
    size_t n = 0;
    const char *p = data, *end = data + len;
    while ((p = memmem(p, (size_t)(end - p), "PK\x01\x02", 4))) {
        n++;
        p += 4;
    }
    return n;
}

/* Without pom.properties: the manifest, else the file name. */
static int fallback(level *lv)
{
    rs_jarmeta m;
    const char *base = strrchr(lv->path, '/');
    base = base ? base + 1 : lv->path;
    if ((lv->manifest && rs_jarmeta_manifest(lv->manifest, lv->manifest_len, &m)) ||
        rs_jarmeta_file_name(base, &m))
        return add_artifact(lv->out, lv->path, &m);
    return 0;
}

static int read_archive(level *lv, const char *data, size_t len, char *errstr, size_t errsz)
{
    size_t records = count_records(data, len);
    if (records > lv->b->entries)
        return rs_errf(errstr, errsz, RS_ERR_LIMIT_EXCEEDED,
                       "'%s' exceeds the entry budget (%u entries)", lv->path, JAR_MAX_ENTRIES);
    lv->b->entries -= records;
    struct archive *a = archive_read_new();
    if (!a)
        return rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
    int rc = 0, ar = ARCHIVE_EOF;
    struct archive_entry *e;
    if (archive_read_support_format_zip_seekable(a) != ARCHIVE_OK ||
        archive_read_open_memory(a, data, len) != ARCHIVE_OK) {
        rc = RS_ERR_INVALID;
    } else {
        while (!rc && (ar = archive_read_next_header(a, &e)) >= ARCHIVE_WARN && ar != ARCHIVE_EOF)
            rc = entry(lv, a, e, errstr, errsz);
        if (!rc && ar != ARCHIVE_EOF)
            rc = RS_ERR_INVALID;
    }
    if (rc == RS_ERR_INVALID)
        rs_errf(errstr, errsz, rc, "invalid java archive '%s'", lv->path);
    else if (rc)
        rs_errf(errstr, errsz, rc, "out of memory reading '%s'", lv->path);
    archive_read_free(a);
    if (!rc && !lv->poms && (rc = fallback(lv)))
        rs_errf(errstr, errsz, rc, "out of memory reading '%s'", lv->path);
    free(lv->manifest);
    lv->manifest = NULL;
    return rc;
}

static int jar_parse(const char *path, const char *data, size_t len, rs_analysis *out, char *errstr,
                     size_t errsz)
{
    uint64_t bytes = 4 * (uint64_t)len + JAR_BUDGET_MIN;
    budget b = {bytes < JAR_BUDGET_MAX ? bytes : JAR_BUDGET_MAX, JAR_MAX_ENTRIES};
    level lv = {path, 0, &b, out, 0, NULL, 0};
    return read_archive(&lv, data, len, errstr, errsz);
}

const rs_analyzer rs_analyzer_jar = {
    RS_ANALYZER_ID("jar", 1),
    .wants = jar_wants,
    .max_file_size = JAR_MAX_FILE,
    .parse = jar_parse,
};
