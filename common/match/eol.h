/* eol.h - end of security support of distribution releases.
 *
 * Built-in tables, one per family in its ecosystem backend (analyzers/
 * debian.c: Debian end of LTS, Ubuntu LTS end of standard support, ESM not
 * counted, interim Ubuntu releases; analyzers/alpine.c: end of the branch's
 * security fixes), from the distributions' own release pages. A release no
 * table knows is reported as not end-of-life with no date. */
#ifndef RS_EOL_H
#define RS_EOL_H

#include "inventory.h"

/* Looks `os` up. Returns 1 with date ("YYYY-MM-DD") set when the release is
 * known, 0 otherwise. *eol is 1 when today ("YYYY-MM-DD"; NULL: the current
 * UTC date) is after that date. */
int rs_eol_lookup(const rs_os *os, const char *today, char date[11], int *eol);

#endif
