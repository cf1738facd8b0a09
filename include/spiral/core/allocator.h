// glibc malloc settings for LibTorch's allocation pattern.
#pragma once

namespace spiral {

// Keeps memory LibTorch frees in the process: no block is mmap'ed and the heap is trimmed only
// beyond 1 GiB free at its top (see BENCHMARKS.md). SPIRAL_MALLOC_TUNING=0 keeps glibc's defaults.
// Call it before the first large allocation.
void keep_freed_memory();

}  // namespace spiral
