#!/usr/bin/python3
"""Prints regscan.image-report/v1 documents (JSON lines on stdin, as `kcat -C -e` writes
them) as a short table: one block per image and tenant, with its tags, packages,
vulnerabilities, secrets (as the report has them: redacted), misconfigurations and the
policy's verdict.
With --inventory FILE (JSON lines of regscan.image-inventory/v1) the packages are listed."""

import argparse
import json
import sys


def show_findings(rep):
    """Vulnerabilities, secrets, misconfigurations, what the policy suppressed, its verdict."""
    sev = rep["summary"].get("vulnerabilities", {})
    vulns = rep.get("vulnerabilities", [])
    if rep.get("vulndb_version") is None:
        print("  vulnerabilities  not matched (no vulnerability snapshot yet)")
    else:
        print(f"  vulnerabilities  {len(vulns)} (" +
              ", ".join(f"{k} {sev.get(k, 0)}" for k in ("critical", "high", "medium", "low")) +
              f"), fixable {rep['summary'].get('fixable', 0)}, snapshot {rep['vulndb_version']}")
    for v in vulns:
        fix = v.get("remediation") or ""
        print(f"      {v['severity']:<9} {v['id']:<24} {v['package']} {v['installed_version']}  {fix}")
    for sc in rep.get("secrets", []):
        print(f"  secret    {sc.get('severity', ''):<9} {sc.get('rule', '')}  {sc.get('path', '')}:"
              f"{sc.get('line', '')}  {sc.get('match', '')}")
    for m in rep.get("misconfigurations", []):
        print(f"  config    {m.get('severity', ''):<9} {m.get('id', '')}  {m.get('title', '')}")
    for sp in rep.get("suppressed", []):
        by = sp.get("suppressed_by", {})
        print(f"  suppressed {sp.get('id') or sp.get('rule')} by {by.get('by')}: "
              f"{by.get('reason') or by.get('justification') or by.get('document') or ''}")
    pol = rep.get("policy") or {}
    if pol.get("version"):
        viol = pol.get("violations", [])
        print(f"  policy    {pol.get('verdict', '').upper()} ({pol.get('name') or 'policy'}), "
              f"{len(viol)} violations" + (": " + ", ".join(sorted({v['rule'] for v in viol}))
                                            if viol else ""))


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
            print(f"  os        {osv.get('pretty_name') or osv.get('id') or 'unknown'}"
                  f"{'  (end of life)' if osv.get('eol') else ''}")
            if osv.get("coverage"):
                print(f"            {osv['coverage']}")
            print(f"  packages  {rep['summary']['packages']}")
            for p in sorted(invs.get((rep["tenant"], rep["digest"]), []),
                            key=lambda p: (p.get("ecosystem") or "", p["name"])):
                src = p.get("source") or {}
                s = f" (source {src['name']} {src['version']})" if src and src.get("name") != p["name"] else ""
                print(f"      {p.get('ecosystem') or p.get('type', ''):<12} {p['name']:<40} {p['version']}{s}")
            show_findings(rep)
        else:
            err = rep.get("error") or {}
            print(f"  error     {err.get('code')}: {err.get('message')}")
        print()
    print(f"{n} reports")


if __name__ == "__main__":
    sys.exit(main())
