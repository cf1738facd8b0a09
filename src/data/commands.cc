#include "spiral/data/commands.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "spiral/core/errors.h"
#include "spiral/core/image.h"
#include "spiral/core/logging.h"
#include "spiral/data/dataset.h"
#include "spiral/data/preprocess.h"
#include "spiral/data/scenes.h"
#include "spiral/data/split.h"
#include "spiral/io/png.h"

namespace spiral::data {
namespace {

// Label histograms with more classes than this print a summary line only.
constexpr int kMaxHistogramLines = 64;

std::string ink_text(Ink ink) {
  switch (ink) {
    case Ink::kDarkOnLight:
      return "dark on light (as the painter draws)";
    case Ink::kLightOnDark:
      return "light on dark (inverted to dark ink on white for the painter)";
    case Ink::kNatural:
      break;
  }
  return "natural (photographs or renders: no polarity change)";
}

std::string shape_text(const ImageShape& shape) {
  return std::to_string(shape.height) + " x " + std::to_string(shape.width) + " x " +
         std::to_string(shape.channels);
}

int run_info(const Config& config, CommandContext&) {
  const std::string spec = config.get_text("spec");
  if (spec.empty()) {
    throw UserError("expected a dataset spec: spiral data info KIND:LOCATION (kinds: mnist, " +
                    std::string("fashion-mnist, omniglot, celeba, folder, scenes)"));
  }
  const SplitRule rule = parse_split_rule(config.get_text("split"));
  const std::string preview = config.get_text("preview");
  const std::unique_ptr<Dataset> dataset = open_dataset(spec);
  const size_t count = dataset->size();

  // Read the images that the value range covers (every image's file is checked on the way).
  const size_t scan = config.get_int("scan") == 0
                          ? count
                          : std::min<size_t>(count, static_cast<size_t>(config.get_int("scan")));
  int low = 255, high = 0;
  bool shapes_differ = false;
  const ImageShape first = dataset->shape();
  for (size_t i = 0; i < scan; ++i) {
    const Image image = dataset->image(i);
    shapes_differ =
        shapes_differ || !(ImageShape{image.height, image.width, image.channels} == first);
    const auto [lowest, highest] = std::minmax_element(image.pixels.begin(), image.pixels.end());
    low = std::min<int>(low, *lowest);
    high = std::max<int>(high, *highest);
  }

  std::cout << "dataset: " << dataset->name() << "\n"
            << "count: " << count << "\n"
            << "image shape: " << shape_text(first) << " (height x width x channels"
            << (shapes_differ || dataset->shapes_vary() ? "; first image, others differ" : "")
            << ")\n"
            << "ink: " << ink_text(dataset->ink()) << "\n"
            << "value range: " << low << " to " << high << " (" << scan << " of " << count
            << " images read)\n";
  const Split split = split_dataset(*dataset, rule);
  std::cout << "split " << to_string(rule) << ": " << split.train.size() << " train, "
            << split.held_out.size() << " held out\n";

  const std::vector<size_t> histogram = label_histogram(*dataset);
  if (histogram.empty()) {
    std::cout << "labels: none\n";
  } else {
    const auto [fewest, most] = std::minmax_element(histogram.begin(), histogram.end());
    std::cout << "labels: " << histogram.size() << " classes, " << *fewest << " to " << *most
              << " images each\n";
    if (static_cast<int>(histogram.size()) <= kMaxHistogramLines) {
      for (size_t label = 0; label < histogram.size(); ++label) {
        std::cout << "label " << dataset->label_name(static_cast<int>(label)) << ": "
                  << histogram[label] << "\n";
      }
    } else {
      std::cout << "(per-class lines are printed for at most " << kMaxHistogramLines
                << " classes)\n";
    }
  }
  if (count > 0) {
    const std::string metadata = dataset->metadata(0);
    std::cout << "first image: " << dataset->key(0)
              << (dataset->label_count() > 0 ? ", label " + dataset->label_name(dataset->label(0))
                                             : std::string())
              << (metadata.empty() ? std::string() : ", " + metadata) << "\n";
  }

  if (!preview.empty()) {
    CanvasFormat format;
    format.size = static_cast<int>(config.get_int("canvas"));
    const std::string color = config.get_text("color");
    format.color = color == "auto"
                       ? (dataset->ink() == Ink::kNatural ? ColorMode::kRgb : ColorMode::kGray)
                       : parse_color_mode(color);
    const size_t shown =
        std::min<size_t>(count, static_cast<size_t>(config.get_int("preview-count")));
    std::vector<Image> tiles;
    for (size_t i = 0; i < shown; ++i) tiles.push_back(canvas_image(*dataset, i, format));
    int columns = 1;
    while (static_cast<size_t>(columns) * columns < shown) ++columns;
    io::write_png(preview, tile_grid(tiles, columns, 128));
    std::cout << "preview: " << preview << " (" << shown << " images as " << format.size << " x "
              << format.size << (format.color == ColorMode::kGray ? " gray" : " RGB")
              << " canvases, " << columns << " per row)\n";
  }
  return 0;
}

int run_generate_scenes(const Config& config, CommandContext&) {
  const std::string out = config.get_text("out");
  if (out.empty()) throw UserError("--out: expected the HDF5 file to write, e.g. scenes.h5");
  const std::filesystem::path folder = std::filesystem::path(out).parent_path();
  std::error_code error;
  if (!folder.empty() && !std::filesystem::is_directory(folder, error)) {
    throw UserError(out + ": folder " + folder.string() + " does not exist");
  }
  SceneGeneration generation;
  generation.count = static_cast<size_t>(config.get_int("count"));
  generation.seed = static_cast<uint64_t>(config.get_int("seed"));
  generation.settings.image_size = static_cast<int>(config.get_int("image-size"));
  generation.settings.grid = static_cast<int>(config.get_int("grid"));
  generation.settings.max_objects = static_cast<int>(config.get_int("max-objects"));
  generation.settings.gl = config.get_text("gl");

  using Clock = std::chrono::steady_clock;
  const Clock::time_point start = Clock::now();
  Clock::time_point last_report = start;
  size_t next_tenth = 1;
  log_info("generate-scenes: rendering ", generation.count, " scenes (seed ", generation.seed,
           ") to ", out);
  generate_scenes(out, generation, [&](size_t done, size_t total) {
    const Clock::time_point now = Clock::now();
    const bool tenth = done * 10 >= next_tenth * total;
    if (done < total && !tenth && now - last_report < std::chrono::seconds(5)) return;
    while (next_tenth * total <= done * 10) ++next_tenth;
    last_report = now;
    const double seconds = std::chrono::duration<double>(now - start).count();
    log_info("generate-scenes: ", done, "/", total, " scenes (", done * 100 / total, "%), ",
             static_cast<int>(done / std::max(seconds, 1e-3)), " scenes/s");
  });
  log_info("generate-scenes: wrote ", generation.count, " scenes to ", out);
  return 0;
}

}  // namespace

Command info_action() {
  return {"info",
          "Describe a dataset: spiral data info SPEC [--preview out.png] (SPEC: kind:location)",
          {{"info",
            {
                positional(text_option("spec", "",
                                       "Dataset as kind:location; kinds: mnist, fashion-mnist, "
                                       "omniglot, celeba, folder, scenes")),
                text_option("preview", "", "Write a grid of the first images, as canvases, here"),
                int_option("preview-count", 64, 1, 4096, "images", "Images in the preview grid"),
                int_option("canvas", 64, 8, 1024, "px", "Canvas side of the preview's images"),
                choice_option("color", "auto", {"auto", "gray", "rgb"},
                              "Preview colour model (auto: gray for ink sets, else RGB)"),
                text_option("split", kDefaultSplit,
                            "Split rule to report: every:K, first:N, hash:K or none"),
                int_option("scan", 10000, 0, INT64_MAX, "images",
                           "Images read for the value range (0: all)"),
            }}},
          run_info,
          {}};
}

Command generate_scenes_action() {
  return {"generate-scenes",
          "Render random MuJoCo scenes with their objects: --count N --out F.h5 --seed S",
          {{"scenes",
            {
                int_option("count", 1000, 1, 100000000, "scenes", "Scenes to render"),
                text_option("out", "", "HDF5 file to write (through OUT.tmp, renamed at the end)"),
                int_option("image-size", 64, 16, 1024, "px", "Side of the rendered images"),
                int_option("grid", 16, 2, 64, "cells", "Side of the floor grid of positions"),
                int_option("max-objects", 5, 1, 64, "objects", "Most objects in a scene"),
                choice_option("gl", "auto", {"auto", "egl", "osmesa"},
                              "OpenGL backend (auto: EGL, else OSMesa)"),
            }}},
          run_generate_scenes,
          {}};
}

}  // namespace spiral::data
