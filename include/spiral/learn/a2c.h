// The A2C policy loss, discounted returns, gradient clipping and Adam set-up helpers.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <vector>

namespace spiral::learn {

// Weights of the A2C loss. Every term sums over time and averages over the batch.
struct A2CConfig {
  double discount = 1.0;       // gamma in [0, 1]; SPIRAL is undiscounted (1)
  double entropy_cost = 0.01;  // weight of the entropy bonus (paper's PBT range 2e-3 .. 1e-1)
  double value_cost = 0.5;     // weight of the squared value error
  // Scale the policy term's advantages to mean 0, standard deviation 1 over the [T, B] batch
  // (not in the paper; makes the policy step independent of the reward's scale)
  bool normalize_advantages = false;

  // Throws UserError naming the first bad field.
  void check() const;
};

// The A2C loss and its parts (all scalar tensors; only `total` and the parts carry gradients).
struct A2CLoss {
  torch::Tensor total;           // policy + value_cost * value - entropy_cost * entropy
  torch::Tensor policy;          // -sum_t log pi(a_t) * A_t, batch mean; A_t = (R_t - V_t) detached
  torch::Tensor value;           // sum_t (R_t - V_t)^2, batch mean (before value_cost)
  torch::Tensor entropy;         // sum_t H_t, batch mean (before entropy_cost)
  torch::Tensor mean_return;     // mean of R_t over [T, B] (detached)
  torch::Tensor mean_advantage;  // mean of R_t - V_t over [T, B] (detached)
};

// R_t = r_t + discount * R_{t+1}, computed backwards from R_T = bootstrap ([B], 0 when undefined).
// rewards [T, B] -> returns [T, B] (no gradient flows through the returns).
torch::Tensor discounted_returns(const torch::Tensor& rewards, double discount,
                                 const torch::Tensor& bootstrap = torch::Tensor());

// V-trace targets (IMPALA, Espeholt et al. 2018) for an unroll played by an older policy.
struct VtraceTargets {
  torch::Tensor values;     // v_s [T, B]: targets of V
  torch::Tensor advantage;  // rho_s (r_s + discount v_{s+1} - V_s) [T, B]: the policy's advantage
};

// V-trace's truncated importance weights min(1, pi(a_t) / mu(a_t)) from the learner's `log_prob`
// and the actor's `behaviour_log_prob` (any equal shapes); no gradient.
torch::Tensor truncated_importance_weights(const torch::Tensor& log_prob,
                                           const torch::Tensor& behaviour_log_prob);

// V-trace with importance weights rho_t = min(1, pi(a_t) / mu(a_t)) and c_t = rho_t, from the
// learner's `log_prob` and the actor's `behaviour_log_prob` (all [T, B], like value and rewards);
// `bootstrap` [B] is V after the last step (undefined: 0). Nothing carries a gradient.
VtraceTargets vtrace(const torch::Tensor& log_prob, const torch::Tensor& behaviour_log_prob,
                     const torch::Tensor& value, const torch::Tensor& rewards, double discount,
                     const torch::Tensor& bootstrap = torch::Tensor());

// The A2C loss of one unroll: log_prob, entropy, value and rewards are all [T, B] (as returned by
// Policy::evaluate_unroll); `bootstrap` [B] is V after the last step (undefined: episode ended).
// With `behaviour_log_prob` [T, B] (the log-probabilities of the policy that played the unroll)
// the returns and advantages are V-trace's instead. With `groups` [B] (int64, episodes on the same
// target share an id) an episode's advantage at step t is R_t minus the mean R_t of the other
// episodes of its group (leave-one-out); an episode alone in its group keeps R_t - V_t. With both,
// the returns are the played ones and each step's leave-one-out advantage is weighted by the
// truncated importance weight min(1, pi(a_t) / mu(a_t)), V-trace's correction of the policy's
// gradient for an older behaviour policy.
A2CLoss a2c_loss(const torch::Tensor& log_prob, const torch::Tensor& entropy,
                 const torch::Tensor& value, const torch::Tensor& rewards,
                 const A2CConfig& config = A2CConfig(),
                 const torch::Tensor& bootstrap = torch::Tensor(),
                 const torch::Tensor& behaviour_log_prob = torch::Tensor(),
                 const torch::Tensor& groups = torch::Tensor());

// Leave-one-out baselines: for `returns` [T, B] and group ids `groups` [B], the mean of the other
// members' returns at each step, and `fallback` [T, B] where an episode has no other member.
torch::Tensor leave_one_out_baseline(const torch::Tensor& returns, const torch::Tensor& groups,
                                     const torch::Tensor& fallback);

// Scales the gradients of `params` so that their joint L2 norm is at most `max_norm` (0 = no
// clipping) and returns the norm before clipping. Parameters without a gradient are skipped.
double clip_gradients(const std::vector<torch::Tensor>& params, double max_norm);

// Adam options for the policy: lr as given (paper's PBT range 1e-5 .. 3e-4), betas (0.9, 0.999).
torch::optim::AdamOptions policy_adam_options(double lr);
// Adam options for the discriminator: lr 1e-4, betas (0.5, 0.999) (the paper's).
torch::optim::AdamOptions discriminator_adam_options(double lr = 1e-4);
// An Adam optimizer over `params` with `options`.
std::unique_ptr<torch::optim::Adam> make_adam(const std::vector<torch::Tensor>& params,
                                              const torch::optim::AdamOptions& options);

}  // namespace spiral::learn
