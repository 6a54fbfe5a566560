#define PCRE2_CODE_UNIT_WIDTH 8
#include "eval/text_match.h"

#include <pcre2.h>

#include <cctype>
#include <map>
#include <memory>
#include <mutex>

#include "core/error.h"

namespace hearth::eval {
namespace {

struct CodeDeleter {
  void operator()(pcre2_code* c) const { pcre2_code_free(c); }
};
using Code = std::shared_ptr<pcre2_code>;

// Patterns are compiled once and shared (tasks apply the same few patterns to every answer).
Code compile(const std::string& pattern) {
  static std::mutex mu;
  static std::map<std::string, Code> cache;
  std::lock_guard lk(mu);
  auto it = cache.find(pattern);
  if (it != cache.end()) return it->second;
  int err = 0;
  PCRE2_SIZE off = 0;
  pcre2_code* c = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(), PCRE2_UTF, &err, &off, nullptr);
  if (!c) {
    PCRE2_UCHAR buf[256];
    pcre2_get_error_message(err, buf, sizeof buf);
    fail(Errc::format, "bad regular expression '" + pattern + "' at offset " + std::to_string(off) + ": " +
                           reinterpret_cast<const char*>(buf));
  }
  Code code(c, CodeDeleter{});
  cache.emplace(pattern, code);
  return code;
}

struct Match {
  size_t start, end;
  std::vector<std::pair<size_t, size_t>> groups;  // npos when unset
};

std::vector<Match> all_matches(const std::string& pattern, const std::string& text, size_t max = SIZE_MAX) {
  Code code = compile(pattern);
  std::unique_ptr<pcre2_match_data, void (*)(pcre2_match_data*)> md(pcre2_match_data_create_from_pattern(code.get(), nullptr),
                                                                     pcre2_match_data_free);
  std::vector<Match> out;
  size_t pos = 0;
  while (pos <= text.size() && out.size() < max) {
    int rc = pcre2_match(code.get(), reinterpret_cast<PCRE2_SPTR>(text.data()), text.size(), pos, 0, md.get(), nullptr);
    if (rc < 0) break;
    PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md.get());
    Match m{ov[0], ov[1], {}};
    for (int g = 1; g < rc; ++g) m.groups.emplace_back(ov[2 * g], ov[2 * g + 1]);
    uint32_t n_groups = 0;
    pcre2_pattern_info(code.get(), PCRE2_INFO_CAPTURECOUNT, &n_groups);
    while (m.groups.size() < n_groups) m.groups.emplace_back(PCRE2_UNSET, PCRE2_UNSET);
    out.push_back(m);
    pos = ov[1] > ov[0] ? ov[1] : ov[1] + 1;  // step past empty matches
  }
  return out;
}

}  // namespace

std::vector<std::string> regex_findall(const std::string& pattern, const std::string& text) {
  std::vector<std::string> out;
  for (const auto& m : all_matches(pattern, text)) {
    if (m.groups.empty()) {
      out.push_back(text.substr(m.start, m.end - m.start));
      continue;
    }
    std::string v;
    for (const auto& [a, b] : m.groups)
      if (a != PCRE2_UNSET && b > a) {
        v = text.substr(a, b - a);
        break;
      }
    out.push_back(v);
  }
  return out;
}

bool regex_search(const std::string& pattern, const std::string& text) { return !all_matches(pattern, text, 1).empty(); }

std::string regex_remove(const std::string& pattern, const std::string& text) {
  std::string out;
  size_t pos = 0;
  for (const auto& m : all_matches(pattern, text)) {
    out.append(text, pos, m.start - pos);
    pos = m.end;
  }
  out.append(text, pos, std::string::npos);
  return out;
}

std::string strip(const std::string& s) {
  size_t a = 0, b = s.size();
  while (a < b && std::isspace(static_cast<unsigned char>(s[a]))) ++a;
  while (b > a && std::isspace(static_cast<unsigned char>(s[b - 1]))) --b;
  return s.substr(a, b - a);
}

std::string lower(const std::string& s) {
  std::string o = s;
  for (auto& c : o) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return o;
}

std::string upper(const std::string& s) {
  std::string o = s;
  for (auto& c : o) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return o;
}

std::string remove_punctuation(const std::string& s) {
  std::string o;
  for (char c : s)
    if (!std::ispunct(static_cast<unsigned char>(c))) o += c;
  return o;
}

}  // namespace hearth::eval
