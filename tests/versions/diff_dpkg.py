#!/usr/bin/python3
"""Differential test of the dpkg version order (common/versions/vercmp_dpkg.c)
against dpkg itself.

Oracles: `dpkg --compare-versions` decides the validity of every distinct
version (anything it answers with "bad syntax", error or warning, is invalid)
and the order of a fixed random sample of pairs plus every pair whose
versions carry blanks to trim or a signed epoch (apt does not parse those as
dpkg does); python3-apt's apt_pkg.version_compare, the same algorithm and
much faster, orders the rest, after the script checked that it agrees with
dpkg on the sample.
Pairs: dpkg's and Debian policy's tricky pairs (tests/data/versions/dpkg/
tricky.tsv) and >= 5,000 generated from a seeded grammar. Exit 0 when
rs-vercmp agrees everywhere, 1 otherwise, 77 when the oracle is missing.
"""
import random
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

from difflib_rs import data_path, finish, generate_pairs, oracle_ready, read_rows, rs_vercmp

SCHEME = "dpkg"
SEED = 20240301
GENERATED = 5600
DPKG_SAMPLE = 600  # pairs ordered by dpkg itself


# --- the grammar -------------------------------------------------------------

LETTERS = "abcxyzABCXYZ"
WORDS = ["dfsg", "ds", "git", "svn", "rc", "beta", "alpha", "pre", "really", "deb", "ubuntu",
         "build", "bpo", "nmu", "b", "u", "Final", "RC"]


def number(rng):
    k = rng.random()
    if k < 0.55:
        return str(rng.randint(0, 12))
    if k < 0.7:
        return "0" * rng.randint(1, 3) + str(rng.randint(0, 99))  # leading zeros
    if k < 0.85:
        return str(rng.randint(13, 99999))
    if k < 0.95:
        return str(rng.randint(10**8, 10**9)) + str(rng.randint(0, 10**9))  # beyond 32 bits
    return "".join(rng.choice("0123456789") for _ in range(rng.randint(20, 40)))


def upstream(rng):
    parts = [number(rng)]
    for _ in range(rng.randint(0, 4)):
        k = rng.random()
        if k < 0.45:
            parts.append("." + number(rng))
        elif k < 0.55:
            parts.append(rng.choice(LETTERS))
        elif k < 0.65:
            parts.append("~" + rng.choice(WORDS) + rng.choice(["", number(rng)]))
        elif k < 0.75:
            parts.append("+" + rng.choice(WORDS) + rng.choice(["", number(rng)]))
        elif k < 0.8:
            parts.append("~")
        elif k < 0.85:
            parts.append(rng.choice(WORDS))
        elif k < 0.9:
            parts.append(":" + number(rng))  # a colon inside upstream (epoch present)
        elif k < 0.95:
            parts.append("-" + number(rng))  # a hyphen inside upstream (revision present)
        else:
            parts.append(rng.choice([".", "+", "~~", ".~", "+~"]))
    return "".join(parts)


def revision(rng):
    k = rng.random()
    if k < 0.4:
        return ""
    if k < 0.6:
        return "-" + number(rng)
    if k < 0.7:
        return "-0ubuntu" + number(rng)
    if k < 0.8:
        return "-" + number(rng) + "+deb" + number(rng) + "u" + number(rng)
    if k < 0.9:
        return "-" + number(rng) + "~bpo" + number(rng) + "+" + number(rng)
    return "-" + number(rng) + rng.choice(["", ".", "+", "~"]) + rng.choice(LETTERS + "~+.")


def epoch(rng):
    k = rng.random()
    if k < 0.65:
        return ""
    if k < 0.85:
        return str(rng.randint(0, 3)) + ":"
    if k < 0.9:
        return "0" * rng.randint(1, 3) + str(rng.randint(0, 9)) + ":"
    return rng.choice(["2147483647:", "2147483648:", "99999999999:", "+1:", "a:", "1a:", ":"]) + ""


INVALID_TWEAKS = [
    lambda v: v + "-",            # empty revision
    lambda v: v.replace(".", "_", 1),  # invalid character in the upstream version
    lambda v: "a" + v,             # does not start with a digit (when no epoch)
    lambda v: v + "-1_2",          # invalid character in the revision
    lambda v: v + ":",             # colon in a revision-less version: epoch of the rest
    lambda v: v.replace(".", " ", 1),  # embedded space
    lambda v: " " + v + " ",       # leading and trailing blanks: valid
    lambda v: v + "-1:2",          # colon in the revision
    lambda v: "1:" + "-" + v,      # empty upstream after the epoch
    lambda v: v + "!",             # invalid character
]


def version(rng):
    v = epoch(rng) + upstream(rng) + revision(rng)
    if rng.random() < 0.06:
        v = rng.choice(INVALID_TWEAKS)(v)
    return v


def mutate(rng, v):
    """v changed in one place: a digit run, a separator, a suffix, the epoch."""
    k = rng.random()
    if k < 0.3:
        idx = [i for i, c in enumerate(v) if c.isdigit()]
        if idx:
            i = rng.choice(idx)
            return v[:i] + str((int(v[i]) + rng.choice([1, 9])) % 10) + v[i + 1:]
    if k < 0.4:
        return v + rng.choice(["~", "~rc1", "+b1", "a", ".0", "0", "~~"])
    if k < 0.5:
        return "0:" + v if ":" not in v else v.split(":", 1)[1]
    if k < 0.6:
        return v.swapcase()
    if k < 0.7:
        return v.replace(".", rng.choice(["~", "+", ".0", "."]), 1)
    if k < 0.8:
        return v + "-" + number(rng)
    if k < 0.9:
        return v.replace("0", "00", 1) if "0" in v else v + ".0"
    return version(rng)


def generate():
    return generate_pairs(random.Random(SEED), GENERATED, version, mutate)


def usable(v):
    # Not askable on dpkg's command line (an option, or empty: the blank
    # version there), nor on one rs-vercmp line.
    return v != "" and not v.lstrip(" ").startswith("-") and "\t" not in v and "\n" not in v


def load_tricky():
    return [(row[0], row[1]) for row in read_rows(data_path(SCHEME, "tricky.tsv"))]


# --- the oracle --------------------------------------------------------------

def dpkg_rel(a, rel, b):
    r = subprocess.run(["dpkg", "--compare-versions", a, rel, b], capture_output=True, text=True)
    return r.returncode, r.stderr


def apt_safe(v):
    """apt_pkg orders what parseversion() left of v: it does not trim blanks,
    nor read an epoch with strtol() (a sign, white space) as dpkg does. Pairs
    with such versions are ordered by dpkg itself."""
    if v != v.strip(" "):
        return False
    colon = v.find(":")
    return colon < 0 or v[:colon].isdigit()


def dpkg_valid(v):
    rc, err = dpkg_rel(v, "eq", v)
    return rc == 0 and err == ""


def dpkg_order(pair):
    a, b = pair
    rc, _ = dpkg_rel(a, "lt", b)
    if rc == 0:
        return -1
    rc, _ = dpkg_rel(a, "eq", b)
    return 0 if rc == 0 else 1


def main():
    if not oracle_ready(SCHEME):
        print("skipped: dpkg / python3-apt not available")
        return 77
    import apt_pkg
    apt_pkg.init_system()

    tricky = load_tricky()
    pairs = [p for p in tricky + generate() if usable(p[0]) and usable(p[1])]
    versions = sorted({v for p in pairs for v in p})
    with ThreadPoolExecutor(max_workers=8) as ex:
        validity = dict(zip(versions, ex.map(dpkg_valid, versions)))

    valid_pairs = [p for p in pairs if validity[p[0]] and validity[p[1]]]
    rng = random.Random(SEED + 1)
    sample = rng.sample(valid_pairs, min(DPKG_SAMPLE, len(valid_pairs)))
    sample += [p for p in valid_pairs if p in tricky or not (apt_safe(p[0]) and apt_safe(p[1]))]
    sample = list(dict.fromkeys(sample))
    with ThreadPoolExecutor(max_workers=8) as ex:
        by_dpkg = dict(zip(sample, ex.map(dpkg_order, sample)))

    def sign(x):
        return (x > 0) - (x < 0)

    oracle_failures = []
    for p, want in by_dpkg.items():
        if not (apt_safe(p[0]) and apt_safe(p[1])):
            continue
        got = sign(apt_pkg.version_compare(p[0], p[1]))
        if got != want:
            oracle_failures.append((p, want, got))
    if oracle_failures:
        print("apt_pkg disagrees with dpkg --compare-versions on %d pairs:" % len(oracle_failures))
        for p, want, got in oracle_failures[:20]:
            print("  %r vs %r: dpkg %d, apt_pkg %d" % (p[0], p[1], want, got))

    expected = []
    for p in pairs:
        if not (validity[p[0]] and validity[p[1]]):
            expected.append("invalid")
        elif p in by_dpkg:
            expected.append(str(by_dpkg[p]))
        else:
            expected.append(str(sign(apt_pkg.version_compare(p[0], p[1]))))

    got = rs_vercmp(SCHEME, pairs)
    failures = [(p, e, g) for p, e, g in zip(pairs, expected, got) if e != g]
    n_invalid = sum(1 for e in expected if e == "invalid")
    print("%d pairs (%d tricky, %d rejected by dpkg as invalid), %d distinct versions checked by "
          "dpkg, %d pairs ordered by dpkg --compare-versions itself" %
          (len(pairs), len(tricky), n_invalid, len(versions), len(by_dpkg)))
    for p, e, g in failures[:20]:
        print("DISAGREE %r vs %r: oracle %s, rs-vercmp %s%s" %
              (p[0], p[1], e, g,
               "" if e != "invalid" and g != "invalid" else
               " (dpkg: %r %s, %r %s)" % (p[0], "valid" if validity[p[0]] else "invalid",
                                          p[1], "valid" if validity[p[1]] else "invalid")))
    return finish(len(pairs) - len(failures), len(failures) + len(oracle_failures))


if __name__ == "__main__":
    sys.exit(main())
