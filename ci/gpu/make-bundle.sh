#!/usr/bin/env bash
# Packs a CUDA-enabled build for a GPU machine that cannot install packages:
# chipcert, the CUDA driver's test and its fakes, and every shared library
# they load that is not glibc's or the C++ runtime's, as one tar.xz whose
# members keep their absolute paths (the test binary has the fakes' paths
# built in). On the GPU machine:
#
#   tar -C / -xJf bundle.tar.xz
#   LD_LIBRARY_PATH=BUILD_DIR/bundle-lib SKIP_SETUP=1 SKIP_BUILD=1 \
#     BUILD_DIR=BUILD_DIR bash ci/gpu/run-gpu-check.sh
#
# Usage: ci/gpu/make-bundle.sh BUILD_DIR OUTPUT.tar.xz
set -euo pipefail
build=$(realpath "${1:?usage: make-bundle.sh BUILD_DIR OUTPUT.tar.xz}")
output=$(realpath -m "${2:?usage: make-bundle.sh BUILD_DIR OUTPUT.tar.xz}")
bins=("${build}/bin/chipcert" "${build}/drivers/cuda/cuda_driver_test")
for b in "${bins[@]}"; do
  [[ -x "${b}" ]] || { echo "make-bundle: ${b}: not built (expected a CUDA-enabled build)" >&2; exit 2; }
done
libdir="${build}/bundle-lib"
rm -rf "${libdir}"
mkdir -p "${libdir}"
# glibc and libstdc++ stay: the GPU machine's own are newer and must be used.
ldd "${bins[@]}" | awk '/=> \//{print $3}' | sort -u |
  grep -vE '/(libc|libm|libmvec|libdl|librt|libpthread|libstdc\+\+|libgcc_s|ld-linux[^/]*)\.so' |
  while read -r lib; do cp -L "${lib}" "${libdir}/"; done
members=("${bins[@]}" "${build}"/drivers/cuda/libchipcert_fake_nvidia*.so "${libdir}")
tar -C / -cJf "${output}" "${members[@]#/}"
ls -la "${output}"
