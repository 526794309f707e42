"""difflib_rs.py - the plumbing the differential tests (tests/versions/diff_*.py) share.

Where things are (the repository, RS_BIN_DIR, the oracle cache), the
oracles.sh entry point, running a program on one "a<TAB>b" line per pair and
reading its answer lines, the data files under tests/data/versions, the
seeded pair loop of the grammar-driven scripts, and the report ending in
"N passed, N failed". Each script keeps its own generator, oracle and checks.
"""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
BIN = os.environ.get("RS_BIN_DIR") or os.path.join(REPO, "build", "bin")
# Where tests/versions/oracles.sh installs the oracles.
ORACLES = os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"),
                       "regscan", "oracles")


def oracle_ready(scheme):
    """True when tests/versions/oracles.sh could install (or find) the oracle of scheme."""
    return subprocess.run([os.path.join(HERE, "oracles.sh"), scheme]).returncode == 0


def tool_path(name):
    """The path of our program name (rs-vercmp, rs-cvss) in BIN; exits 1, counted
    as one failure, when it is not built."""
    tool = os.path.join(BIN, name)
    if not os.access(tool, os.X_OK):
        print(f"{name} not found in {BIN} (build it, or set RS_BIN_DIR)")
        print("0 passed, 1 failed")
        sys.exit(1)
    return tool


def run_lines(cmd, data, env=None):
    """Runs cmd with data (bytes) on stdin; returns its UTF-8 output as lines.
    Exits, with cmd's stderr, when cmd fails."""
    res = subprocess.run(cmd, input=data, capture_output=True, env=env, timeout=300)
    if res.returncode != 0:
        sys.stderr.write(res.stderr.decode("utf-8", "replace"))
        raise SystemExit(f"{cmd[0]} exited with {res.returncode}")
    return res.stdout.decode("utf-8").split("\n")[:-1]


def run_pairs(cmd, pairs, env=None):
    """Feeds cmd one "a<TAB>b" line per pair; returns its answers, one line per pair."""
    data = "".join(f"{a}\t{b}\n" for a, b in pairs).encode("utf-8")
    out = run_lines(cmd, data, env)
    if len(out) != len(pairs):
        raise SystemExit(f"{cmd[0]}: {len(out)} answers for {len(pairs)} pairs")
    return out


def rs_vercmp(scheme, pairs):
    """rs-vercmp's answers ("-1", "0", "1" or "invalid") for pairs in scheme."""
    return run_pairs([tool_path("rs-vercmp"), scheme], pairs)


def data_path(scheme, name):
    """tests/data/versions/<scheme>/<name>."""
    return os.path.join(REPO, "tests", "data", "versions", scheme, name)


def read_rows(path):
    """The tab-separated fields of each line of path but empty and "#" lines."""
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            if line and not line.startswith("#"):
                rows.append(line.split("\t"))
    return rows


def read_lines(path):
    """The lines of path but blank and "#" lines, without their newline."""
    with open(path, encoding="utf-8") as f:
        return [line.rstrip("\n") for line in f if line.strip() and not line.startswith("#")]


def all_pairs(values):
    """Every ordered pair of values, each with itself included."""
    return [(a, b) for a in values for b in values]


def generate_pairs(rng, n, version, mutate):
    """n pairs from version(rng): a tenth a version against itself, most against
    mutate(rng, it), the rest against another version; either way round."""
    pairs = []
    while len(pairs) < n:
        a = version(rng)
        k = rng.random()
        if k < 0.1:
            b = a
        elif k < 0.75:
            b = mutate(rng, a)
        else:
            b = version(rng)
        if rng.random() < 0.5:
            a, b = b, a
        pairs.append((a, b))
    return pairs


def answer_counts(answers):
    """"-1: N, 0: N, ..." for a list of answers."""
    kinds = {}
    for w in answers:
        kinds[w] = kinds.get(w, 0) + 1
    return ", ".join(f"{k}: {v}" for k, v in sorted(kinds.items()))


def finish(passed, failed):
    """Prints the last line, "N passed, N failed"; returns the exit status."""
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


def report_pairs(pairs, want, got, line):
    """Prints the first 20 pairs on which want and got differ, formatted by line
    (fields a, b, want, got), then the last line; returns the exit status."""
    bad = [(a, b, w, g) for (a, b), w, g in zip(pairs, want, got) if w != g]
    for a, b, w, g in bad[:20]:
        print(line.format(a=a, b=b, want=w, got=g))
    return finish(len(pairs) - len(bad), len(bad))
