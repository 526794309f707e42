/* reader.h - a pull-style byte stream, the one shape in which blob bytes move.
 *
 * A blob source (registry, OCI layout, docker archive) hands out readers; the
 * layer walker pulls from them. Implementations embed rs_reader as their first
 * member. This module also provides readers over a file, over memory, and a
 * verifying wrapper that hashes and counts what passes through it. */
#ifndef RS_READER_H
#define RS_READER_H

#include <stddef.h>
#include <sys/types.h>

#include "sha256.h"

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

#endif
