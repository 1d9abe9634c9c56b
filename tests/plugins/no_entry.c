/* A valid shared object that exports a function, but not chipcert_driver_entry. */
#include "stub_driver.h"

CC_DRIVER_EXPORT const cc_driver_v1* chipcert_driver_entry_misspelled(uint32_t requested_abi) {
  (void)requested_abi;
  return NULL;
}
