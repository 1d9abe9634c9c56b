/* A driver with zero devices: every device call fails cleanly. */
#include "stub_driver.h"

cc_status stub_enumerate(uint32_t* count) {
  *count = 0;
  return CC_OK;
}
cc_status stub_device_info(uint32_t index, cc_device_info* info) {
  (void)index;
  (void)info;
  return CC_ERR_INVALID_ARGUMENT;
}
cc_status stub_open(uint32_t index, cc_device** out) {
  (void)index;
  (void)out;
  return CC_ERR_INVALID_ARGUMENT;
}
void stub_close(cc_device* dev) {
  (void)dev;
}
cc_status stub_alloc(cc_device* dev, uint64_t bytes, cc_buffer** out) {
  (void)dev;
  (void)bytes;
  (void)out;
  return CC_ERR_INVALID_ARGUMENT;
}
void stub_free(cc_device* dev, cc_buffer* buf) {
  (void)dev;
  (void)buf;
}
cc_status stub_write(cc_device* dev, cc_buffer* buf, uint64_t offset, const void* src,
                     uint64_t bytes) {
  (void)dev;
  (void)buf;
  (void)offset;
  (void)src;
  (void)bytes;
  return CC_ERR_INVALID_ARGUMENT;
}
cc_status stub_read(cc_device* dev, cc_buffer* buf, uint64_t offset, void* dst, uint64_t bytes) {
  (void)dev;
  (void)buf;
  (void)offset;
  (void)dst;
  (void)bytes;
  return CC_ERR_INVALID_ARGUMENT;
}
cc_status stub_prepare(cc_device* dev, const cc_op_desc* op, cc_kernel** out) {
  (void)dev;
  (void)op;
  (void)out;
  return CC_ERR_UNSUPPORTED;
}
void stub_release(cc_device* dev, cc_kernel* kernel) {
  (void)dev;
  (void)kernel;
}
cc_status stub_launch(cc_device* dev, cc_kernel* kernel, cc_buffer* const* args, uint32_t nargs) {
  (void)dev;
  (void)kernel;
  (void)args;
  (void)nargs;
  return CC_ERR_INVALID_ARGUMENT;
}
cc_status stub_synchronize(cc_device* dev) {
  (void)dev;
  return CC_OK;
}
const char* stub_last_error(cc_device* dev) {
  (void)dev;
  return "stub driver has no devices";
}
