#!/usr/bin/env bash
# Build every sample image spec in deploy/local/images/ and push it to a registry, so that a
# registry holds a known set of images: one repository per spec (`PREFIX<name>:<tag>`), and
# debian-single also under two more tags and a second repository (the same digest reached
# through four references). Idempotent: the builds are deterministic and a second push
# uploads nothing new. Prints "REPOSITORY:TAG DIGEST" for each reference pushed.
#
# usage: seed.sh [--registry HOST:PORT] [--creds USER:PASSWORD] [--prefix REPO_PREFIX]
#                [--all] [--rootfs]
#   --registry  default: the open local registry ($RS_HOST:$REGSCAN_REGISTRY_OPEN_PORT)
#   --prefix    prepended to every repository name (default: none)
#   --all       seed the three local registries (open, htpasswd, token), each with its credentials
#   --rootfs    also push the debootstrap image built by rootfs.sh as PREFIXdebian-rootfs:bookworm
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

registry=$RS_HOST:$RS_REGISTRY_OPEN_PORT
creds=
prefix=
all=
rootfs=
while [ $# -gt 0 ]; do
	case $1 in
	--registry) registry=${2?}; shift 2 ;;
	--creds) creds=${2?}; shift 2 ;;
	--prefix) prefix=${2?}; shift 2 ;;
	--all) all=1; shift ;;
	--rootfs) rootfs=1; shift ;;
	-h | --help) sed -n 2,14p "$0"; exit 0 ;;
	*) echo "seed.sh: unknown argument '$1'" >&2; exit 2 ;;
	esac
done

MKIMAGE=("$RS_PYTHON" "$RS_LOCAL_DIR/mkimage.py")
SPECS=$RS_LOCAL_DIR/images
BUILD=$RS_STATE_DIR/images
mkdir -p "$BUILD"

# Build once per run; every registry gets the same layouts.
declare -A refs_of
for spec in "$SPECS"/*.json; do
	name=$(basename "$spec" .json)
	out=$("${MKIMAGE[@]}" build "$spec" "$BUILD/$name") ||
		{ echo "seed.sh: cannot build '$spec'" >&2; exit 1; }
	refs_of[$name]=$(printf '%s\n' "$out" | cut -f1,3 | tr '\t' '=')
done
if [ -n "$rootfs" ]; then
	"$RS_LOCAL_DIR/rootfs.sh" "$BUILD/debian-rootfs" >/dev/null
	refs_of[debian-rootfs]="bookworm=$(sed -n 's/.*"digest": "\(sha256:[0-9a-f]*\)".*/\1/p' "$BUILD/debian-rootfs/index.json" | head -n1)"
fi

push() {
	# push LAYOUT:REF REPO:TAG DIGEST REGISTRY CREDS
	local args=(push "$1" "$4/$2" --quiet)
	[ -n "$5" ] && args+=(--creds "$5")
	"${MKIMAGE[@]}" "${args[@]}" || { echo "seed.sh: push of '$2' to '$4' failed" >&2; exit 3; }
	echo "$4/$2 $3"
}

seed_one() {
	local reg=$1 cr=$2 name r tag digest
	for name in $(printf '%s\n' "${!refs_of[@]}" | sort); do
		for r in ${refs_of[$name]}; do
			tag=${r%%=*}
			digest=${r#*=}
			push "$BUILD/$name:$tag" "$prefix$name:$tag" "$digest" "$reg" "$cr"
			if [ "$name" = debian-single ]; then
				push "$BUILD/$name:$tag" "${prefix}debian-single:latest" "$digest" "$reg" "$cr"
				push "$BUILD/$name:$tag" "${prefix}mirror/debian:bookworm" "$digest" "$reg" "$cr"
				push "$BUILD/$name:$tag" "${prefix}mirror/debian:12" "$digest" "$reg" "$cr"
			fi
		done
	done
}

if [ -n "$all" ]; then
	seed_one "$RS_HOST:$RS_REGISTRY_OPEN_PORT" ""
	seed_one "$RS_HOST:$RS_REGISTRY_BASIC_PORT" "$RS_TEST_USER:$RS_TEST_PASSWORD"
	seed_one "$RS_HOST:$RS_REGISTRY_TOKEN_PORT" "$RS_TEST_USER:$RS_TEST_PASSWORD"
else
	seed_one "$registry" "$creds"
fi
