/*
 * Entry point of the built-in OpenCL driver (drivers/opencl/).
 *
 * harness/ reaches it through the built-in driver table; tests call it
 * directly. No OpenCL type appears here: everything goes through the ABI
 * in chipcert/driver.h.
 */
#ifndef CHIPCERT_OPENCL_DRIVER_H
#define CHIPCERT_OPENCL_DRIVER_H

#include <chipcert/driver.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * The OpenCL driver's function table for requested_abi >= 1 (an immutable
 * static table, valid for the life of the process), or NULL for 0.
 * Devices: every device of every OpenCL platform the ICD loader reports, in
 * platform then device order; a loader with no platforms gives zero devices.
 * Thread-safe.
 */
const cc_driver_v1* chipcert_opencl_driver_entry(uint32_t requested_abi);

#ifdef __cplusplus
}
#endif

#endif /* CHIPCERT_OPENCL_DRIVER_H */
