/* analyzers/composer.h - the Composer (PHP) analyzer (see composer.c). */
#ifndef RS_ANALYZER_COMPOSER_H
#define RS_ANALYZER_COMPOSER_H

#include "index.h"

extern const rs_analyzer rs_analyzer_composer;

#endif
