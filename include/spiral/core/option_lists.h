// Options that take comma-separated lists ("1,8,32"), checked with one-line errors.
#pragma once

#include <string>
#include <vector>

namespace spiral {

// The integers of a comma-separated list ("1,8,32"), each in [min, max]; UserError naming
// `option` otherwise.
std::vector<int> parse_int_list(const std::string& option, const std::string& text, int min,
                                int max);

// The numbers of a comma-separated list ("1,6.5"), each above `above` and below `below`;
// UserError naming `option` otherwise.
std::vector<double> parse_real_list(const std::string& option, const std::string& text,
                                    double above, double below);

// `words` with `separator` between them (split's inverse).
std::string join(const std::vector<std::string>& words, const std::string& separator);

// The pieces of `text` between `separator`s (join's inverse where the last word is not empty;
// none for an empty text).
std::vector<std::string> split(const std::string& text, char separator);

// The words of a comma-separated list, each one of `allowed`; UserError naming `option` otherwise.
std::vector<std::string> parse_word_list(const std::string& option, const std::string& text,
                                         const std::vector<std::string>& allowed);

}  // namespace spiral
