/* redis.h - the state store: the Redis connection, pipelined commands, the
 * key families of DESIGN.md §6 (docs/contracts.md) and the job leases.
 *
 * The one public header of common/redis. */
#ifndef RS_REDIS_H
#define RS_REDIS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "report.h"

/* ---- state: the Redis keys of DESIGN.md §5: done entries, leases, attempts,
 * refs and tags (the state store), and the inv/index/layer caches (the cache
 * store; callers create one rs_state per store).
 *
 * hiredis 0.14, no TLS (use a local TLS proxy). Every call is thread-safe
 * (one connection behind a mutex), reconnects once when the connection
 * broke, and never puts the password into a message. Keys are the prefix
 * followed by exactly the names of §5: "done:{tenant}:{digest}", ... */

typedef struct rs_state rs_state;

/* A parsed Redis URL: redis://[[user]:password@]host[:port][/db] or
 * unix:///path[?db=N]. */
typedef struct rs_redis_url {
    char host[256];     /* "" for unix sockets */
    int port;           /* 6379 by default */
    char path[256];     /* unix socket path, "" for TCP */
    char user[128];     /* "" when none */
    char password[256]; /* "" when none */
    int db;
} rs_redis_url;

/* Parses `url` into *out. RS_ERR_CONFIG with errstr (without the password). */
int rs_redis_url_parse(const char *url, rs_redis_url *out, char *errstr, size_t errstr_size);

/* Connects (5 s connect timeout, 10 s per command), AUTH, SELECT, PING.
 * `prefix` is put before every key (NULL: ""). Returns NULL with errstr set:
 * the cause is in errstr and RS_ERR_CONFIG / RS_ERR_STORE /
 * RS_ERR_UNAUTHORIZED in *err when err is not NULL (rs_state_new_err). */
rs_state *rs_state_new(const char *redis_url, const char *prefix, char *errstr, size_t errstr_size);
/* As rs_state_new, also telling why it failed. */
rs_state *rs_state_new_err(const char *redis_url, const char *prefix, int *err, char *errstr,
                           size_t errstr_size);
void rs_state_destroy(rs_state *st);

/* The `done:{tenant}:{digest}` hash. Strings are "" when absent. */
typedef struct rs_done {
    char analyzer_version[64];
    int64_t vulndb_version;
    char policy_version[80];
    char report_id[65];
    char status[16];     /* "ok" or "error" */
    char error_code[32]; /* with "error" */
    char scanned_at[40];
    int64_t last_seen_pass;
    char findings[72];  /* rs_match_fingerprint of the reported findings, "" when none */
    char platform[100]; /* "linux/arm64/v8" of the scanned image, "" when unknown */
} rs_done;

/* Every function below returns 0, RS_ERR_STORE when Redis cannot be reached
 * (after one reconnect) or cannot take the request now (an error reply
 * LOADING, BUSY, READONLY, OOM, MISCONF, ...), RS_ERR_INTERNAL for an
 * unexpected reply, or RS_ERR_INVALID for bad arguments, with errstr set. */

int rs_state_done_get(rs_state *st, const char *tenant, const char *digest, rs_done *out,
                      int *found, char *errstr, size_t errstr_size);
/* One round-trip for n digests: outs[i] and found[i] per digest. */
int rs_state_done_get_many(rs_state *st, const char *tenant, const char *const *digests, size_t n,
                           rs_done *outs, int *found, char *errstr, size_t errstr_size);
/* As rs_state_done_get_many; with seen_pass > 0 also sets last_seen_pass of
 * every existing entry to seen_pass in the same pipeline (outs show the
 * values from before). */
int rs_state_done_get_many_pass(rs_state *st, const char *tenant, const char *const *digests,
                                size_t n, int64_t seen_pass, rs_done *outs, int *found,
                                char *errstr, size_t errstr_size);
/* Writes every field of *d (HSET). */
int rs_state_done_set(rs_state *st, const char *tenant, const char *digest, const rs_done *d,
                      char *errstr, size_t errstr_size);
/* exists[i] = 1 when done:{tenant}:{digests[i]} exists; one round-trip. */
int rs_state_done_exists_many(rs_state *st, const char *tenant, const char *const *digests,
                              size_t n, int *exists, char *errstr, size_t errstr_size);
/* queued:{tenant}:{digest}: a request was published and is not finished yet.
 * The coordinator skips such digests (so a backlog is not requested again by
 * every pass) until the key expires (ttl_s: a request lost with a topic is
 * requested again then) or the worker clears it when the request is done. */
int rs_state_queued_exists_many(rs_state *st, const char *tenant, const char *const *digests,
                                size_t n, int *exists, char *errstr, size_t errstr_size);
int rs_state_queued_set(rs_state *st, const char *tenant, const char *digest, long long ttl_s,
                        char *errstr, size_t errstr_size);
int rs_state_queued_clear(rs_state *st, const char *tenant, const char *digest, char *errstr,
                          size_t errstr_size);

/* Deletes the done entry (tombstones). */
int rs_state_done_delete(rs_state *st, const char *tenant, const char *digest, char *errstr,
                         size_t errstr_size);

/* lease:{digest}: SET NX PX; *acquired = 1 when `owner` now holds it. */
int rs_state_lease_acquire(rs_state *st, const char *digest, const char *owner, long long ttl_ms,
                           int *acquired, char *errstr, size_t errstr_size);
/* Extends the lease to ttl_ms only if `owner` still holds it (*renewed). */
int rs_state_lease_renew(rs_state *st, const char *digest, const char *owner, long long ttl_ms,
                         int *renewed, char *errstr, size_t errstr_size);
/* Deletes the lease only if `owner` holds it; *released may be NULL. */
int rs_state_lease_release(rs_state *st, const char *digest, const char *owner, int *released,
                           char *errstr, size_t errstr_size);
/* PTTL of the lease: -2 when there is none, -1 without expiry. */
int rs_state_lease_ttl(rs_state *st, const char *digest, long long *ttl_ms, char *errstr,
                       size_t errstr_size);

/* attempts:{analyzer_version}:{digest}, a hash {count, batch}: analyses of a
 * digest that started and never ended (poison detection, DESIGN.md §6).
 * start: count + 1 and the key's expiry set to ttl_s, in one script; when
 * `reset` (a batch id; NULL or "": none) differs from the batch stored, the
 * count starts again from 0 first, so one forced rescan tries a poison digest
 * again while redeliveries of that same request keep counting. *count gets
 * the new count. cancel: takes back one start (a scan cancelled by a revoke,
 * a shutdown or a lost lease is no failure), never below 0. clear: deletes
 * the key (the analysis ended, well or with an error report). */
int rs_state_attempts_start(rs_state *st, const char *analyzer_version, const char *digest,
                            const char *reset, long long ttl_s, long long *count, char *errstr,
                            size_t errstr_size);
int rs_state_attempts_cancel(rs_state *st, const char *analyzer_version, const char *digest,
                             char *errstr, size_t errstr_size);
int rs_state_attempts_clear(rs_state *st, const char *analyzer_version, const char *digest,
                            char *errstr, size_t errstr_size);

/* refs:{tenant}:{digest}, a set of "registry/repository:tag". *added = 1 when new. */
int rs_state_refs_add(rs_state *st, const char *tenant, const char *digest, const char *registry,
                      const char *repository, const char *tag, int *added, char *errstr,
                      size_t errstr_size);
/* The first RS_REFS_MAX_TAGS members (SORT ALPHA), grouped by registry and
 * repository, tags sorted, into *out (cleared first; rs_refs_clear it), and
 * in out->omitted how many members there are besides. */
int rs_state_refs_get(rs_state *st, const char *tenant, const char *digest, rs_refs *out,
                      char *errstr, size_t errstr_size);
/* Removes one member; with tag NULL removes the whole set. *removed may be NULL. */
int rs_state_refs_remove(rs_state *st, const char *tenant, const char *digest, const char *registry,
                         const char *repository, const char *tag, int *removed, char *errstr,
                         size_t errstr_size);

/* tag:{tenant}:{registry}/{repository}:{tag} → digest. get: *found = 0 and
 * digest "" when unknown. set writes tag: alone (the coordinator uses
 * rs_state_tag_record). */
int rs_state_tag_get(rs_state *st, const char *tenant, const char *registry, const char *repository,
                     const char *tag, char digest[RS_DIGEST_SIZE], int *found, char *errstr,
                     size_t errstr_size);
int rs_state_tag_set(rs_state *st, const char *tenant, const char *registry, const char *repository,
                     const char *tag, const char *digest, char *errstr, size_t errstr_size);

/* Records one resolved tag in one pipeline: the member
 * "registry/repository:tag" leaves refs:{tenant}:{remove[i]} (the images the
 * tag pointed to before; may be NULL with n_remove 0), joins
 * refs:{tenant}:{add[i]} (the images of `digest`: itself, or an index's
 * platform manifests), then tag: is set to `digest` and the tag joins
 * tags:{tenant}:{registry}/{repository}. Removals run first, so a digest in
 * both lists keeps the member; tag: moves last, so a pass that stops half
 * way sees the move again. */
int rs_state_tag_record(rs_state *st, const char *tenant, const char *registry,
                        const char *repository, const char *tag, const char *digest,
                        const char *const *add, size_t n_add, const char *const *remove,
                        size_t n_remove, char *errstr, size_t errstr_size);
/* Forgets a tag that is gone: the member leaves refs:{tenant}:{remove[i]},
 * tag: is deleted and the tag leaves tags:, in one pipeline. */
int rs_state_tag_forget(rs_state *st, const char *tenant, const char *registry,
                        const char *repository, const char *tag, const char *const *remove,
                        size_t n_remove, char *errstr, size_t errstr_size);
/* Calls cb for every tag in tags:{tenant}:{registry}/{repository} (the tags
 * recorded by earlier passes), in no order; a non-zero return of cb stops
 * the walk and is returned (RS_ERR_INTERNAL when positive). */
int rs_state_tags_list(rs_state *st, const char *tenant, const char *registry,
                       const char *repository, int (*cb)(const char *tag, void *opaque),
                       void *opaque, char *errstr, size_t errstr_size);

/* vulndb:current, the snapshot the pool uses (DESIGN.md §9). */
typedef struct rs_vulndb_current {
    int64_t version; /* only grows; 0 when none was published */
    char sha256[72];
    char location[1024]; /* path of the snapshot file in the shared directory */
    char built_at[40];
} rs_vulndb_current;

/* Reads vulndb:current; *found = 0 (and version 0) when absent. */
int rs_state_vulndb_get(rs_state *st, rs_vulndb_current *out, int *found, char *errstr,
                        size_t errstr_size);
/* Sets vulndb:current to `cur` only when its version is higher than the one
 * stored (a script, so two updates never move it backwards); *applied = 1 when
 * it was set. */
int rs_state_vulndb_set(rs_state *st, const rs_vulndb_current *cur, int *applied, char *errstr,
                        size_t errstr_size);

/* Caches: kind is "inv", "index" or "layer"; key "{kind}:{id}". get: *data
 * is malloc'd (NUL-terminated, not counted in *len), NULL when not found.
 * set: ttl_s 0 means no expiry. */
int rs_state_cache_get(rs_state *st, const char *kind, const char *id, char **data, size_t *len,
                       int *found, char *errstr, size_t errstr_size);
int rs_state_cache_set(rs_state *st, const char *kind, const char *id, const void *data, size_t len,
                       long long ttl_s, char *errstr, size_t errstr_size);

/* ---- lease: keeping lease:{digest} while a job indexes the digest (DESIGN.md
 * §6). The lease is taken with rs_state_lease_acquire; rs_lease_hold then
 * renews it from a thread of its own every ttl/3 with a compare-and-set, for
 * at most max_life_ms in all (a stuck holder cannot keep a digest forever).
 * The lease is lost when another owner holds it, or when it could not be
 * renewed for a whole ttl (Redis away): rs_lease_lost says so and the job's
 * stop flag is set, so its scan stops and publishes nothing. */

typedef struct rs_lease rs_lease;

/* Starts renewing the lease `owner` holds on `digest` (ttl_ms >= 3). `stop`
 * (may be NULL) is set to 1 when the lease is lost. The strings are copied.
 * NULL when out of memory. */
rs_lease *rs_lease_hold(rs_state *st, const char *digest, const char *owner, long long ttl_ms,
                        long long max_life_ms, atomic_int *stop);
/* 1 once the lease was lost. */
int rs_lease_lost(rs_lease *l);
/* Stops renewing and, with `release` and the lease not lost, deletes it (only
 * if we still hold it). Frees l; NULL is fine. */
void rs_lease_end(rs_lease *l, int release);

/* ---- basestate: the base images of a tenant (docs/contracts.md, "Base
 * images"): the coordinator records each image of a base repository, the
 * worker looks an image's layer prefixes up and reads what the newer tags of
 * its base's repository reported.
 *   basechain:{tenant}:{chain}  hash: registry, repository, digest, n_layers,
 *                               created (chain: rs_base_chain_ids of all its layers)
 *   basetags:{tenant}:{registry}/{repository}  sorted set: "tag@digest" by created
 *   basevulns:{tenant}:{digest}  string: rs_base_vulns_json of its last report */

typedef struct rs_basechain {
    char registry[256];
    char repository[256];
    char digest[RS_DIGEST_SIZE];
    long n_layers;
    char created[40]; /* RFC 3339 from the image config, "" when unknown */
} rs_basechain;

typedef struct rs_basetag {
    char tag[129];
    char digest[RS_DIGEST_SIZE];
    int64_t created; /* seconds since the epoch; INT64_MIN when unknown */
} rs_basetag;

/* HSET basechain:{tenant}:{chain} with b's fields. */
int rs_state_basechain_set(rs_state *st, const char *tenant, const char *chain,
                           const rs_basechain *b, char *errstr, size_t errstr_size);
/* Looks up chains[0..n) (chains[k-1]: the first k layers) in one round trip
 * and returns in *out the longest k whose entry is well-formed, says it has k
 * layers and is not the image `self` (its own digest: an image of a base
 * repository does not name itself). *k is 0 when none matched. */
int rs_state_basechain_longest(rs_state *st, const char *tenant, char (*chains)[65], size_t n,
                               const char *self, rs_basechain *out, size_t *k, char *errstr,
                               size_t errstr_size);
/* Records that `tag` of a base repository points to digests[0..n) (an
 * index's platform manifests, or the image), created at created[i]
 * (INT64_MIN: unknown, scored -inf): the tag's other members leave the set.
 * With n 0 the tag leaves it. One script. */
int rs_state_basetag_set(rs_state *st, const char *tenant, const char *registry,
                         const char *repository, const char *tag, const char *const *digests,
                         const int64_t *created, size_t n, char *errstr, size_t errstr_size);
/* The newest RS_BASE_MAX_CANDIDATES * 4 members of basetags (newest first)
 * into *out (free()), their count in *n. Members this code did not write are skipped. */
int rs_state_basetags_get(rs_state *st, const char *tenant, const char *registry,
                          const char *repository, rs_basetag **out, size_t *n, char *errstr,
                          size_t errstr_size);
/* SET basevulns:{tenant}:{digest} to json. */
int rs_state_basevulns_set(rs_state *st, const char *tenant, const char *digest, const char *json,
                           char *errstr, size_t errstr_size);
/* GETs basevulns of n digests in one round trip: out[i] malloc'd (NULL when
 * absent), len[i] its length. The caller frees every out[i]. */
int rs_state_basevulns_get_many(rs_state *st, const char *tenant, const char *const *digests,
                                size_t n, char **out, size_t *len, char *errstr,
                                size_t errstr_size);

/* ---- ratelimit: one request budget per registry host across the pool
 * (DESIGN.md §6; docs/azure.md, "Throttling"): ratelimit:{host} holds a GCRA
 * arrival time on Redis's clock, taken and moved by one script. Any N + 1
 * permits of a host lie at least RS_RATELIMIT_WINDOW_MS apart: a registry
 * sees at most N requests in any second while the time from a permit to the
 * request's arrival varies by less than the margin (the window minus 1 s). */

#define RS_RATELIMIT_WINDOW_MS 1100LL      /* 1 s plus the margin */
#define RS_RATELIMIT_TOLERANCE_MS 20LL     /* how late a permit may be taken without loss */
#define RS_RATELIMIT_MAX_PER_SECOND 100000 /* the largest limit accepted */
#define RS_RATELIMIT_MAX_PAUSE_MS 600000LL /* the longest pause a 429 can set */

/* Asks once for a permit for `host` at `per_second` (1..RS_RATELIMIT_MAX_PER_SECOND):
 * *wait_ms = 0 when granted (and taken), else how long to wait before asking
 * again. Errors as the state functions above. */
int rs_ratelimit_try(rs_state *st, const char *host, int per_second, long long *wait_ms,
                     char *errstr, size_t errstr_size);
/* Asks until granted: 0; RS_ERR_TOOMANYREQUESTS when it would wait more than
 * max_wait_ms in all; RS_ERR_CANCELLED as soon as stopped(arg) (may be NULL)
 * returns non-zero (checked every 50 ms); a Redis error as it comes. */
int rs_ratelimit_acquire(rs_state *st, const char *host, int per_second, long long max_wait_ms,
                         int (*stopped)(void *), void *arg, char *errstr, size_t errstr_size);
/* A 429 from `host`: no permit is given for pause_ms from now (capped at
 * RS_RATELIMIT_MAX_PAUSE_MS; an arrival time already later stays). */
int rs_ratelimit_pause(rs_state *st, const char *host, long long pause_ms, char *errstr,
                       size_t errstr_size);

/* ---- tagtime: where ACR's time-ordered tag listing of a repository stopped
 * (coordinator/acrtags.c; docs/contracts.md, Redis keys):
 *   tagtime:{tenant}:{registry}/{repository}  hash: `newest` (the lastUpdateTime
 *   of the newest tag listed, seconds since the epoch), `partial` (incremental
 *   listings since the last full one). A malformed entry reads as none. */

typedef struct rs_tagtime {
    int64_t newest;
    long partial;
} rs_tagtime;

/* Reads the entry: *found = 0 (and *out zeroed) when there is none or it is
 * malformed. Returns 0 or a negative rs_err (RS_ERR_STORE when Redis fails). */
int rs_state_tagtime_get(rs_state *st, const char *tenant, const char *registry,
                         const char *repository, rs_tagtime *out, int *found, char *errstr,
                         size_t errstr_size);
/* Writes the entry (both fields). */
int rs_state_tagtime_set(rs_state *st, const char *tenant, const char *registry,
                         const char *repository, const rs_tagtime *t, char *errstr,
                         size_t errstr_size);

/* ---- discovered: the login servers a tenant's Azure discovery found
 * (coordinator/discovery.c), so that a worker accepts requests for them:
 *   registries:{tenant}  set of "host[:port]", expiring RS_DISCOVERED_TTL_S after
 *   the last pass that found any. */

#define RS_DISCOVERED_TTL_S (7L * 24 * 3600)

/* Adds hosts[0..n) to the set and renews its expiry, in one pipeline. */
int rs_state_discovered_add(rs_state *st, const char *tenant, const char *const *hosts, size_t n,
                            char *errstr, size_t errstr_size);
/* *member = 1 when `host` is in the tenant's set. */
int rs_state_discovered_has(rs_state *st, const char *tenant, const char *host, int *member,
                            char *errstr, size_t errstr_size);

#endif
