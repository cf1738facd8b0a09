// SVG export of a painter program: one quadratic Bezier path per paint command.
#include <cmath>
#include <cstdio>
#include <string>

#include "spiral/render/painter.h"

namespace spiral::render {
namespace {

// `value` with at most 3 decimals and no trailing zeros ("2", "6.4", "0.125").
std::string number(double value) {
  char text[64];
  std::snprintf(text, sizeof(text), "%.3f", value);
  std::string s = text;
  s.erase(s.find_last_not_of('0') + 1);
  if (s.back() == '.') s.pop_back();
  return s == "-0" ? "0" : s;
}

std::string hex_colour(double red, double green, double blue) {
  char text[8];
  std::snprintf(text, sizeof(text), "#%02x%02x%02x", static_cast<int>(std::lround(red * 255)),
                static_cast<int>(std::lround(green * 255)),
                static_cast<int>(std::lround(blue * 255)));
  return text;
}

}  // namespace

std::string painter_svg(const PainterSettings& settings, const std::vector<Command>& commands) {
  check_painter_settings(settings);
  const ActionSpec spec = painter_action_spec(settings);
  const std::string side = number(settings.canvas);
  std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + side + "\" height=\"" +
                    side + "\" viewBox=\"0 0 " + side + " " + side + "\">\n";
  svg +=
      "<rect x=\"0\" y=\"0\" width=\"" + side + "\" height=\"" + side + "\" fill=\"#ffffff\"/>\n";
  double pen_x = 0, pen_y = 0;
  for (const Command& command : commands) {
    spec.check(command);
    const PainterAction a = decode_painter_command(settings, command);
    if (a.paint) {
      svg += "<path d=\"M " + number(pen_x) + " " + number(pen_y) + " Q " + number(a.control_x) +
             " " + number(a.control_y) + " " + number(a.end_x) + " " + number(a.end_y) +
             "\" fill=\"none\" stroke=\"" + hex_colour(a.red, a.green, a.blue) +
             "\" stroke-opacity=\"" + number(a.pressure) + "\" stroke-width=\"" +
             number(2 * a.radius) + "\" stroke-linecap=\"round\" stroke-linejoin=\"round\"/>\n";
    }
    pen_x = a.end_x;
    pen_y = a.end_y;
  }
  svg += "</svg>\n";
  return svg;
}

}  // namespace spiral::render
