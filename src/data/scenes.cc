#include "spiral/data/scenes.h"

#include <algorithm>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "spiral/core/errors.h"
#include "spiral/core/files.h"
#include "spiral/core/logging.h"

namespace spiral::data {
namespace {

constexpr int kFields = 6;

// SplitMix64's output function.
uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// SplitMix64: small, fast and the same on every platform (std:: distributions are not).
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t state) : state_(state) {}
  uint64_t next() { return mix64(state_ += 0x9e3779b97f4a7c15ull); }
  // Uniform in [0, count), without modulo bias.
  int uniform(int count) {
    const uint64_t n = static_cast<uint64_t>(count);
    const uint64_t limit =
        std::numeric_limits<uint64_t>::max() - std::numeric_limits<uint64_t>::max() % n;
    uint64_t value = next();
    while (value >= limit) value = next();
    return static_cast<int>(value % n);
  }

 private:
  uint64_t state_;
};

void check_generation(const SceneGeneration& generation) {
  render::check_scene_settings(generation.settings);
  const render::SceneSettings& s = generation.settings;
  if (s.max_objects > s.grid * s.grid) {
    throw UserError("scenes: " + std::to_string(s.max_objects) + " objects cannot stand on " +
                    "distinct cells of a " + std::to_string(s.grid) + "x" + std::to_string(s.grid) +
                    " grid");
  }
  if (generation.count == 0) throw UserError("scenes: count 0 (expected at least 1 scene)");
}

}  // namespace

std::vector<render::SceneObject> random_scene(const render::SceneSettings& settings, uint64_t seed,
                                              uint64_t index) {
  SplitMix64 random(mix64(seed ^ 0x5eed5eed5eed5eedull) ^ mix64(index + 0x632be59bd9b4e019ull));
  const int cells = settings.grid * settings.grid;
  const int count = 1 + random.uniform(std::min(settings.max_objects, cells));
  std::vector<render::SceneObject> objects(count);
  for (int i = 0; i < count; ++i) {
    render::SceneObject& object = objects[i];
    object.type = random.uniform(render::kSceneObjectTypes);
    bool taken = true;
    while (taken) {
      object.position = random.uniform(cells);
      taken = std::any_of(objects.begin(), objects.begin() + i,
                          [&](const auto& other) { return other.position == object.position; });
    }
    object.size = random.uniform(settings.size_levels);
    object.red = random.uniform(settings.color_levels);
    object.green = random.uniform(settings.color_levels);
    object.blue = random.uniform(settings.color_levels);
  }
  return objects;
}

void generate_scenes(const std::string& path, const SceneGeneration& generation,
                     const SceneProgress& progress) {
  check_generation(generation);
  const render::SceneSettings& settings = generation.settings;
  const size_t side = static_cast<size_t>(settings.image_size);
  const size_t max_objects = static_cast<size_t>(settings.max_objects);
  render::SceneRenderer renderer(settings);

  PendingFile pending(path, "scenes file");
  {
    io::File file = io::File::create(pending.temporary().string());
    io::Group root = file.root();
    root.set_attribute("format", kScenesFormat);
    root.set_attribute("version", kScenesFormatVersion);
    root.set_attribute("generator", "spiral data generate-scenes");
    root.set_attribute("seed", static_cast<int64_t>(generation.seed));
    root.set_attribute("count", static_cast<int64_t>(generation.count));
    root.set_attribute("image_size", settings.image_size);
    root.set_attribute("grid", settings.grid);
    root.set_attribute("max_objects", settings.max_objects);
    root.set_attribute("size_levels", settings.size_levels);
    root.set_attribute("color_levels", settings.color_levels);
    root.set_attribute("object_fields", kSceneObjectFields);
    root.set_attribute("object_types", render::scene_object_type_list());
    root.set_attribute("model_xml", render::scene_model_xml(settings));
    root.set_attribute("renderer", renderer.backend());
    root.set_attribute("description",
                       "Random MuJoCo scenes (1 to max_objects objects on distinct grid cells) "
                       "with the objects that were rendered: the true program of each image");

    io::DatasetOptions image_options;
    image_options.chunk_rows = 64;
    io::Dataset images = root.create_dataset<uint8_t>("images", {side, side, 3}, image_options);
    images.set_attribute("description", "Rendered scenes, RGB, height x width x channel");
    images.set_attribute("units", "intensity 0-255");
    io::Dataset objects = root.create_dataset<int32_t>("objects", {max_objects, kFields});
    objects.set_attribute("description",
                          std::string("Objects of each scene in placement order, fields ") +
                              kSceneObjectFields + "; rows past object_count are -1");
    objects.set_attribute("units", "command part values (type index, row * grid + col, bins)");
    io::Dataset counts = root.create_dataset<int32_t>("object_count", {});
    counts.set_attribute("description", "Number of objects in each scene");
    counts.set_attribute("units", "objects");

    constexpr size_t kBatch = 64;
    std::vector<uint8_t> image_rows;
    std::vector<int32_t> object_rows, count_rows;
    Image image;
    for (size_t first = 0; first < generation.count; first += kBatch) {
      const size_t last = std::min(generation.count, first + kBatch);
      image_rows.clear();
      object_rows.assign((last - first) * max_objects * kFields, -1);
      count_rows.clear();
      for (size_t index = first; index < last; ++index) {
        const std::vector<render::SceneObject> scene =
            random_scene(settings, generation.seed, index);
        renderer.render(scene, &image);
        image_rows.insert(image_rows.end(), image.pixels.begin(), image.pixels.end());
        int32_t* row = object_rows.data() + (index - first) * max_objects * kFields;
        for (const render::SceneObject& object : scene) {
          const int32_t fields[kFields] = {object.type, object.position, object.size,
                                           object.red,  object.green,    object.blue};
          row = std::copy(fields, fields + kFields, row);
        }
        count_rows.push_back(static_cast<int32_t>(scene.size()));
      }
      images.append(image_rows);
      objects.append(object_rows);
      counts.append(count_rows);
      if (progress) progress(last, generation.count);
    }
    file.close();
  }
  pending.commit();
}

ScenesDataset::ScenesDataset(std::string name, const std::string& path)
    : name_(std::move(name)), path_(path) {
  file_ = std::make_unique<io::File>(io::File::open(path));
  const io::Group root = file_->root();
  const auto expect = [&](bool ok, const std::string& what) {
    if (!ok) throw UserError(path + ": " + what);
  };
  expect(root.has_attribute("format") && root.string_attribute("format") == kScenesFormat,
         std::string("not a scenes file (expected the format attribute '") + kScenesFormat +
             "' that spiral data generate-scenes writes)");
  const int64_t version = root.int_attribute("version");
  expect(version != 1,
         "scenes format version 1, whose objects were smaller than today's renderer draws them; "
         "make the scenes again with spiral data generate-scenes (the same --seed gives the same "
         "objects)");
  expect(version == kScenesFormatVersion, "scenes format version " + std::to_string(version) +
                                              " (expected " + std::to_string(kScenesFormatVersion) +
                                              ")");
  settings_.image_size = static_cast<int>(root.int_attribute("image_size"));
  settings_.grid = static_cast<int>(root.int_attribute("grid"));
  settings_.max_objects = static_cast<int>(root.int_attribute("max_objects"));
  settings_.size_levels = static_cast<int>(root.int_attribute("size_levels"));
  settings_.color_levels = static_cast<int>(root.int_attribute("color_levels"));
  seed_ = static_cast<uint64_t>(root.int_attribute("seed"));
  try {
    render::check_scene_settings(settings_);
  } catch (const UserError& error) {
    throw UserError(path + ": " + error.what());
  }
  size_ = settings_.image_size;
  const size_t side = static_cast<size_t>(size_);
  const size_t max_objects = static_cast<size_t>(settings_.max_objects);

  images_ = std::make_unique<io::Dataset>(root.open_dataset("images"));
  const io::Dataset object_rows = root.open_dataset("objects");
  const io::Dataset counts = root.open_dataset("object_count");
  const size_t rows = counts.rows();
  expect(images_->type_name() == "uint8" &&
             images_->row_shape() == std::vector<size_t>{side, side, 3} && images_->rows() == rows,
         "/images is " + images_->type_name() + " of " + std::to_string(images_->rows()) +
             " rows (expected uint8 [" + std::to_string(rows) + ", " + std::to_string(side) + ", " +
             std::to_string(side) + ", 3])");
  expect(object_rows.type_name() == "int32" &&
             object_rows.row_shape() == std::vector<size_t>{max_objects, kFields} &&
             object_rows.rows() == rows,
         "/objects does not match (expected int32 [" + std::to_string(rows) + ", " +
             std::to_string(max_objects) + ", 6])");
  expect(counts.type_name() == "int32" && counts.row_shape().empty(),
         "/object_count is not int32 [N]");
  counts_ = counts.read<int32_t>();
  objects_ = object_rows.read<int32_t>();
  for (size_t i = 0; i < rows; ++i) {
    expect(counts_[i] >= 1 && counts_[i] <= settings_.max_objects,
           "scene " + std::to_string(i) + " has " + std::to_string(counts_[i]) +
               " objects (expected 1 to " + std::to_string(settings_.max_objects) + ")");
    try {
      render::check_scene_objects(settings_, objects(i));
    } catch (const UserError& error) {
      throw UserError(path + ": scene " + std::to_string(i) + ": " + error.what());
    }
  }
}

ScenesDataset::~ScenesDataset() = default;

Image ScenesDataset::image(size_t index) const {
  check_index(index);
  Image image;
  image.height = size_;
  image.width = size_;
  image.channels = 3;
  std::lock_guard<std::mutex> lock(mutex_);
  image.pixels = images_->read_rows<uint8_t>(index, 1);
  return image;
}

std::vector<render::SceneObject> ScenesDataset::objects(size_t index) const {
  const size_t count = static_cast<size_t>(counts_.at(index));
  const int32_t* row =
      objects_.data() + index * static_cast<size_t>(settings_.max_objects) * kFields;
  std::vector<render::SceneObject> scene(count);
  for (size_t i = 0; i < count; ++i, row += kFields) {
    scene[i] = {row[0], row[1], row[2], row[3], row[4], row[5]};
  }
  return scene;
}

std::string ScenesDataset::label_name(int label) const {
  return std::to_string(label + 1) + (label == 0 ? " object" : " objects");
}

std::string ScenesDataset::metadata(size_t index) const {
  std::string text = "objects=" + std::to_string(counts_.at(index));
  for (const render::SceneObject& object : objects(index)) {
    text += std::string(" ") + render::kSceneObjectTypeNames[object.type] + "@" +
            std::to_string(object.position) + "(size " + std::to_string(object.size) + ", rgb " +
            std::to_string(object.red) + "," + std::to_string(object.green) + "," +
            std::to_string(object.blue) + ")";
  }
  return text;
}

const ScenesDataset* matching_scenes(const Dataset& dataset,
                                     const render::EnvironmentSettings& settings) {
  const auto* scenes = dynamic_cast<const ScenesDataset*>(&dataset);
  if (!scenes || settings.kind != render::EnvironmentSettings::Kind::kScene) return nullptr;
  const render::SceneSettings& file = scenes->settings();
  if (file.grid != settings.scene.grid || file.size_levels != settings.scene.size_levels ||
      file.color_levels != settings.scene.color_levels) {
    log_warning("not matching objects: the scene grid, sizes or colours differ from ",
                dataset.name(), "'s");
    return nullptr;
  }
  return scenes;
}

std::vector<render::SceneParse> parse_programs(
    const ScenesDataset& scenes, const render::SceneSettings& settings,
    const std::vector<size_t>& indices, const std::vector<std::vector<render::Command>>& programs) {
  std::vector<render::SceneParse> parses;
  for (size_t i = 0; i < indices.size(); ++i) {
    const std::vector<render::Command>& program = programs[programs.size() == 1 ? 0 : i];
    parses.push_back(render::parse_scene(settings, scenes.objects(indices[i]),
                                         render::scene_objects_of_program(settings, program)));
  }
  return parses;
}

}  // namespace spiral::data
