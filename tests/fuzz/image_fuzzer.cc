// libFuzzer target: PNG and JPEG decoding of arbitrary bytes (tests/fuzz/run.sh).
#include <cstddef>
#include <cstdint>

#include "spiral/core/errors.h"
#include "spiral/data/codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const spiral::Image image = spiral::data::decode_image(data, size, "fuzz");
    spiral::check_image(image, "fuzz");
  } catch (const spiral::UserError&) {
    // Refusing bad input with a message is the expected outcome.
  }
  return 0;
}
