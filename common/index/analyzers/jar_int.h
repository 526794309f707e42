/* analyzers/jar.h - the Java archive analyzer (see jar.c). */
#ifndef RS_ANALYZER_JAR_H
#define RS_ANALYZER_JAR_H

#include "index.h"

extern const rs_analyzer rs_analyzer_jar;

#endif
