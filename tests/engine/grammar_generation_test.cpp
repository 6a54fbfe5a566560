// Constrained generation on real models: whatever the weights prefer, the output is a complete
// sentence of the grammar (for a JSON schema: JSON that validates), across seeds and models.
#include <gtest/gtest.h>

#include "core/json.h"
#include "engine/generate.h"
#include "engine/loader.h"
#include "engine/session.h"
#include "sampling/grammar_constraint.h"
#include "sampling/json_schema.h"
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

}  // namespace
