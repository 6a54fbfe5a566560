// Text post-processing shared by filters and metrics: PCRE2 regular expressions (Python-style
// patterns as the harness writes them) and answer normalisation.
#pragma once
#include <string>
#include <vector>

namespace hearth::eval {

// Every match of `pattern` in `text`: the first non-empty capture group when the pattern has
// groups (as Python's re.findall), else the whole match. Error(format) on a bad pattern.
std::vector<std::string> regex_findall(const std::string& pattern, const std::string& text);
// True when `pattern` matches somewhere in `text`.
bool regex_search(const std::string& pattern, const std::string& text);
// Removes every match of `pattern`.
std::string regex_remove(const std::string& pattern, const std::string& text);

std::string strip(const std::string& s);
std::string lower(const std::string& s);
std::string upper(const std::string& s);
std::string remove_punctuation(const std::string& s);  // ASCII punctuation, as string.punctuation

}  // namespace hearth::eval
