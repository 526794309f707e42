/* path.c - the path component walker (see path.h). */
#include "base.h"

#include <string.h>

int rs_path_next(const char **p, const char **comp, size_t *n)
{
    const char *s = *p;
    while (*s == '/')
        s++;
    if (!*s) {
        *p = s;
        return 0;
    }
    const char *end = strchr(s, '/');
    *comp = s;
    *n = end ? (size_t)(end - s) : strlen(s);
    *p = s + *n;
    return 1;
}
