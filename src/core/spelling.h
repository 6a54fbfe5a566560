// "Did you mean ...?" for names a user typed: the known name closest in edit distance.
#pragma once
#include <string>
#include <vector>

namespace hearth {

// Optimal-string-alignment distance (insertions, deletions, substitutions, adjacent swaps).
size_t edit_distance(const std::string& a, const std::string& b);

// The candidate nearest to `word` if it is within max(1, size/3) edits (a candidate that `word`
// abbreviates counts as one), else "".
std::string closest_match(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace hearth
