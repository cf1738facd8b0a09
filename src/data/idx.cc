#include "spiral/data/idx.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "spiral/core/errors.h"

namespace spiral::data {
namespace {

namespace fs = std::filesystem;

// The first existing file among the spellings of `<prefix>-<kind>-idx<rank>-ubyte[.gz]`.
std::string find_idx_file(const fs::path& directory, const std::string& prefix,
                          const std::string& kind, int rank) {
  const std::string tail = "idx" + std::to_string(rank) + "-ubyte";
  for (const char* separator : {"-", "."}) {
    for (const char* extension : {"", ".gz"}) {
      const fs::path path = directory / (prefix + "-" + kind + separator + tail + extension);
      std::error_code error;
      if (fs::is_regular_file(path, error)) return path.string();
    }
  }
  return "";
}

}  // namespace

IdxArray read_idx(const std::string& path, int rank) {
  const std::vector<uint8_t> bytes = read_file(path);
  return decode_idx(bytes.data(), bytes.size(), path, rank);
}

IdxSubset parse_idx_subset(const std::string& text) {
  if (text == "all") return IdxSubset::kAll;
  if (text == "train") return IdxSubset::kTrain;
  if (text == "t10k") return IdxSubset::kTest;
  throw UserError("IDX set '" + text + "': expected all, train or t10k");
}

const std::vector<std::string>& fashion_mnist_class_names() {
  static const std::vector<std::string> names = {"T-shirt/top", "Trouser",   "Pullover", "Dress",
                                                 "Coat",        "Sandal",    "Shirt",    "Sneaker",
                                                 "Bag",         "Ankle boot"};
  return names;
}

IdxDataset::IdxDataset(std::string name, const std::string& directory, IdxSubset subset,
                       std::vector<std::string> class_names)
    : name_(std::move(name)), class_names_(std::move(class_names)) {
  std::error_code error;
  if (!fs::is_directory(directory, error)) {
    throw UserError(directory + ": not a directory (expected one holding MNIST-format IDX files)");
  }
  std::vector<std::string> prefixes;
  if (subset != IdxSubset::kTest) prefixes.push_back("train");
  if (subset != IdxSubset::kTrain) prefixes.push_back("t10k");
  for (const std::string& prefix : prefixes) {
    const std::string images_path = find_idx_file(directory, prefix, "images", 3);
    if (images_path.empty()) {
      if (subset != IdxSubset::kAll) {
        throw UserError(directory + ": no " + prefix + "-images-idx3-ubyte[.gz] (expected the " +
                        prefix + " images of an MNIST-format set)");
      }
      continue;
    }
    const std::string labels_path = find_idx_file(directory, prefix, "labels", 1);
    if (labels_path.empty()) {
      throw UserError(directory + ": no " + prefix + "-labels-idx1-ubyte[.gz] (expected next to " +
                      fs::path(images_path).filename().string() + ")");
    }
    const IdxArray images = read_idx(images_path, 3);
    const IdxArray labels = read_idx(labels_path, 1);
    const int height = static_cast<int>(images.dims[1]);
    const int width = static_cast<int>(images.dims[2]);
    if (height < 1 || width < 1 || height > 4096 || width > 4096) {
      throw UserError(images_path + ": images of " + std::to_string(height) + "x" +
                      std::to_string(width) + " (expected 1 to 4096 pixels a side)");
    }
    if (labels.dims[0] != images.dims[0]) {
      throw UserError(labels_path + ": " + std::to_string(labels.dims[0]) +
                      " labels (expected one per image: " + std::to_string(images.dims[0]) + ")");
    }
    if (!parts_.empty() && (height != height_ || width != width_)) {
      throw UserError(images_path + ": images of " + std::to_string(height) + "x" +
                      std::to_string(width) + " (expected " + std::to_string(height_) + "x" +
                      std::to_string(width_) + " like " + files_.front() + ")");
    }
    height_ = height;
    width_ = width;
    parts_.emplace_back(prefix, labels_.size());
    files_.push_back(images_path);
    files_.push_back(labels_path);
    pixels_.insert(pixels_.end(), images.data.begin(), images.data.end());
    labels_.insert(labels_.end(), labels.data.begin(), labels.data.end());
  }
  if (parts_.empty()) {
    throw UserError(directory + ": no MNIST-format IDX files (expected train-images-idx3-ubyte" +
                    "[.gz] and/or t10k-images-idx3-ubyte[.gz] with their labels files)");
  }
  for (uint8_t label : labels_) label_count_ = std::max(label_count_, label + 1);
  label_count_ = std::max(label_count_, static_cast<int>(class_names_.size()));
}

Image IdxDataset::image(size_t index) const {
  check_index(index);
  Image image;
  image.height = height_;
  image.width = width_;
  image.channels = 1;
  const size_t bytes = static_cast<size_t>(height_) * width_;
  const auto first = pixels_.begin() + static_cast<std::ptrdiff_t>(index * bytes);
  image.pixels.assign(first, first + static_cast<std::ptrdiff_t>(bytes));
  return image;
}

std::string IdxDataset::label_name(int label) const {
  if (label >= 0 && label < static_cast<int>(class_names_.size())) return class_names_[label];
  return std::to_string(label);
}

std::string IdxDataset::key(size_t index) const {
  size_t part = 0;
  while (part + 1 < parts_.size() && parts_[part + 1].second <= index) ++part;
  return parts_[part].first + "/" + std::to_string(index - parts_[part].second);
}

}  // namespace spiral::data
