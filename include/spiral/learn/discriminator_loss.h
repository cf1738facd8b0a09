// Discriminator training: WGAN-GP and non-saturating GAN losses, input pairs, the render replay.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <mutex>
#include <vector>

#include "spiral/model/discriminator.h"

namespace spiral::learn {

// Any critic D(image [B, C, H, W], condition [B, C, H, W] or undefined) -> scores [B].
using Critic =
    std::function<torch::Tensor(const torch::Tensor& image, const torch::Tensor& condition)>;

// `discriminator` as a Critic (shares the module).
Critic as_critic(model::Discriminator discriminator);

// Which GAN loss trains D.
enum class GanLoss {
  kWasserstein,    // WGAN-GP (SPIRAL)
  kNonSaturating,  // softplus(-D(real)) + softplus(D(fake)); for spectral-norm D (SPIRAL++)
};

// Settings of the discriminator loss.
struct DiscriminatorLossConfig {
  GanLoss loss = GanLoss::kWasserstein;
  double gradient_penalty = 10.0;  // lambda of the gradient penalty (Wasserstein only; 0 = off)
  double offset_weight = 1e-3;     // weight of (mean of D over real and fake)^2 (Wasserstein only)
  bool complement = false;         // complement discriminator (conditional D only)
  // Conditional D only: the fakes' mean weighs the renders half and, half, pairs of each target
  // with the previous row's real target (pairs of one image twice weigh 0), so that D must check
  // that image and target match, not only that the image looks real. Half of the gradient
  // penalty's interpolates (of rows that differ) end at the mismatched pair instead of the render.
  bool mismatched_fakes = false;
  // D's forward passes under bf16 autocast (model/precision.h), its scores and the loss in fp32.
  bool bf16 = false;

  // Throws UserError naming the first bad field.
  void check() const;
};

// The discriminator loss and its parts, all scalars; `total` carries the gradients.
struct DiscriminatorLoss {
  torch::Tensor total;             // the loss to minimise
  torch::Tensor real_score;        // mean D(real) (detached)
  torch::Tensor fake_score;        // mean D(fake) (detached)
  torch::Tensor gradient_penalty;  // mean (||grad D(interpolate)|| - 1)^2 (0 when off; detached)
  torch::Tensor offset;            // (mean of D over real and fake)^2 (0 when off; detached)
};

// The (image, condition) inputs of D for a real and a fake batch. condition is undefined for an
// unconditional D.
struct DiscriminatorPairs {
  torch::Tensor real_image;
  torch::Tensor real_condition;
  torch::Tensor fake_image;
  torch::Tensor fake_condition;
};

// The four half-image masks [4, 1, h, w] of 0/1: left, right, top and bottom half set to 1.
torch::Tensor half_masks(int64_t h, int64_t w, const torch::TensorOptions& options);

// Per-image complement masks [B, 1, H, W] of 0/1: each image gets one random half (left, right,
// top or bottom, uniformly) set to 1. `like` [B, C, H, W] gives shape and device; `generator` (a
// CPU generator) may be null.
torch::Tensor complement_masks(const torch::Tensor& like, at::Generator* generator);

// Forms D's inputs. Unconditional: real = `real`, fake = `fake`. Conditional (`real` are the
// targets of the renders `fake`, row by row): real = (target, target), fake = (target, render).
// Complement (conditional only; masks m from complement_masks, or `masks` when defined):
// real = ((1 - m) target, m target), fake = ((1 - m) target, m render).
DiscriminatorPairs make_discriminator_pairs(const torch::Tensor& real, const torch::Tensor& fake,
                                            bool conditional, bool complement,
                                            at::Generator* generator,
                                            const torch::Tensor& masks = torch::Tensor());

// Mean over the batch of (||d D(x) / d x|| - 1)^2 at random interpolates x between the real and
// fake images (same condition); differentiable (double backward) so it can be minimised.
torch::Tensor gradient_penalty(const Critic& critic, const DiscriminatorPairs& pairs,
                               at::Generator* generator);

// The loss of D on real images and fake renders [B, C, H, W] (the same B). For a conditional D,
// `real` are the targets of the renders `fake`. `generator` (CPU, may be null) draws the
// interpolation weights and complement masks.
DiscriminatorLoss discriminator_loss(model::Discriminator& discriminator,
                                     const DiscriminatorLossConfig& config,
                                     const torch::Tensor& real, const torch::Tensor& fake,
                                     at::Generator* generator);
// The same for any critic; `conditional` says whether it takes a condition.
DiscriminatorLoss discriminator_loss(const Critic& critic, bool conditional,
                                     const DiscriminatorLossConfig& config,
                                     const torch::Tensor& real, const torch::Tensor& fake,
                                     at::Generator* generator);

// What one discriminator_update() did.
struct DiscriminatorUpdate {
  double loss = 0;       // the loss before the step
  bool skipped = false;  // a gradient was NaN or infinite: D and its optimizer are unchanged
};

// One Adam step of `discriminator` on its loss for `real` and `fake` (as discriminator_loss()).
// `after_backward`, when set, is called with D's parameters after the backward pass (to average
// their gradients over ranks); it must leave every parameter with a gradient.
DiscriminatorUpdate discriminator_update(
    model::Discriminator& discriminator, torch::optim::Adam& optimizer,
    const DiscriminatorLossConfig& config, const torch::Tensor& real, const torch::Tensor& fake,
    at::Generator* generator,
    const std::function<void(const std::vector<torch::Tensor>&)>& after_backward = {});

// Renders (and targets) drawn from a RenderReplay.
struct ReplaySample {
  torch::Tensor renders;  // [n, ...]
  torch::Tensor targets;  // [n, ...], undefined when the replay holds no targets
};

// A ring of the last `capacity` batches of final renders (with their targets when conditional),
// so D can train on more fakes than the policy produces. Tensors stay on the device they came on.
// Thread-safe.
class RenderReplay {
 public:
  // `capacity`: number of batches kept (the paper's 20); throws UserError when < 1.
  explicit RenderReplay(int capacity = 20);

  // Stores a batch (detached), dropping the oldest when full. Every batch must have targets, or
  // none; targets has the same number of rows as renders.
  void add(const torch::Tensor& renders, const torch::Tensor& targets = torch::Tensor());
  // n renders drawn uniformly with replacement over every stored render. `generator` (CPU) may be
  // null. Throws std::logic_error when the replay is empty.
  ReplaySample sample(int64_t n, at::Generator* generator) const;

  int capacity() const { return capacity_; }

  // The stored batches in ring order and the ring position of the oldest once full (checkpoints).
  struct State {
    std::vector<torch::Tensor> renders;
    std::vector<torch::Tensor> targets;  // one per batch; all undefined when there are no targets
    int64_t next = 0;
  };
  // A copy of the contents (tensors shared, not cloned).
  State state() const;
  // Replaces the contents with `state`, as state() returned it (std::invalid_argument when it
  // holds more batches than the capacity or is inconsistent).
  void restore(State state);

  // Number of batches stored.
  int batches() const;
  // Number of renders stored.
  int64_t size() const;

 private:
  int capacity_;
  mutable std::mutex mutex_;
  std::vector<torch::Tensor> renders_;  // ring, next_ is the oldest when full
  std::vector<torch::Tensor> targets_;
  size_t next_ = 0;
};

}  // namespace spiral::learn
