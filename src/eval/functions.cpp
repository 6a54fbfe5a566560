#include "eval/functions.h"

#include <cctype>
#include <cmath>
#include <regex>

#include "core/error.h"

namespace hearth::eval {
namespace {

std::string str(const ordered_json& doc, const char* key) {
  auto it = doc.find(key);
  if (it == doc.end()) fail(Errc::format, std::string("the document has no '") + key + "'");
  if (it->is_string()) return it->get<std::string>();
  return it->dump();
}

// Python's str.replace: every non-overlapping occurrence, left to right, in one pass.
std::string python_replace(const std::string& s, const std::string& from, const std::string& to) {
  std::string out;
  size_t start = 0;
  for (size_t p; (p = s.find(from, start)) != std::string::npos; start = p + from.size()) out.append(s, start, p - start).append(to);
  return out.append(s, start, std::string::npos);
}

// HellaSwag's cleanup of WikiHow artifacts, as its lm-eval task does: trim, " [title]" becomes
// ". ", other bracketed tags are removed, double spaces become single.
std::string hellaswag_preprocess(std::string t) {
  const auto b = t.find_first_not_of(" \t\n\r"), e = t.find_last_not_of(" \t\n\r");
  t = b == std::string::npos ? "" : t.substr(b, e - b + 1);
  t = python_replace(t, " [title]", ". ");
  static const std::regex tag(R"(\[.*?\])");
  t = std::regex_replace(t, tag, "");
  return python_replace(t, "  ", " ");
}

ordered_json hellaswag_docs(const ordered_json& doc) {
  std::string ctx_b = str(doc, "ctx_b");
  if (!ctx_b.empty()) {
    ctx_b[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(ctx_b[0])));
    for (size_t i = 1; i < ctx_b.size(); ++i) ctx_b[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(ctx_b[i])));
  }
  ordered_json out = doc;
  out["query"] = hellaswag_preprocess(str(doc, "activity_label") + ": " + str(doc, "ctx_a") + " " + ctx_b);
  ordered_json choices = ordered_json::array();
  const auto& endings = doc.at("endings");
  if (!endings.is_array()) fail(Errc::format, "the document's 'endings' is not a list");
  for (const auto& e : endings) choices.push_back(hellaswag_preprocess(e.is_string() ? e.get<std::string>() : e.dump()));
  out["choices"] = choices;
  out["gold"] = std::stoi(str(doc, "label"));
  return out;
}

// The TruthfulQA paper's CSV as lm-eval's mc2_targets: the correct answers (label 1), then the
// incorrect ones (label 0), each list split on "; ".
ordered_json truthfulqa_csv_mc2(const ordered_json& doc) {
  auto split = [](const std::string& s) {
    std::vector<std::string> out;
    size_t start = 0;
    for (size_t p; (p = s.find("; ", start)) != std::string::npos; start = p + 2) out.push_back(s.substr(start, p - start));
    if (start < s.size()) out.push_back(s.substr(start));
    return out;
  };
  ordered_json choices = ordered_json::array(), labels = ordered_json::array();
  for (const auto& a : split(str(doc, "Correct Answers"))) {
    choices.push_back(a);
    labels.push_back(1);
  }
  for (const auto& a : split(str(doc, "Incorrect Answers"))) {
    choices.push_back(a);
    labels.push_back(0);
  }
  ordered_json out = doc;
  out["mc2_targets"] = {{"choices", choices}, {"labels", labels}};
  return out;
}

// TruthfulQA MC2 (lm-eval's process_results_mc2): the probability mass of the true answers,
// normalized over all answers; the true ones are those before the first 0 label.
std::map<std::string, double> truthfulqa_mc2(const ordered_json& doc, const std::vector<std::pair<double, bool>>& results) {
  const auto& labels = doc.at("mc2_targets").at("labels");
  size_t split = labels.size();
  for (size_t i = 0; i < labels.size(); ++i)
    if (labels[i].get<int>() == 0) {
      split = i;
      break;
    }
  if (split > results.size()) fail(Errc::format, "mc2_targets has more labels than choices were scored");
  double p_true = 0, p_all = 0;
  for (size_t i = 0; i < results.size(); ++i) {
    const double p = std::exp(results[i].first);
    p_all += p;
    if (i < split) p_true += p;
  }
  return {{"acc", p_all > 0 ? p_true / p_all : 0.0}};
}

}  // namespace

const std::vector<TaskFunction>& task_functions() {
  static const std::vector<TaskFunction> all = {
      {"utils.process_docs", "hellaswag", "HellaSwag: query, choices and gold from ctx_a/ctx_b/endings/label, WikiHow tags cleaned",
       hellaswag_docs, nullptr},
      {"hearth.truthfulqa_csv_mc2", "", "TruthfulQA CSV: mc2_targets (correct answers labelled 1, then incorrect 0)",
       truthfulqa_csv_mc2, nullptr},
      {"utils.process_results_mc2", "truthfulqa", "TruthfulQA MC2: acc = normalized probability of the true answers", nullptr,
       truthfulqa_mc2},
  };
  return all;
}

const TaskFunction* find_task_function(const std::string& key, const std::string& name, const std::string& task) {
  for (const auto& f : task_functions()) {
    if (name != f.name || task.rfind(f.task_prefix, 0) != 0) continue;
    if ((key == "process_docs" && f.docs) || (key == "process_results" && f.results)) return &f;
  }
  return nullptr;
}

std::string task_function_list(const std::string& key) {
  std::string out;
  for (const auto& f : task_functions())
    if ((key == "process_docs" && f.docs) || (key == "process_results" && f.results))
      out += (out.empty() ? "" : "; ") + std::string(f.name) + (*f.task_prefix ? std::string(" for ") + f.task_prefix + "* tasks" : "") +
             ": " + f.what;
  return out;
}

}  // namespace hearth::eval
