// A small CNN that classifies canvases (MNIST digits as the agents see them) and exposes the
// features of its penultimate layer for sample-quality figures.
#pragma once

#include <torch/torch.h>

#include <vector>

namespace spiral::model {

// Sizes of the digit classifier.
struct DigitClassifierConfig {
  int canvas = 64;     // height = width of the input canvases; halved first, then by each conv
  int channels = 1;    // input channels C
  int classes = 10;    // output classes
  int features = 128;  // width of the penultimate (feature) layer
  std::vector<int> widths = {16, 32, 64};  // one 3x3 conv + activation + 2x2 max pool each
  double dropout = 0.3;  // share of the features dropped before the output layer in training

  // Throws UserError naming the first bad field.
  void check() const;
};

// [B, C, canvas, canvas] images in [0, 1] -> class logits. The canvas is average-pooled by 2,
// each conv (3x3, padding 1) is followed by a leaky ReLU (slope 0.01) and a 2x2 max pool, then
// Linear -> leaky ReLU (the features) -> dropout (in training) -> Linear (the logits).
class DigitClassifierImpl : public torch::nn::Module {
 public:
  explicit DigitClassifierImpl(const DigitClassifierConfig& config);

  // The penultimate layer's activations of `images` [B, C, H, W]: [B, features].
  torch::Tensor features(const torch::Tensor& images);
  // Class logits of `images` [B, C, H, W]: [B, classes].
  torch::Tensor forward(const torch::Tensor& images);
  // The logits of already computed `features` [B, features].
  torch::Tensor logits(const torch::Tensor& features);

  const DigitClassifierConfig& config() const { return config_; }

 private:
  DigitClassifierConfig config_;
  std::vector<torch::nn::Conv2d> convs_;
  torch::nn::Linear hidden_{nullptr};
  torch::nn::Linear out_{nullptr};
};
TORCH_MODULE(DigitClassifier);

}  // namespace spiral::model
