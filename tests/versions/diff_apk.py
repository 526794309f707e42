#!/usr/bin/python3
"""Differential test of the Alpine version order (common/versions/vercmp_apk.c).

No apk program exists here (Debian 12 packages no apk-tools), so the oracle is:
1. apk-tools' own vectors, tests/data/versions/apk/version.data ("A OP B",
   copied from alpinelinux/apk-tools test/version.data), where the two
   versions there that apk_version_validate() rejects must come out invalid;
2. pairs built with a known answer from apk's documented rules (suffix order
   _alpha < _beta < _pre < _rc < none < _cvs < _svn < _git < _hg < _p,
   numeric fields, letters, -rN revisions, a longer version after its prefix);
3. >= 5,000 generated pairs checked for what any order must satisfy:
   reflexivity, antisymmetry, transitivity (all triples of groups of
   versions), and validity exactly as apk's grammar
   digit{.digit}...{letter}{_suf{#}}...{~hash}{-r#}.
Exit 0 when everything holds, 1 otherwise, 77 when the vectors are missing.
"""
import random
import re
import sys

from difflib_rs import data_path, finish, oracle_ready, rs_vercmp

SCHEME = "apk"
SEED = 20240303
GENERATED = 5200
GROUPS = 40
GROUP_SIZE = 12

# The versions of version.data that apk_version_validate() rejects: "_foo" is
# no suffix apk knows, and a letter may not follow a letter.
VECTOR_INVALID = {"23_foo", "1.0bc"}

GRAMMAR = re.compile(r"^[0-9]+(\.[0-9]+)*[a-z]?(_(alpha|beta|pre|rc|cvs|svn|git|hg|p)[0-9]*)*"
                     r"(~[0-9a-f]+)?(-r[0-9]+)?$")
SUFFIXES = ["alpha", "beta", "pre", "rc", "", "cvs", "svn", "git", "hg", "p"]  # "" = none


def load_vectors():
    out = []
    with open(data_path(SCHEME, "version.data"), encoding="utf-8") as f:
        for line in f:
            if line.startswith("#") or not line.strip():
                continue
            a, op, b = line.split()[:3]
            if a in VECTOR_INVALID or b in VECTOR_INVALID:
                want = "invalid"
            else:
                want = {"<": "-1", "=": "0", ">": "1"}[op]
            out.append(((a, b), want, "version.data: " + line.rstrip("\n")))
    return out


# --- pairs with a known answer ------------------------------------------------

def num(rng, zero_ok=True):
    k = rng.random()
    if k < 0.6:
        return str(rng.randint(1, 30))
    if k < 0.9:
        return str(rng.randint(31, 10**6))
    return str(rng.randint(10**9, 10**17))


def base(rng):
    v = num(rng) + "".join("." + num(rng) for _ in range(rng.randint(0, 3)))
    if rng.random() < 0.2:
        v += rng.choice("abcxyz")
    return v


def tail(rng):
    t = ""
    if rng.random() < 0.3:
        t += "_" + rng.choice([s for s in SUFFIXES if s]) + rng.choice(["", num(rng)])
    if rng.random() < 0.3:
        t += "-r" + str(rng.randint(0, 20))
    return t


def known(rng):
    """(a, b, expected, rule) from the documented rules."""
    b = base(rng)
    k = rng.randint(0, 7)
    if k == 0:  # suffix order, none included
        i, j = rng.randrange(len(SUFFIXES)), rng.randrange(len(SUFFIXES))
        sa = "_" + SUFFIXES[i] if SUFFIXES[i] else ""
        sb = "_" + SUFFIXES[j] if SUFFIXES[j] else ""
        t = "-r" + str(rng.randint(0, 9)) if rng.random() < 0.3 else ""
        return b + sa + t, b + sb + t, (i > j) - (i < j), "suffix order"
    if k == 1:  # suffix numbers are numbers
        s = rng.choice([x for x in SUFFIXES if x])
        x, y = rng.randint(0, 10**6), rng.randint(0, 10**6)
        return "%s_%s%d" % (b, s, x), "%s_%s%d" % (b, s, y), (x > y) - (x < y), "suffix number"
    if k == 2:  # revisions are numbers
        x, y = rng.randint(0, 10**6), rng.randint(0, 10**6)
        return "%s-r%d" % (b, x), "%s-r%d" % (b, y), (x > y) - (x < y), "revision"
    if k == 3:  # a field without leading zero compares as a number
        x, y = rng.randint(1, 10**12), rng.randint(1, 10**12)
        head = b.rstrip("abcxyz")
        t = tail(rng)
        return "%s.%d%s" % (head, x, t), "%s.%d%s" % (head, y, t), (x > y) - (x < y), "numeric field"
    if k == 4:  # the first field is a number even with leading zeros
        x, y = rng.randint(0, 10**6), rng.randint(0, 10**6)
        za, zb = "0" * rng.randint(0, 2), "0" * rng.randint(0, 2)
        return za + str(x), zb + str(y), (x > y) - (x < y), "initial number"
    if k == 5:  # one more field is newer
        head = b.rstrip("abcxyz")
        return head, head + "." + num(rng), -1, "longer version"
    if k == 6:  # letters in alphabetical order
        head = b.rstrip("abcxyz")
        x, y = rng.choice("abcdefghijklmnopqrstuvwxyz"), rng.choice("abcdefghijklmnopqrstuvwxyz")
        return head + x, head + y, (x > y) - (x < y), "letter"
    # a pre-release suffix sorts before, a post-release one after the release
    s = rng.choice([x for x in SUFFIXES if x])
    pre = SUFFIXES.index(s) < SUFFIXES.index("")
    return b + "_" + s + rng.choice(["", num(rng)]), b, -1 if pre else 1, "suffix vs release"


# --- random pairs for the properties --------------------------------------------

def random_version(rng):
    if rng.random() < 0.15:  # anything: the grammar decides
        alphabet = "0123456789.._-~rabcfgpz"
        return rng.choice("0123456789") + "".join(rng.choice(alphabet)
                                                  for _ in range(rng.randint(0, 10)))
    v = base(rng)
    if rng.random() < 0.15:
        v = v.replace(".", "." + "0" * rng.randint(1, 2), 1)  # leading zeros: string order
    for _ in range(rng.choice([0, 0, 1, 2])):
        v += "_" + rng.choice([s for s in SUFFIXES if s] + ["foo", "P", "pa"])
        v += rng.choice(["", num(rng), "0" + num(rng)])
    if rng.random() < 0.1:
        v += "~" + "".join(rng.choice("0123456789abcdef") for _ in range(rng.randint(1, 8)))
    if rng.random() < 0.35:
        v += "-r" + rng.choice([str(rng.randint(0, 30)), "", "0" + str(rng.randint(0, 9))])
    if rng.random() < 0.03:
        v = rng.choice(["", "a1", "1.", "1..2", "1-r", "1-r1-r2", "1ab", "1.a", "1_", "1~",
                        "1-1", "1.2A", " 1"])
    return v


def main():
    if not oracle_ready(SCHEME):
        print("skipped: apk-tools' vectors missing")
        return 77
    print("no apk program here: the oracle is apk-tools' version.data, rule-built pairs, "
          "and the order and grammar properties")
    rng = random.Random(SEED)
    checks = []  # ((a, b), expected, where)
    checks += load_vectors()
    n_vectors = len(checks)
    for _ in range(2000):
        a, b, want, rule = known(rng)
        checks.append(((a, b), str(want), "rule: " + rule))
        checks.append(((b, a), str(-want), "rule: " + rule + " (swapped)"))

    randoms = []
    while len(randoms) < GENERATED:
        a = random_version(rng)
        b = a if rng.random() < 0.1 else random_version(rng)
        randoms.append((a, b))
    groups = []
    for _ in range(GROUPS):
        vs = [random_version(rng) for _ in range(GROUP_SIZE)]
        vs = [v for v in vs if GRAMMAR.match(v)]
        groups.append(vs)
    group_pairs = [(x, y) for vs in groups for x in vs for y in vs]

    queries = [c[0] for c in checks] + randoms + [(b, a) for a, b in randoms] + group_pairs
    queries = [q for q in queries if "\t" not in q[0] + q[1] and "\n" not in q[0] + q[1]]
    got = dict(zip(queries, rs_vercmp(SCHEME, queries)))

    failures = []
    for pair, want, where in checks:
        if got[pair] != want:
            failures.append("%r vs %r: expected %s, rs-vercmp %s (%s)" %
                            (pair[0], pair[1], want, got[pair], where))
    for a, b in randoms:
        ab, ba = got[(a, b)], got[(b, a)]
        valid = bool(GRAMMAR.match(a)) and bool(GRAMMAR.match(b))
        if (ab == "invalid") == valid:
            failures.append("%r vs %r: grammar says %s, rs-vercmp %s (a %s, b %s)" %
                            (a, b, "valid" if valid else "invalid", ab,
                             "valid" if GRAMMAR.match(a) else "invalid",
                             "valid" if GRAMMAR.match(b) else "invalid"))
        elif valid and int(ab) != -int(ba):
            failures.append("%r vs %r: not antisymmetric: %s and %s" % (a, b, ab, ba))
        elif valid and a == b and ab != "0":
            failures.append("%r vs itself: %s" % (a, ab))
    n_triples = 0
    for vs in groups:
        for x in vs:
            for y in vs:
                for z in vs:
                    n_triples += 1
                    xy, yz, xz = int(got[(x, y)]), int(got[(y, z)]), int(got[(x, z)])
                    if xy <= 0 and yz <= 0 and xz > 0 or xy >= 0 and yz >= 0 and xz < 0:
                        failures.append("not transitive: %r %r %r (%d, %d, %d)" %
                                        (x, y, z, xy, yz, xz))
    total = len(checks) + len(randoms) + n_triples
    print("%d vector pairs, %d rule-built pairs, %d generated pairs (both ways), "
          "%d triples in %d groups" % (n_vectors, len(checks) - n_vectors, len(randoms),
                                       n_triples, len(groups)))
    for f in failures[:20]:
        print("DISAGREE " + f)
    return finish(total - len(failures), len(failures))


if __name__ == "__main__":
    sys.exit(main())
