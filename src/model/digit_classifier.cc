#include "spiral/model/digit_classifier.h"

#include <string>

#include "spiral/core/errors.h"

namespace spiral::model {
namespace {

// Leaky ReLU: no unit ever gets an exactly zero gradient, so no Adam moment decays into the
// denormal range (where CPU arithmetic slows down many times).
torch::Tensor activation(const torch::Tensor& x) { return torch::leaky_relu(x, 0.01); }

}  // namespace

void DigitClassifierConfig::check() const {
  const auto positive = [](const char* name, int value) {
    if (value < 1) {
      throw UserError(std::string("digit classifier setting '") + name + "' is " +
                      std::to_string(value) + ", expected at least 1");
    }
  };
  positive("channels", channels);
  positive("features", features);
  if (classes < 2) {
    throw UserError("digit classifier setting 'classes' is " + std::to_string(classes) +
                    ", expected at least 2");
  }
  if (!(dropout >= 0 && dropout < 1)) {
    throw UserError("digit classifier setting 'dropout' is " + std::to_string(dropout) +
                    ", expected a share in [0, 1)");
  }
  if (widths.empty()) throw UserError("digit classifier setting 'widths' is empty");
  for (int width : widths) positive("widths", width);
  const int layers = static_cast<int>(widths.size());
  const int scale = layers < 29 ? 2 << layers : 1 << 30;
  if (canvas < scale || canvas % scale != 0) {
    throw UserError("digit classifier setting 'canvas' is " + std::to_string(canvas) +
                    ", expected a multiple of " + std::to_string(scale));
  }
}

DigitClassifierImpl::DigitClassifierImpl(const DigitClassifierConfig& config) : config_(config) {
  config_.check();
  namespace nn = torch::nn;
  int in = config_.channels;
  for (size_t i = 0; i < config_.widths.size(); ++i) {
    convs_.push_back(
        register_module("conv" + std::to_string(i),
                        nn::Conv2d(nn::Conv2dOptions(in, config_.widths[i], 3).padding(1))));
    in = config_.widths[i];
  }
  const int side = config_.canvas >> (config_.widths.size() + 1);
  hidden_ = register_module("hidden", nn::Linear(in * side * side, config_.features));
  out_ = register_module("out", nn::Linear(config_.features, config_.classes));
}

torch::Tensor DigitClassifierImpl::features(const torch::Tensor& images) {
  torch::Tensor x = torch::avg_pool2d(images, 2);
  for (auto& conv : convs_) x = torch::max_pool2d(activation(conv->forward(x)), 2);
  return activation(hidden_->forward(x.flatten(1)));
}

torch::Tensor DigitClassifierImpl::logits(const torch::Tensor& features) {
  return out_->forward(torch::dropout(features, config_.dropout, is_training()));
}

torch::Tensor DigitClassifierImpl::forward(const torch::Tensor& images) {
  return logits(features(images));
}

}  // namespace spiral::model
