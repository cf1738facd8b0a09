#include "spiral/render/action_spec.h"

#include <stdexcept>

#include "spiral/core/errors.h"

namespace spiral::render {

ActionSpec::ActionSpec(std::vector<ActionPart> parts) : parts_(std::move(parts)) {
  for (size_t i = 0; i < parts_.size(); ++i) {
    if (parts_[i].size < 1) {
      throw std::invalid_argument("action part '" + parts_[i].name + "' has size " +
                                  std::to_string(parts_[i].size));
    }
    if (!parts_[i].points.empty() && parts_[i].points.size() != size_t(parts_[i].size)) {
      throw std::invalid_argument("action part '" + parts_[i].name + "' has " +
                                  std::to_string(parts_[i].points.size()) + " points for " +
                                  std::to_string(parts_[i].size) + " values");
    }
    for (size_t j = 0; j < i; ++j) {
      if (parts_[j].name == parts_[i].name) {
        throw std::invalid_argument("action part '" + parts_[i].name + "' appears twice");
      }
    }
  }
}

int ActionSpec::index(const std::string& name) const {
  for (size_t i = 0; i < parts_.size(); ++i) {
    if (parts_[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

void ActionSpec::check(const Command& command) const {
  if (command.size() != parts_.size()) {
    throw UserError("command has " + std::to_string(command.size()) + " values, expected " +
                    std::to_string(parts_.size()) + " (" + describe() + ")");
  }
  for (size_t i = 0; i < parts_.size(); ++i) {
    if (command[i] < 0 || command[i] >= parts_[i].size) {
      throw UserError("command part '" + parts_[i].name + "' is " + std::to_string(command[i]) +
                      ", expected 0 to " + std::to_string(parts_[i].size - 1));
    }
  }
}

std::string ActionSpec::describe() const {
  std::string text;
  for (const auto& part : parts_) {
    text += (text.empty() ? "" : " ") + part.name + ":" + std::to_string(part.size);
  }
  return text;
}

bool ActionSpec::operator==(const ActionSpec& other) const {
  if (parts_.size() != other.parts_.size()) return false;
  for (size_t i = 0; i < parts_.size(); ++i) {
    if (parts_[i].name != other.parts_[i].name || parts_[i].size != other.parts_[i].size) {
      return false;
    }
  }
  return true;
}

}  // namespace spiral::render
