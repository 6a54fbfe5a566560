#include "router/ledger.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>

#include "router/types.h"

namespace hearth::router {

std::string iso_now() {
  auto now = std::chrono::system_clock::now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03dZ", buf, static_cast<int>(ms));
  return out;
}

json LedgerRecord::to_json() const {
  json j = {{"time", time}, {"request_id", request_id}, {"provider", provider}, {"model", model},
            {"status", status}, {"input_tokens", input_tokens}, {"output_tokens", output_tokens},
            {"cost_usd", cost_usd}, {"memory_ids", memory_ids}};
  if (!key.empty()) j["key"] = key;
  return j;
}

LedgerRecord LedgerRecord::from_json(const json& j) {
  LedgerRecord r;
  r.time = j.at("time").get<std::string>();
  r.request_id = j.value("request_id", "");
  r.provider = j.at("provider").get<std::string>();
  r.model = j.value("model", "");
  r.key = j.value("key", "");
  r.status = j.value("status", "ok");
  r.input_tokens = j.value("input_tokens", int64_t{0});
  r.output_tokens = j.value("output_tokens", int64_t{0});
  r.cost_usd = j.value("cost_usd", 0.0);
  if (j.contains("memory_ids") && j["memory_ids"].is_array()) r.memory_ids = j["memory_ids"].get<std::vector<std::string>>();
  return r;
}

Ledger::Ledger(std::filesystem::path dir) : dir_(std::move(dir)) {}

void Ledger::append(LedgerRecord r) {
  if (r.time.empty()) r.time = iso_now();
  std::string line = r.to_json().dump() + "\n";
  std::lock_guard<std::mutex> lk(mu_);
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  auto path = dir_ / (r.time.substr(0, 7) + ".jsonl");
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) fail(Errc::io, "ledger: cannot open " + path.string() + ": " + std::strerror(errno));
  // One write() of the whole line: O_APPEND keeps concurrent writers from interleaving.
  size_t off = 0;
  while (off < line.size()) {
    ssize_t n = ::write(fd, line.data() + off, line.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int e = errno;
      ::close(fd);
      fail(Errc::io, "ledger: write to " + path.string() + " failed: " + std::strerror(e));
    }
    off += static_cast<size_t>(n);
  }
  ::fsync(fd);
  ::close(fd);
}

std::vector<LedgerRecord> Ledger::read(const std::string& since, size_t* skipped) const {
  std::vector<LedgerRecord> out;
  size_t bad = 0;
  std::error_code ec;
  if (!std::filesystem::is_directory(dir_, ec)) return out;
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir_, ec))
    if (e.path().extension() == ".jsonl") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    // Skip whole months before `since`.
    std::string month = f.stem().string();
    if (!since.empty() && month < since.substr(0, 7)) continue;
    std::ifstream in(f);
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty()) continue;
      auto j = json::parse(line, nullptr, false);
      if (j.is_discarded() || !j.is_object()) { ++bad; continue; }  // e.g. a torn last line
      try {
        auto r = LedgerRecord::from_json(j);
        if (!since.empty() && r.time < since) continue;
        out.push_back(std::move(r));
      } catch (const std::exception&) {
        ++bad;
      }
    }
  }
  if (skipped) *skipped = bad;
  return out;
}

Budget::Budget(BudgetConfig cfg, const Ledger* ledger) : cfg_(std::move(cfg)) {
  if (!ledger || (cfg_.global_usd <= 0 && cfg_.keys.empty())) return;
  for (const auto& r : ledger->read()) {
    auto p = period_key(r.time);
    global_[p] += r.cost_usd;
    if (!r.key.empty()) per_key_[p][r.key] += r.cost_usd;
  }
}

std::string Budget::period_key(const std::string& t) const {
  switch (cfg_.period) {
    case Period::day: return t.substr(0, 10);
    case Period::month: return t.substr(0, 7);
    case Period::all: return "all";
  }
  return "all";
}

double Budget::spent(const std::string& key) const {
  std::lock_guard<std::mutex> lk(mu_);
  auto p = period_key(iso_now());
  if (key.empty()) {
    auto it = global_.find(p);
    return it == global_.end() ? 0 : it->second;
  }
  auto it = per_key_.find(p);
  if (it == per_key_.end()) return 0;
  auto k = it->second.find(key);
  return k == it->second.end() ? 0 : k->second;
}

void Budget::check(const std::string& key) const {
  if (cfg_.global_usd > 0) {
    double s = spent("");
    if (s >= cfg_.global_usd)
      throw ProviderError(ErrorKind::budget, "global budget exhausted: spent $" + std::to_string(s) + " of $" + std::to_string(cfg_.global_usd));
  }
  if (!key.empty()) {
    auto it = cfg_.keys.find(key);
    if (it != cfg_.keys.end()) {
      double s = spent(key);
      if (s >= it->second)
        throw ProviderError(ErrorKind::budget, "budget for key '" + key + "' exhausted: spent $" + std::to_string(s) + " of $" + std::to_string(it->second));
    }
  }
}

void Budget::add(const std::string& key, double cost) {
  if (cost <= 0) return;
  std::lock_guard<std::mutex> lk(mu_);
  auto p = period_key(iso_now());
  global_[p] += cost;
  if (!key.empty()) per_key_[p][key] += cost;
}

}  // namespace hearth::router
