#include "spiral/core/image.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace spiral {
namespace {

// How much of each input cell [i, i+1) lies under output cell j, for a 1-D resize.
struct Coverage {
  int first = 0;                // first input index under the output cell
  std::vector<double> weights;  // weights of inputs first, first + 1, ... (sum: scale)
};

std::vector<Coverage> coverage_1d(int input, int output) {
  const double scale = static_cast<double>(input) / output;
  std::vector<Coverage> cells(output);
  for (int j = 0; j < output; ++j) {
    const double begin = j * scale, end = (j + 1) * scale;
    Coverage& cell = cells[j];
    cell.first = static_cast<int>(std::floor(begin));
    for (int i = cell.first; i < input && i < end; ++i) {
      cell.weights.push_back(std::min<double>(end, i + 1) - std::max<double>(begin, i));
    }
  }
  return cells;
}

}  // namespace

void check_image(const Image& image, const std::string& what) {
  if (image.channels < 1 || image.channels > 4 || image.height <= 0 || image.width <= 0 ||
      image.pixels.size() != static_cast<size_t>(image.height) * image.width * image.channels) {
    throw std::invalid_argument(what + ": image of " + std::to_string(image.height) + "x" +
                                std::to_string(image.width) + "x" + std::to_string(image.channels) +
                                " with " + std::to_string(image.pixels.size()) +
                                " bytes of pixels");
  }
}

Image tile_grid(const std::vector<Image>& images, int columns, uint8_t separator) {
  if (images.empty()) throw std::invalid_argument("tile_grid: no images");
  if (columns < 1) {
    throw std::invalid_argument("tile_grid: " + std::to_string(columns) + " columns");
  }
  const Image& first = images.front();
  check_image(first, "tile_grid");
  for (size_t i = 1; i < images.size(); ++i) {
    const Image& image = images[i];
    check_image(image, "tile_grid");
    if (image.height != first.height || image.width != first.width ||
        image.channels != first.channels) {
      throw std::invalid_argument("tile_grid: image " + std::to_string(i) + " is " +
                                  std::to_string(image.height) + "x" + std::to_string(image.width) +
                                  "x" + std::to_string(image.channels) + ", image 0 is " +
                                  std::to_string(first.height) + "x" + std::to_string(first.width) +
                                  "x" + std::to_string(first.channels));
    }
  }
  const int count = static_cast<int>(images.size());
  const int grid_columns = std::min(columns, count);
  const int grid_rows = (count + grid_columns - 1) / grid_columns;
  Image grid;
  grid.channels = first.channels;
  grid.height = grid_rows * first.height + grid_rows - 1;
  grid.width = grid_columns * first.width + grid_columns - 1;
  grid.pixels.assign(static_cast<size_t>(grid.height) * grid.width * grid.channels, separator);
  const size_t tile_row_bytes = static_cast<size_t>(first.width) * first.channels;
  for (int i = 0; i < count; ++i) {
    const int top = (i / grid_columns) * (first.height + 1);
    const int left = (i % grid_columns) * (first.width + 1);
    for (int y = 0; y < first.height; ++y) {
      const uint8_t* source = images[i].pixels.data() + y * tile_row_bytes;
      uint8_t* target =
          grid.pixels.data() + (static_cast<size_t>(top + y) * grid.width + left) * grid.channels;
      std::copy(source, source + tile_row_bytes, target);
    }
  }
  return grid;
}

Image image_from_unit_floats(const std::vector<float>& values, int height, int width,
                             int channels) {
  Image image;
  image.height = height;
  image.width = width;
  image.channels = channels;
  image.pixels.resize(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    image.pixels[i] = static_cast<uint8_t>(std::lround(std::clamp(values[i], 0.0f, 1.0f) * 255));
  }
  check_image(image, "image_from_unit_floats");
  return image;
}

Image resize_area(const Image& image, int height, int width) {
  check_image(image, "resize_area");
  if (height < 1 || width < 1) {
    throw std::invalid_argument("resize_area: target size " + std::to_string(height) + "x" +
                                std::to_string(width));
  }
  const std::vector<Coverage> rows = coverage_1d(image.height, height);
  const std::vector<Coverage> columns = coverage_1d(image.width, width);
  const double area = static_cast<double>(image.height) / height * image.width / width;
  Image out{height, width, image.channels, {}};
  out.pixels.resize(static_cast<size_t>(height) * width * image.channels);
  std::vector<double> sum(image.channels);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      std::fill(sum.begin(), sum.end(), 0.0);
      for (size_t dy = 0; dy < rows[y].weights.size(); ++dy) {
        for (size_t dx = 0; dx < columns[x].weights.size(); ++dx) {
          const double weight = rows[y].weights[dy] * columns[x].weights[dx];
          const int sy = rows[y].first + static_cast<int>(dy);
          const int sx = columns[x].first + static_cast<int>(dx);
          for (int c = 0; c < image.channels; ++c) sum[c] += weight * image.at(sy, sx, c);
        }
      }
      for (int c = 0; c < image.channels; ++c) {
        out.pixels[(static_cast<size_t>(y) * width + x) * image.channels + c] =
            static_cast<uint8_t>(std::clamp(std::lround(sum[c] / area), 0L, 255L));
      }
    }
  }
  return out;
}

}  // namespace spiral
