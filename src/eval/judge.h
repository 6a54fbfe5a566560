// LLM-as-judge scoring: each answer, with the document and a rubric (a Jinja template over the
// record plus `input`, `response` and `target`), goes to a judge model (local:FILE or any model
// the router reaches), whose reply ends with "VERDICT: PASS" or "VERDICT: FAIL".
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "eval/backend.h"
#include "eval/cache.h"
#include "eval/dataset.h"
#include "eval/task.h"

namespace hearth::eval {

extern const char* const kDefaultRubric;

// 1 for PASS, 0 for FAIL or no verdict.
double parse_verdict(const std::string& reply);

class Judge {
 public:
  Judge(std::string default_model, BackendOptions opts, RequestCache& cache)
      : default_(std::move(default_model)), opts_(std::move(opts)), cache_(cache) {}
  // Installs a backend for a judge model name (tests).
  void set_backend(const std::string& model, std::shared_ptr<Backend> b) { backends_[model] = std::move(b); }

  // Scores n answers: io(i) gives (prompt, answer), target(i) the reference.
  std::vector<double> score(const TaskConfig& task, const MetricSpec& m, const std::vector<Doc>& docs, size_t n,
                            const std::function<std::pair<std::string, std::string>(size_t)>& io,
                            const std::function<std::string(size_t)>& target);

 private:
  Backend& backend(const std::string& model);
  std::string default_;
  BackendOptions opts_;
  RequestCache& cache_;
  std::map<std::string, std::shared_ptr<Backend>> backends_;
};

}  // namespace hearth::eval
