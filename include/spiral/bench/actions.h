// The benchmarks of `spiral bench`, each an action: its options and entry point.
#pragma once

#include "spiral/core/command.h"

namespace spiral::bench {

// Painter steps/s against a bare libmypaint loop; MuJoCo renders/s.
Command env_action();
Command inference_action();
Command learner_action();
Command allreduce_action();
Command delivery_action();
Command oracle_action();
Command discriminator_action();
Command profile_action();

}  // namespace spiral::bench
