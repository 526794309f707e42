/* entra_int.h - internals of entra.c that the unit tests reach: the client
 * certificate, the signed client assertion, the token answer, Entra's refusals
 * and the cache clock. Private to common/registry (and tests). */
#ifndef RS_ENTRA_INT_H
#define RS_ENTRA_INT_H

#include "registry.h"

#include <time.h>

#define RS_ENTRA_ASSERTION_LIFETIME 600 /* seconds a certificate assertion is valid */

typedef struct rs_entra_cert rs_entra_cert;

/* Reads a PEM file holding an RSA private key (encrypted when `password` is
 * not NULL) and its certificate. Returns 0 or RS_ERR_CONFIG naming the file. */
int rs_entra_cert_load(const char *path, const char *password, rs_entra_cert **out, char *errstr,
                       size_t errsz);
void rs_entra_cert_free(rs_entra_cert *c);

/* An RS256 client assertion for `client_id` towards the token endpoint `aud`
 * issued at `now`; *jwt malloc'd. RS_ERR_UNAUTHORIZED when the certificate is
 * expired or not yet valid at `now`. */
int rs_entra_assertion(const rs_entra_cert *c, const char *client_id, const char *aud, time_t now,
                       char **jwt, char *errstr, size_t errsz);

/* Parses a token answer: *token (malloc'd) and *expires_at = now + expires_in,
 * never past the JWT's exp. RS_ERR_INVALID naming what is wrong. */
int rs_entra_answer_parse(const char *body, size_t len, time_t now, char **token,
                          time_t *expires_at, char *errstr, size_t errsz);

/* Entra's error answer as "AADSTS7000215 invalid client secret provided":
 * the code and the first sentence of error_description, sanitised (ASCII
 * words only, long words that could be secrets or tokens left out, bounded). */
void rs_entra_refusal(const char *body, size_t len, char *out, size_t outsz);

/* Sanitises attacker-influenced text into out (see rs_entra_refusal). */
void rs_entra_sanitize(const char *in, char *out, size_t outsz);

/* Whether a token fetched at `fetched` that expires at `expires_at` is still
 * worth using at `now` (a margin of a quarter of its life, at most 5 minutes). */
int rs_entra_fresh(time_t fetched, time_t expires_at, time_t now);

/* Replaces the wall clock of e (tests). */
void rs_entra_set_clock(rs_entra *e, time_t (*now)(void));

#endif
