#!/usr/bin/python3
"""diff_semver.py - differential test of the SemVer ordering (npm, crates.io).

Oracle: the npm `semver` package (installed by tests/versions/oracles.sh),
one node process for every pair: "invalid" when semver.valid() (strict, not
loose) rejects either side, else semver.compare(a, b). Ours: rs-vercmp semver.
Pairs: node-semver's own fixtures (tests/data/versions/semver/tricky.tsv) and
at least 5,000 generated ones (fixed seed). Exit 0 when both agree on every
pair, 1 otherwise (first 20 disagreements shown), 77 when the oracle cannot be
installed. The last line is "N passed, N failed"."""
import os
import random
import sys

from difflib_rs import ORACLES, answer_counts, data_path, oracle_ready, read_rows, report_pairs, \
    run_pairs, tool_path

CACHE = os.path.join(ORACLES, "semver")

ORACLE_JS = r"""
const semver = require('semver');
const lines = require('fs').readFileSync(0, 'utf8').split('\n');
if (lines.length && lines[lines.length - 1] === '') lines.pop();
const out = [];
for (const line of lines) {
  const tab = line.indexOf('\t');
  const a = line.slice(0, tab), b = line.slice(tab + 1);
  if (tab < 0 || semver.valid(a) === null || semver.valid(b) === null) {
    out.push('invalid');
    continue;
  }
  out.push(String(semver.compare(a, b)));
}
process.stdout.write(out.join('\n') + (out.length ? '\n' : ''));
"""

# Characters String.prototype.trim() removes, and some it does not (U+0085).
WS = [" ", "  ", "\v", "\f", "\u00a0", "\ufeff", "\u2028", "\u3000", "\u2009", "\u0085"]
MAX_SAFE = 9007199254740991


def gen_num(r, wild):
    k = r.random()
    if not wild:
        if k < 0.6:
            return str(r.randint(0, 12))
        if k < 0.9:
            return str(r.randint(0, 100000))
        return str(MAX_SAFE - r.randint(0, 3))
    if k < 0.45:
        return str(r.randint(0, 12))
    if k < 0.6:
        return str(r.randint(0, 100000))
    if k < 0.7:
        return r.choice(["00", "01", "007", "0"])
    if k < 0.85:
        return str(MAX_SAFE + r.randint(-3, 3))
    if k < 0.95:
        return str(r.randint(10**15, 10**25))
    return r.choice(["", "x", "1e3", "-1", "+1", "1_0", "٣"])


def gen_pre_id(r, wild=True):
    k = r.random()
    if not wild:
        k = k * 0.9
        if 0.62 <= k < 0.68:
            k = 0.5
    if k < 0.3:
        return r.choice(["alpha", "beta", "rc", "Alpha", "RC", "a", "A", "b", "pre", "dev",
                         "SNAPSHOT", "x", "z", "Z"])
    if k < 0.55:
        return str(r.randint(0, 20))
    if k < 0.62:
        return r.choice(["-", "--", "-a", "a-", "x-1", "1a", "a1", "0a", "00a", "1-2"])
    if k < 0.68:
        return r.choice(["01", "00", "007"])
    if k < 0.8:
        return str(MAX_SAFE + r.randint(-3, 3)) if r.random() < 0.6 else \
            str(r.choice([2**53, 2**53 + 1, 2**53 + 2, 2**54 + 1, 10**18, 10**18 + 1,
                          10**20 - 1, 10**20 + 1]))
    if k < 0.9:
        return "".join(r.choice("abcXYZ019-") for _ in range(r.randint(1, 8)))
    return r.choice(["", "a_b", "a~", "é", "a+b", "*", " "])


def gen_build_id(r, wild=True):
    k = r.random() * (1 if wild else 0.85)
    if k < 0.85:
        return r.choice(["build", "001", "0", "sha", "5114f85", "exp", "x-y", "20130313144700",
                         "-", "Meta", "incompatible"])
    return r.choice(["", "a_b", "+", "é"])


def gen_parts(r, wild=None):
    if wild is None:
        wild = r.random() < 0.25
    n = 3 if not wild or r.random() < 0.6 else r.choice([1, 2, 4])
    pre = None
    if r.random() < 0.55:
        pre = [gen_pre_id(r, wild) for _ in range(r.choice([1, 1, 2, 2, 3, 4]))]
    build = None
    if r.random() < 0.25:
        build = [gen_build_id(r, wild) for _ in range(r.choice([1, 1, 2]))]
    prefix = ""
    k = r.random()
    if k < 0.15:
        prefix = "v"
    elif k < 0.2 and wild:
        prefix = r.choice(["=", "V", "vv", "v ", "= ", "=v"])
    ws = WS if wild else WS[:-1]
    lead = r.choice(ws) if r.random() < 0.08 else ""
    trail = r.choice(ws) if r.random() < 0.08 else ""
    return {"lead": lead, "prefix": prefix, "nums": [gen_num(r, wild) for _ in range(n)],
            "pre": pre, "build": build, "trail": trail}


def render(p):
    s = p["lead"] + p["prefix"] + ".".join(p["nums"])
    if p["pre"] is not None:
        s += "-" + ".".join(p["pre"])
    if p["build"] is not None:
        s += "+" + ".".join(p["build"])
    return s + p["trail"]


def mutate_one(r, p):
    """A copy of p that differs in one component."""
    q = {k: (list(v) if isinstance(v, list) else v) for k, v in p.items()}
    what = r.choice(["num", "pre", "pre", "build", "prefix", "ws", "pre-add", "pre-drop"])
    if what == "num":
        i = r.randrange(len(q["nums"]))
        q["nums"][i] = r.choice([gen_num(r, r.random() < 0.3), str(int(q["nums"][i]) + 1)
                                 if q["nums"][i].isdigit() else "1"])
    elif what == "pre":
        if q["pre"]:
            q["pre"][r.randrange(len(q["pre"]))] = gen_pre_id(r, r.random() < 0.3)
        else:
            q["pre"] = [gen_pre_id(r, False)]
    elif what == "pre-add":
        q["pre"] = (q["pre"] or []) + [gen_pre_id(r, False)]
    elif what == "pre-drop":
        q["pre"] = q["pre"][:-1] or None if q["pre"] else None
    elif what == "build":
        q["build"] = None if q["build"] else [gen_build_id(r, False)]
    elif what == "prefix":
        q["prefix"] = r.choice(["", "v", "="])
    else:
        q["lead"], q["trail"] = r.choice(WS[:-1]), r.choice(["", r.choice(WS)])
    return q


def long_version(r):
    """Around node-semver's 256-character limit."""
    target = r.randint(246, 262)
    core = "1.2.3-"
    ident = "a" * (target - len(core))
    if r.random() < 0.5:
        ident = ".".join("x" * 9 for _ in range(40))[: target - len(core)].rstrip(".")
    s = core + ident
    if r.random() < 0.3:
        s = " " * r.randint(1, 4) + s
    return s


def generate(r, n):
    pairs = []
    while len(pairs) < n:
        k = r.random()
        a = gen_parts(r)
        if k < 0.35:
            b = gen_parts(r)
            if r.random() < 0.5:  # same core, so the prereleases decide
                b["nums"] = list(a["nums"])
            pairs.append((render(a), render(b)))
        elif k < 0.8:
            pairs.append((render(a), render(mutate_one(r, a))))
        elif k < 0.9:
            pairs.append((render(a), render(a)))
        else:
            pairs.append((long_version(r), long_version(r)))
    return pairs


def load_tricky():
    """The lines with a tab: the version before it and everything after it."""
    rows = read_rows(data_path("semver", "tricky.tsv"))
    return [(row[0], "\t".join(row[1:])) for row in rows if len(row) > 1]


def main():
    if not oracle_ready("semver") or \
            not os.path.isdir(os.path.join(CACHE, "node_modules", "semver")):
        print("skipped: the npm semver oracle cannot be installed")
        return 77
    tool = tool_path("rs-vercmp")
    r = random.Random(20240503)
    tricky = load_tricky()
    pairs = tricky + [(b, a) for a, b in tricky] + generate(r, 6000)
    env = dict(os.environ, NODE_PATH=os.path.join(CACHE, "node_modules"))
    want = run_pairs(["node", "-e", ORACLE_JS], pairs, env)
    got = run_pairs([tool, "semver"], pairs)
    print(f"{len(pairs)} pairs ({len(tricky)} from node-semver's fixtures, both ways); "
          f"oracle answers: " + answer_counts(want))
    return report_pairs(pairs, want, got,
                        "DISAGREE {a!r} vs {b!r}: semver (oracle) {want}, rs-vercmp {got}")


if __name__ == "__main__":
    sys.exit(main())
