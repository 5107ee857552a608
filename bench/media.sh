#!/usr/bin/env bash
# The media stage: uploads per second of a 12-megapixel JPEG (one at a time and 24 at once),
# the server's peak memory through them, and requests per second for one preview, on a
# RELEASE build with default settings (a SQLite file and a media directory in a temporary
# directory). The numbers go to BENCHMARKS.md with this command.
#
#   bench/media.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
cargo test --release --test api media_bench -- --ignored --nocapture 2>&1 | grep '^bench:'
