#!/usr/bin/env bash
# Builds the fuzz targets with cargo-fuzz (libFuzzer, AddressSanitizer, debug assertions) and
# runs each for a while:
#
#   bash fuzz/run.sh [seconds-per-target] [target...]    default: 20 seconds, every target
#
# Targets (fuzz_targets/; the checks are in elasticq-runtime/src/fuzzing.rs):
#   record_reader  arbitrary bytes through the segment record reader
#   recovery       arbitrary bytes as segment files, opened (twice) as a persisted queue
#   checkpoint_decode  arbitrary bytes (or a built checkpoint, changed) through the checkpoint decoder
#   codec_decode   arbitrary bytes decoded as Codec types, standard and derived, round trips
#
# Installs cargo-fuzz (pinned) with `cargo install` when it is missing; ~/.cargo/bin keeps it,
# so later runs install nothing. The libFuzzer library the first build compiles is kept too
# (in $ELASTICQ_FUZZ_CACHE, default ~/.cache/elasticq-fuzz). The toolchain is stable: RUSTC_BOOTSTRAP=1 lets it take the
# unstable flags cargo-fuzz passes (-Zsanitizer=address and the coverage instrumentation).
# Each target starts from its committed seeds (fuzz/corpus/<target>/, read-only) and the
# corpus earlier runs grew (fuzz/target/corpus/<target>/, not committed). A crash leaves its
# input in fuzz/artifacts/<target>/; keep it as a regression test by copying it to
# fuzz/regressions/<target>/ (tests/fuzz_regressions.rs replays every file there). Prints a
# summary line per target (executions, exec/s, coverage) and exits non-zero if any failed.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
seconds="${1:-20}"
shift || true
if [ "$#" -gt 0 ]; then
    targets=("$@")
else
    targets=(record_reader recovery checkpoint_decode codec_decode)
fi
cargo_fuzz_version="0.13.2"
triple="$(rustc -vV | sed -n 's/^host: //p')"

say() { printf 'fuzz: %s\n' "$*"; }

export RUSTC_BOOTSTRAP=1

if ! cargo fuzz --version >/dev/null 2>&1; then
    say "installing cargo-fuzz $cargo_fuzz_version (cargo install)"
    timeout 1800 cargo install cargo-fuzz --version "$cargo_fuzz_version" --locked
fi

# libfuzzer-sys compiles libFuzzer's C++ sources one at a time (a minute here); the archive
# it builds is kept beside cargo-fuzz, per libfuzzer-sys version, and linked by later runs.
cache="${ELASTICQ_FUZZ_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/elasticq-fuzz}"
libfuzzer_sys="$(sed -n '/^name = "libfuzzer-sys"$/{n;s/^version = "\(.*\)"$/\1/p;}' "$here/Cargo.lock")"
prebuilt="$cache/libfuzzer-sys-${libfuzzer_sys:-unknown}/libfuzzer.a"
if [ -n "$libfuzzer_sys" ] && [ -f "$prebuilt" ]; then
    export CUSTOM_LIBFUZZER_PATH="$prebuilt"
fi

cd "$here/.."
started=$SECONDS
say "building ${targets[*]} ($(cargo fuzz --version))"
for target in "${targets[@]}"; do
    timeout 1200 cargo fuzz build --target "$triple" "$target"
done
bin="$here/target/$triple/release"
if [ -n "$libfuzzer_sys" ] && [ -z "${CUSTOM_LIBFUZZER_PATH:-}" ]; then
    built="$(ls -t "$here/target/$triple/release/build"/libfuzzer-sys-*/out/libfuzzer.a 2>/dev/null | head -1 || true)"
    if [ -n "$built" ]; then
        mkdir -p "$(dirname "$prebuilt")"
        cp "$built" "$prebuilt.tmp" && mv "$prebuilt.tmp" "$prebuilt"
        say "kept libFuzzer for later runs: $prebuilt"
    fi
fi
for target in "${targets[@]}"; do
    [ -x "$bin/$target" ] || { say "$target was not built" >&2; exit 1; }
done
say "built in $((SECONDS - started)) s"

failed=()
summary=()
for target in "${targets[@]}"; do
    work="$here/target/corpus/$target"
    artifacts="$here/artifacts/$target"
    log="$here/target/$target.log"
    mkdir -p "$work" "$artifacts"
    say "running $target for ${seconds} s"
    status=0
    # -timeout: an input that takes 10 s is a hang; -rss_limit_mb: one that takes 2 GiB is a
    # leak or an allocation the decoder should have refused.
    timeout --kill-after=10 $((seconds + 60)) "$bin/$target" "$work" "$here/corpus/$target" \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$artifacts/" >"$log" 2>&1 || status=$?
    runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
    rate="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)"
    last="$(grep -E '^#[0-9]+' "$log" | tail -1 || true)"
    cov="$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")"
    ft="$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")"
    corp="$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<<"$last")"
    line="$target: ${runs:-?} runs, ${rate:-?} exec/s, cov ${cov:-?}, ft ${ft:-?}, corpus ${corp:-?}"
    if [ "$status" -ne 0 ]; then
        failed+=("$target")
        line="$line: FAILED (exit $status; log $log)"
        grep -E 'panicked|ERROR|SUMMARY|Test unit written' "$log" | head -20 >&2 || true
    fi
    summary+=("$line")
    say "$line"
done

say "summary (${seconds} s per target, $((SECONDS - started)) s in all):"
for line in "${summary[@]}"; do
    say "  $line"
done
if [ "${#failed[@]}" -gt 0 ]; then
    say "failed: ${failed[*]}; inputs are in $here/artifacts/<target>/" >&2
    exit 1
fi
