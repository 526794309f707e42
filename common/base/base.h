/* base.h - what every library of regscan stands on: status codes and their
 * messages, growable byte buffers and arrays, the clock and RFC 3339 times,
 * logging, sha256 digests, byte readers, UTF-8 checks and path components.
 * Nothing here knows images, registries, Kafka or Redis.
 *
 * The one public header of common/base (STYLE.md); banned.h is not part of
 * it: the build force-includes that into every file. */
#ifndef RS_BASE_H
#define RS_BASE_H

#include <jansson.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/types.h>

/* ---- err: status codes shared by every module.
 *
 * Fallible functions return 0 on success or a negative rs_err, and fill a
 * caller-supplied `char *errstr, size_t errstr_size` with a one-line message
 * (lowercase, error first, subject quoted, never a secret). The codes map to
 * the `error.code` strings of regscan.image-report/v1 (DESIGN.md §4) and to
 * the process exit codes (DESIGN.md §2). */

typedef enum rs_err {
    RS_OK = 0,
    RS_ERR_INTERNAL = -1,         /* a bug or out of memory */
    RS_ERR_CONFIG = -2,           /* bad configuration or usage (exit 2) */
    RS_ERR_UNREACHABLE = -3,      /* network, refused, timeout, 5xx after retries (exit 3) */
    RS_ERR_UNAUTHORIZED = -4,     /* 401 / 403 / token refused */
    RS_ERR_MANIFEST_UNKNOWN = -5, /* manifest or tag not found (404) */
    RS_ERR_BLOB_UNKNOWN = -6,     /* blob not found (404) */
    RS_ERR_DIGEST_MISMATCH = -7,  /* content does not hash to its digest */
    RS_ERR_LIMIT_EXCEEDED = -8,   /* a size, count, ratio or depth limit */
    RS_ERR_UNSUPPORTED = -9,      /* a media type or format we do not handle */
    RS_ERR_INVALID = -10,         /* malformed input: manifest, layer, JSON, database */
    RS_ERR_TOOMANYREQUESTS = -11, /* 429 after retries */
    RS_ERR_ANALYZER_CRASHED = -12,
    RS_ERR_CANCELLED = -13, /* shutdown or revoke asked us to stop */
    RS_ERR_STORE = -14,     /* the state or cache store (Redis) cannot be reached (exit 3) */
    RS_ERR_BROKER = -15,    /* Kafka cannot be reached or does not acknowledge (exit 3) */
} rs_err;

/* 1 for the failures of the infrastructure a worker cannot work without
 * (RS_ERR_STORE, RS_ERR_BROKER): retried within the outage budget, then the
 * worker stops. Everything else that a request causes ends as a report or a
 * dead letter. */
int rs_err_is_infra(int err);

/* Returns the report code for `err` ("UNAUTHORIZED", "MANIFEST_UNKNOWN", ...),
 * a static string; "INTERNAL" for unknown values. */
const char *rs_err_code(int err);

/* Returns the process exit code DESIGN.md §2 gives for `err`: 0, 2, 3 or 4. */
int rs_err_exit_code(int err);

/* Writes a formatted message into errstr (may be NULL) and returns `err`, so
 * that callers can write `return rs_errf(errstr, sz, RS_ERR_INVALID, "...")`. */
int rs_errf(char *errstr, size_t errstr_size, int err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* ---- buf: a growable byte buffer with an optional hard limit.
 *
 * Always NUL-terminated (the terminator is not counted in len), so text can
 * be used as a C string. Appending past `limit` (0 = none) fails with
 * RS_ERR_LIMIT_EXCEEDED and leaves the buffer unchanged. */

typedef struct rs_buf {
    char *data; /* NULL until the first append */
    size_t len;
    size_t cap;
    size_t limit; /* 0: unlimited */
} rs_buf;

#define RS_BUF_INIT                                                                                \
    {                                                                                              \
        NULL, 0, 0, 0                                                                              \
    }

/* Returns 0, RS_ERR_LIMIT_EXCEEDED or RS_ERR_INTERNAL (out of memory). */
int rs_buf_append(rs_buf *b, const void *data, size_t len);
int rs_buf_puts(rs_buf *b, const char *s);
int rs_buf_printf(rs_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int rs_buf_vprintf(rs_buf *b, const char *fmt, va_list ap);
/* Empties the buffer, keeps the allocation. */
void rs_buf_reset(rs_buf *b);
/* Frees the data; the buffer can be reused. */
void rs_buf_free(rs_buf *b);
/* Hands the data over to the caller (free() it) and empties the buffer;
 * returns an empty string rather than NULL for an empty buffer. */
char *rs_buf_steal(rs_buf *b);

/* Frees the n strings *v[i] (NULL ones too) and sets each to NULL: one call
 * for the string fields of a struct, `char **f[] = {&s->a, &s->b};`. */
void rs_strs_free(char **const *v, size_t n);
/* The value of the hexadecimal digit c (either case), -1 when it is none. */
int rs_hex_digit(char c);
/* Decodes base64, standard or URL-safe alphabet, with or without '=' padding
 * (trailing CR/LF ignored) into a malloc'd, NUL-terminated *out of *out_len
 * bytes. Returns 0, RS_ERR_INVALID (a byte outside the alphabet, a length
 * no encoding gives) or RS_ERR_INTERNAL (out of memory). */
int rs_base64_decode(const char *in, size_t in_len, char **out, size_t *out_len);

/* ---- grow: one growth macro for arrays (git's ALLOC_GROW).
 *
 * RS_GROW(ptr, need, cap) makes the array `ptr`, which has room for `cap`
 * elements, hold at least `need`: when need > cap it reallocates to
 * rs_grow_capacity(cap, need, sizeof *ptr) elements and stores the new
 * capacity in `cap` (a size_t lvalue). It evaluates to 0, or to
 * RS_ERR_INTERNAL when the size overflows or memory runs out; then `ptr` and
 * `cap` are unchanged, so the caller still owns and frees the old array.
 * `ptr` and `cap` are evaluated more than once: pass plain lvalues.
 *
 * A `cap` smaller than what `ptr` really holds is safe (zero-initialised
 * structs whose array was allocated elsewhere): it only costs a realloc. */

/* The capacity after `cap` when `need` elements of `elem` bytes are needed:
 * git's alloc_nr, (cap + 16) * 3 / 2, or `need` when that is more (or when the
 * geometric step would overflow). 0 when need * elem does not fit a size_t. */
static inline size_t rs_grow_capacity(size_t cap, size_t need, size_t elem)
{
    size_t max = SIZE_MAX / (elem ? elem : 1);
    if (need > max)
        return 0;
    size_t next = need;
    if (cap <= max && max - cap >= 16) {
        size_t x = cap + 16;
        if (x / 2 <= max - x)
            next = x + x / 2; /* (cap + 16) * 3 / 2 without overflow */
    }
    return next < need ? need : next;
}

#define RS_GROW(ptr, need, cap)                                                                    \
    __extension__({                                                                                \
        size_t rs_grow_need_ = (need);                                                             \
        int rs_grow_rc_ = 0;                                                                       \
        if (rs_grow_need_ > (cap)) {                                                               \
            size_t rs_grow_nc_ = rs_grow_capacity((cap), rs_grow_need_, sizeof *(ptr));            \
            void *rs_grow_p_ = rs_grow_nc_ ? realloc((ptr), rs_grow_nc_ * sizeof *(ptr)) : NULL;   \
            if (rs_grow_p_) {                                                                      \
                (ptr) = rs_grow_p_;                                                                \
                (cap) = rs_grow_nc_;                                                               \
            } else {                                                                               \
                rs_grow_rc_ = RS_ERR_INTERNAL;                                                     \
            }                                                                                      \
        }                                                                                          \
        rs_grow_rc_;                                                                               \
    })

/* ---- clock: the two clocks the code reads: a monotonic one for durations and
 * UTC wall time for messages; and the one parser of RFC 3339 times. */

/* Milliseconds of a monotonic clock. */
uint64_t rs_now_ms(void);

/* The current UTC time as RFC 3339 ("2026-11-27T10:00:00Z") into out (at
 * least 21 bytes). */
void rs_iso_now(char *out, size_t out_size);

/* Parses an RFC 3339 date-time (section 5.6) into seconds since the epoch:
 * "YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM|-HH:MM)", 'T' and 'Z' in either case.
 * Fractional seconds are dropped (truncated); a leap second (:60) counts as
 * the first second of the next minute, as POSIX time has none. Rejected,
 * with RS_ERR_INVALID: NULL, a missing or malformed offset, fields that are
 * not exactly 2 (year: 4) digits, month outside 1-12, a day the month does
 * not have (Feb 29 outside leap years), hour > 23, minute > 59, second > 60,
 * offset hour > 23 or minute > 59, a '.' without digits, a space instead of
 * 'T', and anything after the offset. Returns 0 with *out set. */
int rs_clock_parse_rfc3339(const char *s, int64_t *out);

/* ---- log: the one logging sink of the library.
 *
 * Library code reports through rs_log(); the program decides the format
 * (text or JSON lines, DESIGN.md §2 REGSCAN_LOG) and the level. Messages must
 * never contain credentials, tokens or signed URLs: use rs_log_redact_url()
 * for anything that may carry a query string. */

typedef enum { RS_LOG_DEBUG = 0, RS_LOG_INFO, RS_LOG_WARN, RS_LOG_ERROR } rs_log_level;

/* format: "text" or "json" (NULL: text when stderr is a terminal, else json);
 * level: "debug", "info", "warn", "error" (NULL: info). Returns 0 or
 * RS_ERR_CONFIG for an unknown value. `program` names the process in JSON. */
int rs_log_init(const char *program, const char *format, const char *level);
void rs_log(rs_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int rs_log_enabled(rs_log_level level);

/* Copies `url` into out without its query string and userinfo (signed blob
 * URLs carry their signature in the query). Always NUL-terminates. */
void rs_log_redact_url(const char *url, char *out, size_t out_size);

/* ---- sha256: streaming SHA-256 (OpenSSL) and OCI digest strings.
 *
 * Digests are written as OCI does: "sha256:" followed by 64 lowercase hex
 * characters (RS_DIGEST_LEN characters, RS_DIGEST_SIZE with the NUL). */

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

/* ---- reader: a pull-style byte stream, the one shape in which blob bytes move.
 *
 * A blob source (registry, OCI layout, docker archive) hands out readers; the
 * layer walker pulls from them. Implementations embed rs_reader as their first
 * member. This module also provides readers over a file, over memory, and a
 * verifying wrapper that hashes and counts what passes through it. */

typedef struct rs_reader rs_reader;
struct rs_reader {
    /* Returns the number of bytes read (> 0), 0 at the end of the stream, or a
     * negative rs_err with a message in errstr. */
    ssize_t (*read)(rs_reader *r, void *buf, size_t n, char *errstr, size_t errstr_size);
    void (*destroy)(rs_reader *r);
};

static inline ssize_t rs_reader_read(rs_reader *r, void *buf, size_t n, char *errstr,
                                     size_t errstr_size)
{
    return r->read(r, buf, n, errstr, errstr_size);
}

/* Destroys r (NULL is fine). */
void rs_reader_destroy(rs_reader *r);

/* A reader over a file; NULL with errstr when it cannot be opened. */
rs_reader *rs_reader_file_new(const char *path, char *errstr, size_t errstr_size);
/* A reader over a regular file only (rs_file_open_regular's checks; symlinks
 * refused when `nofollow`); NULL with errstr naming the file otherwise. */
rs_reader *rs_reader_regular_new(const char *path, int nofollow, char *errstr, size_t errstr_size);
/* A reader over memory the caller keeps alive for the reader's life. */
rs_reader *rs_reader_mem_new(const void *data, size_t len);

/* Wraps `inner` (taken over: destroyed with the wrapper) and checks what
 * passes: past `max_bytes` (0: no limit) a read fails with
 * RS_ERR_LIMIT_EXCEEDED; at the end of the stream, a content that does not
 * hash to `expected_digest` (NULL: not checked) fails the last read with
 * RS_ERR_DIGEST_MISMATCH, so no consumer ever sees a clean EOF on bad bytes.
 * `what` names the blob in messages. */
rs_reader *rs_reader_verify_new(rs_reader *inner, const char *expected_digest, size_t max_bytes,
                                const char *what);
/* Bytes that went through a verifying reader so far. */
size_t rs_reader_verify_count(rs_reader *verify);

/* Reads the rest of r into a new buffer of at most `max` bytes (a larger
 * stream is RS_ERR_LIMIT_EXCEEDED); *out is malloc'd and NUL-terminated. */
int rs_reader_slurp(rs_reader *r, size_t max, char **out, size_t *out_len, char *errstr,
                    size_t errstr_size);

/* Copies up to n bytes of src[*off..len) into dst and moves *off past them;
 * returns how many (0 when nothing is left). One copy-out for the readers
 * that serve a buffer (memory, a streamed HTTP body). */
size_t rs_reader_copy_out(void *dst, size_t n, const unsigned char *src, size_t len, size_t *off);

/* ---- utf8: text read from an image is bytes: check it, replace what is not
 * UTF-8 and cut it on character boundaries before it reaches JSON or a
 * terminal.
 *
 * Valid means well-formed UTF-8 as RFC 3629 (and Unicode's table 3-7) define
 * it: no overlong forms, no surrogates (U+D800..U+DFFF), nothing above
 * U+10FFFF, no truncated sequence. A NUL byte counts as invalid too: a C
 * string cannot carry it. Each maximal invalid subpart (Unicode §3.9, the
 * practice WHATWG's decoder follows) becomes one U+FFFD (EF BF BD).
 * Does no I/O and keeps no state. */

/* Returns 1 when the n bytes of s are valid UTF-8 without a NUL byte, else 0.
 * s may be NULL when n is 0. */
int rs_utf8_valid(const char *s, size_t n);

/* A malloc'd NUL-terminated copy of the n bytes of s (NULL only when n is 0)
 * in which every maximal invalid subpart is replaced by U+FFFD. Sets
 * *replaced to 1 when something was replaced and leaves it alone otherwise,
 * so one flag can collect several calls (replaced may be NULL). Returns NULL
 * only when out of memory; the caller frees the result. */
char *rs_utf8_dup(const char *s, size_t n, int *replaced);

/* Writes the n bytes of s, sanitised as rs_utf8_dup does, into dst: always
 * NUL-terminated when dst_size > 0, cut only on a character boundary (never
 * inside a sequence or a U+FFFD). Returns the bytes written, NUL excluded.
 * *replaced (may be NULL) is set to 1 when a replacement was written. */
size_t rs_utf8_copy(char *dst, size_t dst_size, const char *s, size_t n, int *replaced);

/* A JSON string of s sanitised as rs_utf8_dup does, or JSON null when s is
 * NULL. New reference; NULL only when out of memory. */
json_t *rs_utf8_json_string(const char *s);

/* Reads the whole file `path` of at most `max` bytes: *out malloc'd and
 * NUL-terminated, *len its length. RS_ERR_CONFIG with `why` saying what failed
 * ("cannot open: …", "larger than N bytes"; never the content, and not the
 * path: the caller names it), RS_ERR_INTERNAL when out of memory. */
int rs_file_read_bounded(const char *path, size_t max, char **out, size_t *len, char *why,
                         size_t whysz);
/* Opens `path` for reading only when it is a regular file: a FIFO, device,
 * socket or directory is refused before anything is read (a FIFO cannot
 * hang the caller), and so is a symlink when `nofollow`. Returns the file
 * descriptor (close-on-exec, blocking), or RS_ERR_INVALID with errstr naming
 * the file and what it is ("refusing '/l/index.json': a FIFO, ..."). */
int rs_file_open_regular(const char *path, int nofollow, char *errstr, size_t errstr_size);

/* Calls item(v, ctx) on each item v of the optional JSON array `a` (NULL or
 * JSON null: no call), which must hold at most `max` items. item returns 0,
 * RS_ERR_INTERNAL (out of memory) or any other non-zero value for an invalid
 * item. Returns 0 or the RS_ERR_* code with errstr naming `what` ("secrets")
 * and the index of the item that failed. */
typedef int rs_json_item_fn(const json_t *v, void *ctx);
int rs_json_each(const json_t *a, size_t max, const char *what, rs_json_item_fn *item, void *ctx,
                 char *errstr, size_t errsz);

/* A malloc'd copy of the C string s, sanitised as rs_utf8_dup does, in which
 * every control character (U+0000..U+001F, U+007F, U+0080..U+009F: ESC and
 * CSI among them) becomes '?', so that printing it cannot drive a terminal.
 * NULL s gives "". Returns NULL only when out of memory; the caller frees it. */
char *rs_utf8_dup_printable(const char *s);

/* ---- path: the one walker over the components of a '/'-separated path.
 *
 * Used wherever a path from an image is taken apart: normalising tar paths
 * (analyzers/analyzer.c) and resolving symlink targets (merge.c). It only
 * splits; what "." and ".." mean is the caller's business. */

/* Returns 1 with *comp and *n set to the next component of the NUL-terminated
 * path at *p (any run of '/' skipped; "." and ".." returned as they are) and
 * *p moved past it; 0 when only slashes, or nothing, remain. */
int rs_path_next(const char **p, const char **comp, size_t *n);

/* ---- teststep: test-only stops at named steps (teststep.c).
 *
 * RS_TEST_STEP("name") marks a step of the worker (after_publish, ...). In a
 * build with -DREGSCAN_TEST_HOOKS=ON (RS_TEST_HOOKS) it calls rs_test_step;
 * otherwise it compiles to nothing. When REGSCAN_TEST_STOP_AT names the step
 * ("step" or "step:N", the N-th time), the process logs "test hook: process
 * PID stopped at step 'name'" and stops itself with SIGSTOP, so a test can
 * look at Redis and Kafka as they are at that instant and then SIGKILL it;
 * REGSCAN_TEST_KILL_AT kills it there with SIGKILL after the same kind of
 * line. Builds for users contain none of this. */
#ifdef RS_TEST_HOOKS
/* Stops or kills the process when the environment names `step` (see above). */
void rs_test_step(const char *step);
#define RS_TEST_STEP(step) rs_test_step(step)
#else
#define RS_TEST_STEP(step) ((void)0)
#endif

#endif
