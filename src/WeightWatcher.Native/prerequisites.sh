#!/usr/bin/env bash
# The one check of what building libMathNetNumericsOpenBLAS.so needs: OpenBLAS and LAPACKE headers, CMake
# and a C compiler. WeightWatcher.Native.targets (whether to build or skip with a warning), build.cake's
# Native task, .ci/run and ./ww (what to install) all ask this script.
# Prints the missing Debian packages on one line, space-separated; exits 0 when nothing is missing, 1 otherwise.
missing=()
[ -f /usr/include/lapacke.h ] || missing+=(liblapacke-dev)
compgen -G "/usr/include/*/openblas-pthread/cblas.h" >/dev/null || [ -f /usr/include/openblas/cblas.h ] || missing+=(libopenblas-dev)
command -v cmake >/dev/null 2>&1 || missing+=(cmake)
command -v cc >/dev/null 2>&1 || missing+=(gcc)
[ ${#missing[@]} -eq 0 ] && exit 0
echo "${missing[*]}"
exit 1
