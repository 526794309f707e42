/* apply.c - a policy's verdict on one report: suppressions (allow-list and
 * OpenVEX), the recounted summary, and the violations.
 *
 * The report is the JSON the worker and the embedded scan publish; this
 * module reads its "vulnerabilities", "secrets" and "misconfigurations"
 * arrays (docs/contracts.md) and the image's packages, and writes
 * "suppressed", "summary" and "policy". It keeps no state. */
#include "policy_int.h"

#include <fnmatch.h>
#include <stdio.h>
#include <string.h>

/* The kinds of finding a policy looks at, with the key of their id. */
typedef struct kind {
    const char *array; /* report key */
    const char *name;  /* "vulnerability", ... */
    const char *id_key;
} kind;

static const kind kinds[] = {
    {"vulnerabilities", "vulnerability", "id"},
    {"secrets", "secret", "rule"},
    {"misconfigurations", "misconfiguration", "id"},
};

static const char *jstr(const json_t *o, const char *key)
{
    return json_string_value(json_object_get(o, key));
}

/* 1 when the finding `f` has `id` as its id, an alias or an upstream id. */
static int has_id(const json_t *f, const char *id_key, const char *id)
{
    const char *own = jstr(f, id_key);
    if (own && !strcmp(own, id))
        return 1;
    /* the other ids of the same vulnerability, and the upstream (CVE) ids a
     * distribution's record names */
    static const char *const lists[] = {"aliases", "upstream"};
    for (size_t l = 0; l < 2; l++) {
        json_t *ids = json_object_get(f, lists[l]);
        for (size_t i = 0; i < json_array_size(ids); i++) {
            const char *a = json_string_value(json_array_get(ids, i));
            if (a && !strcmp(a, id))
                return 1;
        }
    }
    return 0;
}

/* The allow entry in force that covers an id and path, or NULL. */
static const rs_policy_allow *allowed(const rs_policy *p, const json_t *f, const char *id_key,
                                      const char *path, time_t now)
{
    for (size_t i = 0; i < p->n_allow; i++) {
        const rs_policy_allow *a = &p->allow[i];
        if (a->expires && now > a->expires)
            continue;
        if (!has_id(f, id_key, a->id))
            continue;
        if (a->path && (!path || fnmatch(a->path, path, 0) != 0))
            continue;
        return a;
    }
    return NULL;
}

/* 1 when VEX product `product` is this image: its digest, or a pkg:oci purl
 * whose version is the digest. */
static int product_is_image(const char *product, const char *digest)
{
    if (!digest || !*digest)
        return 0;
    if (!strcmp(product, digest))
        return 1;
    if (strncmp(product, "pkg:oci/", 8))
        return 0;
    char image[300];
    snprintf(image, sizeof image, "pkg:oci/x@%s", digest);
    const char *at = strrchr(product, '@');
    if (!at)
        return 0;
    char probe[300];
    snprintf(probe, sizeof probe, "pkg:oci/x%s", at);
    return rs_purl_same_package(probe, image);
}

static int statement_covers(const rs_vex_statement *s, const json_t *f, const char *digest)
{
    const char *purl = jstr(f, "purl");
    int vuln = 0;
    for (size_t i = 0; !vuln && i < s->n_vulns; i++)
        vuln = has_id(f, "id", s->vulns[i]);
    if (!vuln)
        return 0;
    for (size_t i = 0; i < s->n_products; i++) {
        if (product_is_image(s->products[i], digest)) {
            if (!s->n_subcomponents)
                return 1;
            for (size_t k = 0; k < s->n_subcomponents; k++)
                if (rs_purl_same_package(s->subcomponents[k], purl))
                    return 1;
        } else if (rs_purl_same_package(s->products[i], purl)) {
            return 1;
        }
    }
    return 0;
}

/* The VEX statement that suppresses vulnerability `f`, or NULL. */
static const rs_vex_statement *vex_suppresses(const rs_policy *p, const json_t *f,
                                              const char *digest)
{
    for (size_t i = 0; i < p->n_vex; i++) {
        const rs_vex_statement *s = &p->vex[i];
        if ((!strcmp(s->status, "not_affected") || !strcmp(s->status, "fixed")) &&
            statement_covers(s, f, digest))
            return s;
    }
    return NULL;
}

/* What suppressed a finding, as the report shows it; NULL when nothing did. */
static json_t *suppressor(const rs_policy *p, const kind *k, const json_t *f, const char *digest,
                          time_t now)
{
    const rs_policy_allow *a = allowed(p, f, k->id_key, jstr(f, "path"), now);
    if (a)
        return json_pack("{s:s, s:s, s:o, s:o}", "by", "allow", "id", a->id, "expires",
                         a->expires_text ? json_string(a->expires_text) : json_null(), "reason",
                         a->reason ? json_string(a->reason) : json_null());
    const rs_vex_statement *s = k == &kinds[0] ? vex_suppresses(p, f, digest) : NULL;
    if (s)
        return json_pack("{s:s, s:s, s:s, s:o}", "by", "vex", "document", s->document, "status",
                         s->status, "justification",
                         s->justification ? json_string(s->justification) : json_null());
    return NULL;
}

/* Moves the suppressed entries of one array to `suppressed`. */
static int suppress_kind(const rs_policy *p, const kind *k, const char *digest, time_t now,
                         json_t *report, json_t *suppressed)
{
    json_t *in = json_object_get(report, k->array), *keep = json_array();
    if (!keep)
        return RS_ERR_INTERNAL;
    int bad = 0;
    for (size_t i = 0; !bad && i < json_array_size(in); i++) {
        json_t *f = json_array_get(in, i);
        json_t *by = p ? suppressor(p, k, f, digest, now) : NULL;
        if (!by) {
            bad |= json_array_append(keep, f);
            continue;
        }
        json_t *c = json_deep_copy(f);
        bad |= !c || json_object_set_new(c, "kind", json_string(k->name)) ||
               json_object_set_new(c, "suppressed_by", by) || json_array_append_new(suppressed, c);
    }
    if (bad || json_object_set_new(report, k->array, keep))
        return RS_ERR_INTERNAL;
    return 0;
}

/* The summary after suppression: vulnerability counts, fixable, unconfirmed,
 * secrets, misconfigurations, suppressed. */
static int recount(json_t *report)
{
    static const char *const sev[] = {"critical", "high", "medium", "low", "negligible",
                                      "unknown"};
    json_t *summary = json_object_get(report, "summary");
    if (!json_is_object(summary))
        return 0;
    json_int_t by[6] = {0}, fixable = 0, unconfirmed = 0;
    json_t *v = json_object_get(report, "vulnerabilities");
    for (size_t i = 0; i < json_array_size(v); i++) {
        json_t *f = json_array_get(v, i);
        const char *m = jstr(f, "match"), *s = jstr(f, "severity");
        if (m && !strcmp(m, "version-unknown")) {
            unconfirmed++;
            continue;
        }
        for (size_t k = 0; k < 6; k++)
            if (s && !strcmp(s, sev[k]))
                by[k]++;
        fixable += json_is_true(json_object_get(f, "fixable"));
    }
    json_t *counts = json_object();
    int bad = !counts;
    for (size_t k = 0; !bad && k < 6; k++)
        bad |= json_object_set_new(counts, sev[k], json_integer(by[k]));
    bad |= json_object_set_new(summary, "vulnerabilities", counts);
    bad |= json_object_set_new(summary, "fixable", json_integer(fixable));
    bad |= json_object_set_new(summary, "unconfirmed", json_integer(unconfirmed));
    json_int_t n_secrets = (json_int_t)json_array_size(json_object_get(report, "secrets"));
    bad |= json_object_set_new(summary, "secrets", json_integer(n_secrets));
    bad |= json_object_set_new(
        summary, "misconfigurations",
        json_integer((json_int_t)json_array_size(json_object_get(report, "misconfigurations"))));
    bad |= json_object_set_new(
        summary, "suppressed",
        json_integer((json_int_t)json_array_size(json_object_get(report, "suppressed"))));
    return bad ? RS_ERR_INTERNAL : 0;
}

/* One violation: the rule, and the finding's identifying fields. */
static int violate(json_t *violations, const char *rule, const json_t *f, const char *message)
{
    static const char *const keys[] = {"id",   "rule", "package", "installed_version",
                                        "ecosystem", "severity", "path", "line", NULL};
    json_t *v = json_pack("{s:s, s:s}", "rule", rule, "message", message);
    for (size_t i = 0; v && keys[i]; i++) {
        json_t *x = json_object_get(f, keys[i]);
        if (x && !json_is_null(x) && strcmp(keys[i], "rule"))
            json_object_set(v, keys[i], x);
    }
    /* a secret's rule id is its id here: "rule" names the policy rule */
    if (v && json_object_get(f, "rule") && !json_object_get(f, "id"))
        json_object_set(v, "id", json_object_get(f, "rule"));
    return v ? json_array_append_new(violations, v) : -1;
}

static int vulnerability_violations(const rs_policy *p, const json_t *report, json_t *out)
{
    json_t *v = json_object_get(report, "vulnerabilities");
    int bad = 0;
    for (size_t i = 0; !bad && p->fail_vuln >= 0 && i < json_array_size(v); i++) {
        json_t *f = json_array_get(v, i);
        const char *m = jstr(f, "match");
        if ((m && !strcmp(m, "version-unknown")) ||
            rs_policy_severity_rank(jstr(f, "severity")) < p->fail_vuln ||
            (p->only_fixable && !json_is_true(json_object_get(f, "fixable"))))
            continue;
        char msg[256];
        snprintf(msg, sizeof msg, "%s vulnerability: the policy fails at %s and above%s",
                 jstr(f, "severity"), rs_policy_severity_label(p->fail_vuln),
                 p->only_fixable ? " when a fix exists" : "");
        bad |= violate(out, "vulnerability_severity", f, msg);
    }
    return bad;
}

static int secret_and_misconf_violations(const rs_policy *p, const json_t *report, json_t *out)
{
    json_t *s = json_object_get(report, "secrets"), *m = json_object_get(report,
                                                                         "misconfigurations");
    int bad = 0;
    for (size_t i = 0; !bad && p->fail_secrets && i < json_array_size(s); i++)
        bad |= violate(out, "secret", json_array_get(s, i), "the policy fails on any secret");
    for (size_t i = 0; !bad && p->fail_misconf >= 0 && i < json_array_size(m); i++) {
        json_t *f = json_array_get(m, i);
        if (rs_policy_severity_rank(jstr(f, "severity")) >= p->fail_misconf)
            bad |= violate(out, "misconfiguration_severity", f,
                           "misconfiguration at or above the policy's severity");
    }
    return bad;
}

/* 1 when `ecosystem` (the policy's) names the package's: equal, or the
 * package's without its release ("Debian" for "Debian:12"). */
static int ecosystem_matches(const char *want, const char *have)
{
    if (!want)
        return 1;
    if (!have)
        return 0;
    size_t n = strlen(want);
    return !strncmp(want, have, n) && (have[n] == '\0' || have[n] == ':');
}

static int forbidden_violation(const rs_policy_forbidden *fb, const rs_pkg *pkg)
{
    if (!pkg->name || strcmp(fb->name, pkg->name) || !ecosystem_matches(fb->ecosystem,
                                                                         pkg->ecosystem))
        return 0;
    if (!fb->n_versions)
        return 1;
    for (size_t i = 0; i < fb->n_versions; i++)
        if (pkg->version && !strcmp(fb->versions[i], pkg->version))
            return 1;
    return 0;
}

static int package_violations(const rs_policy *p, const rs_inventory *inv, time_t now,
                              json_t *out, json_t *suppressed)
{
    int bad = 0;
    for (size_t i = 0; !bad && inv && i < inv->n_pkgs; i++) {
        const rs_pkg *pkg = &inv->pkgs[i];
        for (size_t k = 0; !bad && k < p->n_forbidden; k++) {
            if (!forbidden_violation(&p->forbidden[k], pkg))
                continue;
            json_t *f = json_pack("{s:s, s:s?, s:s?, s:s?, s:s?}", "id", pkg->name,
                                  "package", pkg->name, "installed_version", pkg->version,
                                  "ecosystem", pkg->ecosystem, "path", pkg->path);
            const rs_policy_allow *a = f ? allowed(p, f, "id", pkg->path, now) : NULL;
            char msg[300];
            snprintf(msg, sizeof msg, "forbidden package%s%s",
                     p->forbidden[k].reason ? ": " : "",
                     p->forbidden[k].reason ? p->forbidden[k].reason : "");
            if (!f)
                bad = 1;
            else if (a)
                bad |= json_object_set_new(f, "kind", json_string("forbidden_package")) ||
                       json_object_set_new(f, "suppressed_by",
                                           json_pack("{s:s, s:s}", "by", "allow", "id", a->id)) ||
                       json_array_append(suppressed, f);
            else
                bad |= violate(out, "forbidden_package", f, msg);
            json_decref(f);
        }
    }
    return bad;
}

/* fail_on.partial: the report misses data (the inventory's errors). */
static int partial_violation(const rs_policy *p, const rs_inventory *inv, json_t *out)
{
    if (!p->fail_partial || !inv || !(inv->n_errors || inv->errors_omitted))
        return 0;
    char msg[160];
    snprintf(msg, sizeof msg,
             "the report is partial: %zu files or parts of layers were not read (errors)",
             inv->n_errors + inv->errors_omitted);
    json_t *none = json_object();
    int bad = !none || violate(out, "partial", none, msg);
    json_decref(none);
    return bad;
}

static json_t *verdict(const rs_policy *p, const rs_inventory *inv, time_t now, json_t *report,
                       json_t *suppressed)
{
    json_t *violations = json_array();
    char version[24];
    if (!violations)
        return NULL;
    if (p && (vulnerability_violations(p, report, violations) ||
              secret_and_misconf_violations(p, report, violations) ||
              partial_violation(p, inv, violations) ||
              package_violations(p, inv, now, violations, suppressed))) {
        json_decref(violations);
        return NULL;
    }
    if (p)
        rs_policy_version(p, now, version);
    return json_pack("{s:s, s:o, s:o, s:o}", "verdict",
                     json_array_size(violations) ? "fail" : "pass", "name",
                     p && p->name ? json_string(p->name) : json_null(), "version",
                     p ? json_string(version) : json_null(), "violations", violations);
}

int rs_policy_apply(const rs_policy *p, const char *digest, const rs_inventory *inv, time_t now,
                    json_t *report)
{
    json_t *suppressed = json_array();
    int bad = !suppressed;
    for (size_t k = 0; !bad && k < sizeof kinds / sizeof *kinds; k++)
        bad |= suppress_kind(p, &kinds[k], digest, now, report, suppressed) != 0;
    json_t *v = bad ? NULL : verdict(p, inv, now, report, suppressed);
    bad |= !v || json_object_set_new(report, "suppressed", suppressed) ||
           json_object_set_new(report, "policy", v);
    if (!v && suppressed)
        json_decref(suppressed);
    return bad || recount(report) ? RS_ERR_INTERNAL : 0;
}

int rs_policy_failed(const json_t *report)
{
    const char *v = jstr(json_object_get(report, "policy"), "verdict");
    return v && !strcmp(v, "fail");
}
