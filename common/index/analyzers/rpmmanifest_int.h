/* analyzers/rpmmanifest.h - the rpm manifest of Azure Linux / CBL-Mariner
 * distroless images (see rpmmanifest.c). */
#ifndef RS_ANALYZER_RPMMANIFEST_H
#define RS_ANALYZER_RPMMANIFEST_H

#include "index.h"

extern const rs_analyzer rs_analyzer_rpmmanifest;

#endif
