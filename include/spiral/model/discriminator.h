// The SPIRAL discriminator (DCGAN-style, no batch norm) and parameter-count helpers.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

namespace spiral::model {

// Sizes of the discriminator; the defaults are SPIRAL.md's (inferred) published sizes.
struct DiscriminatorConfig {
  int canvas = 64;             // height = width of the images; a multiple of input_pool x 16
  int channels = 1;            // image channels C
  bool conditional = false;    // input is (target, image): 2C channels
  bool spectral_norm = false;  // divide every layer's weight by its top singular value
  float leaky_slope = 0.2f;    // LeakyReLU negative slope
  std::vector<int> widths = {64, 128, 256, 512};  // one 4x4 stride-2 conv per entry
  bool channels_last = false;  // feature maps in NHWC layout (faster oneDNN CPU convolutions)
  int input_pool = 1;  // both images averaged over input_pool x input_pool blocks first (1: none)

  // Throws UserError naming the first bad field.
  void check() const;
};

// Floating-point operations (a multiply-add counts 2) of D's forward pass for one image (or pair):
// its input pool (one addition per input pixel), convolutions and the Linear layer.
int64_t discriminator_forward_flops(const DiscriminatorConfig& config);

// D(x): [B, C, H, W] (or target and image) -> [B] scores. An average pool by input_pool (none by
// default), four 4x4 stride-2 convs (64 -> 4 for a 64 canvas; the Linear's input size follows the
// pooled canvas), LeakyReLU after each, Linear -> 1.
// With spectral_norm every weight W is used as W / sigma(W), sigma from one power iteration per
// forward in training mode (the stored u vectors are updated then; eval mode reuses them).
class DiscriminatorImpl : public torch::nn::Module {
 public:
  explicit DiscriminatorImpl(const DiscriminatorConfig& config);

  // Scores of `image` [B, C, H, W] -> [B]. A conditional D also needs `target` [B, C, H, W]; the
  // pair enters as channels [target, image]. (One forward with a default argument, so that the
  // module holder's operator() works.)
  torch::Tensor forward(const torch::Tensor& image, const torch::Tensor& target = torch::Tensor());

  const DiscriminatorConfig& config() const { return config_; }

 private:
  torch::Tensor score(const torch::Tensor& x);
  // W, or W / sigma(W) with spectral normalisation (layer i's u is updated in training).
  torch::Tensor weight(size_t layer, const torch::Tensor& w);

  DiscriminatorConfig config_;
  std::vector<torch::nn::Conv2d> convs_;
  torch::nn::Linear out_{nullptr};
  std::vector<torch::Tensor> us_;  // power-iteration vectors, one per layer (convs then out)
};
TORCH_MODULE(Discriminator);

// Number of scalar parameters (trainable tensors) of a module and its children.
int64_t parameter_count(const torch::nn::Module& module);

// One line for the start-up log: "policy: 1,234,567 parameters (4.7 MiB as float32)".
std::string parameter_summary(const std::string& name, const torch::nn::Module& module);

}  // namespace spiral::model
