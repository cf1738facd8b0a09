#include "spiral/bench/models.h"

#include <vector>

#include "spiral/render/painter.h"

namespace spiral::bench {

render::ActionSpec bench_action_spec(bool rgb) {
  render::PainterSettings settings;
  settings.rgb = rgb;
  return render::painter_action_spec(settings);
}

model::PolicyConfig bench_policy_config(const std::string& size, bool rgb, bool conditional) {
  model::PolicyConfig config;
  config.channels = rgb ? 3 : 1;
  config.conditional = conditional;
  if (size == "small") {
    config.residual_blocks = 2;
    config.lstm_size = 128;
  }
  return config;
}

model::DiscriminatorConfig bench_discriminator_config(bool rgb, bool conditional) {
  model::DiscriminatorConfig config;
  config.channels = rgb ? 3 : 1;
  config.conditional = conditional;
  return config;
}

torch::Tensor random_commands(const render::ActionSpec& spec, torch::IntArrayRef leading,
                              const torch::Device& device) {
  std::vector<torch::Tensor> parts;
  for (const render::ActionPart& part : spec.parts()) {
    parts.push_back(torch::randint(part.size, leading, torch::kLong));
  }
  return torch::stack(parts, -1).to(device);
}

}  // namespace spiral::bench
