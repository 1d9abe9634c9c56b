# Writes OUT, a C++ file defining `const char chipcert::opencl::<SYMBOL>[]`
# holding the text of IN as a raw string literal. Run with cmake -P.
file(READ "${IN}" text)
if(text MATCHES "\\)CLSRC\"")
  message(FATAL_ERROR "${IN} contains the raw-string delimiter )CLSRC\"")
endif()
file(WRITE "${OUT}.tmp"
  "// Generated from ${IN} by embed_cl.cmake. Do not edit.\n"
  "#include \"kernel_sources.hpp\"\n"
  "namespace chipcert::opencl {\n"
  "const char ${SYMBOL}[] = R\"CLSRC(${text})CLSRC\";\n"
  "}  // namespace chipcert::opencl\n")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUT}.tmp")
