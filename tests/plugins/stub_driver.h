/*
 * Pieces shared by the deliberately broken test plugins. Each plugin is
 * otherwise a well-formed driver with no devices, so a loader test fails for
 * exactly the one defect its plugin carries.
 */
#ifndef CHIPCERT_TEST_STUB_DRIVER_H
#define CHIPCERT_TEST_STUB_DRIVER_H

#include <chipcert/driver.h>

cc_status stub_enumerate(uint32_t* count);
cc_status stub_device_info(uint32_t index, cc_device_info* info);
cc_status stub_open(uint32_t index, cc_device** out);
void stub_close(cc_device* dev);
cc_status stub_alloc(cc_device* dev, uint64_t bytes, cc_buffer** out);
void stub_free(cc_device* dev, cc_buffer* buf);
cc_status stub_write(cc_device* dev, cc_buffer* buf, uint64_t offset, const void* src,
                     uint64_t bytes);
cc_status stub_read(cc_device* dev, cc_buffer* buf, uint64_t offset, void* dst, uint64_t bytes);
cc_status stub_prepare(cc_device* dev, const cc_op_desc* op, cc_kernel** out);
void stub_release(cc_device* dev, cc_kernel* kernel);
cc_status stub_launch(cc_device* dev, cc_kernel* kernel, cc_buffer* const* args, uint32_t nargs);
cc_status stub_synchronize(cc_device* dev);
const char* stub_last_error(cc_device* dev);

/* Every per-device entry of a table (enumerate, device_info and last_error
 * are listed by each plugin, so one can replace them without -Woverride-init). */
#define CC_STUB_DEVICE_OPS                                                                  \
  .open = stub_open, .close = stub_close, .alloc = stub_alloc, .free = stub_free,           \
  .write = stub_write, .read = stub_read, .prepare = stub_prepare, .release = stub_release, \
  .launch = stub_launch, .synchronize = stub_synchronize, .timed_launch = NULL,             \
  .read_sensors = NULL

#endif /* CHIPCERT_TEST_STUB_DRIVER_H */
