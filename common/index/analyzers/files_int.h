/* analyzers/files.h - the files analyzer (see files.c). */
#ifndef RS_ANALYZER_FILES_H
#define RS_ANALYZER_FILES_H

#include "index.h"

extern const rs_analyzer rs_analyzer_files;

#endif
