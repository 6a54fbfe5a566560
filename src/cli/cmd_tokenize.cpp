// `hearth tokenize`: text on stdin -> token ids on stdout, using a GGUF file's vocabulary.
#include <cstdio>
#include <iostream>
#include <iterator>
#include <memory>

#include "cli/command.h"
#include "core/error.h"
#include "core/json.h"
#include "core/utf8.h"
#include "gguf/gguf.h"
#include "tokenizer/tokenizer.h"

namespace hearth::cli {
namespace {

struct TokenizeFlags {
  std::string model;
  bool no_special = false;
  bool parse_special = false;
  bool json_out = false;
  bool show_pieces = false;
};

int run(const TokenizeFlags& f) {
  auto file = gguf::File::open(f.model);
  auto tok = tokenizer::Tokenizer::from_gguf(file);
  std::string text((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  std::vector<int32_t> ids = tok->encode(text, !f.no_special, f.parse_special);

  if (f.json_out) {
    json j = {{"tokens", ids}};
    if (f.show_pieces) {
      json pieces = json::array();
      for (int32_t id : ids) pieces.push_back(utf8::sanitize(tok->token_to_piece(id, true)));
      j["pieces"] = pieces;
    }
    std::printf("%s\n", j.dump().c_str());
  } else if (f.show_pieces) {
    // One token per line: id, then the piece as a JSON string so spaces and newlines show.
    for (int32_t id : ids) {
      json piece = utf8::sanitize(tok->token_to_piece(id, true));
      std::printf("%d\t%s\n", id, piece.dump().c_str());
    }
  } else {
    std::string line;
    for (int32_t id : ids) line += (line.empty() ? "" : " ") + std::to_string(id);
    std::printf("%s\n", line.c_str());
  }
  return kExitOk;
}

}  // namespace

Command tokenize_command() {
  return {"tokenize", "Print the token ids of text read from stdin", [](CLI::App& app) {
    auto f = std::make_shared<TokenizeFlags>();
    app.add_option("-m,--model", f->model, "GGUF file whose vocabulary to use")->required();
    app.add_flag("--no-special", f->no_special, "Do not add BOS/EOS (or CLS/SEP)");
    app.add_flag("--parse-special", f->parse_special,
                 "Turn special-token text such as <|im_end|> into its id");
    app.add_flag("--json", f->json_out, "Print {\"tokens\":[...]}");
    app.add_flag("--show-pieces", f->show_pieces, "Also print each token's text");
    return [f]() { return run(*f); };
  }};
}

}  // namespace hearth::cli
