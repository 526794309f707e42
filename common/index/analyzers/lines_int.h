/* analyzers/lines.h - the one line reader of the package-database parsers.
 *
 * Walks a buffer of untrusted bytes (not NUL-terminated) line by line: "\n"
 * and "\r\n" end a line, a last line without a newline is still a line. It
 * copies nothing and allocates nothing; what a line means is the parser's
 * business. */
#ifndef RS_LINES_H
#define RS_LINES_H

#include <stddef.h>

/* Returns 1 with *line and *n set to the line that starts at *off in
 * data[0..len) (its "\n" and one "\r" before it, or before the end, left
 * out) and *off moved past it; 0 when *off has reached len. An empty buffer
 * has no lines; "a\n" has one. */
int rs_lines_next(const char *data, size_t len, size_t *off, const char **line, size_t *n);

#endif
