# Build options. Backends are AUTO (built when their SDK is found), ON (a
# missing SDK is a configure error) or OFF.
set(_cc_tristate AUTO ON OFF)

set(CHIPCERT_ENABLE_CPU ON CACHE STRING "Build the CPU driver (AUTO/ON/OFF)")
set(CHIPCERT_ENABLE_OPENCL AUTO CACHE STRING "Build the OpenCL driver (AUTO/ON/OFF)")
set(CHIPCERT_ENABLE_EXAMPLE ON CACHE STRING "Build the example plugin driver (AUTO/ON/OFF)")
set(CHIPCERT_ENABLE_CUDA AUTO CACHE STRING "Build the NVIDIA CUDA driver (AUTO/ON/OFF)")
set_property(CACHE CHIPCERT_ENABLE_CUDA PROPERTY STRINGS ${_cc_tristate})
foreach(_opt CHIPCERT_ENABLE_CPU CHIPCERT_ENABLE_OPENCL CHIPCERT_ENABLE_EXAMPLE)
  set_property(CACHE ${_opt} PROPERTY STRINGS ${_cc_tristate})
endforeach()

option(CHIPCERT_BUILD_TESTS "Build the GoogleTest and ctest suites" ON)
# libFuzzer targets under tests/fuzz (clang only; ci/fuzz configures build/fuzz with it).
option(CHIPCERT_ENABLE_FUZZ "Build the libFuzzer targets (needs clang)" OFF)
# Fleet runs (`chipcert run --fleet`) and collectives across ranks need MPI
# (Open MPI from Debian). AUTO: built when find_package(MPI) finds it.
set(CHIPCERT_ENABLE_MPI AUTO CACHE STRING "Build fleet runs over MPI (AUTO/ON/OFF)")
set_property(CACHE CHIPCERT_ENABLE_MPI PROPERTY STRINGS ${_cc_tristate})
