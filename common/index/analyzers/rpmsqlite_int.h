/* analyzers/rpmsqlite.h - rpm's SQLite package database (rpmdb.sqlite, the
 * default since rpm 4.16: Fedora 33+, RHEL 9 and its rebuilds), read from
 * memory with Debian's libsqlite3 (see rpmsqlite.c). */
#ifndef RS_RPMSQLITE_H
#define RS_RPMSQLITE_H

#include <stddef.h>
#include <stdint.h>

#include "analyzers/rpmhdr_int.h"

/* Calls fn for the blob of every row of table Packages(hnum, blob) of the
 * SQLite database in data[0..len) (untrusted; copied once, the copy freed
 * before returning). A row whose blob is not a blob is counted in
 * *n_malformed. Returns 0, RS_ERR_INVALID when the bytes are not an SQLite
 * database with a Packages table (or SQLite finds it corrupt),
 * RS_ERR_LIMIT_EXCEEDED when the query runs past its work budget,
 * RS_ERR_INTERNAL when out of memory, or what fn returned. */
int rs_rpmsqlite_each(const uint8_t *data, size_t len, rs_rpmhdr_blob_fn fn, void *ctx,
                      size_t *n_malformed, char *errstr, size_t errstr_size);

#endif
