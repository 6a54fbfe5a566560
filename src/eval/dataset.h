// Documents for a task from local files: JSONL (one object a line), JSON (an array of objects, or
// an object holding one), CSV (header row, RFC 4180 quoting), plain text (one document with field
// "text"), or a folder holding split files. Malformed input is an Error naming file and line.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "core/json.h"

namespace hearth::eval {

struct Doc {
  ordered_json fields;  // always an object
  std::string origin;   // "file:line", for messages
};

// Reads one file by its extension (.jsonl, .json, .csv, .txt).
std::vector<Doc> load_file(const std::string& path);
// Parses text as `kind` ("jsonl", "json", "csv", "txt"); `source` names it in errors.
std::vector<Doc> parse_docs(const std::string& text, const std::string& kind, const std::string& source);

// The documents of one split. `path` is a file (every split is that file), a folder
// (PATH/SPLIT/NAME.ext, PATH/NAME/SPLIT.ext, PATH/SPLIT.ext, or every file in PATH/SPLIT/), or
// "builtin:NAME" (data compiled in). Throws Error(not_found) listing where it looked.
std::vector<Doc> load_split(const std::string& path, const std::string& name, const std::string& split);

// lm-eval's local-file form: dataset_path names a Hugging Face builder ("json" for JSON Lines or a
// JSON array, "csv") and dataset_kwargs.data_files maps each split to its files, read in order.
// Throws Error(not_found) naming the split and the splits there are.
std::vector<Doc> load_data_files(const std::string& builder, const std::map<std::string, std::vector<std::string>>& files,
                                 const std::string& split);

}  // namespace hearth::eval
