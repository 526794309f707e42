/* analyzers/files.h - the files analyzer (see files.c). */
#ifndef RS_ANALYZER_FILES_H
#define RS_ANALYZER_FILES_H

#include "analyzers/analyzer.h"

extern const rs_analyzer rs_analyzer_files;

#endif
