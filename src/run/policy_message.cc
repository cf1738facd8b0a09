#include "spiral/run/policy_message.h"

#include <cstring>
#include <stdexcept>
#include <vector>

namespace spiral::run {

std::string policy_message(model::Policy& policy, int64_t version) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> flat;
  for (const torch::Tensor& p : policy->parameters()) {
    flat.push_back(p.detach().to(torch::kCPU, torch::kFloat).reshape({-1}));
  }
  const torch::Tensor all = torch::cat(flat).contiguous();
  std::string bytes(sizeof version + all.numel() * sizeof(float), '\0');
  std::memcpy(bytes.data(), &version, sizeof version);
  std::memcpy(bytes.data() + sizeof version, all.data_ptr<float>(), all.numel() * sizeof(float));
  return bytes;
}

int64_t load_policy_message(const std::string& bytes, model::Policy& policy) {
  torch::NoGradGuard no_grad;
  int64_t count = 0;
  for (const torch::Tensor& p : policy->parameters()) count += p.numel();
  int64_t version = 0;
  if (bytes.size() != sizeof version + static_cast<size_t>(count) * sizeof(float)) {
    throw std::runtime_error("parameter message of " + std::to_string(bytes.size()) +
                             " bytes does not fit a policy of " + std::to_string(count) +
                             " parameters");
  }
  std::memcpy(&version, bytes.data(), sizeof version);
  const float* values = reinterpret_cast<const float*>(bytes.data() + sizeof version);
  for (torch::Tensor p : policy->parameters()) {
    const torch::Tensor source =
        torch::from_blob(const_cast<float*>(values), p.sizes(), torch::kFloat);
    p.copy_(source);
    values += p.numel();
  }
  return version;
}

}  // namespace spiral::run
