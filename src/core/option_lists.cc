#include "spiral/core/option_lists.h"

#include <algorithm>
#include <cstdlib>
#include <sstream>

#include "spiral/core/errors.h"

namespace spiral {

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> pieces;
  std::istringstream in(text);
  for (std::string piece; std::getline(in, piece, separator);) pieces.push_back(piece);
  return pieces;
}

std::vector<int> parse_int_list(const std::string& option, const std::string& text, int min,
                                int max) {
  std::vector<int> values;
  for (const std::string& item : split(text, ',')) {
    char* end = nullptr;
    const long value = std::strtol(item.c_str(), &end, 10);
    if (item.empty() || *end != '\0' || value < min || value > max) {
      throw UserError("--" + option + ": expected integers in [" + std::to_string(min) + ", " +
                      std::to_string(max) + "] separated by commas, got '" + text + "'");
    }
    values.push_back(static_cast<int>(value));
  }
  if (values.empty()) throw UserError("--" + option + ": expected at least one value");
  return values;
}

std::vector<double> parse_real_list(const std::string& option, const std::string& text,
                                    double above, double below) {
  std::vector<double> values;
  for (const std::string& item : split(text, ',')) {
    char* end = nullptr;
    const double value = std::strtod(item.c_str(), &end);
    if (item.empty() || *end != '\0' || !(value > above && value < below)) {
      std::ostringstream expected;
      expected << "--" << option << ": expected numbers above " << above << " and below " << below
               << " separated by commas, got '" << text << "'";
      throw UserError(expected.str());
    }
    values.push_back(value);
  }
  if (values.empty()) throw UserError("--" + option + ": expected at least one value");
  return values;
}

std::string join(const std::vector<std::string>& words, const std::string& separator) {
  std::string text;
  for (size_t i = 0; i < words.size(); ++i) text += (i == 0 ? "" : separator) + words[i];
  return text;
}

std::vector<std::string> parse_word_list(const std::string& option, const std::string& text,
                                         const std::vector<std::string>& allowed) {
  std::vector<std::string> words = split(text, ',');
  const std::string choices = join(allowed, ", ");
  for (const std::string& word : words) {
    if (std::find(allowed.begin(), allowed.end(), word) == allowed.end()) {
      throw UserError("--" + option + ": expected a comma-separated list of " + choices +
                      ", got '" + text + "'");
    }
  }
  if (words.empty()) throw UserError("--" + option + ": expected at least one of " + choices);
  return words;
}

}  // namespace spiral
