/* analyzers/dpkg.h - the dpkg analyzer (see dpkg.c). */
#ifndef RS_ANALYZER_DPKG_H
#define RS_ANALYZER_DPKG_H

#include "index.h"

extern const rs_analyzer rs_analyzer_dpkg;

#endif
