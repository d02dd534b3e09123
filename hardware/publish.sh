#!/usr/bin/env bash
# Publishes the edgellm program for a board: one folder with the edgellm executable, the bundled demo model beside it
# and the installer (install.sh, systemd/, boards/, docs/mqtt.md), ready to copy to the board and install.
# Modes, toolchain and what each costs: hardware/README.md ("Publish").
set -euo pipefail

readonly prog=publish.sh
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
readonly repo

usage() {
  cat <<'EOF'
usage: publish.sh [OUT] [--rid linux-arm64|linux-x64] [--mode aot|r2r]

  OUT          the folder to write (default: artifacts/publish/RID-MODE in the repository); replaced if it exists
  --rid RID    linux-arm64 (default: Raspberry Pi OS 64-bit) or linux-x64
  --mode MODE  aot (default): Native AOT, one self-contained native executable, no JIT;
               r2r: self-contained ReadyToRun, precompiled IL with the JIT beside it (what `bench --vs-llamacpp`
               needs, and the fallback where Native AOT cannot be built)
EOF
}

die() {
  printf '%s: %s\n' "$prog" "$*" >&2
  exit 2
}

out=""
rid=linux-arm64
mode=aot
while [ $# -gt 0 ]; do
  case $1 in
    --rid) [ $# -ge 2 ] || die "--rid needs a value (see --help)"; rid=$2; shift 2 ;;
    --rid=*) rid=${1#*=}; shift ;;
    --mode) [ $# -ge 2 ] || die "--mode needs a value (see --help)"; mode=$2; shift 2 ;;
    --mode=*) mode=${1#*=}; shift ;;
    -h | --help) usage; exit 0 ;;
    -*) die "unknown option '$1' (see --help)" ;;
    *) [ -z "$out" ] || die "one output folder only (got '$out' and '$1')"; out=$1; shift ;;
  esac
done
case $rid in linux-arm64 | linux-x64) ;; *) die "unknown --rid '$rid' (linux-arm64 or linux-x64)" ;; esac
case $mode in aot | r2r) ;; *) die "unknown --mode '$mode' (aot or r2r)" ;; esac
[ -n "$out" ] || out=$repo/artifacts/publish/$rid-$mode
command -v dotnet >/dev/null || die "dotnet not found: install the .NET 10 SDK"

case $(uname -m) in
  x86_64) host=linux-x64 ;;
  aarch64) host=linux-arm64 ;;
  *) host=other ;;
esac

# Native AOT links with clang; for another architecture also with lld against that architecture's C library and
# libgcc (Debian's cross packages put them under /usr/aarch64-linux-gnu and /usr/lib/gcc-cross).
if [ "$mode" = aot ]; then
  need=()
  command -v clang >/dev/null || need+=(clang)
  if [ "$rid" != "$host" ]; then
    [ "$rid" = linux-arm64 ] || die "Native AOT for $rid is built on $rid or on x86_64 only; use --mode r2r"
    command -v ld.lld >/dev/null || need+=(lld)
    command -v aarch64-linux-gnu-gcc >/dev/null || need+=(gcc-aarch64-linux-gnu)
    [ -e /usr/aarch64-linux-gnu/lib/crt1.o ] || need+=(libc6-dev-arm64-cross)
  fi
  if [ ${#need[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
      printf '%s: Native AOT for %s needs %s: sudo apt-get install -y %s (or use --mode r2r)\n' "$prog" "$rid" "${need[*]}" "${need[*]}" >&2
      exit 1
    fi
    echo "$prog: installing ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  fi
fi

props=(-p:SelfContained=true -p:DebugType=none -p:DebugSymbols=false)
if [ "$mode" = aot ]; then
  props+=(-p:PublishAot=true -p:StripSymbols=true)
  # Native AOT compiles for one instruction set, fixed at build time: on x64 the default (x86-64-v2) has no AVX2,
  # so Avx2.IsSupported is false and the kernels fall back to scalar. x86-64-v3 (AVX2, FMA, BMI: Haswell, Zen and
  # later) keeps the AVX2 path; an older CPU stops at start-up with .NET's "required instruction sets" message and
  # takes --mode r2r. arm64 needs nothing: AdvSimd is the baseline and SDOT (Dp) is detected at run time.
  [ "$rid" != linux-x64 ] || props+=(-p:IlcInstructionSet=x86-64-v3)
  what="Native AOT"
else
  props+=(-p:PublishReadyToRun=true)
  what="self-contained ReadyToRun"
fi

# A build tree of its own (--artifacts-path), so a publish never changes what `dotnet build` left in bin/ and obj/.
work=$repo/artifacts/publish-build/$rid-$mode
# Only a folder this script wrote (or an empty one) is replaced.
if [ -d "$out" ] && [ -n "$(ls -A "$out")" ] && [ ! -x "$out/edgellm" ]; then
  die "$out exists and is not a published folder: refusing to replace it"
fi
rm -rf "$out"
mkdir -p "$out"
echo "$prog: building $what for $rid into $out"
start=$(date +%s)
mkdir -p "$work"
log=$work/publish.log
# Our code is compiled with the trim and AOT analyzers and warnings as errors. The whole-program step (ILC) also
# reports what it finds in third-party assemblies; those are listed below, each reviewed in hardware/README.md
# ("Publish"), and a warning there about our own assemblies fails the publish.
[ "$mode" != aot ] || props+=(-p:IlcTreatWarningsAsErrors=false)
if ! dotnet publish "$repo/src/EdgeRuntime/EdgeLlm.EdgeRuntime.csproj" -c Release -r "$rid" -o "$out" \
  --artifacts-path "$work" -nologo -clp:NoSummary "${props[@]}" >"$log" 2>&1; then
  grep -E ': error ' "$log" | sed 's/ \[[^]]*\]$//' | sort -u >&2 || tail -20 "$log" >&2
  echo "$prog: dotnet publish failed (log: $log)" >&2
  exit 1
fi
warnings=$(grep -E 'warning IL[0-9]+' "$log" | sed 's/ \[[^]]*\]$//' | sort -u || true)
if printf '%s\n' "$warnings" | grep -q -E 'EdgeLlm|edgellm'; then
  printf '%s\n' "$warnings" | grep -E 'EdgeLlm|edgellm' >&2
  echo "$prog: trim/AOT warnings in our own code (log: $log)" >&2
  exit 1
fi
if [ -n "$warnings" ]; then
  echo "$prog: $(printf '%s\n' "$warnings" | wc -l) trim/AOT warning(s) in third-party assemblies, reviewed in hardware/README.md:"
  printf '%s\n' "$warnings" | sed -E "s/^.*warning (IL[0-9]+): /  \1 /" | cut -c1-160
fi

# Whisper.net.Runtime ships every platform's whisper.cpp; its loader looks in runtimes/RID only.
if [ -d "$out/runtimes" ]; then
  find "$out/runtimes" -mindepth 1 -maxdepth 1 -type d ! -name "$rid" -exec rm -rf {} +
fi
rm -f "$out/ggml-metal.metal"

exe=$out/edgellm
[ -x "$exe" ] || { echo "$prog: the build wrote no $exe" >&2; exit 1; }
[ -f "$out/models/stories260K-q8_0.gguf" ] || { echo "$prog: the demo model is not in $out/models" >&2; exit 1; }

# The installer travels with the program: install.sh installs the folder it sits in (hardware/README.md), and the
# unit's Documentation= names /opt/edgellm/docs/mqtt.md.
cp "$repo/hardware/install.sh" "$out/install.sh"
cp -r "$repo/hardware/systemd" "$out/systemd"
mkdir -p "$out/boards"
for board in "$repo"/hardware/boards/*/; do
  cp -r "$board" "$out/boards/"
done
mkdir -p "$out/docs"
cp "$repo/docs/mqtt.md" "$out/docs/mqtt.md"

size=$(du -sh "$out" | cut -f1)
exe_size=$(du -h "$exe" | cut -f1)
echo "$prog: built $what for $rid in $(($(date +%s) - start)) s: $exe ($exe_size), folder $size"
