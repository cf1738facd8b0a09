// The policy's parameters as one message (learner 0 to the actors of an asynchronous run).
#pragma once

#include <cstdint>
#include <string>

#include "spiral/model/policy.h"

namespace spiral::run {

// `version` (policy updates so far) and every parameter of `policy` as float32 bytes.
std::string policy_message(model::Policy& policy, int64_t version);

// Copies the parameters of a policy_message into `policy` (same architecture) and returns its
// version. Throws std::runtime_error when the message does not fit the policy.
int64_t load_policy_message(const std::string& bytes, model::Policy& policy);

}  // namespace spiral::run
