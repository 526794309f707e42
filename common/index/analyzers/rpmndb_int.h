/* analyzers/rpmndb.h - rpm's own "ndb" package database (Packages.db, the
 * default of SUSE and openSUSE), read from memory (see rpmndb.c). */
#ifndef RS_RPMNDB_H
#define RS_RPMNDB_H

#include <stddef.h>
#include <stdint.h>

#include "analyzers/rpmhdr_int.h"

/* The most slot pages a Packages.db may announce (256 slots each): go-rpmdb's
 * bound, half a million packages. */
#define RS_RPMNDB_MAX_SLOT_PAGES 2048u

/* Calls fn for the blob of every used slot of the ndb file in data[0..len)
 * (untrusted). A slot whose blob is out of the file or whose head, tail,
 * length or Adler-32 does not check out is skipped and counted in
 * *n_malformed. Returns 0, RS_ERR_INVALID when the file is not an ndb package
 * database of version 0 (magic, version, a slot page missing or with a bad
 * slot magic), RS_ERR_LIMIT_EXCEEDED past RS_RPMNDB_MAX_SLOT_PAGES, or what
 * fn returned. */
int rs_rpmndb_each(const uint8_t *data, size_t len, rs_rpmhdr_blob_fn fn, void *ctx,
                   size_t *n_malformed, char *errstr, size_t errstr_size);

#endif
