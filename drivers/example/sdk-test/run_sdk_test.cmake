# ctest driver_sdk_out_of_tree (cmake -P): install the SDK from the build tree
# into a private prefix, build the example plugin out of tree against it alone,
# and load the result in chipcert. Never touches the system prefix.
#
# -D inputs: BUILD_DIR, WORK_DIR, SOURCE_DIR (drivers/example), SDK_CHECK_SOURCE,
# CHIPCERT_BIN, C_COMPILER, C_FLAGS, LINK_FLAGS (the outer build's, so an ASan
# build links ASan objects with ASan flags).
foreach(v BUILD_DIR WORK_DIR SOURCE_DIR SDK_CHECK_SOURCE CHIPCERT_BIN C_COMPILER)
  if(NOT DEFINED ${v} OR "${${v}}" STREQUAL "")
    message(FATAL_ERROR "run_sdk_test.cmake: -D${v}=... is required")
  endif()
endforeach()

function(step what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc}):\n${ARGN}\n${out}\n${err}")
  endif()
  set(step_out "${out}" PARENT_SCOPE)
endfunction()

file(REMOVE_RECURSE "${WORK_DIR}")
set(prefix "${WORK_DIR}/prefix")
set(src "${WORK_DIR}/src")
file(MAKE_DIRECTORY "${src}")

string(TIMESTAMP t0 "%s")
step("cmake --install" "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${prefix}"
     --component sdk)
file(GLOB_RECURSE cfg "${prefix}/*/chipcertConfig.cmake")
file(GLOB_RECURSE lib "${prefix}/*/libchipcert_driver_sdk.a")
foreach(f "${prefix}/include/chipcert/driver.h" "${prefix}/include/chipcert/driver_sdk.h")
  if(NOT EXISTS "${f}")
    message(FATAL_ERROR "the SDK install lacks ${f}")
  endif()
endforeach()
if(NOT cfg OR NOT lib)
  message(FATAL_ERROR "the SDK install lacks chipcertConfig.cmake or libchipcert_driver_sdk.a")
endif()

# Copies only: the project sees no path into the chipcert source tree.
file(COPY "${SOURCE_DIR}/sdk-test/CMakeLists.txt" "${SOURCE_DIR}/chipcert_example_driver.c"
          "${SDK_CHECK_SOURCE}" DESTINATION "${src}")
step("configure out of tree" "${CMAKE_COMMAND}" -S "${src}" -B "${WORK_DIR}/build" -G Ninja
     -DCMAKE_BUILD_TYPE=Release "-DCMAKE_C_COMPILER=${C_COMPILER}" "-DCMAKE_C_FLAGS=${C_FLAGS}"
     "-DCMAKE_MODULE_LINKER_FLAGS=${LINK_FLAGS}" "-DCMAKE_EXE_LINKER_FLAGS=${LINK_FLAGS}"
     "-DCHIPCERT_SDK_PREFIX=${prefix}")
step("build out of tree" "${CMAKE_COMMAND}" --build "${WORK_DIR}/build")
set(plugin "${WORK_DIR}/build/chipcert_driver_example.so")

step("sdk_check (the installed helper library)" "${WORK_DIR}/build/sdk_check")

# Only the entry point is exported, even with the SDK library linked in.
find_program(NM nm)
if(NM)
  step("nm" "${NM}" -D --defined-only "${plugin}")
  string(REGEX MATCHALL "[^\n]* T [^\n]*" exported "${step_out}")
  if(NOT exported MATCHES "chipcert_driver_entry" OR exported MATCHES ";")
    message(FATAL_ERROR "the plugin should export exactly chipcert_driver_entry, exports:\n${exported}")
  endif()
endif()

# The out-of-tree plugin loads and shows its device with the identity we set.
step("chipcert devices" "${CMAKE_COMMAND}" -E env --unset=CHIPCERT_DRIVER_PATH
     "CHIPCERT_EXAMPLE_VENDOR=SDK Test Vendor" "CHIPCERT_EXAMPLE_MODEL=Out Of Tree X1"
     "${CHIPCERT_BIN}" devices --json --no-builtin-drivers --driver-path "${plugin}")
string(JSON n LENGTH "${step_out}" devices)
if(NOT n EQUAL 1)
  message(FATAL_ERROR "expected 1 device from ${plugin}, got ${n}:\n${step_out}")
endif()
string(JSON driver GET "${step_out}" devices 0 driver)
string(JSON vendor GET "${step_out}" devices 0 vendor)
string(JSON name GET "${step_out}" devices 0 name)
if(NOT driver STREQUAL "example" OR NOT vendor STREQUAL "SDK Test Vendor"
   OR NOT name STREQUAL "Out Of Tree X1")
  message(FATAL_ERROR "unexpected device from ${plugin}: ${driver} / ${vendor} / ${name}")
endif()
string(TIMESTAMP t1 "%s")
math(EXPR secs "${t1} - ${t0}")
message(STATUS "SDK installed, example built out of tree and loaded in ${secs} s")
