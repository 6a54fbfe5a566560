// A JSON description of a GGUF file: header, architecture hyper-parameters, tokenizer summary,
// all metadata (long arrays summarised) and the tensor table with totals. `hearth inspect` prints
// it; anything else that shows a model's details (e.g. an HTTP "show model" endpoint) can reuse it.
#pragma once
#include <cstddef>
#include <string>

#include "core/json.h"
#include "gguf/gguf.h"

namespace hearth::gguf {

struct SummaryOptions {
  bool tensors = true;           // include the per-tensor table
  size_t max_array_items = 16;   // arrays up to this length are listed in full
};

ordered_json summarize(const File& f, const SummaryOptions& opt = {});

// One metadata value as JSON. float32 values are printed with the shortest decimal that reads
// back to the same float; arrays longer than `max_array_items` become
// {"type": "array", "elem_type": ..., "length": N}.
ordered_json value_to_json(const Value& v, size_t max_array_items);

// The same value for a terminal: strings quoted, escaped and cut to `max_chars`; long arrays as
// "[N items of TYPE]".
std::string value_to_text(const Value& v, size_t max_array_items, size_t max_chars);

}  // namespace hearth::gguf
