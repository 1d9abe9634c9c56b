/*
 * A stand-in for libcuda.so.1 and libnvidia-ml.so.1 with the entry points the
 * CUDA driver resolves, so its enumeration and identity code runs on machines
 * without a GPU. One "H100-like" device at PCI 0000:1b:00.0; built with
 * FAKE_NO_DEVICE, cuInit reports CUDA_ERROR_NO_DEVICE instead.
 * Types are spelled as plain C (the ABI of cuda.h / nvml.h): enums are int.
 */
#include <stdio.h>
#include <string.h>

#define EXPORT __attribute__((visibility("default")))

typedef struct {
  char bytes[16];
} fake_uuid;

static int fill(char* dst, int len, const char* text) {
  if (len <= 0) return 1;
  snprintf(dst, (size_t)len, "%s", text);
  return 0;
}

/* ---- driver API ---- */

EXPORT int cuInit(unsigned flags) {
  (void)flags;
#ifdef FAKE_NO_DEVICE
  return 100; /* CUDA_ERROR_NO_DEVICE */
#else
  return 0;
#endif
}
EXPORT int cuDriverGetVersion(int* v) {
  *v = 13000;
  return 0;
}
EXPORT int cuDeviceGetCount(int* n) {
  *n = 1;
  return 0;
}
EXPORT int cuDeviceGet(int* dev, int ordinal) {
  if (ordinal != 0) return 101; /* CUDA_ERROR_INVALID_DEVICE */
  *dev = 0;
  return 0;
}
EXPORT int cuDeviceGetName(char* name, int len, int dev) {
  (void)dev;
  return fill(name, len, "Fake NVIDIA H100 80GB HBM3");
}
EXPORT int cuDeviceGetUuid_v2(fake_uuid* u, int dev) {
  (void)dev;
  for (int i = 0; i < 16; ++i) u->bytes[i] = (char)(0xa0 + i);
  return 0;
}
EXPORT int cuDeviceTotalMem_v2(size_t* bytes, int dev) {
  (void)dev;
  *bytes = (size_t)80 << 30;
  return 0;
}
EXPORT int cuDeviceGetAttribute(int* v, int attribute, int dev) {
  (void)dev;
  switch (attribute) {
    case 13: /* CU_DEVICE_ATTRIBUTE_CLOCK_RATE, kHz */
      *v = 1755000;
      return 0;
    case 16: /* MULTIPROCESSOR_COUNT */
      *v = 132;
      return 0;
    case 75: /* COMPUTE_CAPABILITY_MAJOR */
      *v = 9;
      return 0;
    case 76: /* COMPUTE_CAPABILITY_MINOR */
      *v = 0;
      return 0;
    default:
      return 1; /* CUDA_ERROR_INVALID_VALUE */
  }
}
EXPORT int cuDeviceGetPCIBusId(char* bus, int len, int dev) {
  (void)dev;
  return fill(bus, len, "00000000:1B:00.0");
}
EXPORT int cuGetErrorName(int rc, const char** name) {
  *name = rc == 100 ? "CUDA_ERROR_NO_DEVICE" : "CUDA_ERROR_FAKE";
  return 0;
}

/* ---- NVML ---- */

static int device_token;

EXPORT int nvmlInit_v2(void) {
  return 0;
}
EXPORT const char* nvmlErrorString(int rc) {
  return rc == 0 ? "Success" : "Fake NVML error";
}
EXPORT int nvmlSystemGetDriverVersion(char* buf, unsigned len) {
  return fill(buf, (int)len, "580.65.06");
}
EXPORT int nvmlDeviceGetHandleByPciBusId_v2(const char* bus, void** dev) {
  if (strcmp(bus, "0000:1b:00.0") != 0) return 6; /* NVML_ERROR_NOT_FOUND */
  *dev = &device_token;
  return 0;
}
EXPORT int nvmlDeviceGetSerial(void* dev, char* buf, unsigned len) {
  (void)dev;
  return fill(buf, (int)len, "1654922001234");
}
EXPORT int nvmlDeviceGetVbiosVersion(void* dev, char* buf, unsigned len) {
  (void)dev;
  return fill(buf, (int)len, "96.00.89.00.01");
}
EXPORT int nvmlDeviceGetEccMode(void* dev, int* current, int* pending) {
  (void)dev;
  *current = 1;
  *pending = 1;
  return 0;
}
EXPORT int nvmlDeviceGetEnforcedPowerLimit(void* dev, unsigned* mw) {
  (void)dev;
  *mw = 700000;
  return 0;
}
EXPORT int nvmlDeviceGetPowerUsage(void* dev, unsigned* mw) {
  (void)dev;
  *mw = 123456;
  return 0;
}
EXPORT int nvmlDeviceGetTemperature(void* dev, int sensor, unsigned* c) {
  (void)dev;
  if (sensor != 0) return 2; /* NVML_ERROR_INVALID_ARGUMENT */
  *c = 41;
  return 0;
}
EXPORT int nvmlDeviceGetClockInfo(void* dev, int type, unsigned* mhz) {
  (void)dev;
  if (type != 1) return 2;
  *mhz = 1410;
  return 0;
}
EXPORT int nvmlDeviceGetMaxClockInfo(void* dev, int type, unsigned* mhz) {
  (void)dev;
  if (type != 1) return 2;
  *mhz = 1980;
  return 0;
}
