#define PCRE2_CODE_UNIT_WIDTH 8
#include "tokenizer/pretokenize.h"

#include <pcre2.h>

#include "core/error.h"
#include "core/utf8.h"
#include "tokenizer/unicode.h"

namespace hearth::tokenizer {
namespace {

// The split patterns are facts of each tokenizer family (they come with the model's
// tokenizer.json); llama.cpp groups its pre-tokenizer names onto these sets.
const char* const kGpt2 =
    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)";
const char* const kLlama3 =
    "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|"
    "\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const char* const kQwen2 =
    "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|"
    "\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
// Mistral's tekken and OpenAI's o200k (GPT-4o, also Llama 4): case-aware letter runs.
const char* const kTekken =
    "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+|"
    "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*|"
    "\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const char* const kGpt4o =
    "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+"
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)?|"
    "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*"
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)?|"
    "\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const char* const kCjk = "[\u4e00-\u9fa5\u0800-\u4e00\uac00-\ud7ff]+";

struct Group {
  std::vector<const char*> names;
  std::vector<std::string> regexes;
};

const std::vector<Group>& groups() {
  static const std::vector<Group> g = {
      {{"llama3", "llama-v3", "llama-bpe", "falcon3", "dbrx", "smaug-bpe"}, {kLlama3}},
      {{"qwen2", "deepseek-r1-qwen", "kormo", "openpangu", "f2llmv2", "stablelm2", "hunyuan"}, {kQwen2}},
      {{"gpt-2", "phi-2", "a.x-4.0", "mellum", "modern-bert", "exaone4", "roberta-bpe", "gigachat", "jina-es", "jina-de", "jina-v1-en", "jina-v2-es", "jina-v2-de",
        "jina-v2-code", "mpt", "olmo", "jais", "trillion"},
       {kGpt2}},
      {{"starcoder", "refact", "command-r", "cohere2_moe", "smollm", "codeshell", "exaone", "minerva-7b"},
       {"\\p{N}", kGpt2}},
      {{"falcon"}, {"[\\p{P}\\$\\+<=>\\^~\\|`]+", kGpt2, "[0-9][0-9][0-9]"}},
      {{"tekken"}, {kTekken}},
      {{"gpt-4o", "llama4", "kanana2"}, {kGpt4o}},
      {{"deepseek-v3"},
       {"\\p{N}{1,3}", "[\u4e00-\u9fa5\u3040-\u309f\u30a0-\u30ff]+",
        "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\\r\\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+|"
        " ?[\\p{P}\\p{S}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+"}},
      {{"deepseek-llm"},
       {"[\r\n]",
        "\\s?[A-Za-z\u00b5\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u01ba\u01bc-\u01bf\u01c4-\u0293"
        "\u0295-\u02af\u0370-\u0373\u0376\u0377\u037b-\u037d\u037f\u0386\u0388-\u038a\u038c"
        "\u038e-\u03a1\u03a3-\u03f5\u03f7-\u0481\u048a-\u052f\u0531-\u0556\u10a0-\u10c5"
        "\u13a0-\u13f5\u13f8-\u13fd\u1c90-\u1cba\u1cbd-\u1cbf\u1d00-\u1d2b\u1d6b-\u1d77"
        "\u1d79-\u1d9a\u1e00-\u1f15\u1f18-\u1f1d\u1f20-\u1f45\u1f48-\u1f4d\u1f50-\u1f57\u1f59"
        "\u1f5b\u1f5d\u1f5f-\u1f7d\u1f80-\u1fb4\u1fb6-\u1fbc\u1fbe\u1fc2-\u1fc4\u1fc6-\u1fcc"
        "\u1fd0-\u1fd3\u1fd6-\u1fdb\u1fe0-\u1fec\u1ff2-\u1ff4\u1ff6-\u1ffc\u2102\u2107"
        "\u210a-\u2113\u2115\u2119-\u211d\u2124\u2126\u2128\u212a-\u212d\u212f-\u2134\u2139"
        "\u213c-\u213f\u2145-\u2149\u214e\u2183\u2184\u2c00-\u2c7b\u2c7e-\u2ce4\u2ceb-\u2cee"
        "\u2cf2\u2cf3\ua640-\ua66d\ua680-\ua69b\ua722-\ua76f\ua771-\ua787\ua78b-\ua78e"
        "\uab70-\uabbf\ufb00-\ufb06\ufb13-\ufb17\uff21-\uff3a\uff41-\uff5a\U00010400-\U0001044f"
        "\U000104b0-\U000104d3\U000104d8-\U000104fb\U00010c80-\U00010cb2\U00010cc0-\U00010cf2"
        "\U000118a0-\U000118df\U0001e900-\U0001e943]+",
        "\\s?[!-/:-~\uff01-\uff0f\uff1a-\uff5e\u2018-\u201f\u3000-\u3002]+", "\\s+$", kCjk,
        "\\p{N}+"}},
      {{"deepseek-coder"}, {"[\r\n]", "\\s?\\p{L}+", "\\s?\\p{P}+", kCjk, "\\p{N}"}},
      // Unlike falcon's, the default punctuation set leaves out the backtick: "a  `" splits as
      // "a", " ", " `" (the GPT-2 rule), not "a", "  ", "`".
      {{"default"},
       {"[\\p{P}\\$\\+<=>\\^~\\|]+", kGpt2, "\\p{N}+", "[0-9][0-9][0-9]"}},
  };
  return g;
}

}  // namespace

std::vector<std::string> pretokenizer_regexes(const std::string& pre) {
  for (const Group& g : groups())
    for (const char* n : g.names)
      if (pre == n) return g.regexes;
  return {};
}

std::vector<std::string> PreTokenizer::known_names() {
  std::vector<std::string> out;
  for (const Group& g : groups())
    for (const char* n : g.names) out.emplace_back(n);
  return out;
}

struct PreTokenizer::Compiled {
  pcre2_code* code = nullptr;
  ~Compiled() { pcre2_code_free(code); }
};

PreTokenizer::PreTokenizer(const std::string& pre) {
  std::vector<std::string> list = pretokenizer_regexes(pre);
  if (list.empty()) {
    std::string names;
    for (const auto& n : known_names()) names += (names.empty() ? "" : ", ") + n;
    fail(Errc::unsupported,
         "tokenizer.ggml.pre: unknown BPE pre-tokenizer '" + pre + "' (known: " + names + ")");
  }
  for (const std::string& rx : list) {
    auto c = std::make_unique<Compiled>();
    int err = 0;
    PCRE2_SIZE err_off = 0;
    c->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(rx.data()), rx.size(),
                            PCRE2_UTF | PCRE2_UCP | PCRE2_DOLLAR_ENDONLY, &err, &err_off,
                            nullptr);
    if (!c->code) {
      PCRE2_UCHAR msg[256];
      pcre2_get_error_message(err, msg, sizeof msg);
      fail(Errc::internal, "pre-tokenizer regex for '" + pre + "' does not compile at " +
                               std::to_string(err_off) + ": " + reinterpret_cast<char*>(msg));
    }
    pcre2_jit_compile(c->code, PCRE2_JIT_COMPLETE);  // best effort: falls back to the interpreter
    regexes_.push_back(std::move(c));
  }
}

PreTokenizer::~PreTokenizer() = default;

std::vector<std::string> PreTokenizer::split(std::string_view input) const {
  // PCRE2 in UTF mode rejects invalid UTF-8; replace bad bytes first, as llama.cpp does.
  std::string text = utf8::valid(input) ? std::string(input) : utf8::sanitize(input);
  std::vector<size_t> lens{text.size()};
  if (text.empty()) return {};

  pcre2_match_data* md = pcre2_match_data_create(1, nullptr);
  if (!md) fail(Errc::internal, "pcre2_match_data_create failed");
  std::vector<size_t> next;
  for (const auto& rx : regexes_) {
    next.clear();
    size_t start = 0;
    for (size_t len : lens) {
      const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data() + start);
      size_t pos = 0, prev_end = 0;
      while (pos <= len) {
        int rc = pcre2_match(rx->code, subject, len, pos, PCRE2_NO_UTF_CHECK, md, nullptr);
        if (rc < 0) break;  // PCRE2_ERROR_NOMATCH, or a resource limit: rest stays one piece
        PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md);
        size_t ms = ov[0], me = ov[1];
        if (ms > prev_end) next.push_back(ms - prev_end);
        if (me > ms) next.push_back(me - ms);
        prev_end = me;
        if (me == ms) {  // empty match: step over one character
          if (me >= len) break;
          pos = me + utf8::seq_len(static_cast<uint8_t>(text[start + me]));
        } else {
          pos = me;
        }
      }
      if (prev_end < len) next.push_back(len - prev_end);
      start += len;
    }
    lens.swap(next);
  }
  pcre2_match_data_free(md);

  std::vector<std::string> words;
  words.reserve(lens.size());
  size_t start = 0;
  for (size_t len : lens) {
    if (len) words.push_back(unicode::byte_encode(std::string_view(text).substr(start, len)));
    start += len;
  }
  return words;
}

}  // namespace hearth::tokenizer
