#include "command.h"
#include "spiral/bench/actions.h"

namespace spiral::app {

Command bench_command() {
  return {"bench",
          "Measure environments, policy inference, learning steps, the gradient allreduce, the "
          "delivery of parameters to actors, the reachable reconstruction error (oracle), a "
          "discriminator as a reward and where an update's time goes (profile).",
          {},
          nullptr,
          {bench::env_action(), bench::inference_action(), bench::learner_action(),
           bench::allreduce_action(), bench::delivery_action(), bench::oracle_action(),
           bench::discriminator_action(), bench::profile_action()}};
}

}  // namespace spiral::app
