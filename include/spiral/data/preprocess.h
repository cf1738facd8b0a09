// Preprocessing to the painter's canvas: colour model, polarity, centre crop, area resize.
#pragma once

#include <string>
#include <vector>

#include "spiral/core/image.h"
#include "spiral/data/dataset.h"

namespace spiral::data {

// Colour model of a canvas.
enum class ColorMode { kGray, kRgb };

// Parses "gray" or "rgb" (UserError otherwise).
ColorMode parse_color_mode(const std::string& text);

// The size and colour model images are brought to before an agent sees them.
struct CanvasFormat {
  int size = 64;  // canvas side in pixels
  ColorMode color = ColorMode::kGray;
};

// One gray channel: ITU-R BT.601 luma of RGB, alpha composited over white.
Image to_gray(const Image& image);

// Three RGB channels: gray replicated, alpha composited over white.
Image to_rgb(const Image& image);

// 255 - value for every channel.
Image invert(const Image& image);

// The centred `height` x `width` window (invalid_argument if larger than the image); an odd
// margin leaves its extra pixel at the bottom and right.
Image center_crop(const Image& image, int height, int width);

// The image brought to the canvas: converted to the canvas's colour model, inverted when the
// set's ink is light on dark (so every set shows dark ink on white, as the painter draws),
// cropped to its centred square and shrunk (or grown) to size x size with an area filter.
Image to_canvas(const Image& image, Ink ink, const CanvasFormat& format);

// Image `index` of `dataset` brought to the canvas (to_canvas with the set's ink).
Image canvas_image(const Dataset& dataset, size_t index, const CanvasFormat& format);

// The pixels as floats in [0, 1] (value / 255), in the same H x W x C order.
std::vector<float> to_unit_floats(const Image& image);

}  // namespace spiral::data
