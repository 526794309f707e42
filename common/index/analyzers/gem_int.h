/* analyzers/gem.h - the RubyGems analyzer (see gem.c). */
#ifndef RS_ANALYZER_GEM_H
#define RS_ANALYZER_GEM_H

#include "index.h"

extern const rs_analyzer rs_analyzer_gem;

#endif
