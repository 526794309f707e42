#!/usr/bin/env bash
# deploy/azure/install.sh - gives regscan an Azure identity that can pull from the named
# container registries: creates (or reuses) the service principal, or for AKS workload
# identity a user-assigned managed identity (or an app) with a federated credential, assigns
# AcrPull (and with --discover the Reader role discovery needs) and prints the tenants-file
# snippet. Idempotent: it reads first and creates only what is missing. deploy/azure/README.md.
set -euo pipefail
. "$(dirname "$0")/common.sh"

usage() {
    cat <<'USAGE'
usage: install.sh --acr NAME --rg GROUP [--acr NAME --rg GROUP]... [--subscription ID]...
                  [--sp-name NAME | --app-id ID] [--cert] [--discover] [--dry-run]
       install.sh --workload-identity --aks NAME --aks-rg GROUP --namespace NS
                  --service-account SA [--identity-rg GROUP] --acr NAME --rg GROUP ...
                  [--sp-name NAME | --app-id ID] [--discover] [--dry-run]
  --acr/--rg        a registry (az acr show) that gets an AcrPull assignment
  --subscription    AcrPull on a whole subscription (every registry in it)
  --sp-name NAME    the principal's display name (default regscan-scanner); with
                    --workload-identity the managed identity's name
  --app-id ID       an existing app registration instead (no credential is created)
  --cert            a new principal gets a self-signed certificate instead of a secret
  --discover        also Reader on each subscription involved (Resource Manager discovery)
  --dry-run         read only: print each call that would change something
Exit codes: 0 done, 2 usage, 3 az missing, not logged in, or Azure refused.
USAGE
}

# check_mode: the options fit together.
check_mode() {
    [ "$ALL" = 0 ] && [ "$YES" = 0 ] || die_usage "--all and --yes are options of cleanup.sh"
    [ ${#ACRS[@]} -gt 0 ] || [ ${#SUBS[@]} -gt 0 ] ||
        die_usage "name at least one registry: --acr NAME --rg GROUP (or --subscription ID)"
    if [ "$WI" = 1 ]; then
        [ -n "$AKS" ] && [ -n "$AKS_RG" ] && [ -n "$NAMESPACE" ] && [ -n "$SERVICE_ACCOUNT" ] ||
            die_usage "--workload-identity needs --aks, --aks-rg, --namespace, --service-account"
        [ "$CERT" = 0 ] || die_usage "--cert: workload identity uses no credential of its own"
    else
        [ -z "$AKS$AKS_RG$NAMESPACE$SERVICE_ACCOUNT$IDENTITY_RG" ] ||
            die_usage "--aks, --aks-rg, --namespace, --service-account need --workload-identity"
    fi
    [ "$CERT" = 0 ] || [ -z "$APP_ID" ] || die_usage "--cert creates a principal: not with --app-id"
}

# read_issuer: ISSUER, the AKS cluster's OIDC issuer URL.
read_issuer() {
    ISSUER=$(az_read aks show --name "$AKS" --resource-group "$AKS_RG" \
        --query oidcIssuerProfile.issuerUrl -o tsv 2>/dev/null) ||
        die_env "AKS cluster '$AKS' not found in resource group '$AKS_RG' (az aks show failed)"
    [[ "$ISSUER" =~ ^https://[^[:space:]\'\"\\]+$ ]] ||
        die_env "AKS cluster '$AKS' has no OIDC issuer: enable it with 'az aks update" \
            "--resource-group $AKS_RG --name $AKS --enable-oidc-issuer --enable-workload-identity'"
    SUBJECT="system:serviceaccount:$NAMESPACE:$SERVICE_ACCOUNT"
}

# plan_missing: what is missing — NEED_PRINCIPAL, NEED_FC, MISSING[] (indexes of ROLE_*).
plan_missing() {
    local i names
    NEED_PRINCIPAL=0
    NEED_FC=0
    MISSING=()
    if [ -z "$SP_OBJECT_ID" ]; then
        NEED_PRINCIPAL=1
        NEED_FC=$WI
        MISSING=("${!ROLE_NAMES[@]}")
        return 0
    fi
    if [ "$WI" = 1 ]; then
        names=$(fc_list "[?issuer=='$ISSUER' && subject=='$SUBJECT'].name") || exit 3
        [ -n "$names" ] || NEED_FC=1
    fi
    for i in "${!ROLE_NAMES[@]}"; do
        names=$(assignment_ids "${ROLE_NAMES[$i]}" "${ROLE_SCOPES[$i]}") || exit 3
        [ -n "$names" ] || MISSING+=("$i")
    done
}

# create_principal: the managed identity, the app's service principal, or a new app and
# principal with a secret (or certificate); sets SP_APP_ID, SP_OBJECT_ID and NEW_*.
create_principal() {
    local out
    if [ "$WI" = 1 ] && [ -z "$APP_ID" ]; then
        az_change identity create --name "$SP_NAME" --resource-group "$IDENTITY_RG" \
            --query '[clientId, principalId]' -o tsv || die_env "az identity create failed"
        out=$AZ_OUT
        [ "$DRY_RUN" = 1 ] || { read -r SP_APP_ID; read -r SP_OBJECT_ID; } <<<"$out"
    elif [ -n "$APP_ID" ]; then
        SP_APP_ID=$APP_ID
        az_change ad sp create --id "$APP_ID" --query id -o tsv ||
            die_env "az ad sp create failed for app '$APP_ID'"
        SP_OBJECT_ID=$AZ_OUT
    elif [ "$CERT" = 1 ]; then
        az_change ad sp create-for-rbac --display-name "$SP_NAME" --create-cert \
            --query '[appId, fileWithCertAndPrivateKey]' -o tsv ||
            die_env "az ad sp create-for-rbac failed"
        out=$AZ_OUT
        [ "$DRY_RUN" = 1 ] ||
            { { read -r SP_APP_ID; read -r NEW_CERT_FILE; } <<<"$out"; read_back; }
    else
        az_change ad sp create-for-rbac --display-name "$SP_NAME" \
            --query '[appId, password]' -o tsv || die_env "az ad sp create-for-rbac failed"
        out=$AZ_OUT
        [ "$DRY_RUN" = 1 ] || { { read -r SP_APP_ID; read -r NEW_SECRET; } <<<"$out"; read_back; }
    fi
    if [ "$DRY_RUN" = 1 ]; then
        SP_APP_ID=${SP_APP_ID:-<client ID of the new principal>}
        SP_OBJECT_ID=${SP_OBJECT_ID:-<object ID of the new principal>}
    fi
    [ "$DRY_RUN" = 1 ] ||
        { [[ "$SP_OBJECT_ID" =~ $GUID_RE ]] && [[ "$SP_APP_ID" =~ $GUID_RE ]]; } ||
        die_env "the new principal '${SP_NAME:-$APP_ID}' cannot be read back"
}

# read_back: SP_OBJECT_ID of the principal create-for-rbac just made (by its app ID);
# Microsoft Graph may take seconds to list a new object, so it asks up to 10 times.
read_back() {
    local n
    [[ "$SP_APP_ID" =~ $GUID_RE ]] || die_env "az ad sp create-for-rbac gave no app ID"
    for n in 1 2 3 4 5 6 7 8 9 10; do
        SP_OBJECT_ID=$(az_read ad sp list --filter "appId eq '$SP_APP_ID'" --query '[].id' \
            -o tsv) || die_env "az ad sp list failed"
        [ -z "$SP_OBJECT_ID" ] || return 0
        [ "$n" = 10 ] || sleep 3
    done
}

# create_fc: the federated credential for the service account (workload identity).
create_fc() {
    local name params
    name=$(fc_name)
    if [ -n "$APP_ID" ]; then
        params="{\"name\": \"$name\", \"issuer\": \"$ISSUER\", \"subject\": \"$SUBJECT\","
        params+=" \"audiences\": [\"$AUDIENCE\"]}"
        az_change ad app federated-credential create --id "$SP_APP_ID" --parameters "$params" \
            -o none || die_env "az ad app federated-credential create failed"
    else
        az_change identity federated-credential create --name "$name" \
            --identity-name "$SP_NAME" --resource-group "$IDENTITY_RG" --issuer "$ISSUER" \
            --subject "$SUBJECT" --audiences "$AUDIENCE" -o none ||
            die_env "az identity federated-credential create failed"
    fi
}

# apply: every missing piece, in order: principal, federated credential, role assignments.
apply() {
    local i
    [ "$NEED_PRINCIPAL" = 0 ] || create_principal
    [ "$NEED_FC" = 0 ] || create_fc
    for i in "${MISSING[@]}"; do
        az_change role assignment create --assignee-object-id "$SP_OBJECT_ID" \
            --assignee-principal-type ServicePrincipal --role "${ROLE_NAMES[$i]}" \
            --scope "${ROLE_SCOPES[$i]}" -o none ||
            die_env "assigning '${ROLE_NAMES[$i]}' on '${ROLE_SCOPES[$i]}' failed"
    done
}

# json_list ITEM...: ["a", "b"].
json_list() {
    local out= a
    for a in "$@"; do out+="\"$a\", "; done
    printf '[%s]' "${out%, }"
}

# snippet: the tenant to paste into tenants.json (values checked above: no quoting needed).
snippet() {
    local cred i regs=
    if [ "$WI" = 1 ]; then
        cred='"federated_token_file": "/var/run/secrets/azure/tokens/azure-identity-token"'
    elif [ "$CERT" = 1 ]; then
        cred='"client_certificate_file": "/etc/regscan/azure/client.pem"'
    else
        cred='"client_secret_env": "REGSCAN_AZURE_CLIENT_SECRET"'
    fi
    say "    {"
    say "      \"name\": \"azure\","
    say "      \"azure\": {"
    say "        \"tenant_id\": \"$TENANT_ID\","
    say "        \"client_id\": \"$SP_APP_ID\","
    if [ "$DISCOVER" = 1 ]; then
        say "        $cred,"
        say "        \"subscriptions\": $(json_list "${DISC_SUBS[@]}")"
        say "      }"
    else
        say "        $cred"
        say "      },"
        for i in "${!ACR_SERVERS[@]}"; do
            regs+="        { \"url\": \"https://${ACR_SERVERS[$i]}\","
            regs+=" \"auth\": { \"type\": \"azure\" } },"$'\n'
        done
        say "      \"registries\": ["
        printf '%s\n' "${regs%,$'\n'}" >&3
        say "      ]"
    fi
    say "    }"
}

# credential_notes: the new secret (once, stdout only) or where the credential is.
credential_notes() {
    if [ -n "${NEW_SECRET:-}" ]; then
        say "client secret: $NEW_SECRET"
        say "  shown this once and saved nowhere: put it where REGSCAN_AZURE_CLIENT_SECRET" \
            "comes from (a Kubernetes Secret) now"
    elif [ -n "${NEW_CERT_FILE:-}" ]; then
        say "certificate and private key: $NEW_CERT_FILE (written by az: move it into a" \
            "Kubernetes Secret mounted as client_certificate_file, then delete this copy)"
    elif [ "$WI" = 1 ]; then
        say "service account: annotate $NAMESPACE/$SERVICE_ACCOUNT with" \
            "azure.workload.identity/client-id: $SP_APP_ID and label the pods" \
            "azure.workload.identity/use: \"true\"; the webhook then sets AZURE_CLIENT_ID," \
            "AZURE_TENANT_ID, AZURE_FEDERATED_TOKEN_FILE and AZURE_AUTHORITY_HOST," \
            "which regscan reads for the keys the azure block leaves out"
    elif [ "$NEED_PRINCIPAL" = 0 ] || [ -n "$APP_ID" ]; then
        say "credential: the principal's existing one (none was created); to add one:" \
            "az ad sp credential reset --id $SP_APP_ID --append"
    fi
}

report() {
    if [ "$DRY_RUN" = 1 ] && [ "$NEED_PRINCIPAL" = 1 ]; then
        say "tenant ID: $TENANT_ID"
        say "(client ID and tenants-file snippet: printed by a run without --dry-run)"
        return 0
    fi
    say "tenant ID: $TENANT_ID"
    say "client ID: $SP_APP_ID"
    credential_notes
    say "tenants-file snippet (one entry of \"tenants\"):"
    snippet
}

main() {
    parse_common "$@"
    check_mode
    require_az
    resolve_registries
    plan_assignments
    [ "$WI" = 0 ] || read_issuer
    find_principal
    plan_missing
    apply
    report
    finish
}

main "$@"
