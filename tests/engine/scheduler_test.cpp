// The serving scheduler: batched streams must produce exactly what each would alone, reuse
// cached prefixes, stop on stop strings, refuse what does not fit, free slots on cancel, and
// score echoed prompts like a direct forward pass.
#include <gtest/gtest.h>

#include <cmath>
#include <thread>

#include "engine/generate.h"
#include "engine/scheduler.h"
#include "support/shared_data.h"

namespace hearth::engine {
namespace {

LoadedModel stories() { return load_model(test::shared_path("models/stories260K.gguf").string()); }

struct Result {
  std::string text;
  std::vector<TokenProb> probs, echo;
  GenStats stats;
  FinishReason finish = FinishReason::stop;
  std::string error;
  std::vector<float> embedding;
};

Result drain(Job& job) {
  Result r;
  GenEvent e;
  while (job.next(e)) {
    if (e.kind == GenEvent::Kind::text) {
      r.text += e.text;
      auto& dst = e.echo ? r.echo : r.probs;
      dst.insert(dst.end(), e.probs.begin(), e.probs.end());
    } else if (e.kind == GenEvent::Kind::done) {
      r.stats = e.stats;
      r.finish = e.finish;
      r.embedding = e.embedding;
    } else {
      r.error = e.error;
    }
  }
  return r;
}

GenRequest greedy(const LoadedModel& m, const std::string& prompt, int64_t max_tokens) {
  GenRequest r;
  r.prompt = m.tokenizer->encode(prompt, true, false);
  r.max_tokens = max_tokens;
  r.sampling.temperature = 0;
  return r;
}

// What the single-sequence engine writes for the same request.
std::string solo(const LoadedModel& m, const GenRequest& req, model::KvTypes kv = {}) {
  Session s(m.model, m.tokenizer, {.n_ctx = 256, .n_threads = 1, .kv_types = kv});
  sampling::Sampler sampler(req.sampling, static_cast<int32_t>(m.model->n_vocab()));
  tokenizer::StreamDecoder dec(*m.tokenizer);
  dec.push(req.prompt.back());
  std::string out;
  generate(s, sampler, req.prompt, req.max_tokens, [&](int32_t t) {
    out += dec.push(t);
    return true;
  });
  return out + dec.flush();
}

TEST(Scheduler, ConcurrentStreamsMatchSoloRuns) {
  HEARTH_REQUIRE_SHARED();
  auto m = stories();
  Scheduler sched(m, {.parallel = 3, .n_ctx = 3 * 256, .n_threads = 2});
  const std::vector<std::string> prompts = {"Once upon a time", "The little dog", "Lily and Ben went to the park",
                                            "One day"};
  std::vector<std::shared_ptr<Job>> jobs;
  for (const auto& p : prompts) jobs.push_back(sched.submit(greedy(m, p, 40)));  // one waits for a slot
  for (size_t i = 0; i < prompts.size(); ++i) {
    Result r = drain(*jobs[i]);
    EXPECT_TRUE(r.error.empty()) << r.error;
    EXPECT_EQ(r.text, solo(m, greedy(m, prompts[i], 40))) << prompts[i];
    EXPECT_EQ(r.stats.completion_tokens, 40);
    EXPECT_EQ(r.finish, FinishReason::length);
  }
  auto mt = sched.metrics();
  EXPECT_EQ(mt.requests_total, 4);
  EXPECT_EQ(mt.generated_tokens_total, 160);
  EXPECT_EQ(mt.slots_total, 3);
}

TEST(Scheduler, F16CacheStreamsMatchSoloRunsWithTheSameCache) {
  HEARTH_REQUIRE_SHARED();
  auto m = stories();
  const model::KvTypes f16{tensor::Type::F16, tensor::Type::F16};
  Scheduler sched(m, {.parallel = 2, .n_ctx = 2 * 256, .n_threads = 2, .kv_types = f16});
  const std::vector<std::string> prompts = {"Once upon a time", "The little dog"};
  std::vector<std::shared_ptr<Job>> jobs;
  for (const auto& p : prompts) jobs.push_back(sched.submit(greedy(m, p, 30)));
  for (size_t i = 0; i < prompts.size(); ++i) {
    Result r = drain(*jobs[i]);
    EXPECT_TRUE(r.error.empty()) << r.error;
    EXPECT_EQ(r.text, solo(m, greedy(m, prompts[i], 30), f16)) << prompts[i];
  }
}

TEST(Scheduler, NextTurnReusesTheCachedPrefix) {
  HEARTH_REQUIRE_SHARED();
  auto m = stories();
  Scheduler sched(m, {.parallel = 2, .n_ctx = 512, .n_threads = 1});
  GenRequest first = greedy(m, "Once upon a time, there was a girl", 20);
  Result a = drain(*sched.submit(first));
  EXPECT_EQ(a.stats.cached_tokens, 0);
  // A different conversation in between must not evict it (the other slot is free).
  drain(*sched.submit(greedy(m, "Tom had a red ball", 5)));
  GenRequest second = greedy(m, "Once upon a time, there was a girl" + a.text + " She", 5);
  Result b = drain(*sched.submit(second));
  EXPECT_GE(b.stats.cached_tokens, first.prompt.size());
  EXPECT_EQ(b.stats.prompt_tokens, static_cast<int64_t>(second.prompt.size()));
  EXPECT_EQ(b.text, solo(m, second));
  GenRequest fresh = second;
  fresh.use_cache = false;
  EXPECT_EQ(drain(*sched.submit(fresh)).stats.cached_tokens, 0);
}

TEST(Scheduler, StopStringEndsTheReplyWithoutIt) {
  HEARTH_REQUIRE_SHARED();
  auto m = stories();
  Scheduler sched(m, {.parallel = 1, .n_ctx = 256, .n_threads = 1});
  const std::string full = drain(*sched.submit(greedy(m, "Once upon a time", 60))).text;
  ASSERT_GT(full.size(), 20u);
  const std::string stop = full.substr(10, 4);
  GenRequest req = greedy(m, "Once upon a time", 60);
  req.stop = {stop};
  Result r = drain(*sched.submit(req));
  EXPECT_EQ(r.finish, FinishReason::stop);
  EXPECT_EQ(r.text, full.substr(0, full.find(stop)));
}

TEST(Scheduler, RefusesWhatDoesNotFit) {
  HEARTH_REQUIRE_SHARED();
  auto m = stories();
  Scheduler sched(m, {.parallel = 2, .n_ctx = 64, .n_threads = 1, .queue_limit = 0});
  GenRequest big = greedy(m, "Once upon a time", 5);
  big.prompt.resize(40, big.prompt.back());
  try {
    sched.submit(big);
    FAIL() << "a 40-token prompt fit in a 32-token slot";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::out_of_range);
    EXPECT_NE(std::string(e.what()).find("32"), std::string::npos) << e.what();
  }
  GenRequest bad = greedy(m, "x", 5);
  bad.prompt.push_back(123456);
  EXPECT_THROW(sched.submit(bad), Error);
  GenRequest empty;
  EXPECT_THROW(sched.submit(empty), Error);
  GenRequest temp = greedy(m, "x", 5);
  temp.sampling.top_p = -1;
  EXPECT_THROW(sched.submit(temp), Error);
}

TEST(Scheduler, FullQueueIsOverloadedAndCancelFreesTheSlot) {
  HEARTH_REQUIRE_SHARED();
  auto m = stories();
  Scheduler sched(m, {.parallel = 1, .n_ctx = 256, .n_threads = 1, .queue_limit = 1});
  GenRequest endless = greedy(m, "Once upon a time", -1);
  endless.sampling.logit_bias = {{m.tokenizer->eos(), -INFINITY}};
  auto running = sched.submit(endless);
  GenEvent e;
  ASSERT_TRUE(running->next(e));  // it holds the only slot now
  auto waiting = sched.submit(greedy(m, "The cat", 3));
  try {
    sched.submit(greedy(m, "The dog", 3));
    FAIL() << "a third request fit in one slot and a queue of one";
  } catch (const Error& err) {
    EXPECT_EQ(err.code(), Errc::overloaded);
  }
  running->cancel();
  Result r = drain(*running);
  EXPECT_EQ(r.finish, FinishReason::cancelled);
  Result w = drain(*waiting);
  EXPECT_TRUE(w.error.empty());
  EXPECT_EQ(w.stats.completion_tokens, 3);
  EXPECT_EQ(sched.metrics().cancelled_total, 1);
}

TEST(Scheduler, ContextFullEndsTheStream) {
  HEARTH_REQUIRE_SHARED();
  auto m = stories();
  Scheduler sched(m, {.parallel = 1, .n_ctx = 32, .n_threads = 1});
  GenRequest req = greedy(m, "Once upon a time", -1);
  req.sampling.logit_bias = {{m.tokenizer->eos(), -INFINITY}};
  Result r = drain(*sched.submit(req));
  EXPECT_EQ(r.finish, FinishReason::context_full);
  EXPECT_EQ(r.stats.prompt_tokens + r.stats.completion_tokens, 33);  // the last one is sampled, not run
}

TEST(Scheduler, EchoLogprobsMatchADirectForwardPass) {
  HEARTH_REQUIRE_SHARED();
  auto m = stories();
  Scheduler sched(m, {.parallel = 2, .n_ctx = 512, .n_threads = 2, .n_batch = 4});  // chunks of 4
  GenRequest req = greedy(m, "Once upon a time there was a little girl named Lily", 0);
  req.echo = true;
  req.logprobs = true;
  req.top_logprobs = 3;
  Result r = drain(*sched.submit(req));
  ASSERT_EQ(r.echo.size(), req.prompt.size());
  EXPECT_FALSE(r.echo[0].has_logprob);
  EXPECT_EQ(r.stats.completion_tokens, 0);

  model::KvCache cache(m.model->hparams(), 64);
  std::vector<float> logits;
  m.model->forward(cache, req.prompt, true, logits, nullptr);
  const int64_t V = m.model->n_vocab();
  for (size_t t = 1; t < req.prompt.size(); ++t) {
    const float* row = logits.data() + (t - 1) * V;
    double sum = 0;
    for (int64_t i = 0; i < V; ++i) sum += std::exp(static_cast<double>(row[i]));
    const double want = row[req.prompt[t]] - std::log(sum);
    EXPECT_NEAR(r.echo[t].logprob, want, 1e-3) << "token " << t;
    EXPECT_EQ(r.echo[t].id, req.prompt[t]);
    ASSERT_EQ(r.echo[t].top.size(), 3u);
    EXPECT_GE(r.echo[t].top[0].second, r.echo[t].logprob - 1e-6);
  }
}

TEST(Scheduler, GeneratedLogprobsDescribeTheSampledTokens) {
  HEARTH_REQUIRE_SHARED();
  auto m = stories();
  Scheduler sched(m, {.parallel = 1, .n_ctx = 256, .n_threads = 1});
  GenRequest req = greedy(m, "Once upon a time", 8);
  req.logprobs = true;
  req.top_logprobs = 2;
  Result r = drain(*sched.submit(req));
  ASSERT_EQ(r.probs.size(), 8u);
  for (const auto& p : r.probs) {
    ASSERT_EQ(p.top.size(), 2u);
    EXPECT_EQ(p.top[0].first, p.id);  // greedy picks the best
    EXPECT_LE(p.logprob, 0.0f);
  }
}

// Speculative decoding per slot: drafts checked inside the batched step must leave greedy output,
// logprobs, stop strings and limits exactly as plain decoding gives them, with streams running
// together (some drafting, one with a grammar that decodes plainly).
std::vector<Result> run_all(Scheduler& sched, const std::vector<GenRequest>& reqs) {
  std::vector<std::shared_ptr<Job>> jobs;
  for (const auto& r : reqs) jobs.push_back(sched.submit(r));
  std::vector<Result> out;
  for (auto& j : jobs) out.push_back(drain(*j));
  return out;
}

std::vector<GenRequest> speculative_requests(const LoadedModel& m) {
  // Story text repeats itself, so prompt lookup finds drafts; a stop string and a token limit
  // must cut inside an accepted draft as they cut plain output.
  std::vector<GenRequest> reqs = {greedy(m, "Once upon a time, there was a little girl. She liked to play.", 96),
                                  greedy(m, "The little dog", 57), greedy(m, "Lily and Ben went to the park", 80),
                                  greedy(m, "One day", 64)};
  reqs[1].logprobs = true;
  reqs[1].top_logprobs = 2;
  reqs[2].stop = {"park."};
  return reqs;
}

void expect_same(const std::vector<Result>& got, const std::vector<Result>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_TRUE(got[i].error.empty()) << got[i].error;
    EXPECT_EQ(got[i].text, want[i].text) << "request " << i;
    EXPECT_EQ(got[i].finish, want[i].finish) << "request " << i;
    EXPECT_EQ(got[i].stats.completion_tokens, want[i].stats.completion_tokens) << "request " << i;
    ASSERT_EQ(got[i].probs.size(), want[i].probs.size()) << "request " << i;
    for (size_t k = 0; k < got[i].probs.size(); ++k) {
      EXPECT_EQ(got[i].probs[k].id, want[i].probs[k].id);
      EXPECT_NEAR(got[i].probs[k].logprob, want[i].probs[k].logprob, 1e-3);
      ASSERT_EQ(got[i].probs[k].top.size(), 2u);
    }
  }
}

TEST(Scheduler, PromptLookupDraftsLeaveGreedyOutputUnchanged) {
  HEARTH_REQUIRE_SHARED();
  auto m = stories();
  const auto reqs = speculative_requests(m);
  Scheduler plain(m, {.parallel = 3, .n_ctx = 3 * 256, .n_threads = 2});
  const auto want = run_all(plain, reqs);
  Scheduler spec(m, {.parallel = 3, .n_ctx = 3 * 256, .n_threads = 2, .lookup_ngram = 2,
                     .speculative = {.draft_max = 8}});
  const auto got = run_all(spec, reqs);
  expect_same(got, want);
  const auto mt = spec.metrics();
  EXPECT_GT(mt.draft_tokens_total, 0);
  EXPECT_GT(mt.draft_accepted_total, 0);
  EXPECT_LE(mt.draft_accepted_total, mt.draft_tokens_total);
  // Fewer forward passes than tokens: accepted drafts came from shared batches.
  EXPECT_EQ(mt.generated_tokens_total, plain.metrics().generated_tokens_total);
  EXPECT_LT(mt.steps_total, plain.metrics().steps_total);
  int64_t per_request = 0;
  for (const auto& r : got) per_request += r.stats.draft_accepted;
  EXPECT_EQ(per_request, mt.draft_accepted_total);
}

TEST(Scheduler, DraftModelRunsPerSlotAndLeavesGreedyOutputUnchanged) {
  HEARTH_REQUIRE_SHARED();
  auto m = stories();
  auto reqs = speculative_requests(m);
  // A grammar request decodes plainly beside the drafting ones.
  GenRequest g = greedy(m, "Once upon a time", 12);
  g.grammar = sampling::Grammar::parse("root ::= [a-z ]+");
  reqs.push_back(g);
  Scheduler plain(m, {.parallel = 2, .n_ctx = 2 * 256, .n_threads = 2});
  const auto want = run_all(plain, reqs);
  // The model as its own draft: every draft it is sure of is the target's argmax.
  Scheduler spec(m, {.parallel = 2, .n_ctx = 2 * 256, .n_threads = 2,
                     .draft_model = test::shared_path("models/stories260K.gguf").string(),
                     .speculative = {.draft_max = 6, .draft_p_min = 0.5f}});
  const auto got = run_all(spec, reqs);
  expect_same(got, want);
  const auto mt = spec.metrics();
  EXPECT_GT(mt.draft_tokens_total, 0);
  EXPECT_EQ(mt.draft_accepted_total, mt.draft_tokens_total);
  EXPECT_EQ(got.back().stats.draft_tokens, 0);  // the grammar request
}

TEST(Scheduler, SpeculativeOptionsAreChecked) {
  HEARTH_REQUIRE_SHARED();
  auto m = stories();
  EXPECT_THROW(Scheduler(m, {.parallel = 1, .n_ctx = 256, .lookup_ngram = 2,
                             .draft_model = test::shared_path("models/stories260K.gguf").string()}),
               Error);
  EXPECT_THROW(Scheduler(m, {.parallel = 1, .n_ctx = 256, .lookup_ngram = 2, .speculative = {.draft_max = 0}}),
               Error);
  try {
    Scheduler(m, {.parallel = 1, .n_ctx = 256, .draft_model = test::shared_path("models/tiny-qwen2-bpe-Q8_0.gguf").string()});
    ADD_FAILURE() << "a draft with another vocabulary was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("vocabulary"), std::string::npos) << e.what();
  }
}

TEST(Scheduler, EmbeddingsAreUnitLengthAndDeterministic) {
  HEARTH_REQUIRE_SHARED();
  auto m = stories();
  Scheduler sched(m, {.parallel = 1, .n_ctx = 256, .n_threads = 1});
  GenRequest req = greedy(m, "a small red ball", 0);
  req.embedding = true;
  Result a = drain(*sched.submit(req)), b = drain(*sched.submit(req));
  ASSERT_EQ(a.embedding.size(), static_cast<size_t>(m.model->hparams().n_embd));
  double norm = 0;
  for (float v : a.embedding) norm += v * v;
  EXPECT_NEAR(norm, 1.0, 1e-4);
  EXPECT_EQ(a.embedding, b.embedding);
}

}  // namespace
}  // namespace hearth::engine

namespace hearth::engine {
namespace {

// A precomputed prefix (what `hearth pack --system` stores): every slot starts with it, the first
// request reuses it instead of prefilling, and the output is what a plain run writes. It survives
// its byte form, and one that does not fit the slots is skipped, not used.
TEST(Scheduler, PrecomputedPrefixIsReusedByTheFirstRequest) {
  HEARTH_REQUIRE_SHARED();
  const LoadedModel m = stories();
  const auto prefix = m.tokenizer->encode("Once upon a time, there was a little owl who lived in a tall tree.", true, false);
  Session s(m.model, m.tokenizer, {.n_ctx = 64, .n_threads = 1, .kv_types = {tensor::Type::F16, tensor::Type::F16}});
  s.prompt(prefix);
  const std::string bytes = model::KvSnapshot::take(s.cache(), prefix).serialize();
  auto snap = std::make_shared<model::KvSnapshot>(model::KvSnapshot::parse(bytes, "test"));
  ASSERT_EQ(snap->tokens, prefix);

  GenRequest req = greedy(m, "Once upon a time, there was a little owl who lived in a tall tree. One day", 24);
  ASSERT_EQ(std::vector<int32_t>(req.prompt.begin(), req.prompt.begin() + static_cast<long>(prefix.size())), prefix);
  SchedulerOptions plain{.parallel = 2, .n_ctx = 512, .n_threads = 1};
  plain.kv_types = {tensor::Type::F16, tensor::Type::F16};
  SchedulerOptions seeded = plain;
  seeded.prefix = snap;
  Result a, b;
  {
    Scheduler sched(m, plain);
    a = drain(*sched.submit(req));
  }
  {
    Scheduler sched(m, seeded);
    b = drain(*sched.submit(req));
  }
  EXPECT_EQ(a.stats.cached_tokens, 0);
  EXPECT_EQ(b.stats.cached_tokens, static_cast<int64_t>(prefix.size()));
  EXPECT_EQ(b.text, a.text);
  // Other cache types than the snapshot's: skipped (a warning), the request still answered.
  SchedulerOptions other = seeded;
  other.kv_types = {};
  Scheduler sched(m, other);
  const Result c = drain(*sched.submit(req));
  EXPECT_EQ(c.stats.cached_tokens, 0);
  EXPECT_TRUE(c.error.empty()) << c.error;
}

TEST(KvSnapshotFormat, MalformedBytesAreErrorsNamingTheFault) {
  model::KvSnapshot s;
  s.tokens = {1, 2};
  s.n_layer = 1;
  s.k_dim = s.v_dim = 2;
  s.k_row_bytes = s.v_row_bytes = 8;
  s.k.assign(16, '\1');
  s.v.assign(16, '\2');
  const std::string good = s.serialize();
  EXPECT_EQ(model::KvSnapshot::parse(good, "x").serialize(), good);
  auto error = [](std::string bytes) {
    try {
      model::KvSnapshot::parse(bytes, "pack.kv");
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("(parsed)");
  };
  EXPECT_NE(error(good.substr(0, good.size() - 1)).find("pack.kv: has 87 bytes where its header says 88"), std::string::npos);
  EXPECT_NE(error("HKVSNAP2" + good.substr(8)).find("not a hearth KV snapshot"), std::string::npos);
  EXPECT_NE(error("").find("not a hearth KV snapshot"), std::string::npos);
  std::string t = good;
  t[20] = 5;  // key type Q5_0: not a cache type
  EXPECT_NE(error(t).find("unknown cache types"), std::string::npos);
  t = good;
  t[48 + 3] = static_cast<char>(0x80);  // first token id negative
  EXPECT_NE(error(t).find("token 0 has a negative id"), std::string::npos);
  t = good;
  t[28] = 0;  // no tokens
  EXPECT_NE(error(t).find("implausible token count 0"), std::string::npos);
  t = good;
  t[32] = 9;  // a key row wider than 4 bytes an element
  EXPECT_NE(error(t).find("row sizes do not match"), std::string::npos);
}

}  // namespace
}  // namespace hearth::engine
