// `hearth ledger`: every request that left the machine, and spend per provider.
#include <cstdio>
#include <map>

#include "cli/command.h"
#include "core/paths.h"
#include "router/config.h"
#include "router/ledger.h"

namespace hearth::cli {

Command ledger_command() {
  return {"ledger", "List requests sent to remote providers and sum spend per provider", [](CLI::App& app) {
    struct Opts {
      std::string since, config;
      bool json_out = false;
    };
    auto o = std::make_shared<Opts>();
    app.add_option("--since", o->since, "Only records from this date on (YYYY-MM-DD)");
    app.add_option("--config", o->config, "Router config (for a custom ledger_dir)");
    app.add_flag("--json", o->json_out, "Machine-readable output");
    return [o]() {
      return run_guarded([&]() {
        if (!o->since.empty()) {
          const auto& s = o->since;
          bool ok = s.size() == 10 && s[4] == '-' && s[7] == '-';
          for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) ok = ok && i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]));
          if (!ok) fail(Errc::invalid_argument, "--since must be a date YYYY-MM-DD, got '" + s + "'");
        }
        std::filesystem::path dir = hearth_home() / "ledger";
        if (!o->config.empty()) {
          auto cfg = router::load_config(o->config);
          if (!cfg.ledger_dir.empty()) dir = cfg.ledger_dir;
        }
        router::Ledger ledger(dir);
        size_t skipped = 0;
        auto records = ledger.read(o->since, &skipped);
        struct Sum { size_t n = 0; int64_t in = 0, out = 0; double cost = 0; };
        std::map<std::string, Sum> per;
        Sum total;
        for (const auto& r : records) {
          for (Sum* s : {&per[r.provider], &total}) {
            ++s->n;
            s->in += r.input_tokens;
            s->out += r.output_tokens;
            s->cost += r.cost_usd;
          }
        }
        if (o->json_out) {
          json recs = json::array(), provs = json::object();
          for (const auto& r : records) recs.push_back(r.to_json());
          for (const auto& [p, s] : per)
            provs[p] = {{"requests", s.n}, {"input_tokens", s.in}, {"output_tokens", s.out}, {"cost_usd", s.cost}};
          std::printf("%s\n", json{{"records", recs}, {"providers", provs}, {"total_cost_usd", total.cost}, {"skipped_lines", skipped}}.dump().c_str());
          return kExitOk;
        }
        for (const auto& r : records) {
          std::string mem;
          for (const auto& m : r.memory_ids) mem += (mem.empty() ? "" : ",") + m;
          std::printf("%s  %-12s %-28s %-8s %7lld in %7lld out  $%.6f%s%s\n", r.time.c_str(), r.provider.c_str(), r.model.c_str(),
                      r.status.c_str(), static_cast<long long>(r.input_tokens), static_cast<long long>(r.output_tokens), r.cost_usd,
                      mem.empty() ? "" : "  memories: ", mem.c_str());
        }
        std::printf("--- spend per provider%s\n", o->since.empty() ? "" : (" since " + o->since).c_str());
        for (const auto& [p, s] : per)
          std::printf("%-12s %5zu requests %9lld in %9lld out  $%.6f\n", p.c_str(), s.n, static_cast<long long>(s.in),
                      static_cast<long long>(s.out), s.cost);
        std::printf("total        %5zu requests  $%.6f\n", total.n, total.cost);
        if (skipped) std::fprintf(stderr, "hearth: warning: skipped %zu malformed ledger line(s) in %s\n", skipped, dir.c_str());
        return kExitOk;
      });
    };
  }};
}

}  // namespace hearth::cli
