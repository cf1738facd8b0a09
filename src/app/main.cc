// spiral: the command-line entry point; dispatches to the subcommands.
#include <malloc.h>

#include <cstdlib>
#include <cstring>
#include <iostream>

#include "command.h"
#include "spiral/core/errors.h"

namespace {

// LibTorch frees and allocates the same large tensors at every step; glibc's default thresholds
// hand them back to the kernel each time (munmap, trim) and the next step page-faults them in
// again. Keep them in the process instead. SPIRAL_MALLOC_TUNING=0 keeps glibc's defaults.
void keep_freed_memory() {
  const char* setting = std::getenv("SPIRAL_MALLOC_TUNING");
  if (setting != nullptr && std::strcmp(setting, "0") == 0) return;
  mallopt(M_MMAP_THRESHOLD, 32 << 20);  // glibc's largest: blocks up to 32 MiB come from the heap
  mallopt(M_MMAP_MAX, 0);               // and larger ones too: no block is mmap'ed
  mallopt(M_TRIM_THRESHOLD, 1 << 30);   // return heap memory only beyond 1 GiB free at the top
}

}  // namespace

int main(int argc, char** argv) {
  keep_freed_memory();
  using spiral::app::Command;
  const Command spiral{
      "spiral", "Train and run SPIRAL agents.", {}, nullptr, spiral::app::all_commands()};
  const std::string first = argc > 1 ? argv[1] : "";
  if (first == "--version") {
    std::cout << spiral::app::version_report();
    return 0;
  }
  spiral::app::CommandContext context{&argc, &argv};
  return spiral::app::dispatch(spiral, "spiral", std::vector<std::string>(argv + 1, argv + argc),
                               context);
}
