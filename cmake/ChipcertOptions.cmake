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
