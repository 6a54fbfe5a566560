#include "tokenizer/synth_vocab.h"

#include <string_view>
#include <unordered_set>

#include "core/error.h"
#include "tokenizer/unicode.h"

namespace hearth::tokenizer {
namespace {

// Letters by rough English frequency: merges built from them first cover common text well, so a
// prompt becomes a realistic number of tokens rather than one per byte.
constexpr std::string_view kLetters = "etaoinshrdlcumwfgypbvkjxqz";

// Chat templates written for hearth in its Jinja subset.
constexpr std::string_view kLlama3Template =
    "{{ bos_token }}{% for message in messages %}"
    "<|start_header_id|>{{ message['role'] }}<|end_header_id|>\n\n{{ message['content'] }}<|eot_id|>"
    "{% endfor %}{% if add_generation_prompt %}<|start_header_id|>assistant<|end_header_id|>\n\n{% endif %}";
constexpr std::string_view kChatmlTemplate =
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";

constexpr int32_t kTypeNormal = 1, kTypeControl = 3;

}  // namespace

SynthVocab make_synth_vocab(SynthVocabStyle style, int64_t n_vocab) {
  if (n_vocab < 1024 || n_vocab > (int64_t{1} << 22))
    fail(Errc::invalid_argument, "synthetic vocabulary size " + std::to_string(n_vocab) +
                                     " is outside [1024, 4194304]");
  // Real families reserve a block of special ids at the end of the vocabulary.
  const int64_t n_special = n_vocab >= 65536 ? 256 : 16;
  const int64_t n_regular = n_vocab - n_special;

  SynthVocab v;
  v.tokens.reserve(static_cast<size_t>(n_vocab));
  for (int b = 0; b < 256; ++b) v.tokens.push_back(unicode::byte_to_text(static_cast<uint8_t>(b)));

  // Merges extend a token by one letter on the right. Starters: a space (GPT-2's 'Ġ'), and each
  // lower- and upper-case letter; each round extends every token of the previous round by every
  // letter, in frequency order, until the regular vocabulary is full.
  std::vector<std::string> frontier;
  frontier.push_back(unicode::byte_to_text(' '));
  for (char ch : kLetters) frontier.emplace_back(1, ch);
  for (char ch : kLetters) frontier.emplace_back(1, static_cast<char>(ch - 'a' + 'A'));
  std::unordered_set<std::string> seen(v.tokens.begin(), v.tokens.end());
  while (static_cast<int64_t>(v.tokens.size()) < n_regular) {
    std::vector<std::string> next;
    for (const std::string& left : frontier) {
      for (char ch : kLetters) {
        if (static_cast<int64_t>(v.tokens.size()) >= n_regular) break;
        const std::string right(1, ch);
        std::string joined = left + right;
        if (!seen.insert(joined).second) continue;
        v.merges.push_back(left + " " + right);
        v.tokens.push_back(joined);
        next.push_back(std::move(joined));
      }
      if (static_cast<int64_t>(v.tokens.size()) >= n_regular) break;
    }
    frontier = std::move(next);
  }
  v.types.assign(v.tokens.size(), kTypeNormal);

  // Special tokens: the family's named ones first, then reserved fillers.
  std::vector<std::string> named;
  if (style == SynthVocabStyle::llama3) {
    named = {"<|begin_of_text|>", "<|end_of_text|>", "<|reserved_special_token_0|>",
             "<|reserved_special_token_1|>", "<|finetune_right_pad_id|>", "<|reserved_special_token_2|>",
             "<|start_header_id|>", "<|end_header_id|>", "<|eom_id|>", "<|eot_id|>"};
  } else {
    named = {"<|endoftext|>", "<|im_start|>", "<|im_end|>"};
  }
  const int32_t base = static_cast<int32_t>(n_regular);
  for (int64_t i = 0; i < n_special; ++i) {
    std::string text = i < static_cast<int64_t>(named.size())
                           ? named[static_cast<size_t>(i)]
                           : "<|reserved_special_token_" + std::to_string(i) + "|>";
    v.tokens.push_back(std::move(text));
    v.types.push_back(kTypeControl);
  }
  if (style == SynthVocabStyle::llama3) {
    v.pre = "llama-bpe";
    v.bos_id = base + 0;
    v.eos_id = base + 9;  // <|eot_id|>: instruct models stop there
    v.eot_id = base + 9;
    v.pad_id = base + 4;
    v.add_bos = true;
    v.chat_template = std::string(kLlama3Template);
  } else {
    v.pre = "qwen2";
    v.bos_id = base + 0;
    v.eos_id = base + 2;  // <|im_end|>
    v.pad_id = base + 0;
    v.add_bos = false;
    v.chat_template = std::string(kChatmlTemplate);
  }
  return v;
}

}  // namespace hearth::tokenizer
