#include "tokenizer/vocab.h"

#include <algorithm>
#include <cctype>
#include <initializer_list>

#include "core/error.h"
#include "gguf/gguf.h"

namespace hearth::tokenizer {
namespace {

// Texts llama.cpp treats as end-of-generation when they are in the vocabulary.
const char* const kEogTexts[] = {
    "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|eom_id|>",
    "<EOT>", "_<EOT>", "<|end_of_text|>", "<end_of_utterance>", "<｜end▁of▁sentence｜>",
    "<|return|>", "<|call|>",  // o200k_harmony (gpt-oss): a final answer, a tool call
    "<|calls|>", "<|flush|>",  // solar-open's equivalents
    "[EOT]", "[EOS]",          // Kimi-K2
};

// Harmony's message structure tokens (gpt-oss). They are control tokens in the files, but the
// reply's channels (analysis, final, a call's recipient) are only readable with them, so they
// are text, as llama.cpp makes them.
const char* const kHarmonyStructure[] = {"<|channel|>", "<|message|>", "<|start|>", "<|constrain|>"};

const char* type_key(VocabType t) {
  switch (t) {
    case VocabType::spm: return "llama";
    case VocabType::bpe: return "gpt2";
    case VocabType::wpm: return "bert";
  }
  return "?";
}

}  // namespace

void Vocab::finalize(const std::vector<std::string>& merges, const std::string& where) {
  if (tokens.empty()) fail(Errc::format, where + ": tokenizer.ggml.tokens is empty");
  token_to_id.clear();
  token_to_id.reserve(tokens.size());
  max_token_len = 0;
  for (size_t i = 0; i < tokens.size(); ++i) {
    // A duplicated text maps to its last id, as in llama.cpp.
    token_to_id[tokens[i].text] = static_cast<int32_t>(i);
    max_token_len = std::max(max_token_len, tokens[i].text.size());
  }

  auto check_id = [&](int32_t& id, const char* key) {
    if (id == -1) return;
    if (!valid_id(id))
      fail(Errc::format, where + ": tokenizer.ggml." + key + " = " + std::to_string(id) +
                             " is outside the vocabulary (" + std::to_string(tokens.size()) +
                             " tokens)");
  };
  check_id(bos_id, "bos_token_id");
  check_id(eos_id, "eos_token_id");
  check_id(eot_id, "eot_token_id");
  check_id(unk_id, "unknown_token_id");
  check_id(sep_id, "seperator_token_id");
  check_id(pad_id, "padding_token_id");
  check_id(mask_id, "mask_token_id");

  merge_rank.clear();
  if (type == VocabType::bpe) {
    merge_rank.reserve(merges.size());
    for (size_t r = 0; r < merges.size(); ++r) {
      const std::string& m = merges[r];
      size_t sp = m.size() > 1 ? m.find(' ', 1) : std::string::npos;
      if (sp == std::string::npos)
        fail(Errc::format, where + ": tokenizer.ggml.merges[" + std::to_string(r) + "] '" + m +
                               "' is not two tokens separated by a space");
      std::string_view left = std::string_view(m).substr(0, sp);
      std::string_view right = std::string_view(m).substr(sp + 1);
      int32_t a = find(left), b = find(right);
      if (a < 0 || b < 0)
        fail(Errc::format, where + ": tokenizer.ggml.merges[" + std::to_string(r) + "] '" + m +
                               "' references a token that is not in the vocabulary");
      // The first listing of a pair is its rank.
      merge_rank.emplace((static_cast<uint64_t>(a) << 32) | static_cast<uint32_t>(b),
                         static_cast<int32_t>(r));
    }
  }

  eog_ids.clear();
  auto add_eog = [&](int32_t id) {
    if (id >= 0 && std::find(eog_ids.begin(), eog_ids.end(), id) == eog_ids.end())
      eog_ids.push_back(id);
  };
  add_eog(eos_id);
  add_eog(eot_id);
  for (const char* t : kEogTexts) add_eog(find(t));
  for (const char* t : kHarmonyStructure)
    if (const int32_t id = find(t); id >= 0) tokens[id].type = TokenType::user_defined;
  // A vocabulary that ends replies with <|return|> or <|call|> (harmony) or <|calls|>/<|flush|>
  // uses <|end|> between the messages of one reply (analysis, then final): not an end there.
  const int32_t end_id = find("<|end|>");
  const bool has_call = find("<|call|>") >= 0 || find("<|calls|>") >= 0;
  if (end_id >= 0 && has_call && (find("<|return|>") >= 0 || find("<|flush|>") >= 0)) {
    std::erase(eog_ids, end_id);
    tokens[end_id].type = TokenType::user_defined;
    if (eot_id == end_id) eot_id = -1;
  }
  if (eot_id < 0) {
    for (const char* t : kEogTexts) {
      int32_t id = find(t);
      if (id >= 0 && id != eos_id && std::find(eog_ids.begin(), eog_ids.end(), id) != eog_ids.end()) {
        eot_id = id;
        break;
      }
    }
  }
}

namespace {

bool contains_any(const std::string& s, std::initializer_list<const char*> parts) {
  for (const char* p : parts)
    if (s.find(p) != std::string::npos) return true;
  return false;
}

// Whitespace-eating special tokens, decided as llama.cpp decides them (by model name,
// pre-tokenizer or architecture), since the GGUF metadata has no field for them.
void set_strip_attributes(Vocab& v, const gguf::File& file) {
  std::string name = file.get_string("general.name", "");
  std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  const std::string arch = file.get_string("general.architecture", "");
  auto set = [&](std::string_view text, bool TokenData::*attr, bool on) {
    const int32_t id = v.find(text);
    if (id >= 0) v.tokens[id].*attr = on;
  };
  if (contains_any(v.pre, {"jina-v2-de", "jina-v2-es", "jina-v2-code"}) ||
      contains_any(arch, {"nomic-bert-moe", "jina-bert-v3"})) {
    set("<mask>", &TokenData::lstrip, true);
  } else if (contains_any(name, {"phi-3", "phi3"})) {
    // Every special token eats the whitespace after it, except the unknown, BOS and
    // end-of-text tokens.
    for (TokenData& t : v.tokens)
      if (t.type == TokenType::control || t.type == TokenType::user_defined || t.type == TokenType::unknown)
        t.rstrip = true;
    set("</s>", &TokenData::rstrip, true);
    for (const char* t : {"<unk>", "<s>", "<|endoftext|>"}) set(t, &TokenData::rstrip, false);
  } else if (contains_any(name, {"modern-bert"})) {
    set("[MASK]", &TokenData::lstrip, true);
  }
}

}  // namespace

Vocab load_vocab(const gguf::File& file) {
  const std::string& where = file.name();
  Vocab v;
  if (!file.has("tokenizer.ggml.model"))
    fail(Errc::format, where + ": tokenizer.ggml.model is missing (no tokenizer in this file)");
  std::string model = file.get_string("tokenizer.ggml.model");
  if (model == "llama") v.type = VocabType::spm;
  else if (model == "gpt2") v.type = VocabType::bpe;
  else if (model == "bert") v.type = VocabType::wpm;
  else
    fail(Errc::unsupported, where + ": tokenizer.ggml.model '" + model +
                                "' is not supported (llama, gpt2 and bert are)");

  std::vector<std::string> texts = file.get_strings("tokenizer.ggml.tokens");
  if (texts.empty()) fail(Errc::format, where + ": tokenizer.ggml.tokens is missing or empty");
  if (texts.size() > (1u << 30))
    fail(Errc::format, where + ": tokenizer.ggml.tokens has too many entries");
  std::vector<float> scores = file.get_floats("tokenizer.ggml.scores");
  std::vector<int64_t> types = file.get_ints("tokenizer.ggml.token_type");
  if (!scores.empty() && scores.size() != texts.size())
    fail(Errc::format, where + ": tokenizer.ggml.scores has " + std::to_string(scores.size()) +
                           " entries but there are " + std::to_string(texts.size()) + " tokens");
  if (!types.empty() && types.size() != texts.size())
    fail(Errc::format, where + ": tokenizer.ggml.token_type has " +
                           std::to_string(types.size()) + " entries but there are " +
                           std::to_string(texts.size()) + " tokens");

  v.tokens.resize(texts.size());
  for (size_t i = 0; i < texts.size(); ++i) {
    TokenData& t = v.tokens[i];
    t.text = std::move(texts[i]);
    t.score = scores.empty() ? 0.0f : scores[i];
    if (!types.empty()) {
      if (types[i] < 0 || types[i] > 6)
        fail(Errc::format, where + ": tokenizer.ggml.token_type[" + std::to_string(i) +
                               "] = " + std::to_string(types[i]) + " is not a token type (0-6)");
      t.type = static_cast<TokenType>(types[i]);
    }
  }

  // Defaults per family, as llama.cpp sets them before reading the metadata overrides.
  switch (v.type) {
    case VocabType::spm:
      v.bos_id = 1; v.eos_id = 2; v.unk_id = 0;
      v.add_space_prefix = true; v.add_bos = true;
      break;
    case VocabType::bpe:
      v.bos_id = 11; v.eos_id = 11;
      v.pre = file.get_string("tokenizer.ggml.pre", "default");
      if (v.pre.empty()) v.pre = "default";
      if (v.pre == "llama3" || v.pre == "llama-v3" || v.pre == "llama-bpe" ||
          v.pre == "falcon3") {
        v.ignore_merges = true;
        v.add_bos = true;
      } else if (v.pre == "dbrx" || v.pre == "smaug-bpe") {
        v.ignore_merges = false;
      }
      break;
    case VocabType::wpm:
      v.bos_id = 101; v.unk_id = 100; v.sep_id = 102; v.pad_id = 0; v.mask_id = 103;
      v.add_bos = true; v.add_sep = true;
      v.pre = file.get_string("tokenizer.ggml.pre", "default");
      break;
  }

  auto read_id = [&](const char* key, int32_t& id) {
    std::string full = std::string("tokenizer.ggml.") + key;
    if (!file.has(full)) return;
    int64_t x = file.get_int(full, -1);
    if (x == 0xFFFFFFFFll) x = -1;  // "none" written as uint32 -1 by some converters
    if (x < -1 || x >= static_cast<int64_t>(v.tokens.size()))
      fail(Errc::format, where + ": " + full + " = " + std::to_string(x) +
                             " is outside the vocabulary (" + std::to_string(v.tokens.size()) +
                             " tokens)");
    id = static_cast<int32_t>(x);
  };
  read_id("bos_token_id", v.bos_id);
  read_id("eos_token_id", v.eos_id);
  read_id("eot_token_id", v.eot_id);
  read_id("unknown_token_id", v.unk_id);
  read_id("seperator_token_id", v.sep_id);
  read_id("padding_token_id", v.pad_id);
  read_id("mask_token_id", v.mask_id);
  // Defaults that point past a small vocabulary are dropped rather than rejected.
  for (int32_t* id : {&v.bos_id, &v.eos_id, &v.unk_id, &v.sep_id, &v.pad_id, &v.mask_id})
    if (!v.valid_id(*id)) *id = -1;

  v.add_bos = file.get_bool("tokenizer.ggml.add_bos_token", v.add_bos);
  v.add_eos = file.get_bool("tokenizer.ggml.add_eos_token", v.add_eos);
  v.add_sep = file.get_bool("tokenizer.ggml.add_sep_token", v.add_sep);
  v.add_space_prefix = file.get_bool("tokenizer.ggml.add_space_prefix", v.add_space_prefix);
  v.remove_extra_whitespaces =
      file.get_bool("tokenizer.ggml.remove_extra_whitespaces", v.remove_extra_whitespaces);

  std::vector<std::string> merges;
  if (v.type == VocabType::bpe) {
    merges = file.get_strings("tokenizer.ggml.merges");
    if (merges.empty())
      fail(Errc::format, where + ": tokenizer.ggml.merges is missing (required for '" +
                             std::string(type_key(v.type)) + "' vocabularies)");
  }
  v.finalize(merges, where);
  set_strip_attributes(v, file);
  return v;
}

}  // namespace hearth::tokenizer
