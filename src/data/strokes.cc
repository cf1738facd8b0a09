// Omniglot stroke files and keys, parsed from memory (no files), so fuzzers can drive them.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "spiral/core/errors.h"
#include "spiral/data/omniglot.h"

namespace spiral::data {
namespace {

// A line of input, made printable and short enough for a one-line message.
std::string quoted(const char* begin, const char* end) {
  std::string text;
  for (const char* c = begin; c != end && text.size() < 40; ++c) {
    const unsigned char u = static_cast<unsigned char>(*c);
    text += (u >= 0x20 && u < 0x7f) ? *c : '?';
  }
  if (end - begin > 40) text += "...";
  return "'" + text + "'";
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r'; }

// Parses a finite number filling [begin, end) exactly.
bool parse_number(const char* begin, const char* end, double* value) {
  while (begin != end && is_space(*begin)) ++begin;
  while (end != begin && is_space(end[-1])) --end;
  if (begin == end) return false;
  if (*begin == '+') ++begin;  // from_chars takes no leading '+'
  const std::from_chars_result result = std::from_chars(begin, end, *value);
  return result.ec == std::errc() && result.ptr == end && std::isfinite(*value);
}

}  // namespace

Drawing parse_strokes(const char* text, size_t size, const std::string& name) {
  Drawing drawing;
  Stroke stroke;
  bool started = false;
  size_t points = 0;
  const char* const stop = text + size;
  const char* line = text;
  for (size_t number = 1; line < stop; ++number) {
    const char* end = line;
    while (end != stop && *end != '\n') ++end;
    const char* next = end == stop ? stop : end + 1;
    const char* begin = line;
    while (begin != end && is_space(*begin)) ++begin;
    while (end != begin && is_space(end[-1])) --end;
    const std::string where = name + ":" + std::to_string(number) + ": ";
    line = next;
    if (begin == end) continue;
    const std::string_view word(begin, static_cast<size_t>(end - begin));
    if (word == "START") {
      if (started) throw UserError(where + "second START (expected one per file)");
      started = true;
      continue;
    }
    if (!started) {
      throw UserError(where + "expected START before " + quoted(begin, end));
    }
    if (word == "BREAK") {
      if (!stroke.empty()) drawing.push_back(std::move(stroke));
      stroke.clear();
      continue;
    }
    const char* first_comma = std::find(begin, end, ',');
    const char* second_comma = first_comma == end ? end : std::find(first_comma + 1, end, ',');
    StrokePoint point;
    if (second_comma == end || !parse_number(begin, first_comma, &point.x) ||
        !parse_number(first_comma + 1, second_comma, &point.y) ||
        !parse_number(second_comma + 1, end, &point.t)) {
      throw UserError(where + "expected 'x,y,t', START or BREAK, got " + quoted(begin, end));
    }
    point.y = -point.y;  // the files' y grows upwards
    stroke.push_back(point);
    ++points;
  }
  if (!stroke.empty()) drawing.push_back(std::move(stroke));
  if (!started) throw UserError(name + ": empty stroke file (expected START, then x,y,t lines)");
  if (points == 0) throw UserError(name + ": no pen samples (expected x,y,t lines after START)");
  return drawing;
}

std::string omniglot_key(const std::string& relative_path) {
  const size_t slash3 = relative_path.rfind('/');
  if (slash3 == std::string::npos || slash3 == 0) return "";
  const size_t slash2 = relative_path.rfind('/', slash3 - 1);
  if (slash2 == std::string::npos || slash2 == 0) return "";
  const size_t slash1 = relative_path.rfind('/', slash2 - 1);
  const size_t begin = slash1 == std::string::npos ? 0 : slash1 + 1;
  std::string key = relative_path.substr(begin);
  const size_t dot = key.rfind('.');
  if (dot != std::string::npos && dot > key.rfind('/')) key.resize(dot);
  if (key.find("//") != std::string::npos || key.front() == '/' || key.back() == '/') return "";
  return key;
}

}  // namespace spiral::data
