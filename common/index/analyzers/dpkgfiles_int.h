/* analyzers/dpkgfiles.h - the dpkg file-list analyzer (see dpkgfiles.c). */
#ifndef RS_ANALYZER_DPKGFILES_H
#define RS_ANALYZER_DPKGFILES_H

#include "index.h"

extern const rs_analyzer rs_analyzer_dpkgfiles;

#endif
