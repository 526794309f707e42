/* analyzers/osrelease.h - the osrelease analyzer (see osrelease.c). */
#ifndef RS_ANALYZER_OSRELEASE_H
#define RS_ANALYZER_OSRELEASE_H

#include "index.h"

extern const rs_analyzer rs_analyzer_osrelease;

#endif
