#!/usr/bin/python3
"""A recording stand-in for the Azure CLI `az`, for the tests of deploy/azure's scripts.

There is no Azure account here, so this answers the few `az` commands those scripts use
from a small JSON state (logged in or not, subscriptions, registries, AKS clusters,
applications, service principals, managed identities with their federated credentials,
role assignments) with the JSON shapes the real az prints, applies the mutating commands to
that state, and records every call's argv. `--query` is JMESPath (the same library the real
az uses, python3-jmespath) and `-o json|tsv|none` are formatted as az formats them.

Files, in the directory $AZ_STANDIN_DIR: state.json (read and rewritten by each call) and
calls.jsonl (one JSON array of argv per call, appended). Errors go to stderr as
"ERROR: ..." with az's exit codes: 1 a refused operation, 2 a usage error, 3 not found.
A wrapper named `az` (az_standin_install) puts it first on PATH.
"""

import json
import os
import secrets
import sys
import uuid

import jmespath

ROLES = {  # Azure's built-in role definition ids (they are the same in every tenant)
    "AcrPull": "7f951dda-4ed3-4680-a7ca-43fe172d538d",
    "Reader": "acdd72a7-3385-48ef-bd42-f606fba81ae7",
}
FLAGS = {"--create-cert", "--yes", "-y", "--all", "--include-inherited", "--show-mine"}
MULTI = {"--audiences", "--ids", "--scopes"}  # options that take one or more values
ALIASES = {"-n": "--name", "-g": "--resource-group", "--resource-name": "--name",
           "--output": "-o", "--display-name": "--name"}


class AzError(Exception):
    def __init__(self, code, text):
        super().__init__(text)
        self.code = code


def parse(argv):
    """(command words, {option: value or [values] or True})."""
    words = []
    i = 0
    while i < len(argv) and not argv[i].startswith("-"):
        words.append(argv[i])
        i += 1
    opts = {}
    while i < len(argv):
        name = argv[i]
        if not name.startswith("-"):
            raise AzError(2, f"unrecognized arguments: {name}")
        i += 1
        key = ALIASES.get(name, name)
        if name in FLAGS:
            opts[key] = True
            continue
        vals = []
        while i < len(argv) and not argv[i].startswith("-") and (not vals or name in MULTI):
            vals.append(argv[i])
            i += 1
        if not vals:
            raise AzError(2, f"argument {name}: expected one argument")
        opts[key] = vals if name in MULTI else vals[0]
    return tuple(words), opts


def need(opts, name):
    if name not in opts:
        raise AzError(2, f"the following arguments are required: {name}")
    return opts[name]


def new_id():
    return str(uuid.uuid4())


def sub_of(st):
    return st["subscription_id"]


# ---- reads and writes, one function per command ----

def account_show(st, o):
    return {"environmentName": "AzureCloud", "homeTenantId": st["tenant_id"],
            "id": sub_of(st), "isDefault": True, "managedByTenants": [],
            "name": "regscan tests", "state": "Enabled", "tenantId": st["tenant_id"],
            "user": {"name": "admin@contoso.example", "type": "user"}}


def acr_show(st, o):
    name, rg = need(o, "--name"), o.get("--resource-group")
    for r in st["registries"]:
        if (r["name"].lower() == name.lower() and r["subscription"] == sub_of(st)
                and (rg is None or r["resourceGroup"].lower() == rg.lower())):
            rid = (f"/subscriptions/{r['subscription']}/resourceGroups/{r['resourceGroup']}"
                   f"/providers/Microsoft.ContainerRegistry/registries/{r['name']}")
            return {"adminUserEnabled": False, "anonymousPullEnabled": False,
                    "dataEndpointEnabled": False, "id": rid, "location": "westeurope",
                    "loginServer": r["loginServer"], "name": r["name"],
                    "provisioningState": "Succeeded", "publicNetworkAccess": "Enabled",
                    "resourceGroup": r["resourceGroup"],
                    "sku": {"name": "Standard", "tier": "Standard"}, "tags": {},
                    "type": "Microsoft.ContainerRegistry/registries"}
    raise AzError(3, f"(ResourceNotFound) The Resource 'Microsoft.ContainerRegistry/registries/"
                     f"{name}' under resource group '{rg}' was not found.")


def sp_view(st, sp):
    return {"accountEnabled": True, "appDisplayName": sp["displayName"], "appId": sp["appId"],
            "appOwnerOrganizationId": st["tenant_id"], "displayName": sp["displayName"],
            "id": sp["id"], "servicePrincipalNames": [sp["appId"]],
            "servicePrincipalType": "Application"}


def sp_list(st, o):
    sps = st["service_principals"]
    if "--name" in o:  # Graph's startswith(displayName, ...), as the real az does
        sps = [s for s in sps if s["displayName"].lower().startswith(o["--name"].lower())]
    if "--filter" in o:
        f = o["--filter"]
        if not (f.startswith("appId eq '") and f.endswith("'")):
            raise AzError(1, f"stand-in: unsupported --filter {f!r}")
        sps = [s for s in sps if s["appId"] == f[len("appId eq '"):-1]]
    return [sp_view(st, s) for s in sps]


def find_sp(st, ident):
    for s in st["service_principals"]:
        if ident in (s["appId"], s["id"]):
            return s
    raise AzError(1, f"Resource '{ident}' does not exist or one of its queried reference-"
                     "property objects are not present.")


def find_app(st, ident):
    for a in st["applications"]:
        if ident in (a["appId"], a["id"]):
            return a
    raise AzError(1, f"Resource '{ident}' does not exist or one of its queried reference-"
                     "property objects are not present.")


def sp_create(st, o):
    app = find_app(st, need(o, "--id"))
    if any(s["appId"] == app["appId"] for s in st["service_principals"]):
        raise AzError(1, "Another object with the same value for property servicePrincipalNames"
                         " already exists.")
    sp = {"appId": app["appId"], "id": new_id(), "displayName": app["displayName"]}
    st["service_principals"].append(sp)
    return sp_view(st, sp)


def sp_create_for_rbac(st, o):
    if "--role" in o or "--scopes" in o:
        raise AzError(1, "stand-in: the scripts assign roles themselves")
    name = need(o, "--name")
    apps = [a for a in st["applications"] if a["displayName"] == name]
    if apps:  # the real az patches the existing app: a new credential
        app = apps[0]
    else:
        app = {"appId": new_id(), "id": new_id(), "displayName": name,
               "federatedCredentials": [], "passwords": [], "certificates": []}
        st["applications"].append(app)
    if not any(s["appId"] == app["appId"] for s in st["service_principals"]):
        st["service_principals"].append({"appId": app["appId"], "id": new_id(),
                                         "displayName": name})
    out = {"appId": app["appId"], "displayName": name, "tenant": st["tenant_id"]}
    if o.get("--create-cert"):
        path = os.path.join(os.environ.get("HOME", "/tmp"), f"tmp{secrets.token_hex(4)}.pem")
        with open(path, "w") as f:
            f.write("stand-in: the real az writes the new certificate and its key here\n")
        app["certificates"].append(path)
        out.update({"fileWithCertAndPrivateKey": path, "password": None})
    else:
        pw = "Sx8Q~" + secrets.token_urlsafe(30)
        app["passwords"].append(pw)
        out["password"] = pw
    return out


def sp_delete(st, o):
    sp = find_sp(st, need(o, "--id"))
    st["service_principals"].remove(sp)


def app_delete(st, o):
    app = find_app(st, need(o, "--id"))
    st["applications"].remove(app)
    st["service_principals"] = [s for s in st["service_principals"]
                                if s["appId"] != app["appId"]]


def principal_ids(st):
    return ({s["id"] for s in st["service_principals"]}
            | {i["principalId"] for i in st["identities"]})


def ra_view(st, ra):
    sub = ra["scope"].split("/")[2]
    return {"condition": None, "conditionVersion": None, "createdBy": None,
            "createdOn": "2026-12-07T04:00:00+00:00",
            "delegatedManagedIdentityResourceId": None, "description": None,
            "id": ra["id"], "name": ra["id"].rsplit("/", 1)[1],
            "principalId": ra["principalId"], "principalType": ra["principalType"],
            "roleDefinitionId": f"/subscriptions/{sub}/providers/Microsoft.Authorization/"
                                f"roleDefinitions/{ROLES[ra['role']]}",
            "roleDefinitionName": ra["role"], "scope": ra["scope"],
            "type": "Microsoft.Authorization/roleAssignments", "updatedBy": None,
            "updatedOn": "2026-12-07T04:00:00+00:00"}


def role_matches(ra, role):
    return role is None or role in (ra["role"], ROLES[ra["role"]])


def ra_list(st, o):
    if "--scope" not in o and not o.get("--all"):
        raise AzError(1, "stand-in: role assignment list needs --scope or --all")
    if "--assignee" in o or "--include-inherited" in o:
        raise AzError(1, "stand-in: use --assignee-object-id, without --include-inherited")
    out = []
    for ra in st["role_assignments"]:
        if "--scope" in o and ra["scope"].lower() != o["--scope"].lower():
            continue
        if "--assignee-object-id" in o and ra["principalId"] != o["--assignee-object-id"]:
            continue
        if role_matches(ra, o.get("--role")):
            out.append(ra_view(st, ra))
    return out


def scope_exists(st, scope):
    subs = {f"/subscriptions/{s['id']}".lower() for s in st["subscriptions"]}
    regs = {(f"/subscriptions/{r['subscription']}/resourceGroups/{r['resourceGroup']}"
             f"/providers/Microsoft.ContainerRegistry/registries/{r['name']}").lower()
            for r in st["registries"]}
    return scope.lower() in subs | regs


def ra_create(st, o):
    pid, role, scope = need(o, "--assignee-object-id"), need(o, "--role"), need(o, "--scope")
    if role not in ROLES:
        raise AzError(1, f"Role '{role}' doesn't exist.")
    if pid not in principal_ids(st):
        raise AzError(1, f"(PrincipalNotFound) Principal {pid} does not exist in the directory.")
    if not scope_exists(st, scope):
        raise AzError(3, f"(InvalidScope) scope '{scope}' not found")
    if any(r["principalId"] == pid and r["role"] == role and r["scope"].lower() == scope.lower()
           for r in st["role_assignments"]):
        raise AzError(1, "(RoleAssignmentExists) The role assignment already exists.")
    ra = {"id": f"{scope}/providers/Microsoft.Authorization/roleAssignments/{new_id()}",
          "principalId": pid, "principalType": o.get("--assignee-principal-type", "User"),
          "role": role, "scope": scope}
    st["role_assignments"].append(ra)
    return ra_view(st, ra)


def ra_delete(st, o):
    ids = need(o, "--ids")
    for i in ids:
        found = [r for r in st["role_assignments"] if r["id"].lower() == i.lower()]
        if not found:
            raise AzError(3, f"role assignment '{i}' not found")
        st["role_assignments"].remove(found[0])


def aks_show(st, o):
    name, rg = need(o, "--name"), need(o, "--resource-group")
    for c in st["aks"]:
        if c["name"] == name and c["resourceGroup"] == rg:
            issuer = c.get("issuerUrl")
            return {"id": f"/subscriptions/{sub_of(st)}/resourcegroups/{rg}/providers/"
                          f"Microsoft.ContainerService/managedClusters/{name}",
                    "name": name, "resourceGroup": rg, "location": "westeurope",
                    "kubernetesVersion": "1.31.2", "provisioningState": "Succeeded",
                    "oidcIssuerProfile": {"enabled": bool(issuer), "issuerUrl": issuer},
                    "securityProfile": {"workloadIdentity": {"enabled": bool(issuer)}},
                    "type": "Microsoft.ContainerService/ManagedClusters"}
    raise AzError(3, f"(ResourceNotFound) The Resource 'Microsoft.ContainerService/"
                     f"managedClusters/{name}' under resource group '{rg}' was not found.")


def id_view(st, i):
    return {"clientId": i["clientId"],
            "id": f"/subscriptions/{sub_of(st)}/resourcegroups/{i['resourceGroup']}/providers/"
                  f"Microsoft.ManagedIdentity/userAssignedIdentities/{i['name']}",
            "location": "westeurope", "name": i["name"], "principalId": i["principalId"],
            "resourceGroup": i["resourceGroup"], "tags": {}, "tenantId": st["tenant_id"],
            "type": "Microsoft.ManagedIdentity/userAssignedIdentities"}


def find_identity(st, name, rg):
    for i in st["identities"]:
        if i["name"] == name and i["resourceGroup"] == rg:
            return i
    raise AzError(3, f"(ResourceNotFound) The Resource 'Microsoft.ManagedIdentity/"
                     f"userAssignedIdentities/{name}' under resource group '{rg}' was not found.")


def identity_list(st, o):
    rg = o.get("--resource-group")
    return [id_view(st, i) for i in st["identities"] if rg is None or i["resourceGroup"] == rg]


def identity_create(st, o):
    name, rg = need(o, "--name"), need(o, "--resource-group")
    found = [i for i in st["identities"] if i["name"] == name and i["resourceGroup"] == rg]
    if found:  # a PUT: the same identity again
        return id_view(st, found[0])
    i = {"name": name, "resourceGroup": rg, "clientId": new_id(), "principalId": new_id(),
         "federatedCredentials": []}
    st["identities"].append(i)
    return id_view(st, i)


def identity_delete(st, o):
    st["identities"].remove(find_identity(st, need(o, "--name"), need(o, "--resource-group")))


def fc_view(st, ident, fc):
    return {"audiences": fc["audiences"],
            "id": id_view(st, ident)["id"] + "/federatedIdentityCredentials/" + fc["name"],
            "issuer": fc["issuer"], "name": fc["name"], "resourceGroup": ident["resourceGroup"],
            "subject": fc["subject"], "systemData": None,
            "type": "Microsoft.ManagedIdentity/userAssignedIdentities/"
                    "federatedIdentityCredentials"}


def fc_list(st, o):
    ident = find_identity(st, need(o, "--identity-name"), need(o, "--resource-group"))
    return [fc_view(st, ident, fc) for fc in ident["federatedCredentials"]]


def fc_create(st, o):
    ident = find_identity(st, need(o, "--identity-name"), need(o, "--resource-group"))
    fc = {"name": need(o, "--name"), "issuer": need(o, "--issuer"),
          "subject": need(o, "--subject"), "audiences": need(o, "--audiences")}
    ident["federatedCredentials"] = [f for f in ident["federatedCredentials"]
                                     if f["name"] != fc["name"]] + [fc]
    return fc_view(st, ident, fc)


def fc_delete(st, o):
    ident = find_identity(st, need(o, "--identity-name"), need(o, "--resource-group"))
    name = need(o, "--name")
    if not any(f["name"] == name for f in ident["federatedCredentials"]):
        raise AzError(3, f"federated credential '{name}' not found")
    ident["federatedCredentials"] = [f for f in ident["federatedCredentials"]
                                     if f["name"] != name]


def app_fc_view(fc):
    return {"audiences": fc["audiences"], "description": None, "id": fc["id"],
            "issuer": fc["issuer"], "name": fc["name"], "subject": fc["subject"]}


def app_fc_list(st, o):
    return [app_fc_view(fc) for fc in find_app(st, need(o, "--id"))["federatedCredentials"]]


def app_fc_create(st, o):
    app = find_app(st, need(o, "--id"))
    p = need(o, "--parameters")
    try:
        params = json.loads(p)
    except ValueError:
        raise AzError(1, "--parameters: not JSON")
    fc = {"id": new_id(), "name": params["name"], "issuer": params["issuer"],
          "subject": params["subject"], "audiences": params["audiences"]}
    app["federatedCredentials"].append(fc)
    return app_fc_view(fc)


def app_fc_delete(st, o):
    app = find_app(st, need(o, "--id"))
    ref = need(o, "--federated-credential-id")
    keep = [f for f in app["federatedCredentials"] if ref not in (f["id"], f["name"])]
    if len(keep) == len(app["federatedCredentials"]):
        raise AzError(3, f"federated credential '{ref}' not found")
    app["federatedCredentials"] = keep


COMMANDS = {
    ("account", "show"): account_show,
    ("acr", "show"): acr_show,
    ("ad", "sp", "list"): sp_list,
    ("ad", "sp", "create"): sp_create,
    ("ad", "sp", "create-for-rbac"): sp_create_for_rbac,
    ("ad", "sp", "delete"): sp_delete,
    ("ad", "app", "delete"): app_delete,
    ("ad", "app", "federated-credential", "list"): app_fc_list,
    ("ad", "app", "federated-credential", "create"): app_fc_create,
    ("ad", "app", "federated-credential", "delete"): app_fc_delete,
    ("role", "assignment", "list"): ra_list,
    ("role", "assignment", "create"): ra_create,
    ("role", "assignment", "delete"): ra_delete,
    ("aks", "show"): aks_show,
    ("identity", "list"): identity_list,
    ("identity", "create"): identity_create,
    ("identity", "delete"): identity_delete,
    ("identity", "federated-credential", "list"): fc_list,
    ("identity", "federated-credential", "create"): fc_create,
    ("identity", "federated-credential", "delete"): fc_delete,
}


def tsv(value):
    """az's tsv (knack's _TsvOutput): a row per item of a list result; a row's fields are a
    list's items or an object's values sorted by key, nested lists as their length, nested
    objects empty, booleans lower case, null as None."""
    def cell(v):
        if isinstance(v, list):
            return str(len(v))
        if isinstance(v, dict):
            return ""
        return v if isinstance(v, str) else str(v)

    def row(v):
        if isinstance(v, dict):
            return "\t".join(cell(x) for _, x in sorted(v.items()))
        if isinstance(v, list):
            return "\t".join(cell(x) for x in v)
        if isinstance(v, bool):
            return cell(str(v).lower())
        return cell(v)
    return "".join(row(v) + "\n" for v in (value if isinstance(value, list) else [value]))


def emit(value, opts):
    if value is None:
        return
    if "--query" in opts:
        value = jmespath.search(opts["--query"], value)
    if value is None:  # az prints nothing for a null result
        return
    fmt = opts.get("-o", "json")
    if fmt == "none":
        return
    if fmt == "tsv":
        sys.stdout.write(tsv(value))
    elif fmt == "json":
        sys.stdout.write(json.dumps(value, indent=2) + "\n")
    else:
        raise AzError(2, f"stand-in: output format {fmt!r}")


def main(argv):
    d = os.environ["AZ_STANDIN_DIR"]
    with open(os.path.join(d, "calls.jsonl"), "a") as f:
        f.write(json.dumps(argv) + "\n")
    path = os.path.join(d, "state.json")
    with open(path) as f:
        st = json.load(f)
    try:
        words, opts = parse(argv)
        fn = COMMANDS.get(words)
        if fn is None:
            raise AzError(2, f"'{' '.join(words)}' is misspelled or not recognized by the "
                             "system.")
        if not st["logged_in"]:
            raise AzError(1, "Please run 'az login' to setup account.")
        value = fn(st, opts)
    except AzError as e:
        sys.stderr.write(f"ERROR: {e}\n")
        return e.code
    with open(path + ".new", "w") as f:
        json.dump(st, f, indent=1)
    os.replace(path + ".new", path)
    try:
        emit(value, opts)
    except AzError as e:
        sys.stderr.write(f"ERROR: {e}\n")
        return e.code
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
