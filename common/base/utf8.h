/* utf8.h - text read from an image is bytes: check it, replace what is not
 * UTF-8 and cut it on character boundaries before it reaches JSON or a
 * terminal.
 *
 * Valid means well-formed UTF-8 as RFC 3629 (and Unicode's table 3-7) define
 * it: no overlong forms, no surrogates (U+D800..U+DFFF), nothing above
 * U+10FFFF, no truncated sequence. A NUL byte counts as invalid too: a C
 * string cannot carry it. Each maximal invalid subpart (Unicode §3.9, the
 * practice WHATWG's decoder follows) becomes one U+FFFD (EF BF BD).
 * Does no I/O and keeps no state. */
#ifndef RS_UTF8_H
#define RS_UTF8_H

#include <jansson.h>
#include <stddef.h>

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

/* A malloc'd copy of the C string s, sanitised as rs_utf8_dup does, in which
 * every control character (U+0000..U+001F, U+007F, U+0080..U+009F: ESC and
 * CSI among them) becomes '?', so that printing it cannot drive a terminal.
 * NULL s gives "". Returns NULL only when out of memory; the caller frees it. */
char *rs_utf8_dup_printable(const char *s);

#endif
