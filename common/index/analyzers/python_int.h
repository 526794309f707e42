/* analyzers/python.h - the Python analyzer (see python.c). */
#ifndef RS_ANALYZER_PYTHON_H
#define RS_ANALYZER_PYTHON_H

#include "index.h"

extern const rs_analyzer rs_analyzer_python;

/* Writes the PEP 503 normal form of name[0..n) into out ("Foo__Bar.baz" ->
 * "foo-bar-baz"). Returns 0, or -1 when it is no PEP 508 name or does not fit. */
int rs_python_normalize(const char *name, size_t n, char *out, size_t out_size);

#endif
