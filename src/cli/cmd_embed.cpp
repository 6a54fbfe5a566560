// `hearth embed -m MODEL [-p TEXT]...`: embedding vectors of texts (each -p, else each line of
// stdin), mean-pooled and L2-normalised, as `hearth serve`'s /v1/embeddings returns them.
#include <cstdio>
#include <iostream>
#include <algorithm>
#include <memory>
#include <thread>
#include <string>
#include <vector>

#include "cli/command.h"
#include "cli/env_options.h"
#include "core/error.h"
#include "core/json.h"
#include "core/thread_pool.h"
#include "engine/embed.h"
#include "engine/loader.h"

namespace hearth::cli {
namespace {

struct EmbedFlags {
  std::string model;
  std::vector<std::string> texts;
  int threads = 0;
  bool json_out = false;
};

int run(const EmbedFlags& f) {
  std::vector<std::string> texts = f.texts;
  if (texts.empty())
    for (std::string line; std::getline(std::cin, line);)
      if (!line.empty()) texts.push_back(line);
  if (texts.empty()) fail(Errc::invalid_argument, "nothing to embed: give -p TEXT or lines on stdin");
  auto lm = engine::load_model(f.model, load_options_from_env());
  ThreadPool pool(f.threads > 0 ? f.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  json out = json::array();
  for (const auto& text : texts) {
    const auto ids = lm.tokenizer->encode(text, true, false);
    const std::vector<float> v = engine::embed_tokens(*lm.model, ids, &pool);
    if (f.json_out) {
      out.push_back({{"index", out.size()}, {"tokens", ids.size()}, {"embedding", v}});
    } else {
      for (size_t i = 0; i < v.size(); ++i) std::printf("%s%.7g", i ? " " : "", v[i]);
      std::printf("\n");
    }
  }
  if (f.json_out)
    std::printf("%s\n", json({{"model", f.model}, {"dim", lm.model->hparams().n_embd}, {"data", out}}).dump().c_str());
  return kExitOk;
}

}  // namespace

Command embed_command() {
  return {"embed", "Embedding vectors of texts (mean-pooled, unit length), one per line or as JSON", [](CLI::App& app) {
    auto f = std::make_shared<EmbedFlags>();
    app.add_option("-m,--model", f->model, "GGUF model (an embedding model such as bert/nomic-bert, or any decoder)")
        ->required();
    app.add_option("-p,--prompt", f->texts, "Text to embed (repeatable; default: each line of stdin)");
    app.add_option("-t,--threads", f->threads, "Threads (default: all cores)");
    app.add_flag("--json", f->json_out, "Print {\"model\", \"dim\", \"data\": [{\"index\", \"tokens\", \"embedding\"}]}");
    return [f]() { return run_guarded([&] { return run(*f); }); };
  }};
}

}  // namespace hearth::cli
