#!/usr/bin/python3
"""deploy/azure's install.sh and cleanup.sh against a recording stand-in for `az`.

There is no Azure account here, so tests/helpers/az_standin.py plays `az` (first on PATH):
it keeps a JSON state (principals, apps, managed identities, federated credentials, role
assignments, registries, AKS clusters), answers reads from it, applies the mutating calls and
records every call. This test asserts, for the service-principal, --app-id, --cert and the
two workload-identity variants: the exact calls of a first install (reads, then changes),
that a second run and --dry-run make no mutating call ("nothing to change"; the dry run
prints each call it would make), that cleanup removes exactly what install created (the
state is back to the start, another principal's assignment untouched), that --all --yes
deletes the principal, that a new secret is printed once on stdout and nowhere else, and the
refusals (usage: exit 2; az missing, not logged in, unknown registry, no OIDC issuer: exit 3
with one line). Then it asks the REAL azure-cli (tests/tools/azure_cli_venv.sh, offline):
`az GROUP COMMAND --help` must list every option used, and every recorded command line,
replayed without a login, must pass az's own argument parsing and stop at "az login".
Needs no Kafka, Redis or registry.
"""

import copy
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
import harness as h  # noqa: E402

ROOT = h.ROOT
INSTALL = os.path.join(ROOT, "deploy", "azure", "install.sh")
CLEANUP = os.path.join(ROOT, "deploy", "azure", "cleanup.sh")
STANDIN = os.path.join(ROOT, "tests", "helpers", "az_standin.py")
VENV_SH = os.path.join(ROOT, "tests", "tools", "azure_cli_venv.sh")

t = h.Checks("azure_scripts")
TMP = tempfile.mkdtemp(prefix="regscan-azure-scripts-")

TENANT = "5f0c7a1e-3b7d-4c2e-9a61-0d8e2b4c6f10"
SUB1 = "0b6c3f7e-1a2d-4e5f-8a9b-1c2d3e4f5a61"
SUB2 = "0b6c3f7e-1a2d-4e5f-8a9b-1c2d3e4f5a62"
BYO_APP = "7d9e1f20-4b3c-4a5d-8e6f-a1b2c3d4e5f6"
LEGACY_OID = "2e4f6a8c-0b1d-4e3f-9a5b-7c9d1e3f5a70"
ISSUER = "https://127.0.0.1:8443/oidc/6a1b2c3d-4e5f/"
PROD_ID = (f"/subscriptions/{SUB1}/resourceGroups/rg-prod/providers/"
           "Microsoft.ContainerRegistry/registries/contosoprod")
DEV_ID = (f"/subscriptions/{SUB1}/resourceGroups/rg-dev/providers/"
          "Microsoft.ContainerRegistry/registries/contosodev")
INITIAL = {
    "logged_in": True, "tenant_id": TENANT, "subscription_id": SUB1,
    "subscriptions": [{"id": SUB1}, {"id": SUB2}],
    "registries": [
        {"name": "contosoprod", "resourceGroup": "rg-prod", "subscription": SUB1,
         "loginServer": "127.0.0.1:5101"},
        {"name": "contosodev", "resourceGroup": "rg-dev", "subscription": SUB1,
         "loginServer": "127.0.0.1:5102"}],
    "aks": [{"name": "aks1", "resourceGroup": "rg-aks", "issuerUrl": ISSUER},
            {"name": "aks-old", "resourceGroup": "rg-aks", "issuerUrl": None}],
    "applications": [
        {"appId": BYO_APP, "id": "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d", "displayName": "byo",
         "federatedCredentials": [], "passwords": [], "certificates": []},
        {"appId": "3c5e7a9b-1d2f-4a4b-8c6d-8e0f2a4b6c8d",
         "id": "4d6f8a0b-2c4e-4b5d-9e7f-9a1b3c5d7e9f", "displayName": "regscan-scanner-legacy",
         "federatedCredentials": [], "passwords": [], "certificates": []}],
    "service_principals": [  # a name that starts like the scripts' default: not to be touched
        {"appId": "3c5e7a9b-1d2f-4a4b-8c6d-8e0f2a4b6c8d", "id": LEGACY_OID,
         "displayName": "regscan-scanner-legacy"},
        {"appId": "5b7d9f1a-3c5e-4d6f-8a0b-2c4e6a8b0c1d",
         "id": "6c8e0a2b-4d6f-4e7a-9b1c-3d5f7b9d1f2a", "displayName": "twin"},
        {"appId": "8e0a2c4d-6f8a-4a0b-8c2e-4f6a8c0e2a3b",
         "id": "9f1b3d5e-7a9b-4b1c-9d3f-5a7b9d1f3b4c", "displayName": "twin"}],
    "identities": [],
    "role_assignments": [
        {"id": PROD_ID + "/providers/Microsoft.Authorization/roleAssignments/"
               "1f3a5c7e-9b1d-4f2a-8c4e-6a8c0e2a4c5d",
         "principalId": LEGACY_OID, "principalType": "ServicePrincipal", "role": "AcrPull",
         "scope": PROD_ID}],
}


class Az:
    """The stand-in's directory: bin/az (the wrapper), state.json, calls.jsonl."""

    def __init__(self):
        self.dir = os.path.join(TMP, "az")
        self.bin = os.path.join(self.dir, "bin")
        self.home = os.path.join(TMP, "home")
        os.makedirs(self.bin)
        os.makedirs(self.home)
        with open(os.path.join(self.bin, "az"), "w") as f:
            f.write(f'#!/bin/sh\nexec /usr/bin/python3 "{STANDIN}" "$@"\n')
        os.chmod(os.path.join(self.bin, "az"), 0o755)
        self.all_calls = []
        self.reset(INITIAL)

    def reset(self, state):
        with open(os.path.join(self.dir, "state.json"), "w") as f:
            json.dump(state, f)
        open(os.path.join(self.dir, "calls.jsonl"), "w").close()

    def state(self):
        with open(os.path.join(self.dir, "state.json")) as f:
            return json.load(f)

    def calls(self):
        """The calls since the last look (and forgets them)."""
        path = os.path.join(self.dir, "calls.jsonl")
        with open(path) as f:
            calls = [json.loads(line) for line in f]
        open(path, "w").close()
        self.all_calls += calls
        return calls

    def run(self, script, *args, path=None):
        env = {"PATH": path or f"{self.bin}:/usr/bin:/bin", "HOME": self.home,
               "AZ_STANDIN_DIR": self.dir, "LANG": "C.UTF-8"}
        return subprocess.run([script, *args], env=env, capture_output=True, text=True,
                              timeout=120, cwd=TMP)


az = Az()

# ---- the calls the scripts make ----
ACCOUNT = ["account", "show", "--query", "tenantId", "-o", "tsv"]


def acr_show(name, rg):
    return ["acr", "show", "--name", name, "--resource-group", rg, "--query",
            "[id, loginServer]", "-o", "tsv"]


def sp_list(name):
    return ["ad", "sp", "list", "--display-name", name, "--query",
            f"[?displayName=='{name}'].[appId, id]", "-o", "tsv"]


def sp_list_app(app):
    return ["ad", "sp", "list", "--filter", f"appId eq '{app}'", "--query", "[].[appId, id]",
            "-o", "tsv"]


def sp_read_back(app):
    return ["ad", "sp", "list", "--filter", f"appId eq '{app}'", "--query", "[].id", "-o", "tsv"]


def ra_list(oid, role, scope):
    return ["role", "assignment", "list", "--assignee-object-id", oid, "--role", role,
            "--scope", scope, "--query", "[].id", "-o", "tsv"]


def ra_create(oid, role, scope):
    return ["role", "assignment", "create", "--assignee-object-id", oid,
            "--assignee-principal-type", "ServicePrincipal", "--role", role, "--scope", scope,
            "-o", "none"]


def ra_delete(ra_id):
    return ["role", "assignment", "delete", "--ids", ra_id]


def identity_list(name, rg):
    return ["identity", "list", "--resource-group", rg, "--query",
            f"[?name=='{name}'].[clientId, principalId]", "-o", "tsv"]


def aks_show(name, rg):
    return ["aks", "show", "--name", name, "--resource-group", rg, "--query",
            "oidcIssuerProfile.issuerUrl", "-o", "tsv"]


FC_QUERY = f"[?issuer=='{ISSUER}' && subject=='system:serviceaccount:regscan:scanner'].name"


def find(items, **kv):
    found = [i for i in items if all(i.get(k) == v for k, v in kv.items())]
    return found[0] if len(found) == 1 else None


def assignments_of(state, oid):
    return sorted((r["role"], r["scope"], r["principalType"])
                  for r in state["role_assignments"] if r["principalId"] == oid)


def ids_of(state, oid, plan):
    """The assignment ids of oid in the order of plan [(role, scope)]."""
    out = []
    for role, scope in plan:
        out += [r["id"] for r in state["role_assignments"]
                if r["principalId"] == oid and r["role"] == role and r["scope"] == scope]
    return out


def last_line(text):
    lines = text.strip().splitlines()
    return lines[-1] if lines else ""


def snippet(stdout):
    """The tenants-file entry install.sh prints, parsed."""
    m = re.search(r'^tenants-file snippet \(one entry of "tenants"\):\n(    \{\n.*?\n    \})$',
                  stdout, re.M | re.S)
    if not m:
        return None
    return json.loads(m.group(1))


def would_run(stdout):
    return [line for line in stdout.splitlines() if line.startswith("would run: ")]


def files_containing(top, needle, skip):
    hits = []
    for d, _, files in os.walk(top):
        if d.startswith(skip):
            continue
        for name in files:
            p = os.path.join(d, name)
            try:
                with open(p, "rb") as f:
                    if needle.encode() in f.read():
                        hits.append(p)
            except OSError:
                pass
    return hits


# ---- the service principal with a secret, two registries, a subscription, discovery ----
def case_secret():
    args = ["--acr", "contosoprod", "--rg", "rg-prod", "--acr", "contosodev", "--rg", "rg-dev",
            "--subscription", SUB2, "--discover"]
    plan = [("AcrPull", PROD_ID), ("AcrPull", DEV_ID), ("AcrPull", f"/subscriptions/{SUB2}"),
            ("Reader", f"/subscriptions/{SUB2}"), ("Reader", f"/subscriptions/{SUB1}")]
    reads = [ACCOUNT, acr_show("contosoprod", "rg-prod"), acr_show("contosodev", "rg-dev"),
             sp_list("regscan-scanner")]
    az.reset(INITIAL)
    before_files = sorted(os.listdir(os.path.dirname(INSTALL)))

    p = az.run(INSTALL, *args, "--dry-run")
    t.eq(p.returncode, 0, "dry run on an empty tenant: exit code")
    t.eq(az.calls(), reads, "dry run on an empty tenant: only reads")
    t.eq(az.state(), INITIAL, "dry run on an empty tenant: state unchanged")
    new = "'<object ID of the new principal>'"
    t.eq(would_run(p.stdout),
         ["would run: az ad sp create-for-rbac --display-name regscan-scanner --query "
          "'[appId, password]' -o tsv"]
         + [f"would run: az role assignment create --assignee-object-id {new} "
            f"--assignee-principal-type ServicePrincipal --role {r} --scope {s} -o none"
            for r, s in plan], "dry run on an empty tenant: the calls it would make")
    t.eq(last_line(p.stdout), "dry run: 6 change(s) would be made; nothing was changed",
         "dry run on an empty tenant: last line")

    p = az.run(INSTALL, *args)
    t.eq(p.returncode, 0, "first install: exit code")
    st = az.state()
    app = find(st["applications"], displayName="regscan-scanner")
    sp = find(st["service_principals"], displayName="regscan-scanner")
    t.true(app and sp and app["appId"] == sp["appId"], "first install: one new app and its sp")
    if not (app and sp):
        print(p.stdout, p.stderr)
        return
    oid = sp["id"]
    t.eq(az.calls(), reads + [["ad", "sp", "create-for-rbac", "--display-name",
                               "regscan-scanner", "--query", "[appId, password]", "-o", "tsv"],
                              sp_read_back(app["appId"])]
         + [ra_create(oid, r, s) for r, s in plan], "first install: the exact calls")
    t.eq(assignments_of(st, oid), sorted((r, s, "ServicePrincipal") for r, s in plan),
         "first install: the assignments")
    t.eq(assignments_of(st, LEGACY_OID), [("AcrPull", PROD_ID, "ServicePrincipal")],
         "first install: the legacy principal's assignment untouched")
    t.eq(len(app["passwords"]), 1, "first install: one secret created")
    secret = app["passwords"][0]
    t.eq(p.stdout.count(secret), 1, "first install: the secret on stdout exactly once")
    t.eq(f"client secret: {secret}" in p.stdout.splitlines(), True,
         "first install: the secret's line")
    t.eq(p.stderr.count(secret), 0, "first install: the secret not on stderr")
    t.eq(files_containing(TMP, secret, az.dir), [],
         "first install: no file outside the stand-in's state holds the secret")
    t.eq(files_containing(os.path.dirname(INSTALL), secret, az.dir), [],
         "first install: no file in deploy/azure holds the secret")
    t.eq(sorted(os.listdir(os.path.dirname(INSTALL))), before_files,
         "first install: no file left in deploy/azure")
    t.eq([line for line in p.stdout.splitlines() if line.startswith(("tenant ID:", "client ID:"))],
         [f"tenant ID: {TENANT}", f"client ID: {app['appId']}"], "first install: the IDs")
    t.eq(snippet(p.stdout), {"name": "azure", "azure": {
        "tenant_id": TENANT, "client_id": app["appId"],
        "client_secret_env": "REGSCAN_AZURE_CLIENT_SECRET", "subscriptions": [SUB2, SUB1]}},
        "first install: the tenants-file snippet")
    t.eq(last_line(p.stdout), "done: 6 change(s) made", "first install: last line")
    installed = az.state()

    second_reads = reads + [ra_list(oid, r, s) for r, s in plan]
    for what, extra in (("second install", []), ("dry run after install", ["--dry-run"])):
        p = az.run(INSTALL, *args, *extra)
        t.eq(p.returncode, 0, f"{what}: exit code")
        t.eq(az.calls(), second_reads, f"{what}: only reads")
        t.eq(az.state(), installed, f"{what}: state unchanged")
        t.eq(last_line(p.stdout), "nothing to change", f"{what}: last line")
        t.eq(would_run(p.stdout), [], f"{what}: nothing it would run")
        t.eq(secret in p.stdout + p.stderr, False, f"{what}: no secret printed")
        t.eq(snippet(p.stdout)["azure"]["client_id"] if snippet(p.stdout) else None,
             app["appId"], f"{what}: the snippet again")

    ids = ids_of(installed, oid, plan)
    t.eq(len(ids), 5, "installed: five assignment ids")
    p = az.run(CLEANUP, *args, "--dry-run")
    t.eq(p.returncode, 0, "cleanup dry run: exit code")
    t.eq(az.calls(), second_reads, "cleanup dry run: only reads")
    t.eq(would_run(p.stdout), [f"would run: az role assignment delete --ids {i}" for i in ids],
         "cleanup dry run: the deletions it would make")
    t.eq(az.state(), installed, "cleanup dry run: state unchanged")

    p = az.run(CLEANUP, *args)
    t.eq(p.returncode, 0, "cleanup: exit code")
    t.eq(az.calls(), second_reads + [ra_delete(i) for i in ids], "cleanup: the exact calls")
    after = copy.deepcopy(INITIAL)
    after["applications"].append(app)
    after["service_principals"].append(sp)
    t.eq(az.state(), after, "cleanup: exactly the install's assignments removed")
    t.eq(last_line(p.stdout), "done: 5 change(s) made", "cleanup: last line")

    p = az.run(CLEANUP, *args)
    t.eq((p.returncode, last_line(p.stdout)), (0, "nothing to change"), "cleanup again")
    t.eq(az.calls(), second_reads, "cleanup again: only reads")

    p = az.run(CLEANUP, *args, "--all")
    t.eq((p.returncode, p.stdout), (2, ""), "cleanup --all without --yes: exit 2")
    t.eq(p.stderr.splitlines()[0] if p.stderr else "",
         "cleanup.sh: --all deletes the principal 'regscan-scanner': confirm with --yes",
         "cleanup --all without --yes: the line")
    t.eq(az.calls(), [], "cleanup --all without --yes: no call")

    p = az.run(CLEANUP, *args, "--all", "--yes")
    t.eq(p.returncode, 0, "cleanup --all --yes: exit code")
    t.eq(az.calls(), second_reads + [["ad", "app", "delete", "--id", app["appId"]]],
         "cleanup --all --yes: the exact calls")
    t.eq(az.state(), INITIAL, "cleanup --all --yes: the state of the start")

    p = az.run(CLEANUP, *args, "--all", "--yes")
    t.eq((p.returncode, p.stdout.splitlines()),
         (0, ["principal 'regscan-scanner' not found: it has no assignments to remove",
              "nothing to change"]), "cleanup --all --yes again")
    t.eq(az.calls(), reads, "cleanup --all --yes again: only reads")


# ---- an existing app registration (--app-id): its service principal, no credential ----
def case_app_id():
    args = ["--app-id", BYO_APP, "--acr", "contosoprod", "--rg", "rg-prod"]
    reads = [ACCOUNT, acr_show("contosoprod", "rg-prod"), sp_list_app(BYO_APP)]
    az.reset(INITIAL)
    p = az.run(INSTALL, *args)
    t.eq(p.returncode, 0, "--app-id install: exit code")
    sp = find(az.state()["service_principals"], appId=BYO_APP)
    oid = sp["id"] if sp else "?"
    t.eq(az.calls(), reads + [["ad", "sp", "create", "--id", BYO_APP, "--query", "id", "-o",
                               "tsv"], ra_create(oid, "AcrPull", PROD_ID)],
         "--app-id install: the exact calls")
    t.eq(f"credential: the principal's existing one (none was created); to add one: "
         f"az ad sp credential reset --id {BYO_APP} --append" in p.stdout.splitlines(), True,
         "--app-id install: no credential made, says how to add one")
    t.eq(snippet(p.stdout), {"name": "azure", "azure": {
        "tenant_id": TENANT, "client_id": BYO_APP,
        "client_secret_env": "REGSCAN_AZURE_CLIENT_SECRET"},
        "registries": [{"url": "https://127.0.0.1:5101", "auth": {"type": "azure"}}]},
        "--app-id install: the snippet lists the registry")
    ids = ids_of(az.state(), oid, [("AcrPull", PROD_ID)])
    p = az.run(CLEANUP, *args, "--all", "--yes")
    t.eq(p.returncode, 0, "--app-id cleanup --all --yes: exit code")
    t.eq(az.calls(), reads + [ra_list(oid, "AcrPull", PROD_ID), ra_delete(ids[0]),
                              ["ad", "sp", "delete", "--id", BYO_APP]],
         "--app-id cleanup --all --yes: the exact calls (the app itself stays)")
    t.eq(az.state(), INITIAL, "--app-id cleanup --all --yes: the state of the start")


# ---- --cert: a certificate credential instead of a secret ----
def case_cert():
    args = ["--sp-name", "regscan-cert", "--acr", "contosodev", "--rg", "rg-dev"]
    az.reset(INITIAL)
    p = az.run(INSTALL, *args, "--cert")
    t.eq(p.returncode, 0, "--cert install: exit code")
    st = az.state()
    app = find(st["applications"], displayName="regscan-cert")
    sp = find(st["service_principals"], displayName="regscan-cert")
    oid = sp["id"] if sp else "?"
    t.eq(az.calls(), [ACCOUNT, acr_show("contosodev", "rg-dev"), sp_list("regscan-cert"),
                      ["ad", "sp", "create-for-rbac", "--display-name", "regscan-cert",
                       "--create-cert", "--query", "[appId, fileWithCertAndPrivateKey]", "-o",
                       "tsv"], sp_read_back(app["appId"] if app else "?"),
                      ra_create(oid, "AcrPull", DEV_ID)],
         "--cert install: the exact calls")
    pem = app["certificates"][0] if app and app["certificates"] else "?"
    t.eq(app["passwords"] if app else None, [], "--cert install: no secret")
    t.eq(f"certificate and private key: {pem} (written by az: move it into a Kubernetes Secret "
         "mounted as client_certificate_file, then delete this copy)" in p.stdout.splitlines(),
         True, "--cert install: names az's certificate file")
    t.eq((snippet(p.stdout) or {}).get("azure"), {
        "tenant_id": TENANT, "client_id": app["appId"] if app else None,
        "client_certificate_file": "/etc/regscan/azure/client.pem"},
        "--cert install: the snippet's azure block")
    if os.path.exists(pem):
        os.unlink(pem)
    p = az.run(CLEANUP, *args, "--all", "--yes")
    t.eq(p.returncode, 0, "--cert cleanup --all --yes: exit code")
    az.calls()
    t.eq(az.state(), INITIAL, "--cert cleanup --all --yes: the state of the start")


# ---- AKS workload identity: a user-assigned managed identity, or an app ----
WI_ARGS = ["--workload-identity", "--aks", "aks1", "--aks-rg", "rg-aks", "--namespace",
           "regscan", "--service-account", "scanner", "--acr", "contosoprod", "--rg", "rg-prod"]


def case_wi_identity():
    args = WI_ARGS + ["--sp-name", "regscan-wi"]
    reads = [ACCOUNT, acr_show("contosoprod", "rg-prod"), aks_show("aks1", "rg-aks"),
             identity_list("regscan-wi", "rg-aks")]
    az.reset(INITIAL)
    p = az.run(INSTALL, *args)
    t.eq(p.returncode, 0, "workload identity install: exit code")
    st = az.state()
    ident = find(st["identities"], name="regscan-wi")
    oid = ident["principalId"] if ident else "?"
    t.eq(az.calls(), reads + [
        ["identity", "create", "--name", "regscan-wi", "--resource-group", "rg-aks", "--query",
         "[clientId, principalId]", "-o", "tsv"],
        ["identity", "federated-credential", "create", "--name", "regscan-regscan-scanner",
         "--identity-name", "regscan-wi", "--resource-group", "rg-aks", "--issuer", ISSUER,
         "--subject", "system:serviceaccount:regscan:scanner", "--audiences",
         "api://AzureADTokenExchange", "-o", "none"],
        ra_create(oid, "AcrPull", PROD_ID)], "workload identity install: the exact calls")
    t.eq(ident["federatedCredentials"] if ident else None, [{
        "name": "regscan-regscan-scanner", "issuer": ISSUER,
        "subject": "system:serviceaccount:regscan:scanner",
        "audiences": ["api://AzureADTokenExchange"]}],
        "workload identity install: the federated credential")
    t.eq((snippet(p.stdout) or {}).get("azure"), {
        "tenant_id": TENANT, "client_id": ident["clientId"] if ident else None,
        "federated_token_file": "/var/run/secrets/azure/tokens/azure-identity-token"},
        "workload identity install: the snippet's azure block")
    t.eq([ln for ln in p.stdout.splitlines() if "client secret" in ln or "client_secret" in ln],
         [], "workload identity install: no secret at all")
    installed = az.state()
    p = az.run(INSTALL, *args)
    t.eq((p.returncode, last_line(p.stdout)), (0, "nothing to change"),
         "workload identity second install")
    t.eq(az.calls(), reads + [
        ["identity", "federated-credential", "list", "--identity-name", "regscan-wi",
         "--resource-group", "rg-aks", "--query", FC_QUERY, "-o", "tsv"],
        ra_list(oid, "AcrPull", PROD_ID)], "workload identity second install: only reads")
    t.eq(az.state(), installed, "workload identity second install: state unchanged")

    ids = ids_of(installed, oid, [("AcrPull", PROD_ID)])
    cargs = ["--workload-identity", "--aks-rg", "rg-aks", "--namespace", "regscan",
             "--service-account", "scanner", "--acr", "contosoprod", "--rg", "rg-prod",
             "--sp-name", "regscan-wi", "--all", "--yes"]
    p = az.run(CLEANUP, *cargs)
    t.eq(p.returncode, 0, "workload identity cleanup --all --yes: exit code")
    t.eq(az.calls(), [ACCOUNT, acr_show("contosoprod", "rg-prod"),
                      identity_list("regscan-wi", "rg-aks"), ra_list(oid, "AcrPull", PROD_ID),
                      ["identity", "federated-credential", "list", "--identity-name",
                       "regscan-wi", "--resource-group", "rg-aks", "--query",
                       "[?name=='regscan-regscan-scanner'].name", "-o", "tsv"],
                      ra_delete(ids[0] if ids else "?"),
                      ["identity", "federated-credential", "delete", "--name",
                       "regscan-regscan-scanner", "--identity-name", "regscan-wi",
                       "--resource-group", "rg-aks", "--yes"],
                      ["identity", "delete", "--name", "regscan-wi", "--resource-group",
                       "rg-aks"]], "workload identity cleanup --all --yes: the exact calls")
    t.eq(az.state(), INITIAL, "workload identity cleanup --all --yes: the state of the start")


def case_wi_app():
    args = WI_ARGS + ["--app-id", BYO_APP]
    az.reset(INITIAL)
    p = az.run(INSTALL, *args)
    t.eq(p.returncode, 0, "workload identity (app) install: exit code")
    st = az.state()
    sp = find(st["service_principals"], appId=BYO_APP)
    oid = sp["id"] if sp else "?"
    params = {"name": "regscan-regscan-scanner", "issuer": ISSUER,
              "subject": "system:serviceaccount:regscan:scanner",
              "audiences": ["api://AzureADTokenExchange"]}
    calls = az.calls()
    fc_call = calls[5] if len(calls) == 7 else []
    t.eq(calls[:5] + calls[6:], [
        ACCOUNT, acr_show("contosoprod", "rg-prod"), aks_show("aks1", "rg-aks"),
        sp_list_app(BYO_APP), ["ad", "sp", "create", "--id", BYO_APP, "--query", "id", "-o",
                               "tsv"], ra_create(oid, "AcrPull", PROD_ID)],
        "workload identity (app) install: the exact calls")
    t.eq(fc_call[:6], ["ad", "app", "federated-credential", "create", "--id", BYO_APP],
         "workload identity (app) install: the app's federated credential call")
    t.eq(json.loads(fc_call[7]) if len(fc_call) > 7 and fc_call[6] == "--parameters" else None,
         params, "workload identity (app) install: its --parameters")
    p = az.run(CLEANUP, "--workload-identity", "--namespace", "regscan", "--service-account",
               "scanner", "--app-id", BYO_APP, "--acr", "contosoprod", "--rg", "rg-prod",
               "--all", "--yes")
    t.eq(p.returncode, 0, "workload identity (app) cleanup: exit code")
    t.eq([c[:4] for c in az.calls()][-3:],
         [["role", "assignment", "delete", "--ids"],
          ["ad", "app", "federated-credential", "delete"], ["ad", "sp", "delete", "--id"]],
         "workload identity (app) cleanup: the last calls")
    t.eq(az.state(), INITIAL, "workload identity (app) cleanup: the state of the start")


# ---- refusals ----
def one_line(p, code, line, what):
    t.eq((p.returncode, p.stdout, p.stderr), (code, "", line + "\n"), what)


def case_refusals():
    az.reset(INITIAL)
    no_az = "/usr/bin:/bin"
    t.eq(shutil.which("az", path=no_az), None, "no az in /usr/bin:/bin")
    for script in (INSTALL, CLEANUP):
        name = os.path.basename(script)
        one_line(az.run(script, "--acr", "contosoprod", "--rg", "rg-prod", path=no_az), 3,
                 f"{name}: the Azure CLI 'az' is not on PATH: install azure-cli, then run "
                 "'az login'", f"{name} without az")
    t.eq(az.calls(), [], "without az: no call")

    st = copy.deepcopy(INITIAL)
    st["logged_in"] = False
    az.reset(st)
    for script in (INSTALL, CLEANUP):
        name = os.path.basename(script)
        one_line(az.run(script, "--acr", "contosoprod", "--rg", "rg-prod"), 3,
                 f"{name}: az is not logged in ('az account show' failed): run 'az login' first",
                 f"{name} not logged in")
        t.eq(az.calls(), [ACCOUNT], f"{name} not logged in: the one call")

    az.reset(INITIAL)
    one_line(az.run(INSTALL, "--acr", "nosuchreg", "--rg", "rg-prod"), 3,
             "install.sh: registry 'nosuchreg' not found in resource group 'rg-prod' of the "
             "current subscription (az acr show failed)", "unknown registry")
    one_line(az.run(INSTALL, "--sp-name", "twin", "--acr", "contosoprod", "--rg", "rg-prod"), 3,
             "install.sh: 2 service principals are named 'twin': use --app-id",
             "two principals of one name")
    one_line(az.run(INSTALL, *WI_ARGS[:2], "aks-old", *WI_ARGS[3:]), 3,
             "install.sh: AKS cluster 'aks-old' has no OIDC issuer: enable it with 'az aks update "
             "--resource-group rg-aks --name aks-old --enable-oidc-issuer "
             "--enable-workload-identity'", "AKS cluster without an OIDC issuer")
    az.calls()
    t.eq(az.state(), INITIAL, "refusals: state unchanged")

    usage = [
        ([], "install.sh: name at least one registry: --acr NAME --rg GROUP "
             "(or --subscription ID)"),
        (["--acr", "contosoprod"], "install.sh: each --acr needs its --rg"),
        (["--acr", "contosoprod", "--rg", "rg-prod", "--frobnicate"],
         "install.sh: unknown option '--frobnicate'"),
        (["--acr", "x;rm", "--rg", "rg-prod"], "install.sh: --acr 'x;rm' is not valid"),
        (["--acr", "contosoprod", "--rg", "rg-prod", "--sp-name", "a", "--app-id", BYO_APP],
         "install.sh: --sp-name and --app-id exclude each other"),
        (["--workload-identity", "--acr", "contosoprod", "--rg", "rg-prod"],
         "install.sh: --workload-identity needs --aks, --aks-rg, --namespace, --service-account"),
    ]
    for args, line in usage:
        p = az.run(INSTALL, *args)
        t.eq((p.returncode, p.stdout, p.stderr.splitlines()[:1]), (2, "", [line]),
             f"usage error {args}")
    p = az.run(CLEANUP)
    t.eq((p.returncode, p.stderr.splitlines()[:1]),
         (2, ["cleanup.sh: name the registries (--acr NAME --rg GROUP, --subscription ID) or "
              "--all --yes"]), "cleanup.sh without arguments")
    t.eq(az.calls(), [], "usage errors: no call")


# ---- every recorded command and option exists in the real azure-cli ----
def help_options(az_bin, words, env):
    """The options `az WORDS --help` lists, or None when az does not know the command."""
    p = subprocess.run([az_bin, *words, "--help"], env=env, capture_output=True, text=True,
                       timeout=120)
    if p.returncode != 0:
        return None
    opts = set()
    for line in p.stdout.splitlines():
        m = re.match(r"^    (-[^:]*?)\s*(?:\[[^\]]*\]\s*)?:", line)
        if m:
            opts.update(tok for tok in m.group(1).split() if tok.startswith("-"))
    return opts


def case_real_cli():
    p = subprocess.run([VENV_SH], capture_output=True, text=True, timeout=1500)
    t.eq(p.returncode, 0, f"azure_cli_venv.sh: exit code ({p.stderr.strip()})")
    if p.returncode != 0:
        return
    az_bin = p.stdout.strip()
    cfg = os.path.join(TMP, "azure-config")
    os.makedirs(cfg)
    env = {"PATH": "/usr/bin:/bin", "HOME": TMP, "AZURE_CONFIG_DIR": cfg,
           "AZURE_CORE_COLLECT_TELEMETRY": "false", "LANG": "C.UTF-8"}
    used = {}
    for argv in az.all_calls:
        words = tuple(w for w in argv[:4] if not w.startswith("-"))
        words = words[:next((i for i, w in enumerate(argv) if w.startswith("-")), len(argv))]
        used.setdefault(words, set()).update(a for a in argv if a.startswith("-"))
    t.eq(len(used), 20, "distinct az commands the scripts used")
    n_opts = 0
    for words in sorted(used):
        known = help_options(az_bin, list(words), env)
        t.true(known is not None, f"real az knows 'az {' '.join(words)}'")
        missing = sorted(used[words] - (known or set()))
        n_opts += len(used[words])
        t.eq(missing, [], f"real az: options of 'az {' '.join(words)}'")
    print(f"real azure-cli: {len(used)} commands, {n_opts} options checked", flush=True)
    # The real az parses and validates a whole command line (option names, required options,
    # choices such as --assignee-principal-type, the JMESPath of --query, -o) before it asks
    # for a login: each recorded call, replayed with no login, must get only as far as that.
    distinct = sorted({tuple(c) for c in az.all_calls})
    for argv in distinct:
        p = subprocess.run([az_bin, *argv], env=env, capture_output=True, text=True, timeout=120)
        t.eq((p.returncode, p.stderr.splitlines()[:1]),
             (1, ["ERROR: Please run 'az login' to setup account."]),
             f"real az parses: az {' '.join(argv)}")
    print(f"real azure-cli: {len(distinct)} recorded command lines parsed", flush=True)


case_refusals()
case_secret()
case_app_id()
case_cert()
case_wi_identity()
case_wi_app()
case_real_cli()
if t.failed == 0:
    shutil.rmtree(TMP)  # kept when something failed, to look at the stand-in's state
t.finish()
