#include "spiral/data/preprocess.h"

#include <stdexcept>
#include <string>
#include <vector>

#include "spiral/core/errors.h"

namespace spiral::data {
namespace {

// `value` seen through `alpha` over a white background, rounded.
uint8_t over_white(int value, int alpha) {
  return static_cast<uint8_t>((value * alpha + 255 * (255 - alpha) + 127) / 255);
}

uint8_t luma(int red, int green, int blue) {
  return static_cast<uint8_t>((299 * red + 587 * green + 114 * blue + 500) / 1000);
}

Image with_channels(const Image& image, int channels) {
  Image out;
  out.height = image.height;
  out.width = image.width;
  out.channels = channels;
  out.pixels.resize(static_cast<size_t>(image.height) * image.width * channels);
  return out;
}

}  // namespace

ColorMode parse_color_mode(const std::string& text) {
  if (text == "gray") return ColorMode::kGray;
  if (text == "rgb") return ColorMode::kRgb;
  throw UserError("colour model '" + text + "': expected gray or rgb");
}

Image to_gray(const Image& image) {
  check_image(image, "to_gray");
  if (image.channels == 1) return image;
  Image out = with_channels(image, 1);
  const size_t count = out.pixels.size();
  const uint8_t* in = image.pixels.data();
  for (size_t i = 0; i < count; ++i, in += image.channels) {
    switch (image.channels) {
      case 2:
        out.pixels[i] = over_white(in[0], in[1]);
        break;
      case 3:
        out.pixels[i] = luma(in[0], in[1], in[2]);
        break;
      default:
        out.pixels[i] =
            luma(over_white(in[0], in[3]), over_white(in[1], in[3]), over_white(in[2], in[3]));
        break;
    }
  }
  return out;
}

Image to_rgb(const Image& image) {
  check_image(image, "to_rgb");
  if (image.channels == 3) return image;
  Image out = with_channels(image, 3);
  const size_t count = out.pixels.size() / 3;
  const uint8_t* in = image.pixels.data();
  for (size_t i = 0; i < count; ++i, in += image.channels) {
    uint8_t* rgb = out.pixels.data() + 3 * i;
    switch (image.channels) {
      case 1:
        rgb[0] = rgb[1] = rgb[2] = in[0];
        break;
      case 2:
        rgb[0] = rgb[1] = rgb[2] = over_white(in[0], in[1]);
        break;
      default:
        for (int c = 0; c < 3; ++c) rgb[c] = over_white(in[c], in[3]);
        break;
    }
  }
  return out;
}

Image invert(const Image& image) {
  Image out = image;
  for (uint8_t& value : out.pixels) value = static_cast<uint8_t>(255 - value);
  return out;
}

Image center_crop(const Image& image, int height, int width) {
  check_image(image, "center_crop");
  if (height < 1 || width < 1 || height > image.height || width > image.width) {
    throw std::invalid_argument(
        "center_crop: " + std::to_string(height) + "x" + std::to_string(width) + " window of a " +
        std::to_string(image.height) + "x" + std::to_string(image.width) + " image");
  }
  if (height == image.height && width == image.width) return image;
  Image out = with_channels(image, image.channels);
  out.height = height;
  out.width = width;
  out.pixels.resize(static_cast<size_t>(height) * width * image.channels);
  const int top = (image.height - height) / 2;
  const int left = (image.width - width) / 2;
  const size_t row_bytes = static_cast<size_t>(width) * image.channels;
  for (int y = 0; y < height; ++y) {
    const uint8_t* source =
        image.pixels.data() + (static_cast<size_t>(top + y) * image.width + left) * image.channels;
    std::copy(source, source + row_bytes, out.pixels.data() + y * row_bytes);
  }
  return out;
}

Image to_canvas(const Image& image, Ink ink, const CanvasFormat& format) {
  if (format.size < 1) {
    throw std::invalid_argument("to_canvas: canvas of " + std::to_string(format.size) + " px");
  }
  Image out = format.color == ColorMode::kGray ? to_gray(image) : to_rgb(image);
  if (ink == Ink::kLightOnDark) out = invert(out);
  const int side = std::min(out.height, out.width);
  out = center_crop(out, side, side);
  if (side != format.size) out = resize_area(out, format.size, format.size);
  return out;
}

Image canvas_image(const Dataset& dataset, size_t index, const CanvasFormat& format) {
  return to_canvas(dataset.image(index), dataset.ink(), format);
}

std::vector<float> to_unit_floats(const Image& image) {
  std::vector<float> out(image.pixels.size());
  for (size_t i = 0; i < out.size(); ++i) out[i] = image.pixels[i] / 255.0f;
  return out;
}

}  // namespace spiral::data
