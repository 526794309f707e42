/* sha256.h - streaming SHA-256 (OpenSSL) and OCI digest strings.
 *
 * Digests are written as OCI does: "sha256:" followed by 64 lowercase hex
 * characters (RS_DIGEST_LEN characters, RS_DIGEST_SIZE with the NUL). */
#ifndef RS_SHA256_H
#define RS_SHA256_H

#include <stddef.h>

#define RS_DIGEST_LEN 71
#define RS_DIGEST_SIZE 72

typedef struct rs_sha256 rs_sha256;

/* Returns NULL when out of memory. */
rs_sha256 *rs_sha256_new(void);
void rs_sha256_update(rs_sha256 *h, const void *data, size_t len);
/* Writes "sha256:<hex>" into out (RS_DIGEST_SIZE bytes); the context can be
 * reused only after rs_sha256_reset. */
void rs_sha256_final(rs_sha256 *h, char out[RS_DIGEST_SIZE]);
void rs_sha256_reset(rs_sha256 *h);
void rs_sha256_destroy(rs_sha256 *h);

/* One-shot digest of a buffer. */
void rs_sha256_digest(const void *data, size_t len, char out[RS_DIGEST_SIZE]);

/* Returns 1 when `s` is a well-formed "sha256:<64 lowercase hex>" digest. */
int rs_digest_valid(const char *s);

#endif
