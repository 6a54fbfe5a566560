#include "golden.h"

#include <algorithm>
#include <cmath>
#include <memory>

#include "core/thread_pool.h"
#include "model/kv_cache.h"
#include "sampling/sampler.h"
#include "tokenizer/tokenizer.h"

namespace hearth::test {
namespace {

int tier(tensor::Type t) {
  switch (t) {
    case tensor::Type::F32: return 0;
    case tensor::Type::F16: return 1;
    case tensor::Type::BF16:
    case tensor::Type::Q8_0: return 2;
    default: return 3;
  }
}

// Golden top1 - top2 gap of one "top" list.
float gap(const json& top) { return top[0][1].get<float>() - top[1][1].get<float>(); }

}  // namespace

Tolerance tolerance_for(const model::Model& m) {
  int worst = 0;
  for (const auto& t : m.file().tensors())
    if (t.dims.size() >= 2) worst = std::max(worst, tier(t.type));
  static const Tolerance rows[] = {{0.02f, 0.995, "F32"},
                                   {0.08f, 0.995, "F16"},
                                   {0.2f, 0.98, "BF16/Q8_0"},
                                   {0.35f, 0.98, "Q4/Q5/K-quants"}};
  return rows[worst];
}

GoldenReport compare_golden(const model::Model& m, const json& golden, const Tolerance& tol, bool check_text,
                            int n_threads, model::KvTypes kv) {
  GoldenReport r;
  ThreadPool pool(n_threads);
  std::unique_ptr<tokenizer::Tokenizer> tok;
  try {
    tok = tokenizer::Tokenizer::from_gguf(m.file());
  } catch (const std::exception& e) {
    r.token_mismatch.push_back(std::string("tokenizer failed to load: ") + e.what());
  }
  const int64_t V = m.n_vocab();
  std::vector<float> diffs;
  auto score = [&](const float* logits, const json& top) {
    for (const auto& e : top) diffs.push_back(std::fabs(logits[e[0].get<int>()] - e[1].get<float>()));
    if (gap(top) < 2 * tol.t) return;
    ++r.scored;
    if (sampling::argmax(logits, static_cast<int32_t>(V)) == top[0][0].get<int>()) ++r.agree;
  };

  for (const auto& p : golden["prompts"]) {
    const std::string text = p["text"];
    const std::vector<int32_t> tokens = p["tokens"].get<std::vector<int32_t>>();
    if (tok) {
      std::vector<int32_t> ours;
      try {
        ours = tok->encode(text, true, false);
      } catch (const std::exception& e) {
        r.token_mismatch.push_back(text + ": " + e.what());
      }
      if (ours != tokens) r.token_mismatch.push_back(text);
    }
    model::KvCache cache(m.hparams(), 512, kv);
    std::vector<float> logits;
    m.forward(cache, tokens, true, logits, &pool);
    for (const auto& pt : p["prompt_top"]) score(&logits[pt["pos"].get<int64_t>() * V], pt["top"]);

    // Greedy: compare until the first golden near-tie step (after that the paths may split).
    std::vector<float> last(logits.end() - V, logits.end());
    const auto& gtokens = p["greedy"];
    const auto& gtop = p["greedy_top"];
    std::vector<int32_t> ours_greedy;
    bool cut = false;
    for (size_t k = 0; k < gtokens.size(); ++k) {
      int32_t next = sampling::argmax(last.data(), static_cast<int32_t>(V));
      if (!cut && gap(gtop[k]["top"]) < 2 * tol.t) cut = true;
      if (cut && !check_text) break;  // nothing after the cut is compared
      if (!cut) {
        score(last.data(), gtop[k]["top"]);
        ++r.greedy_checked;
        if (next != gtokens[k].get<int32_t>()) {
          r.greedy_mismatch.push_back(text + ": step " + std::to_string(k) + ": ours " + std::to_string(next) +
                                      " golden " + std::to_string(gtokens[k].get<int32_t>()));
          break;
        }
      }
      ours_greedy.push_back(next);
      if (k + 1 == gtokens.size()) break;
      const int32_t in[1] = {next};
      m.forward(cache, in, false, last, &pool);
    }
    if (check_text && tok) {
      // The golden text is the greedy tokens' pieces joined (a continuation: no prefix-space strip).
      std::string ours_text;
      for (int32_t t : ours_greedy) ours_text += tok->token_to_piece(t);
      if (ours_text != p["greedy_text"].get<std::string>())
        r.text_mismatch.push_back(text + ": ours \"" + ours_text + "\" golden \"" + p["greedy_text"].get<std::string>() + "\"");
    }
  }
  r.n_diffs = diffs.size();
  if (!diffs.empty()) {
    std::nth_element(diffs.begin(), diffs.begin() + diffs.size() / 2, diffs.end());
    r.median_diff = diffs[diffs.size() / 2];
  }
  return r;
}

}  // namespace hearth::test
