/* cvss.c - CVSS v2, v3.0, v3.1 base scores and v4 shape checks.
 *
 * A vector is split into "NAME:VALUE" fields in place (no copies, no
 * allocation); each field is looked up in the table of its version, so every
 * metric appears at most once, with a value the specification defines, and
 * every base metric is present. Scores follow FIRST's documents: v3 §7.1 with
 * Appendix A's Roundup, v2 §3.2.1 with round-half-up to one decimal, the
 * latter in exact integer arithmetic. v4 vectors are not scored. */
#include "match.h"
#include "base.h"

#include <string.h>

typedef struct cvss_metric {
    const char *name;
    const char *values; /* the allowed values, separated by one space */
    int mandatory;      /* a base metric: must be present */
} cvss_metric;

/* Indices of the v3 table, also the order of the base metrics. */
enum { V3_AV, V3_AC, V3_PR, V3_UI, V3_S, V3_C, V3_I, V3_A, V3_COUNT = 22 };

static const cvss_metric v3_metrics[V3_COUNT] = {
    {"AV", "N A L P", 1},  {"AC", "L H", 1},       {"PR", "N L H", 1},      {"UI", "N R", 1},
    {"S", "U C", 1},       {"C", "H L N", 1},      {"I", "H L N", 1},       {"A", "H L N", 1},
    {"E", "X H F P U", 0}, {"RL", "X U W T O", 0}, {"RC", "X C R U", 0},    {"CR", "X H M L", 0},
    {"IR", "X H M L", 0},  {"AR", "X H M L", 0},   {"MAV", "X N A L P", 0}, {"MAC", "X L H", 0},
    {"MPR", "X N L H", 0}, {"MUI", "X N R", 0},    {"MS", "X U C", 0},      {"MC", "X H L N", 0},
    {"MI", "X H L N", 0},  {"MA", "X H L N", 0},
};

enum { V2_AV, V2_AC, V2_AU, V2_C, V2_I, V2_A, V2_COUNT = 14 };

static const cvss_metric v2_metrics[V2_COUNT] = {
    {"AV", "L A N", 1},       {"AC", "H M L", 1},
    {"Au", "M S N", 1},       {"C", "N P C", 1},
    {"I", "N P C", 1},        {"A", "N P C", 1},
    {"E", "U POC F H ND", 0}, {"RL", "OF TF W U ND", 0},
    {"RC", "UC UR C ND", 0},  {"CDP", "N L LM MH H ND", 0},
    {"TD", "N L M H ND", 0},  {"CR", "L M H ND", 0},
    {"IR", "L M H ND", 0},    {"AR", "L M H ND", 0},
};

/* v3 weights, in the order of the values above (§7.4). */
static const double w3_av[] = {0.85, 0.62, 0.55, 0.2};
static const double w3_ac[] = {0.77, 0.44};
static const double w3_pr_unchanged[] = {0.85, 0.62, 0.27};
static const double w3_pr_changed[] = {0.85, 0.68, 0.5};
static const double w3_ui[] = {0.85, 0.62};
static const double w3_cia[] = {0.56, 0.22, 0.0};

/* v2 weights in thousandths, in the order of the values above (v2 guide §3.2.1). */
static const long long w2_av[] = {395, 646, 1000};
static const long long w2_ac[] = {350, 610, 710};
static const long long w2_au[] = {450, 560, 704};
static const long long w2_cia[] = {0, 275, 660};

/* Copies at most 32 bytes of an untrusted field for a message, '?' for bytes
 * that are not printable ASCII. */
static const char *field_text(const char *s, size_t len, char *out, size_t out_size)
{
    size_t n = len < out_size - 1 ? len : out_size - 1;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        out[i] = (c > 0x20 && c < 0x7f && c != '\'') ? (char)c : '?';
    }
    out[n] = '\0';
    return out;
}

/* Position of the token v[0..vlen) in a space-separated list, or -1. */
static int value_index(const char *list, const char *v, size_t vlen)
{
    int idx = 0;
    const char *p = list;
    while (*p) {
        size_t tlen = strcspn(p, " ");
        if (tlen == vlen && memcmp(p, v, vlen) == 0)
            return idx;
        p += tlen;
        if (*p == ' ')
            p++;
        idx++;
    }
    return -1;
}

/* Splits `s` (the part after any prefix) into fields and fills idx[] with the
 * value index of each metric of `tab`, -1 for the absent ones. */
static int parse_fields(const char *s, const cvss_metric *tab, int n, int *idx, const char *ver,
                        char *errstr, size_t errstr_size)
{
    char t1[40], t2[40];
    for (int m = 0; m < n; m++)
        idx[m] = -1;
    const char *p = s;
    for (;;) {
        size_t flen = strcspn(p, "/");
        if (flen == 0)
            return rs_errf(errstr, errstr_size, RS_ERR_INVALID,
                           "invalid cvss %s vector: empty field", ver);
        const char *colon = memchr(p, ':', flen);
        if (!colon || memchr(colon + 1, ':', flen - (size_t)(colon + 1 - p)))
            return rs_errf(errstr, errstr_size, RS_ERR_INVALID,
                           "invalid cvss %s field '%s': not METRIC:VALUE", ver,
                           field_text(p, flen, t1, sizeof t1));
        size_t nlen = (size_t)(colon - p);
        const char *v = colon + 1;
        size_t vlen = flen - nlen - 1;
        int m = 0;
        while (m < n && !(strlen(tab[m].name) == nlen && memcmp(tab[m].name, p, nlen) == 0))
            m++;
        if (m == n)
            return rs_errf(errstr, errstr_size, RS_ERR_INVALID, "unknown cvss %s metric '%s'", ver,
                           field_text(p, nlen, t1, sizeof t1));
        if (idx[m] >= 0)
            return rs_errf(errstr, errstr_size, RS_ERR_INVALID, "duplicate cvss %s metric '%s'",
                           ver, tab[m].name);
        int vi = value_index(tab[m].values, v, vlen);
        if (vi < 0)
            return rs_errf(errstr, errstr_size, RS_ERR_INVALID,
                           "invalid value '%s' of cvss %s metric '%s'",
                           field_text(v, vlen, t2, sizeof t2), ver, tab[m].name);
        idx[m] = vi;
        p += flen;
        if (*p == '\0')
            break;
        p++; /* the '/'; a trailing one leaves an empty field, rejected above */
    }
    for (int m = 0; m < n; m++)
        if (tab[m].mandatory && idx[m] < 0)
            return rs_errf(errstr, errstr_size, RS_ERR_INVALID, "missing cvss %s metric '%s'", ver,
                           tab[m].name);
    return 0;
}

/* Roundup of v3.1 Appendix A, in tenths: round to 5 decimals as an integer,
 * then up to the next tenth unless already on one. */
static int roundup_tenths(double x)
{
    if (!(x > 0.0))
        return 0;
    if (x > 1000.0)
        x = 1000.0;
    long long i = (long long)(x * 100000.0 + 0.5);
    if (i % 10000 == 0)
        return (int)(i / 10000);
    return (int)(i / 10000 + 1);
}

double rs_cvss_roundup(double x)
{
    return roundup_tenths(x) / 10.0;
}

/* v3 base score in tenths (§7.1). v3.0 defines round up as the exact ceiling
 * to one decimal, v3.1 as Roundup; the exact base score of no v3 vector lies
 * within 1e-5 above a tenth (the nearest, AV:L/AC:L/PR:H/UI:N/S:U/C:H/I:L/A:L,
 * is 5.50032), so Roundup yields the exact ceiling for both versions, free of
 * floating-point noise; tests/versions/diff_cvss.py checks every vector. */
static int v3_base_tenths(const int *idx)
{
    int changed = idx[V3_S] == 1;
    double c = w3_cia[idx[V3_C]], i = w3_cia[idx[V3_I]], a = w3_cia[idx[V3_A]];
    double iss = 1.0 - (1.0 - c) * (1.0 - i) * (1.0 - a);
    double impact;
    if (changed) {
        double d = iss - 0.02, p15 = 1.0;
        for (int k = 0; k < 15; k++)
            p15 *= d;
        impact = 7.52 * (iss - 0.029) - 3.25 * p15;
    } else {
        impact = 6.42 * iss;
    }
    if (impact <= 0.0)
        return 0;
    double pr = changed ? w3_pr_changed[idx[V3_PR]] : w3_pr_unchanged[idx[V3_PR]];
    double expl = 8.22 * w3_av[idx[V3_AV]] * w3_ac[idx[V3_AC]] * pr * w3_ui[idx[V3_UI]];
    double raw = changed ? 1.08 * (impact + expl) : impact + expl;
    if (raw > 10.0)
        raw = 10.0;
    return roundup_tenths(raw);
}

/* v2 base score in tenths, exactly: every weight has at most 3 decimals, so
 * the formula is evaluated in units of 1e-15 (at most about 2e16) and then
 * rounded half up, as the v2 guide and the `cvss` package do. */
static int v2_base_tenths(const int *idx)
{
    long long c = w2_cia[idx[V2_C]], i = w2_cia[idx[V2_I]], a = w2_cia[idx[V2_A]];
    long long rest = (1000 - c) * (1000 - i) * (1000 - a); /* 1e-9 */
    long long impact = 1041 * (1000000000LL - rest);       /* 10.41 x ..., 1e-11 */
    if (impact == 0)
        return 0;
    long long expl = 20 * w2_av[idx[V2_AV]] * w2_ac[idx[V2_AC]] * w2_au[idx[V2_AU]]; /* 1e-9 */
    long long t = 6 * impact + 400 * expl - 1500000000000LL;                         /* 1e-12 */
    if (t <= 0)
        return 0;
    long long score = t * 1176; /* f(Impact) = 1.176, 1e-15 */
    return (int)((score + 50000000000000LL) / 100000000000000LL);
}

static const char *v3_severity(int tenths)
{
    if (tenths == 0)
        return "none";
    if (tenths < 40)
        return "low";
    if (tenths < 70)
        return "medium";
    if (tenths < 90)
        return "high";
    return "critical";
}

/* NVD's v2 ranges: low 0.0-3.9, medium 4.0-6.9, high 7.0-10.0. */
static const char *v2_severity(int tenths)
{
    if (tenths < 40)
        return "low";
    if (tenths < 70)
        return "medium";
    return "high";
}

static int is_upper(char c)
{
    return c >= 'A' && c <= 'Z';
}

static int is_alpha(char c)
{
    return is_upper(c) || (c >= 'a' && c <= 'z');
}

/* v4: "NAME:VALUE" fields, NAME 1-4 capitals, VALUE 1-8 letters ("Amber"),
 * each NAME once. The metric set itself is not checked (the vector is kept,
 * not scored). */
static int v4_check_shape(const char *s, char *errstr, size_t errstr_size)
{
    char t1[40];
    const char *names[64];
    size_t name_lens[64];
    int count = 0;
    const char *p = s;
    for (;;) {
        size_t flen = strcspn(p, "/");
        if (flen == 0)
            return rs_errf(errstr, errstr_size, RS_ERR_INVALID,
                           "invalid cvss v4 vector: empty field");
        size_t nlen = 0;
        while (nlen < flen && is_upper(p[nlen]))
            nlen++;
        size_t vlen = nlen < flen && p[nlen] == ':' ? flen - nlen - 1 : 0;
        int ok = nlen >= 1 && nlen <= 4 && vlen >= 1 && vlen <= 8;
        for (size_t k = 0; ok && k < vlen; k++)
            ok = is_alpha(p[nlen + 1 + k]);
        if (!ok)
            return rs_errf(errstr, errstr_size, RS_ERR_INVALID,
                           "invalid cvss v4 field '%s': not METRIC:VALUE",
                           field_text(p, flen, t1, sizeof t1));
        for (int k = 0; k < count; k++)
            if (name_lens[k] == nlen && memcmp(names[k], p, nlen) == 0)
                return rs_errf(errstr, errstr_size, RS_ERR_INVALID, "duplicate cvss v4 metric '%s'",
                               field_text(p, nlen, t1, sizeof t1));
        if (count == (int)(sizeof names / sizeof names[0]))
            return rs_errf(errstr, errstr_size, RS_ERR_INVALID, "too many cvss v4 metrics");
        names[count] = p;
        name_lens[count] = nlen;
        count++;
        p += flen;
        if (*p == '\0')
            break;
        p++;
    }
    return 0;
}

int rs_cvss_parse(const char *vector, rs_cvss *out, char *errstr, size_t errstr_size)
{
    char t1[40];
    int idx[V3_COUNT];
    int rc, tenths;
    if (!out)
        return rs_errf(errstr, errstr_size, RS_ERR_INTERNAL, "rs_cvss_parse: no output");
    memset(out, 0, sizeof *out);
    if (!vector || vector[0] == '\0')
        return rs_errf(errstr, errstr_size, RS_ERR_INVALID, "empty cvss vector");
    size_t len = strnlen(vector, RS_CVSS_VECTOR_MAX + 1);
    if (len > RS_CVSS_VECTOR_MAX)
        return rs_errf(errstr, errstr_size, RS_ERR_INVALID,
                       "cvss vector too long (more than %d bytes)", RS_CVSS_VECTOR_MAX);

    if (strncmp(vector, "CVSS:", 5) == 0) {
        const char *ver = vector + 5;
        if (strncmp(ver, "3.0/", 4) == 0 || strncmp(ver, "3.1/", 4) == 0) {
            const char *label = ver[2] == '0' ? "v3.0" : "v3.1";
            rc = parse_fields(ver + 4, v3_metrics, V3_COUNT, idx, label, errstr, errstr_size);
            if (rc != 0)
                return rc;
            tenths = v3_base_tenths(idx);
            out->major = 3;
            out->minor = ver[2] - '0';
            out->base_score = tenths / 10.0;
            memcpy(out->severity, v3_severity(tenths), strlen(v3_severity(tenths)) + 1);
            out->has_score = 1;
        } else if (strncmp(ver, "4.0/", 4) == 0) {
            rc = v4_check_shape(ver + 4, errstr, errstr_size);
            if (rc != 0)
                return rc;
            out->major = 4;
            out->minor = 0;
        } else {
            return rs_errf(errstr, errstr_size, RS_ERR_INVALID,
                           "unsupported cvss version 'CVSS:%s'",
                           field_text(ver, strcspn(ver, "/"), t1, 9));
        }
    } else {
        rc = parse_fields(vector, v2_metrics, V2_COUNT, idx, "v2", errstr, errstr_size);
        if (rc != 0)
            return rc;
        tenths = v2_base_tenths(idx);
        out->major = 2;
        out->minor = 0;
        out->base_score = tenths / 10.0;
        memcpy(out->severity, v2_severity(tenths), strlen(v2_severity(tenths)) + 1);
        out->has_score = 1;
    }
    memcpy(out->vector, vector, len + 1);
    return 0;
}
