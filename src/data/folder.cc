#include "spiral/data/folder.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "archive.h"
#include "spiral/core/errors.h"
#include "spiral/data/codec.h"
#include "spiral/data/preprocess.h"

namespace spiral::data {
namespace {

namespace fs = std::filesystem;

bool has_jpeg_extension(const std::string& file) {
  std::string lower = file;
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const char* tail : {".jpg", ".jpeg"}) {
    const std::string suffix = tail;
    if (lower.size() > suffix.size() &&
        lower.compare(lower.size() - suffix.size(), suffix.size(), suffix) == 0) {
      return true;
    }
  }
  return false;
}

// The identity list to use: `given`, else the first identity_CelebA.txt near the folder.
std::string find_identity_file(const fs::path& folder, const std::string& given) {
  if (!given.empty()) return given;
  const fs::path parent = fs::absolute(folder).lexically_normal().parent_path();
  for (const fs::path& candidate : {folder / "identity_CelebA.txt", parent / "identity_CelebA.txt",
                                    parent / "Anno" / "identity_CelebA.txt"}) {
    std::error_code error;
    if (fs::is_regular_file(candidate, error)) return candidate.string();
  }
  return "";
}

}  // namespace

ImageFolderDataset::ImageFolderDataset(std::string name, const std::string& path)
    : name_(std::move(name)), tree_(std::make_unique<FileTree>(path)) {
  for (size_t i = 0; i < tree_->files().size(); ++i) {
    const std::vector<uint8_t> head = tree_->read_head(i, 8);
    if (sniff_image_format(head.data(), head.size()) == ImageFormat::kUnknown) {
      throw UserError(tree_->describe(i) +
                      ": not a PNG or JPEG image (an image folder holds only images)");
    }
  }
  if (tree_->files().empty()) {
    throw UserError(path + ": no PNG or JPEG files (expected a folder of images)");
  }
  const Image first = image(0);
  shape_ = {first.height, first.width, first.channels};
}

ImageFolderDataset::~ImageFolderDataset() = default;

size_t ImageFolderDataset::size() const { return tree_->files().size(); }

Image ImageFolderDataset::image(size_t index) const {
  const std::vector<uint8_t> bytes = tree_->read(index);
  return decode_image(bytes.data(), bytes.size(), tree_->describe(index));
}

std::string ImageFolderDataset::key(size_t index) const { return tree_->files().at(index); }

CelebaDataset::CelebaDataset(std::string name, const std::string& folder, int crop,
                             const std::string& identities)
    : name_(std::move(name)), folder_(folder), crop_(crop) {
  if (crop < 1 || crop > kWidth) {
    throw UserError("CelebA crop " + std::to_string(crop) + ": expected 1 to " +
                    std::to_string(kWidth) + " pixels");
  }
  std::error_code error;
  if (!fs::is_directory(folder, error)) {
    throw UserError(folder + ": not a folder (expected CelebA's img_align_celeba/)");
  }
  for (fs::directory_iterator it(folder, error), end; !error && it != end; it.increment(error)) {
    const std::string file = it->path().filename().string();
    if (file.empty() || file[0] == '.' || !has_jpeg_extension(file)) continue;
    if (it->is_regular_file(error)) files_.push_back(file);
  }
  if (error) throw UserError(folder + ": cannot list folder (" + error.message() + ")");
  if (files_.empty()) {
    throw UserError(folder + ": no .jpg files (expected CelebA's img_align_celeba/ folder)");
  }
  std::sort(files_.begin(), files_.end());

  identity_file_ = find_identity_file(folder, identities);
  if (identity_file_.empty()) return;
  std::ifstream stream(identity_file_);
  if (!stream) throw UserError(identity_file_ + ": cannot read the identity list");
  std::map<std::string, long> identity_of;
  std::string line;
  for (size_t number = 1; std::getline(stream, line); ++number) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    std::istringstream fields(line);
    std::string file;
    long identity = -1;
    std::string rest;
    if (!(fields >> file >> identity) || identity < 0 || (fields >> rest)) {
      throw UserError(identity_file_ + ":" + std::to_string(number) +
                      ": expected '<file> <identity>', got '" + line.substr(0, 40) + "'");
    }
    identity_of[file] = identity;
  }
  std::map<long, int> dense;
  std::vector<long> identity_per_file;
  for (const std::string& file : files_) {
    const auto it = identity_of.find(file);
    if (it == identity_of.end()) {
      throw UserError(identity_file_ + ": no identity for " + file + " (expected every image of " +
                      folder + ")");
    }
    identity_per_file.push_back(it->second);
    dense[it->second] = 0;
  }
  for (auto& [identity, label] : dense) {
    label = static_cast<int>(identity_names_.size());
    identity_names_.push_back(std::to_string(identity));
  }
  for (long identity : identity_per_file) labels_.push_back(dense[identity]);
}

Image CelebaDataset::image(size_t index) const {
  const std::string path = (fs::path(folder_) / files_.at(index)).string();
  Image image = to_rgb(read_image(path));
  if (image.height < crop_ || image.width < crop_) {
    throw UserError(path + ": image of " + std::to_string(image.height) + "x" +
                    std::to_string(image.width) + " (expected at least " + std::to_string(crop_) +
                    "x" + std::to_string(crop_) + " for the centre crop; CelebA's are " +
                    std::to_string(kWidth) + "x" + std::to_string(kHeight) + ")");
  }
  return center_crop(image, crop_, crop_);
}

int CelebaDataset::label(size_t index) const {
  if (labels_.empty()) return Dataset::label(index);
  return labels_.at(index);
}

std::string CelebaDataset::split_group(size_t index) const {
  if (labels_.empty()) return key(index);
  return "identity:" + identity_names_[labels_.at(index)];
}

}  // namespace spiral::data
