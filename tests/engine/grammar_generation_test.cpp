// Constrained generation on real models: whatever the weights prefer, the output is a complete
// sentence of the grammar (for a JSON schema: JSON that validates), across seeds and models.
#include <gtest/gtest.h>

#include "core/json.h"
#include "engine/generate.h"
#include "engine/loader.h"
#include "engine/session.h"
#include "sampling/grammar_constraint.h"
#include "sampling/json_schema.h"
#include "sampling/sampler.h"
#include "support/shared_data.h"

namespace {

using namespace hearth;

size_t utf8_chars(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

std::string generate_with(const engine::LoadedModel& lm, std::shared_ptr<const sampling::Grammar> g, uint64_t seed,
                          float temp, int64_t n, engine::StopReason* stop) {
  engine::SessionOptions so;
  so.n_ctx = 512;
  engine::Session session(lm.model, lm.tokenizer, so);
  sampling::Params p;
  p.seed = seed;
  p.temperature = temp;
  sampling::Sampler sampler(p, static_cast<int32_t>(lm.model->n_vocab()));
  sampler.set_constraint(std::make_unique<sampling::GrammarConstraint>(g, lm.token_bytes));
  auto prompt = lm.tokenizer->encode("Once upon a time", true, false);
  auto r = engine::generate(session, sampler, prompt, n, nullptr);
  *stop = r.stop;
  return lm.tokenizer->decode(r.tokens);
}

TEST(GrammarGeneration, SchemaOutputAlwaysParsesAndValidates) {
  HEARTH_REQUIRE_SHARED();
  const auto schema = ordered_json::parse(R"({"type":"object","properties":{
      "name":{"type":"string","maxLength":8},"age":{"type":"integer","minimum":0,"maximum":120},
      "tags":{"type":"array","items":{"enum":["a","b"]},"maxItems":2}},"required":["name","age"]})");
  auto g = sampling::Grammar::parse(sampling::json_schema_to_gbnf(schema));
  for (const char* model : {"stories260K.gguf", "tiny-llama-Q8_0.gguf", "tiny-qwen2-bpe-Q8_0.gguf"}) {
    auto lm = engine::load_model(test::shared_path(std::string("models/") + model).string());
    int complete = 0;
    for (uint64_t seed : {1, 2, 3}) {
      engine::StopReason stop{};
      const std::string out = generate_with(lm, g, seed, 1.0f, 400, &stop);
      SCOPED_TRACE(std::string(model) + " seed " + std::to_string(seed) + ": " +
                   json(out).dump(-1, ' ', true, json::error_handler_t::replace));
      if (stop == engine::StopReason::length) continue;  // cut short: a prefix, nothing to validate
      ASSERT_EQ(stop, engine::StopReason::eog);
      ++complete;
      json j = json::parse(out);  // throws if not JSON
      ASSERT_TRUE(j.is_object());
      ASSERT_TRUE(j.contains("name") && j["name"].is_string());
      EXPECT_LE(utf8_chars(j["name"].get<std::string>()), 8u);  // maxLength counts characters
      ASSERT_TRUE(j.contains("age") && j["age"].is_number_integer());
      EXPECT_GE(j["age"].get<int>(), 0);
      EXPECT_LE(j["age"].get<int>(), 120);
    }
    EXPECT_GT(complete, 0) << model << ": no run finished within 400 tokens";
  }
}

TEST(GrammarGeneration, GreedyGbnfOutputIsASentence) {
  HEARTH_REQUIRE_SHARED();
  auto lm = engine::load_model(test::shared_path("models/stories260K.gguf").string());
  auto g = sampling::Grammar::parse("root ::= (\"yes\" | \"no\") \", because \" [a-z ]{1,40} \".\"");
  engine::StopReason stop{};
  const std::string out = generate_with(lm, g, 0, 0.0f, 100, &stop);
  EXPECT_EQ(stop, engine::StopReason::eog) << out;
  sampling::GrammarMatcher m(g);
  EXPECT_TRUE(m.accept(out) && m.complete()) << out;
}

// The vocabulary mask (a walk over the sorted pieces that stores each parse state once and
// remembers its byte transitions) agrees with checking every token alone, on a real 152k-token
// vocabulary with multi-byte pieces, at points where almost everything fits (inside a string,
// inside a half-written character) and where almost nothing does.
TEST(GrammarGeneration, MaskOnARealVocabularyAgreesWithCheckingEachToken) {
  HEARTH_REQUIRE_SHARED();
  auto lm = engine::load_model(test::shared_path("models/tiny-qwen2-bpe-Q8_0.gguf").string());
  const auto schema = ordered_json::parse(
      R"({"type":"object","properties":{"city":{"type":"string"},"n":{"type":"integer"}},"required":["city","n"]})");
  auto g = sampling::Grammar::parse(sampling::json_schema_to_gbnf(schema));
  for (const std::string prefix : {"", "{\"city\": \"Par", "{\"city\": \"Z\u00fcr", "{\"city\": \"x\", \"n\": 1", "{\"city\": \"\xE4\xB8"}) {
    SCOPED_TRACE(prefix);
    sampling::GrammarConstraint gc(g, lm.token_bytes);
    for (int32_t t : lm.tokenizer->encode(prefix, false, false)) gc.accept(t);
    std::vector<sampling::Candidate> c(lm.token_bytes->size());
    for (size_t i = 0; i < c.size(); ++i) c[i] = {static_cast<int32_t>(i), 0.0f, 0.0f};
    gc.mask(c);
    size_t allowed = 0, wrong = 0;
    for (const auto& x : c) {
      const bool in_mask = x.logit == 0.0f;
      allowed += in_mask;
      if (in_mask != gc.allows(x.id) && ++wrong <= 5) ADD_FAILURE() << "token " << x.id << " mask " << in_mask;
    }
    EXPECT_EQ(wrong, 0u);
    EXPECT_GT(allowed, 0u);
  }
}

}  // namespace
