// shared/grammar/cases.json: GBNF grammars and JSON schemas with texts, each verdict decided by
// llama.cpp (accept, reject, invalid-grammar). Every case must agree.
#include <gtest/gtest.h>

#include "core/error.h"
#include "core/json.h"
#include "sampling/grammar.h"
#include "sampling/json_schema.h"
#include "support/shared_data.h"

namespace {

using hearth::ordered_json;
using namespace hearth::sampling;

// "accept", "reject" or "invalid-grammar" for one case, as hearth decides it.
std::string verdict(const ordered_json& c, const std::filesystem::path& dir) {
  std::shared_ptr<const Grammar> g;
  try {
    std::string gbnf;
    if (!c["grammar"].is_null()) {
      gbnf = hearth::test::read_file(dir / c["grammar"].get<std::string>());
    } else {
      gbnf = json_schema_to_gbnf(ordered_json::parse(hearth::test::read_file(dir / c["schema"].get<std::string>())));
    }
    g = Grammar::parse(gbnf);
  } catch (const hearth::Error& e) {
    return "invalid-grammar";
  }
  GrammarMatcher m(g);
  return m.accept(c["text"].get<std::string>()) && m.complete() ? "accept" : "reject";
}

TEST(GrammarConformance, EveryCaseMatchesLlamaCppsVerdict) {
  HEARTH_REQUIRE_SHARED();
  const auto dir = hearth::test::shared_path("grammar");
  const auto doc = ordered_json::parse(hearth::test::read_file(dir / "cases.json"));
  ASSERT_EQ(doc["format"], "hearth-grammar-cases-v1");
  size_t n = 0;
  for (const auto& c : doc["cases"]) {
    EXPECT_EQ(verdict(c, dir), c["expect"].get<std::string>())
        << c["id"].get<std::string>() << " text: " << c["text"].dump();
    ++n;
  }
  EXPECT_GT(n, 400u);
}

}  // namespace
