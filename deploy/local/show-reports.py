#!/usr/bin/python3
"""Prints regscan.image-report/v1 documents (JSON lines on stdin, as `kcat -C -e` writes
them) as a short table: one block per image and tenant, with its tags and packages.
With --inventory FILE (JSON lines of regscan.image-inventory/v1) the packages are listed."""

import argparse
import json
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--inventory")
    a = ap.parse_args()
    invs = {}
    if a.inventory:
        with open(a.inventory) as f:
            for line in f:
                line = line.strip()
                if line.startswith("{"):
                    v = json.loads(line)
                    invs.setdefault((v["tenant"], v["digest"]), []).extend(v.get("packages", []))
    seen = set()
    n = 0
    for line in sys.stdin:
        line = line.strip()
        if not line.startswith("{"):
            continue
        rep = json.loads(line)
        key = (rep.get("tenant"), rep.get("digest"), rep.get("part"))
        if key in seen:
            continue  # at-least-once: a consumer drops what it has seen
        seen.add(key)
        n += 1
        refs = ", ".join(f"{r['registry']}/{r['repository']}:{t}" for r in rep.get("refs", [])
                         for t in r.get("tags", []))
        osv = rep.get("os") or {}
        plat = rep.get("platform") or {}
        print(f"tenant {rep['tenant']}  {rep['status'].upper()}  {rep['digest'][:19]}…  "
              f"{plat.get('os', '')}/{plat.get('architecture', '')}{'/' + plat['variant'] if plat.get('variant') else ''}")
        print(f"  refs      {refs}")
        if rep["status"] == "ok":
            print(f"  os        {osv.get('pretty_name') or osv.get('id') or 'unknown'}")
            print(f"  packages  {rep['summary']['packages']}")
            for p in sorted(invs.get((rep["tenant"], rep["digest"]), []), key=lambda p: p["name"]):
                src = p.get("source") or {}
                s = f" (source {src['name']} {src['version']})" if src and src.get("name") != p["name"] else ""
                print(f"      {p['name']:<28} {p['version']}{s}")
        else:
            err = rep.get("error") or {}
            print(f"  error     {err.get('code')}: {err.get('message')}")
        print()
    print(f"{n} reports")


if __name__ == "__main__":
    sys.exit(main())
