// The built-in GSM8K, MMLU and TruthfulQA tasks send the exact prompts lm-evaluation-harness
// builds. The reference digests come from tests/eval/lm_eval_reference.py, which renders the
// prompts from lm-eval's task definitions with jinja2 and Python's random module (the prompts
// themselves would copy the data sets into the repository).
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "eval/python_random.h"
#include "eval/runner.h"
#include "pack/sha256.h"
#include "support/shared_data.h"

using namespace hearth::eval;

namespace {

struct Reference {
  const char* task;
  int doc;
  size_t bytes;
  const char* sha256;
};

// python3 tests/eval/lm_eval_reference.py ../shared
const Reference kReference[] = {
    {"gsm8k", 0, 3189, "32680f263ba83280e98a8a24ceefed10a722a4cdcd9f4d78e93c45d43143ca66"},
    {"gsm8k", 1, 3321, "e6b9a0195411932e5323ed20ad05e965b08b979103bbb26594a5bdf123d27990"},
    {"gsm8k", 2, 3257, "97eb2662b11bbd7bd0423f898efde0e9a04d22028ed5fc1f80576965b0f570fa"},
    {"gsm8k", 3, 2204, "d86f60ba0709d975d0b08e350def68f8108dff3e64f376e672b43c37efa6ab8c"},
    {"mmlu_abstract_algebra", 0, 993, "ff9b00310e214beacf4b324da8c9e6c1de4e49cb422f1bcb1f7037b78f40a2a3"},
    {"mmlu_abstract_algebra", 1, 978, "2885f321f1938150f73629d8cfbbe63944e1aa460d0d37f47683c5c75a41d18f"},
    {"mmlu_abstract_algebra", 2, 1044, "de28bf6b76387fa017c1ffa8e379f87c46439a0b0fc0186798c0f7b4b6a17330"},
    {"mmlu_high_school_european_history", 0, 12715, "4c79b1d384787f351ff849ead8d44f79782043584df2fcfa2790e08e09a41476"},
    {"mmlu_high_school_european_history", 1, 12463, "a5e47cdd44bf60abcef2fcfdbf5d79ba28c8f171576db386dfca334e4f786062"},
    {"truthfulqa_mc1", 0, 629, "fc343982bc558624857332eb1b87bc3fd505f7f86208ee98308d4763d6aec4d8"},
    {"truthfulqa_mc1", 1, 617, "8d7b5b14388bb669b274c5675991d565c361ed429ab5495d12812cc3643b4bfe"},
    {"truthfulqa_mc1", 2, 606, "9e9cc50184d34d448f3e6a889095775f8daa8a6aefedf2f6e4a882b462326fff"},
};

std::string hex_sha256(const std::string& s) { return hearth::pack::to_hex(hearth::pack::sha256_of(s.data(), s.size())); }

// Records every prompt, in the order the runner sends them; answers nothing useful.
class RecordingBackend : public Backend {
 public:
  std::vector<std::string> contexts;
  std::string id() const override { return "recording"; }
  bool supports_loglikelihood() const override { return true; }
  std::vector<LoglikelihoodResult> loglikelihood(const std::vector<LoglikelihoodRequest>& reqs,
                                                 const OnLoglikelihood& done) override {
    std::vector<LoglikelihoodResult> out;
    for (size_t i = 0; i < reqs.size(); ++i) {
      record(reqs[i].context);
      out.push_back({-1.0, false, 1});
      if (done) done(i, out.back());
    }
    return out;
  }
  RollingResult loglikelihood_rolling(const std::string&, const RollingOptions&) override { return {}; }
  std::vector<std::string> generate(const std::vector<GenerateRequest>& reqs, const OnGenerated& done) override {
    std::vector<std::string> out;
    for (size_t i = 0; i < reqs.size(); ++i) {
      record(reqs[i].context);
      out.push_back("#### 0");
      if (done) done(i, out.back());
    }
    return out;
  }

 private:
  void record(const std::string& c) {
    if (contexts.empty() || contexts.back() != c) contexts.push_back(c);  // choices share a context
  }
};

std::vector<std::string> prompts_of(const std::string& task, int64_t docs) {
  RunOptions o;
  o.tasks = {task};
  o.model = "recording";
  o.limit = docs;
  o.write_output = false;
  o.progress = false;
  o.use_cache = false;
  o.bootstrap_iters = 10;
  o.env.eval_data = hearth::test::shared_path("eval-data");
  RecordingBackend b;
  run_eval(o, &b);
  return b.contexts;
}

}  // namespace

TEST(EvalLmEvalPrompts, BuiltinTasksSendLmEvalsExactPrompts) {
  HEARTH_REQUIRE_SHARED();
  std::map<std::string, std::vector<const Reference*>> by_task;
  for (const auto& r : kReference) by_task[r.task].push_back(&r);
  for (const auto& [task, refs] : by_task) {
    auto prompts = prompts_of(task, static_cast<int64_t>(refs.size()));
    ASSERT_EQ(prompts.size(), refs.size()) << task;
    for (size_t i = 0; i < refs.size(); ++i) {
      const Reference& r = *refs[i];
      EXPECT_EQ(prompts[i].size(), r.bytes) << task << " document " << r.doc << ":\n" << prompts[i];
      EXPECT_EQ(hex_sha256(prompts[i]), r.sha256) << task << " document " << r.doc << ":\n" << prompts[i];
    }
  }
}

// The few-shot examples of lm-eval's default sampler come from Python's random.Random(1234); these
// are Python 3's own outputs (random.Random(s).getrandbits / sample(range(n), k)).
TEST(EvalLmEvalPrompts, PythonRandomMatchesCPython) {
  PythonRandom r(1234);
  EXPECT_EQ(r.next_u32(), 4150886329u);
  EXPECT_EQ(r.next_u32(), 3342196574u);
  EXPECT_EQ(r.next_u32(), 1892932127u);
  PythonRandom s(1234);
  const std::vector<std::vector<size_t>> gsm8k = {
      {6374, 3610, 957, 61, 742}, {7462, 6610, 4769, 286, 5501}, {5677, 687, 806, 6279, 2905}};
  for (const auto& want : gsm8k) EXPECT_EQ(s.sample(7473, 5), want);
  PythonRandom t(42);  // small populations take CPython's other (pool) branch
  EXPECT_EQ(t.sample(10, 4), (std::vector<size_t>{1, 0, 4, 9}));
  EXPECT_EQ(t.sample(10, 7), (std::vector<size_t>{3, 2, 1, 5, 6, 4, 0}));
  EXPECT_EQ(t.getrandbits(40), 466392613993ull);
  EXPECT_EQ(t.getrandbits(64), 549661728470919411ull);
  PythonRandom u((1ull << 40) + 5);  // a seed of two 32-bit words
  EXPECT_EQ(u.next_u32(), 2166296868u);
}
