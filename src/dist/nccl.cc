#include "spiral/dist/nccl.h"

#ifdef SPIRAL_HAVE_NCCL
#include <nccl.h>
#endif

namespace spiral::dist {

#ifdef SPIRAL_HAVE_NCCL

bool nccl_compiled_in() { return true; }

std::string nccl_version() {
  int code = 0;
  if (ncclGetVersion(&code) != ncclSuccess) return "unknown";
  // NCCL >= 2.9 encodes major * 10000 + minor * 100 + patch.
  return std::to_string(code / 10000) + "." + std::to_string(code / 100 % 100) + "." +
         std::to_string(code % 100);
}

#else

bool nccl_compiled_in() { return false; }

std::string nccl_version() { return "not built"; }

#endif

}  // namespace spiral::dist
