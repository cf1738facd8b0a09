#!/usr/bin/env bash
# Installs the Debian 12 packages SPIRAL-HPC needs; does nothing when all are present.
# Usage: bash scripts/setup.sh        (as root, or with sudo available)
set -euo pipefail

# One list, one place. Each line: package  # why
PACKAGES=(
  build-essential cmake ninja-build pkg-config git clang-format   # toolchain, format check
  libtorch-dev libopenblas0-openmp      # LibTorch 1.13 (CPU) on OpenBLAS, not the reference BLAS
  libopenmpi-dev openmpi-bin            # MPI (C API) and mpirun
  libhdf5-dev                           # HDF5 C library
  libboost-program-options-dev          # command line and INI input files
  nlohmann-json3-dev                    # JSON (programs)
  libmujoco-dev libqhull-dev            # MuJoCo 2.2 (its CMake config needs qhull)
  libmypaint-dev libglib2.0-dev mypaint-brushes   # libmypaint (pkg-config needs glib), brushes
  libegl-dev libgl-dev libegl-mesa0 libosmesa6-dev   # off-screen OpenGL: EGL (Mesa) and OSMesa
  libpng-dev libjpeg-dev zlib1g-dev     # images
  libgtest-dev googletest               # GoogleTest
  python3 python3-h5py python3-numpy    # tests read our HDF5 files with h5py
  libzip-dev                            # Omniglot zips read in place
  clang libclang-rt-14-dev              # fuzz tests: clang++ and libFuzzer (tests/fuzz)
  slurmctld slurmd slurm-client munge   # slurm/ templates; tests/slurm runs a one-node cluster
  python3-matplotlib                    # analysis/ plots (Agg backend)
)

missing=()
for package in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$package")
done

if ((${#missing[@]} == 0)); then
  echo "setup: all ${#PACKAGES[@]} Debian packages are installed"
  exit 0
fi

SUDO=""
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "setup: run as root to install: ${missing[*]}" >&2; exit 1; }
  SUDO=sudo
fi
echo "setup: installing ${#missing[@]} Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Refresh the package lists only when they are absent or cannot resolve a missing package.
if ! compgen -G "/var/lib/apt/lists/*_Packages" >/dev/null ||
   ! apt-cache show "${missing[@]}" >/dev/null 2>&1; then
  $SUDO apt-get update -q
fi
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
