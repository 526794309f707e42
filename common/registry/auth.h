/* auth.h - registry authentication: challenges, the Docker token flow, caching.
 *
 * Parses WWW-Authenticate challenges (Basic and Bearer), runs the Docker
 * token flow (distribution's spec/auth/token) against the challenge's realm
 * with Basic credentials when configured, and caches one token per (realm,
 * service, scope) until shortly before it expires. Static bearer tokens and
 * direct Basic are supported. Never logs or puts a credential or token into
 * a message. The `azure` flow (AAD exchange) is not handled here. */
#ifndef RS_AUTH_H
#define RS_AUTH_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "config.h"
#include "http.h"

typedef enum { RS_CHALLENGE_NONE = 0, RS_CHALLENGE_BASIC, RS_CHALLENGE_BEARER } rs_challenge_scheme;

typedef struct rs_auth_challenge {
    rs_challenge_scheme scheme;
    char realm[1024];
    char service[256];
    char scope[1024];
    char error[64];
} rs_auth_challenge;

/* Parses a WWW-Authenticate value (several comma-separated challenges may be
 * given: Bearer is preferred, then Basic). Returns 0, or RS_ERR_INVALID for
 * an unparsable value or an unknown scheme. */
int rs_auth_challenge_parse(const char *header, rs_auth_challenge *out);

/* Parses a token endpoint's JSON answer: `token` or `access_token`,
 * `expires_in` (default 60 s) counted from `issued_at` (RFC 3339) or `now`;
 * without expires_in, the JWT's `exp` claim when present. *token is malloc'd.
 * Returns 0 or RS_ERR_INVALID. */
int rs_auth_token_parse(const char *json, size_t len, time_t now, char **token, time_t *expires_at,
                        char *errstr, size_t errstr_size);

/* Reads the `exp` claim of a JWT's payload (no signature check). Returns 0 or
 * RS_ERR_INVALID. */
int rs_auth_jwt_exp(const char *jwt, int64_t *exp);

/* Decodes base64 or base64url (padding optional) into a malloc'd,
 * NUL-terminated buffer. Returns 0 or RS_ERR_INVALID. */
int rs_auth_base64_decode(const char *in, size_t in_len, char **out, size_t *out_len);

typedef struct rs_auth rs_auth;

/* A client for one registry. `conf` is copied; `http` is borrowed and must
 * outlive the client. `registry` names the registry in messages; plain HTTP
 * realms are accepted only when `insecure`. NULL when out of memory. */
rs_auth *rs_auth_new(const rs_auth_conf *conf, rs_http *http, const char *registry, int insecure);
void rs_auth_destroy(rs_auth *a);

/* The Authorization value to send now for `scope` (may be NULL), before any
 * challenge: a cached or fetchable token once the registry's challenge is
 * known, Basic, or the static bearer. *value is malloc'd, NULL when nothing
 * is to be sent. Returns 0 or a negative rs_err. */
int rs_auth_header(rs_auth *a, const char *scope, char **value, char *errstr, size_t errstr_size);

/* Handles a 401 answer's challenge: forgets the cached token for the scope,
 * fetches a fresh one and sets *value (malloc'd). RS_ERR_UNAUTHORIZED when the
 * challenge cannot be met (no credentials for Basic, token refused). */
int rs_auth_challenge_answer(rs_auth *a, const char *www_authenticate, const char *scope,
                             char **value, char *errstr, size_t errstr_size);

#endif
