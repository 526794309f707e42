#!/usr/bin/python3
"""diff_nuget.py - differential test of the NuGet version ordering.

No .NET runtime is available here, so the oracle is NuGet.Client's own test
vectors (tests/data/versions/nuget/vectors.tsv, with their source and commit):
every valid/invalid/equal/less/not-equal row is checked through rs-vercmp nuget.
At least 5,000 generated pairs (fixed seed: 1 to 4 numbers, leading zeros,
whitespace inside and around, release labels of mixed case, numeric labels in
and out of Int32, negative numeric labels, metadata) are then checked for the
ordering laws - antisymmetry (cmp(a,b) == -cmp(b,a), validity symmetric),
reflexivity, transitivity on triples, consistency with every "lt" and "eq"
vector on triples mixing generated versions and vector pairs - and for the
equalities the vectors establish (missing numbers are 0, label case and
metadata are ignored, leading zeros and surrounding whitespace do not count).
They are also compared with a Python transcription of NuGetVersion.TryParse and
VersionComparer (the `model` below): a second reading of the same sources,
which catches slips in the C code but is not an oracle. Exit 0 when every
check passes, 1 otherwise (first 20 failures shown). The last line is
"N passed, N failed"."""
import functools
import random
import sys

from difflib_rs import data_path, finish, oracle_ready, read_rows, run_pairs, tool_path

VECTORS = data_path("nuget", "vectors.tsv")

# .NET char.IsWhiteSpace (String.Trim and the number sections use it).
NET_WS = set("\t\n\v\f\r \u0085\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
             "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000")
INT_MAX = 2**31 - 1


# --- model: NuGetVersion.TryParse + VersionComparer.Default, transcribed ---------------

def _ldd(c):
    return c.isascii() and (c.isalnum() or c == "-")


def _valid_part(s, allow_leading_zeros):
    if not s:
        return False
    if not allow_leading_zeros and len(s) > 1 and s[0] == "0" and \
            all("0" <= c <= "9" for c in s[1:]):
        return False
    return all(_ldd(c) for c in s)


def _sections(value):
    version = labels = meta = None
    dash = plus = -1
    for i, ch in enumerate(value):
        end = i == len(value) - 1
        if dash < 0:
            if end or ch in "-+":
                version = value[: i + (1 if end else 0)]
                dash = i
                if ch == "+":
                    plus = i
        elif plus < 0:
            if end or ch == "+":
                labels = value[dash + 1: i + (1 if end else 0)].split(".")
                plus = i
        elif end:
            meta = value[plus + 1:]
    return version, labels, meta


def _section(s, start):
    """ParseSection of TryGetNormalizedVersion: (ok, end, number)."""
    if start == len(s):
        return True, start, 0
    end = start
    while end < len(s) and s[end] in NET_WS:
        end += 1
    n, digits, done = 0, False, False
    while end < len(s):
        c = s[end]
        if "0" <= c <= "9":
            digits = True
            n = n * 10 + ord(c) - 48
            if n > INT_MAX:
                return False, end, 0
        elif c == ".":
            end += 1
            if end == len(s):
                return False, end, 0
            done = True
            break
        elif c in NET_WS:
            break
        else:
            return False, end, 0
        end += 1
    if not digits:
        return False, end, 0
    if end == len(s):
        done = True
    if not done:
        while end < len(s):
            c = s[end]
            if c not in NET_WS:
                if c != ".":
                    return False, end, 0
                end += 1
                if end == len(s):
                    return False, end, 0
                break
            end += 1
    return True, end, n


def model_parse(value):
    v = value.strip("".join(NET_WS))
    version, labels, meta = _sections(v)
    if not version or all(c in NET_WS for c in version):
        return None
    pos, nums = 0, []
    for _ in range(4):
        ok, pos, n = _section(version, pos)
        if not ok:
            return None
        nums.append(n)
    if pos != len(version):
        return None
    if labels is not None and not all(_valid_part(x, False) for x in labels):
        return None
    if meta is not None and not all(_valid_part(x, True) for x in meta.split(".")):
        return None
    return nums, labels


def _int_try_parse(s):
    body = s[1:] if s.startswith("-") else s
    if not body or not all("0" <= c <= "9" for c in body):
        return None
    n = int(s)
    return n if -2**31 <= n <= INT_MAX else None


def _cmp_label(a, b):
    na, nb = _int_try_parse(a), _int_try_parse(b)
    if na is not None and nb is not None:
        return (na > nb) - (na < nb)
    if na is not None:
        return -1
    if nb is not None:
        return 1
    a, b = a.upper(), b.upper()
    return (a > b) - (a < b)


def model_compare(a, b):
    x, y = model_parse(a), model_parse(b)
    if x is None or y is None:
        return "invalid"
    if x[0] != y[0]:
        return "-1" if x[0] < y[0] else "1"
    lx, ly = x[1], y[1]
    if lx is not None and ly is None:
        return "-1"
    if lx is None and ly is not None:
        return "1"
    if lx is None:
        return "0"
    for i in range(max(len(lx), len(ly))):
        if i >= len(lx):
            return "-1"
        if i >= len(ly):
            return "1"
        c = _cmp_label(lx[i], ly[i])
        if c:
            return str(c)
    return "0"


# --- generator ------------------------------------------------------------------------

WS_GEN = [" ", "  ", "\u00a0", "\u3000", "\u2009", "\u0085", "\f"]


def gen_num(r, wild):
    k = r.random()
    if k < 0.55:
        s = str(r.randint(0, 12))
    elif k < 0.8:
        s = str(r.randint(0, 300000))
    elif k < 0.9:
        s = str(INT_MAX - r.randint(0, 2))
    else:
        s = "0" * r.randint(1, 3) + str(r.randint(0, 9))
    if wild:
        k = r.random()
        if k < 0.1:
            s = str(INT_MAX + r.randint(1, 10**12))
        elif k < 0.2:
            s = r.choice(WS_GEN) + s
        elif k < 0.3:
            s = s + r.choice(WS_GEN)
        elif k < 0.35:
            s = r.choice(["", " ", "x", "-1", "1 2", "+1"])
    return s


def gen_label(r, wild):
    k = r.random() * (1 if wild else 0.92)
    if k < 0.35:
        return r.choice(["alpha", "beta", "rc", "Alpha", "BETA", "RC", "preview", "Preview",
                         "a", "A", "b", "B", "z", "Z", "ctp", "CTP", "pre", "final"])
    if k < 0.6:
        return str(r.randint(0, 30))
    if k < 0.7:
        return r.choice(["-", "--", "-1", "-0", "-007", "-2147483648", "-2147483649", "1a",
                         "a1", "0a", "x-1", "rc-2", "RC-1"])
    if k < 0.8:
        return str(r.choice([INT_MAX, INT_MAX + 1, 2**32, 10**12, 999999, 10**20]))
    if k < 0.92:
        return "".join(r.choice("abcABC019-") for _ in range(r.randint(1, 7)))
    return r.choice(["", "01", "00", "a_b", "a~", "\u00e9", "*", " ", "a^"])


def gen(r, wild=None):
    if wild is None:
        wild = r.random() < 0.25
    n = r.choice([1, 2, 3, 3, 3, 4, 4])
    nums = [gen_num(r, wild) for _ in range(n)]
    labels = meta = None
    if r.random() < 0.5:
        labels = [gen_label(r, wild) for _ in range(r.choice([1, 1, 2, 3]))]
    if r.random() < 0.25:
        meta = r.choice([["meta"], ["AA"], ["001"], ["build", "42"], ["sha-5114f85"], ["-"]])
        if wild and r.random() < 0.3:
            meta = [r.choice(["", "a_b", "+", "\u00c4"])]
    lead = r.choice(WS_GEN) if r.random() < 0.08 else ""
    trail = r.choice(WS_GEN) if r.random() < 0.08 else ""
    return {"lead": lead, "nums": nums, "labels": labels, "meta": meta, "trail": trail}


def render(p):
    s = p["lead"] + ".".join(p["nums"])
    if p["labels"] is not None:
        s += "-" + ".".join(p["labels"])
    if p["meta"] is not None:
        s += "+" + ".".join(p["meta"])
    return s + p["trail"]


def mutate_one(r, p):
    q = {k: (list(v) if isinstance(v, list) else v) for k, v in p.items()}
    what = r.choice(["num", "label", "label", "label-add", "label-drop", "meta", "parts"])
    if what == "num":
        i = r.randrange(len(q["nums"]))
        t = q["nums"][i].strip()
        q["nums"][i] = str(int(t) + 1) if t.isdigit() and len(t) < 10 else "1"
    elif what == "label" and q["labels"]:
        q["labels"][r.randrange(len(q["labels"]))] = gen_label(r, False)
    elif what in ("label", "label-add"):
        q["labels"] = (q["labels"] or []) + [gen_label(r, False)]
    elif what == "label-drop":
        q["labels"] = (q["labels"][:-1] or None) if q["labels"] else None
    elif what == "meta":
        q["meta"] = None if q["meta"] else ["meta"]
    else:
        q["nums"] = (q["nums"] + ["0", "0", "0"])[: r.choice([1, 2, 3, 4])]
    return q


def equal_variant(r, p):
    """A spelling of p that the vectors say is the same version."""
    q = {k: (list(v) if isinstance(v, list) else v) for k, v in p.items()}
    what = r.choice(["zeros", "case", "meta", "ws", "lead0"])
    if what == "zeros" and len(q["nums"]) < 4:
        q["nums"] = q["nums"] + ["0"] * r.randint(1, 4 - len(q["nums"]))
    elif what == "case" and q["labels"]:
        q["labels"] = [x.swapcase() for x in q["labels"]]
    elif what == "meta":
        q["meta"] = None if q["meta"] else [r.choice(["meta", "AA", "001"])]
    elif what == "ws":
        q["lead"], q["trail"] = r.choice(WS_GEN), r.choice(WS_GEN)
    else:
        i = r.randrange(len(q["nums"]))
        q["nums"][i] = "0" + q["nums"][i].strip()
    return q


# --- checks ---------------------------------------------------------------------------

def run(tool, pairs):
    return dict(zip(pairs, run_pairs([tool, "nuget"], pairs)))


def main():
    tool = tool_path("rs-vercmp")
    # The vectors are in the tree: nothing to install, but keep the common entry point.
    if not oracle_ready("nuget"):
        print("skipped: tests/versions/oracles.sh nuget failed")
        return 77
    r = random.Random(20240505)
    rows = read_rows(VECTORS)
    anchors = "1.0.0"

    gen_pairs = []
    while len(gen_pairs) < 5200:
        k = r.random()
        a = gen(r)
        if k < 0.3:
            b = gen(r)
            if r.random() < 0.5:
                b["nums"] = list(a["nums"])
            gen_pairs.append((render(a), render(b)))
        elif k < 0.7:
            gen_pairs.append((render(a), render(mutate_one(r, a))))
        elif k < 0.85:
            gen_pairs.append((render(a), render(equal_variant(r, a))))
        else:
            gen_pairs.append((render(a), render(a)))
    pool = sorted({x for p in gen_pairs for x in p})
    valid_pool = [v for v in pool if model_parse(v) is not None]
    triples = [tuple(r.choice(valid_pool) for _ in range(3)) for _ in range(3000)]
    vec_pairs = [(row[1], row[2]) for row in rows if row[0] in ("lt", "eq")]
    mixed = [(a, b, r.choice(valid_pool)) for a, b in vec_pairs for _ in range(20)]

    need = set()
    for row in rows:
        if row[0] in ("valid", "invalid"):
            need.update({(row[1], row[1]), (row[1], anchors), (anchors, row[1])})
        else:
            need.update({(row[1], row[2]), (row[2], row[1])})
    for a, b in gen_pairs:
        need.update({(a, b), (b, a), (a, a)})
    for a, b, c in triples + mixed:
        need.update({(a, b), (b, c), (a, c), (c, a), (c, b)})
    got = run(tool, sorted(need))

    checks, failures = 0, []

    def check(ok, what):
        nonlocal checks
        checks += 1
        if not ok:
            failures.append(what)

    for row in rows:
        kind = row[0]
        if kind == "valid":
            v = row[1]
            check(got[(v, v)] == "0" and got[(v, anchors)] != "invalid",
                  f"vector valid {v!r}: rs-vercmp says {got[(v, v)]}")
        elif kind == "invalid":
            v = row[1]
            check(got[(v, v)] == "invalid" and got[(v, anchors)] == "invalid" and
                  got[(anchors, v)] == "invalid",
                  f"vector invalid {v!r}: rs-vercmp says {got[(v, anchors)]}")
        else:
            a, b = row[1], row[2]
            ab, ba = got[(a, b)], got[(b, a)]
            want = {"eq": ("0", "0"), "lt": ("-1", "1")}.get(kind)
            if want:
                check((ab, ba) == want, f"vector {kind} {a!r} {b!r}: rs-vercmp {ab} / {ba}")
            else:
                check(ab in ("-1", "1") and ba == str(-int(ab)),
                      f"vector ne {a!r} {b!r}: rs-vercmp {ab} / {ba}")

    neg = {"-1": "1", "1": "-1", "0": "0", "invalid": "invalid"}
    for a, b in gen_pairs:
        check(got[(b, a)] == neg[got[(a, b)]],
              f"antisymmetry {a!r} {b!r}: {got[(a, b)]} but reversed {got[(b, a)]}")
        check(got[(a, a)] == ("invalid" if model_parse(a) is None else "0"),
              f"reflexivity {a!r}: {got[(a, a)]}")
        m = model_compare(a, b)
        check(got[(a, b)] == m, f"model {a!r} vs {b!r}: model {m}, rs-vercmp {got[(a, b)]}")

    def transitive(a, b, c, label):
        ab, bc, ac = (got[(a, b)], got[(b, c)], got[(a, c)])
        if "invalid" in (ab, bc, ac):
            check(False, f"{label} {a!r} {b!r} {c!r}: invalid among valid versions")
            return
        ab, bc, ac = int(ab), int(bc), int(ac)
        ok = True
        if ab <= 0 and bc <= 0:
            ok = ac <= 0 and (ac < 0 or (ab == 0 and bc == 0))
        if ab >= 0 and bc >= 0:
            ok = ok and ac >= 0 and (ac > 0 or (ab == 0 and bc == 0))
        check(ok, f"{label} {a!r} {b!r} {c!r}: {ab} {bc} but {ac}")

    for a, b, c in triples:
        transitive(a, b, c, "transitivity")
    for a, b, c in mixed:
        transitive(a, b, c, "vector order")
        transitive(c, a, b, "vector order")

    # A sort of the valid pool by rs-vercmp must agree with the model's sort.
    def key_cmp(x, y):
        return int(model_compare(x, y))
    sample = r.sample(valid_pool, 400)
    ordered = sorted(sample, key=functools.cmp_to_key(key_cmp))
    adj = [(x, y) for x, y in zip(ordered, ordered[1:])]
    got.update(run(tool, adj))
    for x, y in adj:
        check(got[(x, y)] in ("-1", "0"), f"sorted order {x!r} before {y!r}: {got[(x, y)]}")

    n_valid = sum(1 for a, b in gen_pairs if got[(a, b)] != "invalid")
    print(f"{sum(1 for r_ in rows)} vectors from NuGet.Client's tests; {len(gen_pairs)} "
          f"generated pairs ({n_valid} of two valid versions), {len(triples)} triples, "
          f"{len(mixed)} triples with a vector pair")
    for f in failures[:20]:
        print("FAIL", f)
    return finish(checks - len(failures), len(failures))


if __name__ == "__main__":
    sys.exit(main())
