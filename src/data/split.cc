#include "spiral/data/split.h"

#include <charconv>
#include <string>

#include "spiral/core/errors.h"

namespace spiral::data {
namespace {

[[noreturn]] void bad_rule(const std::string& text) {
  throw UserError("split rule '" + text +
                  "': expected every:K or hash:K (K >= 2), first:N or none");
}

}  // namespace

SplitRule parse_split_rule(const std::string& text) {
  if (text == "none") return {SplitRule::Kind::kNone, 0};
  const size_t colon = text.find(':');
  if (colon == std::string::npos) bad_rule(text);
  const std::string kind = text.substr(0, colon);
  const char* begin = text.data() + colon + 1;
  const char* end = text.data() + text.size();
  uint64_t parameter = 0;
  const std::from_chars_result result = std::from_chars(begin, end, parameter);
  if (begin == end || result.ec != std::errc() || result.ptr != end) bad_rule(text);
  SplitRule rule;
  rule.parameter = parameter;
  if (kind == "every") {
    rule.kind = SplitRule::Kind::kEvery;
  } else if (kind == "hash") {
    rule.kind = SplitRule::Kind::kHash;
  } else if (kind == "first") {
    rule.kind = SplitRule::Kind::kFirst;
  } else {
    bad_rule(text);
  }
  if (rule.kind != SplitRule::Kind::kFirst && parameter < 2) bad_rule(text);
  return rule;
}

std::string to_string(const SplitRule& rule) {
  switch (rule.kind) {
    case SplitRule::Kind::kEvery:
      return "every:" + std::to_string(rule.parameter);
    case SplitRule::Kind::kFirst:
      return "first:" + std::to_string(rule.parameter);
    case SplitRule::Kind::kHash:
      return "hash:" + std::to_string(rule.parameter);
    case SplitRule::Kind::kNone:
      break;
  }
  return "none";
}

uint64_t fnv1a64(const std::string& text) {
  uint64_t hash = 0xcbf29ce484222325ull;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 0x100000001b3ull;
  }
  return hash;
}

bool is_held_out(const Dataset& dataset, size_t index, const SplitRule& rule) {
  switch (rule.kind) {
    case SplitRule::Kind::kEvery:
      return index % rule.parameter == rule.parameter - 1;
    case SplitRule::Kind::kFirst:
      return index >= rule.parameter;
    case SplitRule::Kind::kHash:
      return fnv1a64(dataset.split_group(index)) % rule.parameter == 0;
    case SplitRule::Kind::kNone:
      break;
  }
  return false;
}

Split split_dataset(const Dataset& dataset, const SplitRule& rule) {
  Split split;
  for (size_t i = 0; i < dataset.size(); ++i) {
    (is_held_out(dataset, i, rule) ? split.held_out : split.train).push_back(i);
  }
  return split;
}

}  // namespace spiral::data
