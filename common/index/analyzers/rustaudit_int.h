/* analyzers/rustaudit.h - the cargo-auditable analyzer (see rustaudit.c). */
#ifndef RS_ANALYZER_RUSTAUDIT_H
#define RS_ANALYZER_RUSTAUDIT_H

#include "index.h"

extern const rs_analyzer rs_analyzer_rustaudit;

#endif
