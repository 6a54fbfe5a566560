// Model loading: hyper-parameters, tied embeddings, errors for unsupported input.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "gguf/gguf.h"
#include "model/arch.h"
#include "model/model.h"
#include "support/shared_data.h"

namespace hearth::model {
namespace {

// The ISA path is a property of each loaded model, not of the process: two models side by side
// keep their own kernels, and each gives what it gives alone.
TEST(Model, TwoModelsInOneProcessKeepTheirOwnIsaPaths) {
  HEARTH_REQUIRE_SHARED();
  const std::string path = test::shared_path("models/tiny-llama-Q8_0.gguf").string();
  LoadOptions scalar;
  scalar.isa = tensor::Isa::scalar;
  auto a = Model::load(path, scalar);
  auto b = Model::load(path);  // best path
  EXPECT_EQ(a->kernels().isa, tensor::Isa::scalar);
  EXPECT_EQ(b->kernels().isa, tensor::best_isa());
  const std::vector<int32_t> toks = {1, 5, 9, 2, 7};
  std::vector<float> la, lb, la2;
  KvCache ca(a->hparams(), 16), cb(b->hparams(), 16), ca2(a->hparams(), 16);
  a->forward(ca, toks, false, la, nullptr);
  b->forward(cb, toks, false, lb, nullptr);
  auto alone = Model::load(path, scalar);
  alone->forward(ca2, toks, false, la2, nullptr);
  EXPECT_EQ(la, la2);  // bit for bit what the scalar path gives on its own
  ASSERT_EQ(la.size(), lb.size());
  for (size_t i = 0; i < la.size(); ++i) EXPECT_NEAR(la[i], lb[i], 0.05f) << i;
}

TEST(Model, ReadsHyperParameters) {
  HEARTH_REQUIRE_SHARED();
  auto m = Model::load(test::shared_path("models/stories260K.gguf").string());
  const HParams& h = m->hparams();
  EXPECT_EQ(m->arch().name, "llama");
  EXPECT_EQ(h.n_vocab, 512);
  EXPECT_EQ(h.n_embd, 64);
  EXPECT_EQ(h.n_layer, 5);
  EXPECT_EQ(h.n_head, 8);
  EXPECT_EQ(h.n_head_kv, 4);
  EXPECT_EQ(h.n_ff, 172);
  EXPECT_EQ(h.head_dim_k, 8);
  EXPECT_NE(m->weights().output.name, m->weights().token_embd.name);  // untied

  auto q = Model::load(test::shared_path("models/tiny-qwen2-Q8_0.gguf").string());
  EXPECT_EQ(q->arch().name, "qwen2");
  EXPECT_EQ(q->weights().output.name, q->weights().token_embd.name);  // tied (the output may be a repacked copy)
  EXPECT_TRUE(q->weights().layers[0].bq);
  EXPECT_FLOAT_EQ(q->hparams().rope_base, 1e6f);

  auto r = Model::load(test::shared_path("models/tiny-llama3rope-Q8_0.gguf").string());
  EXPECT_TRUE(r->weights().rope_freqs);
}

TEST(Model, RegistryKnowsTheArchitectures) {
  EXPECT_NE(find_arch("llama"), nullptr);
  EXPECT_EQ(find_arch("qwen2")->rope, RopeStyle::neox);
  EXPECT_TRUE(find_arch("qwen3")->qk_norm);
  EXPECT_EQ(find_arch("gpt-j"), nullptr);
}

// Rewrites stories260K with one change, to check the loader's errors.
std::string rewrite(const std::string& name, const std::function<void(gguf::Writer&, const gguf::File&)>& edit) {
  auto src = gguf::File::open(test::shared_path("models/stories260K.gguf").string());
  gguf::Writer w;
  for (const auto& [k, v] : src.metadata()) w.set(k, v);
  edit(w, src);
  for (const auto& t : src.tensors()) w.add_tensor(t.name, t.type, t.dims, t.data, t.nbytes);
  auto dir = test::make_temp_dir("hearth-model");
  std::string path = (dir / name).string();
  w.write(path);
  return path;
}

TEST(Model, UnsupportedArchitectureIsNamed) {
  HEARTH_REQUIRE_SHARED();
  std::string path = rewrite("gptj.gguf", [](gguf::Writer& w, const gguf::File&) {
    w.set("general.architecture", gguf::Value::str("gptj"));
  });
  try {
    Model::load(path);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::unsupported);
    EXPECT_NE(std::string(e.what()).find("'gptj'"), std::string::npos) << e.what();
  }
}

TEST(Model, MissingHyperParameterIsNamed) {
  HEARTH_REQUIRE_SHARED();
  auto src = gguf::File::open(test::shared_path("models/stories260K.gguf").string());
  gguf::Writer w;
  for (const auto& [k, v] : src.metadata())
    if (k != "llama.block_count") w.set(k, v);
  for (const auto& t : src.tensors()) w.add_tensor(t.name, t.type, t.dims, t.data, t.nbytes);
  std::string path = (test::make_temp_dir("hearth-model") / "noblocks.gguf").string();
  w.write(path);
  try {
    Model::load(path);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("llama.block_count"), std::string::npos) << e.what();
  }
}

TEST(Model, WrongTensorShapeIsNamed) {
  HEARTH_REQUIRE_SHARED();
  std::string path = rewrite("bigembd.gguf", [](gguf::Writer& w, const gguf::File&) {
    w.set("llama.embedding_length", gguf::Value::u32(128));
  });
  try {
    Model::load(path);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::format);
    EXPECT_NE(std::string(e.what()).find("token_embd.weight"), std::string::npos) << e.what();
  }
}

TEST(Model, ForwardRejectsOverflowAndBadTokens) {
  HEARTH_REQUIRE_SHARED();
  auto m = Model::load(test::shared_path("models/stories260K.gguf").string());
  KvCache cache(m->hparams(), 4);
  std::vector<float> logits;
  std::vector<int32_t> five(5, 1);
  EXPECT_THROW(m->forward(cache, five, false, logits, nullptr), Error);
  EXPECT_EQ(cache.size(), 0);
  std::vector<int32_t> bad = {1, 512};
  EXPECT_THROW(m->forward(cache, bad, false, logits, nullptr), Error);
  std::vector<int32_t> ok = {1, 403};
  m->forward(cache, ok, true, logits, nullptr);
  EXPECT_EQ(logits.size(), 2u * 512u);
  EXPECT_EQ(cache.size(), 2);
  cache.truncate(1);
  EXPECT_EQ(cache.size(), 1);
  EXPECT_THROW(cache.truncate(3), Error);
}

}  // namespace
}  // namespace hearth::model
