/* analyzers/rpmbdb.h - the BerkeleyDB hash file rpm kept its headers in
 * until rpm 4.16 (/var/lib/rpm/Packages), read from memory (see rpmbdb.c). */
#ifndef RS_RPMBDB_H
#define RS_RPMBDB_H

#include <stddef.h>
#include <stdint.h>

#include "analyzers/rpmhdr_int.h"

/* The most pages a Packages file may have (with 64 KiB pages: 16 GiB, far
 * above what the analyzer holds in memory anyway). */
#define RS_RPMBDB_MAX_PAGES (1u << 18)

/* Calls fn for the value of every record of the hash database in data[0..len)
 * (untrusted) but the record of key 0 (rpm's instance counter). A record that
 * cannot be read (an item out of its page, an overflow chain that is broken,
 * too long or a cycle) is skipped and counted in *n_malformed. Returns 0,
 * RS_ERR_INVALID when the file is not a hash database this reader handles
 * (magic, version, page size, encryption, a file shorter than its last page),
 * RS_ERR_LIMIT_EXCEEDED over RS_RPMBDB_MAX_PAGES, RS_ERR_INTERNAL when out of
 * memory, or what fn returned. */
int rs_rpmbdb_each(const uint8_t *data, size_t len, rs_rpmhdr_blob_fn fn, void *ctx,
                   size_t *n_malformed, char *errstr, size_t errstr_size);

#endif
