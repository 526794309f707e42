#!/usr/bin/python3
"""diff_rubygems.py - differential test of the RubyGems version order
(common/versions/vercmp_rubygems.c) against Ruby's Gem::Version (Debian's ruby).

Generates pairs deterministically (numeric segments with leading zeros and of
any length, letter segments in mixed case, alphanumeric segments like "a10",
prerelease parts after '-' with '-' inside, trailing zeros, "1.0.a" against
"1.0", surrounding whitespace, the empty version, invalid strings, equal
spellings, pairs differing in one segment), adds the pairs of rubygems' own
test_gem_version.rb (tests/data/versions/rubygems), and runs them through
`rs-vercmp rubygems` and one ruby process reading every pair on stdin. Exit 0
when every pair agrees, 1 otherwise (the first 20 disagreements printed), 77
when ruby is missing. Last line: "N passed, N failed".
"""
import random
import shutil
import sys

from difflib_rs import data_path, oracle_ready, read_rows, report_pairs, rs_vercmp, run_pairs

SCHEME = "rubygems"
MAX_LEN = 1024

# Gem::Version.correct? then <=>, one line per pair; "invalid" when either is malformed.
RUBY = r'''
$stdin.binmode
out = []
$stdin.each_line do |line|
  a, b = line.chomp("\n").split("\t", 2)
  begin
    if b.nil? || !Gem::Version.correct?(a) || !Gem::Version.correct?(b)
      out << "invalid"
    else
      out << (Gem::Version.new(a) <=> Gem::Version.new(b)).to_s
    end
  rescue ArgumentError
    out << "invalid"
  end
end
$stdout.write(out.map { |r| r + "\n" }.join)
'''

WORDS = ["a", "b", "c", "pre", "rc", "alpha", "beta", "A", "B", "RC", "Alpha", "z", "dev",
         "x", "aa", "ab", "ba", "preview", "final", "GA", "snapshot", "zz"]
SPACES = [" ", "  ", "\v", "\f", " \v"]


def number(rng):
    r = rng.random()
    if r < 0.55:
        return str(rng.randint(0, 12))
    if r < 0.7:
        return "0" * rng.randint(1, 3) + str(rng.randint(0, 20))
    if r < 0.85:
        return "0"
    return str(rng.randint(1, 9)) + "".join(rng.choice("0123456789")
                                            for _ in range(rng.randint(5, 40)))


def segment(rng):
    r = rng.random()
    if r < 0.6:
        return number(rng)
    if r < 0.85:
        return rng.choice(WORDS)
    return rng.choice(WORDS) + number(rng) if rng.random() < 0.5 else number(rng) + rng.choice(WORDS)


def pre_segment(rng):
    s = segment(rng)
    if rng.random() < 0.15:
        s += "-" + segment(rng)
    return s


def version(rng):
    """[ws] N(.seg)* [-preseg(.preseg)*] [ws], as a list of parts."""
    parts = [number(rng)]
    for _ in range(rng.randint(0, 4)):
        parts.append("." + segment(rng))
    if rng.random() < 0.1:
        parts.append(".0" * rng.randint(1, 3))
    if rng.random() < 0.25:
        parts.append("-" + pre_segment(rng))
        for _ in range(rng.randint(0, 2)):
            parts.append("." + pre_segment(rng))
    if rng.random() < 0.05:
        parts.insert(0, rng.choice(SPACES))
    if rng.random() < 0.05:
        parts.append(rng.choice(SPACES))
    return parts


def corrupt(rng, s):
    r = rng.random()
    i = rng.randint(0, len(s))
    if r < 0.3:
        return s[:i] + rng.choice(["..", "+", "_", "~", "!", " ", "é", ".-", "-.", "*"]) + s[i:]
    if r < 0.5:
        return s + rng.choice([".", "-", "-.", "+build", "+1"])
    if r < 0.7:
        return rng.choice(["a", ".", "-", "v", "+"]) + s
    if r < 0.85:
        return s[:i] + s[i + 1:]
    return rng.choice(["junk", "", "   ", "1.0 2.0", "a.1", ".1", "1.", "1-", "1--",
                       "1.a-", "1-a..b", "1.-1", "1.0-", "-1", "1..0", "1.0.0-rc.1+build.1"])


def generate():
    rng = random.Random(0x67656D)
    pool = [version(rng) for _ in range(1500)]
    pairs = []
    for _ in range(2500):
        pairs.append(("".join(rng.choice(pool)), "".join(rng.choice(pool))))
    for p in pool:  # one segment changed, or trailing zeros added
        q = list(p)
        i = rng.randrange(len(q))
        if q[i].startswith("."):
            q[i] = "." + segment(rng)
        elif q[i].startswith("-"):
            q[i] = "-" + pre_segment(rng)
        elif q[i].strip():
            q[i] = number(rng)
        if rng.random() < 0.3:
            q.append(".0" * rng.randint(1, 2))
        pairs.append(("".join(p), "".join(q)))
    for p in pool[:400]:  # "1.0.a" against "1.0", a prerelease against its release
        s = "".join(p).strip()
        pairs.append((s, s + "." + rng.choice(WORDS)))
        pairs.append((s, s + "-" + rng.choice(WORDS)))
    for p in pool[:800]:
        s = "".join(p)
        pairs.append((s, corrupt(rng, s)))
    for p in pool[:300]:
        pairs.append(("".join(p), "".join(p)))
    return [(a, b) for a, b in pairs
            if not set("\t\n\r") & set(a + b) and len(a.encode()) <= MAX_LEN and len(b.encode()) <= MAX_LEN]


def load_data():
    pairs = []
    for a, b in read_rows(data_path(SCHEME, "tricky.tsv")):
        pairs += [(a, b), (b, a)]
    return pairs


def main():
    if not oracle_ready(SCHEME) or not shutil.which("ruby"):
        print("skipped: ruby (Gem::Version) not installed")
        return 77
    pairs = generate() + load_data()
    ours = rs_vercmp(SCHEME, pairs)
    oracle = run_pairs(["ruby", "-e", RUBY], pairs)
    return report_pairs(pairs, oracle, ours,
                        "disagree: {a!r} vs {b!r}: Gem::Version {want}, ours {got}")


if __name__ == "__main__":
    sys.exit(main())
