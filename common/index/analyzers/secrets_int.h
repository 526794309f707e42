/* analyzers/secrets.h - the secrets analyzer (see secrets.c). */
#ifndef RS_ANALYZER_SECRETS_H
#define RS_ANALYZER_SECRETS_H

#include "index.h"

extern const rs_analyzer rs_analyzer_secrets;

#endif
