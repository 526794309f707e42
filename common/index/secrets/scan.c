/* secrets/scan.c - the scanner's stream (see secrets.h): a window of at most
 * SEC_WIN bytes; complete lines are scanned and dropped, an overlong line is
 * scanned up to SEC_MAX_REACH bytes before the window's end and its tail
 * kept for the next window, so that every literal is looked at exactly once
 * with all the bytes its matcher may read. */
#include "base.h"
#include "secrets_int.h"

#include <stdlib.h>
#include <string.h>

#define SEC_WIN 65536

struct rs_secrets_stream {
    rs_secrets_backend backend;
    void *scratch; /* Hyperscan's */
    char *buf;
    size_t len;
    size_t accept; /* candidates before this offset were looked at already */
    size_t line;   /* the line of buf[0], 1-based */
    sec_hit pending;
    int has_pending;
    sec_cand *cand;
    size_t n_cand, cap_cand;
    sec_hit *hits; /* of the current line, before overlaps are settled */
    size_t n_hits, cap_hits;
    rs_secrets found;
};

int rs_secrets_backend_available(rs_secrets_backend b)
{
    return b != RS_SECRETS_HYPERSCAN || sec_hs_available();
}

const char *rs_secrets_backend_name(void)
{
    return sec_hs_available() ? "hyperscan" : "portable";
}

rs_secrets_stream *rs_secrets_stream_new(rs_secrets_backend b)
{
    if (b == RS_SECRETS_AUTO)
        b = sec_hs_available() ? RS_SECRETS_HYPERSCAN : RS_SECRETS_PORTABLE;
    rs_secrets_stream *s = calloc(1, sizeof *s);
    if (!s || !(s->buf = malloc(SEC_WIN)) ||
        (b == RS_SECRETS_HYPERSCAN && !(s->scratch = sec_hs_scratch_new()))) {
        rs_secrets_stream_free(s);
        return NULL;
    }
    s->backend = b;
    s->line = 1;
    return s;
}

void rs_secrets_stream_free(rs_secrets_stream *s)
{
    if (!s)
        return;
    sec_hs_scratch_free(s->scratch);
    free(s->buf);
    free(s->cand);
    free(s->hits);
    rs_secrets_clear(&s->found);
    free(s);
}

/* Records a verified hit (its line set) as a finding. */
static int emit(rs_secrets_stream *s, const sec_hit *h)
{
    if (s->found.n >= RS_SECRETS_MAX_PER_STREAM)
        return 0;
    size_t n;
    const rs_secret_rule_info *r = rs_secrets_rules(&n);
    rs_secret f = {0};
    f.rule = (char *)r[h->rule].id;
    f.severity = (char *)r[h->rule].severity;
    f.title = (char *)r[h->rule].title;
    f.line = h->line;
    f.match = (char *)h->redacted;
    return rs_secrets_add(&s->found, &f);
}

/* Emits the hits of one line, leaving out any that overlaps a hit of a rule
 * of higher priority (or the same hit twice). */
static int flush_line(rs_secrets_stream *s)
{
    for (size_t i = 0; i < s->n_hits; i++) {
        const sec_hit *a = &s->hits[i];
        int beaten = 0;
        for (size_t j = 0; j < s->n_hits && !beaten; j++) {
            const sec_hit *b = &s->hits[j];
            int overlap = a->vstart < b->vend && b->vstart < a->vend;
            beaten = overlap && (b->rule < a->rule || (b->rule == a->rule && j < i));
        }
        if (!beaten && emit(s, a))
            return RS_ERR_INTERNAL;
    }
    s->n_hits = 0;
    return 0;
}

static int cand_cmp(const void *x, const void *y)
{
    const sec_cand *a = x, *b = y;
    if (a->pos != b->pos)
        return a->pos < b->pos ? -1 : 1;
    return (a->lit > b->lit) - (a->lit < b->lit);
}

static size_t line_end(const char *buf, size_t len, size_t from)
{
    const char *nl = memchr(buf + from, '\n', len - from);
    return nl ? (size_t)(nl - buf) : len;
}

/* Settles a pending private-key header with the first line of the buffer. */
static int settle_pending(rs_secrets_stream *s, size_t blen, int final)
{
    if (!s->has_pending)
        return 0;
    size_t e = line_end(s->buf, blen, 0);
    if (e == blen && !final && blen < SEC_WIN / 2)
        return 0; /* that line is not complete yet */
    s->has_pending = 0;
    return sec_key_material(s->buf, e) ? emit(s, &s->pending) : 0;
}

static int find_candidates(rs_secrets_stream *s, size_t limit, size_t blen)
{
    s->n_cand = 0;
    int rc = s->backend == RS_SECRETS_HYPERSCAN
                 ? sec_prefilter_hs(s->scratch, s->buf, blen, s->accept, limit, &s->cand,
                                    &s->n_cand, &s->cap_cand)
                 : sec_prefilter_portable(s->buf, blen, s->accept, limit, &s->cand, &s->n_cand,
                                          &s->cap_cand);
    if (!rc && s->n_cand > 1)
        qsort(s->cand, s->n_cand, sizeof *s->cand, cand_cmp);
    return rc;
}

/* Looks at the literals starting in [s->accept, limit) of buf[0..blen). */
static int scan_region(rs_secrets_stream *s, size_t limit, size_t blen, int final)
{
    size_t nl;
    const sec_literal *lits = sec_literals(&nl);
    int rc = settle_pending(s, blen, final);
    if (!rc)
        rc = find_candidates(s, limit, blen);
    sec_line ln = {s->buf, blen, 0, line_end(s->buf, blen, 0)};
    size_t lineno = s->line;
    for (size_t i = 0; !rc && i < s->n_cand; i++) {
        size_t pos = s->cand[i].pos;
        while (pos > ln.end && !rc) {
            rc = flush_line(s);
            ln.start = ln.end + 1;
            ln.end = line_end(s->buf, blen, ln.start);
            lineno++;
        }
        sec_hit h;
        if (rc || !sec_match(&lits[s->cand[i].lit], &ln, pos, &h))
            continue;
        h.line = lineno;
        if (h.pending) {
            s->pending = h;
            s->has_pending = !final;
        } else if (RS_GROW(s->hits, s->n_hits + 1, s->cap_hits)) {
            rc = RS_ERR_INTERNAL;
        } else {
            s->hits[s->n_hits++] = h;
        }
    }
    return rc ? rc : flush_line(s);
}

static size_t count_lines(const char *buf, size_t len)
{
    size_t n = 0;
    for (const char *p = buf, *end = buf + len; (p = memchr(p, '\n', (size_t)(end - p))); p++)
        n++;
    return n;
}

/* Scans what the window holds: its complete lines, and the head of an
 * overlong last line; keeps the rest. */
static int process(rs_secrets_stream *s, int final)
{
    if (final)
        return scan_region(s, s->len, s->len, 1);
    const char *last = memrchr(s->buf, '\n', s->len);
    if (last) {
        size_t k = (size_t)(last - s->buf) + 1;
        int rc = scan_region(s, k, k, 0);
        if (rc)
            return rc;
        s->line += count_lines(s->buf, k);
        memmove(s->buf, s->buf + k, s->len - k);
        s->len -= k;
        s->accept = 0;
    }
    if (s->len > SEC_WIN / 2) {
        size_t limit = s->len - SEC_MAX_REACH;
        int rc = scan_region(s, limit, s->len, 0);
        if (rc)
            return rc;
        size_t keep = limit - SEC_MAX_BEHIND;
        memmove(s->buf, s->buf + keep, s->len - keep);
        s->len -= keep;
        s->accept = SEC_MAX_BEHIND;
    }
    return 0;
}

int rs_secrets_stream_feed(rs_secrets_stream *s, const void *data, size_t len)
{
    const char *p = data;
    while (len) {
        size_t room = SEC_WIN - s->len, n = len < room ? len : room;
        memcpy(s->buf + s->len, p, n);
        s->len += n;
        p += n;
        len -= n;
        if (s->len == SEC_WIN && process(s, 0))
            return RS_ERR_INTERNAL;
    }
    return 0;
}

static int found_cmp(const void *x, const void *y)
{
    const rs_secret *a = x, *b = y;
    if (a->line != b->line)
        return a->line < b->line ? -1 : 1;
    return strcmp(a->rule, b->rule);
}

int rs_secrets_stream_end(rs_secrets_stream *s, rs_secrets *out)
{
    if (process(s, 1))
        return RS_ERR_INTERNAL;
    if (s->found.n > 1)
        qsort(s->found.items, s->found.n, sizeof *s->found.items, found_cmp);
    for (size_t i = 0; i < s->found.n; i++)
        if (rs_secrets_add(out, &s->found.items[i]))
            return RS_ERR_INTERNAL;
    return 0;
}

int rs_secrets_scan_buf(const char *data, size_t len, rs_secrets_backend b, const char *path,
                        rs_secrets *out)
{
    rs_secrets_stream *s = rs_secrets_stream_new(b);
    size_t first = out->n;
    int rc = s ? rs_secrets_stream_feed(s, data, len) : RS_ERR_INTERNAL;
    if (!rc)
        rc = rs_secrets_stream_end(s, out);
    rs_secrets_stream_free(s);
    for (size_t i = first; !rc && path && i < out->n; i++)
        if (!(out->items[i].path = strdup(path)))
            rc = RS_ERR_INTERNAL;
    return rc;
}
