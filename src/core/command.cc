#include "spiral/core/command.h"

#include <cstdint>

namespace spiral {

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

}  // namespace spiral
