// The networks and random inputs the `spiral bench` actions time, at the published sizes.
#pragma once

#include <torch/torch.h>

#include <string>

#include "spiral/model/discriminator.h"
#include "spiral/model/policy.h"
#include "spiral/render/action_spec.h"

namespace spiral::bench {

// The painter's action spec for a 64 x 64 canvas, gray or RGB.
render::ActionSpec bench_action_spec(bool rgb);

// Policy sizes by name: "paper" (SPIRAL.md: 8 residual blocks, LSTM 256) or "small" (2 blocks,
// LSTM 128, as `spiral train --policy-size small`).
model::PolicyConfig bench_policy_config(const std::string& size, bool rgb, bool conditional);

// The discriminator at its published sizes for a 64 x 64 canvas.
model::DiscriminatorConfig bench_discriminator_config(bool rgb, bool conditional);

// Uniformly random valid commands of `spec`, of shape `leading` + [P] (int64, on `device`).
torch::Tensor random_commands(const render::ActionSpec& spec, torch::IntArrayRef leading,
                              const torch::Device& device);

}  // namespace spiral::bench
