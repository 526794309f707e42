#!/usr/bin/python3
"""function_length.py - lists the C functions longer than a limit (STYLE.md:
a function a reader cannot hold on one screen is several functions).

    function_length.py [--limit N] [--allow FILE] PATH...

PATH is a .c file or a folder (searched for .c files). A function's length
is counted from the line of its name to the line of its closing brace. Top-level
definitions are found by brace matching after comments, string and character
literals and preprocessor lines are blanked out. Exits 1 and lists the
functions over the limit (default 120) that the allow-list does not name;
exit 0 otherwise. The allow-list names one function a line ('#' starts a
comment); an allowed function that is no longer too long is reported as stale.
Debian's python3 only: no third-party modules."""

import argparse
import os
import re
import sys

IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
NOT_FUNCTIONS = {"if", "for", "while", "switch", "return", "sizeof", "struct", "union", "enum"}


def blank(text):
    """Returns text with comments, literals and preprocessor lines replaced by
    spaces, newlines kept, so offsets and line numbers stay the same."""
    out = []
    i, n = 0, len(text)
    line_start = True
    while i < n:
        c = text[i]
        if line_start and c == "#" or (line_start and c in " \t" and text[i:].lstrip(" \t")[:1] == "#"):
            j = i
            while j < n and text[j] != "\n":  # a directive, with its continuation lines
                if text[j] == "\\" and j + 1 < n and text[j + 1] == "\n":
                    j += 1
                j += 1
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
            continue
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
            line_start = False
            continue
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
            continue
        if c in "\"'":
            j = i + 1
            while j < n and text[j] != c and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            j = min(j + 1, n)
            out.append(c + re.sub(r"[^\n]", " ", text[i + 1:j - 1]) + c)
            i = j
            line_start = False
            continue
        out.append(c)
        if c == "\n":
            line_start = True
        elif c not in " \t":
            line_start = False
        i += 1
    return "".join(out)


def function_name(head):
    """The name a top-level '{' opens, from the text before it, or None when
    the block is not a function body (an initializer, a struct, an enum)."""
    head = head.rstrip()
    if not head.endswith(")") or re.search(r"=\s*$", head):
        return None
    depth = 0
    for k in range(len(head) - 1, -1, -1):  # the '(' of the parameter list
        if head[k] == ")":
            depth += 1
        elif head[k] == "(":
            depth -= 1
            if depth == 0:
                break
    else:
        return None
    before = head[:k].rstrip()
    m = re.search(r"([A-Za-z_][A-Za-z0-9_]*)$", before)
    if not m or m.group(1) in NOT_FUNCTIONS:
        return None
    if before.endswith(")"):  # __attribute__((...)) after the parameters
        return function_name(before)
    return m.group(1), m.start(1)


def functions(path):
    """Yields (name, first line, length in lines) for each function in path."""
    with open(path, encoding="utf-8", errors="replace") as f:
        text = blank(f.read())
    depth, last_end, start = 0, 0, None
    for i, c in enumerate(text):
        if c == "{":
            if depth == 0:
                found = function_name(text[last_end:i])
                start = (found[0], last_end + found[1]) if found else None
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                if start:
                    first = text.count("\n", 0, start[1]) + 1
                    last = text.count("\n", 0, i) + 1
                    yield start[0], first, last - first + 1
                start = None
                last_end = i + 1
        elif c == ";" and depth == 0:
            last_end = i + 1


def c_files(paths):
    for p in paths:
        if os.path.isdir(p):
            for root, dirs, files in os.walk(p):
                dirs.sort()
                for f in sorted(files):
                    if f.endswith(".c"):
                        yield os.path.join(root, f)
        else:
            yield p


def read_allow(path):
    allowed = set()
    if path:
        with open(path, encoding="utf-8") as f:
            for line in f:
                line = line.split("#", 1)[0].strip()
                if line:
                    allowed.add(line)
    return allowed


def main():
    ap = argparse.ArgumentParser(description="lists C functions longer than a limit")
    ap.add_argument("--limit", type=int, default=120, help="longest allowed, in lines")
    ap.add_argument("--allow", help="file naming functions allowed to be longer")
    ap.add_argument("paths", nargs="+")
    args = ap.parse_args()
    allowed = read_allow(args.allow)
    too_long, seen_allowed = [], set()
    for path in c_files(args.paths):
        for name, line, length in functions(path):
            if length > args.limit:
                if name in allowed:
                    seen_allowed.add(name)
                    print(f"allowed {path}:{line}: {name} is {length} lines")
                else:
                    too_long.append(f"{path}:{line}: {name} is {length} lines")
    for name in sorted(allowed - seen_allowed):
        print(f"stale   allow-list entry '{name}': no longer over {args.limit} lines")
    for t in too_long:
        print(f"FAILED  {t} (limit {args.limit})")
    if too_long:
        print(f"function_length: {len(too_long)} function(s) over {args.limit} lines")
        return 1
    print(f"function_length: no function over {args.limit} lines")
    return 0


if __name__ == "__main__":
    sys.exit(main())
