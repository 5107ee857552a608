#!/usr/bin/env bash
# Refresh web/vendor/ with the official Socket.IO browser client from the npm registry.
#
# The version is the one package.json pins for `socket.io-client` (the same client the
# real-time tests use), and the tarball must match the integrity recorded in
# package-lock.json. The files then have to match web/vendor/SHA256SUMS, so a refresh can
# never change what the binary embeds by accident.
#
#   scripts/vendor-socketio.sh            fetch, verify against SHA256SUMS, copy into web/vendor/
#   scripts/vendor-socketio.sh --update   fetch, rewrite SHA256SUMS deliberately, copy
#   scripts/vendor-socketio.sh --check    no network: verify the files already in web/vendor/
#
# To move to another version: change socket.io-client in package.json, `npm install`
# (updates package-lock.json), then run this script with --update and commit web/vendor/.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
vendor="$root/web/vendor"
sums="$vendor/SHA256SUMS"
mode="${1:-fetch}"

case "$mode" in
  fetch|--update|--check) ;;
  -h|--help) sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "usage: $0 [--update|--check]" >&2; exit 2 ;;
esac

if [[ "$mode" == --check ]]; then
  (cd "$vendor" && sha256sum --check --strict SHA256SUMS)
  exit
fi

version="$(node -e 'const p = require(process.argv[1]); const v = (p.devDependencies || {})["socket.io-client"] || (p.dependencies || {})["socket.io-client"]; if (!v) process.exit(1); console.log(v)' "$root/package.json")" \
  || { echo "package.json does not pin socket.io-client" >&2; exit 1; }
if ! [[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
  echo "socket.io-client must be pinned to an exact version in package.json (found '$version')" >&2
  exit 1
fi
locked="$(node -e 'const l = require(process.argv[1]); const p = (l.packages || {})["node_modules/socket.io-client"]; if (!p) process.exit(1); console.log(p.version + " " + p.integrity)' "$root/package-lock.json")" \
  || { echo "package-lock.json has no entry for socket.io-client" >&2; exit 1; }
read -r locked_version locked_integrity <<<"$locked"
if [[ "$locked_version" != "$version" ]]; then
  echo "package.json pins socket.io-client $version but package-lock.json has $locked_version; run npm install first" >&2
  exit 1
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

echo "fetching socket.io-client@$version from $(npm config get registry)"
tarball="$(cd "$tmp" && npm pack --silent "socket.io-client@$version")"
actual_integrity="sha512-$(openssl dgst -sha512 -binary "$tmp/$tarball" | base64 -w0)"
if [[ "$actual_integrity" != "$locked_integrity" ]]; then
  echo "tarball integrity $actual_integrity does not match package-lock.json's $locked_integrity" >&2
  exit 1
fi
tar -xzf "$tmp/$tarball" -C "$tmp"

stage="$tmp/stage"
mkdir -p "$stage"
files=()
for f in socket.io.js socket.io.js.map socket.io.min.js socket.io.min.js.map; do
  if [[ -f "$tmp/package/dist/$f" ]]; then
    cp "$tmp/package/dist/$f" "$stage/$f"
    files+=("$f")
  elif [[ "$f" != *.map ]]; then
    echo "the package has no dist/$f" >&2
    exit 1
  fi
done
cp "$tmp/package/LICENSE" "$stage/LICENSE"
files+=(LICENSE)

if [[ "$mode" == --update ]]; then
  (cd "$stage" && sha256sum "${files[@]}") > "$tmp/SHA256SUMS"
  echo "rewrote SHA256SUMS for socket.io-client@$version"
else
  [[ -f "$sums" ]] || { echo "no $sums yet; run with --update to create it" >&2; exit 1; }
  cp "$sums" "$tmp/SHA256SUMS"
  if ! (cd "$stage" && sha256sum --check --strict --quiet "$tmp/SHA256SUMS"); then
    echo "the fetched files do not match web/vendor/SHA256SUMS; if the version change is deliberate, rerun with --update" >&2
    exit 1
  fi
fi

mkdir -p "$vendor"
for f in "${files[@]}"; do cp "$stage/$f" "$vendor/$f"; done
cp "$tmp/SHA256SUMS" "$sums"
(cd "$vendor" && sha256sum --check --strict SHA256SUMS)
echo "web/vendor/ holds socket.io-client@$version"
