# deploy/azure/common.sh - what install.sh and cleanup.sh share: option parsing, input
# checks, the refusals (no az, not logged in) and the two ways of calling az: az_read for
# calls that change nothing, az_change for calls that do (printed, skipped by --dry-run).
# Sourced, never run. Exit codes: 2 usage, 3 the environment or Azure refuses.

PROG=${0##*/}
DRY_RUN=0
CHANGES=0
ACRS=()
RGS=()
SUBS=()
SP_NAME=
APP_ID=
DISCOVER=0
WI=0
AKS=
AKS_RG=
NAMESPACE=
SERVICE_ACCOUNT=
IDENTITY_RG=
CERT=0
ALL=0
YES=0
AUDIENCE=api://AzureADTokenExchange
exec 3>&1 # the user's stdout, also inside $(...)

die_usage() {
    echo "$PROG: $*" >&2
    echo "$PROG: see '$PROG --help'" >&2
    exit 2
}
die_env() {
    echo "$PROG: $*" >&2
    exit 3
}
say() { echo "$@" >&3; }

# need_value OPTION VALUE: the option's value is there.
need_value() {
    [ -n "${2:-}" ] && [ "${2#--}" = "$2" ] || die_usage "$1 needs a value"
}

# check_re WHAT VALUE REGEX: VALUE matches REGEX (extended), else a usage error.
check_re() {
    [[ "$2" =~ $3 ]] || die_usage "$1 '$2' is not valid"
}

GUID_RE='^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'

# parse_common "$@": every option of both scripts; each script refuses what it does not take.
parse_common() {
    while [ $# -gt 0 ]; do
        case "$1" in
        --acr) need_value "$1" "${2:-}"; check_re --acr "$2" '^[A-Za-z0-9]{5,50}$'
            ACRS+=("$2"); shift 2 ;;
        --rg) need_value "$1" "${2:-}"; check_re --rg "$2" '^[A-Za-z0-9._()-]{1,90}$'
            RGS+=("$2"); shift 2 ;;
        --subscription) need_value "$1" "${2:-}"; check_re --subscription "$2" "$GUID_RE"
            SUBS+=("${2,,}"); shift 2 ;;
        --sp-name) need_value "$1" "${2:-}"
            check_re --sp-name "$2" '^[A-Za-z0-9][A-Za-z0-9._-]{0,119}$'; SP_NAME=$2; shift 2 ;;
        --app-id) need_value "$1" "${2:-}"; check_re --app-id "$2" "$GUID_RE"
            APP_ID=${2,,}; shift 2 ;;
        --aks) need_value "$1" "${2:-}"; check_re --aks "$2" '^[A-Za-z0-9_-]{1,63}$'
            AKS=$2; shift 2 ;;
        --aks-rg) need_value "$1" "${2:-}"; check_re --aks-rg "$2" '^[A-Za-z0-9._()-]{1,90}$'
            AKS_RG=$2; shift 2 ;;
        --identity-rg) need_value "$1" "${2:-}"
            check_re --identity-rg "$2" '^[A-Za-z0-9._()-]{1,90}$'; IDENTITY_RG=$2; shift 2 ;;
        --namespace) need_value "$1" "${2:-}"
            check_re --namespace "$2" '^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$'
            NAMESPACE=$2; shift 2 ;;
        --service-account) need_value "$1" "${2:-}"
            check_re --service-account "$2" '^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$'
            SERVICE_ACCOUNT=$2; shift 2 ;;
        --discover) DISCOVER=1; shift ;;
        --workload-identity) WI=1; shift ;;
        --cert) CERT=1; shift ;;
        --all) ALL=1; shift ;;
        --yes) YES=1; shift ;;
        --dry-run) DRY_RUN=1; shift ;;
        -h | --help) usage; exit 0 ;;
        *) die_usage "unknown option '$1'" ;;
        esac
    done
    [ ${#ACRS[@]} -eq ${#RGS[@]} ] || die_usage "each --acr needs its --rg"
    [ -z "$SP_NAME" ] || [ -z "$APP_ID" ] || die_usage "--sp-name and --app-id exclude each other"
    [ -n "$APP_ID" ] || SP_NAME=${SP_NAME:-regscan-scanner}
    if [ "$WI" = 1 ] && [ -z "$APP_ID" ]; then
        [[ "$SP_NAME" =~ ^[A-Za-z0-9][A-Za-z0-9_-]{2,127}$ ]] ||
            die_usage "--sp-name '$SP_NAME' is not a valid managed identity name"
    fi
    IDENTITY_RG=${IDENTITY_RG:-$AKS_RG}
}

# quote ARG...: the arguments as one shell line a user can paste.
quote() {
    local out= a
    for a in "$@"; do
        if [[ "$a" =~ ^[A-Za-z0-9_./:=@,+-]+$ ]]; then
            out+="$a "
        else
            out+="'${a//\'/\'\\\'\'}' "
        fi
    done
    printf '%s' "${out% }"
}

# az_read ARG...: a call that changes nothing; its stdout is the answer.
az_read() {
    az "$@"
}

# az_change ARG...: a call that changes something: counted and printed; its stdout lands
# in AZ_OUT (not printed: it may hold a new secret). Under --dry-run only printed.
az_change() {
    CHANGES=$((CHANGES + 1))
    AZ_OUT=
    if [ "$DRY_RUN" = 1 ]; then
        say "would run: az $(quote "$@")"
        return 0
    fi
    say "running: az $(quote "$@")"
    AZ_OUT=$(az "$@")
}

# require_az: az is on PATH and logged in; sets TENANT_ID. Exit 3 with one line otherwise.
require_az() {
    command -v az >/dev/null 2>&1 ||
        die_env "the Azure CLI 'az' is not on PATH: install azure-cli, then run 'az login'"
    TENANT_ID=$(az_read account show --query tenantId -o tsv 2>/dev/null) ||
        die_env "az is not logged in ('az account show' failed): run 'az login' first"
    [[ "$TENANT_ID" =~ $GUID_RE ]] ||
        die_env "az account show gave no tenant ID"
}

ACR_ID_RE='^/subscriptions/[0-9a-fA-F-]{36}/resourceGroups/[^/]+/providers/'
ACR_ID_RE+='Microsoft\.ContainerRegistry/registries/[A-Za-z0-9]+$'

# resolve_registries: ACR_IDS[i], ACR_SERVERS[i] for each --acr/--rg (az acr show).
resolve_registries() {
    local i out id server
    ACR_IDS=()
    ACR_SERVERS=()
    for i in "${!ACRS[@]}"; do
        out=$(az_read acr show --name "${ACRS[$i]}" --resource-group "${RGS[$i]}" \
            --query '[id, loginServer]' -o tsv 2>/dev/null) ||
            die_env "registry '${ACRS[$i]}' not found in resource group '${RGS[$i]}'" \
                "of the current subscription (az acr show failed)"
        { read -r id; read -r server; } <<<"$out" # one line per item of [a, b]
        [[ "$id" =~ $ACR_ID_RE ]] ||
            die_env "az acr show gave an unexpected id for '${ACRS[$i]}'"
        [[ "$server" =~ ^[a-z0-9][a-z0-9.-]{0,252}(:[0-9]{1,5})?$ ]] ||
            die_env "az acr show gave an unexpected login server for '${ACRS[$i]}'"
        ACR_IDS+=("$id")
        ACR_SERVERS+=("$server")
    done
}

# plan_assignments: ROLE_NAMES[i] on ROLE_SCOPES[i] — what install.sh assigns and
# cleanup.sh removes: AcrPull on each registry and each --subscription; with --discover,
# Reader on each --subscription and on each subscription holding a listed registry.
plan_assignments() {
    local id sub
    ROLE_NAMES=()
    ROLE_SCOPES=()
    DISC_SUBS=()
    for id in "${ACR_IDS[@]}"; do
        add_assignment AcrPull "$id"
    done
    for sub in "${SUBS[@]}"; do
        add_assignment AcrPull "/subscriptions/$sub"
    done
    [ "$DISCOVER" = 1 ] || return 0
    for sub in "${SUBS[@]}"; do
        add_disc_sub "$sub"
    done
    for id in "${ACR_IDS[@]}"; do
        sub=${id#/subscriptions/}
        add_disc_sub "${sub%%/*}"
    done
    for sub in "${DISC_SUBS[@]}"; do
        add_assignment Reader "/subscriptions/$sub"
    done
}
add_disc_sub() {
    local s
    for s in "${DISC_SUBS[@]}"; do
        [ "$s" = "${1,,}" ] && return 0
    done
    DISC_SUBS+=("${1,,}")
}
add_assignment() {
    local i
    for i in "${!ROLE_NAMES[@]}"; do
        [ "${ROLE_NAMES[$i]}" = "$1" ] && [ "${ROLE_SCOPES[$i],,}" = "${2,,}" ] && return 0
    done
    ROLE_NAMES+=("$1")
    ROLE_SCOPES+=("$2")
}

# find_sp: the service principal named by --sp-name (exact display name) or --app-id;
# sets SP_APP_ID and SP_OBJECT_ID (empty when there is none). Exit 3 when ambiguous.
find_sp() {
    local out n
    SP_APP_ID=
    SP_OBJECT_ID=
    if [ -n "$APP_ID" ]; then
        out=$(az_read ad sp list --filter "appId eq '$APP_ID'" --query '[].[appId, id]' \
            -o tsv) || die_env "az ad sp list failed"
    else
        out=$(az_read ad sp list --display-name "$SP_NAME" \
            --query "[?displayName=='$SP_NAME'].[appId, id]" -o tsv) ||
            die_env "az ad sp list failed"
    fi
    n=$(grep -c . <<<"$out" || true)
    [ "$n" -le 1 ] || die_env "$n service principals are named '$SP_NAME': use --app-id"
    [ "$n" -eq 1 ] || return 0
    IFS=$'\t' read -r SP_APP_ID SP_OBJECT_ID <<<"$out"
    [[ "$SP_APP_ID" =~ $GUID_RE ]] && [[ "$SP_OBJECT_ID" =~ $GUID_RE ]] ||
        die_env "az ad sp list gave an unexpected answer"
}

# find_identity: the user-assigned managed identity SP_NAME in IDENTITY_RG; sets
# SP_APP_ID (its client ID) and SP_OBJECT_ID (its principal ID), empty when absent.
find_identity() {
    local out
    SP_APP_ID=
    SP_OBJECT_ID=
    out=$(az_read identity list --resource-group "$IDENTITY_RG" \
        --query "[?name=='$SP_NAME'].[clientId, principalId]" -o tsv) ||
        die_env "az identity list failed for resource group '$IDENTITY_RG'"
    [ -n "$out" ] || return 0
    IFS=$'\t' read -r SP_APP_ID SP_OBJECT_ID <<<"$out"
    [[ "$SP_APP_ID" =~ $GUID_RE ]] && [[ "$SP_OBJECT_ID" =~ $GUID_RE ]] ||
        die_env "az identity list gave an unexpected answer"
}

# find_principal: find_identity for a managed identity, else find_sp.
find_principal() {
    if [ "$WI" = 1 ] && [ -z "$APP_ID" ]; then
        find_identity
    else
        find_sp
    fi
}

# assignment_ids ROLE SCOPE: the ids of SP_OBJECT_ID's assignments of ROLE at exactly SCOPE.
assignment_ids() {
    az_read role assignment list --assignee-object-id "$SP_OBJECT_ID" --role "$1" \
        --scope "$2" --query '[].id' -o tsv ||
        die_env "az role assignment list failed for '$1' on '$2'"
}

# fc_name: the federated credential's name for NAMESPACE/SERVICE_ACCOUNT.
fc_name() {
    local sa=${SERVICE_ACCOUNT//./-}
    local n="regscan-$NAMESPACE-$sa"
    printf '%s' "${n:0:120}"
}

# fc_list QUERY: the names the JMESPath QUERY picks from the principal's federated
# credentials (the app's, with --app-id; else the managed identity's).
fc_list() {
    if [ -n "$APP_ID" ]; then
        az_read ad app federated-credential list --id "$SP_APP_ID" --query "$1" -o tsv
    else
        az_read identity federated-credential list --identity-name "$SP_NAME" \
            --resource-group "$IDENTITY_RG" --query "$1" -o tsv
    fi || die_env "listing the federated credentials of '$SP_APP_ID' failed"
}

# finish: the last line: what changed (or would), or that nothing had to.
finish() {
    if [ "$CHANGES" -eq 0 ]; then
        say "nothing to change"
    elif [ "$DRY_RUN" = 1 ]; then
        say "dry run: $CHANGES change(s) would be made; nothing was changed"
    else
        say "done: $CHANGES change(s) made"
    fi
}
