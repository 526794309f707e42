/* discovered.c - the registries: key family (redis.h, "discovered"): the
 * login servers Azure discovery found for a tenant, written by the
 * coordinator and read by workers before they talk to a registry that the
 * tenants file does not list. */
#include "base.h"
#include "redis.h"
#include "state_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int rs_state_discovered_add(rs_state *st, const char *tenant, const char *const *hosts, size_t n,
                            char *errstr, size_t errstr_size)
{
    if (!tenant || !*tenant)
        return rs_errf(errstr, errstr_size, RS_ERR_INVALID, "rs_state_discovered_add: no tenant");
    if (!n)
        return 0;
    char *key = rs_state_int_key(st, "registries:", tenant, NULL, NULL, NULL);
    rs_state_cmd *c = calloc(n + 1, sizeof *c);
    redisReply **r = calloc(n + 1, sizeof *r);
    char ttl[24];
    int rc = 0;
    if (!key || !c || !r) {
        rc = rs_errf(errstr, errstr_size, RS_ERR_INTERNAL, "out of memory");
        goto out;
    }
    snprintf(ttl, sizeof ttl, "%ld", RS_DISCOVERED_TTL_S);
    for (size_t i = 0; i < n; i++) {
        rs_state_int_arg(&c[i], "SADD");
        rs_state_int_arg(&c[i], key);
        rs_state_int_arg(&c[i], hosts[i]);
    }
    rs_state_int_arg(&c[n], "EXPIRE");
    rs_state_int_arg(&c[n], key);
    rs_state_int_arg(&c[n], ttl);
    rc = rs_state_int_pipeline(st, c, n + 1, r, errstr, errstr_size);
    rs_state_int_free_replies(r, n + 1);
out:
    free(r);
    free(c);
    free(key);
    return rc;
}

int rs_state_discovered_has(rs_state *st, const char *tenant, const char *host, int *member,
                            char *errstr, size_t errstr_size)
{
    *member = 0;
    if (!tenant || !*tenant || !host || !*host)
        return rs_errf(errstr, errstr_size, RS_ERR_INVALID,
                       "rs_state_discovered_has: bad argument");
    char *key = rs_state_int_key(st, "registries:", tenant, NULL, NULL, NULL);
    if (!key)
        return rs_errf(errstr, errstr_size, RS_ERR_INTERNAL, "out of memory");
    const char *args[] = {"SISMEMBER", key, host};
    redisReply *r = NULL;
    int rc = rs_state_int_run(st, args, 3, &r, errstr, errstr_size);
    if (rc == 0 && r->type == REDIS_REPLY_INTEGER)
        *member = r->integer == 1;
    rs_state_int_free_replies(&r, 1);
    free(key);
    return rc;
}
