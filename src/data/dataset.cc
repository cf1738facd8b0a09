#include "spiral/data/dataset.h"

#include <charconv>
#include <filesystem>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "spiral/core/errors.h"
#include "spiral/data/folder.h"
#include "spiral/data/idx.h"
#include "spiral/data/omniglot.h"
#include "spiral/data/scenes.h"

namespace spiral::data {
namespace {

std::string kinds_text() {
  std::string text;
  for (const std::string& kind : dataset_kinds()) text += (text.empty() ? "" : ", ") + kind;
  return text;
}

// The option keys each kind accepts after '?'.
std::set<std::string> allowed_options(const std::string& kind) {
  if (kind == "mnist" || kind == "fashion-mnist") return {"set"};
  if (kind == "celeba") return {"crop", "identities"};
  return {};
}

std::string option_or(const DatasetSpec& spec, const std::string& key, const std::string& value) {
  const auto it = spec.options.find(key);
  return it == spec.options.end() ? value : it->second;
}

int int_option(const DatasetSpec& spec, const std::string& text, const std::string& key,
               int fallback) {
  const auto it = spec.options.find(key);
  if (it == spec.options.end()) return fallback;
  int value = 0;
  const std::string& word = it->second;
  const std::from_chars_result result =
      std::from_chars(word.data(), word.data() + word.size(), value);
  if (word.empty() || result.ec != std::errc() || result.ptr != word.data() + word.size()) {
    throw UserError("dataset spec '" + text + "': option " + key + "=" + word +
                    " (expected an integer)");
  }
  return value;
}

}  // namespace

void Dataset::check_index(size_t index) const {
  if (index >= size()) {
    throw std::out_of_range(name() + ": image " + std::to_string(index) + " of " +
                            std::to_string(size()));
  }
}

int Dataset::label(size_t /*index*/) const {
  throw std::logic_error(name() + ": this dataset has no labels");
}

const std::vector<std::string>& dataset_kinds() {
  static const std::vector<std::string> kinds = {"mnist",  "fashion-mnist", "omniglot",
                                                 "celeba", "folder",        "scenes"};
  return kinds;
}

DatasetSpec parse_dataset_spec(const std::string& text) {
  const size_t colon = text.find(':');
  DatasetSpec spec;
  if (colon != std::string::npos) spec.kind = text.substr(0, colon);
  bool known = false;
  for (const std::string& kind : dataset_kinds()) known = known || kind == spec.kind;
  if (!known || colon + 1 >= text.size()) {
    throw UserError("dataset spec '" + text + "': expected KIND:LOCATION with KIND one of " +
                    kinds_text() + " (e.g. mnist:inputs/data/mnist)");
  }
  const size_t question = text.find('?', colon + 1);
  spec.location = text.substr(
      colon + 1, question == std::string::npos ? std::string::npos : question - colon - 1);
  if (spec.location.empty()) {
    throw UserError("dataset spec '" + text + "': empty location (expected " + spec.kind +
                    ":PATH)");
  }
  if (question == std::string::npos) return spec;
  const std::set<std::string> allowed = allowed_options(spec.kind);
  std::string allowed_text;
  for (const std::string& key : allowed) allowed_text += (allowed_text.empty() ? "" : ", ") + key;
  size_t begin = question + 1;
  while (begin <= text.size()) {
    size_t end = text.find('&', begin);
    if (end == std::string::npos) end = text.size();
    const std::string pair = text.substr(begin, end - begin);
    const size_t equals = pair.find('=');
    const std::string key = pair.substr(0, equals);
    if (equals == std::string::npos || allowed.count(key) == 0) {
      throw UserError("dataset spec '" + text + "': unknown option '" + pair + "' for " +
                      spec.kind + " (expected " +
                      (allowed.empty() ? std::string("none") : allowed_text + " as key=value") +
                      ")");
    }
    spec.options[key] = pair.substr(equals + 1);
    begin = end + 1;
  }
  return spec;
}

std::unique_ptr<Dataset> open_dataset(const std::string& text) {
  const DatasetSpec spec = parse_dataset_spec(text);
  if (spec.kind == "mnist" || spec.kind == "fashion-mnist") {
    const IdxSubset subset = parse_idx_subset(option_or(spec, "set", "all"));
    std::vector<std::string> names;
    if (spec.kind == "fashion-mnist") names = fashion_mnist_class_names();
    return std::make_unique<IdxDataset>(text, spec.location, subset, std::move(names));
  }
  if (spec.kind == "omniglot") return std::make_unique<OmniglotDataset>(text, spec.location);
  if (spec.kind == "celeba") {
    return std::make_unique<CelebaDataset>(
        text, spec.location, int_option(spec, text, "crop", CelebaDataset::kDefaultCrop),
        option_or(spec, "identities", ""));
  }
  if (spec.kind == "folder") return std::make_unique<ImageFolderDataset>(text, spec.location);
  std::error_code error;
  if (!std::filesystem::exists(spec.location, error)) {
    throw UserError(spec.location +
                    ": no such file (scenes are made by spiral data generate-scenes --count N "
                    "--out " +
                    spec.location + " --seed S)");
  }
  return std::make_unique<ScenesDataset>(text, spec.location);
}

std::vector<size_t> label_histogram(const Dataset& dataset) {
  std::vector<size_t> histogram(static_cast<size_t>(dataset.label_count()), 0);
  if (histogram.empty()) return histogram;
  for (size_t i = 0; i < dataset.size(); ++i) ++histogram.at(static_cast<size_t>(dataset.label(i)));
  return histogram;
}

}  // namespace spiral::data
