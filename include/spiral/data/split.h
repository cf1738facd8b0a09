// Deterministic train / held-out splits by a fixed rule that a run's config records as text.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "spiral/data/dataset.h"

namespace spiral::data {

// Which images of a set are held out (for evaluation); the rest are for training. The rule is
// a pure function of the index (or of the image's split group) and never of a seed:
//   every:K  image i is held out iff i % K == K - 1 (every K-th image, the last of each K)
//   first:N  images 0 .. N-1 train, the rest are held out (MNIST dirs with both files and
//            first:60000 give MNIST's own split; CelebA's official test set is first:182637)
//   hash:K   held out iff FNV-1a-64(split_group(i)) % K == 0: about 1/K of the groups, stable
//            when images are added or removed; CelebA with an identity list groups by person
//   none     everything trains, nothing is held out
struct SplitRule {
  enum class Kind { kEvery, kFirst, kHash, kNone };
  Kind kind = Kind::kEvery;
  uint64_t parameter = 10;  // K or N
};

// The rule the project uses unless told otherwise: every:10.
inline constexpr const char* kDefaultSplit = "every:10";

// Parses "every:K" (K >= 2), "first:N", "hash:K" (K >= 2) or "none"; UserError otherwise.
SplitRule parse_split_rule(const std::string& text);

// The rule as parse_split_rule reads it, e.g. "every:10".
std::string to_string(const SplitRule& rule);

// FNV-1a, 64 bits: the hash `hash:K` uses (fixed here so that splits never change).
uint64_t fnv1a64(const std::string& text);

// Whether image `index` of `dataset` is held out under `rule`.
bool is_held_out(const Dataset& dataset, size_t index, const SplitRule& rule);

// The indices of both sides of a split, each in increasing order.
struct Split {
  std::vector<size_t> train;
  std::vector<size_t> held_out;
};

// Splits the whole dataset by `rule`.
Split split_dataset(const Dataset& dataset, const SplitRule& rule);

}  // namespace spiral::data
