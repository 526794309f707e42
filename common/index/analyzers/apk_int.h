/* analyzers/apk.h - the apk analyzer (see apk.c). */
#ifndef RS_ANALYZER_APK_H
#define RS_ANALYZER_APK_H

#include "index.h"

extern const rs_analyzer rs_analyzer_apk;

#endif
