/* gunzip_int.h - gzip inflation with ISA-L for the layer walker (gunzip.c).
 * Private to common/index. */
#ifndef RS_GUNZIP_INT_H
#define RS_GUNZIP_INT_H

#include <stddef.h>
#include <sys/types.h>

#include "base.h"

typedef struct rs_gunzip rs_gunzip;

/* A new inflater for a gzip stream (one or more members), or NULL when
 * regscan was built without ISA-L or memory ran out. */
rs_gunzip *rs_gunzip_new(void);
void rs_gunzip_free(rs_gunzip *z);
/* Gives the next `len` compressed bytes (kept by the caller until they are
 * used: rs_gunzip_pending says how many are left). */
void rs_gunzip_input(rs_gunzip *z, const void *data, size_t len);
size_t rs_gunzip_pending(const rs_gunzip *z);
/* Inflates the next bytes: returns how many, with *out pointing at them in
 * the inflater's own window (valid until the next call), 0 when more input is
 * needed or the stream ended (see rs_gunzip_finished), or a negative rs_err
 * (RS_ERR_INVALID with errstr) for a broken stream. */
ssize_t rs_gunzip_output(rs_gunzip *z, const void **out, char *errstr, size_t errstr_size);
/* 1 when the last member ended with no input left over. */
int rs_gunzip_finished(const rs_gunzip *z);

#endif
