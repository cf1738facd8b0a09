// libFuzzer target: Omniglot stroke files of arbitrary bytes (tests/fuzz/run.sh).
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>

#include "spiral/core/errors.h"
#include "spiral/data/omniglot.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const spiral::data::Drawing drawing =
        spiral::data::parse_strokes(reinterpret_cast<const char*>(data), size, "fuzz");
    for (const spiral::data::Stroke& stroke : drawing) {
      if (stroke.empty()) __builtin_trap();  // strokes are never empty
      for (const spiral::data::StrokePoint& point : stroke) {
        if (!std::isfinite(point.x) || !std::isfinite(point.y) || !std::isfinite(point.t)) {
          __builtin_trap();
        }
      }
    }
  } catch (const spiral::UserError& error) {
    if (std::string(error.what()).find('\n') != std::string::npos) __builtin_trap();  // one line
  }
  spiral::data::omniglot_key(std::string(reinterpret_cast<const char*>(data), size));
  return 0;
}
