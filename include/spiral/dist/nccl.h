// NCCL: whether this build has it, and the library's version.
#pragma once

#include <string>

namespace spiral::dist {

// True when the build found NCCL and compiled its code in (it still needs a GPU to run).
bool nccl_compiled_in();

// The loaded NCCL library's version ("2.28.9"), or "not built" without NCCL.
std::string nccl_version();

}  // namespace spiral::dist
