/* registries.c - the worker's registry clients: one per configured registry
 * (tenant and host), created on first use and kept for the worker's life, so
 * the tokens they hold (the Docker token flow's, Entra ID's, ACR's refresh and
 * access tokens) serve every request until they expire instead of being
 * fetched again for each image. Clients are thread-safe; creating one is
 * guarded by reg_lock. A client that cannot be created is not kept. A
 * registry with a rate_limit gets its gate (throttle.c) when its client is made. */
#include "worker_int.h"

#include <stdlib.h>
#include <string.h>

/* At most this many discovered registries are kept (a tenant's discovery finds
 * at most 10,000); a request for one more fails (RS_ERR_LIMIT_EXCEEDED). */
#define FOUND_MAX 10000

struct worker_found_reg {
    char *tenant, *host;
    rs_registry *reg;
    void *throttle; /* its gate's context (throttle.c), NULL without a rate_limit */
};

int worker_registries_init(struct worker *w)
{
    pthread_mutex_init(&w->reg_lock, NULL);
    size_t n = 0;
    for (size_t i = 0; i < w->cfg->n_tenants; i++)
        n += w->cfg->tenants[i].n_registries;
    w->n_registries = n;
    if (n && (!(w->registries = calloc(n, sizeof *w->registries)) ||
              !(w->throttles = calloc(n, sizeof *w->throttles))))
        return RS_ERR_INTERNAL;
    return 0;
}

void worker_registries_free(struct worker *w)
{
    for (size_t i = 0; w->registries && i < w->n_registries; i++) {
        rs_registry_destroy(w->registries[i]);
        if (w->throttles)
            free(w->throttles[i]);
    }
    free(w->registries);
    free(w->throttles);
    w->registries = NULL;
    w->throttles = NULL;
    for (size_t i = 0; i < w->n_found_regs; i++) {
        free(w->found_regs[i].tenant);
        free(w->found_regs[i].host);
        rs_registry_destroy(w->found_regs[i].reg);
        free(w->found_regs[i].throttle);
    }
    free(w->found_regs);
    w->found_regs = NULL;
    w->n_found_regs = w->cap_found_regs = 0;
    pthread_mutex_destroy(&w->reg_lock);
}

/* The slot of rc in w->registries, or -1 when rc is not one of w->cfg's. */
static long slot_of(const struct worker *w, const rs_registry_conf *rc)
{
    size_t base = 0;
    for (size_t i = 0; i < w->cfg->n_tenants; i++) {
        const rs_tenant *t = &w->cfg->tenants[i];
        if (t->n_registries && rc >= t->registries && rc < t->registries + t->n_registries)
            return (long)(base + (size_t)(rc - t->registries));
        base += t->n_registries;
    }
    return -1;
}

rs_registry *worker_registry(struct worker *w, const rs_registry_conf *rc, char *errstr,
                             size_t errsz)
{
    long i = slot_of(w, rc);
    if (i < 0) {
        rs_errf(errstr, errsz, RS_ERR_INTERNAL, "registry '%s' is not configured", rc->host);
        return NULL;
    }
    pthread_mutex_lock(&w->reg_lock);
    if (!w->registries[i] && (w->registries[i] = rs_registry_new(rc, errstr, errsz)) &&
        worker_throttle_install(w, rc, w->registries[i], &w->throttles[i], errstr, errsz)) {
        rs_registry_destroy(w->registries[i]);
        w->registries[i] = NULL;
    }
    rs_registry *reg = w->registries[i];
    pthread_mutex_unlock(&w->reg_lock);
    return reg;
}

/* Keeps reg (and its gate's context) for (tenant, host); 0, RS_ERR_LIMIT_EXCEEDED or
 * RS_ERR_INTERNAL. Under reg_lock. */
static int found_keep(struct worker *w, const char *tenant, const char *host, rs_registry *reg,
                      void *throttle)
{
    if (w->n_found_regs >= FOUND_MAX)
        return RS_ERR_LIMIT_EXCEEDED;
    if (RS_GROW(w->found_regs, w->n_found_regs + 1, w->cap_found_regs))
        return RS_ERR_INTERNAL;
    struct worker_found_reg *f = &w->found_regs[w->n_found_regs];
    f->tenant = strdup(tenant);
    f->host = strdup(host);
    f->reg = reg;
    f->throttle = throttle;
    if (!f->tenant || !f->host) {
        free(f->tenant);
        free(f->host);
        return RS_ERR_INTERNAL;
    }
    w->n_found_regs++;
    return 0;
}

rs_registry *worker_registry_found(struct worker *w, const char *tenant, const rs_registry_conf *rc,
                                   char *errstr, size_t errsz)
{
    rs_registry *reg = NULL;
    pthread_mutex_lock(&w->reg_lock);
    for (size_t i = 0; i < w->n_found_regs && !reg; i++)
        if (!strcmp(w->found_regs[i].tenant, tenant) && !strcmp(w->found_regs[i].host, rc->host))
            reg = w->found_regs[i].reg;
    int rc_keep = 0;
    void *gate = NULL;
    if (!reg && (reg = rs_registry_new(rc, errstr, errsz)) &&
        (worker_throttle_install(w, rc, reg, &gate, errstr, errsz) ||
         (rc_keep = found_keep(w, tenant, rc->host, reg, gate)) != 0)) {
        if (rc_keep)
            rs_errf(errstr, errsz, rc_keep, "cannot keep a client for registry '%s': %s",
                    rc->host,
                    rc_keep == RS_ERR_INTERNAL ? "out of memory" : "too many discovered registries");
        rs_registry_destroy(reg);
        free(gate);
        reg = NULL;
    }
    pthread_mutex_unlock(&w->reg_lock);
    return reg;
}
