#!/usr/bin/python3
"""diff_pep440.py - differential test of the PEP 440 version order
(common/versions/vercmp_pep440.c) against Python's `packaging`
(packaging.version.Version, Debian's python3-packaging; InvalidVersion = our
invalid).

Generates pairs deterministically (epochs, releases with trailing zeros and
leading zeros, long numbers, every pre-release spelling, post releases
including the implicit "-N", dev releases, local versions, '-' '_' '.'
separators, mixed case, a leading v, surrounding ASCII and Unicode
whitespace, invalid strings, equal spellings, pairs differing in one
component), adds the VERSIONS list and the normalisation pairs of packaging's
own tests (tests/data/versions/pep440), and runs them through `rs-vercmp
pep440` and packaging in this process. Exit 0 when every pair agrees, 1
otherwise (the first 20 disagreements printed), 77 when packaging is missing.
Last line: "N passed, N failed".
"""
import random
import sys

from difflib_rs import all_pairs, data_path, oracle_ready, read_lines, read_rows, report_pairs, \
    rs_vercmp

SCHEME = "pep440"
MAX_LEN = 1024

PRE = ["a", "b", "c", "rc", "alpha", "beta", "pre", "preview"]
POST = ["post", "rev", "r"]
SEPS = ["", "", ".", "-", "_"]
SPACES = [" ", "\f", "\v", "\x1c", "\x1f", "\u00a0", "\u0085", "\u2003", "\u2028", "\u3000"]


def rand_case(rng, s):
    return "".join(c.upper() if rng.random() < 0.3 else c for c in s)


def number(rng):
    r = rng.random()
    if r < 0.6:
        return str(rng.randint(0, 12))
    if r < 0.75:
        return "0" * rng.randint(1, 3) + str(rng.randint(0, 20))
    if r < 0.85:
        return "0"
    return str(rng.randint(1, 9)) + "".join(rng.choice("0123456789")
                                            for _ in range(rng.randint(5, 40)))


def opt_number(rng):
    return number(rng) if rng.random() < 0.75 else ""


def local(rng):
    segs = []
    for _ in range(rng.randint(1, 4)):
        if rng.random() < 0.5:
            segs.append(number(rng))
        else:
            segs.append(rand_case(rng, "".join(rng.choice("abcdefxyz0123") for _ in range(rng.randint(1, 6)))))
    out = segs[0]
    for s in segs[1:]:
        out += rng.choice(".-_") + s
    return out


def version(rng):
    """A version as components, so that one can be changed alone."""
    c = {}
    c["ws0"] = rng.choice(SPACES) if rng.random() < 0.05 else ""
    c["v"] = rng.choice(["v", "V"]) if rng.random() < 0.1 else ""
    c["epoch"] = number(rng) + "!" if rng.random() < 0.15 else ""
    c["release"] = ".".join(number(rng) for _ in range(rng.randint(1, 5)))
    c["pre"] = ""
    if rng.random() < 0.35:
        c["pre"] = rng.choice(SEPS) + rand_case(rng, rng.choice(PRE)) + rng.choice(SEPS) + opt_number(rng)
    c["post"] = ""
    if rng.random() < 0.3:
        if rng.random() < 0.3:
            c["post"] = "-" + number(rng)
        else:
            c["post"] = rng.choice(SEPS) + rand_case(rng, rng.choice(POST)) + rng.choice(SEPS) + opt_number(rng)
    c["dev"] = ""
    if rng.random() < 0.3:
        c["dev"] = rng.choice(SEPS) + rand_case(rng, "dev") + rng.choice(SEPS) + opt_number(rng)
    c["local"] = "+" + local(rng) if rng.random() < 0.2 else ""
    c["ws1"] = rng.choice(SPACES) if rng.random() < 0.05 else ""
    return c


KEYS = ["ws0", "v", "epoch", "release", "pre", "post", "dev", "local", "ws1"]


def text(c):
    return "".join(c[k] for k in KEYS)


def corrupt(rng, s):
    """Often an invalid string: junk, doubled or dangling separators, inner space."""
    r = rng.random()
    i = rng.randint(0, len(s))
    if r < 0.25:
        return s[:i] + rng.choice(["x", "!", "+", "..", "--", "_", "é", "~", "*", "$"]) + s[i:]
    if r < 0.4:
        return s + rng.choice([".", "-", "_", "+", "+.", "!", "a.", "post.", "dev-"])
    if r < 0.55:
        return s[:i] + " " + s[i:]
    if r < 0.7:
        return rng.choice([".", "-", "+", "a", "!", "1!", "v.", "vv"]) + s
    if r < 0.85:
        return s[:i] + s[i + 1:]
    return rng.choice(["french toast", "1.0-foo", "1.0.0-SNAPSHOT", "1.0+", "1.0++", "1.0+a+",
                       "1.0+_foobar", "1.0+foo&asd", "1.0+1+1", "1. 0", "1.0 a1", "1.0a 1",
                       ".", "..", "1..0", "1.0.", ".1.0", "", "  ", "v", "!1.0", "1!",
                       "1.0pre-view", "1.0alph", "1.0.devv", "1.0-", "1.0a-", "1.0rc.",
                       "1.0c.1.post-", "1.0-r", "1.0-rev", "1.0-1-1", "\u0661.0"])


def generate():
    rng = random.Random(440)
    pool = [version(rng) for _ in range(1500)]
    pairs = []
    for _ in range(2500):
        pairs.append((text(rng.choice(pool)), text(rng.choice(pool))))
    for c in pool:  # one component changed (or dropped)
        d = dict(c)
        k = rng.choice(KEYS[2:8])
        d[k] = version(rng)[k] if rng.random() < 0.7 else ""
        if not d["release"]:
            d["release"] = number(rng)
        pairs.append((text(c), text(d)))
    for c in pool[:600]:  # other spellings of the same version
        d = dict(c)
        d["release"] = d["release"] + ".0" * rng.randint(0, 2)
        for k in ("pre", "post", "dev", "local"):
            d[k] = rand_case(rng, d[k])
        pairs.append((text(c), text(d)))
    for c in pool[:800]:
        pairs.append((text(c), corrupt(rng, text(c))))
    for c in pool[:300]:
        pairs.append((text(c), text(c)))
    return [(a, b) for a, b in pairs
            if "\t" not in a + b and len(a.encode()) <= MAX_LEN and len(b.encode()) <= MAX_LEN]


def load_data():
    """Pairs of tricky.tsv and all ordered pairs of order.txt."""
    pairs = []
    for a, b in read_rows(data_path(SCHEME, "tricky.tsv")):
        a = a.encode().decode("unicode_escape")
        b = b.encode().decode("unicode_escape")
        pairs += [(a, b), (b, a)]
    return pairs + all_pairs(read_lines(data_path(SCHEME, "order.txt")))


def oracle(pairs):
    from packaging.version import InvalidVersion, Version

    out = []
    for a, b in pairs:
        try:
            va, vb = Version(a), Version(b)
        except InvalidVersion:
            out.append("invalid")
            continue
        out.append("-1" if va < vb else "1" if va > vb else "0")
    return out


def main():
    if not oracle_ready(SCHEME):
        print("skipped: python3-packaging not installed")
        return 77
    try:
        import packaging.version  # noqa: F401
    except ImportError:
        print("skipped: python3-packaging not importable")
        return 77
    pairs = generate() + load_data()
    return report_pairs(pairs, oracle(pairs), rs_vercmp(SCHEME, pairs),
                        "disagree: {a!r} vs {b!r}: packaging {want}, ours {got}")


if __name__ == "__main__":
    sys.exit(main())
