/*
 * Entry point of the built-in CPU driver (drivers/cpu).
 *
 * The harness reaches this driver only through the table it returns; nothing
 * else of the driver is public.
 */
#ifndef CHIPCERT_CPU_DRIVER_H
#define CHIPCERT_CPU_DRIVER_H

#include <chipcert/driver.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Returns the CPU driver's immutable v1 table when requested_abi >= 1, else
 * NULL. Thread-safe; the table lives for the whole process. The driver offers
 * one device: every core of the host, driven through oneDNN and OpenMP.
 */
const cc_driver_v1* chipcert_cpu_driver_entry(uint32_t requested_abi);

#ifdef __cplusplus
}
#endif

#endif /* CHIPCERT_CPU_DRIVER_H */
