/* tagtime.c - the tagtime: key family (redis.h, "tagtime"): where an
 * incremental ACR tag listing of a repository stops, over state.c's pipeline.
 * Values are read back as untrusted: anything but two decimal fields reads as
 * no entry (the next listing is then a full one). */
#include "base.h"
#include "redis.h"
#include "state_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* tagtime:{tenant}:{registry}/{repository}, malloc'd; NULL on bad input or out of memory. */
static char *tagtime_key(const rs_state *st, const char *tenant, const char *registry,
                         const char *repository)
{
    if (!tenant || !*tenant || !registry || !*registry || !repository || !*repository)
        return NULL;
    return rs_state_int_repo_key(st, "tagtime:", tenant, registry, repository);
}

/* A decimal integer reply field; -1 when it is not one. */
static int num_of(const redisReply *v, long long *out)
{
    char buf[24], *end = NULL;
    if (v->type != REDIS_REPLY_STRING || v->len == 0 || v->len >= sizeof buf)
        return -1;
    memcpy(buf, v->str, v->len);
    buf[v->len] = '\0';
    errno = 0;
    *out = strtoll(buf, &end, 10);
    return errno || *end ? -1 : 0;
}

int rs_state_tagtime_get(rs_state *st, const char *tenant, const char *registry,
                         const char *repository, rs_tagtime *out, int *found, char *errstr,
                         size_t errstr_size)
{
    memset(out, 0, sizeof *out);
    *found = 0;
    char *key = tagtime_key(st, tenant, registry, repository);
    if (!key)
        return rs_errf(errstr, errstr_size, RS_ERR_INVALID, "rs_state_tagtime_get: bad argument");
    const char *args[] = {"HMGET", key, "newest", "partial"};
    redisReply *r = NULL;
    int rc = rs_state_int_run(st, args, 4, &r, errstr, errstr_size);
    long long newest = 0, partial = 0;
    if (rc == 0 && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
        num_of(r->element[0], &newest) == 0 && num_of(r->element[1], &partial) == 0 &&
        partial >= 0) {
        out->newest = newest;
        out->partial = (long)partial;
        *found = 1;
    }
    rs_state_int_free_replies(&r, 1);
    free(key);
    return rc;
}

int rs_state_tagtime_set(rs_state *st, const char *tenant, const char *registry,
                         const char *repository, const rs_tagtime *t, char *errstr,
                         size_t errstr_size)
{
    char *key = tagtime_key(st, tenant, registry, repository);
    if (!key)
        return rs_errf(errstr, errstr_size, RS_ERR_INVALID, "rs_state_tagtime_set: bad argument");
    char newest[24], partial[24];
    snprintf(newest, sizeof newest, "%lld", (long long)t->newest);
    snprintf(partial, sizeof partial, "%ld", t->partial);
    const char *args[] = {"HSET", key, "newest", newest, "partial", partial};
    int rc = rs_state_int_run(st, args, 6, NULL, errstr, errstr_size);
    free(key);
    return rc;
}
