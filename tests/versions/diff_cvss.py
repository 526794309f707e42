#!/usr/bin/python3
"""diff_cvss.py - differential test of common/match/cvss.c against the `cvss` package.

Feeds the same vectors to build/bin/rs-cvss and to the PyPI `cvss` package
(RedHatProductSecurity/cvss, exact decimal arithmetic; installed by
tests/versions/oracles.sh) and requires identical answers: the base score and
severity of every v2/v3.x vector, "unscored" for a v4 vector, "invalid" for
anything either side rejects. Vectors:
- every severity[].score in the OSV records of ../shared/vulndb/osv and tests/data
  (tests/data/cvss/osv copies those of shared that have one);
- every combination of the v3 base metrics (2,592, as v3.0 and as v3.1) and of
  the v2 base metrics (729);
- Roundup edge cases: the base vectors whose exact raw score lies on a tenth or
  nearest above one (computed here with decimals);
- 2,000 random vectors in random metric order with temporal and environmental
  metrics;
- invalid vectors derived from valid ones, plus random garbage.
Exits 77 when the oracle cannot be installed. Prints "N passed, N failed" last.
"""
import itertools
import json
import os
import random
import sys
from decimal import Decimal, getcontext
from pathlib import Path

from difflib_rs import ORACLES, finish, oracle_ready, run_lines, tool_path

REPO = Path(__file__).resolve().parents[2]

# Runs in the oracle's python: one answer per input line.
ORACLE = r"""
import sys
from cvss import CVSS2, CVSS3, CVSS4
out = []
for raw in sys.stdin.buffer.read().split(b"\n")[:-1]:
    v = raw.decode("utf-8", "surrogateescape")
    try:
        if v.startswith("CVSS:4."):
            CVSS4(v)
            out.append("unscored")
            continue
        c = CVSS3(v) if v.startswith("CVSS:3.") else CVSS2(v)
        out.append("%.1f\t%s" % (c.scores()[0], c.severities()[0].lower()))
    except Exception:
        out.append("invalid")
sys.stdout.write("\n".join(out) + "\n")
"""

V3_BASE = [
    ("AV", "NALP"), ("AC", "LH"), ("PR", "NLH"), ("UI", "NR"),
    ("S", "UC"), ("C", "HLN"), ("I", "HLN"), ("A", "HLN"),
]
V3_EXTRA = [
    ("E", "XHFPU"), ("RL", "XUWTO"), ("RC", "XCRU"), ("CR", "XHML"), ("IR", "XHML"),
    ("AR", "XHML"), ("MAV", "XNALP"), ("MAC", "XLH"), ("MPR", "XNLH"), ("MUI", "XNR"),
    ("MS", "XUC"), ("MC", "XHLN"), ("MI", "XHLN"), ("MA", "XHLN"),
]
V2_BASE = [("AV", ["L", "A", "N"]), ("AC", ["H", "M", "L"]), ("Au", ["M", "S", "N"]),
           ("C", ["N", "P", "C"]), ("I", ["N", "P", "C"]), ("A", ["N", "P", "C"])]
V2_EXTRA = [("E", ["U", "POC", "F", "H", "ND"]), ("RL", ["OF", "TF", "W", "U", "ND"]),
            ("RC", ["UC", "UR", "C", "ND"]), ("CDP", ["N", "L", "LM", "MH", "H", "ND"]),
            ("TD", ["N", "L", "M", "H", "ND"]), ("CR", ["L", "M", "H", "ND"]),
            ("IR", ["L", "M", "H", "ND"]), ("AR", ["L", "M", "H", "ND"])]
V4_VALID = [
    "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
    "CVSS:4.0/AV:L/AC:H/AT:P/PR:L/UI:A/VC:L/VI:N/VA:N/SC:L/SI:L/SA:L/E:P",
    "CVSS:4.0/AV:P/AC:L/AT:N/PR:H/UI:P/VC:N/VI:L/VA:H/SC:H/SI:H/SA:L/E:U/CR:H/IR:M/AR:L/MSI:S",
    "CVSS:4.0/AV:A/AC:L/AT:N/PR:N/UI:N/VC:H/VI:N/VA:N/SC:N/SI:N/SA:N/U:Amber",
    "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:H/SC:N/SI:N/SA:N/S:P/AU:Y/R:U/V:C/RE:H/U:Red",
]
V4_BAD_SHAPE = [
    "CVSS:4.0/", "CVSS:4.0", "CVSS:4.0//AV:N", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/",
    "CVSS:4.0/AV:N/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
    "CVSS:4.0/av:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
    "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:1",
    "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA::N",
    "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SAN",
    "CVSS:4.0/AV:N /AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
]


def osv_vectors():
    """Every severity[].score in the OSV records the tests use (any nesting)."""
    found, records, seen = [], 0, set()
    roots = [REPO.parent / "shared" / "vulndb" / "osv", REPO / "tests" / "data"]

    def walk(node):
        if isinstance(node, dict):
            sev = node.get("severity")
            if isinstance(sev, list):
                for s in sev:
                    if isinstance(s, dict) and isinstance(s.get("score"), str):
                        found.append(s["score"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    for root in roots:
        if not root.is_dir():
            print(f"note: {root} missing, its records are not used")
            continue
        for path in sorted(root.rglob("*.json")):
            try:
                doc = json.loads(path.read_text(encoding="utf-8"))
            except (ValueError, OSError):
                continue
            if isinstance(doc, dict) and "id" in doc and ("affected" in doc or "severity" in doc):
                if doc["id"] in seen:
                    continue  # tests/data/cvss/osv holds copies of shared's records
                seen.add(doc["id"])
                records += 1
                walk(doc)
    return found, records


def v3_exact_raw(m):
    """The exact raw base score (before rounding) of a v3 base-metric dict, or None."""
    w = {"AV": dict(N="0.85", A="0.62", L="0.55", P="0.2"), "AC": dict(L="0.77", H="0.44"),
         "UI": dict(N="0.85", R="0.62")}
    pr = (dict(N="0.85", L="0.68", H="0.5") if m["S"] == "C"
          else dict(N="0.85", L="0.62", H="0.27"))[m["PR"]]
    cia = dict(H="0.56", L="0.22", N="0")
    one = Decimal(1)
    iss = one - (one - Decimal(cia[m["C"]])) * (one - Decimal(cia[m["I"]])) * (
        one - Decimal(cia[m["A"]]))
    expl = (Decimal("8.22") * Decimal(w["AV"][m["AV"]]) * Decimal(w["AC"][m["AC"]]) *
            Decimal(pr) * Decimal(w["UI"][m["UI"]]))
    if m["S"] == "U":
        impact = Decimal("6.42") * iss
    else:
        impact = Decimal("7.52") * (iss - Decimal("0.029")) - Decimal("3.25") * (
            iss - Decimal("0.02")) ** 15
    if impact <= 0:
        return None
    raw = impact + expl if m["S"] == "U" else Decimal("1.08") * (impact + expl)
    return min(raw, Decimal(10))


def v3_string(version, metrics):
    return f"CVSS:{version}/" + "/".join(f"{k}:{v}" for k, v in metrics)


def generate(rng):
    valid, edges = [], []
    combos = [dict(zip([n for n, _ in V3_BASE], vals))
              for vals in itertools.product(*[list(v) for _, v in V3_BASE])]
    for version in ("3.1", "3.0"):
        valid += [v3_string(version, m.items()) for m in combos]
    # Roundup edge cases: exact raw score on a tenth, or nearest above one
    getcontext().prec = 80
    gaps = []
    for m in combos:
        raw = v3_exact_raw(m)
        if raw is None:
            continue
        gap = raw * 10 - int(raw * 10)
        gaps.append((gap, v3_string("3.1", m.items())))
    on_tenth = [v for g, v in gaps if g == 0]
    nearest = sorted((g, v) for g, v in gaps if g > 0)[:60]
    edges = on_tenth + [v for _, v in nearest]
    print(f"roundup edge cases: {len(on_tenth)} base vectors exactly on a tenth, "
          f"{len(nearest)} nearest above one (smallest gap {nearest[0][0] / 10:.6f}: {nearest[0][1]})")
    valid += [e.replace("CVSS:3.1/", "CVSS:3.0/") for e in edges]
    valid += edges
    valid += ["/".join(f"{n}:{v}" for n, v in zip([n for n, _ in V2_BASE], vals))
              for vals in itertools.product(*[v for _, v in V2_BASE])]
    # random order, random temporal/environmental metrics
    for _ in range(1500):
        fields = [(n, rng.choice(v)) for n, v in V3_BASE]
        fields += [(n, rng.choice(v)) for n, v in rng.sample(V3_EXTRA, rng.randint(0, len(V3_EXTRA)))]
        rng.shuffle(fields)
        valid.append(v3_string(rng.choice(["3.0", "3.1"]), fields))
    for _ in range(500):
        fields = [(n, rng.choice(v)) for n, v in V2_BASE]
        fields += [(n, rng.choice(v)) for n, v in rng.sample(V2_EXTRA, rng.randint(0, len(V2_EXTRA)))]
        rng.shuffle(fields)
        valid.append("/".join(f"{n}:{v}" for n, v in fields))
    valid += V4_VALID
    return valid


def mutate(rng, valid):
    """Invalid vectors: each a small change of a valid one, plus garbage."""
    bad = list(V4_BAD_SHAPE)
    bad += ["", "/", ":", "CVSS:", "CVSS:3.1", "CVSS:3.1/", "CVSS:3.2/AV:N", "CVSS:3/AV:N",
            "cvss:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
            "CVSS:2.0/AV:N/AC:L/Au:N/C:P/I:P/A:P", "(AV:N/AC:L/Au:N/C:P/I:P/A:P)",
            "AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "CVSS:3.1/AV:N/AC:L/Au:N/C:P/I:P/A:P",
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/" + "E:X/" * 60 + "RC:X",
            "A" * 300, "CVSS:3.1/" + "AV:N/" * 60]
    v3 = [v for v in valid if v.startswith("CVSS:3.")]
    v2 = [v for v in valid if not v.startswith("CVSS:")]
    for _ in range(1200):
        src = rng.choice(v3 if rng.random() < 0.7 else v2)
        prefix = "CVSS:3.x/" if src.startswith("CVSS:") else ""
        head, fields = (src[:9], src[9:].split("/")) if prefix else ("", src.split("/"))
        k = rng.randrange(len(fields))
        op = rng.randrange(12)
        if op == 0:
            fields.pop(k)  # a missing metric (or an optional one: then still valid)
        elif op == 1:
            fields.append(fields[k])  # duplicate
        elif op == 2:
            fields[k] = fields[k].split(":")[0] + ":" + rng.choice(["Z", "", "x", "NN", "X", "ND", "1"])
        elif op == 3:
            fields[k] = fields[k].lower()
        elif op == 4:
            fields[k] = fields[k].replace(":", "")
        elif op == 5:
            fields[k] = fields[k] + ":" + fields[k].split(":")[1]
        elif op == 6:
            fields.insert(k, "")
        elif op == 7:
            fields[k] = rng.choice([" ", "\t", "\r"]) + fields[k]
        elif op == 8:
            fields[k] = fields[k] + rng.choice([" ", "\t", "\r", "\u00e9", "\x7f"])
        elif op == 9:
            fields[k] = rng.choice(["Au:N", "PR:N", "MS:X", "CDP:L", "AT:N", "VC:H", "XX:Y"])
        elif op == 10:
            head = rng.choice(["", "CVSS:3.1", "CVSS:3.1//", "CVSS:3.01/", "CVSS:3.1:", "CVSS:4.1/",
                               "CVSS:31/", "/"])
        else:
            fields[k] = fields[k].split(":")[0] + ":" + fields[rng.randrange(len(fields))].split(":")[1]
        bad.append(head + "/".join(fields) + (rng.choice(["", "/"]) if op == 6 else ""))
    alphabet = "AVCNLHPUSIRXMEFTWODaux:/.0123456789 -_"
    for _ in range(300):
        bad.append("".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60))))
    for _ in range(100):
        bad.append("CVSS:3.1/" + "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60))))
    return bad  # some mutations stay valid: the oracle decides, both sides must agree


def main():
    if not oracle_ready("cvss"):
        print("skipped: the cvss oracle cannot be installed")
        return 77
    oracle = os.path.join(ORACLES, "cvss", "python")
    tool = tool_path("rs-cvss")

    rng = random.Random(20240531)
    real, records = osv_vectors()
    print(f"{len(real)} vectors from {records} OSV records")
    if not real:
        print("error: no OSV vector found")
        return 1
    valid = generate(rng)
    bad = mutate(rng, valid)
    vectors = real + valid + bad
    assert not any("\n" in v or "\0" in v for v in vectors)
    data = "".join(v + "\n" for v in vectors).encode("utf-8", "surrogateescape")

    want = run_lines([oracle, "-c", ORACLE], data)
    got = run_lines([tool], data)
    if len(want) != len(vectors) or len(got) != len(vectors):
        print(f"error: {len(vectors)} vectors, {len(want)} oracle and {len(got)} rs-cvss answers")
        return 1

    failed = [(v, w, g) for v, w, g in zip(vectors, want, got) if w != g]
    kinds = {"scored": sum(1 for w in want if "\t" in w), "unscored": want.count("unscored"),
             "invalid": want.count("invalid")}
    print(f"oracle answers: {kinds['scored']} scored, {kinds['unscored']} v4 kept, "
          f"{kinds['invalid']} invalid")
    for v, w, g in failed[:20]:
        print(f"DISAGREE {v!r}: oracle {w!r}, rs-cvss {g!r}")
    for v, w in zip(real, want[:len(real)]):
        if w == "invalid":
            print(f"note: OSV vector rejected by the oracle: {v!r}")
    return finish(len(vectors) - len(failed), len(failed))


if __name__ == "__main__":
    sys.exit(main())
