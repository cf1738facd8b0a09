// The A2C loss, discounted returns, gradient clipping and Adam helpers.
#include "spiral/learn/a2c.h"

#include <cmath>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "spiral/core/errors.h"

namespace spiral::learn {
namespace {

void require_shape(const torch::Tensor& t, const torch::Tensor& like, const char* name) {
  if (!t.defined() || t.sizes() != like.sizes()) {
    throw std::invalid_argument(std::string("a2c_loss: ") + name +
                                " must have the shape [T, B] of rewards");
  }
}

}  // namespace

void A2CConfig::check() const {
  if (!(discount >= 0.0 && discount <= 1.0)) {
    throw UserError("a2c discount must be in [0, 1], got " + std::to_string(discount));
  }
  if (!(entropy_cost >= 0.0)) {
    throw UserError("a2c entropy_cost must be >= 0, got " + std::to_string(entropy_cost));
  }
  if (!(value_cost >= 0.0)) {
    throw UserError("a2c value_cost must be >= 0, got " + std::to_string(value_cost));
  }
}

torch::Tensor discounted_returns(const torch::Tensor& rewards, double discount,
                                 const torch::Tensor& bootstrap) {
  if (!rewards.defined() || rewards.dim() != 2) {
    throw std::invalid_argument("discounted_returns: rewards must be [T, B]");
  }
  torch::NoGradGuard no_grad;
  const torch::Tensor r = rewards.detach();
  const int64_t steps = r.size(0);
  torch::Tensor next = bootstrap.defined() ? bootstrap.detach().to(r.options()).reshape({r.size(1)})
                                           : torch::zeros({r.size(1)}, r.options());
  std::vector<torch::Tensor> out(static_cast<size_t>(steps));
  for (int64_t t = steps - 1; t >= 0; --t) {
    next = r[t] + discount * next;
    out[static_cast<size_t>(t)] = next;
  }
  if (steps == 0) return torch::zeros_like(r);
  return torch::stack(out);
}

torch::Tensor truncated_importance_weights(const torch::Tensor& log_prob,
                                           const torch::Tensor& behaviour_log_prob) {
  torch::NoGradGuard no_grad;
  return torch::exp(log_prob.detach() - behaviour_log_prob.to(log_prob.options())).clamp_max(1.0);
}

VtraceTargets vtrace(const torch::Tensor& log_prob, const torch::Tensor& behaviour_log_prob,
                     const torch::Tensor& value, const torch::Tensor& rewards, double discount,
                     const torch::Tensor& bootstrap) {
  if (!rewards.defined() || rewards.dim() != 2) {
    throw std::invalid_argument("vtrace: rewards must be [T, B]");
  }
  require_shape(log_prob, rewards, "log_prob");
  require_shape(behaviour_log_prob, rewards, "behaviour_log_prob");
  require_shape(value, rewards, "value");
  torch::NoGradGuard no_grad;
  const torch::Tensor v = value.detach();
  const torch::Tensor r = rewards.to(v.options());
  const torch::Tensor rho =
      truncated_importance_weights(log_prob, behaviour_log_prob).to(v.options());
  const int64_t steps = r.size(0);
  const torch::Tensor last = bootstrap.defined()
                                 ? bootstrap.detach().to(v.options()).reshape({r.size(1)})
                                 : torch::zeros({r.size(1)}, v.options());
  // V(x_{t+1}), the bootstrap after the last step.
  const torch::Tensor next_v = torch::cat({v.slice(0, 1, steps), last.unsqueeze(0)});
  const torch::Tensor delta = rho * (r + discount * next_v - v);
  // v_s - V_s = delta_s + discount c_s (v_{s+1} - V_{s+1}), backwards from 0 after the last step.
  std::vector<torch::Tensor> gaps(static_cast<size_t>(steps));
  torch::Tensor gap = torch::zeros_like(last);
  for (int64_t t = steps - 1; t >= 0; --t) {
    gap = delta[t] + discount * rho[t] * gap;
    gaps[static_cast<size_t>(t)] = gap;
  }
  VtraceTargets targets;
  targets.values = steps == 0 ? torch::zeros_like(v) : v + torch::stack(gaps);
  const torch::Tensor next_values =
      torch::cat({targets.values.slice(0, 1, steps), last.unsqueeze(0)});
  targets.advantage = rho * (r + discount * next_values - v);
  return targets;
}

torch::Tensor leave_one_out_baseline(const torch::Tensor& returns, const torch::Tensor& groups,
                                     const torch::Tensor& fallback) {
  if (!returns.defined() || returns.dim() != 2) {
    throw std::invalid_argument("leave_one_out_baseline: returns must be [T, B]");
  }
  if (!groups.defined() || groups.dim() != 1 || groups.size(0) != returns.size(1)) {
    throw std::invalid_argument("leave_one_out_baseline: groups must be [B]");
  }
  require_shape(fallback, returns, "fallback");
  torch::NoGradGuard no_grad;
  const torch::Tensor r = returns.detach();
  const torch::Tensor g = groups.to(r.device());
  // same[i, j]: episodes i and j are on the same target.
  const torch::Tensor same = g.unsqueeze(0).eq(g.unsqueeze(1)).to(r.dtype());
  const torch::Tensor others = same.sum(0) - 1;           // [B]
  const torch::Tensor sums = torch::matmul(r, same) - r;  // [T, B]
  const torch::Tensor mean = sums / others.clamp_min(1).unsqueeze(0);
  return torch::where(others.gt(0).unsqueeze(0), mean, fallback.detach().to(r.dtype()));
}

A2CLoss a2c_loss(const torch::Tensor& log_prob, const torch::Tensor& entropy,
                 const torch::Tensor& value, const torch::Tensor& rewards, const A2CConfig& config,
                 const torch::Tensor& bootstrap, const torch::Tensor& behaviour_log_prob,
                 const torch::Tensor& groups) {
  config.check();
  if (!rewards.defined() || rewards.dim() != 2) {
    throw std::invalid_argument("a2c_loss: rewards must be [T, B]");
  }
  require_shape(log_prob, rewards, "log_prob");
  require_shape(entropy, rewards, "entropy");
  require_shape(value, rewards, "value");
  torch::Tensor returns, advantage;
  if (behaviour_log_prob.defined() && !groups.defined()) {
    VtraceTargets targets =
        vtrace(log_prob, behaviour_log_prob, value, rewards, config.discount, bootstrap);
    returns = targets.values;
    advantage = targets.advantage;
  } else {
    returns = discounted_returns(rewards.to(value.options()), config.discount, bootstrap);
    const torch::Tensor baseline =
        groups.defined() ? leave_one_out_baseline(returns, groups, value) : value;
    advantage = (returns - baseline).detach();
    // Played by an older policy: each step's advantage weighs min(1, pi / mu), V-trace's truncated
    // importance weight, so that steps the learner's policy has left behind push it no further.
    if (behaviour_log_prob.defined()) {
      require_shape(behaviour_log_prob, rewards, "behaviour_log_prob");
      advantage = advantage *
                  truncated_importance_weights(log_prob, behaviour_log_prob).to(advantage.dtype());
    }
  }
  const torch::Tensor error = returns - value;  // gradient flows into V only
  if (config.normalize_advantages && advantage.numel() > 1) {
    advantage = (advantage - advantage.mean()) / (advantage.std() + 1e-6);
  }
  A2CLoss loss;
  loss.policy = -(log_prob * advantage).sum(0).mean();
  loss.value = error.pow(2).sum(0).mean();
  loss.entropy = entropy.sum(0).mean();
  loss.total = loss.policy + config.value_cost * loss.value - config.entropy_cost * loss.entropy;
  loss.mean_return = returns.mean();
  loss.mean_advantage = advantage.mean();
  return loss;
}

double clip_gradients(const std::vector<torch::Tensor>& params, double max_norm) {
  if (max_norm < 0.0) throw UserError("gradient clipping max_norm must be >= 0");
  std::vector<torch::Tensor> grads;
  for (const torch::Tensor& p : params) {
    if (p.defined() && p.grad().defined()) grads.push_back(p.grad());
  }
  if (grads.empty()) return 0.0;
  torch::NoGradGuard no_grad;
  const torch::Device device = grads.front().device();
  std::vector<torch::Tensor> squares;
  squares.reserve(grads.size());
  for (const torch::Tensor& g : grads) {
    squares.push_back(g.detach().to(torch::kFloat64).pow(2).sum().to(device));
  }
  const double norm = std::sqrt(torch::stack(squares).sum().item<double>());
  if (max_norm > 0.0 && std::isfinite(norm) && norm > max_norm) {
    const double scale = max_norm / (norm + 1e-6);
    for (torch::Tensor& g : grads) g.mul_(scale);
  }
  return norm;
}

torch::optim::AdamOptions policy_adam_options(double lr) {
  if (!(lr > 0.0)) throw UserError("policy learning rate must be > 0, got " + std::to_string(lr));
  return torch::optim::AdamOptions(lr).betas(std::make_tuple(0.9, 0.999)).eps(1e-8);
}

torch::optim::AdamOptions discriminator_adam_options(double lr) {
  if (!(lr > 0.0)) {
    throw UserError("discriminator learning rate must be > 0, got " + std::to_string(lr));
  }
  return torch::optim::AdamOptions(lr).betas(std::make_tuple(0.5, 0.999)).eps(1e-8);
}

std::unique_ptr<torch::optim::Adam> make_adam(const std::vector<torch::Tensor>& params,
                                              const torch::optim::AdamOptions& options) {
  return std::make_unique<torch::optim::Adam>(params, options);
}

}  // namespace spiral::learn
