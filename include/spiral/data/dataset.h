// The Dataset interface every reader implements, dataset specs ("kind:location") and the factory.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "spiral/core/image.h"

namespace spiral::data {

// How the ink of a set's native images relates to their background; decides the polarity fix.
enum class Ink {
  kDarkOnLight,  // Omniglot: black strokes on white, as the painter draws
  kLightOnDark,  // MNIST: white strokes on black, inverted for the painter
  kNatural,      // photographs and renders: no polarity
};

// The size of a set's native images (height x width x channels).
struct ImageShape {
  int height = 0;
  int width = 0;
  int channels = 0;

  bool operator==(const ImageShape& other) const {
    return height == other.height && width == other.width && channels == other.channels;
  }
};

// A read-only, indexed set of images with optional labels. Implementations are immutable after
// opening, so every const method may be called from several threads at once.
class Dataset {
 public:
  virtual ~Dataset() = default;

  // The spec the set was opened from, e.g. "mnist:inputs/data/mnist".
  virtual const std::string& name() const = 0;
  // Number of images.
  virtual size_t size() const = 0;
  // Image `index` (< size()) in its native size, 8-bit H x W x C; UserError if its file is corrupt.
  virtual Image image(size_t index) const = 0;
  // Native image shape; for sets whose images differ (folders), the shape of the first image.
  virtual ImageShape shape() const = 0;
  // Whether images of this set may differ in shape.
  virtual bool shapes_vary() const { return false; }
  // Polarity of the native images.
  virtual Ink ink() const = 0;

  // Number of label classes; 0 when the set has no labels.
  virtual int label_count() const { return 0; }
  // Label of image `index` in [0, label_count()); logic_error when the set has no labels.
  virtual int label(size_t index) const;
  // Readable name of a label class, e.g. "7", "Sandal" or "Balinese/character01".
  virtual std::string label_name(int label) const { return std::to_string(label); }

  // Stable identifier of image `index` within the set: its file path inside the set, or index.
  virtual std::string key(size_t index) const { return std::to_string(index); }
  // Free-form metadata of image `index` ("" when the set has none), e.g. a scene's objects.
  virtual std::string metadata(size_t /*index*/) const { return ""; }
  // What a hash split groups on: key() unless images must stay together (CelebA identities).
  virtual std::string split_group(size_t index) const { return key(index); }

 protected:
  // Throws out_of_range naming the set unless index < size().
  void check_index(size_t index) const;
};

// A parsed dataset spec: `kind:location[?key=value&key=value]`.
struct DatasetSpec {
  std::string kind;
  std::string location;
  std::map<std::string, std::string> options;
};

// The kinds open_dataset knows, in the order error messages list them.
const std::vector<std::string>& dataset_kinds();

// Parses a spec; UserError listing the kinds for an unknown kind, empty location or bad option.
DatasetSpec parse_dataset_spec(const std::string& spec);

// Opens the set a spec names:
//   mnist:DIR            IDX files (train and/or t10k, gzip or not); ?set=train|t10k|all
//   fashion-mnist:DIR    the same, with Fashion-MNIST's class names
//   omniglot:ZIP|DIR     images_background* layout <alphabet>/<character>/<id>_<drawer>.png
//   celeba:DIR           img_align_celeba/ JPEGs, centre crop; ?crop=N&identities=FILE
//   folder:DIR           every PNG/JPEG under DIR (recursively)
//   scenes:FILE.h5       scenes written by `spiral data generate-scenes`
// UserError with one line naming the file and what was expected on any problem.
std::unique_ptr<Dataset> open_dataset(const std::string& spec);

// The label histogram of a set: entry l counts images of label l (empty without labels).
std::vector<size_t> label_histogram(const Dataset& dataset);

}  // namespace spiral::data
