/*
 * Entry point of the built-in CUDA driver (drivers/cuda/).
 *
 * harness/ reaches it through the built-in driver table; tests call it
 * directly. No CUDA type appears here: everything goes through the ABI in
 * chipcert/driver.h.
 */
#ifndef CHIPCERT_CUDA_DRIVER_H
#define CHIPCERT_CUDA_DRIVER_H

#include <chipcert/driver.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * The CUDA driver's function table for requested_abi >= 1 (an immutable
 * static table, valid for the life of the process), or NULL for 0.
 * Devices: every CUDA device the NVIDIA driver exposes (CUDA_VISIBLE_DEVICES
 * applies), in CUDA ordinal order. libcuda.so.1, libnvidia-ml.so.1 and
 * cuBLASLt are loaded at run time: without an NVIDIA driver, enumerate fails
 * with CC_ERR_DEVICE and last_error(NULL) says why. Thread-safe.
 */
const cc_driver_v1* chipcert_cuda_driver_entry(uint32_t requested_abi);

#ifdef __cplusplus
}
#endif

#endif /* CHIPCERT_CUDA_DRIVER_H */
