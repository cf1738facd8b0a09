// The discrete command an agent sends a renderer: named parts with their sizes, in order.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace spiral::render {

// One discrete part of a command, e.g. {"end", 1024}: values 0 .. size - 1.
struct ActionPart {
  ActionPart() = default;
  ActionPart(std::string name, int size, std::vector<std::array<float, 2>> points = {})
      : name(std::move(name)), size(size), points(std::move(points)) {}

  std::string name;
  int size = 0;
  // A location part's value v shows in the image at points[v] = (x, y), as fractions of the
  // image's side (the scene builder's floor cells, seen in perspective). Empty: the painter's
  // square grid, point (row, col) at (col / grid, row / grid). Not compared by ActionSpec's ==.
  std::vector<std::array<float, 2>> points;
};

// One command: a value for every part of the environment's ActionSpec, in the spec's order.
using Command = std::vector<int32_t>;

// Which parts of a command affected the result (1) and which did not (0), in the spec's order.
using PartMask = std::vector<uint8_t>;

// The ordered parts of an environment's commands; sizes the policy's heads and the files.
class ActionSpec {
 public:
  ActionSpec() = default;
  explicit ActionSpec(std::vector<ActionPart> parts);

  const std::vector<ActionPart>& parts() const { return parts_; }
  size_t size() const { return parts_.size(); }
  // Position of the part called `name`, or -1 when the spec has none.
  int index(const std::string& name) const;
  // Throws UserError naming the part when `command` has the wrong length or a value out of range.
  void check(const Command& command) const;
  // "flag:2 end:1024 control:1024 ...".
  std::string describe() const;

  bool operator==(const ActionSpec& other) const;
  bool operator!=(const ActionSpec& other) const { return !(*this == other); }

 private:
  std::vector<ActionPart> parts_;
};

}  // namespace spiral::render
