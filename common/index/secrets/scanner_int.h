/* secrets/secrets.h - the secret scanner: one multi-pattern pass over a byte
 * stream, the rule set with stable ids, redacted findings.
 *
 * Rules are found by their keywords and literal prefixes ("AKIA", "ghp_",
 * "password", "-----BEGIN ") in ONE pass: Hyperscan's literal matcher when the
 * build has it (amd64, Debian's libhyperscan-dev), else a portable filter of
 * folded byte pairs; both give the same set of (offset, literal), and each
 * hit is verified by the rule's own matcher (rules.c) on its line. Matches
 * split across feed() calls are found: the stream keeps a bounded tail.
 * A finding carries the rule, severity, title, 1-based line and a redacted
 * match: the secret's bytes are never copied out of the scanner. What is
 * scanned (text or not, size, path) is the caller's business (the secrets
 * analyzer). Thread-safe: rule tables are built once. */
#ifndef RS_SECRETS_H
#define RS_SECRETS_H

#include <stddef.h>

#include "model.h"

typedef enum {
    RS_SECRETS_AUTO = 0,   /* Hyperscan when built with it, else portable */
    RS_SECRETS_PORTABLE,   /* the portable prefilter */
    RS_SECRETS_HYPERSCAN,  /* Hyperscan; unavailable when not built with it */
} rs_secrets_backend;

/* Findings kept per stream; the rest are dropped (a file full of tokens is
 * reported by its first ones). */
#define RS_SECRETS_MAX_PER_STREAM 100

typedef struct rs_secret_rule_info {
    const char *id;
    const char *severity;
    const char *title;
} rs_secret_rule_info;

/* The rule set, in priority order (a rule wins over a later one whose match
 * overlaps it on the same line). Static storage; *n set. */
const rs_secret_rule_info *rs_secrets_rules(size_t *n);

/* 1 when `b` can be used in this build (AUTO and PORTABLE always can). */
int rs_secrets_backend_available(rs_secrets_backend b);
/* "hyperscan" or "portable": what AUTO resolves to. */
const char *rs_secrets_backend_name(void);

typedef struct rs_secrets_stream rs_secrets_stream;

/* A new stream over one file's bytes; NULL when out of memory or `b` is
 * unavailable. */
rs_secrets_stream *rs_secrets_stream_new(rs_secrets_backend b);
/* Scans the next len bytes. Returns 0 or RS_ERR_INTERNAL (out of memory). */
int rs_secrets_stream_feed(rs_secrets_stream *s, const void *data, size_t len);
/* Scans what is left and appends the findings (path NULL, layer NULL) to
 * *out, sorted by (line, rule). Returns 0 or RS_ERR_INTERNAL. */
int rs_secrets_stream_end(rs_secrets_stream *s, rs_secrets *out);
void rs_secrets_stream_free(rs_secrets_stream *s);

/* Scans one buffer (stream_new, feed, end), giving every finding `path`.
 * Returns 0 or RS_ERR_INTERNAL. */
int rs_secrets_scan_buf(const char *data, size_t len, rs_secrets_backend b, const char *path,
                        rs_secrets *out);

/* Shannon entropy of data[0..n) in bits per byte (0 for n == 0). */
double rs_secrets_entropy(const char *data, size_t n);

#endif
