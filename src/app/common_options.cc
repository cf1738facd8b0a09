#include <ATen/Parallel.h>

#include <algorithm>
#include <thread>

#include "command.h"
#include "spiral/core/logging.h"

namespace spiral::app {

void apply_common_options(const Config& config) {
  set_log_level(parse_log_level(config.get_text("log-level")));
  int threads = static_cast<int>(config.get_int("threads"));
  if (threads == 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  at::set_num_threads(threads);  // LibTorch's own default is 1 thread on Debian's build
}

}  // namespace spiral::app
