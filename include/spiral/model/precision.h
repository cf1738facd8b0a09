// Reduced precision for the networks: bf16 autocast. Inside its scope matrix products and
// convolutions run in bf16 (their inputs cast on the way in), reductions and softmax in fp32;
// parameters, their gradients and the optimizers' states stay fp32, so checkpoints are the same in
// either precision.
#pragma once

#include <c10/core/DeviceType.h>
#include <c10/core/ScalarType.h>

namespace spiral::model {

// Whether this machine's CPU multiplies bf16 in hardware (AVX-512 BF16 or AMX-BF16, from
// /proc/cpuinfo): where it does not, bf16 is emulated and slower than fp32.
bool cpu_has_bf16();

// Turns autocast to bf16 on for `device` while it lives, when `enabled` (else it does nothing),
// and restores the state before it; leaving the outermost one drops the cached bf16 copies of the
// weights, so that a later forward sees the optimizer's updates. Run backward() outside it.
class Bf16Autocast {
 public:
  Bf16Autocast(c10::DeviceType device, bool enabled);
  ~Bf16Autocast();
  Bf16Autocast(const Bf16Autocast&) = delete;
  Bf16Autocast& operator=(const Bf16Autocast&) = delete;

 private:
  c10::DeviceType device_;
  bool enabled_;
  bool previous_enabled_ = false;
  c10::ScalarType previous_dtype_ = c10::ScalarType::Float;
};

}  // namespace spiral::model
