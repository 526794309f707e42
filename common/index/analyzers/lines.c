/* analyzers/lines.c - the line reader (see lines.h). */
#include "analyzers/lines_int.h"

#include <string.h>

int rs_lines_next(const char *data, size_t len, size_t *off, const char **line, size_t *n)
{
    if (*off >= len)
        return 0;
    const char *start = data + *off;
    const char *nl = memchr(start, '\n', len - *off);
    size_t k = nl ? (size_t)(nl - start) : len - *off;
    *off = nl ? *off + k + 1 : len;
    if (k && start[k - 1] == '\r')
        k--;
    *line = start;
    *n = k;
    return 1;
}
