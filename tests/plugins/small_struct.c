/* Declares struct_size 16, smaller than any cc_driver_v1: the loader must
 * refuse to read function pointers the driver says it does not have. */
#include "stub_driver.h"

static const cc_driver_v1 k_table = {
    .struct_size = 16,
    .abi_version = CC_DRIVER_ABI_VERSION,
    .name = "small_struct",
    .version = "0",
    .description = "test plugin: truncated function table",
    .enumerate = stub_enumerate,
    .device_info = stub_device_info,
    CC_STUB_DEVICE_OPS,
    .last_error = stub_last_error,
};

CC_DRIVER_EXPORT const cc_driver_v1* chipcert_driver_entry(uint32_t requested_abi) {
  return requested_abi >= 1u ? &k_table : NULL;
}
