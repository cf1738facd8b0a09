// Image files on disk: any folder of PNG/JPEG files, and CelebA's img_align_celeba/ folder.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "spiral/data/dataset.h"

namespace spiral::data {

class FileTree;

// Every PNG and JPEG file under a folder (recursively, sorted by path; hidden files and macOS
// junk skipped), decoded on demand. Any other file is a UserError naming it when opened, as is
// a folder without images. Images may differ in size; shape() is the first one's.
class ImageFolderDataset : public Dataset {
 public:
  ImageFolderDataset(std::string name, const std::string& path);
  ~ImageFolderDataset() override;

  const std::string& name() const override { return name_; }
  size_t size() const override;
  Image image(size_t index) const override;
  ImageShape shape() const override { return shape_; }
  bool shapes_vary() const override { return true; }
  Ink ink() const override { return Ink::kNatural; }
  // The file's path relative to the folder.
  std::string key(size_t index) const override;

 private:
  std::string name_;
  std::unique_ptr<FileTree> tree_;
  ImageShape shape_;
};

// CelebA's aligned faces: the 178 x 218 JPEGs of a user's img_align_celeba/ folder (sorted by
// name), centre-cropped to crop x crop RGB. With an identity list (`identity_CelebA.txt`:
// "<file> <identity>" lines), labels are identities and hash splits keep a person on one side.
class CelebaDataset : public Dataset {
 public:
  // CelebA's aligned image size and the default crop (the whole width: a centred square).
  static constexpr int kWidth = 178;
  static constexpr int kHeight = 218;
  static constexpr int kDefaultCrop = 178;

  // `identities`: the identity list, or "" to look for identity_CelebA.txt in the folder, its
  // parent and the parent's Anno/ folder (none found: no labels).
  CelebaDataset(std::string name, const std::string& folder, int crop = kDefaultCrop,
                const std::string& identities = "");

  const std::string& name() const override { return name_; }
  size_t size() const override { return files_.size(); }
  Image image(size_t index) const override;
  ImageShape shape() const override { return {crop_, crop_, 3}; }
  Ink ink() const override { return Ink::kNatural; }
  int label_count() const override { return static_cast<int>(identity_names_.size()); }
  int label(size_t index) const override;
  std::string label_name(int label) const override { return identity_names_.at(label); }
  // The file name, e.g. "000001.jpg".
  std::string key(size_t index) const override { return files_.at(index); }
  std::string split_group(size_t index) const override;

  // The identity list in use ("" when none).
  const std::string& identity_file() const { return identity_file_; }

 private:
  std::string name_;
  std::string folder_;
  int crop_;
  std::vector<std::string> files_;
  std::string identity_file_;
  std::vector<int> labels_;                  // dense identity index per image
  std::vector<std::string> identity_names_;  // CelebA's identity number per dense index
};

}  // namespace spiral::data
