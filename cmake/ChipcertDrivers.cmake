# Driver registration. A backend's CMakeLists calls
#   chipcert_add_builtin_driver(NAME <id> TARGET <static-lib>)
# and exports `chipcert_<id>_driver_entry` with the signature of
# cc_driver_entry_fn. harness/ turns the list into the built-in driver table,
# so adding a backend means adding a folder, not editing a switch.

define_property(GLOBAL PROPERTY CHIPCERT_BUILTIN_DRIVERS
  BRIEF_DOCS "ids of built-in drivers" FULL_DOCS "ids of built-in drivers")
define_property(GLOBAL PROPERTY CHIPCERT_BUILTIN_DRIVER_TARGETS
  BRIEF_DOCS "targets of built-in drivers" FULL_DOCS "targets of built-in drivers")
define_property(GLOBAL PROPERTY CHIPCERT_SUMMARY
  BRIEF_DOCS "configure summary lines" FULL_DOCS "configure summary lines")

function(chipcert_add_builtin_driver)
  cmake_parse_arguments(ARG "" "NAME;TARGET" "" ${ARGN})
  set_property(GLOBAL APPEND PROPERTY CHIPCERT_BUILTIN_DRIVERS ${ARG_NAME})
  set_property(GLOBAL APPEND PROPERTY CHIPCERT_BUILTIN_DRIVER_TARGETS ${ARG_TARGET})
endfunction()

# Record one line of the configure summary: chipcert_summary(<what> <state>)
function(chipcert_summary what state)
  set_property(GLOBAL APPEND PROPERTY CHIPCERT_SUMMARY "${what}: ${state}")
endfunction()

# Resolve an AUTO/ON/OFF option against whether its SDK was found.
# Sets <out> to TRUE/FALSE; ON without the SDK is a configure error.
function(chipcert_resolve_backend option found reason out)
  set(value "${${option}}")
  string(TOUPPER "${value}" value)
  if(value STREQUAL "OFF" OR value STREQUAL "FALSE" OR value STREQUAL "0")
    set(${out} FALSE PARENT_SCOPE)
    chipcert_summary("${option}" "OFF (disabled)")
  elseif(found)
    set(${out} TRUE PARENT_SCOPE)
    chipcert_summary("${option}" "ON")
  elseif(value STREQUAL "AUTO")
    set(${out} FALSE PARENT_SCOPE)
    chipcert_summary("${option}" "OFF (${reason})")
  else()
    message(FATAL_ERROR "${option}=${${option}} but ${reason}. Install it (ci/setup) or set ${option}=AUTO/OFF.")
  endif()
endfunction()

function(chipcert_print_summary)
  get_property(lines GLOBAL PROPERTY CHIPCERT_SUMMARY)
  get_property(drivers GLOBAL PROPERTY CHIPCERT_BUILTIN_DRIVERS)
  message(STATUS "chipcert ${PROJECT_VERSION} configuration (${CMAKE_BUILD_TYPE}):")
  foreach(line IN LISTS lines)
    message(STATUS "  ${line}")
  endforeach()
  message(STATUS "  built-in drivers: ${drivers}")
endfunction()
