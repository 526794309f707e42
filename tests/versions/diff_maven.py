#!/usr/bin/python3
"""diff_maven.py - differential test of the Maven version order
(common/versions/vercmp_maven.c) against maven-artifact's ComparableVersion.

Generates pairs deterministically (numbers with leading zeros and of int, long
and BigInteger size, every known qualifier and its aliases in mixed case,
unknown qualifiers, '.', '-' and digit/letter transitions, empty components,
equal spellings, pairs differing in one component), adds the pairs and
ordered lists of maven's own ComparableVersionTest (tests/data/versions/maven),
and runs them through `rs-vercmp maven` and one JVM running tests/versions/Cmp.java
on the jar that tests/versions/oracles.sh installs. Exit 0 when every pair
agrees, 1 otherwise (the first 20 disagreements printed), 77 when the oracle
is missing. Last line: "N passed, N failed".
"""
import os
import random
import sys

from difflib_rs import HERE, ORACLES, all_pairs, data_path, oracle_ready, read_rows, \
    report_pairs, rs_vercmp, run_pairs

SCHEME = "maven"
MAX_LEN = 1024
JAR = os.path.join(ORACLES, "maven", "maven-artifact.jar")

QUALIFIERS = ["alpha", "a", "beta", "b", "milestone", "m", "rc", "cr", "snapshot", "ga",
              "final", "release", "sp", "", "c", "x", "abc", "def", "pom", "redhat", "klm",
              "lmn", "xyz", "h", "z", "aa", "alpha1", "spx", "gaa", "RC", "SNAPSHOT", "Final",
              "GA", "Sp", "MILESTONE", "M", "A", "B", "cR", "ReLeAsE", "_", "+", "~", "é"]


def rand_case(rng, s):
    return "".join(c.upper() if c.isascii() and rng.random() < 0.3 else c for c in s)


def number(rng):
    r = rng.random()
    if r < 0.45:
        return str(rng.randint(0, 12))
    if r < 0.6:
        return "0" * rng.randint(1, 4) + str(rng.randint(0, 99))
    if r < 0.7:
        return "0" * rng.randint(1, 22)
    if r < 0.8:  # around the int/long boundary (9 and 10 digits)
        return str(rng.choice([999999999, 1000000000, 2147483647, 2147483648, 123456789,
                               4294967296, rng.randint(10**8, 10**11)]))
    if r < 0.9:  # around the long/BigInteger boundary (18 and 19 digits)
        return str(rng.choice([10**17, 10**18 - 1, 10**18, 9223372036854775807,
                               9223372036854775808, rng.randint(10**16, 10**20)]))
    return str(rng.randint(1, 9)) + "".join(rng.choice("0123456789")
                                            for _ in range(rng.randint(19, 60)))


def token(rng):
    if rng.random() < 0.55:
        return number(rng)
    return rand_case(rng, rng.choice(QUALIFIERS))


def version(rng):
    parts = [number(rng) if rng.random() < 0.85 else token(rng)]
    for _ in range(rng.randint(0, 6)):
        sep = rng.choice([".", ".", "-", "-", "", "", "..", "--", ".-", "-."])
        parts.append(sep)
        parts.append(token(rng))
    if rng.random() < 0.05:
        parts.append(rng.choice([".", "-", "-0", ".0", "-ga", ".final"]))
    if rng.random() < 0.03:
        parts.insert(0, rng.choice([".", "-", "v"]))
    v = "".join(parts)
    return v if v else "0"


def variant(rng, v):
    """An equal-looking or one-component-different spelling of v."""
    r = rng.random()
    if r < 0.2:
        return rand_case(rng, v)
    if r < 0.35:
        return v + rng.choice([".0", "-0", ".0.0", "-ga", ".final", "-release", "0"])
    if r < 0.5:
        return v.replace(".", "-", 1) if rng.random() < 0.5 else v.replace("-", ".", 1)
    # change one component
    i = rng.randrange(len(v))
    j = i
    while j < len(v) and v[j] not in ".-":
        j += 1
    return v[:i] + token(rng) + v[j:]


def load_data():
    """Pairs of tricky.tsv and all ordered pairs of each list in order.txt."""
    pairs = []
    for a, b in read_rows(data_path(SCHEME, "tricky.tsv")):
        pairs += [(a, b), (b, a)]
    with open(data_path(SCHEME, "order.txt"), encoding="utf-8") as f:
        groups, cur = [], []
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("#"):
                continue
            if not line:
                if cur:
                    groups.append(cur)
                cur = []
            else:
                cur.append(line)
        if cur:
            groups.append(cur)
    for g in groups:
        pairs += all_pairs(g)
    return pairs


def generate():
    rng = random.Random(0x4D61766E)
    pool = [version(rng) for _ in range(1500)]
    pairs = []
    for _ in range(2500):
        pairs.append((rng.choice(pool), rng.choice(pool)))
    for v in pool:
        pairs.append((v, variant(rng, v)))
    for v in pool[:300]:
        pairs.append((v, v))
    # numbers alone, to cross the int/long/BigInteger kinds at every position
    for _ in range(700):
        a = ".".join(number(rng) for _ in range(rng.randint(1, 3)))
        b = ".".join(number(rng) for _ in range(rng.randint(1, 3)))
        pairs.append((a, b))
    return [(a, b) for a, b in pairs if 0 < len(a.encode()) <= MAX_LEN and 0 < len(b.encode()) <= MAX_LEN]


def main():
    if not oracle_ready(SCHEME) or not os.path.isfile(JAR):
        print("skipped: maven-artifact (ComparableVersion) not installed")
        return 77
    pairs = generate() + load_data()
    ours = rs_vercmp(SCHEME, pairs)
    oracle = run_pairs(["java", "-cp", JAR, os.path.join(HERE, "Cmp.java")], pairs)
    return report_pairs(pairs, oracle, ours,
                        "disagree: {a!r} vs {b!r}: ComparableVersion {want}, ours {got}")


if __name__ == "__main__":
    sys.exit(main())
