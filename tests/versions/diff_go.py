#!/usr/bin/python3
"""diff_go.py - differential test of the Go module version ordering.

Oracle: golang.org/x/mod/semver (semver.IsValid, semver.Compare) through the
small program tests/versions/go-oracle, built by tests/versions/oracles.sh; one
process for every pair, "invalid" when IsValid rejects either side. Ours:
rs-vercmp go. Pairs: every pair of x/mod/semver's own test table
(tests/data/versions/go/semver_test_order.txt), our edge cases, and at least
5,000 generated ones (fixed seed): shorthands v1 and v1.2, +incompatible,
pseudo-versions of the three forms, long numbers, leading zeros. Exit 0 when
both agree on every pair, 1 otherwise (first 20 disagreements shown), 77 when
the oracle cannot be built. The last line is "N passed, N failed"."""
import os
import random
import sys

from difflib_rs import ORACLES, all_pairs, answer_counts, data_path, oracle_ready, read_lines, \
    report_pairs, run_pairs, tool_path

CACHE = os.path.join(ORACLES, "go")

EDGE = [
    ("v0.0.0-20191109021931-daa7c04131f5", "v0.0.0"),
    ("v0.0.0-20191109021931-daa7c04131f5", "v0.0.0-20191109021932-0123456789ab"),
    ("v1.2.4-0.20191109021931-daa7c04131f5", "v1.2.3"),
    ("v1.2.4-0.20191109021931-daa7c04131f5", "v1.2.4-0"),
    ("v1.2.4-0.20191109021931-daa7c04131f5", "v1.2.4-alpha"),
    ("v1.2.4-pre.0.20191109021931-daa7c04131f5", "v1.2.4-pre"),
    ("v1.2.4-pre.0.20191109021931-daa7c04131f5", "v1.2.4-pre.1"),
    ("v2.0.0+incompatible", "v2.0.0"),
    ("v2.0.0+incompatible", "v1.9.9"),
    ("v2.0.1+incompatible", "v2.0.0+incompatible"),
    ("v1", "v1.0.0"), ("v1.2", "v1.2.0"), ("v1", "v1.0.0-rc.1"), ("v1.2", "v1.2.0+meta"),
    ("v1-pre", "v1"), ("v1.2-pre", "v1.2"), ("v1+meta", "v1"),
    ("v01.0.0", "v1.0.0"), ("v1.00.0", "v1.0.0"), ("v1.0.0-01", "v1.0.0-1"),
    ("v1.0.0+01", "v1.0.0"), ("1.0.0", "v1.0.0"), ("V1.0.0", "v1.0.0"), ("v", "v0"),
    ("v1.0.0-", "v1.0.0"), ("v1.0.0+", "v1.0.0"), ("v1.0.0-a..b", "v1.0.0"),
    ("v1.0.0.0", "v1.0.0"), (" v1.0.0", "v1.0.0"), ("v1.0.0 ", "v1.0.0"),
    ("v123456789012345678901234567890.0.0", "v123456789012345678901234567891.0.0"),
    ("v1.0.0-123456789012345678901234567890", "v1.0.0-99999999999999999999999999999"),
    ("v1.0.0-alpha", "v1.0.0-Alpha"), ("v1.0.0--", "v1.0.0-0"), ("v1.0.0-0a", "v1.0.0-0"),
]


def gen_num(r, wild):
    k = r.random()
    if k < 0.6:
        return str(r.randint(0, 12))
    if k < 0.8:
        return str(r.randint(0, 100000))
    if k < 0.9:
        return str(r.randint(10**18, 10**30))
    if not wild:
        return str(r.randint(0, 3))
    return r.choice(["00", "01", "", "x", "-1", "1e3"])


def gen_pre_id(r, wild):
    k = r.random() * (1 if wild else 0.9)
    if k < 0.35:
        return r.choice(["alpha", "beta", "rc", "Alpha", "RC", "a", "A", "pre", "dev", "z"])
    if k < 0.6:
        return str(r.randint(0, 20))
    if k < 0.7:
        return r.choice(["-", "--", "x-1", "1a", "a1", "0a", "1-2", "0"])
    if k < 0.8:
        return str(r.randint(10**15, 10**30))
    if k < 0.9:
        return "".join(r.choice("abcXYZ019-") for _ in range(r.randint(1, 8)))
    return r.choice(["", "01", "00", "a_b", "a~", "é", "*", " "])


def pseudo(r):
    """The three pseudo-version forms of `go help modules`."""
    ts = "%04d%02d%02d%02d%02d%02d" % (r.randint(2018, 2025), r.randint(1, 12), r.randint(1, 28),
                                       r.randint(0, 23), r.randint(0, 59), r.randint(0, 59))
    h = "".join(r.choice("0123456789abcdef") for _ in range(12))
    major, minor, patch = r.randint(0, 3), r.randint(0, 5), r.randint(0, 9)
    k = r.random()
    if k < 0.34:
        return f"v{major}.0.0-{ts}-{h}"
    if k < 0.67:
        return f"v{major}.{minor}.{patch}-pre.0.{ts}-{h}"
    return f"v{major}.{minor}.{patch + 1}-0.{ts}-{h}"


def gen(r, wild=None):
    if wild is None:
        wild = r.random() < 0.25
    if r.random() < 0.15:
        return {"raw": pseudo(r)}
    n = 3 if r.random() < 0.85 else r.choice([1, 2])
    nums = [gen_num(r, wild) for _ in range(n)]
    pre = build = None
    if r.random() < (0.5 if n == 3 or wild else 0):
        pre = [gen_pre_id(r, wild) for _ in range(r.choice([1, 1, 2, 3]))]
    if r.random() < (0.25 if n == 3 or wild else 0):
        build = r.choice([["incompatible"], ["meta"], ["build", "1"], ["001"], ["sha", "5114f85"]])
        if wild and r.random() < 0.2:
            build = [r.choice(["", "a_b", "+"])]
    prefix = "v"
    if wild and r.random() < 0.1:
        prefix = r.choice(["", "V", "vv", " v", "=v"])
    return {"prefix": prefix, "nums": nums, "pre": pre, "build": build}


def render(p):
    if "raw" in p:
        return p["raw"]
    s = p["prefix"] + ".".join(p["nums"])
    if p["pre"] is not None:
        s += "-" + ".".join(p["pre"])
    if p["build"] is not None:
        s += "+" + ".".join(p["build"])
    return s


def mutate_one(r, p):
    if "raw" in p:
        s = p["raw"]
        i = r.randrange(1, len(s))
        c = s[i]
        if c.isdigit():
            c = str((int(c) + 1) % 10)
        elif c.isalpha():
            c = r.choice("abcdef")
        return {"raw": s[:i] + c + s[i + 1:]}
    q = {k: (list(v) if isinstance(v, list) else v) for k, v in p.items()}
    what = r.choice(["num", "pre", "pre", "pre-add", "pre-drop", "build", "short"])
    if what == "num":
        i = r.randrange(len(q["nums"]))
        q["nums"][i] = str(int(q["nums"][i]) + 1) if q["nums"][i].isdigit() else "1"
    elif what == "pre" and q["pre"]:
        q["pre"][r.randrange(len(q["pre"]))] = gen_pre_id(r, False)
    elif what in ("pre", "pre-add"):
        q["pre"] = (q["pre"] or []) + [gen_pre_id(r, False)]
    elif what == "pre-drop":
        q["pre"] = (q["pre"][:-1] or None) if q["pre"] else None
    elif what == "build":
        q["build"] = None if q["build"] else ["incompatible"]
    else:
        q["nums"] = q["nums"][: r.choice([1, 2, 3])]
    return q


def generate(r, n):
    pairs = []
    while len(pairs) < n:
        k = r.random()
        a = gen(r)
        if k < 0.35:
            b = gen(r)
            if "raw" not in a and "raw" not in b and r.random() < 0.5:
                b["nums"] = list(a["nums"])
            pairs.append((render(a), render(b)))
        elif k < 0.85:
            pairs.append((render(a), render(mutate_one(r, a))))
        else:
            pairs.append((render(a), render(a)))
    return pairs


def main():
    oracle = os.path.join(CACHE, "go-oracle")
    if not oracle_ready("go") or not os.access(oracle, os.X_OK):
        print("skipped: the golang.org/x/mod/semver oracle cannot be built")
        return 77
    tool = tool_path("rs-vercmp")
    table = all_pairs(read_lines(data_path("go", "semver_test_order.txt")))
    edge = EDGE + [(b, a) for a, b in EDGE]
    pairs = table + edge + generate(random.Random(20240504), 6000)
    want = run_pairs([oracle], pairs)
    got = run_pairs([tool, "go"], pairs)
    print(f"{len(pairs)} pairs ({len(table)} from x/mod/semver's test table, {len(edge)} edge "
          "cases); oracle answers: " + answer_counts(want))
    return report_pairs(pairs, want, got,
                        "DISAGREE {a!r} vs {b!r}: x/mod/semver (oracle) {want}, rs-vercmp {got}")


if __name__ == "__main__":
    sys.exit(main())
