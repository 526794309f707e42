/* osv.c - OSV records: parse, keys, range evaluation (see osv.h). */
#include "match.h"
#include "base.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define MAX_STR 65536
#define MAX_ID 256
#define MAX_AFFECTED 20000
#define MAX_RANGES 1000
#define MAX_EVENTS 10000
#define MAX_VERSIONS 200000
#define MAX_ALIASES 1000

static void strv_free(char **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}

void rs_osv_affected_clear(rs_osv_affected *a)
{
    free(a->ecosystem);
    free(a->name);
    free(a->key);
    for (size_t i = 0; i < a->n_ranges; i++) {
        for (size_t k = 0; k < a->ranges[i].n_events; k++)
            free(a->ranges[i].events[k].version);
        free(a->ranges[i].events);
    }
    free(a->ranges);
    strv_free(a->versions, a->n_versions);
    free(a->severity);
}

void rs_osv_record_free(rs_osv_record *r)
{
    if (!r)
        return;
    free(r->id);
    strv_free(r->aliases, r->n_aliases);
    strv_free(r->upstream, r->n_upstream);
    free(r->summary);
    free(r->modified);
    free(r->cvss2);
    free(r->cvss3);
    free(r->cvss4);
    free(r->severity);
    for (size_t i = 0; i < r->n_affected; i++)
        rs_osv_affected_clear(&r->affected[i]);
    free(r->affected);
    free(r);
}

/* A string field: NULL when absent; *bad set when present but not a string
 * or longer than max. */
static const char *get_str(const json_t *o, const char *key, size_t max, int *bad)
{
    json_t *v = json_object_get(o, key);
    if (!v || json_is_null(v))
        return NULL;
    if (!json_is_string(v) || json_string_length(v) > max || json_string_length(v) == 0 ||
        strlen(json_string_value(v)) != json_string_length(v)) {
        *bad = 1;
        return NULL;
    }
    return json_string_value(v);
}

/* A free text (summary, details, modified): as get_str, but "" is no text rather than
 * a bad one; the compact form writes a record without them that way. */
static const char *get_text(const json_t *o, const char *key, size_t max, int *bad)
{
    json_t *v = json_object_get(o, key);
    return json_is_string(v) && json_string_length(v) == 0 ? NULL : get_str(o, key, max, bad);
}

/* Maps the many spellings of a severity to ours; "" when unknown. */
static const char *severity_word(const char *s)
{
    if (!s)
        return "";
    char w[32];
    size_t n = strlen(s);
    if (n >= sizeof w)
        return "";
    for (size_t i = 0; i <= n; i++)
        w[i] = (char)tolower((unsigned char)s[i]);
    if (!strcmp(w, "critical"))
        return "critical";
    if (!strcmp(w, "high") || !strcmp(w, "important"))
        return "high";
    if (!strcmp(w, "medium") || !strcmp(w, "moderate"))
        return "medium";
    if (!strcmp(w, "low"))
        return "low";
    if (!strcmp(w, "negligible") || !strcmp(w, "unimportant"))
        return "negligible";
    return "";
}

static int add_id(const char *self, char ***list, size_t *n, size_t *cap, const char *a)
{
    if (!a || !*a || !strcmp(a, self))
        return 0;
    for (size_t i = 0; i < *n; i++)
        if (!strcmp((*list)[i], a))
            return 0;
    if (*n >= MAX_ALIASES)
        return RS_ERR_INVALID;
    if (RS_GROW(*list, *n + 1, *cap) || !((*list)[*n] = strdup(a)))
        return RS_ERR_INTERNAL;
    (*n)++;
    return 0;
}

/* Reads a `severity` array: CVSS vectors by their prefix (not by `type`),
 * a distribution's word (Ubuntu's priority) as a severity. */
static int read_severity(const json_t *arr, char **cvss2, char **cvss3, char **cvss4, char **word)
{
    if (!arr || json_is_null(arr))
        return 0;
    if (!json_is_array(arr))
        return RS_ERR_INVALID;
    size_t i;
    json_t *e;
    json_array_foreach(arr, i, e)
    {
        int bad = 0;
        const char *score = get_str(e, "score", 1024, &bad);
        const char *type = get_str(e, "type", 64, &bad);
        if (bad || !score)
            return RS_ERR_INVALID;
        char **slot = NULL;
        if (!strncmp(score, "CVSS:3.", 7))
            slot = cvss3;
        else if (!strncmp(score, "CVSS:4.", 7))
            slot = cvss4;
        else if (!strncmp(score, "AV:", 3) && type && !strcmp(type, "CVSS_V2"))
            slot = cvss2;
        else if (*severity_word(score))
            slot = word;
        if (slot && !*slot &&
            !(*slot = (slot == word ? strdup(severity_word(score)) : strdup(score))))
            return RS_ERR_INTERNAL;
    }
    return 0;
}

static int parse_range(const json_t *j, rs_osv_range *r, char *errstr, size_t errsz,
                       const char *where)
{
    int bad = 0;
    const char *type = get_str(j, "type", 32, &bad);
    if (bad || !type)
        return rs_errf(errstr, errsz, RS_ERR_INVALID, "%s.type: missing or not a string", where);
    if (!strcmp(type, "ECOSYSTEM"))
        r->type = RS_RANGE_ECOSYSTEM;
    else if (!strcmp(type, "SEMVER"))
        r->type = RS_RANGE_SEMVER;
    else if (!strcmp(type, "GIT"))
        r->type = RS_RANGE_GIT;
    else
        return rs_errf(errstr, errsz, RS_ERR_INVALID, "%s.type: unknown range type '%.32s'", where,
                       type);
    json_t *events = json_object_get(j, "events");
    if (!json_is_array(events) || json_array_size(events) == 0 ||
        json_array_size(events) > MAX_EVENTS)
        return rs_errf(errstr, errsz, RS_ERR_INVALID, "%s.events: not a non-empty array", where);
    r->events = calloc(json_array_size(events), sizeof *r->events);
    if (!r->events)
        return RS_ERR_INTERNAL;
    static const char *names[] = {"introduced", "fixed", "last_affected", "limit"};
    size_t i;
    json_t *e;
    int introduced = 0;
    json_array_foreach(events, i, e)
    {
        if (!json_is_object(e) || json_object_size(e) != 1)
            return rs_errf(errstr, errsz, RS_ERR_INVALID,
                           "%s.events[%zu]: not an object with one key", where, i);
        int kind = -1;
        for (int k = 0; k < 4; k++)
            if (json_object_get(e, names[k]))
                kind = k;
        const char *v = kind >= 0 ? get_str(e, names[kind], 1024, &bad) : NULL;
        if (kind < 0 || bad || !v)
            return rs_errf(errstr, errsz, RS_ERR_INVALID, "%s.events[%zu]: unknown event", where,
                           i);
        introduced |= kind == RS_EV_INTRODUCED;
        r->events[r->n_events].kind = (rs_event_kind)kind;
        if (!(r->events[r->n_events].version = strdup(v)))
            return RS_ERR_INTERNAL;
        r->n_events++;
    }
    if (!introduced)
        return rs_errf(errstr, errsz, RS_ERR_INVALID, "%s.events: no introduced event", where);
    return 0;
}

/* The array `key` of j in *out: NULL when absent or null, RS_ERR_INVALID when
 * it is not an array or has more than max elements. */
static int optional_array(const json_t *j, const char *key, size_t max, const char *where,
                          json_t **out, char *errstr, size_t errsz)
{
    json_t *v = json_object_get(j, key);
    *out = NULL;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_array(v) || json_array_size(v) > max)
        return rs_errf(errstr, errsz, RS_ERR_INVALID, "%s.%s: not an array", where, key);
    *out = v;
    return 0;
}

static int parse_affected(const json_t *j, rs_osv_affected *a, char *errstr, size_t errsz,
                          size_t idx)
{
    char where[64];
    snprintf(where, sizeof where, "affected[%zu]", idx);
    json_t *pkg = json_object_get(j, "package");
    int bad = 0;
    const char *eco = get_str(pkg, "ecosystem", 256, &bad);
    const char *name = get_str(pkg, "name", 1024, &bad);
    if (bad || !eco || !name)
        return rs_errf(errstr, errsz, RS_ERR_INVALID, "%s.package: ecosystem and name required",
                       where);
    if (!(a->ecosystem = strdup(eco)) || !(a->name = strdup(name)) ||
        rs_osv_key(eco, name, &a->key))
        return RS_ERR_INTERNAL;
    json_t *ranges = NULL, *versions = NULL;
    int rc = optional_array(j, "ranges", MAX_RANGES, where, &ranges, errstr, errsz);
    if (rc)
        return rc;
    if (ranges) {
        a->ranges = calloc(json_array_size(ranges) + 1, sizeof *a->ranges);
        if (!a->ranges)
            return RS_ERR_INTERNAL;
        size_t i;
        json_t *r;
        json_array_foreach(ranges, i, r)
        {
            char w2[96];
            snprintf(w2, sizeof w2, "%s.ranges[%zu]", where, i);
            rc = parse_range(r, &a->ranges[a->n_ranges], errstr, errsz, w2);
            a->n_ranges++;
            if (rc)
                return rc;
        }
    }
    if ((rc = optional_array(j, "versions", MAX_VERSIONS, where, &versions, errstr, errsz)))
        return rc;
    if (versions) {
        a->versions = calloc(json_array_size(versions) + 1, sizeof *a->versions);
        if (!a->versions)
            return RS_ERR_INTERNAL;
        size_t i;
        json_t *v;
        json_array_foreach(versions, i, v)
        {
            if (!json_is_string(v) || json_string_length(v) > 1024)
                return rs_errf(errstr, errsz, RS_ERR_INVALID, "%s.versions[%zu]: not a string",
                               where, i);
            if (!(a->versions[a->n_versions] = strdup(json_string_value(v))))
                return RS_ERR_INTERNAL;
            a->n_versions++;
        }
    }
    /* per-package severity: affected[].severity, Debian's urgency */
    char *c2 = NULL, *c3 = NULL, *c4 = NULL, *word = NULL;
    if (read_severity(json_object_get(j, "severity"), &c2, &c3, &c4, &word))
        bad = 1;
    const char *urgency = get_str(json_object_get(j, "ecosystem_specific"), "urgency", 64, &bad);
    const char *sev = word ? word : severity_word(urgency);
    a->severity = strdup(sev ? sev : "");
    free(c2);
    free(c3);
    free(c4);
    free(word);
    if (!a->severity)
        return RS_ERR_INTERNAL;
    return 0;
}

int rs_osv_parse(const json_t *j, rs_osv_record **out, char *errstr, size_t errsz)
{
    *out = NULL;
    if (!json_is_object(j))
        return rs_errf(errstr, errsz, RS_ERR_INVALID, "record is not a JSON object");
    rs_osv_record *r = calloc(1, sizeof *r);
    if (!r)
        return RS_ERR_INTERNAL;
    int bad = 0, rc = 0;
    const char *id = get_str(j, "id", MAX_ID, &bad);
    if (bad || !id) {
        rc = rs_errf(errstr, errsz, RS_ERR_INVALID, "id: missing or not a string");
        goto fail;
    }
    r->id = strdup(id);
    const char *summary = get_text(j, "summary", MAX_STR, &bad);
    const char *details = summary ? NULL : get_text(j, "details", MAX_STR * 4, &bad);
    const char *modified = get_text(j, "modified", 64, &bad);
    r->withdrawn = get_str(j, "withdrawn", 64, &bad) != NULL;
    if (bad) {
        rc = rs_errf(errstr, errsz, RS_ERR_INVALID,
                     "'%s': summary, details, modified or "
                     "withdrawn is not a string",
                     id);
        goto fail;
    }
    if (summary) {
        r->summary = strdup(summary);
    } else if (details) {
        size_t n = strcspn(details, "\n");
        r->summary = strndup(details, n > 512 ? 512 : n);
    } else {
        r->summary = strdup("");
    }
    r->modified = strdup(modified ? modified : "");
    if (!r->id || !r->summary || !r->modified)
        goto oom;
    static const char *lists[] = {"aliases", "upstream"};
    size_t cap[2] = {0, 0}; /* RS_GROW's capacities of r->aliases and r->upstream */
    for (int l = 0; l < 2; l++) {
        json_t *arr = json_object_get(j, lists[l]);
        if (!arr || json_is_null(arr))
            continue;
        if (!json_is_array(arr)) {
            rc = rs_errf(errstr, errsz, RS_ERR_INVALID, "'%s': %s is not an array", id, lists[l]);
            goto fail;
        }
        size_t i;
        json_t *a;
        json_array_foreach(arr, i, a)
        {
            if (!json_is_string(a) || json_string_length(a) > MAX_ID) {
                rc = rs_errf(errstr, errsz, RS_ERR_INVALID, "'%s': %s[%zu] is not an id", id,
                             lists[l], i);
                goto fail;
            }
            const char *v = json_string_value(a);
            if ((rc = l == 0 ? add_id(r->id, &r->aliases, &r->n_aliases, &cap[0], v)
                             : add_id(r->id, &r->upstream, &r->n_upstream, &cap[1], v)))
                goto fail;
        }
    }
    char *word = NULL;
    if (read_severity(json_object_get(j, "severity"), &r->cvss2, &r->cvss3, &r->cvss4, &word)) {
        free(word);
        rc = rs_errf(errstr, errsz, RS_ERR_INVALID, "'%s': severity is malformed", id);
        goto fail;
    }
    const char *dbsev = get_str(json_object_get(j, "database_specific"), "severity", 64, &bad);
    r->severity = strdup(word ? word : severity_word(dbsev));
    free(word);
    if (!r->severity)
        goto oom;
    json_t *aff = json_object_get(j, "affected");
    if (aff && !json_is_null(aff)) {
        if (!json_is_array(aff) || json_array_size(aff) > MAX_AFFECTED) {
            rc = rs_errf(errstr, errsz, RS_ERR_INVALID, "'%s': affected is not an array", id);
            goto fail;
        }
        r->affected = calloc(json_array_size(aff) + 1, sizeof *r->affected);
        if (!r->affected)
            goto oom;
        size_t i;
        json_t *a;
        json_array_foreach(aff, i, a)
        {
            if (!json_object_get(a, "package"))
                continue; /* GIT-only entries name no package: nothing to match */
            char sub[512] = "";
            rc = parse_affected(a, &r->affected[r->n_affected], sub, sizeof sub, i);
            r->n_affected++;
            if (rc) {
                rs_errf(errstr, errsz, rc, "'%s': %s", id, sub);
                goto fail;
            }
        }
    }
    *out = r;
    return 0;
oom:
    rc = rs_errf(errstr, errsz, RS_ERR_INTERNAL, "out of memory");
fail:
    rs_osv_record_free(r);
    return rc;
}

static json_t *strv_json(char *const *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++)
        json_array_append_new(a, json_string(v[i]));
    return a;
}

json_t *rs_osv_to_json(const rs_osv_record *r)
{
    static const char *names[] = {"introduced", "fixed", "last_affected", "limit"};
    static const char *types[] = {"ECOSYSTEM", "SEMVER", "GIT"};
    json_t *aff = json_array();
    for (size_t i = 0; aff && i < r->n_affected; i++) {
        const rs_osv_affected *a = &r->affected[i];
        json_t *ranges = json_array();
        for (size_t k = 0; ranges && k < a->n_ranges; k++) {
            json_t *ev = json_array();
            for (size_t e = 0; ev && e < a->ranges[k].n_events; e++)
                json_array_append_new(ev, json_pack("{s:s}", names[a->ranges[k].events[e].kind],
                                                    a->ranges[k].events[e].version));
            json_array_append_new(
                ranges, json_pack("{s:s, s:o}", "type", types[a->ranges[k].type], "events", ev));
        }
        json_t *o =
            json_pack("{s:{s:s, s:s}, s:o, s:o}", "package", "ecosystem", a->ecosystem, "name",
                      a->name, "ranges", ranges, "versions", strv_json(a->versions, a->n_versions));
        if (o && a->severity[0])
            json_object_set_new(
                o, "severity",
                json_pack("[{s:s, s:s}]", "type", "Distribution", "score", a->severity));
        json_array_append_new(aff, o);
    }
    json_t *sev = json_array();
    const char *vec[] = {r->cvss2, r->cvss3, r->cvss4};
    const char *vt[] = {"CVSS_V2", "CVSS_V3", "CVSS_V4"};
    for (int i = 0; sev && i < 3; i++)
        if (vec[i])
            json_array_append_new(sev, json_pack("{s:s, s:s}", "type", vt[i], "score", vec[i]));
    json_t *j = json_pack("{s:s, s:o, s:o, s:s, s:s, s:o, s:o}", "id", r->id, "aliases",
                          strv_json(r->aliases, r->n_aliases), "upstream",
                          strv_json(r->upstream, r->n_upstream), "summary", r->summary, "modified",
                          r->modified, "severity", sev, "affected", aff);
    if (j && r->severity[0])
        json_object_set_new(j, "database_specific", json_pack("{s:s}", "severity", r->severity));
    return j;
}

void rs_osv_ecosystem_base(const char *ecosystem, char *out, size_t n)
{
    size_t k = strcspn(ecosystem, ":");
    snprintf(out, n, "%.*s", (int)k, ecosystem);
}

int rs_osv_key(const char *ecosystem, const char *name, char **out)
{
    char base[64];
    rs_osv_ecosystem_base(ecosystem, base, sizeof base);
    size_t el = strlen(ecosystem);
    if (!strcmp(base, "Ubuntu") && el > 4 && !strcmp(ecosystem + el - 4, ":LTS"))
        el -= 4;
    size_t nl = strlen(name);
    char *k = malloc(el + 1 + nl + 1);
    if (!k)
        return RS_ERR_INTERNAL;
    memcpy(k, ecosystem, el);
    k[el] = '\x1f';
    char *d = k + el + 1;
    if (!strcmp(base, "PyPI")) {
        /* PEP 503: lowercase, runs of '-', '_', '.' become one '-' */
        int run = 0;
        for (const char *s = name; *s; s++) {
            if (*s == '-' || *s == '_' || *s == '.') {
                if (!run)
                    *d++ = '-';
                run = 1;
            } else {
                *d++ = (char)tolower((unsigned char)*s);
                run = 0;
            }
        }
    } else if (!strcmp(base, "NuGet") || !strcmp(base, "Packagist")) {
        for (const char *s = name; *s; s++)
            *d++ = (char)tolower((unsigned char)*s);
    } else {
        memcpy(d, name, nl);
        d += nl;
    }
    *d = '\0';
    *out = k;
    return 0;
}

/* Compares two versions of a range; "0" as introduced sorts first. */
static int cmp_versions(const rs_version_scheme *s, const char *a, const char *b, int *cmp)
{
    if (!strcmp(a, b)) {
        *cmp = 0;
        return 0;
    }
    return s->compare(a, b, cmp);
}

/* SEMVER ranges carry no "v"; Go's versions do. */
static const char *semver_form(const char *v)
{
    return v[0] == 'v' && isdigit((unsigned char)v[1]) ? v + 1 : v;
}

/* An event version in the form its range compares. */
static const char *ev_form(const rs_osv_range *r, const char *v)
{
    return r->type == RS_RANGE_SEMVER ? semver_form(v) : v;
}

static int version_eq(const rs_version_scheme *s, const char *a, const char *b)
{
    if (!strcmp(a, b))
        return 1;
    int cmp = 1;
    return s && s->compare(a, b, &cmp) == 0 && cmp == 0;
}

/* Sorts the indexes of the events other than limits (their count in *n) by
 * version (introduced "0" first; at equal versions introduced before the
 * others, so [x, x) is empty). Limits were applied before and may be "*".
 * Returns 0 or RS_ERR_INVALID when an event version cannot be compared
 * (*bad set). */
static int sort_events(const rs_osv_range *r, const rs_version_scheme *s, size_t *idx, size_t *n,
                       const char **bad)
{
    *n = 0;
    for (size_t i = 0; i < r->n_events; i++)
        if (r->events[i].kind != RS_EV_LIMIT)
            idx[(*n)++] = i;
    for (size_t i = 1; i < *n; i++) {
        size_t cur = idx[i], k = i;
        while (k > 0) {
            const rs_osv_event *a = &r->events[idx[k - 1]], *b = &r->events[cur];
            int cmp;
            int a_zero = a->kind == RS_EV_INTRODUCED && !strcmp(a->version, "0");
            int b_zero = b->kind == RS_EV_INTRODUCED && !strcmp(b->version, "0");
            if (a_zero || b_zero) {
                cmp = a_zero && b_zero ? 0 : a_zero ? -1 : 1;
            } else if (cmp_versions(s, ev_form(r, a->version), ev_form(r, b->version), &cmp)) {
                *bad = s->valid(ev_form(r, a->version)) ? b->version : a->version;
                return RS_ERR_INVALID;
            }
            if (cmp == 0)
                cmp = (a->kind == RS_EV_INTRODUCED) ? -1 : (b->kind == RS_EV_INTRODUCED) ? 1 : 0;
            if (cmp <= 0)
                break;
            idx[k] = idx[k - 1];
            k--;
        }
        idx[k] = cur;
    }
    return 0;
}

void rs_osv_evaluate(const rs_osv_affected *a, const rs_version_scheme *scheme, const char *version,
                     rs_osv_eval *out)
{
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < a->n_versions; i++)
        if (version_eq(scheme, version, a->versions[i])) {
            out->state = RS_AFFECTED_YES;
            return;
        }
    int unknown = 0;
    for (size_t r = 0; r < a->n_ranges; r++) {
        const rs_osv_range *rg = &a->ranges[r];
        if (rg->type == RS_RANGE_GIT) {
            out->git_ranges_skipped++;
            continue;
        }
        const rs_version_scheme *s = rg->type == RS_RANGE_SEMVER ? &rs_version_semver : scheme;
        const char *v = rg->type == RS_RANGE_SEMVER ? semver_form(version) : version;
        if (!s || !s->valid(v)) {
            unknown = 1;
            out->unparsed = version;
            continue;
        }
        /* BeforeLimits */
        int has_limit = 0, before = 0;
        for (size_t e = 0; e < rg->n_events; e++) {
            const rs_osv_event *ev = &rg->events[e];
            if (ev->kind != RS_EV_LIMIT)
                continue;
            has_limit = 1;
            int cmp;
            if (strchr(ev->version, '*')) {
                before = 1;
            } else if (cmp_versions(s, v, ev_form(rg, ev->version), &cmp)) {
                unknown = 1;
                out->unparsed = ev->version;
            } else if (cmp < 0) {
                before = 1;
            }
        }
        if (has_limit && !before)
            continue;
        size_t stack_idx[64];
        size_t *idx = rg->n_events <= 64 ? stack_idx : malloc(rg->n_events * sizeof *idx);
        if (!idx) {
            unknown = 1;
            continue;
        }
        const char *bad = NULL;
        size_t n_sorted = 0;
        if (sort_events(rg, s, idx, &n_sorted, &bad)) {
            unknown = 1;
            out->unparsed = bad;
            if (idx != stack_idx)
                free(idx);
            continue;
        }
        int vulnerable = 0, failed = 0;
        for (size_t e = 0; e < n_sorted && !failed; e++) {
            const rs_osv_event *ev = &rg->events[idx[e]];
            int cmp = 0;
            if (ev->kind == RS_EV_INTRODUCED && !strcmp(ev->version, "0")) {
                vulnerable = 1;
                continue;
            }
            if (cmp_versions(s, v, ev_form(rg, ev->version), &cmp)) {
                failed = 1;
                out->unparsed = ev->version;
                break;
            }
            if (ev->kind == RS_EV_INTRODUCED && cmp >= 0)
                vulnerable = 1;
            else if (ev->kind == RS_EV_FIXED && cmp >= 0)
                vulnerable = 0;
            else if (ev->kind == RS_EV_LAST_AFFECTED && cmp > 0)
                vulnerable = 0;
        }
        if (idx != stack_idx)
            free(idx);
        if (failed) {
            unknown = 1;
            continue;
        }
        if (vulnerable) {
            out->state = RS_AFFECTED_YES;
            return;
        }
    }
    out->state = unknown ? RS_AFFECTED_UNKNOWN : RS_AFFECTED_NO;
}

size_t rs_osv_fixed_versions(const rs_osv_affected *a, const char **out, size_t max)
{
    size_t n = 0;
    for (size_t r = 0; r < a->n_ranges; r++) {
        if (a->ranges[r].type == RS_RANGE_GIT)
            continue;
        for (size_t e = 0; e < a->ranges[r].n_events && n < max; e++)
            if (a->ranges[r].events[e].kind == RS_EV_FIXED)
                out[n++] = a->ranges[r].events[e].version;
    }
    return n;
}
