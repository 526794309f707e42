/* state.c - Redis state and caches through hiredis 0.14 (DESIGN.md §5).
 *
 * One connection per rs_state behind a mutex. Every command is sent with the
 * binary-safe argv interface (no format strings over untrusted data); when
 * the connection broke (EOF, reset) it is re-established once and the
 * command, or the whole pipeline, sent again. A timeout is not retried: the
 * command may have run. Messages name the server as host:port/db, never the
 * password. */
#include "redis.h"
#include "base.h"
#include "state_int.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <hiredis/hiredis.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CONNECT_TIMEOUT_S 5
#define COMMAND_TIMEOUT_S 10
#define MAX_ARGS RS_STATE_MAX_ARGS

struct rs_state {
    pthread_mutex_t lock;
    redisContext *c;
    rs_redis_url url;
    char where[300]; /* host:port/db, for messages */
    char *prefix;
};

/* One command of a pipeline (state_int.h). */
typedef rs_state_cmd cmd;

static const char SCRIPT_RENEW[] =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then "
    "return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end";
static const char SCRIPT_RELEASE[] = "if redis.call('GET', KEYS[1]) == ARGV[1] then "
                                     "return redis.call('DEL', KEYS[1]) else return 0 end";
static const char SCRIPT_TOUCH[] =
    "if redis.call('EXISTS', KEYS[1]) == 1 then "
    "redis.call('HSET', KEYS[1], 'last_seen_pass', ARGV[1]) return 1 end return 0";

/* ---- URL ---------------------------------------------------------------- */

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    return (c >= 'a' && c <= 'f') ? c - 'a' + 10 : -1;
}

/* Percent-decodes s[0..n) into out (out_size bytes). Returns 0 or -1. */
static int pct_decode(const char *s, size_t n, char *out, size_t out_size)
{
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        int c = (unsigned char)s[i];
        if (c == '%') {
            if (i + 2 >= n)
                return -1;
            int h = hexval((unsigned char)s[i + 1]);
            int l = hexval((unsigned char)s[i + 2]);
            if (h < 0 || l < 0 || (h == 0 && l == 0))
                return -1;
            c = h * 16 + l;
            i += 2;
        }
        if (w + 1 >= out_size)
            return -1;
        out[w++] = (char)c;
    }
    out[w] = '\0';
    return 0;
}

static int parse_db(const char *s, size_t n, int *db)
{
    if (n == 0 || n > 5)
        return -1;
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *db = v;
    return 0;
}

int rs_redis_url_parse(const char *url, rs_redis_url *out, char *errstr, size_t errstr_size)
{
    memset(out, 0, sizeof *out);
    out->port = 6379;
    if (!url || !*url)
        return rs_errf(errstr, errstr_size, RS_ERR_CONFIG, "redis url: empty");
    if (!strncmp(url, "rediss://", 9))
        return rs_errf(errstr, errstr_size, RS_ERR_CONFIG,
                       "redis url: rediss:// (TLS) is not supported by hiredis 0.14, use a local "
                       "TLS proxy such as stunnel");
    if (!strncmp(url, "unix://", 7)) {
        const char *p = url + 7;
        size_t plen = strcspn(p, "?");
        if (plen == 0 || p[0] != '/' || plen >= sizeof out->path)
            return rs_errf(errstr, errstr_size, RS_ERR_CONFIG,
                           "redis url: unix:// needs an absolute socket path");
        memcpy(out->path, p, plen);
        out->path[plen] = '\0';
        const char *q = p + plen;
        if (*q) {
            if (strncmp(q, "?db=", 4) || parse_db(q + 4, strlen(q + 4), &out->db))
                return rs_errf(errstr, errstr_size, RS_ERR_CONFIG,
                               "redis url: unix socket options must be ?db=N");
        }
        return 0;
    }
    if (strncmp(url, "redis://", 8))
        return rs_errf(errstr, errstr_size, RS_ERR_CONFIG,
                       "redis url: must start with redis:// or unix://");
    const char *a = url + 8;
    size_t alen = strcspn(a, "/?#");
    const char *rest = a + alen;
    /* userinfo: the last '@' of the authority, as passwords may contain '@' unencoded */
    const char *at = NULL;
    for (size_t i = 0; i < alen; i++)
        if (a[i] == '@')
            at = a + i;
    const char *h = a;
    if (at) {
        const char *colon = memchr(a, ':', (size_t)(at - a));
        if (!colon)
            return rs_errf(errstr, errstr_size, RS_ERR_CONFIG,
                           "redis url: credentials must be :password@ or user:password@");
        if (pct_decode(a, (size_t)(colon - a), out->user, sizeof out->user) ||
            pct_decode(colon + 1, (size_t)(at - colon - 1), out->password, sizeof out->password))
            return rs_errf(errstr, errstr_size, RS_ERR_CONFIG,
                           "redis url: bad or too long user or password");
        h = at + 1;
    }
    size_t hlen = (size_t)(rest - h);
    const char *port = NULL;
    if (hlen && h[0] == '[') {
        const char *close = memchr(h, ']', hlen);
        if (!close || close == h + 1 || (size_t)(close - h - 1) >= sizeof out->host)
            return rs_errf(errstr, errstr_size, RS_ERR_CONFIG, "redis url: bad host");
        memcpy(out->host, h + 1, (size_t)(close - h - 1));
        out->host[close - h - 1] = '\0';
        if (close + 1 < rest) {
            if (close[1] != ':')
                return rs_errf(errstr, errstr_size, RS_ERR_CONFIG, "redis url: bad host");
            port = close + 2;
        }
    } else {
        const char *colon = memchr(h, ':', hlen);
        size_t n = colon ? (size_t)(colon - h) : hlen;
        if (n == 0 || n >= sizeof out->host)
            return rs_errf(errstr, errstr_size, RS_ERR_CONFIG, "redis url: bad host");
        for (size_t i = 0; i < n; i++)
            if (!isalnum((unsigned char)h[i]) && h[i] != '.' && h[i] != '-' && h[i] != '_')
                return rs_errf(errstr, errstr_size, RS_ERR_CONFIG, "redis url: bad host");
        memcpy(out->host, h, n);
        out->host[n] = '\0';
        if (colon)
            port = colon + 1;
    }
    if (port) {
        size_t n = (size_t)(rest - port);
        long v = 0;
        if (n == 0 || n > 5)
            return rs_errf(errstr, errstr_size, RS_ERR_CONFIG, "redis url: bad port");
        for (size_t i = 0; i < n; i++) {
            if (!isdigit((unsigned char)port[i]))
                return rs_errf(errstr, errstr_size, RS_ERR_CONFIG, "redis url: bad port");
            v = v * 10 + (port[i] - '0');
        }
        if (v < 1 || v > 65535)
            return rs_errf(errstr, errstr_size, RS_ERR_CONFIG, "redis url: bad port");
        out->port = (int)v;
    }
    if (*rest == '/') {
        rest++;
        size_t n = strlen(rest);
        if (n && parse_db(rest, n, &out->db))
            return rs_errf(errstr, errstr_size, RS_ERR_CONFIG,
                           "redis url: the path must be a database number");
    } else if (*rest) {
        return rs_errf(errstr, errstr_size, RS_ERR_CONFIG,
                       "redis url: unexpected query or fragment");
    }
    return 0;
}

/* ---- connection --------------------------------------------------------- */

static void disconnect(rs_state *st)
{
    if (st->c)
        redisFree(st->c);
    st->c = NULL;
}

/* One command on a fresh connection during the handshake. */
static int handshake(rs_state *st, int argc, const char **argv, const char *what, char *errstr,
                     size_t errstr_size)
{
    size_t len[4];
    for (int i = 0; i < argc; i++)
        len[i] = strlen(argv[i]);
    redisReply *r = redisCommandArgv(st->c, argc, argv, len);
    int rc = 0;
    if (!r) {
        rc = rs_errf(errstr, errstr_size, RS_ERR_STORE, "redis at '%s': %s failed: %s", st->where,
                     what, st->c->errstr);
    } else if (r->type == REDIS_REPLY_ERROR) {
        int auth = !strncmp(r->str, "WRONGPASS", 9) || !strncmp(r->str, "NOAUTH", 6) ||
                   !strncmp(r->str, "NOPERM", 6) || !strcmp(what, "AUTH");
        rc = rs_errf(errstr, errstr_size, auth ? RS_ERR_UNAUTHORIZED : RS_ERR_CONFIG,
                     "redis at '%s': %s refused: %.200s", st->where, what, r->str);
    }
    if (r)
        freeReplyObject(r);
    return rc;
}

static int connect_locked(rs_state *st, char *errstr, size_t errstr_size)
{
    disconnect(st);
    struct timeval ct = {CONNECT_TIMEOUT_S, 0}, cmdt = {COMMAND_TIMEOUT_S, 0};
    if (st->url.path[0])
        st->c = redisConnectUnixWithTimeout(st->url.path, ct);
    else
        st->c = redisConnectWithTimeout(st->url.host, st->url.port, ct);
    if (!st->c)
        return rs_errf(errstr, errstr_size, RS_ERR_INTERNAL, "out of memory");
    if (st->c->err) {
        int rc = rs_errf(errstr, errstr_size, RS_ERR_STORE, "cannot connect to redis at '%s': %s",
                         st->where, st->c->errstr);
        disconnect(st);
        return rc;
    }
    redisSetTimeout(st->c, cmdt);
    int rc = 0;
    if (st->url.password[0]) {
        const char *argv[3] = {"AUTH", st->url.user[0] ? st->url.user : st->url.password,
                               st->url.password};
        rc = handshake(st, st->url.user[0] ? 3 : 2, argv, "AUTH", errstr, errstr_size);
    }
    if (!rc && st->url.db) {
        char db[16];
        snprintf(db, sizeof db, "%d", st->url.db);
        const char *argv[2] = {"SELECT", db};
        rc = handshake(st, 2, argv, "SELECT", errstr, errstr_size);
    }
    if (!rc) {
        /* a name per process, so operators (and tests) can tell connections apart;
           an ACL may forbid it, which is no reason to fail */
        char name[48];
        snprintf(name, sizeof name, "regscan-%ld", (long)getpid());
        const char *argv[3] = {"CLIENT", "SETNAME", name};
        redisReply *r = redisCommandArgv(st->c, 3, argv, NULL);
        if (r)
            freeReplyObject(r);
    }
    if (!rc) {
        const char *argv[1] = {"PING"};
        rc = handshake(st, 1, argv, "PING", errstr, errstr_size);
    }
    if (rc)
        disconnect(st);
    return rc;
}

rs_state *rs_state_new_err(const char *redis_url, const char *prefix, int *err, char *errstr,
                           size_t errstr_size)
{
    int rc = 0;
    rs_state *st = calloc(1, sizeof *st);
    if (!st || !(st->prefix = strdup(prefix ? prefix : ""))) {
        rc = rs_errf(errstr, errstr_size, RS_ERR_INTERNAL, "out of memory");
        goto fail;
    }
    pthread_mutex_init(&st->lock, NULL);
    if ((rc = rs_redis_url_parse(redis_url, &st->url, errstr, errstr_size)))
        goto fail_lock;
    if (st->url.path[0])
        snprintf(st->where, sizeof st->where, "unix:%s/%d", st->url.path, st->url.db);
    else if (strchr(st->url.host, ':'))
        snprintf(st->where, sizeof st->where, "[%s]:%d/%d", st->url.host, st->url.port, st->url.db);
    else
        snprintf(st->where, sizeof st->where, "%s:%d/%d", st->url.host, st->url.port, st->url.db);
    if ((rc = connect_locked(st, errstr, errstr_size)))
        goto fail_lock;
    if (err)
        *err = 0;
    return st;
fail_lock:
    pthread_mutex_destroy(&st->lock);
fail:
    if (st) {
        memset(st->url.password, 0, sizeof st->url.password);
        free(st->prefix);
        free(st);
    }
    if (err)
        *err = rc;
    return NULL;
}

rs_state *rs_state_new(const char *redis_url, const char *prefix, char *errstr, size_t errstr_size)
{
    return rs_state_new_err(redis_url, prefix, NULL, errstr, errstr_size);
}

void rs_state_destroy(rs_state *st)
{
    if (!st)
        return;
    disconnect(st);
    pthread_mutex_destroy(&st->lock);
    memset(st->url.password, 0, sizeof st->url.password);
    free(st->prefix);
    free(st);
}

/* 1 when the connection broke in a way that makes one resend safe. */
static int broken(const redisContext *c, int saved_errno)
{
    if (c->err == REDIS_ERR_EOF)
        return 1;
    if (c->err == REDIS_ERR_IO)
        return saved_errno != EAGAIN && saved_errno != EWOULDBLOCK && saved_errno != ETIMEDOUT;
    return 0;
}

/* The status of an error reply, by its error code (the reply's first word,
 * which the Redis protocol defines): a server that is loading, busy, failing
 * over, out of memory or unable to persist is a store that cannot take the
 * request now (RS_ERR_STORE, retried); anything else is a bug of ours. */
static int reply_error_status(const char *msg)
{
    static const char *const transient[] = {"LOADING",    "BUSY",        "MASTERDOWN", "READONLY",
                                            "TRYAGAIN",   "CLUSTERDOWN", "MISCONF",    "OOM",
                                            "NOREPLICAS", NULL};
    size_t n = msg ? strcspn(msg, " ") : 0;
    for (size_t i = 0; transient[i]; i++)
        if (strlen(transient[i]) == n && !strncmp(msg, transient[i], n))
            return RS_ERR_STORE;
    return RS_ERR_INTERNAL;
}

/* Sends n commands in one round-trip and reads their replies into
 * replies[0..n) (each freed by the caller, also on error). Holds the lock. */
static int pipeline(rs_state *st, const cmd *cmds, size_t n, redisReply **replies, char *errstr,
                    size_t errstr_size)
{
    int rc = 0;
    for (size_t i = 0; i < n; i++)
        replies[i] = NULL;
    for (size_t i = 0; i < n; i++)
        if (cmds[i].overflow)
            return rs_errf(errstr, errstr_size, RS_ERR_INTERNAL,
                           "redis: command '%s' has more than %d arguments", cmds[i].argv[0],
                           MAX_ARGS);
    pthread_mutex_lock(&st->lock);
    for (int attempt = 0; attempt < 2; attempt++) {
        if (!st->c && (rc = connect_locked(st, errstr, errstr_size)))
            break;
        int ok = 1, saved = 0;
        for (size_t i = 0; ok && i < n; i++)
            ok = redisAppendCommandArgv(st->c, cmds[i].argc, (const char **)cmds[i].argv,
                                        cmds[i].len) == REDIS_OK;
        if (!ok) {
            rc = rs_errf(errstr, errstr_size, RS_ERR_INTERNAL, "out of memory");
            disconnect(st);
            break;
        }
        size_t got = 0;
        for (; got < n; got++) {
            void *r = NULL;
            errno = 0;
            if (redisGetReply(st->c, &r) != REDIS_OK) {
                saved = errno;
                break;
            }
            replies[got] = r;
        }
        if (got == n) {
            rc = 0;
            break;
        }
        for (size_t i = 0; i < got; i++) {
            freeReplyObject(replies[i]);
            replies[i] = NULL;
        }
        int retry = broken(st->c, saved) && attempt == 0;
        if (!retry) {
            rc = rs_errf(errstr, errstr_size, RS_ERR_STORE, "redis at '%s': %s", st->where,
                         st->c->errstr[0] ? st->c->errstr : "connection lost");
            disconnect(st);
            break;
        }
        rs_log(RS_LOG_WARN, "redis connection to '%s' broke (%s), reconnecting", st->where,
               st->c->errstr);
        disconnect(st);
    }
    pthread_mutex_unlock(&st->lock);
    if (rc)
        return rc;
    for (size_t i = 0; i < n; i++)
        if (replies[i]->type == REDIS_REPLY_ERROR)
            return rs_errf(errstr, errstr_size, reply_error_status(replies[i]->str),
                           "redis at '%s': %s: %.200s", st->where, cmds[i].argv[0],
                           replies[i]->str);
    return 0;
}

static void free_replies(redisReply **r, size_t n)
{
    for (size_t i = 0; r && i < n; i++)
        if (r[i])
            freeReplyObject(r[i]);
}

static void arg_bin(cmd *c, const void *s, size_t len)
{
    if (c->argc >= MAX_ARGS) {
        c->overflow = 1;
        return;
    }
    c->argv[c->argc] = s;
    c->len[c->argc] = len;
    c->argc++;
}

static void arg(cmd *c, const char *s)
{
    arg_bin(c, s, strlen(s));
}

static int ok_arg(const char *s)
{
    return s && *s;
}

/* prefix + parts joined (a NULL ends the list); malloc'd, NULL when out of memory. */
static char *key_make(const rs_state *st, const char *a, const char *b, const char *c,
                      const char *d, const char *e)
{
    rs_buf k = RS_BUF_INIT;
    const char *parts[] = {st->prefix, a, b, c, d, e};
    for (size_t i = 0; i < 6 && parts[i]; i++)
        if (rs_buf_puts(&k, parts[i])) {
            rs_buf_free(&k);
            return NULL;
        }
    return rs_buf_steal(&k);
}

static char *key_done(const rs_state *st, const char *tenant, const char *digest)
{
    return key_make(st, "done:", tenant, ":", digest, NULL);
}

static int bad_args(char *errstr, size_t errstr_size, const char *fn)
{
    return rs_errf(errstr, errstr_size, RS_ERR_INVALID, "%s: missing argument", fn);
}

static int oom(char *errstr, size_t errstr_size)
{
    return rs_errf(errstr, errstr_size, RS_ERR_INTERNAL, "out of memory");
}

static int reply_int(const redisReply *r, long long *v)
{
    if (r->type != REDIS_REPLY_INTEGER)
        return RS_ERR_INTERNAL;
    *v = r->integer;
    return 0;
}

/* ---- running commands ----------------------------------------------------
 * Every command of one key goes through run_cmd: it takes the key (frees it;
 * NULL is out of memory and nothing is sent). run and run_int take the
 * arguments as strings up to END; a pipeline of many keys is a struct batch. */

#define END ((const char *)NULL)

static void args_v(cmd *c, va_list ap)
{
    for (const char *s; (s = va_arg(ap, const char *));)
        arg(c, s);
}

/* Runs c, which names `key` (taken). With `reply` the reply is handed over
 * (the caller frees it; NULL on error), otherwise it is freed. */
static int run_cmd(rs_state *st, const cmd *c, char *key, redisReply **reply, char *errstr,
                   size_t errstr_size)
{
    redisReply *r = NULL;
    int rc = key ? pipeline(st, c, 1, &r, errstr, errstr_size) : oom(errstr, errstr_size);
    free(key);
    if (reply && !rc) {
        *reply = r;
        r = NULL;
    } else if (reply) {
        *reply = NULL;
    }
    free_replies(&r, 1);
    return rc;
}

/* Runs the command of the strings after errstr_size up to END, see run_cmd. */
__attribute__((sentinel)) static int run(rs_state *st, char *key, redisReply **reply, char *errstr,
                                         size_t errstr_size, ...)
{
    cmd c = {0};
    va_list ap;
    va_start(ap, errstr_size);
    args_v(&c, ap);
    va_end(ap);
    return run_cmd(st, &c, key, reply, errstr, errstr_size);
}

/* Like run, for a command whose reply is an integer: stored in *v (may be
 * NULL); another reply fails with "redis: unexpected <what> reply". */
__attribute__((sentinel)) static int run_int(rs_state *st, char *key, long long *v,
                                             const char *what, char *errstr, size_t errstr_size,
                                             ...)
{
    cmd c = {0};
    va_list ap;
    va_start(ap, errstr_size);
    args_v(&c, ap);
    va_end(ap);
    redisReply *r = NULL;
    long long x = 0;
    int rc = run_cmd(st, &c, key, &r, errstr, errstr_size);
    if (!rc && reply_int(r, &x))
        rc = rs_errf(errstr, errstr_size, RS_ERR_INTERNAL, "redis: unexpected %s reply", what);
    else if (!rc && v)
        *v = x;
    free_replies(&r, 1);
    return rc;
}

/* GET of `key` (taken): *r is the string reply (the caller frees it), or
 * NULL when the key does not exist. */
static int run_get(rs_state *st, char *key, redisReply **r, char *errstr, size_t errstr_size)
{
    int rc = run(st, key, r, errstr, errstr_size, "GET", key, END);
    if (!rc && (*r)->type != REDIS_REPLY_STRING) {
        if ((*r)->type != REDIS_REPLY_NIL)
            rc = rs_errf(errstr, errstr_size, RS_ERR_INTERNAL, "redis: unexpected GET reply");
        free_replies(r, 1);
        *r = NULL;
    }
    return rc;
}

/* The keys, commands and replies of one pipeline, owned together. */
struct batch {
    char **keys;
    cmd *cmds;
    redisReply **replies;
    size_t n_keys, n;
};

static int batch_init(struct batch *b, size_t n_keys, size_t n_cmds)
{
    b->keys = calloc(n_keys ? n_keys : 1, sizeof *b->keys);
    b->cmds = calloc(n_cmds ? n_cmds : 1, sizeof *b->cmds);
    b->replies = calloc(n_cmds ? n_cmds : 1, sizeof *b->replies);
    b->n_keys = b->n = 0;
    return b->keys && b->cmds && b->replies ? 0 : RS_ERR_INTERNAL;
}

static void batch_free(struct batch *b)
{
    free_replies(b->replies, b->replies ? b->n : 0);
    for (size_t i = 0; b->keys && i < b->n_keys; i++)
        free(b->keys[i]);
    free(b->keys);
    free(b->cmds);
    free(b->replies);
}

typedef char *key_fn(const rs_state *st, const char *tenant, const char *digest);

/* Adds the key of each digest to b; fn names the caller in messages. */
static int batch_keys(rs_state *st, struct batch *b, key_fn *key_of, const char *tenant,
                      const char *const *digests, size_t n, const char *fn, char *errstr,
                      size_t errstr_size)
{
    for (size_t i = 0; i < n; i++) {
        if (!ok_arg(digests[i]))
            return bad_args(errstr, errstr_size, fn);
        if (!(b->keys[b->n_keys] = key_of(st, tenant, digests[i])))
            return oom(errstr, errstr_size);
        b->n_keys++;
    }
    return 0;
}

static int batch_run(rs_state *st, struct batch *b, char *errstr, size_t errstr_size)
{
    return pipeline(st, b->cmds, b->n, b->replies, errstr, errstr_size);
}

/* ---- done --------------------------------------------------------------- */

static void copy_field(char *dst, size_t size, const redisReply *v)
{
    size_t n = v->len < size - 1 ? v->len : size - 1;
    memcpy(dst, v->str, n);
    dst[n] = '\0';
}

static void done_parse(const redisReply *r, rs_done *d, int *found)
{
    memset(d, 0, sizeof *d);
    *found = 0;
    if (r->type != REDIS_REPLY_ARRAY || r->elements == 0)
        return;
    *found = 1;
    for (size_t i = 0; i + 1 < r->elements; i += 2) {
        const redisReply *f = r->element[i], *v = r->element[i + 1];
        if (f->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING)
            continue;
        char num[32];
        if (!strcmp(f->str, "analyzer_version"))
            copy_field(d->analyzer_version, sizeof d->analyzer_version, v);
        else if (!strcmp(f->str, "policy_version"))
            copy_field(d->policy_version, sizeof d->policy_version, v);
        else if (!strcmp(f->str, "report_id"))
            copy_field(d->report_id, sizeof d->report_id, v);
        else if (!strcmp(f->str, "status"))
            copy_field(d->status, sizeof d->status, v);
        else if (!strcmp(f->str, "error_code"))
            copy_field(d->error_code, sizeof d->error_code, v);
        else if (!strcmp(f->str, "scanned_at"))
            copy_field(d->scanned_at, sizeof d->scanned_at, v);
        else if (!strcmp(f->str, "findings"))
            copy_field(d->findings, sizeof d->findings, v);
        else if (!strcmp(f->str, "platform"))
            copy_field(d->platform, sizeof d->platform, v);
        else if (!strcmp(f->str, "vulndb_version")) {
            copy_field(num, sizeof num, v);
            d->vulndb_version = strtoll(num, NULL, 10);
        } else if (!strcmp(f->str, "last_seen_pass")) {
            copy_field(num, sizeof num, v);
            d->last_seen_pass = strtoll(num, NULL, 10);
        }
    }
}

int rs_state_done_get_many_pass(rs_state *st, const char *tenant, const char *const *digests,
                                size_t n, int64_t seen_pass, rs_done *outs, int *found,
                                char *errstr, size_t errstr_size)
{
    if (!ok_arg(tenant))
        return bad_args(errstr, errstr_size, "rs_state_done_get_many");
    if (n == 0)
        return 0;
    size_t per = seen_pass > 0 ? 2 : 1;
    char pass[32];
    snprintf(pass, sizeof pass, "%lld", (long long)seen_pass);
    struct batch b;
    int rc = batch_init(&b, n, n * per) ? oom(errstr, errstr_size)
                                        : batch_keys(st, &b, key_done, tenant, digests, n,
                                                     "rs_state_done_get_many", errstr, errstr_size);
    for (size_t i = 0; !rc && i < n; i++) {
        cmd *c = &b.cmds[b.n++];
        arg(c, "HGETALL");
        arg(c, b.keys[i]);
        if (per == 2) {
            c = &b.cmds[b.n++];
            arg(c, "EVAL");
            arg(c, SCRIPT_TOUCH);
            arg(c, "1");
            arg(c, b.keys[i]);
            arg(c, pass);
        }
    }
    if (!rc)
        rc = batch_run(st, &b, errstr, errstr_size);
    for (size_t i = 0; !rc && i < n; i++)
        done_parse(b.replies[i * per], &outs[i], &found[i]);
    batch_free(&b);
    return rc;
}

int rs_state_done_get_many(rs_state *st, const char *tenant, const char *const *digests, size_t n,
                           rs_done *outs, int *found, char *errstr, size_t errstr_size)
{
    return rs_state_done_get_many_pass(st, tenant, digests, n, 0, outs, found, errstr, errstr_size);
}

int rs_state_done_get(rs_state *st, const char *tenant, const char *digest, rs_done *out,
                      int *found, char *errstr, size_t errstr_size)
{
    const char *d[1] = {digest};
    return rs_state_done_get_many_pass(st, tenant, d, 1, 0, out, found, errstr, errstr_size);
}

int rs_state_done_set(rs_state *st, const char *tenant, const char *digest, const rs_done *d,
                      char *errstr, size_t errstr_size)
{
    if (!ok_arg(tenant) || !ok_arg(digest) || !d)
        return bad_args(errstr, errstr_size, "rs_state_done_set");
    char *key = key_done(st, tenant, digest);
    char vdb[32], pass[32];
    snprintf(vdb, sizeof vdb, "%lld", (long long)d->vulndb_version);
    snprintf(pass, sizeof pass, "%lld", (long long)d->last_seen_pass);
    return run(st, key, NULL, errstr, errstr_size, "HSET", key, "analyzer_version",
               d->analyzer_version, "vulndb_version", vdb, "policy_version", d->policy_version,
               "report_id", d->report_id, "status", d->status, "error_code", d->error_code,
               "scanned_at", d->scanned_at, "last_seen_pass", pass, "findings", d->findings,
               "platform", d->platform, END);
}

static char *key_queued(const rs_state *st, const char *tenant, const char *digest)
{
    return key_make(st, "queued:", tenant, ":", digest, NULL);
}

/* EXISTS of one key per digest, in one pipeline. */
static int exists_many(rs_state *st, key_fn *key_of, const char *tenant, const char *const *digests,
                       size_t n, int *exists, char *errstr, size_t errstr_size)
{
    if (!ok_arg(tenant))
        return bad_args(errstr, errstr_size, "rs_state_exists_many");
    if (n == 0)
        return 0;
    struct batch b;
    int rc = batch_init(&b, n, n) ? oom(errstr, errstr_size)
                                  : batch_keys(st, &b, key_of, tenant, digests, n,
                                               "rs_state_exists_many", errstr, errstr_size);
    for (size_t i = 0; !rc && i < n; i++) {
        arg(&b.cmds[b.n], "EXISTS");
        arg(&b.cmds[b.n++], b.keys[i]);
    }
    if (!rc)
        rc = batch_run(st, &b, errstr, errstr_size);
    for (size_t i = 0; !rc && i < n; i++) {
        long long v = 0;
        if (reply_int(b.replies[i], &v))
            rc = rs_errf(errstr, errstr_size, RS_ERR_INTERNAL, "redis: unexpected EXISTS reply");
        else
            exists[i] = v > 0;
    }
    batch_free(&b);
    return rc;
}

int rs_state_done_exists_many(rs_state *st, const char *tenant, const char *const *digests,
                              size_t n, int *exists, char *errstr, size_t errstr_size)
{
    return exists_many(st, key_done, tenant, digests, n, exists, errstr, errstr_size);
}

int rs_state_queued_exists_many(rs_state *st, const char *tenant, const char *const *digests,
                                size_t n, int *exists, char *errstr, size_t errstr_size)
{
    return exists_many(st, key_queued, tenant, digests, n, exists, errstr, errstr_size);
}

/* DEL of `key` (taken: freed here; NULL: out of memory). */
static int del_key(rs_state *st, char *key, char *errstr, size_t errstr_size)
{
    return run_int(st, key, NULL, "DEL", errstr, errstr_size, "DEL", key, END);
}

int rs_state_done_delete(rs_state *st, const char *tenant, const char *digest, char *errstr,
                         size_t errstr_size)
{
    if (!ok_arg(tenant) || !ok_arg(digest))
        return bad_args(errstr, errstr_size, "rs_state_done_delete");
    return del_key(st, key_done(st, tenant, digest), errstr, errstr_size);
}

/* ---- leases and attempts ------------------------------------------------ */

int rs_state_lease_acquire(rs_state *st, const char *digest, const char *owner, long long ttl_ms,
                           int *acquired, char *errstr, size_t errstr_size)
{
    *acquired = 0;
    if (!ok_arg(digest) || !ok_arg(owner) || ttl_ms <= 0)
        return bad_args(errstr, errstr_size, "rs_state_lease_acquire");
    char *key = key_make(st, "lease:", digest, NULL, NULL, NULL);
    char ttl[32];
    snprintf(ttl, sizeof ttl, "%lld", ttl_ms);
    redisReply *r = NULL;
    int rc = run(st, key, &r, errstr, errstr_size, "SET", key, owner, "NX", "PX", ttl, END);
    if (!rc)
        *acquired = r->type == REDIS_REPLY_STATUS && !strcmp(r->str, "OK");
    free_replies(&r, 1);
    return rc;
}

int rs_state_lease_renew(rs_state *st, const char *digest, const char *owner, long long ttl_ms,
                         int *renewed, char *errstr, size_t errstr_size)
{
    *renewed = 0;
    if (!ok_arg(digest) || !ok_arg(owner) || ttl_ms <= 0)
        return bad_args(errstr, errstr_size, "rs_state_lease_renew");
    char *key = key_make(st, "lease:", digest, NULL, NULL, NULL);
    char ttl[32];
    snprintf(ttl, sizeof ttl, "%lld", ttl_ms);
    long long v = 0;
    int rc = run_int(st, key, &v, "lease renewal", errstr, errstr_size, "EVAL", SCRIPT_RENEW, "1",
                     key, owner, ttl, END);
    *renewed = !rc && v == 1;
    return rc;
}

int rs_state_lease_release(rs_state *st, const char *digest, const char *owner, int *released,
                           char *errstr, size_t errstr_size)
{
    if (released)
        *released = 0;
    if (!ok_arg(digest) || !ok_arg(owner))
        return bad_args(errstr, errstr_size, "rs_state_lease_release");
    char *key = key_make(st, "lease:", digest, NULL, NULL, NULL);
    long long v = 0;
    int rc = run_int(st, key, &v, "lease release", errstr, errstr_size, "EVAL", SCRIPT_RELEASE, "1",
                     key, owner, END);
    if (released)
        *released = !rc && v == 1;
    return rc;
}

int rs_state_lease_ttl(rs_state *st, const char *digest, long long *ttl_ms, char *errstr,
                       size_t errstr_size)
{
    if (!ok_arg(digest))
        return bad_args(errstr, errstr_size, "rs_state_lease_ttl");
    char *key = key_make(st, "lease:", digest, NULL, NULL, NULL);
    return run_int(st, key, ttl_ms, "PTTL", errstr, errstr_size, "PTTL", key, END);
}

/* Counts one more started scan; a new `reset` token (a batch id) first
 * starts the count again, so one forced rescan tries a poison digest once more
 * while its redeliveries (same batch) keep counting. */
static const char SCRIPT_ATTEMPTS_START[] =
    "if ARGV[1] ~= '' and redis.call('HGET', KEYS[1], 'batch') ~= ARGV[1] then "
    "redis.call('DEL', KEYS[1]) redis.call('HSET', KEYS[1], 'batch', ARGV[1]) end "
    "local n = redis.call('HINCRBY', KEYS[1], 'count', 1) "
    "redis.call('EXPIRE', KEYS[1], ARGV[2]) return n";
/* Takes back one start, never below zero, only while the key exists. */
static const char SCRIPT_ATTEMPTS_CANCEL[] =
    "local n = tonumber(redis.call('HGET', KEYS[1], 'count') or '0') "
    "if n > 0 then return redis.call('HINCRBY', KEYS[1], 'count', -1) end return 0";

static char *key_attempts(const rs_state *st, const char *analyzer_version, const char *digest)
{
    return key_make(st, "attempts:", analyzer_version, ":", digest, NULL);
}

int rs_state_attempts_start(rs_state *st, const char *analyzer_version, const char *digest,
                            const char *reset, long long ttl_s, long long *count, char *errstr,
                            size_t errstr_size)
{
    if (!ok_arg(analyzer_version) || !ok_arg(digest) || ttl_s <= 0)
        return bad_args(errstr, errstr_size, "rs_state_attempts_start");
    char *key = key_attempts(st, analyzer_version, digest);
    char ttl[32];
    snprintf(ttl, sizeof ttl, "%lld", ttl_s);
    return run_int(st, key, count, "attempts start", errstr, errstr_size, "EVAL",
                   SCRIPT_ATTEMPTS_START, "1", key, reset ? reset : "", ttl, END);
}

int rs_state_attempts_cancel(rs_state *st, const char *analyzer_version, const char *digest,
                             char *errstr, size_t errstr_size)
{
    if (!ok_arg(analyzer_version) || !ok_arg(digest))
        return bad_args(errstr, errstr_size, "rs_state_attempts_cancel");
    char *key = key_attempts(st, analyzer_version, digest);
    return run_int(st, key, NULL, "attempts cancel", errstr, errstr_size, "EVAL",
                   SCRIPT_ATTEMPTS_CANCEL, "1", key, END);
}

int rs_state_attempts_clear(rs_state *st, const char *analyzer_version, const char *digest,
                            char *errstr, size_t errstr_size)
{
    if (!ok_arg(analyzer_version) || !ok_arg(digest))
        return bad_args(errstr, errstr_size, "rs_state_attempts_clear");
    return del_key(st, key_attempts(st, analyzer_version, digest), errstr, errstr_size);
}

/* ---- refs and tags ------------------------------------------------------ */

static char *ref_member(const char *registry, const char *repository, const char *tag)
{
    rs_buf b = RS_BUF_INIT;
    if (rs_buf_printf(&b, "%s/%s:%s", registry, repository, tag)) {
        rs_buf_free(&b);
        return NULL;
    }
    return rs_buf_steal(&b);
}

int rs_state_refs_add(rs_state *st, const char *tenant, const char *digest, const char *registry,
                      const char *repository, const char *tag, int *added, char *errstr,
                      size_t errstr_size)
{
    if (added)
        *added = 0;
    if (!ok_arg(tenant) || !ok_arg(digest) || !ok_arg(registry) || !ok_arg(repository) ||
        !ok_arg(tag))
        return bad_args(errstr, errstr_size, "rs_state_refs_add");
    char *member = ref_member(registry, repository, tag);
    char *key = key_make(st, "refs:", tenant, ":", digest, NULL);
    if (!member) {
        free(key);
        return oom(errstr, errstr_size);
    }
    long long v = 0;
    int rc = run_int(st, key, &v, "SADD", errstr, errstr_size, "SADD", key, member, END);
    free(member);
    if (added)
        *added = !rc && v == 1;
    return rc;
}

/* Splits "registry/repository:tag" (registry may carry a port) and adds it. */
static int ref_parse_add(rs_refs *out, const char *m, size_t len)
{
    char *s = strndup(m, len);
    if (!s)
        return RS_ERR_INTERNAL;
    int rc = 0;
    char *slash = strchr(s, '/');
    char *colon = strrchr(s, ':');
    if (!slash || !colon || colon < slash || strchr(colon, '/') || colon == slash + 1 ||
        slash == s || colon[1] == '\0') {
        rs_log(RS_LOG_WARN, "ignoring a malformed member of a redis refs set");
        goto out;
    }
    *slash = '\0';
    *colon = '\0';
    rc = rs_refs_add(out, s, slash + 1, colon + 1);
out:
    free(s);
    return rc;
}

int rs_state_refs_get(rs_state *st, const char *tenant, const char *digest, rs_refs *out,
                      char *errstr, size_t errstr_size)
{
    rs_refs_clear(out);
    if (!ok_arg(tenant) || !ok_arg(digest))
        return bad_args(errstr, errstr_size, "rs_state_refs_get");
    char *key = key_make(st, "refs:", tenant, ":", digest, NULL);
    if (!key)
        return oom(errstr, errstr_size);
    /* the first RS_REFS_MAX_TAGS members in order and the count of all: a
     * digest with 10^5 tags costs one bounded reply */
    char limit[24];
    snprintf(limit, sizeof limit, "%d", RS_REFS_MAX_TAGS);
    cmd c[2] = {{0}, {0}};
    arg(&c[0], "SCARD");
    arg(&c[0], key);
    const char *sort[] = {"SORT", key, "ALPHA", "LIMIT", "0", limit};
    for (size_t i = 0; i < sizeof sort / sizeof *sort; i++)
        arg(&c[1], sort[i]);
    redisReply *r[2] = {NULL, NULL};
    int rc = pipeline(st, c, 2, r, errstr, errstr_size);
    if (!rc && (r[0]->type != REDIS_REPLY_INTEGER || r[1]->type != REDIS_REPLY_ARRAY))
        rc = rs_errf(errstr, errstr_size, RS_ERR_INTERNAL, "redis: unexpected SORT reply");
    for (size_t i = 0; !rc && i < r[1]->elements; i++) {
        const redisReply *e = r[1]->element[i];
        if (e->type == REDIS_REPLY_STRING && ref_parse_add(out, e->str, e->len))
            rc = oom(errstr, errstr_size);
    }
    if (!rc && r[0]->integer > (long long)r[1]->elements)
        out->omitted = (size_t)(r[0]->integer - (long long)r[1]->elements);
    if (rc)
        rs_refs_clear(out);
    free_replies(r, 2);
    free(key);
    return rc;
}

int rs_state_refs_remove(rs_state *st, const char *tenant, const char *digest, const char *registry,
                         const char *repository, const char *tag, int *removed, char *errstr,
                         size_t errstr_size)
{
    if (removed)
        *removed = 0;
    if (!ok_arg(tenant) || !ok_arg(digest) || (tag && (!ok_arg(registry) || !ok_arg(repository))))
        return bad_args(errstr, errstr_size, "rs_state_refs_remove");
    char *key = key_make(st, "refs:", tenant, ":", digest, NULL);
    char *member = tag ? ref_member(registry, repository, tag) : NULL;
    if (tag && !member) {
        free(key);
        return oom(errstr, errstr_size);
    }
    const char *verb = tag ? "SREM" : "DEL";
    long long v = 0; /* without a tag, member is NULL and ends the arguments: DEL key */
    int rc = run_int(st, key, &v, verb, errstr, errstr_size, verb, key, member, END);
    free(member);
    if (removed)
        *removed = !rc && v > 0;
    return rc;
}

static char *key_tag(const rs_state *st, const char *tenant, const char *registry,
                     const char *repository, const char *tag)
{
    char *m = ref_member(registry, repository, tag);
    if (!m)
        return NULL;
    char *k = key_make(st, "tag:", tenant, ":", m, NULL);
    free(m);
    return k;
}

int rs_state_tag_get(rs_state *st, const char *tenant, const char *registry, const char *repository,
                     const char *tag, char digest[RS_DIGEST_SIZE], int *found, char *errstr,
                     size_t errstr_size)
{
    digest[0] = '\0';
    *found = 0;
    if (!ok_arg(tenant) || !ok_arg(registry) || !ok_arg(repository) || !ok_arg(tag))
        return bad_args(errstr, errstr_size, "rs_state_tag_get");
    redisReply *r = NULL;
    int rc = run_get(st, key_tag(st, tenant, registry, repository, tag), &r, errstr, errstr_size);
    if (r) {
        copy_field(digest, RS_DIGEST_SIZE, r);
        *found = 1;
    }
    free_replies(&r, 1);
    return rc;
}

int rs_state_tag_set(rs_state *st, const char *tenant, const char *registry, const char *repository,
                     const char *tag, const char *digest, char *errstr, size_t errstr_size)
{
    if (!ok_arg(tenant) || !ok_arg(registry) || !ok_arg(repository) || !ok_arg(tag) ||
        !ok_arg(digest))
        return bad_args(errstr, errstr_size, "rs_state_tag_set");
    char *key = key_tag(st, tenant, registry, repository, tag);
    return run(st, key, NULL, errstr, errstr_size, "SET", key, digest, END);
}

char *rs_state_int_repo_key(const rs_state *st, const char *family, const char *tenant,
                            const char *registry, const char *repository)
{
    rs_buf b = RS_BUF_INIT;
    char *k = NULL;
    if (rs_buf_printf(&b, "%s/%s", registry, repository) == 0)
        k = key_make(st, family, tenant, ":", b.data, NULL);
    rs_buf_free(&b);
    return k;
}

static char *key_repo_tags(const rs_state *st, const char *tenant, const char *registry,
                           const char *repository)
{
    return rs_state_int_repo_key(st, "tags:", tenant, registry, repository);
}

/* Queues `verb` refs:{tenant}:{digest} member. */
static int tag_cmds_refs(rs_state *st, struct batch *t, const char *verb, const char *tenant,
                         const char *digest, const char *member)
{
    if (!ok_arg(digest))
        return RS_ERR_INVALID;
    char *key = key_make(st, "refs:", tenant, ":", digest, NULL);
    if (!key)
        return RS_ERR_INTERNAL;
    t->keys[t->n_keys++] = key;
    cmd *c = &t->cmds[t->n++];
    arg(c, verb);
    arg(c, key);
    arg(c, member);
    return 0;
}

/* In one pipeline: the member "registry/repository:tag" leaves the refs of
 * remove[], joins those of add[], then tag: is set to `digest` and the tag
 * joins tags: -- or, with digest NULL, tag: is deleted and the tag leaves
 * tags:. Order matters: a digest in both lists keeps the member, and tag:
 * moves only after the refs it described were updated. */
static int tag_write(rs_state *st, const char *tenant, const char *registry, const char *repository,
                     const char *tag, const char *digest, const char *const *add, size_t n_add,
                     const char *const *remove, size_t n_remove, char *errstr, size_t errstr_size)
{
    size_t total = n_add + n_remove + 2;
    struct batch t;
    int rc = batch_init(&t, total, total);
    char *member = ref_member(registry, repository, tag);
    char *tkey = key_tag(st, tenant, registry, repository, tag);
    char *skey = key_repo_tags(st, tenant, registry, repository);
    if (!member || !tkey || !skey)
        rc = RS_ERR_INTERNAL;
    for (size_t i = 0; rc == 0 && i < n_remove; i++)
        rc = tag_cmds_refs(st, &t, "SREM", tenant, remove[i], member);
    for (size_t i = 0; rc == 0 && i < n_add; i++)
        rc = tag_cmds_refs(st, &t, "SADD", tenant, add[i], member);
    if (rc) {
        rc = rc == RS_ERR_INVALID ? bad_args(errstr, errstr_size, "rs_state_tag_record")
                                  : oom(errstr, errstr_size);
        goto out;
    }
    cmd *c = &t.cmds[t.n++];
    arg(c, digest ? "SET" : "DEL");
    arg(c, tkey);
    if (digest)
        arg(c, digest);
    c = &t.cmds[t.n++];
    arg(c, digest ? "SADD" : "SREM");
    arg(c, skey);
    arg(c, tag);
    rc = batch_run(st, &t, errstr, errstr_size);
out:
    batch_free(&t);
    free(member);
    free(tkey);
    free(skey);
    return rc;
}

int rs_state_tag_record(rs_state *st, const char *tenant, const char *registry,
                        const char *repository, const char *tag, const char *digest,
                        const char *const *add, size_t n_add, const char *const *remove,
                        size_t n_remove, char *errstr, size_t errstr_size)
{
    if (!ok_arg(tenant) || !ok_arg(registry) || !ok_arg(repository) || !ok_arg(tag) ||
        !ok_arg(digest))
        return bad_args(errstr, errstr_size, "rs_state_tag_record");
    return tag_write(st, tenant, registry, repository, tag, digest, add, n_add, remove, n_remove,
                     errstr, errstr_size);
}

int rs_state_tag_forget(rs_state *st, const char *tenant, const char *registry,
                        const char *repository, const char *tag, const char *const *remove,
                        size_t n_remove, char *errstr, size_t errstr_size)
{
    if (!ok_arg(tenant) || !ok_arg(registry) || !ok_arg(repository) || !ok_arg(tag))
        return bad_args(errstr, errstr_size, "rs_state_tag_forget");
    return tag_write(st, tenant, registry, repository, tag, NULL, NULL, 0, remove, n_remove, errstr,
                     errstr_size);
}

int rs_state_tags_list(rs_state *st, const char *tenant, const char *registry,
                       const char *repository, int (*cb)(const char *tag, void *opaque),
                       void *opaque, char *errstr, size_t errstr_size)
{
    if (!ok_arg(tenant) || !ok_arg(registry) || !ok_arg(repository) || !cb)
        return bad_args(errstr, errstr_size, "rs_state_tags_list");
    char *key = key_repo_tags(st, tenant, registry, repository);
    redisReply *r = NULL;
    int rc = run(st, key, &r, errstr, errstr_size, "SMEMBERS", key, END);
    if (!rc && r->type != REDIS_REPLY_ARRAY)
        rc = rs_errf(errstr, errstr_size, RS_ERR_INTERNAL, "redis: unexpected SMEMBERS reply");
    int crc = 0;
    for (size_t i = 0; !rc && !crc && i < r->elements; i++) {
        const redisReply *e = r->element[i];
        /* members are tag names this code wrote: skip anything else */
        if (e->type == REDIS_REPLY_STRING && strlen(e->str) == e->len)
            crc = cb(e->str, opaque);
    }
    if (!rc && crc)
        rc = rs_errf(errstr, errstr_size, crc < 0 ? crc : RS_ERR_INTERNAL,
                     "cannot list the recorded tags of '%s/%s'", registry, repository);
    free_replies(&r, 1);
    return rc;
}

/* ---- caches ------------------------------------------------------------- */

static int kind_ok(const char *kind)
{
    return kind && (!strcmp(kind, "inv") || !strcmp(kind, "index") || !strcmp(kind, "layer"));
}

int rs_state_cache_get(rs_state *st, const char *kind, const char *id, char **data, size_t *len,
                       int *found, char *errstr, size_t errstr_size)
{
    *data = NULL;
    *len = 0;
    *found = 0;
    if (!kind_ok(kind) || !ok_arg(id))
        return rs_errf(errstr, errstr_size, RS_ERR_INVALID,
                       "rs_state_cache_get: kind must be inv, index or layer, with an id");
    redisReply *r = NULL;
    int rc = run_get(st, key_make(st, kind, ":", id, NULL, NULL), &r, errstr, errstr_size);
    if (r) {
        char *d = malloc(r->len + 1);
        if (!d) {
            rc = oom(errstr, errstr_size);
        } else {
            memcpy(d, r->str, r->len);
            d[r->len] = '\0';
            *data = d;
            *len = r->len;
            *found = 1;
        }
    }
    free_replies(&r, 1);
    return rc;
}

int rs_state_cache_set(rs_state *st, const char *kind, const char *id, const void *data, size_t len,
                       long long ttl_s, char *errstr, size_t errstr_size)
{
    if (!kind_ok(kind) || !ok_arg(id) || (!data && len) || ttl_s < 0)
        return rs_errf(errstr, errstr_size, RS_ERR_INVALID,
                       "rs_state_cache_set: kind must be inv, index or layer, with an id");
    char *key = key_make(st, kind, ":", id, NULL, NULL);
    char ttl[32];
    snprintf(ttl, sizeof ttl, "%lld", ttl_s);
    cmd c = {0};
    arg(&c, "SET");
    arg(&c, key ? key : "");
    arg_bin(&c, data ? data : "", len);
    if (ttl_s > 0) {
        arg(&c, "EX");
        arg(&c, ttl);
    }
    return run_cmd(st, &c, key, NULL, errstr, errstr_size);
}

int rs_state_queued_set(rs_state *st, const char *tenant, const char *digest, long long ttl_s,
                        char *errstr, size_t errstr_size)
{
    if (!ok_arg(tenant) || !ok_arg(digest) || ttl_s <= 0)
        return bad_args(errstr, errstr_size, "rs_state_queued_set");
    char *key = key_queued(st, tenant, digest);
    char ttl[32];
    snprintf(ttl, sizeof ttl, "%lld", ttl_s);
    return run(st, key, NULL, errstr, errstr_size, "SET", key, "1", "EX", ttl, END);
}

int rs_state_queued_clear(rs_state *st, const char *tenant, const char *digest, char *errstr,
                          size_t errstr_size)
{
    if (!ok_arg(tenant) || !ok_arg(digest))
        return bad_args(errstr, errstr_size, "rs_state_queued_clear");
    return del_key(st, key_queued(st, tenant, digest), errstr, errstr_size);
}

static const char SCRIPT_VULNDB_SET[] =
    "local cur = tonumber(redis.call('HGET', KEYS[1], 'version') or '0') "
    "if tonumber(ARGV[1]) > cur then "
    "redis.call('HSET', KEYS[1], 'version', ARGV[1], 'sha256', ARGV[2], 'location', ARGV[3], "
    "'built_at', ARGV[4]) return 1 end return 0";

int rs_state_vulndb_get(rs_state *st, rs_vulndb_current *out, int *found, char *errstr,
                        size_t errstr_size)
{
    memset(out, 0, sizeof *out);
    *found = 0;
    char *key = key_make(st, "vulndb:current", NULL, NULL, NULL, NULL);
    redisReply *r = NULL;
    int rc = run(st, key, &r, errstr, errstr_size, "HGETALL", key, END);
    if (!rc && r->type == REDIS_REPLY_ARRAY) {
        for (size_t i = 0; i + 1 < r->elements; i += 2) {
            const redisReply *f = r->element[i], *v = r->element[i + 1];
            if (f->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING)
                continue;
            char num[32];
            if (!strcmp(f->str, "version")) {
                copy_field(num, sizeof num, v);
                out->version = strtoll(num, NULL, 10);
                *found = out->version > 0;
            } else if (!strcmp(f->str, "sha256")) {
                copy_field(out->sha256, sizeof out->sha256, v);
            } else if (!strcmp(f->str, "location")) {
                copy_field(out->location, sizeof out->location, v);
            } else if (!strcmp(f->str, "built_at")) {
                copy_field(out->built_at, sizeof out->built_at, v);
            }
        }
    } else if (!rc) {
        rc = rs_errf(errstr, errstr_size, RS_ERR_INTERNAL, "redis: unexpected HGETALL reply");
    }
    free_replies(&r, 1);
    return rc;
}

int rs_state_vulndb_set(rs_state *st, const rs_vulndb_current *cur, int *applied, char *errstr,
                        size_t errstr_size)
{
    *applied = 0;
    if (cur->version < 1 || !ok_arg(cur->location))
        return bad_args(errstr, errstr_size, "rs_state_vulndb_set");
    char *key = key_make(st, "vulndb:current", NULL, NULL, NULL, NULL);
    char ver[32];
    snprintf(ver, sizeof ver, "%lld", (long long)cur->version);
    long long v = 0;
    int rc = run_int(st, key, &v, "EVAL", errstr, errstr_size, "EVAL", SCRIPT_VULNDB_SET, "1", key,
                     ver, cur->sha256, cur->location, cur->built_at, END);
    if (!rc)
        *applied = v == 1;
    return rc;
}

/* ---- for the other files of common/redis (state_int.h) ------------------ */

int rs_state_int_pipeline(rs_state *st, const rs_state_cmd *cmds, size_t n, redisReply **replies,
                          char *errstr, size_t errstr_size)
{
    return pipeline(st, cmds, n, replies, errstr, errstr_size);
}

void rs_state_int_free_replies(redisReply **r, size_t n)
{
    free_replies(r, n);
}

void rs_state_int_arg(rs_state_cmd *c, const char *s)
{
    arg(c, s);
}

int rs_state_int_run(rs_state *st, const char *const *argv, size_t argc, redisReply **reply,
                     char *errstr, size_t errstr_size)
{
    rs_state_cmd c = {0};
    for (size_t i = 0; i < argc; i++)
        rs_state_int_arg(&c, argv[i]);
    redisReply *r = NULL;
    int rc = rs_state_int_pipeline(st, &c, 1, &r, errstr, errstr_size);
    if (reply)
        *reply = r;
    else
        rs_state_int_free_replies(&r, 1);
    return rc;
}

char *rs_state_int_key(const rs_state *st, const char *a, const char *b, const char *c,
                       const char *d, const char *e)
{
    return key_make(st, a, b, c, d, e);
}
