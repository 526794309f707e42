/* acr_auth_int.h - ACR's token exchange for auth type azure (auth.c's
 * backend for it): an Entra ID token for a refresh token, a refresh token for
 * access tokens. Private to common/registry (and tests). */
#ifndef RS_ACR_AUTH_INT_H
#define RS_ACR_AUTH_INT_H

#include "registry.h"

#include <time.h>

typedef struct rs_acr_auth rs_acr_auth;

/* The exchange for registry `registry` (host[:port], plain HTTP when
 * `insecure`) with the identity `conf`. Never NULL but when out of memory: an
 * unusable identity (a bad certificate file) is reported by every token call. */
rs_acr_auth *rs_acr_auth_new(const rs_azure_conf *conf, rs_http *http, const char *registry,
                             int insecure);
void rs_acr_auth_destroy(rs_acr_auth *x);

/* An access token for the space-separated `scopes` at the challenge's realm
 * (which must be on the registry's own origin); *token malloc'd, *expires_at
 * from its JWT exp. The refresh token is cached; a refused one is exchanged
 * again once. RS_ERR_UNAUTHORIZED, RS_ERR_UNREACHABLE, RS_ERR_CONFIG. */
int rs_acr_auth_token(rs_acr_auth *x, const rs_auth_challenge *ch, const char *scopes,
                      char **token, time_t *expires_at, char *errstr, size_t errsz);

/* Forgets the cached refresh token (the registry refused what it gave). */
void rs_acr_auth_forget(rs_acr_auth *x);

#endif
