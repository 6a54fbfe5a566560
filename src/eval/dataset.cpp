#include "eval/dataset.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "eval/builtin.h"

namespace hearth::eval {
namespace fs = std::filesystem;
namespace {

constexpr size_t kMaxFileBytes = size_t(2) << 30;

std::string read_all(const std::string& path) {
  std::error_code ec;
  auto size = fs::file_size(path, ec);
  if (ec) fail(Errc::not_found, path + ": cannot read dataset file (" + ec.message() + ")");
  if (size > kMaxFileBytes) fail(Errc::out_of_range, path + ": dataset file larger than 2 GiB");
  std::ifstream f(path, std::ios::binary);
  if (!f) fail(Errc::io, path + ": cannot open dataset file");
  std::string s(size, '\0');
  f.read(s.data(), static_cast<std::streamsize>(size));
  return s;
}

std::string lower_extension(const std::string& path) {
  std::string ext = fs::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), ::tolower);
  return ext;
}

// Parquet needs a reader no Debian package offers for C++; the repository's converter (npm
// hyparquet) turns it into JSON Lines.
void refuse_parquet(const std::string& path) {
  if (lower_extension(path) == ".parquet")
    fail(Errc::unsupported, path + ": Parquet files are not read directly; convert it with `node scripts/parquet-to-jsonl.mjs " +
                                path + "` (see docs/eval.md) and name the .jsonl instead");
}

std::string kind_of(const std::string& path) {
  refuse_parquet(path);
  const std::string ext = lower_extension(path);
  if (ext == ".jsonl" || ext == ".ndjson") return "jsonl";
  if (ext == ".json") return "json";
  if (ext == ".csv") return "csv";
  if (ext == ".txt" || ext == ".raw" || ext == ".tokens") return "txt";
  fail(Errc::unsupported, path + ": unknown dataset file type '" + ext + "' (.jsonl, .json, .csv or .txt)");
}

// Line number of a byte offset (1-based).
size_t line_at(const std::string& text, size_t offset) {
  return 1 + static_cast<size_t>(std::count(text.begin(), text.begin() + std::min(offset, text.size()), '\n'));
}

std::vector<Doc> parse_jsonl(const std::string& text, const std::string& src) {
  std::vector<Doc> out;
  size_t line = 0, pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) nl = text.size();
    ++line;
    std::string_view l(text.data() + pos, nl - pos);
    while (!l.empty() && (l.back() == '\r' || l.back() == ' ' || l.back() == '\t')) l.remove_suffix(1);
    if (!l.empty()) {
      ordered_json j;
      try {
        j = ordered_json::parse(l);
      } catch (const std::exception& e) {
        fail(Errc::format, src + ":" + std::to_string(line) + ": not valid JSON: " + e.what());
      }
      if (!j.is_object()) fail(Errc::format, src + ":" + std::to_string(line) + ": each line must be a JSON object");
      out.push_back({std::move(j), src + ":" + std::to_string(line)});
    }
    pos = nl + 1;
  }
  return out;
}

std::vector<Doc> parse_json(const std::string& text, const std::string& src) {
  ordered_json j;
  try {
    j = ordered_json::parse(text);
  } catch (const ordered_json::parse_error& e) {
    fail(Errc::format, src + ":" + std::to_string(line_at(text, e.byte > 0 ? e.byte - 1 : 0)) +
                           ": not valid JSON: " + e.what());
  }
  // {"data": [...]} or {"test": [...]}: the first array member holds the records.
  if (j.is_object()) {
    for (auto& [k, v] : j.items())
      if (v.is_array()) {
        j = v;
        break;
      }
  }
  if (!j.is_array()) fail(Errc::format, src + ":1: expected an array of objects");
  std::vector<Doc> out;
  for (size_t i = 0; i < j.size(); ++i) {
    if (!j[i].is_object()) fail(Errc::format, src + ": record " + std::to_string(i) + " is not an object");
    out.push_back({std::move(j[i]), src + ": record " + std::to_string(i)});
  }
  return out;
}

// RFC 4180: fields separated by commas, quoted fields may hold commas, quotes ("") and newlines.
std::vector<Doc> parse_csv(const std::string& text, const std::string& src) {
  std::vector<std::vector<std::string>> rows;
  std::vector<size_t> row_lines;
  std::vector<std::string> row;
  std::string field;
  size_t line = 1, row_start = 1, quote_line = 0;
  bool in_quotes = false, field_started = false, any = false;
  auto end_field = [&] {
    row.push_back(std::move(field));
    field.clear();
    field_started = false;
  };
  auto end_row = [&] {
    if (any || !row.empty() || field_started) {
      end_field();
      rows.push_back(std::move(row));
      row_lines.push_back(row_start);
    }
    row.clear();
    any = false;
  };
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_quotes) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          in_quotes = false;
        }
      } else {
        if (c == '\n') ++line;
        field += c;
      }
      continue;
    }
    if (c == '"') {
      if (!field.empty())
        fail(Errc::format, src + ":" + std::to_string(line) + ": quote inside an unquoted field");
      in_quotes = true;
      field_started = true;
      quote_line = line;
      any = true;
    } else if (c == ',') {
      end_field();
      any = true;
    } else if (c == '\r') {
      continue;
    } else if (c == '\n') {
      end_row();
      ++line;
      row_start = line;
    } else {
      field += c;
      field_started = true;
      any = true;
    }
  }
  if (in_quotes) fail(Errc::format, src + ":" + std::to_string(quote_line) + ": quoted field never closed");
  end_row();
  if (rows.empty()) fail(Errc::format, src + ":1: empty CSV (a header row is required)");
  const auto& header = rows[0];
  std::vector<Doc> out;
  for (size_t r = 1; r < rows.size(); ++r) {
    if (rows[r].size() != header.size())
      fail(Errc::format, src + ":" + std::to_string(row_lines[r]) + ": expected " + std::to_string(header.size()) +
                             " fields (as in the header), found " + std::to_string(rows[r].size()));
    ordered_json o = ordered_json::object();
    for (size_t c = 0; c < header.size(); ++c) o[header[c]] = rows[r][c];
    out.push_back({std::move(o), src + ":" + std::to_string(row_lines[r])});
  }
  return out;
}

}  // namespace

std::vector<Doc> parse_docs(const std::string& text, const std::string& kind, const std::string& src) {
  if (kind == "jsonl") return parse_jsonl(text, src);
  if (kind == "json") return parse_json(text, src);
  if (kind == "csv") return parse_csv(text, src);
  if (kind == "txt") return {Doc{ordered_json{{"text", text}}, src + ":1"}};
  fail(Errc::unsupported, src + ": unknown dataset kind '" + kind + "'");
}

std::vector<Doc> load_file(const std::string& path) { return parse_docs(read_all(path), kind_of(path), path); }

std::vector<Doc> load_split(const std::string& path, const std::string& name, const std::string& split) {
  if (path.rfind("builtin:", 0) == 0) {
    std::string key = path.substr(8);
    auto it = builtin_data().find(key);
    if (it == builtin_data().end()) fail(Errc::not_found, "no built-in data set '" + key + "'");
    return parse_docs(it->second, kind_of(key), path);
  }
  std::error_code ec;
  if (fs::is_regular_file(path, ec)) return load_file(path);
  if (!fs::is_directory(path, ec)) fail(Errc::not_found, path + ": dataset_path does not exist");
  std::vector<std::string> tried;
  const char* exts[] = {".jsonl", ".json", ".csv", ".txt"};
  auto try_stem = [&](const fs::path& stem) -> std::string {
    for (const char* e : exts) {
      fs::path p = stem;
      p += e;
      tried.push_back(p.string());
      if (fs::is_regular_file(p, ec)) return p.string();
    }
    fs::path parquet = stem;
    parquet += ".parquet";
    if (fs::is_regular_file(parquet, ec)) refuse_parquet(parquet.string());
    return {};
  };
  fs::path root(path);
  std::string found;
  if (!name.empty()) {
    found = try_stem(root / split / name);
    if (found.empty()) found = try_stem(root / split / (name + "_" + split));  // MMLU's layout
    if (found.empty()) found = try_stem(root / name / split);
  }
  if (found.empty()) found = try_stem(root / split);
  if (!found.empty()) return load_file(found);
  if (name.empty() && fs::is_directory(root / split, ec)) {
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(root / split)) {
      if (e.is_regular_file()) files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    std::vector<Doc> all;
    for (const auto& f : files) {
      auto d = load_file(f.string());
      all.insert(all.end(), std::make_move_iterator(d.begin()), std::make_move_iterator(d.end()));
    }
    return all;
  }
  std::string msg = path + ": no file for split '" + split + "'" + (name.empty() ? "" : " of '" + name + "'") + "; looked for";
  for (size_t i = 0; i < tried.size() && i < 6; ++i) msg += " " + tried[i];
  fail(Errc::not_found, msg);
}

std::vector<Doc> load_data_files(const std::string& builder, const std::map<std::string, std::vector<std::string>>& files,
                                 const std::string& split) {
  auto it = files.find(split);
  if (it == files.end()) {
    std::string have;
    for (const auto& [k, v] : files) have += (have.empty() ? "" : ", ") + k;
    fail(Errc::not_found, "dataset_kwargs.data_files has no split '" + split + "' (it has: " + have + ")");
  }
  std::vector<Doc> all;
  for (const auto& f : it->second) {
    refuse_parquet(f);
    std::string kind = builder == "csv" ? "csv" : kind_of(f) == "json" ? "json" : "jsonl";
    auto d = parse_docs(read_all(f), kind, f);
    all.insert(all.end(), std::make_move_iterator(d.begin()), std::make_move_iterator(d.end()));
  }
  return all;
}

}  // namespace hearth::eval
