#include "router/ledger.h"

#include <fcntl.h>
#include <sys/stat.h>
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
  if (!attempt.empty()) j["attempt"] = attempt;
  if (sent_line) j["phase"] = "sent";
  if (estimated) j["estimated"] = true;
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
  r.attempt = j.value("attempt", "");
  r.sent_line = j.value("phase", "") == "sent";
  r.estimated = j.value("estimated", false);
  return r;
}

Ledger::Ledger(std::filesystem::path dir) : dir_(std::move(dir)) {}

Ledger::~Ledger() {
  {
    std::lock_guard<std::mutex> lk(mu_);
    stop_ = true;
  }
  work_cv_.notify_all();
  if (flusher_.joinable()) flusher_.join();
}

uint64_t Ledger::write(LedgerRecord r) {
  if (r.time.empty()) r.time = iso_now();
  const std::string month = r.time.substr(0, 7);
  const std::string text = r.to_json().dump() + "\n";
  // The write itself runs outside the lock: an append that the file system stalls (a journal
  // commit in progress) then delays only its own request. The folder is made only when the file
  // cannot be opened without it, so a line costs one open, fstat, write and close.
  const auto path = dir_ / (month + ".jsonl");
  // O_APPEND keeps concurrent lines (other threads, a second gateway) from interleaving.
  const auto open_file = [&] { return ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600); };
  int fd = open_file();
  if (fd < 0 && errno == ENOENT) {
    std::error_code ec;
    std::filesystem::create_directories(dir_, ec);
    fd = open_file();
  }
  if (fd < 0) fail(Errc::io, "ledger: cannot open " + path.string() + ": " + std::strerror(errno));
  struct stat st {};
  const bool created = ::fstat(fd, &st) == 0 && st.st_size == 0;  // (an empty file: one extra folder sync)
  size_t off = 0;
  while (off < text.size()) {
    ssize_t n = ::write(fd, text.data() + off, text.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int e = errno;
      ::close(fd);
      fail(Errc::io, "ledger: write to " + path.string() + " failed: " + std::strerror(e));
    }
    off += static_cast<size_t>(n);
  }
  ::close(fd);
  // The sequence number is taken after the write, so a flush that starts after it was handed
  // out covers the line (and a flush may cover lines whose numbers come later: harmless).
  std::lock_guard<std::mutex> lk(mu_);
  // Started here rather than in the constructor: a Ledger opened only to read needs no thread.
  // It cannot miss this line: it checks written_ under the lock before it first waits.
  if (!flusher_.joinable()) flusher_ = std::thread([this] { flush_loop(); });
  dirty_.insert(month);
  new_file_ = new_file_ || created;
  work_cv_.notify_one();
  return ++written_;
}

void Ledger::sync(uint64_t seq) {
  std::unique_lock<std::mutex> lk(mu_);
  done_cv_.wait(lk, [&] { return durable_ >= seq; });
  for (const auto& [range, error] : failed_)
    if (seq >= range.first && seq <= range.second) fail(Errc::io, error);
}

// Each pass takes every line written so far: the lines written while one fdatasync runs share
// the next one.
void Ledger::flush_loop() {
  std::unique_lock<std::mutex> lk(mu_);
  while (true) {
    work_cv_.wait(lk, [&] { return stop_ || written_ > durable_; });
    if (written_ == durable_) return;  // stopping, nothing left
    const uint64_t from = durable_ + 1, to = written_;
    std::set<std::string> months;
    months.swap(dirty_);
    const bool new_file = new_file_;
    new_file_ = false;
    lk.unlock();
    const std::string error = sync_files(months, new_file);
    lk.lock();
    durable_ = to;
    ++commits_;
    if (!error.empty()) {
      failed_.push_back({{from, to}, error});
      if (failed_.size() > 256) failed_.pop_front();
    }
    done_cv_.notify_all();
  }
}

uint64_t Ledger::commits() const {
  std::lock_guard<std::mutex> lk(mu_);
  return commits_;
}

std::string Ledger::sync_files(const std::set<std::string>& months, bool new_file) const {
  std::string error;
  for (const auto& month : months) {
    // fdatasync works on the file, whichever descriptor names it.
    const auto path = dir_ / (month + ".jsonl");
    int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
    if (fd < 0) {
      error = "ledger: cannot open " + path.string() + " to sync it: " + std::strerror(errno);
      continue;
    }
    if (::fdatasync(fd) != 0) error = "ledger: fdatasync of " + path.string() + " failed: " + std::strerror(errno);
    ::close(fd);
  }
  if (new_file) {  // a new file's directory entry must be durable too
    int dfd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
      ::fsync(dfd);
      ::close(dfd);
    }
  }
  return error;
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
  // An attempt's outcome line replaces its "sent" line in place; both carry the send time, so
  // they are in the same month's file.
  std::map<std::string, size_t> open_attempts;
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
        if (!r.attempt.empty()) {
          auto it = open_attempts.find(r.attempt);
          if (it != open_attempts.end() && !r.sent_line) {
            out[it->second] = std::move(r);
            open_attempts.erase(it);
            continue;
          }
          if (r.sent_line) open_attempts[r.attempt] = out.size();
        }
        out.push_back(std::move(r));
      } catch (const std::exception&) {
        ++bad;
      }
    }
  }
  for (const auto& [_, i] : open_attempts) out[i].status = "sent";  // no outcome: killed, or still running
  for (auto& r : out) r.sent_line = false;
  if (skipped) *skipped = bad;
  return out;
}

Budget::Budget(BudgetConfig cfg, const Ledger* ledger) : cfg_(std::move(cfg)), ledger_(ledger) {
  if (cfg_.global_usd > 0 || !cfg_.keys.empty()) load(ledger_);
}

void Budget::load(const Ledger* ledger) {
  if (loaded_ || !ledger) return;
  loaded_ = true;
  for (const auto& r : ledger->read()) {
    const std::string day = r.time.substr(0, 10);
    spend_[""][day] += r.cost_usd;
    if (!r.key.empty()) spend_[r.key][day] += r.cost_usd;
  }
}

void Budget::set_key_limits(KeyLimit fn) {
  std::lock_guard<std::mutex> lk(mu_);
  key_limits_ = std::move(fn);
  load(ledger_);
}

std::optional<std::pair<double, Period>> Budget::key_limit(const std::string& key) const {
  if (key.empty()) return std::nullopt;
  if (auto it = cfg_.keys.find(key); it != cfg_.keys.end()) return std::make_pair(it->second, cfg_.period);
  if (key_limits_) return key_limits_(key);
  return std::nullopt;
}

double Budget::spent_locked(const std::string& key, Period period) const {
  auto it = spend_.find(key);
  if (it == spend_.end()) return 0;
  const std::string today = iso_now().substr(0, 10);
  double sum = 0;
  for (const auto& [day, usd] : it->second)
    if (period == Period::all || (period == Period::month && day.compare(0, 7, today, 0, 7) == 0) || day == today) sum += usd;
  return sum;
}

double Budget::spent(const std::string& key) const {
  std::lock_guard<std::mutex> lk(mu_);
  auto lim = key_limit(key);
  return spent_locked(key, lim ? lim->second : cfg_.period);
}

double Budget::spent(const std::string& key, Period period) const {
  std::lock_guard<std::mutex> lk(mu_);
  return spent_locked(key, period);
}

double Budget::reserved(const std::string& key) const {
  std::lock_guard<std::mutex> lk(mu_);
  double sum = 0;
  for (const auto& [_, h] : holds_)
    if (key.empty() || h.key == key) sum += h.usd;
  return sum;
}

bool Budget::limited(const std::string& key) const {
  if (cfg_.global_usd > 0) return true;
  std::lock_guard<std::mutex> lk(mu_);
  auto lim = key_limit(key);
  return lim && lim->first > 0;
}

namespace {
std::string usd(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "$%.6g", v);
  return b;
}
}  // namespace

uint64_t Budget::reserve(const std::string& key, double worst, const std::string& what) {
  if (!limited(key)) return 0;
  std::lock_guard<std::mutex> lk(mu_);
  auto over = [&](const std::string& k, double limit, Period period, const std::string& label) {
    double held = 0;
    for (const auto& [_, h] : holds_)
      if (k.empty() || h.key == k) held += h.usd;
    const double s = spent_locked(k, period);
    if (s + held + worst > limit)
      throw ProviderError(ErrorKind::budget, label + " would be exceeded: spent " + usd(s) +
                                                 (period == Period::day ? " today" : period == Period::month ? " this month" : "") + ", " + usd(held) +
                                                 " reserved by calls in flight, and up to " + usd(worst) + " for this call (" + what +
                                                 ") against a limit of " + usd(limit));
  };
  if (cfg_.global_usd > 0) over("", cfg_.global_usd, cfg_.period, "the global budget");
  if (auto lim = key_limit(key); lim && lim->first > 0)
    over(key, lim->first, lim->second, "the budget for key '" + key + "'");
  const uint64_t id = next_hold_++;
  holds_[id] = {key, worst};
  return id;
}

void Budget::settle(uint64_t reservation, const std::string& key, double cost) {
  std::lock_guard<std::mutex> lk(mu_);
  if (reservation) holds_.erase(reservation);
  if (cost <= 0) return;
  const std::string day = iso_now().substr(0, 10);
  spend_[""][day] += cost;
  if (!key.empty()) spend_[key][day] += cost;
}

}  // namespace hearth::router
