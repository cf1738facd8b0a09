// The environment's command-line and input-file options, and the settings they give.
#pragma once

#include "spiral/core/config.h"
#include "spiral/render/settings.h"

namespace spiral::render {

// The "environment" option group: env, canvas, grid, episode-length, color, brush, ...
OptionGroup environment_options();

// The settings the environment options of `config` describe (UserError for combinations that
// cannot work, e.g. a canvas that is not a multiple of 64).
EnvironmentSettings environment_settings(const Config& config);

}  // namespace spiral::render
