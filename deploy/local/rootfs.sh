#!/usr/bin/env bash
# Build an OCI layout of a real Debian 12 root filesystem (debootstrap --variant=minbase),
# for tests that scan a real dpkg database. The root filesystem is made once and cached as
# ${XDG_CACHE_HOME:-$HOME/.cache}/regscan/debootstrap-bookworm-minbase.tar; the mirror is
# the one this machine's apt sources name. Next to the layout it writes
# expected-packages.tsv: "package<TAB>version<TAB>source<TAB>source version", from dpkg-query.
#
# usage: rootfs.sh OUT_LAYOUT_DIR [TAG]     (TAG default: bookworm)
set -euo pipefail

. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[ $# -ge 1 ] || { echo "usage: rootfs.sh OUT_LAYOUT_DIR [TAG]" >&2; exit 2; }
out=$1
tag=${2:-bookworm}
suite=bookworm
cache=$RS_CACHE_DIR/debootstrap-$suite-minbase.tar

# apt_mirror: the first URI that serves $suite itself (not -updates or -security), from
# deb822 .sources files first, then one-line sources.list files.
apt_mirror() {
	local f
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk -v suite="$suite" '
			function flush() {
				if (uris != "" && enabled && types ~ /(^| )deb( |$)/) {
					n = split(suites, s, " ")
					for (i = 1; i <= n; i++) if (s[i] == suite) { split(uris, u, " "); print u[1]; exit }
				}
				uris = ""; suites = ""; types = ""; enabled = 1
			}
			BEGIN { enabled = 1 }
			/^[ \t]*$/ { flush(); next }
			/^[ \t]*#/ { next }
			tolower($1) == "uris:" { sub(/^[^:]*:[ \t]*/, ""); uris = $0 }
			tolower($1) == "suites:" { sub(/^[^:]*:[ \t]*/, ""); suites = $0 }
			tolower($1) == "types:" { sub(/^[^:]*:[ \t]*/, ""); types = $0 }
			tolower($1) == "enabled:" { enabled = (tolower($2) != "no") }
			END { flush() }
		' "$f"
	done | head -n1 | grep . && return 0
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		# deb [options] URI SUITE COMPONENTS...
		sed -e 's/#.*//' -e 's/\[[^]]*\]//' "$f" |
			awk -v suite="$suite" '$1 == "deb" && $3 == suite { print $2; exit }'
	done | head -n1 | grep .
}

if [ ! -s "$cache" ]; then
	command -v debootstrap >/dev/null 2>&1 || rs_die "debootstrap not found (run deploy/local/install-deps.sh)"
	mirror=$(apt_mirror) || rs_die "no apt source for '$suite' found in /etc/apt/sources.list{,.d}"
	mkdir -p "$RS_CACHE_DIR"
	work=$(mktemp -d "$RS_CACHE_DIR/debootstrap.XXXXXX")
	trap 'rm -rf "$work"' EXIT
	echo "rootfs.sh: debootstrap --variant=minbase $suite from $mirror (takes minutes)" >&2
	if ! debootstrap --variant=minbase "$suite" "$work/root" "$mirror" >"$work/debootstrap.log" 2>&1; then
		tail -n 30 "$work/debootstrap.log" >&2
		rs_die "debootstrap failed"
	fi
	# Device nodes and the apt cache are of no use in an image; keep the tarball small.
	rm -rf "$work/root/var/cache/apt/archives/"*.deb "$work/root/var/lib/apt/lists/"*_Packages
	tar -C "$work/root" --numeric-owner -cf "$cache.tmp" .
	mv "$cache.tmp" "$cache"
	rm -rf "$work"
	trap - EXIT
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/regscan-rootfs.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
tar -C "$tmp" --numeric-owner -xpf "$cache"
"$RS_PYTHON" "$RS_LOCAL_DIR/mkimage.py" from-dir "$tmp" "$out" "$tag"
dpkg-query --admindir="$tmp/var/lib/dpkg" -W \
	-f='${Package}\t${Version}\t${source:Package}\t${source:Version}\n' \
	>"$(dirname "$out")/expected-packages.tsv"
