#include "hub/model_store.h"

#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/clock.h"
#include "core/error.h"
#include "core/json.h"
#include "core/paths.h"
#include "gguf/gguf.h"
#include "hub/catalog.h"

namespace hearth::hub {
namespace fs = std::filesystem;
namespace {

fs::path index_path() { return fs::path(models_dir()) / "index.json"; }

std::string now_iso() { return utc_now_text(); }

std::vector<StoredModel> read_index() {
  std::vector<StoredModel> out;
  std::ifstream in(index_path());
  if (!in) return out;
  json j;
  try {
    in >> j;
  } catch (const json::exception& e) {
    fail(Errc::format, index_path().string() + ": not valid JSON (" + e.what() + ")");
  }
  if (!j.is_object() || !j.contains("models") || !j["models"].is_array())
    fail(Errc::format, index_path().string() + ": expected {\"models\": [...]}");
  for (const auto& m : j["models"]) {
    StoredModel s;
    s.name = m.value("name", "");
    s.path = m.value("path", "");
    s.url = m.value("url", "");
    s.sha256 = m.value("sha256", "");
    s.bytes = m.value("bytes", uint64_t{0});
    s.pulled_at = m.value("pulled_at", "");
    if (!s.name.empty()) out.push_back(std::move(s));
  }
  return out;
}

void write_index(const std::vector<StoredModel>& models) {
  json arr = json::array();
  for (const auto& s : models)
    arr.push_back({{"name", s.name}, {"path", s.path}, {"url", s.url}, {"sha256", s.sha256},
                   {"bytes", s.bytes}, {"pulled_at", s.pulled_at}});
  json j = {{"format", "hearth-models-v1"}, {"models", arr}};
  // Write then rename, so a crash never leaves a half-written index.
  fs::path tmp = index_path();
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << j.dump(2) << "\n";
    if (!out) fail(Errc::io, "cannot write " + tmp.string());
  }
  std::error_code ec;
  fs::rename(tmp, index_path(), ec);
  if (ec) fail(Errc::io, "cannot update " + index_path().string() + ": " + ec.message());
}

void check_gguf(const std::string& path) {
  try {
    gguf::File::open(path);
  } catch (const Error& e) {
    std::error_code ec;
    fs::remove(path, ec);
    fail(Errc::format, "downloaded file is not a usable GGUF model (" + std::string(e.what()) + "); it was deleted");
  }
}

}  // namespace

std::string models_dir() { return hearth_dir("models").string(); }

std::vector<StoredModel> list_models() { return read_index(); }

StoredModel pull(const std::string& spec, const ProgressFn& progress, const std::string& endpoint) {
  ModelRef ref = resolve_ref(spec, endpoint);
  fs::path dest = fs::path(models_dir()) / ref.repo / ref.file;
  auto models = read_index();
  for (const auto& m : models) {
    if (m.name == ref.name && fs::exists(m.path)) {
      if (sha256_file(m.path) != m.sha256)
        fail(Errc::format, m.path + " no longer matches its recorded sha256; run 'hearth rm " + m.name +
                               "' and pull it again");
      return m;
    }
  }
  DownloadResult r = download(ref.url, dest.string(), progress);
  check_gguf(dest.string());
  StoredModel s{ref.name, fs::absolute(dest).string(), ref.url, r.sha256, r.bytes, now_iso()};
  std::erase_if(models, [&](const StoredModel& m) { return m.name == s.name; });
  models.push_back(s);
  write_index(models);
  return s;
}

void remove_model(const std::string& name) {
  auto models = read_index();
  auto it = std::find_if(models.begin(), models.end(), [&](const StoredModel& m) { return m.name == name; });
  if (it == models.end()) fail(Errc::not_found, "no stored model named '" + name + "' (see 'hearth list')");
  const std::string path = it->path;
  models.erase(it);
  // A copy (`copy_model`) shares the file: it goes with the last name that uses it.
  const bool shared = std::any_of(models.begin(), models.end(), [&](const StoredModel& m) { return m.path == path; });
  if (!shared) {
    std::error_code ec;
    fs::remove(path, ec);
    fs::remove(path + ".partial", ec);
  }
  write_index(models);
}

StoredModel copy_model(const std::string& source, const std::string& destination) {
  if (destination.empty()) fail(Errc::invalid_argument, "the copy needs a name");
  auto models = read_index();
  auto it = std::find_if(models.begin(), models.end(), [&](const StoredModel& m) { return m.name == source; });
  if (it == models.end()) fail(Errc::not_found, "no stored model named '" + source + "' (see 'hearth list')");
  if (std::any_of(models.begin(), models.end(), [&](const StoredModel& m) { return m.name == destination; }))
    fail(Errc::invalid_argument, "a stored model is already named '" + destination + "'");
  StoredModel copy = *it;
  copy.name = destination;
  copy.pulled_at = now_iso();
  models.push_back(copy);
  write_index(models);
  return copy;
}

std::string resolve_model_path(const std::string& name_or_path) {
  if (fs::exists(name_or_path)) return name_or_path;
  std::string name = name_or_path.rfind("hf:", 0) == 0 ? name_or_path.substr(3) : name_or_path;
  for (const auto& m : read_index())
    if (m.name == name && fs::exists(m.path)) return m.path;
  bool is_hf = name_or_path.rfind("hf:", 0) == 0;
  bool looks_like_path = name_or_path.find('/') != std::string::npos || name_or_path.ends_with(".gguf");
  if (!is_hf && looks_like_path)
    fail(Errc::not_found, name_or_path + ": no such file");
  fail(Errc::not_found, "model '" + name_or_path + "' is not downloaded; run 'hearth pull " + name_or_path + "'");
}

}  // namespace hearth::hub
