/* match.c - inventory × vulnerability database → findings (see match.h). */
#include "match.h"
#include "base.h"
#include "model.h"

#include <stdlib.h>
#include <string.h>

#define MAX_CANDIDATES 4096

static const char *const sev_names[] = {"unknown", "negligible", "low",
                                        "medium",  "high",       "critical"};

const char *rs_severity_name(rs_severity s)
{
    return (unsigned)s < 6 ? sev_names[s] : "unknown";
}

static rs_severity sev_from_word(const char *w)
{
    for (int i = 1; w && i < 6; i++)
        if (!strcmp(w, sev_names[i]))
            return (rs_severity)i;
    if (w && !strcmp(w, "none"))
        return RS_SEV_NEGLIGIBLE;
    return RS_SEV_UNKNOWN;
}

/* What one record says of severity: a CVSS v3.x score first (the version
 * from the vector's prefix), else the database's or the distribution's word
 * (Debian's "unimportant" is negligible), else a v2 score. */
static rs_severity record_severity(const rs_osv_record *r, const rs_osv_affected *a, rs_cvss *cv,
                                   int *has_cv)
{
    char err[256];
    *has_cv = 0;
    if (r->cvss3 && rs_cvss_parse(r->cvss3, cv, err, sizeof err) == 0 && cv->has_score) {
        *has_cv = 1;
        return sev_from_word(cv->severity);
    }
    rs_severity s = sev_from_word(a->severity);
    if (s == RS_SEV_UNKNOWN)
        s = sev_from_word(r->severity);
    if (s != RS_SEV_UNKNOWN)
        return s;
    if (r->cvss2 && rs_cvss_parse(r->cvss2, cv, err, sizeof err) == 0 && cv->has_score) {
        *has_cv = 1;
        return sev_from_word(cv->severity);
    }
    return RS_SEV_UNKNOWN;
}

struct cand {
    const rs_osv_record *rec;
    const rs_osv_affected *aff;
    int unknown;
    int group;
};

static int in_list(char *const *v, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(v[i], s))
            return 1;
    return 0;
}

/* Two records name the same vulnerability when one's id is an alias of the
 * other, or they share an alias. */
static int same_vuln(const rs_osv_record *a, const rs_osv_record *b)
{
    if (!strcmp(a->id, b->id) || in_list(a->aliases, a->n_aliases, b->id) ||
        in_list(b->aliases, b->n_aliases, a->id))
        return 1;
    for (size_t i = 0; i < a->n_aliases; i++)
        if (in_list(b->aliases, b->n_aliases, a->aliases[i]))
            return 1;
    return 0;
}

static int group_find(int *parent, int i)
{
    while (parent[i] != i)
        i = parent[i] = parent[parent[i]];
    return i;
}

struct strset {
    char **v;
    size_t n, cap;
};

static int set_add(struct strset *s, const char *x)
{
    if (!x || in_list(s->v, s->n, x))
        return 0;
    if (RS_GROW(s->v, s->n + 1, s->cap))
        return RS_ERR_INTERNAL;
    if (!(s->v[s->n] = strdup(x)))
        return RS_ERR_INTERNAL;
    s->n++;
    return 0;
}

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Preferred primary id: not a bare CVE (a distribution record or an
 * advisory says more), then the smallest. */
static int better_primary(const char *a, const char *b)
{
    int ca = !strncmp(a, "CVE-", 4), cb = !strncmp(b, "CVE-", 4);
    if (ca != cb)
        return cb;
    return strcmp(a, b) < 0;
}

static void finding_clear(rs_finding *f)
{
    free(f->id);
    for (size_t i = 0; i < f->n_aliases; i++)
        free(f->aliases[i]);
    free(f->aliases);
    for (size_t i = 0; i < f->n_upstream; i++)
        free(f->upstream[i]);
    free(f->upstream);
    free(f->matched_name);
    free(f->matched_version);
    for (size_t i = 0; i < f->n_fixed; i++)
        free(f->fixed[i]);
    free(f->fixed);
    free(f->nearest_fix);
    free(f->cvss_vector);
    free(f->cvss4_vector);
    free(f->summary);
    free(f->remediation);
}

void rs_match_result_free(rs_match_result *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->n; i++)
        finding_clear(&m->findings[i]);
    free(m->findings);
    free(m);
}

static int push_finding(rs_match_result *m, size_t *cap, rs_finding *f)
{
    if (RS_GROW(m->findings, m->n + 1, *cap))
        return RS_ERR_INTERNAL;
    m->findings[m->n++] = *f;
    return 0;
}

/* The name and version a package is matched by. */
static void match_identity(const rs_pkg *p, const char **name, const char **version)
{
    *name = p->name;
    *version = p->version;
    /* the family's source-package rule (model.h, the ecosystem table) */
    const rs_ecosystem *e = rs_ecosystem_for_type(p->type);
    if (e && e->match_identity)
        e->match_identity(p, name, version);
}

static void strset_free(struct strset *s)
{
    for (size_t i = 0; s->v && i < s->n; i++)
        free(s->v[i]);
    free(s->v);
    memset(s, 0, sizeof *s);
}

/* What the records of one group say together. */
struct group_acc {
    struct strset ids, ups, fixed;
    const char *primary, *summary;
    rs_severity best;
    rs_cvss best_cv;
    int best_has_cv, unknown;
    const rs_version_scheme *scheme;
};

/* Adds every fix record r gives the package of candidate c, not only the
 * matched entry's: a record can split one package over several entries. */
static int add_fixes(struct strset *fixed, const rs_osv_record *r, const struct cand *c)
{
    int rc = 0;
    for (size_t e = 0; e < r->n_affected; e++) {
        if (strcmp(r->affected[e].key, c->aff->key) != 0)
            continue;
        const char *fv[256];
        size_t nf = rs_osv_fixed_versions(&r->affected[e], fv, 256);
        for (size_t k = 0; k < nf; k++)
            rc |= set_add(fixed, fv[k]);
    }
    return rc;
}

/* Folds the candidates of `group` into g (and the first CVSS 4 vector into f). */
static int gather_group(struct cand *c, size_t n, int group, struct group_acc *g, rs_finding *f)
{
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (c[i].group != group)
            continue;
        const rs_osv_record *r = c[i].rec;
        g->unknown &= c[i].unknown;
        if (!g->scheme)
            g->scheme = rs_version_scheme_for_ecosystem(c[i].aff->ecosystem);
        if (!g->primary || better_primary(r->id, g->primary))
            g->primary = r->id;
        if (!g->summary || (!*g->summary && *r->summary))
            g->summary = r->summary;
        rc |= set_add(&g->ids, r->id);
        for (size_t k = 0; k < r->n_aliases; k++)
            rc |= set_add(&g->ids, r->aliases[k]);
        for (size_t k = 0; k < r->n_upstream; k++)
            rc |= set_add(&g->ups, r->upstream[k]);
        rc |= add_fixes(&g->fixed, r, &c[i]);
        rs_cvss cv;
        int has_cv = 0;
        rs_severity s = record_severity(r, c[i].aff, &cv, &has_cv);
        if (s > g->best || (s == g->best && has_cv && !g->best_has_cv)) {
            g->best = s;
            g->best_has_cv = has_cv;
            if (has_cv)
                g->best_cv = cv;
        }
        if (r->cvss4 && !f->cvss4_vector)
            f->cvss4_vector = strdup(r->cvss4);
    }
    return rc;
}

/* Moves the ids of g into f: aliases (every id but the primary), upstream and
 * fixed, sorted; fixed in the order of the scheme. */
static int take_ids(struct group_acc *g, rs_finding *f)
{
    size_t na = 0;
    f->aliases = calloc(g->ids.n ? g->ids.n : 1, sizeof *f->aliases);
    for (size_t i = 0; f->aliases && i < g->ids.n; i++) {
        if (!strcmp(g->ids.v[i], g->primary)) {
            free(g->ids.v[i]);
            continue;
        }
        f->aliases[na++] = g->ids.v[i];
    }
    f->n_aliases = na;
    free(g->ids.v);
    g->ids.v = NULL;
    g->ids.n = 0;
    if (na > 1)
        qsort(f->aliases, na, sizeof *f->aliases, str_cmp);
    f->upstream = g->ups.v;
    f->n_upstream = g->ups.n;
    g->ups.v = NULL;
    if (f->n_upstream > 1)
        qsort(f->upstream, f->n_upstream, sizeof *f->upstream, str_cmp);
    f->fixed = g->fixed.v;
    f->n_fixed = g->fixed.n;
    g->fixed.v = NULL;
    return rs_version_sort(g->scheme, f->fixed, f->n_fixed);
}

/* Returns the remediation text for package p matched as mname (malloc'd, or
 * NULL when out of memory). */
static char *remediation(const rs_pkg *p, const char *mname, const char *nearest_fix)
{
    rs_buf b = RS_BUF_INIT;
    if (nearest_fix) {
        if (strcmp(mname, p->name))
            rs_buf_printf(&b, "upgrade %s (source package %s) to %s or later", p->name, mname,
                          nearest_fix);
        else
            rs_buf_printf(&b, "upgrade %s to %s or later", p->name, nearest_fix);
    } else {
        rs_buf_puts(&b, "no fix available");
    }
    return rs_buf_steal(&b);
}

/* Builds one finding from the candidates of one group. */
static int build_finding(const rs_pkg *p, const char *mname, const char *mversion, struct cand *c,
                         size_t n, int group, rs_finding *f)
{
    memset(f, 0, sizeof *f);
    struct group_acc g = {.best = RS_SEV_UNKNOWN, .unknown = 1};
    int rc = gather_group(c, n, group, &g, f);
    if (rc)
        goto out;
    f->id = strdup(g.primary);
    if ((rc = take_ids(&g, f)))
        goto out;
    /* the nearest fix above what is installed: the first above it in that
     * order, since versions the scheme cannot parse come last */
    for (size_t i = 0; g.scheme && i < f->n_fixed && !f->nearest_fix; i++) {
        int cmp = 0;
        if (g.scheme->compare(f->fixed[i], mversion, &cmp) == 0 && cmp > 0)
            f->nearest_fix = strdup(f->fixed[i]);
    }
    f->pkg = p;
    f->matched_name = strdup(mname);
    f->matched_version = strdup(mversion);
    f->severity = g.best;
    if (g.best_has_cv) {
        snprintf(f->cvss_version, sizeof f->cvss_version, "%d.%d", g.best_cv.major,
                 g.best_cv.minor);
        f->cvss_score = g.best_cv.base_score;
        f->cvss_vector = strdup(g.best_cv.vector);
    }
    f->summary = strdup(g.summary ? g.summary : "");
    f->version_unknown = g.unknown;
    f->remediation = remediation(p, mname, f->nearest_fix);
    if (!f->id || !f->aliases || !f->matched_name || !f->matched_version || !f->summary ||
        !f->remediation)
        rc = RS_ERR_INTERNAL;
out:
    strset_free(&g.ids);
    strset_free(&g.ups);
    strset_free(&g.fixed);
    return rc;
}

static int finding_cmp(const void *a, const void *b)
{
    const rs_finding *x = a, *y = b;
    if (x->version_unknown != y->version_unknown)
        return x->version_unknown - y->version_unknown;
    if (x->severity != y->severity)
        return (int)y->severity - (int)x->severity;
    int c = strcmp(x->pkg->name, y->pkg->name);
    if (c)
        return c;
    c = strcmp(x->pkg->path ? x->pkg->path : "", y->pkg->path ? y->pkg->path : "");
    return c ? c : strcmp(x->id, y->id);
}

int rs_match_inventory(const rs_vulndb *db, const rs_inventory *inv, rs_match_result **out,
                       char *errstr, size_t errsz)
{
    rs_match_result *m = calloc(1, sizeof *m);
    struct cand *c = calloc(MAX_CANDIDATES, sizeof *c);
    int *parent = calloc(MAX_CANDIDATES, sizeof *parent);
    size_t cap = 0;
    int rc = 0;
    if (!m || !c || !parent) {
        rc = rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < inv->n_pkgs && rc == 0; i++) {
        const rs_pkg *p = &inv->pkgs[i];
        if (!p->ecosystem || !*p->ecosystem)
            continue;
        const char *mname, *mversion;
        match_identity(p, &mname, &mversion);
        const rs_version_scheme *scheme = rs_version_scheme_for_ecosystem(p->ecosystem);
        char base[64];
        rs_osv_ecosystem_base(p->ecosystem, base, sizeof base);
        const char *ecos[2] = {p->ecosystem, strcmp(base, p->ecosystem) ? base : NULL};
        size_t nc = 0;
        for (int e = 0; e < 2 && ecos[e]; e++) {
            char *key = NULL;
            if (rs_osv_key(ecos[e], mname, &key)) {
                rc = RS_ERR_INTERNAL;
                break;
            }
            size_t nh = 0;
            const rs_vulndb_hit *h = rs_vulndb_find(db, key, &nh);
            free(key);
            for (size_t k = 0; k < nh && nc < MAX_CANDIDATES; k++) {
                rs_osv_eval ev;
                rs_osv_evaluate(h[k].affected, scheme, mversion, &ev);
                m->git_ranges_skipped += ev.git_ranges_skipped;
                if (ev.state == RS_AFFECTED_NO)
                    continue;
                /* one record can list the same package twice (several ranges blocks) */
                int dup = 0;
                for (size_t d = 0; d < nc; d++)
                    if (c[d].rec == h[k].record) {
                        dup = 1;
                        c[d].unknown &= ev.state == RS_AFFECTED_UNKNOWN;
                    }
                if (dup)
                    continue;
                c[nc].rec = h[k].record;
                c[nc].aff = h[k].affected;
                c[nc].unknown = ev.state == RS_AFFECTED_UNKNOWN;
                nc++;
            }
        }
        if (rc || nc == 0)
            continue;
        for (size_t a = 0; a < nc; a++)
            parent[a] = (int)a;
        for (size_t a = 0; a < nc; a++)
            for (size_t b = a + 1; b < nc; b++)
                if (same_vuln(c[a].rec, c[b].rec))
                    parent[group_find(parent, (int)b)] = group_find(parent, (int)a);
        for (size_t a = 0; a < nc; a++)
            c[a].group = group_find(parent, (int)a);
        for (size_t a = 0; a < nc && rc == 0; a++) {
            if (c[a].group != (int)a)
                continue;
            rs_finding f;
            rc = build_finding(p, mname, mversion, c, nc, (int)a, &f);
            if (rc == 0)
                rc = push_finding(m, &cap, &f);
            if (rc)
                finding_clear(&f);
        }
    }
    if (rc) {
        rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory while matching");
        goto out;
    }
    if (m->n > 1)
        qsort(m->findings, m->n, sizeof *m->findings, finding_cmp);
    for (size_t i = 0; i < m->n; i++) {
        const rs_finding *f = &m->findings[i];
        if (f->version_unknown) {
            m->unconfirmed++;
            continue;
        }
        m->by_severity[f->severity]++;
        if (f->nearest_fix)
            m->fixable++;
    }
out:
    free(c);
    free(parent);
    if (rc) {
        rs_match_result_free(m);
        return rc ? rc : RS_ERR_INTERNAL;
    }
    *out = m;
    return 0;
}

/* Strings go through rs_utf8_json_string: a package name from an image or a
 * text from the database that is not UTF-8 gets U+FFFD, never fails the
 * report. */
static json_t *str_or_null(const char *s)
{
    return rs_utf8_json_string(s);
}

static json_t *strv(char *const *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++)
        if (json_array_append_new(a, str_or_null(v[i]))) {
            json_decref(a);
            return NULL;
        }
    return a;
}

/* One entry of "vulnerabilities" (new reference, NULL when out of memory). */
static json_t *finding_to_json(const rs_finding *f)
{
    json_t *cvss = json_null();
    if (f->cvss_vector)
        cvss = json_pack("{s:o, s:f, s:o}", "version", str_or_null(f->cvss_version), "score",
                         f->cvss_score, "vector", str_or_null(f->cvss_vector));
    json_t *o = json_pack(
        "{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:s, s:o, s:o, s:o, s:b, s:o, s:o, s:o, "
        "s:o, s:s}",
        "id", str_or_null(f->id), "aliases", strv(f->aliases, f->n_aliases), "upstream",
        strv(f->upstream, f->n_upstream), "ecosystem", str_or_null(f->pkg->ecosystem), "package",
        str_or_null(f->pkg->name), "purl", str_or_null(f->pkg->purl), "installed_version", str_or_null(f->pkg->version),
        "source_package", str_or_null(f->matched_name), "source_version",
        str_or_null(f->matched_version), "severity", rs_severity_name(f->severity), "cvss", cvss,
        "cvss_v4", str_or_null(f->cvss4_vector), "fixed_versions", strv(f->fixed, f->n_fixed),
        "fixable", f->nearest_fix != NULL,
        "path", str_or_null(f->pkg->path), "layer", str_or_null(f->pkg->layer ? f->pkg->layer : ""),
        "summary", str_or_null(f->summary), "remediation", str_or_null(f->remediation), "match",
        f->version_unknown ? "version-unknown" : "affected");
    if (o && rs_inventory_flags_set(o, f->pkg->text_replaced)) {
        json_decref(o);
        return NULL;
    }
    return o;
}

int rs_match_to_report(const rs_match_result *m, json_t *report)
{
    json_t *arr = json_array();
    if (!arr)
        return RS_ERR_INTERNAL;
    for (size_t i = 0; i < m->n; i++)
        if (json_array_append_new(arr, finding_to_json(&m->findings[i]))) {
            json_decref(arr);
            return RS_ERR_INTERNAL;
        }
    if (json_object_set_new(report, "vulnerabilities", arr))
        return RS_ERR_INTERNAL;
    json_t *summary = json_object_get(report, "summary");
    if (json_is_object(summary)) {
        json_t *by = json_object();
        int bad = !by;
        for (int s = RS_SEV_CRITICAL; !bad && s >= RS_SEV_UNKNOWN; s--)
            bad |= json_object_set_new(by, sev_names[s], json_integer(m->by_severity[s]));
        bad |= json_object_set_new(summary, "vulnerabilities", by);
        bad |= json_object_set_new(summary, "fixable", json_integer(m->fixable));
        bad |= json_object_set_new(summary, "unconfirmed", json_integer(m->unconfirmed));
        if (bad)
            return RS_ERR_INTERNAL;
    }
    return 0;
}

void rs_match_fingerprint(const rs_match_result *m, char out[72])
{
    rs_sha256 *h = rs_sha256_new();
    if (!h) {
        snprintf(out, 72, "%s", "");
        return;
    }
    for (size_t i = 0; i < m->n; i++) {
        const rs_finding *f = &m->findings[i];
        const char *parts[] = {f->id,
                               f->pkg->name,
                               f->pkg->version,
                               f->pkg->path ? f->pkg->path : "",
                               f->nearest_fix ? f->nearest_fix : "",
                               rs_severity_name(f->severity),
                               f->version_unknown ? "?" : "!"};
        for (size_t k = 0; k < sizeof parts / sizeof *parts; k++)
            rs_sha256_update(h, parts[k], strlen(parts[k]) + 1);
        for (size_t k = 0; k < f->n_aliases; k++)
            rs_sha256_update(h, f->aliases[k], strlen(f->aliases[k]) + 1);
        for (size_t k = 0; k < f->n_fixed; k++)
            rs_sha256_update(h, f->fixed[k], strlen(f->fixed[k]) + 1);
    }
    rs_sha256_final(h, out);
    rs_sha256_destroy(h);
}
