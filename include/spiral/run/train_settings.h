// The options of `spiral train` and the Trainer settings of a resolved configuration of them.
#pragma once

#include <vector>

#include "spiral/core/config.h"
#include "spiral/learn/trainer.h"
#include "spiral/render/settings.h"

namespace spiral::run {

// The option groups of `spiral train` (a checkpoint's stored configuration is read with them).
std::vector<OptionGroup> train_option_groups();

// The Trainer's settings for `config` (train_option_groups()) in `environment`. UserError for
// --device cuda without a CUDA device, or a bad --discriminator-widths.
learn::TrainerConfig trainer_config(const Config& config,
                                    const render::EnvironmentSettings& environment);

// Whether an async run's learners correct for policy lag (--vtrace auto or true).
bool vtrace_on(const Config& config);

}  // namespace spiral::run
