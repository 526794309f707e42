#!/usr/bin/python3
"""Differential test of the RPM version order (common/versions/vercmp_rpm.c)
against RPM itself: Debian's python3-rpm (rpm 4.18), whose rpm.ver objects
parse a full "[epoch:]version[-release]" with rpmverParse() and order it with
rpmverCmp() (rpmvercmp() on each part). rpm.ver rejects only the empty string.

Pairs: rpm's own RPMVERCMP cases and OSV-style EVRs (tests/data/versions/rpm/
tricky.tsv) plus >= 5,000 generated from a seeded grammar (epochs, tilde,
caret, separators, leading zeros, long numbers, letters of both cases,
non-ASCII bytes, releases). Exit 0 when rs-vercmp agrees everywhere, 1
otherwise, 77 when the oracle is missing.
"""
import random
import sys

from difflib_rs import data_path, finish, generate_pairs, oracle_ready, read_rows, rs_vercmp

SCHEME = "rpm"
SEED = 20240302
GENERATED = 6000


# --- the grammar -------------------------------------------------------------

WORDS = ["rc", "beta", "alpha", "git", "pre", "el", "fc", "module", "p", "svn", "RC", "Beta", "a",
         "z", "Z", "snap", "post", "dev"]
SEPS = [".", ".", ".", "_", "+", "%", "~", "^", "-", ".~", "~~", "^^", "~^", "^~", "é", "/", ""]


def number(rng):
    k = rng.random()
    if k < 0.55:
        return str(rng.randint(0, 12))
    if k < 0.7:
        return "0" * rng.randint(1, 3) + str(rng.randint(0, 99))
    if k < 0.85:
        return str(rng.randint(13, 99999))
    if k < 0.95:
        return str(rng.randint(10**8, 10**9)) + str(rng.randint(0, 10**9))
    return "".join(rng.choice("0123456789") for _ in range(rng.randint(20, 40)))


def segs(rng, n):
    out = [number(rng) if rng.random() < 0.85 else rng.choice(WORDS)]
    for _ in range(n):
        out.append(rng.choice(SEPS))
        out.append(number(rng) if rng.random() < 0.6 else rng.choice(WORDS))
    if rng.random() < 0.1:
        out.append(rng.choice(["~", "^", ".", "+", "~rc1", "^git1", "^20240101"]))
    return "".join(out).replace("-", ".") if rng.random() < 0.8 else "".join(out)


def release(rng):
    k = rng.random()
    if k < 0.35:
        return ""
    if k < 0.55:
        return "-" + number(rng) + ".el" + str(rng.randint(6, 9))
    if k < 0.7:
        return "-" + number(rng) + ".el" + str(rng.randint(7, 9)) + "_" + number(rng)
    if k < 0.8:
        return "-%s.module+el8.%d.0+%d+%08x" % (number(rng), rng.randint(0, 10),
                                                 rng.randint(1, 9999), rng.getrandbits(32))
    if k < 0.9:
        return "-" + number(rng) + ".fc" + str(rng.randint(30, 41))
    return "-" + segs(rng, rng.randint(0, 3))


def epoch(rng):
    k = rng.random()
    if k < 0.6:
        return ""
    if k < 0.85:
        return str(rng.randint(0, 3)) + ":"
    if k < 0.92:
        return "0" * rng.randint(1, 3) + str(rng.randint(0, 9)) + ":"
    return rng.choice([":", "a:", "1a:", "99999999999999999999:", "-1:", "1:2:"])


def version(rng):
    v = epoch(rng) + segs(rng, rng.randint(0, 4)) + release(rng)
    if rng.random() < 0.02:
        v = rng.choice(["", "-", ":", "~", "^", "1:", "-1", ":-"])
    return v


def mutate(rng, v):
    k = rng.random()
    if k < 0.3:
        idx = [i for i, c in enumerate(v) if c.isdigit()]
        if idx:
            i = rng.choice(idx)
            return v[:i] + str((int(v[i]) + rng.choice([1, 9])) % 10) + v[i + 1:]
    if k < 0.4:
        return v + rng.choice(["~", "~rc1", "^", "^git1", "a", ".0", "0", "~~", "^~"])
    if k < 0.5:
        return "0:" + v if ":" not in v else v.split(":", 1)[1]
    if k < 0.6:
        return v.swapcase()
    if k < 0.7:
        return v.replace(".", rng.choice(["~", "^", "_", "..", ""]), 1)
    if k < 0.8:
        return v + "-" + number(rng) if "-" not in v else v.rsplit("-", 1)[0]
    if k < 0.9:
        return v.replace("0", "00", 1) if "0" in v else v + ".0"
    return version(rng)


def generate():
    return generate_pairs(random.Random(SEED), GENERATED, version, mutate)


def load_tricky():
    return [(row[0], row[1]) for row in read_rows(data_path(SCHEME, "tricky.tsv"))]


def main():
    if not oracle_ready(SCHEME):
        print("skipped: python3-rpm not available")
        return 77
    import rpm

    def parse(v):
        try:
            return rpm.ver(v)
        except (ValueError, TypeError):
            return None

    tricky = load_tricky()
    pairs = tricky + generate()
    expected = []
    n_invalid = 0
    for a, b in pairs:
        va, vb = parse(a), parse(b)
        if va is None or vb is None:
            expected.append("invalid")
            n_invalid += 1
        else:
            expected.append(str((va > vb) - (va < vb)))

    got = rs_vercmp(SCHEME, pairs)
    failures = [(p, e, g) for p, e, g in zip(pairs, expected, got) if e != g]
    print("%d pairs (%d tricky, %d rejected by rpm.ver as invalid)" %
          (len(pairs), len(tricky), n_invalid))
    for p, e, g in failures[:20]:
        extra = ""
        if "invalid" in (e, g):
            extra = " (rpm.ver: %r %s, %r %s)" % (p[0], "invalid" if parse(p[0]) is None else "valid",
                                                 p[1], "invalid" if parse(p[1]) is None else "valid")
        print("DISAGREE %r vs %r: oracle %s, rs-vercmp %s%s" % (p[0], p[1], e, g, extra))
    return finish(len(pairs) - len(failures), len(failures))


if __name__ == "__main__":
    sys.exit(main())
