/*
 * chipcert driver SDK helpers (C99). Small, dependency-free functions a
 * driver plugin may use for its messages and argument checks; link
 * chipcert::driver_sdk (a static library built with hidden visibility, so
 * nothing here is exported from the plugin).
 */
#ifndef CHIPCERT_DRIVER_SDK_H
#define CHIPCERT_DRIVER_SDK_H

#include <chipcert/driver.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The SDK's ABI version: always CC_DRIVER_ABI_VERSION of the header it was built with. */
uint32_t cc_sdk_abi_version(void);

/** "CC_OK", "CC_ERR_UNSUPPORTED", ...; "CC_ERR_<unknown>" for a value the ABI does not define.
    Never NULL; static storage. */
const char* cc_status_string(int status);

/** Lower-case dtype name as suites spell it ("fp32", "bf16", "int8", ...); NULL if unknown. */
const char* cc_dtype_name(uint32_t dtype);

/** Bytes per element of a storage dtype (tf32 is stored as 4 bytes); 0 if unknown. */
uint32_t cc_dtype_size(uint32_t dtype);

/** Number of buffers launch() receives for an op kind (driver.h's "args:" lists);
    -1 if the kind is unknown. */
int cc_op_arg_count(uint32_t kind);

/** Name of buffer `index` of an op kind ("A", "x", "dlogits", ...) for messages; NULL if
    the kind is unknown or index >= cc_op_arg_count(kind). */
const char* cc_op_arg_name(uint32_t kind, uint32_t index);

/** The smallest size in bytes buffer `index` of `op` must have, as driver.h's op
    documentation defines it (leading dimensions, batch strides, the conv output
    size, statistics in fp32 or fp64), into *bytes. CC_OK; CC_ERR_INVALID_ARGUMENT
    for a NULL pointer, an index beyond the op's buffers, a negative or
    inconsistent shape, or a size that overflows 64 bits; CC_ERR_UNSUPPORTED for an
    op kind or dtype this SDK does not know. A driver compares each launch()
    argument's size with it; `chipcert conformance` checks that a driver accepts
    exactly these sizes and refuses one byte less. */
int cc_op_arg_bytes(const cc_op_desc* op, uint32_t index, uint64_t* bytes);

#ifdef __cplusplus
}
#endif

#endif /* CHIPCERT_DRIVER_SDK_H */
