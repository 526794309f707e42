/* buf.h - a growable byte buffer with an optional hard limit.
 *
 * Always NUL-terminated (the terminator is not counted in len), so text can
 * be used as a C string. Appending past `limit` (0 = none) fails with
 * RS_ERR_LIMIT_EXCEEDED and leaves the buffer unchanged. */
#ifndef RS_BUF_H
#define RS_BUF_H

#include <stdarg.h>
#include <stddef.h>

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

#endif
