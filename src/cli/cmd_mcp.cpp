// `hearth mcp`: serve the memory store to other agents over the Model Context Protocol, on
// stdio (default; for clients that spawn the server) or Streamable HTTP (--http).
#include <httplib.h>

#include <cstdio>
#include <iostream>

#include "cli/command.h"
#include "cli/memory_extract.h"
#include "memory/embed_settings.h"
#include "cli/file_input.h"
#include "core/version.h"
#include "cli/env_options.h"
#include "router/http_guard.h"
#include "router/server_stop.h"
#include "app/memory_embedder.h"
#include "core/error.h"
#include "core/log.h"
#include "memory/embedder.h"
#include "memory/mcp_transport.h"
#include "memory/store.h"

namespace hearth::cli {
namespace {

using app::MemoryEmbedder;
using app::open_memory_embedder;

struct McpOpts {
  std::string db, embed_model, host = "127.0.0.1", api_key, api_key_file;
  int port = 8766;
  bool http = false, sse = false;
  std::vector<std::string> origins;
  std::string graph_scope = "user";
  bool rules = false;
};

}  // namespace

Command mcp_command() {
  return {"mcp", "Serve memory tools over MCP (stdio, or Streamable HTTP with --http)", [](CLI::App& app) {
    auto o = std::make_shared<McpOpts>();
    app.add_option("--db", o->db, "Database file (default $HEARTH_HOME/memory/memory.db)");
    app.add_option("--embed-model", o->embed_model, "Embedding model: local:FILE.gguf, provider:model or hash (default: as `hearth memory`)");
    app.add_flag("--http", o->http, "Serve Streamable HTTP at http://HOST:PORT/mcp instead of stdio");
    app.add_option("--host", o->host, "HTTP bind address (default 127.0.0.1; loopback only unless you mean it)");
    app.add_option("--port", o->port, "HTTP port (0 = any free port; default 8766)")->check(CLI::Range(0, 65535));
    app.add_flag("--sse", o->sse, "Answer HTTP requests as SSE streams even when the client accepts JSON");
    app.add_option("--allow-origin", o->origins, "Browser Origin allowed besides loopback ones (repeatable)");
    app.add_option("--api-key", o->api_key, "HTTP: require this key (Authorization: Bearer KEY or x-api-key)");
    app.add_option("--api-key-file", o->api_key_file, "HTTP: read the required key from the first line of this file");
    app.add_flag("--rules", o->rules,
                 "memory_add decides repeats and replacements by the fixed rules even when an extractor model is saved");
    app.add_option("--graph-scope", o->graph_scope,
                   "Scope of the knowledge graph the graph tools (create_entities, read_graph, ...) use")
        ->capture_default_str();
    return [o]() {
      return run_guarded([&]() {
        auto emb = open_memory_embedder(embedder_choice(o->embed_model));
        memory::Store store(o->db.empty() ? memory::Store::default_path() : std::filesystem::path(o->db), emb.embedder.get());
        if (!memory::valid_scope(o->graph_scope))
          fail(Errc::invalid_argument, "--graph-scope \"" + o->graph_scope + "\": expected user, private, agent:NAME, app:NAME or project:NAME");
        memory::mcp::Server server(store, {"hearth-memory", hearth::version(), "mcp", o->graph_scope});
        // A saved extractor model (`hearth memory extractor`) decides memory_add's repeats and
        // replacements, as it does for `hearth memory add`.
        const std::filesystem::path db = o->db.empty() ? memory::Store::default_path() : std::filesystem::path(o->db);
        const std::filesystem::path config = memory::memory_config_path(db);
        std::unique_ptr<MemoryDecider> decider;
        if (!o->rules)
          decider = open_memory_decider("", memory::load_extract_model(config).value_or(""), "", load_options_from_env(), config);
        if (decider) server.set_remember([d = decider.get()] { return d->options(); });
        if (!o->http) {
          std::ios::sync_with_stdio(false);
          memory::mcp::serve_stdio(server, std::cin, std::cout);
          return kExitOk;
        }
        bool loopback = o->host == "127.0.0.1" || o->host == "::1" || o->host == "localhost";
        if (!loopback && o->api_key.empty() && o->api_key_file.empty())
          log::warn("mcp: binding " + o->host + " without --api-key: anyone who can reach this port can read and change your memories");
        memory::mcp::HttpOptions hopts;
        hopts.allowed_origins = o->origins;
        hopts.bind_host = o->host;
        hopts.sse = o->sse;
        hopts.api_key = o->api_key_file.empty() ? o->api_key : read_key_file(o->api_key_file);
        memory::mcp::HttpTransport transport(server, hopts);
        httplib::Server http;
        http.set_payload_max_length(8u << 20);
        router::use_exclusive_port(http);
        transport.mount(http);
        int port = o->port;
        if (port == 0) {
          port = http.bind_to_any_port(o->host);
          if (port < 0) fail(Errc::io, "cannot bind " + o->host);
        } else if (!http.bind_to_port(o->host, port)) {
          fail(Errc::io, "cannot bind " + o->host + ":" + std::to_string(port) +
                             " (is another server using it? pick one with --port)");
        }
        std::printf("hearth mcp listening on http://%s:%d/mcp\n", o->host.c_str(), port);
        std::fflush(stdout);
        const router::StopOnSignals stop_on_signals(http, port);
        http.listen_after_bind();
        return kExitOk;
      });
    };
  }};
}

}  // namespace hearth::cli
