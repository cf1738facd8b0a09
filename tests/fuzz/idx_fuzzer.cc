// libFuzzer target: IDX parsing and gzip inflation of arbitrary bytes (tests/fuzz/run.sh).
#include <cstddef>
#include <cstdint>

#include "spiral/core/errors.h"
#include "spiral/data/idx.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    // A small output limit keeps inflation bombs fast; real files use the default.
    const spiral::data::IdxArray array =
        spiral::data::decode_idx(data, size, "fuzz", 0, size_t{1} << 22);
    size_t elements = 1;
    for (uint32_t d : array.dims) elements *= d;
    if (elements != array.data.size()) __builtin_trap();  // the size check must hold
  } catch (const spiral::UserError&) {
    // Refusing bad input with a message is the expected outcome.
  }
  return 0;
}
