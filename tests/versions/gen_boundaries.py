#!/usr/bin/python3
"""gen_boundaries.py - writes tests/data/osv/boundaries.tsv, the boundary cases
of the real OSV records in tests/data/osv/records (copied from
../shared/vulndb/osv), read by tests/unit/match/test_osv.c.

For every affected entry of every record and every event version x of its
ranges (introduced, fixed, last_affected, limit) it builds a version just
below x, x itself and a version just above x, with constructions per
ecosystem (dpkg: x~ below, x+0 and x+b1 above; apk: a lower / higher -rN or
last number; PEP 440: x.dev0 / x.post1; SemVer: x-0 (or a lower / longer
prerelease) / patch+1, and x+build equal to x; Maven: x-alpha-0 / x.0.1;
RubyGems: x.a / x.0.1; Go: SemVer with its "v"). Every construction is
checked with the reference comparator (below < x < above) and the expected
answer is computed by an independent Python evaluation of the OSV algorithm
(https://ossf.github.io/osv-schema/#evaluation) that uses the reference
comparators as oracles:

  dpkg     python3-apt apt_pkg.version_compare (Debian's libapt)
  pep440   python3-packaging packaging.version.Version
  semver   the npm `semver` package (v7) run by node; SEMVER ranges and the
           npm, crates.io and Go ecosystems
  maven    org.apache.maven.artifact.versioning.ComparableVersion
           (maven-artifact from Maven Central, in ~/.m2)
  rubygems ruby's Gem::Version
  apk      no apk program is packaged for Debian: the constructions change
           only the last number of x (or its -rN), whose order is evident, and
           the few comparisons between event versions of one range are taken
           from a small apk-tools ordering written here for these shapes.

Ties in the sorted events put `introduced` first (an introduced equal to a
fixed version is an empty range), as regscan does. A `versions` list is
checked by equality under the ecosystem's order.

Run it by hand (it needs the oracles; the unit test does not):
  tests/versions/oracles.sh dpkg      # python3-apt
  npm install --prefix ~/.cache/regscan/oracles/osvtest semver@7
  mvn -q dependency:get -Dartifact=org.apache.maven:maven-artifact:3.9.16
  /usr/bin/python3 tests/versions/gen_boundaries.py > tests/data/osv/boundaries.tsv
"""
import functools
import glob
import json
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
RECORDS = os.path.join(ROOT, "tests", "data", "osv", "records")
CACHE = os.path.join(os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")),
                     "regscan", "oracles")
MAVEN_JAR = os.path.expanduser(
    "~/.m2/repository/org/apache/maven/maven-artifact/3.9.16/maven-artifact-3.9.16.jar")


class LineOracle:
    """A long-running process that reads 'A\\tB' lines and answers -1/0/1 or 'invalid'."""

    def __init__(self, argv, env=None):
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  text=True, env=env, bufsize=1)

    def __call__(self, a, b):
        self.p.stdin.write(f"{a}\t{b}\n")
        self.p.stdin.flush()
        line = self.p.stdout.readline().strip()
        if line == "invalid":
            raise ValueError(f"invalid version: {a!r} or {b!r}")
        return int(line)


NODE_SRC = r"""
const semver = require(process.argv[1] + '/node_modules/semver');
const rl = require('readline').createInterface({input: process.stdin});
rl.on('line', (l) => {
  const [a, b] = l.split('\t');
  if (!semver.valid(a) || !semver.valid(b)) { console.log('invalid'); return; }
  console.log(String(semver.compare(a, b)));
});
"""

RUBY_SRC = r"""
STDOUT.sync = true
STDIN.each_line do |l|
  a, b = l.chomp.split("\t", 2)
  if Gem::Version.correct?(a) && Gem::Version.correct?(b)
    puts(Gem::Version.new(a) <=> Gem::Version.new(b))
  else
    puts "invalid"
  end
end
"""

JAVA_SRC = r"""
import java.io.*;
import org.apache.maven.artifact.versioning.ComparableVersion;
public class MavenOracle {
  public static void main(String[] args) throws IOException {
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
    String l;
    while ((l = in.readLine()) != null) {
      String[] p = l.split("\t", 2);
      int c = new ComparableVersion(p[0]).compareTo(new ComparableVersion(p[1]));
      System.out.println(Integer.signum(c));
      System.out.flush();
    }
  }
}
"""


def make_oracles():
    import apt_pkg
    import packaging.version as pv
    apt_pkg.init_system()
    tmp = tempfile.mkdtemp(prefix="osv-oracles-")
    java = os.path.join(tmp, "MavenOracle.java")
    with open(java, "w") as f:
        f.write(JAVA_SRC)
    node = LineOracle(["node", "-e", NODE_SRC, os.path.join(CACHE, "osvtest")])
    ruby = LineOracle(["ruby", "-e", RUBY_SRC])
    maven = LineOracle(["java", "-cp", MAVEN_JAR, java])

    def dpkg(a, b):
        c = apt_pkg.version_compare(a, b)
        return (c > 0) - (c < 0)

    def pep440(a, b):
        x, y = pv.Version(a), pv.Version(b)
        return (x > y) - (x < y)

    return {"dpkg": dpkg, "pep440": pep440, "semver": node, "maven": maven,
            "rubygems": ruby, "apk": apk_cmp}


def apk_cmp(a, b):
    """apk-tools order for the shapes of these records: digits.digits..[letter]
    [_suffixN...][-rN]. Only what these records and constructions need."""
    def parse(v):
        m = re.fullmatch(r"([0-9]+(?:\.[0-9]+)*)([a-z]?)((?:_[a-z]+[0-9]*)*)(?:-r([0-9]+))?", v)
        if not m:
            raise ValueError(f"apk shape not handled: {v!r}")
        nums = [int(x) for x in m.group(1).split(".")]
        sufs = re.findall(r"_([a-z]+)([0-9]*)", m.group(3))
        return nums, m.group(2), sufs, int(m.group(4) or 0)
    order = {"alpha": 0, "beta": 1, "pre": 2, "rc": 3, "": 4, "cvs": 5, "svn": 6, "git": 7,
             "hg": 8, "p": 9}
    na, la, sa, ra = parse(a)
    nb, lb, sb, rb = parse(b)
    for x, y in zip(na, nb):
        if x != y:
            return (x > y) - (x < y)
    if len(na) != len(nb):
        return 1 if len(na) > len(nb) else -1
    if la != lb:
        return (la > lb) - (la < lb)
    ka = [(order[s], int(n or 0)) for s, n in sa] + [(order[""], 0)]
    kb = [(order[s], int(n or 0)) for s, n in sb] + [(order[""], 0)]
    if ka != kb:
        return (ka > kb) - (ka < kb)
    return (ra > rb) - (ra < rb)


def scheme_of(ecosystem):
    base = ecosystem.split(":")[0]
    return {"Debian": "dpkg", "Ubuntu": "dpkg", "Alpine": "apk", "PyPI": "pep440",
            "npm": "semver", "crates.io": "semver", "Go": "go", "Maven": "maven",
            "RubyGems": "rubygems"}[base]


def dec_last_number(x):
    """x with its last number lowered by one, or None when it is 0."""
    m = re.search(r"([0-9]+)(?!.*[0-9])", x)
    if not m or int(m.group(1)) == 0:
        return None
    return x[:m.start(1)] + str(int(m.group(1)) - 1) + x[m.end(1):]


def constructions(scheme, x):
    """(below candidates, above candidates, equal forms) of x in scheme."""
    if scheme == "dpkg":
        return [x + "~"], [x + "+0", x + "+b1"], []
    if scheme == "apk":
        m = re.fullmatch(r"(.*)-r([0-9]+)", x)
        if m:
            r = int(m.group(2))
            below = [f"{m.group(1)}-r{r - 1}"] if r > 0 else [dec_last_number(m.group(1))]
            return below, [f"{m.group(1)}-r{r + 1}"], []
        return [dec_last_number(x)], [x + "-r1"], []
    if scheme == "pep440":
        return [x + ".dev0"], [x + ".post1"], []
    if scheme in ("semver", "go"):
        core, _, pre = x.partition("-")
        if not pre:
            maj, mi, pa = core.split(".")
            return [x + "-0"], [f"{maj}.{mi}.{int(pa) + 1}"], [x + "+build.1"]
        # a prerelease: its last number lowered, or the release's lowest prerelease
        below = [b for b in (dec_last_number(x), core + "-0") if b and b != x]
        if not below:  # x is the lowest prerelease of its release: a late previous release
            maj, mi, pa = (int(n) for n in core.split("."))
            below = [f"{maj}.{mi}.{pa - 1}" if pa else f"{maj}.{mi - 1}.9999" if mi
                     else f"{maj - 1}.9999.9999"]
        return below, [x + ".0"], [x + "+build.1"]
    if scheme == "maven":
        return [x + "-alpha-0"], [x + ".0.1"], []
    if scheme == "rubygems":
        return [x + ".a"], [x + ".0.1"], []
    raise KeyError(scheme)


LOWEST = {"dpkg": "0", "apk": "0", "pep440": "0", "semver": "0.0.0", "go": "0.0.0",
          "maven": "0", "rubygems": "0"}


def evaluate(cmp, aff, v):
    """OSV evaluation of version v against one affected entry (None: unknown)."""
    for listed in aff.get("versions") or []:
        try:
            if cmp(None, v, listed) == 0:
                return True
        except ValueError:
            pass
    for rg in aff.get("ranges") or []:
        if rg["type"] == "GIT":
            continue
        c = functools.partial(cmp, rg["type"])
        evs = rg["events"]
        limits = [e["limit"] for e in evs if "limit" in e]
        if limits and not any(l == "*" or c(v, l) < 0 for l in limits):
            continue
        def key(a, b):
            (ka, va), (kb, vb) = a, b
            za, zb = ka == "introduced" and va == "0", kb == "introduced" and vb == "0"
            if za or zb:
                r = 0 if za and zb else (-1 if za else 1)
            else:
                r = c(va, vb)
            if r == 0:
                r = -1 if ka == "introduced" else (1 if kb == "introduced" else 0)
            return r
        items = [next(iter(e.items())) for e in evs if "limit" not in e]
        items.sort(key=functools.cmp_to_key(key))
        vulnerable = False
        for k, x in items:
            if k == "introduced" and (x == "0" or c(v, x) >= 0):
                vulnerable = True
            elif k == "fixed" and c(v, x) >= 0:
                vulnerable = False
            elif k == "last_affected" and c(v, x) > 0:
                vulnerable = False
        if vulnerable:
            return True
    return False


def main():
    oracles = make_oracles()
    rows = []
    for path in sorted(glob.glob(os.path.join(RECORDS, "*", "*.json"))):
        rel = os.path.relpath(path, RECORDS)
        rec = json.load(open(path))
        affs = [a for a in rec.get("affected") or [] if "package" in a]
        for ai, aff in enumerate(affs):
            scheme = scheme_of(aff["package"]["ecosystem"])
            go = scheme == "go"

            def cmp(rtype, a, b):
                # SEMVER ranges and Go: node-semver on the versions without "v"
                if rtype == "SEMVER" or scheme in ("semver", "go"):
                    return oracles["semver"](a.removeprefix("v"), b.removeprefix("v"))
                return oracles[scheme](a, b)

            seen = set()
            cases = []
            for rg in aff.get("ranges") or []:
                if rg["type"] == "GIT":
                    continue
                for e in rg["events"]:
                    kind, x = next(iter(e.items()))
                    if kind == "introduced" and x == "0":
                        cases.append((LOWEST[scheme], "lowest (introduced 0)"))
                        continue
                    below, above, equal = constructions(scheme, x)
                    below = [b for b in below if b]
                    ok_b = [b for b in below if cmp(rg["type"], b, x) < 0]
                    ok_a = [a for a in above if cmp(rg["type"], a, x) > 0]
                    ok_e = [q for q in equal if cmp(rg["type"], q, x) == 0]
                    if not ok_b or not ok_a or len(ok_e) != len(equal):
                        sys.exit(f"{rel}: no valid construction around {x!r}")
                    cases += [(b, f"below {kind} {x}") for b in ok_b]
                    cases.append((x, f"at {kind} {x}"))
                    cases += [(a, f"above {kind} {x}") for a in ok_a]
                    cases += [(q, f"equal to {kind} {x}") for q in ok_e]
            for listed in aff.get("versions") or []:
                cases.append((listed, "listed"))
            for v, why in cases:
                if (v, why) in seen:
                    continue
                seen.add((v, why))
                got = evaluate(cmp, aff, v)
                shown = "v" + v if go else v
                rows.append((rel, ai, shown, "yes" if got else "no", why))
    for s in ("semver", "rubygems", "maven"):
        oracles[s].p.stdin.close()
        oracles[s].p.wait()
    out = sys.stdout
    out.write("# generated by tests/versions/gen_boundaries.py: record\taffected\tversion\t"
              "expected\tcase\n")
    for r in rows:
        out.write("\t".join(str(x) for x in r) + "\n")


if __name__ == "__main__":
    main()
