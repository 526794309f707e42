/* secrets/prefilter_hs.c - the literal finder on Hyperscan (Intel's
 * multi-pattern matcher, Debian's libhyperscan-dev on amd64): the same
 * literals compiled once into one block-mode database; every end offset of
 * every literal is reported, which gives the same candidates as the portable
 * finder. Without Hyperscan in the build every function says so. */
#include "base.h"
#include "secrets_int.h"

#ifdef RS_HAVE_HYPERSCAN
#include <hs.h>
#include <pthread.h>
#include <stdlib.h>

static hs_database_t *db;
static hs_scratch_t *proto;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void build(void)
{
    size_t n;
    const sec_literal *lits = sec_literals(&n);
    const char *exprs[64];
    unsigned flags[64], ids[64];
    size_t lens[64];
    if (n > 64)
        return;
    for (size_t i = 0; i < n; i++) {
        exprs[i] = lits[i].text;
        lens[i] = lits[i].len;
        flags[i] = lits[i].nocase ? HS_FLAG_CASELESS : 0;
        ids[i] = (unsigned)i;
    }
    hs_compile_error_t *err = NULL;
    if (hs_compile_lit_multi(exprs, flags, ids, lens, (unsigned)n, HS_MODE_BLOCK, NULL, &db,
                             &err) != HS_SUCCESS) {
        hs_free_compile_error(err);
        db = NULL;
        return;
    }
    if (hs_alloc_scratch(db, &proto) != HS_SUCCESS) {
        hs_free_database(db);
        db = NULL;
    }
}

int sec_hs_available(void)
{
    pthread_once(&once, build);
    return db != NULL;
}

void *sec_hs_scratch_new(void)
{
    hs_scratch_t *s = NULL;
    if (!sec_hs_available() || hs_clone_scratch(proto, &s) != HS_SUCCESS)
        return NULL;
    return s;
}

void sec_hs_scratch_free(void *scratch)
{
    if (scratch)
        hs_free_scratch(scratch);
}

struct hs_ctx {
    size_t from, to;
    sec_cand **c;
    size_t *n, *cap;
    int rc;
};

static int on_match(unsigned id, unsigned long long from, unsigned long long to, unsigned flags,
                    void *arg)
{
    (void)from;
    (void)flags;
    struct hs_ctx *x = arg;
    size_t nl;
    const sec_literal *lits = sec_literals(&nl);
    size_t start = (size_t)to - lits[id].len;
    if (start < x->from || start >= x->to)
        return 0;
    if (RS_GROW(*x->c, *x->n + 1, *x->cap)) {
        x->rc = RS_ERR_INTERNAL;
        return 1;
    }
    (*x->c)[(*x->n)++] = (sec_cand){start, id};
    return 0;
}

int sec_prefilter_hs(void *scratch, const char *buf, size_t len, size_t from, size_t to,
                     sec_cand **c, size_t *n, size_t *cap)
{
    if (!scratch || len > 0xffffffffu)
        return RS_ERR_INTERNAL;
    struct hs_ctx x = {from, to, c, n, cap, 0};
    hs_error_t e = hs_scan(db, buf, (unsigned)len, 0, scratch, on_match, &x);
    if (x.rc)
        return x.rc;
    return e == HS_SUCCESS ? 0 : RS_ERR_INTERNAL;
}

#else

int sec_hs_available(void)
{
    return 0;
}

void *sec_hs_scratch_new(void)
{
    return NULL;
}

void sec_hs_scratch_free(void *scratch)
{
    (void)scratch;
}

int sec_prefilter_hs(void *scratch, const char *buf, size_t len, size_t from, size_t to,
                     sec_cand **c, size_t *n, size_t *cap)
{
    (void)scratch, (void)buf, (void)len, (void)from, (void)to, (void)c, (void)n, (void)cap;
    return RS_ERR_UNSUPPORTED;
}

#endif
