// `hearth synth` (model/synth): deterministic files, llama.cpp's tensor order and per-tensor
// mixes (checked against llama-quantize's files and the bench README's table), and a generated
// vocabulary that round-trips any text.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <string>

#include "core/error.h"
#include "gguf/gguf.h"
#include "model/model.h"
#include "model/quant_mix.h"
#include "model/synth.h"
#include "model/tensor_list.h"
#include "support/shared_data.h"
#include "tokenizer/synth_vocab.h"
#include "tokenizer/tokenizer.h"

namespace fs = std::filesystem;
using namespace hearth;
using tensor::Type;

namespace {

model::SynthResult synth(const std::string& arch, model::FileType type, uint64_t seed, int threads,
                         const fs::path& out) {
  model::SynthOptions o;
  o.preset = model::resolve_synth_preset("tiny", arch);
  o.type = type;
  o.seed = seed;
  o.out = out.string();
  o.n_threads = threads;
  return model::synthesize(o);
}

class SynthArch : public ::testing::TestWithParam<std::string> {};

TEST_P(SynthArch, SameOptionsSameBytesAnyThreadCount) {
  const fs::path dir = test::make_temp_dir("hearth-synth");
  const std::string arch = GetParam();
  const auto r1 = synth(arch, model::FileType::Q8_0, 11, 1, dir / "a.gguf");
  synth(arch, model::FileType::Q8_0, 11, 2, dir / "b.gguf");
  synth(arch, model::FileType::Q8_0, 12, 2, dir / "c.gguf");
  const std::string a = test::read_file(dir / "a.gguf");
  EXPECT_EQ(a.size(), r1.file_bytes);
  EXPECT_TRUE(a == test::read_file(dir / "b.gguf")) << arch << ": thread count changed the file";
  EXPECT_FALSE(a == test::read_file(dir / "c.gguf")) << arch << ": seed ignored";
  EXPECT_FALSE(fs::exists(dir / "a.gguf.tmp"));

  const gguf::File f = gguf::File::open((dir / "a.gguf").string());
  EXPECT_EQ(f.architecture(), arch);
  EXPECT_EQ(static_cast<int64_t>(f.tensors().size()), r1.n_tensors);
  // llama-quantize's order: non-layer tensors, then layer by layer, names sorted within each.
  for (size_t i = 1; i < f.tensors().size(); ++i)
    EXPECT_FALSE(model::llama_cpp_tensor_less(f.tensors()[i].name, f.tensors()[i - 1].name))
        << f.tensors()[i - 1].name << " before " << f.tensors()[i].name;
  fs::remove_all(dir);
}

TEST_P(SynthArch, VocabularyRoundTripsText) {
  const fs::path dir = test::make_temp_dir("hearth-synth");
  synth(GetParam(), model::FileType::Q8_0, 1, 2, dir / "m.gguf");
  const gguf::File f = gguf::File::open((dir / "m.gguf").string());
  const auto tok = tokenizer::Tokenizer::from_gguf(f);
  for (const std::string& text : std::vector<std::string>{
           "Hello, world!", "  leading spaces\tand\ttabs\n\nnew lines", "Ünïcödé — 日本語のテキスト 🙂👍🏽",
        "numbers 1234567890 3.14159", std::string("\x00\x01\x7f control", 11), "<|im_end|> stays text"}) {
    const auto ids = tok->encode(text, false, false);
    ASSERT_FALSE(ids.empty()) << text;
    EXPECT_EQ(tok->decode(ids), text);
  }
  // Merges apply: ordinary English takes clearly fewer tokens than bytes. (Invalid UTF-8 is not
  // in the list: like llama.cpp, the tokenizer reads it as U+FFFD.)
  const std::string prose = "the quick brown fox jumps over the lazy dog and then the fox sleeps";
  EXPECT_LT(tok->encode(prose, false, false).size(), prose.size() * 3 / 4);
  fs::remove_all(dir);
}

TEST_P(SynthArch, LoadsWithThePresetsShapeAndRuns) {
  // The architecture's tensor list wrote the file and binds it back: every tensor in the file is
  // one the model reads, the hyper-parameter keys read back as the preset, and a forward pass
  // gives finite logits.
  const fs::path dir = test::make_temp_dir("hearth-synth");
  const std::string arch = GetParam();
  const model::SynthPreset& p = model::resolve_synth_preset("tiny", arch);
  synth(arch, model::FileType::Q8_0, 3, 2, dir / "m.gguf");
  const auto m = model::Model::load((dir / "m.gguf").string());
  const model::HParams& h = m->hparams();
  EXPECT_EQ(h.n_vocab, p.n_vocab);
  EXPECT_EQ(h.n_layer, p.n_layer);
  EXPECT_EQ(h.n_head_kv, p.n_head_kv);
  EXPECT_EQ(h.head_dim_k, p.head_dim);
  EXPECT_EQ(h.n_rot, p.n_rot > 0 ? p.n_rot : p.head_dim);
  EXPECT_EQ(h.n_expert, p.n_expert);
  EXPECT_EQ(h.n_expert_used, p.n_expert_used);
  EXPECT_EQ(h.n_swa, p.n_swa);
  EXPECT_EQ(h.n_ctx_orig, p.longrope || p.rope_yarn_factor > 0 ? p.rope_orig_ctx : 0);
  EXPECT_EQ(h.rope_yarn, p.rope_yarn_factor > 0);
  EXPECT_FLOAT_EQ(h.rope_freq_scale, p.rope_yarn_factor > 0 ? 1.0f / p.rope_yarn_factor : 1.0f);
  EXPECT_FLOAT_EQ(h.rope_attn_factor, p.rope_attn_factor);
  EXPECT_EQ(m->weights().output.data == m->weights().token_embd.data, p.tied);
  if (p.longrope) {
    EXPECT_TRUE(m->weights().rope_long && m->weights().rope_short);
  }
  if (p.n_expert > 0) {
    EXPECT_EQ(m->weights().layers[0].gate_exps.n_expert, p.n_expert);
  }
  for (const auto& L : m->weights().layers) {  // gpt-oss's optional tensors, when the preset has them
    EXPECT_EQ(static_cast<bool>(L.bo), p.attn_out_bias);
    EXPECT_EQ(static_cast<bool>(L.attn_sinks), p.attn_sinks);
    EXPECT_EQ(static_cast<bool>(L.gate_inp_b) && L.gate_exps_b && L.up_exps_b && L.down_exps_b, p.expert_biases);
  }

  std::vector<std::string> listed;
  for (const auto& t : model::decoder_tensors(m->arch(), h)) listed.push_back(t.name);
  const gguf::File f = gguf::File::open((dir / "m.gguf").string());
  for (const auto& t : f.tensors())
    EXPECT_NE(std::find(listed.begin(), listed.end(), t.name), listed.end()) << t.name << " is not read by " << arch;

  model::KvCache cache(h, 64);
  std::vector<int32_t> toks;
  for (int i = 0; i < 40; ++i) toks.push_back((i * 37 + 5) % static_cast<int>(p.n_vocab));  // crosses the windows (32)
  std::vector<float> logits;
  m->forward(cache, toks, true, logits, nullptr);
  ASSERT_EQ(logits.size(), toks.size() * static_cast<size_t>(p.n_vocab));
  for (float l : logits) ASSERT_TRUE(std::isfinite(l));
  fs::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Archs, SynthArch, ::testing::Values("llama", "qwen2", "qwen3", "gemma3", "phi3", "qwen3moe",
                                                                  "gpt-oss"));

TEST(Synth, TinyGptOssHasTheHarmonyVocabulary) {
  // o200k_harmony's named specials in its order at the start of the special block, all control
  // tokens as in real gpt-oss files; BOS <|startoftext|>, EOS <|return|>, PAD <|endoftext|>, no
  // EOT key, no BOS added; the harmony chat template.
  const fs::path dir = test::make_temp_dir("hearth-synth");
  synth("gpt-oss", model::FileType::Q8_0, 1, 2, dir / "m.gguf");
  const gguf::File f = gguf::File::open((dir / "m.gguf").string());
  const std::vector<std::string> named = {
      "<|startoftext|>", "<|endoftext|>", "<|reserved_200000|>", "<|reserved_200001|>", "<|return|>",
      "<|constrain|>", "<|reserved_200004|>", "<|channel|>", "<|start|>", "<|end|>", "<|message|>",
      "<|reserved_200009|>", "<|reserved_200010|>", "<|reserved_200011|>", "<|call|>"};
  const std::vector<std::string> tokens = f.get_strings("tokenizer.ggml.tokens");
  const std::vector<int64_t> types = f.get_ints("tokenizer.ggml.token_type");
  ASSERT_EQ(tokens.size(), 2048u);
  ASSERT_EQ(types.size(), 2048u);
  const size_t base = 2048 - 16;
  for (size_t i = 0; i < named.size(); ++i) {
    EXPECT_EQ(tokens[base + i], named[i]) << i;
    EXPECT_EQ(types[base + i], 3) << named[i];
  }
  EXPECT_EQ(tokens.back(), "<|reserved_200013|>");
  EXPECT_EQ(types[base - 1], 1);
  EXPECT_EQ(f.get_string("tokenizer.ggml.pre"), "gpt-4o");
  EXPECT_EQ(f.get_int("tokenizer.ggml.bos_token_id", -1), static_cast<int64_t>(base));
  EXPECT_EQ(f.get_int("tokenizer.ggml.eos_token_id", -1), static_cast<int64_t>(base + 4));
  EXPECT_EQ(f.get_int("tokenizer.ggml.padding_token_id", -1), static_cast<int64_t>(base + 1));
  EXPECT_FALSE(f.has("tokenizer.ggml.eot_token_id"));
  EXPECT_FALSE(f.require("tokenizer.ggml.add_bos_token").as_bool());
  EXPECT_NE(f.get_string("tokenizer.chat_template").find("<|channel|>commentary to=functions."), std::string::npos);

  const auto tok = tokenizer::Tokenizer::from_gguf(f);
  EXPECT_EQ(tok->bos(), static_cast<int32_t>(base));
  EXPECT_EQ(tok->eos(), static_cast<int32_t>(base + 4));
  EXPECT_TRUE(tok->is_eog(tok->eos()));
  for (size_t i = 0; i < named.size(); ++i) EXPECT_EQ(tok->find_token(named[i]), static_cast<int32_t>(base + i));
  // A harmony tool call reads back as its structure tokens around ordinary text.
  const auto ids = tok->encode("<|start|>assistant<|channel|>commentary to=functions.f <|constrain|>json<|message|>{}<|call|>",
                               false, true);
  ASSERT_GE(ids.size(), 6u);
  EXPECT_EQ(ids.front(), static_cast<int32_t>(base + 8));
  EXPECT_EQ(ids.back(), static_cast<int32_t>(base + 14));
  EXPECT_NE(std::find(ids.begin(), ids.end(), static_cast<int32_t>(base + 5)), ids.end());
  fs::remove_all(dir);
}

TEST(Synth, TinyLlamaMixesMatchLlamaQuantizeFiles) {
  // hearth's tiny llama has the shared tiny-llama's layer shapes (256 / 4 layers / 8 heads / 2 KV
  // heads / 768), so every mix must give each tensor the type llama-quantize gave it.
  HEARTH_REQUIRE_SHARED();
  const fs::path dir = test::make_temp_dir("hearth-synth");
  for (const auto& [type, suffix] : std::map<std::string, std::string>{
           {"q4_0", "Q4_0"}, {"q2_k", "Q2_K"}, {"q3_k_m", "Q3_K_M"}, {"q4_k_m", "Q4_K_M"}, {"q5_k_m", "Q5_K_M"},
           {"q6_k", "Q6_K"}}) {
    synth("llama", *model::file_type_from_name(type), 3, 2, dir / "m.gguf");
    const gguf::File got = gguf::File::open((dir / "m.gguf").string());
    const gguf::File want = gguf::File::open(test::shared_path("models/tiny-llama-" + suffix + ".gguf").string());
    ASSERT_EQ(got.tensors().size(), want.tensors().size()) << type;
    for (size_t i = 0; i < want.tensors().size(); ++i) {
      EXPECT_EQ(got.tensors()[i].name, want.tensors()[i].name) << type;
      EXPECT_EQ(tensor::type_name(got.tensors()[i].type), tensor::type_name(want.tensors()[i].type))
          << type << " " << want.tensors()[i].name;
    }
    EXPECT_EQ(got.get_int("general.file_type", -1), want.get_int("general.file_type", -2)) << type;
  }
  fs::remove_all(dir);
}

// The bench model's mixes, as ../shared/bench/README.md lists them, without writing 1 GB.
std::vector<model::TensorPlanInput> llama_3_2_1b_tensors() {
  std::vector<model::TensorPlanInput> v = {{"rope_freqs.weight", {32}}, {"token_embd.weight", {2048, 128256}},
                                           {"output_norm.weight", {2048}}};
  for (int l = 0; l < 16; ++l) {
    const std::string b = "blk." + std::to_string(l) + ".";
    v.push_back({b + "attn_k.weight", {2048, 512}});
    v.push_back({b + "attn_norm.weight", {2048}});
    v.push_back({b + "attn_output.weight", {2048, 2048}});
    v.push_back({b + "attn_q.weight", {2048, 2048}});
    v.push_back({b + "attn_v.weight", {2048, 512}});
    v.push_back({b + "ffn_down.weight", {8192, 2048}});
    v.push_back({b + "ffn_gate.weight", {2048, 8192}});
    v.push_back({b + "ffn_norm.weight", {2048}});
    v.push_back({b + "ffn_up.weight", {2048, 8192}});
  }
  std::stable_sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return model::llama_cpp_tensor_less(a.name, b.name); });
  return v;
}

std::map<std::string, int> count_types(model::FileType ft, std::map<std::string, Type>* by_name = nullptr) {
  const auto in = llama_3_2_1b_tensors();
  model::MixContext ctx{32, 8, "llama"};
  const auto types = model::plan_types(ft, in, ctx);
  std::map<std::string, int> n;
  for (size_t i = 0; i < in.size(); ++i) {
    ++n[std::string(tensor::type_name(types[i]))];
    if (by_name) (*by_name)[in[i].name] = types[i];
  }
  return n;
}

TEST(Synth, Llama32_1bMixesAreTheBenchReadmes) {
  // 113 weight matrices + 33 norms + rope_freqs.
  EXPECT_EQ(count_types(model::FileType::F16), (std::map<std::string, int>{{"f16", 113}, {"f32", 34}}));
  EXPECT_EQ(count_types(model::FileType::Q8_0), (std::map<std::string, int>{{"q8_0", 113}, {"f32", 34}}));
  std::map<std::string, Type> q40;
  EXPECT_EQ(count_types(model::FileType::Q4_0, &q40), (std::map<std::string, int>{{"q4_0", 112}, {"q6_K", 1}, {"f32", 34}}));
  EXPECT_EQ(q40["token_embd.weight"], Type::Q6_K);
  std::map<std::string, Type> km;
  EXPECT_EQ(count_types(model::FileType::Q4_K_M, &km), (std::map<std::string, int>{{"q4_K", 96}, {"q6_K", 17}, {"f32", 34}}));
  EXPECT_EQ(km["token_embd.weight"], Type::Q6_K);
  for (int l = 0; l < 16; ++l) {
    const bool six = l == 0 || l == 1 || l == 4 || l == 7 || l == 10 || l == 13 || l == 14 || l == 15;
    const Type want = six ? Type::Q6_K : Type::Q4_K;
    const std::string b = "blk." + std::to_string(l) + ".";
    EXPECT_EQ(km[b + "attn_v.weight"], want) << l;
    EXPECT_EQ(km[b + "ffn_down.weight"], want) << l;
    EXPECT_EQ(km[b + "attn_q.weight"], Type::Q4_K) << l;
  }
  EXPECT_EQ(km["rope_freqs.weight"], Type::F32);
}

TEST(Synth, Llama3ScaledPresetWritesWhatLlamaCppWritesAndLoads) {
  // The llama-3.2-1b preset shrunk to test size: frequency scaling only in rope_freqs.weight, no
  // rope.scaling.* keys (llama.cpp refuses a scaling type named "llama3"), and hearth loads it.
  model::SynthOptions o;
  o.preset = model::resolve_synth_preset("llama-3.2-1b", "");
  o.preset.n_vocab = 1024, o.preset.n_embd = 64, o.preset.n_layer = 2, o.preset.n_head = 4, o.preset.n_head_kv = 2;
  o.preset.head_dim = 16, o.preset.n_ff = 128;
  o.type = model::FileType::Q8_0;
  const fs::path dir = test::make_temp_dir("hearth-synth");
  o.out = (dir / "l32.gguf").string();
  model::synthesize(o);
  {
    const gguf::File f = gguf::File::open(o.out);
    EXPECT_EQ(f.find("llama.rope.scaling.type"), nullptr);
    EXPECT_EQ(f.find("llama.rope.scaling.factor"), nullptr);
    EXPECT_NE(f.find_tensor("rope_freqs.weight"), nullptr);
  }
  EXPECT_NO_THROW(model::Model::load(o.out));
  fs::remove_all(dir);
}

TEST(Synth, GptOss20bPresetIsTheReleasesShape) {
  // openai/gpt-oss-20b's config, with o200k_harmony's special ids; the file's keys (YaRN 32x
  // past 4096) checked on a shrunk copy that loads.
  const model::SynthPreset& p = model::resolve_synth_preset("gpt-oss-20b", "gpt-oss");
  EXPECT_EQ(p.n_vocab, 201088);
  EXPECT_EQ(p.n_embd, 2880);
  EXPECT_EQ(p.n_layer, 24);
  EXPECT_EQ(p.n_head, 64);
  EXPECT_EQ(p.n_head_kv, 8);
  EXPECT_EQ(p.head_dim, 64);
  EXPECT_EQ(p.n_expert, 32);
  EXPECT_EQ(p.n_expert_used, 4);
  EXPECT_EQ(p.n_ff_exp, 2880);
  EXPECT_EQ(p.n_swa, 128);
  EXPECT_EQ(p.n_ctx, 131072);
  EXPECT_FLOAT_EQ(p.rope_base, 150000.0f);
  EXPECT_FLOAT_EQ(p.rope_yarn_factor, 32.0f);
  EXPECT_EQ(p.rope_orig_ctx, 4096);
  EXPECT_FALSE(p.tied);
  const auto v = tokenizer::make_synth_vocab(p.vocab_style, p.n_vocab);
  EXPECT_EQ(v.tokens[199998], "<|startoftext|>");
  EXPECT_EQ(v.tokens[200012], "<|call|>");
  EXPECT_EQ(v.eos_id, 200002);

  model::SynthOptions o;
  o.preset = p;
  o.preset.n_vocab = 1024, o.preset.n_embd = 64, o.preset.n_layer = 2, o.preset.n_head = 4, o.preset.n_head_kv = 2;
  o.preset.head_dim = 16, o.preset.n_ff = o.preset.n_ff_exp = 64, o.preset.n_expert = 4, o.preset.n_expert_used = 2;
  o.type = model::FileType::Q8_0;
  const fs::path dir = test::make_temp_dir("hearth-synth");
  o.out = (dir / "go.gguf").string();
  model::synthesize(o);
  {
    const gguf::File f = gguf::File::open(o.out);
    EXPECT_EQ(f.get_string("gpt-oss.rope.scaling.type"), "yarn");
    EXPECT_DOUBLE_EQ(f.require("gpt-oss.rope.scaling.factor").as_float(), 32.0);
    EXPECT_EQ(f.get_int("gpt-oss.rope.scaling.original_context_length", 0), 4096);
    EXPECT_EQ(f.get_int("gpt-oss.attention.sliding_window", 0), 128);
    EXPECT_NE(f.find_tensor("blk.1.attn_sinks.weight"), nullptr);
    EXPECT_NE(f.find_tensor("blk.1.ffn_down_exps.bias"), nullptr);
  }
  const auto m = model::Model::load(o.out);
  EXPECT_TRUE(m->hparams().rope_yarn);
  EXPECT_EQ(m->hparams().n_ctx_orig, 4096);
  fs::remove_all(dir);
}

TEST(Synth, TensorOrderIsLayerThenName) {
  using model::llama_cpp_tensor_less;
  EXPECT_TRUE(llama_cpp_tensor_less("token_embd.weight", "blk.0.attn_k.weight"));
  EXPECT_TRUE(llama_cpp_tensor_less("output.weight", "token_embd.weight"));
  EXPECT_TRUE(llama_cpp_tensor_less("blk.2.ffn_up.weight", "blk.10.attn_k.weight"));
  EXPECT_TRUE(llama_cpp_tensor_less("blk.1.attn_k.weight", "blk.1.attn_q.weight"));
  EXPECT_FALSE(llama_cpp_tensor_less("blk.1.attn_q.weight", "blk.1.attn_q.weight"));
  // Not a layer tensor: "blk.x" without a number, or without the dot after it.
  EXPECT_TRUE(llama_cpp_tensor_less("blk.x.weight", "blk.0.attn_k.weight"));
  EXPECT_TRUE(llama_cpp_tensor_less("blk.7", "blk.0.attn_k.weight"));
}

TEST(Synth, BadPresetOrArchIsAnError) {
  EXPECT_THROW(model::resolve_synth_preset("nope", ""), Error);
  EXPECT_THROW(model::resolve_synth_preset("llama-3.2-1b", "qwen2"), Error);
  EXPECT_THROW(model::resolve_synth_preset("tiny", "gpt2"), Error);
  EXPECT_THROW(model::resolve_synth_preset("tiny", "bert"), Error);  // encoders have no preset
  EXPECT_THROW(model::resolve_synth_preset("phi4-mini", "llama"), Error);
  EXPECT_EQ(model::resolve_synth_preset("llama-3.2-1b", "").n_vocab, 128256);
  EXPECT_EQ(model::resolve_synth_preset("gemma3-1b", "").arch, "gemma3");
  EXPECT_EQ(model::resolve_synth_preset("qwen3-moe-small", "qwen3moe").n_expert, 64);
  EXPECT_EQ(model::resolve_synth_preset("tiny", "gpt-oss").vocab_style, tokenizer::SynthVocabStyle::harmony);
  EXPECT_THROW(model::resolve_synth_preset("gpt-oss-20b", "qwen3moe"), Error);
}

}  // namespace
