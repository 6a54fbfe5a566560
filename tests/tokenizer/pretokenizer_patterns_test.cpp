// The pre-tokenizers added from published split patterns (Mistral's tekken, OpenAI's o200k for
// gpt-4o and llama4, DeepSeek V3's three-step split) split text as an independent implementation of
// the same patterns does: the expected pieces below were produced by Python's `regex` module,
// applying each pattern in turn to the pieces of the previous one, as llama.cpp does.
#include <gtest/gtest.h>

#include "core/error.h"
#include "core/json.h"
#include "tokenizer/pretokenize.h"
#include "tokenizer/unicode.h"

namespace {

const char* const kExpected = R"JSON({"tekken": [["Hello WORLD, it's McDonald's HTTPServer 12345 times!", ["Hello", " WORLD", ",", " it", "'s", " Mc", "Donald", "'s", " HTTPServer", " ", "1", "2", "3", "4", "5", " times", "!"]], ["  leading\n\n\ttabs   and trailing   ", [" ", " leading", "\n\n", "\ttabs", "  ", " and", " trailing", "   "]], ["I'M SHOUTING'LL You've", ["I", "'M", " SHOUTING", "'LL", " You", "'ve"]], ["a/b//c\n/path", ["a", "/b", "//", "c", "\n", "/path"]], ["数字 12 東京タワー ひらがな αβγ Ωmega", ["数字", " ", "1", "2", " 東京タワー", " ひらがな", " αβγ", " Ωmega"]], ["x=1;y+=22; //comment\r\n", ["x", "=", "1", ";y", "+=", "2", "2", ";", " //", "comment", "\r\n"]], ["ÀÉÎõü naïve café", ["ÀÉÎõü", " naïve", " café"]], ["emoji 🤖 ok 3.14159", ["emoji", " 🤖", " ok", " ", "3", ".", "1", "4", "1", "5", "9"]]], "gpt-4o": [["Hello WORLD, it's McDonald's HTTPServer 12345 times!", ["Hello", " WORLD", ",", " it's", " Mc", "Donald's", " HTTPServer", " ", "123", "45", " times", "!"]], ["  leading\n\n\ttabs   and trailing   ", [" ", " leading", "\n\n", "\ttabs", "  ", " and", " trailing", "   "]], ["I'M SHOUTING'LL You've", ["I'M", " SHOUTING'LL", " You've"]], ["a/b//c\n/path", ["a", "/b", "//", "c", "\n", "/path"]], ["数字 12 東京タワー ひらがな αβγ Ωmega", ["数字", " ", "12", " 東京タワー", " ひらがな", " αβγ", " Ωmega"]], ["x=1;y+=22; //comment\r\n", ["x", "=", "1", ";y", "+=", "22", ";", " //", "comment", "\r\n"]], ["ÀÉÎõü naïve café", ["ÀÉÎõü", " naïve", " café"]], ["emoji 🤖 ok 3.14159", ["emoji", " 🤖", " ok", " ", "3", ".", "141", "59"]]], "deepseek-v3": [["Hello WORLD, it's McDonald's HTTPServer 12345 times!", ["Hello", " WORLD", ",", " it", "'s", " McDonald", "'s", " HTTPServer", " ", "123", "45", " times", "!"]], ["  leading\n\n\ttabs   and trailing   ", [" ", " leading", "\n\n", "\ttabs", "  ", " and", " trailing", "   "]], ["I'M SHOUTING'LL You've", ["I", "'M", " SHOUTING", "'LL", " You", "'ve"]], ["a/b//c\n/path", ["a", "/b", "//", "c", "\n", "/path"]], ["数字 12 東京タワー ひらがな αβγ Ωmega", ["数字", " ", "12", " ", "東京タワー", " ", "ひらがな", " αβγ", " Ωmega"]], ["x=1;y+=22; //comment\r\n", ["x", "=", "1", ";y", "+=", "22", ";", " //", "comment", "\r\n"]], ["ÀÉÎõü naïve café", ["ÀÉÎõü", " naïve", " café"]], ["emoji 🤖 ok 3.14159", ["emoji", " 🤖", " ok", " ", "3", ".", "141", "59"]]]})JSON";

// Runs of punctuation after spaces, at the end of a text, under llama.cpp's "default" split (the
// gpt-neox vocabulary has no tokenizer.ggml.pre) and falcon's, whose punctuation sets differ by
// the backtick. Produced the same way.
const char* const kPunctuationRuns = R"JSON({"default": [["x  `", ["x", " ", " `"]], ["hello   !!!", ["hello", "   ", "!!!"]], ["the end ...", ["the", " end", " ", "..."]], ["a  $", ["a", "  ", "$"]], ["tabs\t\t?", ["tabs", "\t\t", "?"]], ["q  ``", ["q", " ", " ``"]], ["code `x`  ", ["code", " `", "x", "`", "  "]], ["wait  ?!  ", ["wait", "  ", "?!", "  "]], ["price:  $5,000.00", ["price", ":", "  ", "$", "5", ",", "000", ".", "00"]], ["run  --fast  ~", ["run", "  ", "--", "fast", "  ", "~"]]], "falcon": [["x  `", ["x", "  ", "`"]], ["hello   !!!", ["hello", "   ", "!!!"]], ["the end ...", ["the", " end", " ", "..."]], ["a  $", ["a", "  ", "$"]], ["tabs\t\t?", ["tabs", "\t\t", "?"]], ["q  ``", ["q", "  ", "``"]], ["code `x`  ", ["code", " ", "`", "x", "`", "  "]], ["wait  ?!  ", ["wait", "  ", "?!", "  "]], ["price:  $5,000.00", ["price", ":", "  ", "$", "5", ",", "000", ".", "00"]], ["run  --fast  ~", ["run", "  ", "--", "fast", "  ", "~"]]]})JSON";

TEST(PreTokenizerPatterns, SplitLikeAReferenceRegexEngine) {
  for (const char* expected : {kExpected, kPunctuationRuns}) {
    const auto all = hearth::json::parse(expected);
    for (const auto& [name, cases] : all.items()) {
      hearth::tokenizer::PreTokenizer pre(name);
      for (const auto& c : cases) {
        const std::string text = c[0];
        std::vector<std::string> want;
        for (const auto& p : c[1]) want.push_back(hearth::tokenizer::unicode::byte_encode(p.get<std::string>()));
        EXPECT_EQ(pre.split(text), want) << name << ": " << text;
      }
    }
  }
}

TEST(PreTokenizerPatterns, UnknownNamesAreRefusedByName) {
  try {
    hearth::tokenizer::PreTokenizer pre("kimi-k2");
    FAIL() << "accepted an unknown pre-tokenizer";
  } catch (const hearth::Error& e) {
    EXPECT_NE(std::string(e.what()).find("'kimi-k2'"), std::string::npos) << e.what();
  }
}

}  // namespace
