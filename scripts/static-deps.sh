#!/usr/bin/env bash
# Prepares what the fully static `hearth-static` binary (the runtime of `hearth pack`) needs and
# Debian does not ship as a static archive: cpp-httplib's implementation file.
#
# Debian ships cpp-httplib split into a declarations-only header and a shared library. Its source
# package holds the single-file library; we apply Debian's patches, split it the same way Debian's
# build does (its own split.py) and check that the resulting header is byte-identical to the
# installed /usr/include/httplib.h, so objects compiled against the system header link against
# this httplib.cc with the same ABI. Everything else (OpenSSL, zlib, brotli, sqlite3, sodium,
# pcre2, utf8proc, yaml-cpp, libstdc++, glibc) has a .a in the regular -dev packages.
#
# Output: $HEARTH_DEPS_DIR/cpp-httplib/httplib.cc (default /opt/hearth-deps). Idempotent.
set -euo pipefail
DEST="${HEARTH_DEPS_DIR:-/opt/hearth-deps}/cpp-httplib"
if [ -f "$DEST/httplib.cc" ] && cmp -s "$DEST/httplib.h" /usr/include/httplib.h; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get install -y -qq --no-install-recommends python3 patch xz-utils >/dev/null

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
version=$(dpkg-query -W -f='${source:Version}' libcpp-httplib-dev)
# A private source list and index directory: the system's apt configuration is left alone.
mkdir -p "$work/lists/partial"
echo "deb-src http://deb.debian.org/debian bookworm main" > "$work/sources.list"
apt_opts=(-o "Dir::Etc::sourcelist=$work/sources.list" -o "Dir::Etc::sourceparts=-"
          -o "Dir::State::Lists=$work/lists" -o "APT::Sandbox::User=root")
apt-get "${apt_opts[@]}" update -qq
(cd "$work" && apt-get "${apt_opts[@]}" source --download-only -qq "cpp-httplib=$version" >/dev/null)
mkdir "$work/src"
tar xf "$work"/cpp-httplib_*.orig.tar.* -C "$work/src" --strip-components=1
tar xf "$work"/cpp-httplib_*.debian.tar.* -C "$work/src"
(cd "$work/src" && if [ -f debian/patches/series ]; then
   while read -r p; do [ -n "$p" ] && patch -s -p1 < "debian/patches/$p"; done < debian/patches/series
 fi && python3 ./split.py -o "$work/out" >/dev/null)
if ! cmp -s "$work/out/httplib.h" /usr/include/httplib.h; then
  echo "static-deps: split header differs from /usr/include/httplib.h (version $version)" >&2
  exit 1
fi
$SUDO mkdir -p "$DEST"
$SUDO cp "$work/out/httplib.h" "$work/out/httplib.cc" "$work/src/LICENSE" "$DEST/"
echo "static-deps: cpp-httplib $version implementation in $DEST"
