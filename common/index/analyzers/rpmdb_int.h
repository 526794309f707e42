/* analyzers/rpmdb.h - the rpm package database analyzer (see rpmdb.c). */
#ifndef RS_ANALYZER_RPMDB_H
#define RS_ANALYZER_RPMDB_H

#include "index.h"

extern const rs_analyzer rs_analyzer_rpmdb;

#endif
