#!/usr/bin/env bash
# Installs, from Debian 12's archive, whatever nibble needs that this machine lacks.
# Idempotent: a package already installed is left alone; with nothing missing, it touches nothing.
# Run as root (or through sudo). Listed once here; docs/building.md explains each package.
set -euo pipefail

packages=(
  build-essential cmake pkg-config git python3
  libsystemc-dev verilator zlib1g-dev
  libboost-dev libboost-program-options-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libyaml-cpp-dev nlohmann-json3-dev
  python3-matplotlib python3-numpy
  python3-dev pybind11-dev python3-pybind11 python3-pytest
  python3-onnx python3-torch python3-torchvision python3-sklearn
  clang libfuzzer-14-dev libclang-rt-14-dev
  slurm-wlm munge
)

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
  [ "$status" = "installed" ] || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present" >&2
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
    echo "install-deps: missing ${missing[*]}; run as root to install them" >&2
    exit 2
  fi
else
  SUDO=
fi

echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends "${missing[@]}"
