#include "spiral/core/allocator.h"

#include <malloc.h>

#include <cstdlib>
#include <cstring>

namespace spiral {

// LibTorch frees and allocates the same large tensors at every step; glibc's default thresholds
// hand them back to the kernel each time (munmap, trim) and the next step page-faults them in
// again.
void keep_freed_memory() {
  const char* setting = std::getenv("SPIRAL_MALLOC_TUNING");
  if (setting != nullptr && std::strcmp(setting, "0") == 0) return;
  mallopt(M_MMAP_THRESHOLD, 32 << 20);  // glibc's largest: blocks up to 32 MiB come from the heap
  mallopt(M_MMAP_MAX, 0);               // and larger ones too: no block is mmap'ed
  mallopt(M_TRIM_THRESHOLD, 1 << 30);   // return heap memory only beyond 1 GiB free at the top
}

}  // namespace spiral
