/* Exports the entry point but has no table for any requested version. */
#include "stub_driver.h"

CC_DRIVER_EXPORT const cc_driver_v1* chipcert_driver_entry(uint32_t requested_abi) {
  (void)requested_abi;
  return NULL;
}
