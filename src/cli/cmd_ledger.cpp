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
      std::string since, config, by = "provider";
      bool json_out = false;
    };
    auto o = std::make_shared<Opts>();
    app.add_option("--since", o->since, "Only records from this date on (YYYY-MM-DD)");
    app.add_option("--by", o->by, "Sum spend per provider, model, key or day (default: provider; --json gives all four)")
        ->check(CLI::IsMember({"provider", "model", "key", "day"}));
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
        // provider, model (provider:model), gateway key ("(none)" without one), UTC day.
        std::map<std::string, std::map<std::string, Sum>> per;
        Sum total;
        for (const auto& r : records) {
          const std::pair<const char*, std::string> dims[] = {{"provider", r.provider},
                                                              {"model", r.provider + ":" + r.model},
                                                              {"key", r.key.empty() ? "(none)" : r.key},
                                                              {"day", r.time.substr(0, 10)}};
          std::vector<Sum*> sums = {&total};
          for (const auto& [dim, value] : dims) sums.push_back(&per[dim][value]);
          for (Sum* s : sums) {
            ++s->n;
            s->in += r.input_tokens;
            s->out += r.output_tokens;
            s->cost += r.cost_usd;
          }
        }
        if (o->json_out) {
          json recs = json::array();
          for (const auto& r : records) recs.push_back(r.to_json());
          json out = {{"records", recs}, {"total_cost_usd", total.cost}, {"skipped_lines", skipped}};
          for (const auto& [dim, name] : {std::pair<std::string, std::string>{"provider", "providers"}, {"model", "models"}, {"key", "keys"}, {"day", "days"}}) {
            json group = json::object();
            for (const auto& [v, s] : per[dim])
              group[v] = {{"requests", s.n}, {"input_tokens", s.in}, {"output_tokens", s.out}, {"cost_usd", s.cost}};
            out[name] = group;
          }
          std::printf("%s\n", out.dump().c_str());
          return kExitOk;
        }
        for (const auto& r : records) {
          std::string mem;
          for (const auto& m : r.memory_ids) mem += (mem.empty() ? "" : ",") + m;
          // "~": tokens are hearth's estimate (the provider reported none, or no outcome was recorded).
          std::printf("%s  %-12s %-28s %-9s %s%7lld in %7lld out  $%.6f%s%s%s\n", r.time.c_str(), r.provider.c_str(), r.model.c_str(),
                      r.status.c_str(), r.estimated ? "~" : " ", static_cast<long long>(r.input_tokens),
                      static_cast<long long>(r.output_tokens), r.cost_usd, r.key.empty() ? "" : ("  key: " + r.key).c_str(),
                      mem.empty() ? "" : "  memories: ", mem.c_str());
        }
        std::printf("--- spend per %s%s\n", o->by.c_str(), o->since.empty() ? "" : (" since " + o->since).c_str());
        for (const auto& [v, s] : per[o->by])
          std::printf("%-28s %5zu requests %9lld in %9lld out  $%.6f\n", v.c_str(), s.n, static_cast<long long>(s.in),
                      static_cast<long long>(s.out), s.cost);
        std::printf("%-28s %5zu requests  $%.6f\n", "total", total.n, total.cost);
        if (skipped) std::fprintf(stderr, "hearth: warning: skipped %zu malformed ledger line(s) in %s\n", skipped, dir.c_str());
        return kExitOk;
      });
    };
  }};
}

}  // namespace hearth::cli
