/* fuzz_analyzer.h - one file of a layer through one analyzer, whole or
 * streamed (in uneven chunks, as the walker's blocks come), for the fuzz
 * targets of the language analyzers. Files over the analyzer's size limit
 * are never handed to it, so they are not fuzzed. */
#ifndef RS_FUZZ_ANALYZER_H
#define RS_FUZZ_ANALYZER_H

#include <stddef.h>
#include <stdint.h>

#include "index.h"

static inline void rs_fuzz_analyzer(const char *name, const char *path, const uint8_t *data,
                                    size_t size)
{
    char errstr[256];
    rs_analysis an = {0};
    const rs_analyzer *a = rs_analyzer_find(name);
    if (!a || (a->max_file_size && size > a->max_file_size))
        return;
    if (a->parse) {
        (void)a->parse(path, (const char *)data, size, &an, errstr, sizeof errstr);
    } else {
        void *st = NULL;
        if (a->begin(path, size, &st, errstr, sizeof errstr) != 0)
            return;
        size_t o = 0, chunk = 1;
        while (o < size) {
            size_t n = size - o < chunk ? size - o : chunk;
            (void)a->feed(st, data + o, n);
            o += n;
            chunk = chunk * 3 + 1;
        }
        (void)a->end(st, &an, errstr, sizeof errstr);
    }
    rs_analysis_clear(&an);
}

#endif
