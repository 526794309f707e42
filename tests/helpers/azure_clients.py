"""Drives Microsoft's own Python clients (msal, azure-identity, azure-mgmt-*) against the
Azure stand-in and prints what they observed as one JSON object (test helper).

Run with the venv of tests/tools/azure_venv.sh by tests/integration/test_azure_standin.py,
which runs the stand-in and asserts on this output and on the stand-in's recorded requests:
    azure_clients.py INPUT.json   (authority, arm, tenant, clients, files; see the test)
REQUESTS_CA_BUNDLE must name the stand-in's CA. Every call is wrapped: an exception becomes
{"error": type, "status": ..., "message": ...} so the test sees exactly what was raised.
"""

import base64
import json
import os
import sys
import time


def claims_of(jwt):
    part = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def attempt(fn):
    try:
        return fn()
    except Exception as e:  # noqa: BLE001 - the test asserts on whatever was raised
        err = getattr(e, "error", None)
        return {"error": type(e).__name__, "status": getattr(e, "status_code", None),
                "code": getattr(err, "code", None), "message": str(e)}


def msal_app(cfg, client_id, credential, tenant=None):
    import msal
    return msal.ConfidentialClientApplication(
        client_id, client_credential=credential,
        authority="%s/%s" % (cfg["authority"], tenant or cfg["tenant"]),
        instance_discovery=False)


def msal_result(app, scope):
    r = app.acquire_token_for_client(scopes=[scope])
    out = {k: r.get(k) for k in ("token_type", "expires_in", "error", "error_codes",
                                 "token_source")}
    if r.get("access_token"):
        out["claims"] = claims_of(r["access_token"])
    return out


def run_msal(cfg):
    arm = cfg["arm"] + "/.default"
    c = cfg["clients"]
    out = {}
    app = msal_app(cfg, c["secret"]["id"], c["secret"]["secret"])
    out["secret"] = msal_result(app, arm)
    out["secret_again"] = msal_result(app, arm)
    with open(c["cert"]["key_file"]) as f:
        key = f.read()
    with open(c["cert"]["cert_file"]) as f:
        cert = f.read()
    out["cert_public"] = attempt(lambda: msal_result(msal_app(
        cfg, c["cert"]["id"], {"private_key": key, "public_certificate": cert}), arm))
    out["cert_thumbprint"] = attempt(lambda: msal_result(msal_app(
        cfg, c["cert"]["id"], {"private_key": key, "thumbprint": c["cert"]["sha1_hex"]}), arm))
    out["wrong_secret"] = attempt(lambda: msal_result(msal_app(
        cfg, c["secret"]["id"], "wrong-" + c["secret"]["secret"]), arm))
    out["unknown_client"] = attempt(lambda: msal_result(msal_app(
        cfg, "no-such-client", c["secret"]["secret"]), arm))
    out["wrong_tenant"] = attempt(lambda: msal_result(msal_app(
        cfg, c["secret"]["id"], c["secret"]["secret"], tenant="no-such-tenant"), arm))
    return out


def token_out(tok):
    return {"expires_on": tok.expires_on, "claims": claims_of(tok.token)}


def run_identity(cfg):
    from azure.identity import (CertificateCredential, ClientSecretCredential,
                                WorkloadIdentityCredential)
    from azure.identity._credentials import workload_identity
    arm = cfg["arm"] + "/.default"
    c = cfg["clients"]
    kw = {"authority": cfg["authority"], "disable_instance_discovery": True}
    out = {}
    out["secret"] = attempt(lambda: token_out(ClientSecretCredential(
        cfg["tenant"], c["secret"]["id"], c["secret"]["secret"], **kw).get_token(arm)))
    out["cert"] = attempt(lambda: token_out(CertificateCredential(
        cfg["tenant"], c["cert"]["id"], c["cert"]["pem_file"], **kw).get_token(arm)))
    out["wrong_secret"] = attempt(lambda: token_out(ClientSecretCredential(
        cfg["tenant"], c["secret"]["id"], "wrong-" + c["secret"]["secret"], **kw)
        .get_token(arm)))
    out["expired_cert"] = attempt(lambda: token_out(CertificateCredential(
        cfg["tenant"], c["expired"]["id"], c["expired"]["pem_file"], **kw).get_token(arm)))
    fed = c["federated"]
    wi = WorkloadIdentityCredential(tenant_id=cfg["tenant"], client_id=fed["id"],
                                    token_file_path=fed["token_file"], **kw)
    out["workload"] = attempt(lambda: token_out(wi.get_token(arm)))
    # the kubelet rotates the file; azure-identity re-reads it once its 600 s are over:
    # move this module's clock past that, and ask for another scope (no cached token)
    os.replace(fed["next_token_file"], fed["token_file"])
    real = workload_identity.time

    class Later:
        @staticmethod
        def time():
            return real.time() + 601
    workload_identity.time = Later
    try:
        out["workload_rotated"] = attempt(lambda: token_out(wi.get_token(cfg["acr_scope"])))
    finally:
        workload_identity.time = real
    return out


def run_mgmt(cfg):
    from azure.identity import ClientSecretCredential
    from azure.mgmt.containerregistry import ContainerRegistryManagementClient
    from azure.mgmt.resource.subscriptions import SubscriptionClient
    c = cfg["clients"]["secret"]
    cred = ClientSecretCredential(cfg["tenant"], c["id"], c["secret"],
                                  authority=cfg["authority"], disable_instance_discovery=True)
    kw = {"base_url": cfg["arm"], "credential_scopes": [cfg["arm"] + "/.default"]}
    out = {}
    subs = SubscriptionClient(cred, **kw)
    out["subscriptions"] = attempt(lambda: [
        {"id": s.subscription_id, "name": s.display_name, "tenant": s.tenant_id,
         "state": s.state} for s in subs.subscriptions.list()])
    out["registries"] = {}
    for sub in cfg["subscriptions"]:
        client = ContainerRegistryManagementClient(cred, sub, **kw)
        out["registries"][sub] = attempt(lambda: [
            {"name": r.name, "login_server": r.login_server, "sku": r.sku.name,
             "state": r.provisioning_state, "type": r.type}
            for r in client.registries.list()])
    return out


def main():
    with open(sys.argv[1]) as f:
        cfg = json.load(f)
    t0 = time.time()
    out = {"msal": run_msal(cfg), "identity": run_identity(cfg), "mgmt": run_mgmt(cfg)}
    out["seconds"] = round(time.time() - t0, 1)
    json.dump(out, sys.stdout, indent=1, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
