#!/usr/bin/python3
"""include_lint.py - each library shows one public header (STYLE.md).

    include_lint.py ROOT

The libraries are the folders of ROOT/common (base, model, index, ...) and the
programs' libraries ROOT/coordinator, ROOT/worker and ROOT/analyze. In each, the one public
header is named after the folder (common/index/index.h, worker/worker.h,
analyze/analyze.h);
every other header is private and named *_int.h (common/base/banned.h, which
the build force-includes, is the one exception). A private header may be
included only from its own library's folder, or from ROOT/tests (tests
exercise internals). Exits 1 listing every header that breaks the naming rule
and every #include of another library's private header; 0 otherwise.
Debian's python3 only."""

import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def libraries(root):
    """Yields (name, folder) of every library."""
    common = os.path.join(root, "common")
    for name in sorted(os.listdir(common)):
        if os.path.isdir(os.path.join(common, name)):
            yield name, os.path.join(common, name)
    for name in ("coordinator", "worker", "analyze"):
        yield name, os.path.join(root, name)


def files(folder, exts):
    for dp, _, fns in os.walk(folder):
        for fn in sorted(fns):
            if fn.endswith(exts):
                yield os.path.join(dp, fn)


def main():
    root = os.path.abspath(sys.argv[1])
    libs = list(libraries(root))
    problems = []
    private = {}  # path relative to its library folder -> library name
    for name, folder in libs:
        for h in files(folder, (".h",)):
            base = os.path.basename(h)
            rel = os.path.relpath(h, folder)
            if base.endswith("_int.h"):
                private.setdefault(rel, set()).add(name)
                private.setdefault(base, set()).add(name)
            elif rel != name + ".h" and not (name == "base" and rel == "banned.h"):
                problems.append("%s: a second public header in library %s (make it part of "
                                "%s.h or name it *_int.h)" % (os.path.relpath(h, root), name, name))
    for name, folder in libs:
        for f in files(folder, (".c", ".h")):
            text = open(f, encoding="utf-8", errors="replace").read()
            for inc in INCLUDE.findall(text):
                owners = private.get(inc) or private.get(os.path.basename(inc))
                if owners and name not in owners:
                    problems.append("%s: includes %s, private to %s" % (
                        os.path.relpath(f, root), inc, "/".join(sorted(owners))))
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
