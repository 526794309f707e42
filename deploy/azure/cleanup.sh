#!/usr/bin/env bash
# deploy/azure/cleanup.sh - undoes install.sh: removes the role assignments install.sh makes
# for the same options (AcrPull on each registry and subscription, Reader with --discover)
# and nothing else; with --all --yes also the federated credential and the principal (or
# managed identity). Reads first; --dry-run only prints. deploy/azure/README.md.
set -euo pipefail
. "$(dirname "$0")/common.sh"

usage() {
    cat <<'USAGE'
usage: cleanup.sh --acr NAME --rg GROUP [--acr NAME --rg GROUP]... [--subscription ID]...
                  [--sp-name NAME | --app-id ID] [--discover] [--all --yes] [--dry-run]
       cleanup.sh --workload-identity [--identity-rg GROUP | --aks-rg GROUP]
                  [--namespace NS --service-account SA] ... (as above)
  the same --acr/--rg, --subscription, --discover as install.sh: their assignments go
  --all --yes       also delete the principal: the app registration (--sp-name: the app
                    create-for-rbac made), the service principal only (--app-id), or the
                    managed identity and its federated credential (--workload-identity)
  --dry-run         read only: print each call that would change something
Exit codes: 0 done, 2 usage, 3 az missing, not logged in, or Azure refused.
USAGE
}

check_mode() {
    [ "$CERT" = 0 ] || die_usage "--cert is an option of install.sh"
    [ "$ALL" = 0 ] || [ "$YES" = 1 ] ||
        die_usage "--all deletes the principal '${SP_NAME:-$APP_ID}': confirm with --yes"
    [ ${#ACRS[@]} -gt 0 ] || [ ${#SUBS[@]} -gt 0 ] || [ "$ALL" = 1 ] ||
        die_usage "name the registries (--acr NAME --rg GROUP, --subscription ID) or --all --yes"
    if [ "$WI" = 1 ]; then
        [ -n "$APP_ID" ] || [ -n "$IDENTITY_RG" ] ||
            die_usage "--workload-identity needs --identity-rg (or --aks-rg)"
        { [ -n "$NAMESPACE" ] && [ -n "$SERVICE_ACCOUNT" ]; } ||
            { [ -z "$NAMESPACE" ] && [ -z "$SERVICE_ACCOUNT" ]; } ||
            die_usage "--namespace and --service-account go together"
    else
        [ -z "$AKS$AKS_RG$NAMESPACE$SERVICE_ACCOUNT$IDENTITY_RG" ] ||
            die_usage "--aks-rg, --identity-rg, --namespace, --service-account need" \
                "--workload-identity"
    fi
}

RA_ID_RE='^/[A-Za-z0-9/._()-]+/providers/Microsoft\.Authorization/roleAssignments/'
RA_ID_RE+='[0-9a-fA-F-]{36}$'

# plan_removal: DEL_IDS (role assignment ids) and FC_NAMES (federated credentials).
plan_removal() {
    local i ids id
    DEL_IDS=()
    FC_NAMES=
    for i in "${!ROLE_NAMES[@]}"; do
        ids=$(assignment_ids "${ROLE_NAMES[$i]}" "${ROLE_SCOPES[$i]}") || exit 3
        for id in $ids; do
            [[ "$id" =~ $RA_ID_RE ]] ||
                die_env "az role assignment list gave an unexpected id"
            DEL_IDS+=("$id")
        done
    done
    if [ "$ALL" = 1 ] && [ "$WI" = 1 ] && [ -n "$NAMESPACE" ]; then
        FC_NAMES=$(fc_list "[?name=='$(fc_name)'].name") || exit 3
    fi
}

# delete_principal: the federated credential, then the identity, principal or app.
delete_principal() {
    if [ -n "$FC_NAMES" ] && [ -n "$APP_ID" ]; then
        az_change ad app federated-credential delete --id "$SP_APP_ID" \
            --federated-credential-id "$(fc_name)" ||
            die_env "deleting the federated credential failed"
    elif [ -n "$FC_NAMES" ]; then
        az_change identity federated-credential delete --name "$(fc_name)" \
            --identity-name "$SP_NAME" --resource-group "$IDENTITY_RG" --yes ||
            die_env "deleting the federated credential failed"
    fi
    if [ "$WI" = 1 ] && [ -z "$APP_ID" ]; then
        az_change identity delete --name "$SP_NAME" --resource-group "$IDENTITY_RG" ||
            die_env "az identity delete failed"
    elif [ -n "$APP_ID" ]; then
        az_change ad sp delete --id "$SP_APP_ID" || die_env "az ad sp delete failed"
    else
        az_change ad app delete --id "$SP_APP_ID" || die_env "az ad app delete failed"
    fi
}

main() {
    local id
    parse_common "$@"
    check_mode
    require_az
    resolve_registries
    plan_assignments
    find_principal
    if [ -z "$SP_OBJECT_ID" ]; then
        say "principal '${SP_NAME:-$APP_ID}' not found: it has no assignments to remove"
        finish
        return 0
    fi
    plan_removal
    for id in "${DEL_IDS[@]}"; do
        az_change role assignment delete --ids "$id" || die_env "removing '$id' failed"
    done
    [ "$ALL" = 0 ] || delete_principal
    finish
}

main "$@"
