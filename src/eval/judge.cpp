#include "eval/judge.h"

#include "core/error.h"
#include "eval/render.h"
#include "eval/text_match.h"

namespace hearth::eval {

const char* const kDefaultRubric =
    "You are grading an assistant's answer against a reference.\n\n"
    "Prompt:\n{{ input }}\n\n"
    "Reference (correct answer or expected behaviour):\n{{ target }}\n\n"
    "Assistant's answer:\n{{ response }}\n\n"
    "Does the answer agree with the reference? Explain in one sentence, then end with a line that is "
    "exactly VERDICT: PASS or VERDICT: FAIL.";

double parse_verdict(const std::string& reply) {
  std::string u = upper(reply);
  size_t v = u.rfind("VERDICT:");
  if (v != std::string::npos) {
    std::string rest = strip(u.substr(v + 8));
    if (rest.rfind("PASS", 0) == 0) return 1;
    return 0;
  }
  size_t p = u.rfind("PASS"), f = u.rfind("FAIL");
  if (p != std::string::npos && (f == std::string::npos || p > f)) return 1;
  return 0;
}

Backend& Judge::backend(const std::string& model) {
  auto it = backends_.find(model);
  if (it != backends_.end()) return *it->second;
  std::shared_ptr<Backend> b = make_backend(model, opts_);
  backends_[model] = b;
  return *b;
}

std::vector<double> Judge::score(const TaskConfig& task, const MetricSpec& m, const std::vector<Doc>& docs, size_t n,
                                 const std::function<std::pair<std::string, std::string>(size_t)>& io,
                                 const std::function<std::string(size_t)>& target) {
  std::string model = !m.judge_model.empty() ? m.judge_model : default_;
  if (model.empty())
    fail(Errc::invalid_argument, task.source + ": metric llm_judge needs a judge model (judge_model in the task or --judge MODEL)");
  Backend& b = backend(model);
  const std::string rubric = m.rubric.empty() ? kDefaultRubric : m.rubric;
  std::vector<GenerateRequest> reqs;
  std::vector<std::string> keys;
  std::vector<double> out(n, 0);
  std::vector<size_t> todo_idx;
  std::vector<GenerateRequest> todo;
  for (size_t i = 0; i < n; ++i) {
    auto [input, response] = io(i);
    ordered_json extra = {{"input", input}, {"response", response}, {"target", target(i)}};
    std::string prompt;
    try {
      prompt = DocRenderer::render_with(rubric, docs[i], extra);
    } catch (const Error& e) {
      fail(Errc::format, task.source + ": llm_judge rubric: " + e.what());
    }
    GenerateRequest g;
    g.context = prompt;
    g.kwargs.max_gen_toks = 256;
    g.chat = true;
    std::string key = RequestCache::key("judge:" + b.id(), "generate", {prompt});
    auto hit = cache_.get(key);
    if (hit && hit->is_string()) {
      out[i] = parse_verdict(hit->get<std::string>());
    } else {
      todo_idx.push_back(i);
      keys.push_back(key);
      todo.push_back(std::move(g));
    }
  }
  if (!todo.empty())
    b.generate(todo, [&](size_t k, const std::string& reply) {
      out[todo_idx[k]] = parse_verdict(reply);
      cache_.put(keys[k], reply);
    });
  return out;
}

}  // namespace hearth::eval
