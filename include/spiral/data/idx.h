// IDX files (MNIST, Fashion-MNIST): in-memory parsing, gzip, and the MNIST-format dataset.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "spiral/data/codec.h"
#include "spiral/data/dataset.h"

namespace spiral::data {

// An IDX array of unsigned bytes: its dimensions (outermost first) and elements, row-major.
struct IdxArray {
  std::vector<uint32_t> dims;
  std::vector<uint8_t> data;
};

// Whether `data` starts with the gzip magic bytes.
bool is_gzip(const uint8_t* data, size_t size);

// Inflates a gzip stream (concatenated members too). UserError prefixed with `name` for a
// truncated or corrupt stream, trailing garbage, or more than `max_bytes` of output.
std::vector<uint8_t> gunzip(const uint8_t* data, size_t size, const std::string& name,
                            size_t max_bytes = kMaxFileBytes);

// Parses an uncompressed IDX buffer of unsigned bytes. `rank` (0: any) is the number of
// dimensions expected (3 for images, 1 for labels). UserError prefixed with `name` for a bad
// magic number, another element type or rank, or a size that does not match the dimensions.
IdxArray parse_idx(const uint8_t* data, size_t size, const std::string& name, int rank = 0);

// Parses an IDX buffer that may be gzip-compressed (recognised by its magic bytes).
IdxArray decode_idx(const uint8_t* data, size_t size, const std::string& name, int rank = 0,
                    size_t max_bytes = kMaxFileBytes);

// Reads an IDX file, gzip or not.
IdxArray read_idx(const std::string& path, int rank = 0);

// Which files of an MNIST-format directory a dataset reads.
enum class IdxSubset {
  kAll,    // train then t10k, whichever exist (so `first:60000` is MNIST's own split)
  kTrain,  // train-* only
  kTest,   // t10k-* only
};

// Parses "all", "train" or "t10k" (UserError otherwise).
IdxSubset parse_idx_subset(const std::string& text);

// The ten class names of Fashion-MNIST, in label order.
const std::vector<std::string>& fashion_mnist_class_names();

// Images and labels of an MNIST-format directory: `<prefix>-images-idx3-ubyte[.gz]` with
// `<prefix>-labels-idx1-ubyte[.gz]` (a '.' instead of the second '-' works too), prefix train
// and/or t10k. White ink on black (Ink::kLightOnDark).
class IdxDataset : public Dataset {
 public:
  // Reads the directory's files; `class_names` (may be empty) names the labels.
  IdxDataset(std::string name, const std::string& directory, IdxSubset subset,
             std::vector<std::string> class_names = {});

  const std::string& name() const override { return name_; }
  size_t size() const override { return labels_.size(); }
  Image image(size_t index) const override;
  ImageShape shape() const override { return {height_, width_, 1}; }
  Ink ink() const override { return Ink::kLightOnDark; }
  int label_count() const override { return label_count_; }
  int label(size_t index) const override { return labels_.at(index); }
  std::string label_name(int label) const override;
  // "train/123" or "t10k/45": the file prefix and the index within that file.
  std::string key(size_t index) const override;

  // The files read, images and labels of each prefix in order.
  const std::vector<std::string>& files() const { return files_; }

 private:
  std::string name_;
  std::vector<std::string> files_;
  std::vector<std::string> class_names_;
  int height_ = 0;
  int width_ = 0;
  int label_count_ = 0;
  std::vector<uint8_t> pixels_;  // every image, back to back
  std::vector<uint8_t> labels_;
  std::vector<std::pair<std::string, size_t>> parts_;  // (prefix, first index), in order
};

}  // namespace spiral::data
