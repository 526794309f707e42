/* blobsrc.c - helpers common to every blob source. */
#include "image.h"
#include "base.h"

#include <stdlib.h>

int rs_blobsrc_fetch(rs_blobsrc *s, const char *repository, const char *digest, size_t max,
                     char **out, size_t *out_len, char *errstr, size_t errsz)
{
    rs_reader *r = NULL;
    *out = NULL;
    *out_len = 0;
    int rc = s->open_blob(s, repository, digest, max, &r, errstr, errsz);
    if (rc)
        return rc;
    rc = rs_reader_slurp(r, max, out, out_len, errstr, errsz);
    rs_reader_destroy(r);
    return rc;
}
