#include "eval/filters.h"

#include <map>

#include "eval/text_match.h"

namespace hearth::eval {
namespace {

std::string regex_step(const FilterStep& s, const std::string& r) {
  auto m = regex_findall(s.regex_pattern, r);
  if (m.empty()) return s.fallback;
  int n = static_cast<int>(m.size());
  int g = s.group_select < 0 ? n + s.group_select : s.group_select;
  if (g < 0 || g >= n) return s.fallback;
  return strip(m[g]);
}

}  // namespace

std::vector<std::string> apply_filter(const FilterPipeline& p, std::vector<std::string> rs) {
  for (const auto& s : p.steps) {
    if (s.function == "take_first") {
      if (rs.size() > 1) rs.resize(1);
    } else if (s.function == "majority_vote") {
      // Most frequent answer; ties go to the one seen first.
      std::map<std::string, int> count;
      std::string best;
      int best_n = 0;
      for (const auto& r : rs) {
        int c = ++count[r];
        if (c > best_n) best_n = c, best = r;
      }
      if (!rs.empty()) rs = {best};
    } else {
      for (auto& r : rs) {
        if (s.function == "regex") r = regex_step(s, r);
        else if (s.function == "lowercase") r = lower(r);
        else if (s.function == "uppercase") r = upper(r);
        else if (s.function == "strip") r = strip(r);
        else if (s.function == "remove_whitespace") {
          size_t a = 0;
          while (a < r.size() && (r[a] == ' ' || r[a] == '\t' || r[a] == '\n')) ++a;
          r = r.substr(a);
        }
      }
    }
  }
  return rs;
}

}  // namespace hearth::eval
