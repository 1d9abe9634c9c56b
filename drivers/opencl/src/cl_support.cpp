#include "cl_support.hpp"

#include <sstream>

namespace chipcert::opencl {

std::string cl_error_name(cl_int code) {
  switch (code) {
#define CC_CL_ERR(x) \
  case x:            \
    return #x;
    CC_CL_ERR(CL_DEVICE_NOT_FOUND)
    CC_CL_ERR(CL_DEVICE_NOT_AVAILABLE)
    CC_CL_ERR(CL_COMPILER_NOT_AVAILABLE)
    CC_CL_ERR(CL_MEM_OBJECT_ALLOCATION_FAILURE)
    CC_CL_ERR(CL_OUT_OF_RESOURCES)
    CC_CL_ERR(CL_OUT_OF_HOST_MEMORY)
    CC_CL_ERR(CL_PROFILING_INFO_NOT_AVAILABLE)
    CC_CL_ERR(CL_BUILD_PROGRAM_FAILURE)
    CC_CL_ERR(CL_INVALID_VALUE)
    CC_CL_ERR(CL_INVALID_DEVICE)
    CC_CL_ERR(CL_INVALID_CONTEXT)
    CC_CL_ERR(CL_INVALID_COMMAND_QUEUE)
    CC_CL_ERR(CL_INVALID_MEM_OBJECT)
    CC_CL_ERR(CL_INVALID_BUILD_OPTIONS)
    CC_CL_ERR(CL_INVALID_PROGRAM_EXECUTABLE)
    CC_CL_ERR(CL_INVALID_KERNEL_NAME)
    CC_CL_ERR(CL_INVALID_KERNEL)
    CC_CL_ERR(CL_INVALID_ARG_INDEX)
    CC_CL_ERR(CL_INVALID_ARG_VALUE)
    CC_CL_ERR(CL_INVALID_ARG_SIZE)
    CC_CL_ERR(CL_INVALID_KERNEL_ARGS)
    CC_CL_ERR(CL_INVALID_WORK_DIMENSION)
    CC_CL_ERR(CL_INVALID_WORK_GROUP_SIZE)
    CC_CL_ERR(CL_INVALID_WORK_ITEM_SIZE)
    CC_CL_ERR(CL_INVALID_GLOBAL_OFFSET)
    CC_CL_ERR(CL_INVALID_EVENT)
    CC_CL_ERR(CL_INVALID_OPERATION)
    CC_CL_ERR(CL_INVALID_BUFFER_SIZE)
    CC_CL_ERR(CL_INVALID_GLOBAL_WORK_SIZE)
    CC_CL_ERR(CL_PLATFORM_NOT_FOUND_KHR)
#undef CC_CL_ERR
    default:
      return "OpenCL error " + std::to_string(code);
  }
}

cc_status status_of(cl_int code) noexcept {
  switch (code) {
    case CL_SUCCESS:
      return CC_OK;
    case CL_MEM_OBJECT_ALLOCATION_FAILURE:
    case CL_OUT_OF_RESOURCES:
    case CL_OUT_OF_HOST_MEMORY:
      return CC_ERR_OUT_OF_MEMORY;
    case CL_INVALID_BUFFER_SIZE:
    case CL_INVALID_VALUE:
      return CC_ERR_INVALID_ARGUMENT;
    default:
      return CC_ERR_DEVICE;
  }
}

void check(cl_int code, const char* what) {
  if (code != CL_SUCCESS)
    throw Error(status_of(code), std::string(what) + ": " + cl_error_name(code));
}

namespace {
std::string trimmed(std::vector<char> raw) {
  std::string s(raw.begin(), raw.end());
  while (!s.empty() && (s.back() == '\0' || s.back() == ' ')) s.pop_back();
  return s;
}
}  // namespace

std::string device_string(cl_device_id d, cl_device_info param) {
  size_t size = 0;
  check(clGetDeviceInfo(d, param, 0, nullptr, &size), "clGetDeviceInfo");
  std::vector<char> raw(size);
  check(clGetDeviceInfo(d, param, size, raw.data(), nullptr), "clGetDeviceInfo");
  return trimmed(std::move(raw));
}

std::string platform_string(cl_platform_id p, cl_platform_info param) {
  size_t size = 0;
  check(clGetPlatformInfo(p, param, 0, nullptr, &size), "clGetPlatformInfo");
  std::vector<char> raw(size);
  check(clGetPlatformInfo(p, param, size, raw.data(), nullptr), "clGetPlatformInfo");
  return trimmed(std::move(raw));
}

bool has_extension(const std::string& extensions, const std::string& name) {
  std::istringstream in(extensions);
  std::string token;
  while (in >> token) {
    if (token == name) return true;
  }
  return false;
}

}  // namespace chipcert::opencl
