#include <ATen/Parallel.h>

#include <algorithm>
#include <thread>

#include "command.h"
#include "spiral/core/logging.h"

namespace spiral::app {

OptionGroup common_options() {
  return {"common",
          {
              choice_option("log-level", "info", {"debug", "info", "warning", "error"},
                            "Least severe log lines printed"),
              int_option("threads", 0, 0, 1024, "threads",
                         "LibTorch intra-op threads per rank (0: all cores of this machine)"),
              int_option("seed", 1, 0, INT64_MAX, "", "Seed of every random number generator"),
          }};
}

void apply_common_options(const Config& config) {
  set_log_level(parse_log_level(config.get_text("log-level")));
  int threads = static_cast<int>(config.get_int("threads"));
  if (threads == 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  at::set_num_threads(threads);  // LibTorch's own default is 1 thread on Debian's build
}

}  // namespace spiral::app
