/* Reading small files named by the configuration (secrets, certificates,
 * properties) whole, with a bound, and zeroed when they are refused. */
#include "base.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int rs_file_read_bounded(const char *path, size_t max, char **out, size_t *len, char *why,
                         size_t whysz)
{
    *out = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return rs_errf(why, whysz, RS_ERR_CONFIG, "cannot open: %s", strerror(errno));
    char *b = malloc(max + 1);
    size_t n = b ? fread(b, 1, max + 1, f) : 0;
    int err = ferror(f);
    fclose(f);
    if (!b)
        return rs_errf(why, whysz, RS_ERR_INTERNAL, "out of memory");
    if (err || n > max) {
        memset(b, 0, n);
        free(b);
        return rs_errf(why, whysz, RS_ERR_CONFIG, err ? "cannot read" : "larger than %zu bytes",
                       max);
    }
    b[n] = '\0';
    *out = b;
    *len = n;
    return 0;
}
