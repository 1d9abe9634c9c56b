/* A correct table whose enumerate fails: the loader must report the
 * driver's own reason ("simulated enumerate failure") and carry on. */
#include "stub_driver.h"

static cc_status fail_enumerate(uint32_t* count) {
  (void)count;
  return CC_ERR_DEVICE;
}

static const char* fail_last_error(cc_device* dev) {
  (void)dev;
  return "simulated enumerate failure";
}

static const cc_driver_v1 k_table = {
    .struct_size = sizeof(cc_driver_v1),
    .abi_version = CC_DRIVER_ABI_VERSION,
    .name = "enumerate_fails",
    .version = "0",
    .description = "test plugin: enumerate returns CC_ERR_DEVICE",
    .enumerate = fail_enumerate,
    .device_info = stub_device_info,
    CC_STUB_DEVICE_OPS,
    .last_error = fail_last_error,
};

CC_DRIVER_EXPORT const cc_driver_v1* chipcert_driver_entry(uint32_t requested_abi) {
  return requested_abi >= 1u ? &k_table : NULL;
}
