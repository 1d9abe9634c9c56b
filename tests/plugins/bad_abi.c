/* Claims ABI version 99, which no chipcert implements: the loader must skip
 * it with a reason naming the version, and never call into the table. */
#include "stub_driver.h"

static const cc_driver_v1 k_table = {
    .struct_size = sizeof(cc_driver_v1),
    .abi_version = 99,
    .name = "bad_abi",
    .version = "0",
    .description = "test plugin: unknown ABI version",
    .enumerate = stub_enumerate,
    .device_info = stub_device_info,
    CC_STUB_DEVICE_OPS,
    .last_error = stub_last_error,
};

CC_DRIVER_EXPORT const cc_driver_v1* chipcert_driver_entry(uint32_t requested_abi) {
  (void)requested_abi;
  return &k_table;
}
