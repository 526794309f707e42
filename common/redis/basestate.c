/* basestate.c - the base image key families (redis.h, "basestate"):
 * basechain:, basetags: and basevulns:, over state.c's pipeline.
 *
 * Values are read back as untrusted: a field that is missing, too long or of
 * the wrong type makes the entry not count, never a crash. */
#include "base.h"
#include "redis.h"
#include "state_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BASETAGS_MAX (RS_BASE_MAX_CANDIDATES * 4)

/* Removes the members "tag@…" of KEYS[1]: the tag's earlier images. */
static const char SCRIPT_BASETAG_DROP[] =
    "local p = ARGV[1] .. '@' "
    "for _, m in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do "
    "if string.sub(m, 1, #p) == p then redis.call('ZREM', KEYS[1], m) end end "
    "return 1";

static int bad(char *errstr, size_t errstr_size, const char *fn)
{
    return rs_errf(errstr, errstr_size, RS_ERR_INVALID, "%s: missing argument", fn);
}

static int oom(char *errstr, size_t errstr_size)
{
    return rs_errf(errstr, errstr_size, RS_ERR_INTERNAL, "out of memory");
}

static int ok(const char *s)
{
    return s && *s;
}

/* "registry/repository", malloc'd. */
static char *repo_id(const char *registry, const char *repository)
{
    rs_buf b = RS_BUF_INIT;
    if (rs_buf_printf(&b, "%s/%s", registry, repository)) {
        rs_buf_free(&b);
        return NULL;
    }
    return rs_buf_steal(&b);
}

int rs_state_basechain_set(rs_state *st, const char *tenant, const char *chain,
                           const rs_basechain *b, char *errstr, size_t errstr_size)
{
    if (!ok(tenant) || !ok(chain) || !ok(b->registry) || !ok(b->repository) || !ok(b->digest))
        return bad(errstr, errstr_size, "rs_state_basechain_set");
    char *key = rs_state_int_key(st, "basechain:", tenant, ":", chain, NULL);
    if (!key)
        return oom(errstr, errstr_size);
    char n[24];
    snprintf(n, sizeof n, "%ld", b->n_layers);
    const char *args[] = {"HSET",   key,      "registry", b->registry, "repository",
                          b->repository, "digest", b->digest, "n_layers", n,
                          "created",  b->created};
    int rc = rs_state_int_run(st, args, sizeof args / sizeof *args, NULL, errstr, errstr_size);
    free(key);
    return rc;
}

/* Copies a string reply into dst; -1 when it does not fit or holds a NUL. */
static int take(char *dst, size_t size, const redisReply *v)
{
    if (v->type != REDIS_REPLY_STRING || v->len >= size || strlen(v->str) != v->len)
        return -1;
    memcpy(dst, v->str, v->len + 1);
    return 0;
}

/* Reads one HGETALL reply into *b; 0 when it is a well-formed entry of k layers. */
static int chain_parse(const redisReply *r, size_t k, rs_basechain *b)
{
    memset(b, 0, sizeof *b);
    int seen = 0;
    if (r->type != REDIS_REPLY_ARRAY || r->elements % 2)
        return -1;
    for (size_t i = 0; i + 1 < r->elements; i += 2) {
        const redisReply *f = r->element[i], *v = r->element[i + 1];
        if (f->type != REDIS_REPLY_STRING)
            return -1;
        char num[24] = "";
        if (!strcmp(f->str, "registry"))
            seen |= take(b->registry, sizeof b->registry, v) ? 0x100 : 1;
        else if (!strcmp(f->str, "repository"))
            seen |= take(b->repository, sizeof b->repository, v) ? 0x100 : 2;
        else if (!strcmp(f->str, "digest"))
            seen |= take(b->digest, sizeof b->digest, v) || !rs_digest_valid(b->digest) ? 0x100 : 4;
        else if (!strcmp(f->str, "created"))
            seen |= take(b->created, sizeof b->created, v) ? 0x100 : 0;
        else if (!strcmp(f->str, "n_layers")) {
            char *end = NULL;
            seen |= take(num, sizeof num, v) ? 0x100 : 8;
            b->n_layers = strtol(num, &end, 10);
            if (!num[0] || *end)
                seen |= 0x100;
        }
    }
    return seen == 15 && b->n_layers == (long)k ? 0 : -1;
}

/* Runs `cmd` on the n keys PREFIX{tenant}:{ids[i]} in one pipeline; *out
 * gets the n replies (free with replies_free). An empty id fails with `fn`. */
static int get_many(rs_state *st, const char *cmd, const char *prefix, const char *tenant,
                    const char *const *ids, size_t n, redisReply ***out, const char *fn,
                    char *errstr, size_t errstr_size)
{
    char **keys = calloc(n, sizeof *keys);
    rs_state_cmd *cmds = calloc(n, sizeof *cmds);
    redisReply **r = calloc(n, sizeof *r);
    int rc = keys && cmds && r ? 0 : oom(errstr, errstr_size);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (!ok(ids[i]))
            rc = bad(errstr, errstr_size, fn);
        else if (!(keys[i] = rs_state_int_key(st, prefix, tenant, ":", ids[i], NULL)))
            rc = oom(errstr, errstr_size);
        rs_state_int_arg(&cmds[i], cmd);
        rs_state_int_arg(&cmds[i], keys[i] ? keys[i] : "");
    }
    if (rc == 0)
        rc = rs_state_int_pipeline(st, cmds, n, r, errstr, errstr_size);
    for (size_t i = 0; keys && i < n; i++)
        free(keys[i]);
    free(keys);
    free(cmds);
    if (rc && r) {
        rs_state_int_free_replies(r, n);
        free(r);
        r = NULL;
    }
    *out = r;
    return rc;
}

static void replies_free(redisReply **r, size_t n)
{
    if (r)
        rs_state_int_free_replies(r, n);
    free(r);
}

int rs_state_basechain_longest(rs_state *st, const char *tenant, char (*chains)[65], size_t n,
                               const char *self, rs_basechain *out, size_t *k, char *errstr,
                               size_t errstr_size)
{
    *k = 0;
    memset(out, 0, sizeof *out);
    if (!ok(tenant))
        return bad(errstr, errstr_size, "rs_state_basechain_longest");
    if (!n)
        return 0;
    const char **ids = malloc(n * sizeof *ids);
    if (!ids)
        return oom(errstr, errstr_size);
    for (size_t i = 0; i < n; i++)
        ids[i] = chains[i];
    redisReply **r = NULL;
    int rc = get_many(st, "HGETALL", "basechain:", tenant, ids, n, &r,
                      "rs_state_basechain_longest", errstr, errstr_size);
    free(ids);
    for (size_t i = n; rc == 0 && i > 0; i--) {
        rs_basechain b;
        if (chain_parse(r[i - 1], i, &b) == 0 && (!self || strcmp(b.digest, self))) {
            *out = b;
            *k = i;
            break;
        }
    }
    replies_free(r, n);
    return rc;
}

/* Queues the commands of rs_state_basetag_set into cmds (n + 1 of them);
 * bufs holds the members and scores (2 * n strings, freed by the caller). */
static int basetag_cmds(const char *key, const char *tag, const char *const *digests,
                        const int64_t *created, size_t n, rs_state_cmd *cmds, char **bufs)
{
    const char *drop[] = {"EVAL", SCRIPT_BASETAG_DROP, "1", key, tag};
    for (size_t i = 0; i < sizeof drop / sizeof *drop; i++)
        rs_state_int_arg(&cmds[0], drop[i]);
    for (size_t i = 0; i < n; i++) {
        if (!rs_digest_valid(digests[i]))
            return RS_ERR_INVALID;
        rs_buf m = RS_BUF_INIT, s = RS_BUF_INIT;
        int e = rs_buf_printf(&m, "%s@%s", tag, digests[i]);
        if (created[i] == INT64_MIN)
            e |= rs_buf_puts(&s, "-inf");
        else
            e |= rs_buf_printf(&s, "%lld", (long long)created[i]);
        bufs[2 * i] = rs_buf_steal(&m);
        bufs[2 * i + 1] = rs_buf_steal(&s);
        rs_buf_free(&m);
        rs_buf_free(&s);
        if (e)
            return RS_ERR_INTERNAL;
        const char *add[] = {"ZADD", key, bufs[2 * i + 1], bufs[2 * i]};
        for (size_t a = 0; a < 4; a++)
            rs_state_int_arg(&cmds[i + 1], add[a]);
    }
    return 0;
}

int rs_state_basetag_set(rs_state *st, const char *tenant, const char *registry,
                         const char *repository, const char *tag, const char *const *digests,
                         const int64_t *created, size_t n, char *errstr, size_t errstr_size)
{
    if (!ok(tenant) || !ok(registry) || !ok(repository) || !ok(tag) || strchr(tag, '@'))
        return bad(errstr, errstr_size, "rs_state_basetag_set");
    char *rid = repo_id(registry, repository);
    char *key = rid ? rs_state_int_key(st, "basetags:", tenant, ":", rid, NULL) : NULL;
    rs_state_cmd *cmds = calloc(n + 1, sizeof *cmds);
    char **bufs = calloc(2 * n + 1, sizeof *bufs);
    redisReply **r = calloc(n + 1, sizeof *r);
    int rc = key && cmds && bufs && r ? 0 : oom(errstr, errstr_size);
    if (rc == 0) {
        rc = basetag_cmds(key, tag, digests, created, n, cmds, bufs);
        if (rc == RS_ERR_INVALID)
            rc = bad(errstr, errstr_size, "rs_state_basetag_set");
        else if (rc)
            rc = oom(errstr, errstr_size);
    }
    if (rc == 0)
        rc = rs_state_int_pipeline(st, cmds, n + 1, r, errstr, errstr_size);
    if (r)
        rs_state_int_free_replies(r, n + 1);
    for (size_t i = 0; bufs && i < 2 * n; i++)
        free(bufs[i]);
    free(bufs);
    free(r);
    free(cmds);
    free(key);
    free(rid);
    return rc;
}

/* Parses one "tag@digest" member and its score into t; -1 when malformed. */
static int basetag_parse(const redisReply *m, const redisReply *score, rs_basetag *t)
{
    memset(t, 0, sizeof *t);
    if (m->type != REDIS_REPLY_STRING || score->type != REDIS_REPLY_STRING ||
        strlen(m->str) != m->len)
        return -1;
    const char *at = strrchr(m->str, '@');
    size_t tl = at ? (size_t)(at - m->str) : 0;
    if (!tl || tl >= sizeof t->tag || !rs_digest_valid(at + 1))
        return -1;
    memcpy(t->tag, m->str, tl);
    t->tag[tl] = '\0';
    snprintf(t->digest, sizeof t->digest, "%s", at + 1);
    char *end = NULL;
    long long v = strtoll(score->str, &end, 10);
    t->created = (end && !*end && score->len) ? (int64_t)v : INT64_MIN;
    return 0;
}

int rs_state_basetags_get(rs_state *st, const char *tenant, const char *registry,
                          const char *repository, rs_basetag **out, size_t *n, char *errstr,
                          size_t errstr_size)
{
    *out = NULL;
    *n = 0;
    if (!ok(tenant) || !ok(registry) || !ok(repository))
        return bad(errstr, errstr_size, "rs_state_basetags_get");
    char *rid = repo_id(registry, repository);
    char *key = rid ? rs_state_int_key(st, "basetags:", tenant, ":", rid, NULL) : NULL;
    free(rid);
    if (!key)
        return oom(errstr, errstr_size);
    char limit[24];
    snprintf(limit, sizeof limit, "%d", BASETAGS_MAX);
    const char *args[] = {"ZREVRANGEBYSCORE", key, "+inf", "-inf", "WITHSCORES",
                          "LIMIT",            "0", limit};
    redisReply *r = NULL;
    int rc = rs_state_int_run(st, args, sizeof args / sizeof *args, &r, errstr, errstr_size);
    if (rc == 0 && (r->type != REDIS_REPLY_ARRAY || r->elements % 2))
        rc = rs_errf(errstr, errstr_size, RS_ERR_INTERNAL, "redis: unexpected ZRANGE reply");
    if (rc == 0 && r->elements && !(*out = calloc(r->elements / 2, sizeof **out)))
        rc = oom(errstr, errstr_size);
    for (size_t i = 0; rc == 0 && i + 1 < r->elements; i += 2)
        if (basetag_parse(r->element[i], r->element[i + 1], &(*out)[*n]) == 0)
            (*n)++;
    rs_state_int_free_replies(&r, 1);
    free(key);
    if (rc) {
        free(*out);
        *out = NULL;
        *n = 0;
    }
    return rc;
}

int rs_state_basevulns_set(rs_state *st, const char *tenant, const char *digest, const char *json,
                           char *errstr, size_t errstr_size)
{
    if (!ok(tenant) || !ok(digest) || !json)
        return bad(errstr, errstr_size, "rs_state_basevulns_set");
    char *key = rs_state_int_key(st, "basevulns:", tenant, ":", digest, NULL);
    if (!key)
        return oom(errstr, errstr_size);
    const char *args[] = {"SET", key, json};
    int rc = rs_state_int_run(st, args, 3, NULL, errstr, errstr_size);
    free(key);
    return rc;
}

int rs_state_basevulns_get_many(rs_state *st, const char *tenant, const char *const *digests,
                                size_t n, char **out, size_t *len, char *errstr,
                                size_t errstr_size)
{
    for (size_t i = 0; i < n; i++) {
        out[i] = NULL;
        len[i] = 0;
    }
    if (!ok(tenant))
        return bad(errstr, errstr_size, "rs_state_basevulns_get_many");
    if (!n)
        return 0;
    redisReply **r = NULL;
    int rc = get_many(st, "GET", "basevulns:", tenant, digests, n, &r,
                      "rs_state_basevulns_get_many", errstr, errstr_size);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (r[i]->type != REDIS_REPLY_STRING)
            continue;
        if (!(out[i] = malloc(r[i]->len + 1))) {
            rc = oom(errstr, errstr_size);
            break;
        }
        memcpy(out[i], r[i]->str, r[i]->len);
        out[i][r[i]->len] = '\0';
        len[i] = r[i]->len;
    }
    replies_free(r, n);
    if (rc)
        for (size_t i = 0; i < n; i++) {
            free(out[i]);
            out[i] = NULL;
        }
    return rc;
}
