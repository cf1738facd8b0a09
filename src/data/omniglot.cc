#include "spiral/data/omniglot.h"

#include <algorithm>
#include <filesystem>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "archive.h"
#include "spiral/core/errors.h"
#include "spiral/data/codec.h"

namespace spiral::data {
namespace {

bool ends_with(const std::string& text, const std::string& tail) {
  return text.size() >= tail.size() &&
         text.compare(text.size() - tail.size(), tail.size(), tail) == 0;
}

}  // namespace

OmniglotDataset::OmniglotDataset(std::string name, const std::string& path)
    : name_(std::move(name)) {
  const FileTree tree(path);
  std::set<std::string> characters;
  for (size_t i = 0; i < tree.files().size(); ++i) {
    const std::string& file = tree.files()[i];
    if (!ends_with(file, ".png")) continue;
    Item item;
    item.key = omniglot_key(file);
    item.source = tree.describe(i);
    if (item.key.empty()) {
      throw UserError(item.source +
                      ": expected the layout <alphabet>/<character>/<id>_<drawer>.png");
    }
    if (by_key_.count(item.key) != 0) {
      throw UserError(item.source + ": a second image " + item.key + " (expected one set only)");
    }
    item.png = tree.read(i);
    characters.insert(item.key.substr(0, item.key.rfind('/')));
    by_key_[item.key] = items_.size();
    items_.push_back(std::move(item));
  }
  if (items_.empty()) {
    throw UserError(path +
                    ": no Omniglot PNGs (expected <alphabet>/<character>/<id>_<drawer>.png)");
  }
  characters_.assign(characters.begin(), characters.end());
  for (Item& item : items_) {
    const std::string character = item.key.substr(0, item.key.rfind('/'));
    item.label = static_cast<int>(
        std::lower_bound(characters_.begin(), characters_.end(), character) - characters_.begin());
  }
}

Image OmniglotDataset::image(size_t index) const {
  const Item& item = items_.at(index);
  return decode_png(item.png.data(), item.png.size(), item.source);
}

std::string OmniglotDataset::metadata(size_t index) const {
  const std::string& key = items_.at(index).key;
  const size_t slash1 = key.find('/');
  const size_t slash2 = key.rfind('/');
  const std::string stem = key.substr(slash2 + 1);
  const size_t underscore = stem.rfind('_');
  return "alphabet=" + key.substr(0, slash1) +
         " character=" + key.substr(slash1 + 1, slash2 - slash1 - 1) +
         " drawer=" + (underscore == std::string::npos ? "?" : stem.substr(underscore + 1));
}

long OmniglotDataset::find(const std::string& key) const {
  const auto it = by_key_.find(key);
  return it == by_key_.end() ? -1 : static_cast<long>(it->second);
}

OmniglotStrokes::OmniglotStrokes(const std::string& path) {
  const FileTree tree(path);
  for (size_t i = 0; i < tree.files().size(); ++i) {
    const std::string& file = tree.files()[i];
    if (!ends_with(file, ".txt")) continue;
    const std::string key = omniglot_key(file);
    if (key.empty()) {
      throw UserError(tree.describe(i) +
                      ": expected the layout <alphabet>/<character>/<id>_<drawer>.txt");
    }
    if (by_key_.count(key) != 0) {
      throw UserError(tree.describe(i) + ": a second drawing " + key + " (expected one set only)");
    }
    const std::vector<uint8_t> bytes = tree.read(i);
    drawings_.push_back(
        parse_strokes(reinterpret_cast<const char*>(bytes.data()), bytes.size(), tree.describe(i)));
    by_key_[key] = keys_.size();
    keys_.push_back(key);
  }
  if (keys_.empty()) {
    throw UserError(path + ": no Omniglot stroke files (expected " +
                    "<alphabet>/<character>/<id>_<drawer>.txt)");
  }
}

const Drawing* OmniglotStrokes::find(const std::string& key) const {
  const auto it = by_key_.find(key);
  return it == by_key_.end() ? nullptr : &drawings_[it->second];
}

std::string omniglot_strokes_beside(const std::string& images_path) {
  const std::string prefix = "images_";
  std::filesystem::path path(images_path);
  if (!path.has_filename()) path = path.parent_path();  // "dir/" names the folder "dir"
  const std::string name = path.filename().string();
  if (name.compare(0, prefix.size(), prefix) != 0) return "";
  const std::filesystem::path strokes =
      path.parent_path() / ("strokes_" + name.substr(prefix.size()));
  std::error_code error;
  return std::filesystem::exists(strokes, error) ? strokes.string() : "";
}

}  // namespace spiral::data
