// Omniglot: images in the images_background* layout and the human pen strokes behind them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "spiral/data/dataset.h"

namespace spiral::data {

// Side of the frame Omniglot's images and stroke coordinates live in, in pixels.
inline constexpr int kOmniglotSide = 105;

// One pen sample of a human drawing and its time in milliseconds, in pixel-index coordinates of
// the 105 x 105 image (x to the right, y downwards): (x, y) is the centre of pixel column x, row y
// (measured: the images' ink lies 0.47 px right of and 0.42 px below the pen, on average).
struct StrokePoint {
  double x = 0;
  double y = 0;
  double t = 0;
};

// One pen-down stroke: its samples in the order they were drawn.
using Stroke = std::vector<StrokePoint>;

// A whole drawing: its strokes in the order they were drawn.
using Drawing = std::vector<Stroke>;

// Parses an Omniglot stroke file held in memory: `START`, then `x,y,t` lines with `BREAK` after
// each stroke (the pen lifts). The files' y grows upwards (negative values); it is negated here.
// Blank lines and '\r' are ignored. UserError "name:line: ..." for a malformed line, a missing
// START, or a drawing without points.
Drawing parse_strokes(const char* text, size_t size, const std::string& name);

// "<alphabet>/<character>/<stem>" from a path's last three components, e.g.
// "Balinese/character01/0108_01" for ".../Balinese/character01/0108_01.png"; "" when shorter.
std::string omniglot_key(const std::string& relative_path);

// Omniglot images from a folder or zip in the images_background* layout:
// `[<set>/]<alphabet>/<character>/<id>_<drawer>.png`, 105 x 105 1-bit PNGs, black ink on white.
// Labels are characters ("alphabet/character"), in sorted order. Files that are not PNGs and
// macOS junk are skipped; the PNGs are read into memory when opened and decoded on demand.
class OmniglotDataset : public Dataset {
 public:
  OmniglotDataset(std::string name, const std::string& path);

  const std::string& name() const override { return name_; }
  size_t size() const override { return items_.size(); }
  Image image(size_t index) const override;
  ImageShape shape() const override { return {kOmniglotSide, kOmniglotSide, 1}; }
  Ink ink() const override { return Ink::kDarkOnLight; }
  int label_count() const override { return static_cast<int>(characters_.size()); }
  int label(size_t index) const override { return items_.at(index).label; }
  std::string label_name(int label) const override { return characters_.at(label); }
  // "<alphabet>/<character>/<id>_<drawer>", the key of the matching stroke file too.
  std::string key(size_t index) const override { return items_.at(index).key; }
  // "alphabet=<alphabet> character=<character> drawer=<drawer>".
  std::string metadata(size_t index) const override;

  // Index of the image with `key`, or -1.
  long find(const std::string& key) const;

 private:
  struct Item {
    std::string key;
    std::string source;  // file or "zip:entry", for messages
    std::vector<uint8_t> png;
    int label = 0;
  };

  std::string name_;
  std::vector<std::string> characters_;
  std::vector<Item> items_;
  std::map<std::string, size_t> by_key_;
};

// The human pen trajectories of an Omniglot strokes_* folder or zip (`.txt` files in the same
// layout as the images), all parsed when opened.
class OmniglotStrokes {
 public:
  explicit OmniglotStrokes(const std::string& path);

  size_t size() const { return keys_.size(); }
  // "<alphabet>/<character>/<id>_<drawer>" of drawing `index`.
  const std::string& key(size_t index) const { return keys_.at(index); }
  const Drawing& drawing(size_t index) const { return drawings_.at(index); }
  // The drawing with `key`, or nullptr.
  const Drawing* find(const std::string& key) const;

 private:
  std::vector<std::string> keys_;
  std::vector<Drawing> drawings_;
  std::map<std::string, size_t> by_key_;
};

// The human strokes shipped beside an Omniglot image set: for a folder or zip named
// `images_<rest>`, its sibling `strokes_<rest>` when that exists; "" otherwise.
std::string omniglot_strokes_beside(const std::string& images_path);

}  // namespace spiral::data
