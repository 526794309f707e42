/* baseimage.c - the base image in an image report (report.h, "base").
 *
 * Chain ids to look a base up by its layers, the "base" object, the origin
 * of each finding, the base / application counts and the newer base tag that
 * fixes the base findings. Reads nothing but its arguments: the worker brings
 * what Redis knows, the embedded scan only the manifest's annotations. */
#include "base.h"
#include "report.h"

#include <stdlib.h>
#include <string.h>

int rs_base_chain_ids(char *const *layers, size_t n, char (*out)[65])
{
    char prev[RS_DIGEST_SIZE] = "";
    for (size_t k = 0; k < n; k++) {
        if (!layers[k] || !rs_digest_valid(layers[k]))
            return RS_ERR_INVALID;
        char d[RS_DIGEST_SIZE];
        if (k == 0) {
            snprintf(d, sizeof d, "%s", layers[0]);
        } else {
            /* "sha256:<chain(k-1)> sha256:<layer k>", as OCI's ChainID joins them */
            char joined[2 * RS_DIGEST_SIZE];
            int w = snprintf(joined, sizeof joined, "%s %s", prev, layers[k]);
            rs_sha256_digest(joined, (size_t)w, d);
        }
        memcpy(prev, d, sizeof d);
        memcpy(out[k], d + 7, 65);
    }
    return 0;
}

static void candidate_clear(rs_base_candidate *c)
{
    for (size_t i = 0; i < c->n_ids; i++)
        free(c->ids[i]);
    free(c->ids);
    memset(c, 0, sizeof *c);
}

void rs_base_clear(rs_base *b)
{
    for (size_t i = 0; i < b->n_newer; i++)
        candidate_clear(&b->newer[i]);
    free(b->newer);
    memset(b, 0, sizeof *b);
}

int rs_base_from_annotation(rs_base *b, const rs_inventory *inv)
{
    if (!inv || (!inv->base_name[0] && !inv->base_digest[0]))
        return 0;
    b->found = 1;
    snprintf(b->name, sizeof b->name, "%s", inv->base_name);
    snprintf(b->digest, sizeof b->digest, "%s", inv->base_digest);
    b->layers = -1;
    b->source = "annotation";
    return 1;
}

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

#define MALFORMED 1

/* Reads the ids of a basevulns value into c (sorted): 0, MALFORMED or RS_ERR_INTERNAL. */
static int candidate_ids(const json_t *ids, rs_base_candidate *c)
{
    if (!json_is_array(ids) || json_array_size(ids) > RS_BASE_MAX_IDS)
        return MALFORMED;
    size_t n = json_array_size(ids);
    if (n && !(c->ids = calloc(n, sizeof *c->ids)))
        return RS_ERR_INTERNAL;
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_array_get(ids, i);
        if (!json_is_string(v))
            return MALFORMED;
        if (!(c->ids[c->n_ids] = strdup(json_string_value(v))))
            return RS_ERR_INTERNAL;
        c->n_ids++;
    }
    if (c->n_ids)
        qsort(c->ids, c->n_ids, sizeof *c->ids, str_cmp);
    return 0;
}

int rs_base_add_candidate(rs_base *b, const char *name, const char *digest, int64_t created,
                          const char *vulns_json, size_t len, int64_t min_vulndb,
                          const char *platform)
{
    if (b->n_newer >= RS_BASE_MAX_CANDIDATES || !vulns_json)
        return 0;
    json_t *j = json_loadb(vulns_json, len, 0, NULL);
    json_t *ver = json_object_get(j, "vulndb_version");
    const char *plat = json_string_value(json_object_get(j, "platform"));
    int rc = 0;
    if (!json_is_integer(ver) || json_integer_value(ver) < min_vulndb || !plat ||
        (platform && platform[0] && plat[0] && strcmp(plat, platform)))
        goto out; /* older data, another platform, or not ours: not a candidate */
    if (RS_GROW(b->newer, b->n_newer + 1, b->cap_newer)) {
        rc = RS_ERR_INTERNAL;
        goto out;
    }
    rs_base_candidate *c = &b->newer[b->n_newer];
    memset(c, 0, sizeof *c);
    snprintf(c->name, sizeof c->name, "%s", name);
    snprintf(c->digest, sizeof c->digest, "%s", digest);
    c->created = created;
    int r = candidate_ids(json_object_get(j, "ids"), c);
    if (r) {
        candidate_clear(c);
        rc = r == MALFORMED ? 0 : r;
        goto out;
    }
    b->n_newer++;
out:
    json_decref(j);
    return rc;
}

/* Adds s to the sorted unique list; 0 or RS_ERR_INTERNAL. */
static int ids_add(char ***v, size_t *n, size_t *cap, const char *s)
{
    if (*n >= RS_BASE_MAX_IDS)
        return 0;
    if (RS_GROW(*v, *n + 1, *cap) || !((*v)[*n] = strdup(s)))
        return RS_ERR_INTERNAL;
    (*n)++;
    return 0;
}

char *rs_base_vulns_json(const rs_match_result *m, int64_t vulndb_version, const char *platform)
{
    char **v = NULL;
    size_t n = 0, cap = 0;
    int bad = 0;
    for (size_t i = 0; !bad && m && i < m->n; i++) {
        bad |= ids_add(&v, &n, &cap, m->findings[i].id) != 0;
        for (size_t k = 0; !bad && k < m->findings[i].n_aliases; k++)
            bad |= ids_add(&v, &n, &cap, m->findings[i].aliases[k]) != 0;
    }
    if (n)
        qsort(v, n, sizeof *v, str_cmp);
    json_t *ids = json_array();
    for (size_t i = 0; !bad && ids && i < n; i++)
        if (i == 0 || strcmp(v[i], v[i - 1]))
            bad |= json_array_append_new(ids, rs_utf8_json_string(v[i]));
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
    json_t *o = bad || !ids ? NULL
                            : json_pack("{s:I, s:o, s:O}", "vulndb_version",
                                        (json_int_t)vulndb_version, "platform",
                                        rs_utf8_json_string(platform ? platform : ""), "ids", ids);
    json_decref(ids);
    char *s = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(o);
    return s;
}

/* The index of the layer `digest` in the inventory (its first occurrence), -1 when absent. */
static long layer_index(const rs_inventory *inv, const char *digest)
{
    for (size_t i = 0; digest && inv && i < inv->n_layers; i++)
        if (!strcmp(inv->layers[i], digest))
            return (long)i;
    return -1;
}

/* "base", "application", or NULL when the split cannot be made for entry f. */
static const char *origin_of(const json_t *f, const rs_base *b, const rs_inventory *inv)
{
    if (!b || !b->found || b->layers < 0)
        return NULL;
    long i = layer_index(inv, json_string_value(json_object_get(f, "layer")));
    if (i < 0)
        return NULL;
    return i < b->layers ? "base" : "application";
}

/* 1 when a vulnerability entry has an id or alias in the candidate's ids. */
static int still_has(const json_t *f, const rs_base_candidate *c)
{
    if (!c->n_ids)
        return 0; /* bsearch takes no NULL array */
    const char *id = json_string_value(json_object_get(f, "id"));
    if (id && bsearch(&id, c->ids, c->n_ids, sizeof *c->ids, str_cmp))
        return 1;
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(f, "aliases"), i, a)
    {
        const char *s = json_string_value(a);
        if (s && bsearch(&s, c->ids, c->n_ids, sizeof *c->ids, str_cmp))
            return 1;
    }
    return 0;
}

static int is_base_finding(const json_t *f)
{
    const char *o = json_string_value(json_object_get(f, "origin"));
    return o && !strcmp(o, "base");
}

/* The candidate that fixes the most base findings of `vulns` (the newest on
 * a tie), with that count in *fixes; NULL when none fixes any. */
static const rs_base_candidate *best_newer(const rs_base *b, const json_t *vulns, long *fixes)
{
    const rs_base_candidate *best = NULL;
    *fixes = 0;
    for (size_t k = 0; k < b->n_newer; k++) {
        const rs_base_candidate *c = &b->newer[k];
        long n = 0;
        size_t i;
        json_t *f;
        json_array_foreach(vulns, i, f) n += is_base_finding(f) && !still_has(f, c);
        if (n > *fixes || (n && n == *fixes && best &&
                           (c->created > best->created ||
                            (c->created == best->created && strcmp(c->name, best->name) > 0)))) {
            best = c;
            *fixes = n;
        }
    }
    return best;
}

/* Rewrites the remediation of the base findings `c` fixes. */
static int remediate(json_t *vulns, const rs_base_candidate *c)
{
    size_t i;
    json_t *f;
    json_array_foreach(vulns, i, f)
    {
        if (!is_base_finding(f) || still_has(f, c))
            continue;
        const char *old = json_string_value(json_object_get(f, "remediation"));
        rs_buf t = RS_BUF_INIT;
        int bad = rs_buf_printf(&t, "fixed by rebuilding on %s", c->name);
        if (old && strcmp(old, "no fix available"))
            bad |= rs_buf_printf(&t, "; or %s", old);
        char *s = bad ? NULL : rs_buf_steal(&t);
        rs_buf_free(&t);
        if (!s || json_object_set_new(f, "remediation", rs_utf8_json_string(s))) {
            free(s);
            return RS_ERR_INTERNAL;
        }
        free(s);
    }
    return 0;
}

/* The "base" object, with "newer" chosen among b's candidates. */
static json_t *base_json(const rs_base *b, json_t *vulns)
{
    if (!b || !b->found)
        return json_null();
    long fixes = 0;
    const rs_base_candidate *c = b->layers >= 0 ? best_newer(b, vulns, &fixes) : NULL;
    json_t *newer = json_null();
    if (c) {
        if (remediate(vulns, c))
            return NULL;
        newer = json_pack("{s:o, s:s, s:I}", "name", rs_utf8_json_string(c->name), "digest",
                          c->digest, "fixes", (json_int_t)fixes);
    }
    return json_pack("{s:o, s:o, s:o, s:s, s:o}", "name", rs_utf8_json_string(b->name), "digest",
                     b->digest[0] ? json_string(b->digest) : json_null(), "layers",
                     b->layers >= 0 ? json_integer(b->layers) : json_null(), "source", b->source,
                     "newer", newer);
}

/* Sets "origin" on every entry of arr that names a layer (vulnerabilities);
 * counts them into n_base / n_app. */
static int set_origins(json_t *arr, const rs_base *b, const rs_inventory *inv, long *n_base,
                       long *n_app)
{
    size_t i;
    json_t *f;
    json_array_foreach(arr, i, f)
    {
        if (!json_is_object(f) || !json_object_get(f, "installed_version"))
            continue; /* a secret or a misconfiguration (in suppressed) */
        const char *o = origin_of(f, b, inv);
        if (json_object_set_new(f, "origin", o ? json_string(o) : json_null()))
            return RS_ERR_INTERNAL;
        *n_base += o && !strcmp(o, "base");
        *n_app += o && !strcmp(o, "application");
    }
    return 0;
}

int rs_report_base_apply(json_t *report, const rs_base *b, const rs_inventory *inv)
{
    json_t *vulns = json_object_get(report, "vulnerabilities");
    long n_base = 0, n_app = 0, ignore = 0;
    if (set_origins(vulns, b, inv, &n_base, &n_app) ||
        set_origins(json_object_get(report, "suppressed"), b, inv, &ignore, &ignore))
        return RS_ERR_INTERNAL;
    int split = b && b->found && b->layers >= 0;
    json_t *summary = json_object_get(report, "summary");
    if (json_is_object(summary) &&
        (json_object_set_new(summary, "base", split ? json_integer(n_base) : json_null()) ||
         json_object_set_new(summary, "application", split ? json_integer(n_app) : json_null())))
        return RS_ERR_INTERNAL;
    json_t *bj = base_json(b, vulns);
    if (!bj || json_object_set_new(report, "base", bj))
        return RS_ERR_INTERNAL;
    return 0;
}

void rs_base_fingerprint(const rs_base *b, const char *in, char out[RS_DIGEST_SIZE])
{
    rs_buf t = RS_BUF_INIT;
    int bad = rs_buf_printf(&t, "%s\n", in);
    if (b && b->found) {
        bad |= rs_buf_printf(&t, "%s\n%s\n%ld\n%s\n", b->name, b->digest, b->layers, b->source);
        for (size_t k = 0; k < b->n_newer; k++) {
            const rs_base_candidate *c = &b->newer[k];
            bad |= rs_buf_printf(&t, "%s %s %lld:", c->name, c->digest, (long long)c->created);
            for (size_t i = 0; i < c->n_ids; i++)
                bad |= rs_buf_printf(&t, " %s", c->ids[i]);
            bad |= rs_buf_puts(&t, "\n");
        }
    }
    char d[RS_DIGEST_SIZE];
    if (bad)
        snprintf(d, sizeof d, "%s", in); /* out of memory: the fingerprint stays */
    else
        rs_sha256_digest(t.data, t.len, d);
    rs_buf_free(&t);
    memcpy(out, d, RS_DIGEST_SIZE);
}
