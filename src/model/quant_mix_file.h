// Converting a whole GGUF file to a file type (`hearth quantize`): F32/F16/BF16 weights become
// the mix plan_types picks; everything else (norms, biases, metadata) is copied. Metadata is
// updated as llama-quantize updates it (general.quantization_version, general.file_type), so
// quantizing the same F32 file gives llama.cpp's bytes for the types whose quantizer matches.
// Streams tensor by tensor: memory stays a few MB above the input's page cache.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "model/quant_mix.h"

namespace hearth::model {

struct QuantizeOptions {
  std::string in, out;
  FileType type = FileType::Q8_0;
  int n_threads = 0;  // <= 0: all hardware threads
};

struct QuantizedTensor {
  std::string name;
  tensor::Type from = tensor::Type::F32, to = tensor::Type::F32;
  int64_t n_elements = 0;
  double rmse = 0;  // of the converted values vs the source (0 when copied)
};

struct QuantizeReport {
  uint64_t in_bytes = 0, out_bytes = 0;
  std::vector<QuantizedTensor> tensors;
  double rmse = 0;  // over every converted weight element
};

// Throws Error(not_found|format) for a bad input, Error(unsupported) when a tensor that would
// be converted is already quantized (re-quantizing loses precision twice), Error(io) on write.
QuantizeReport quantize_file(const QuantizeOptions& opts);

}  // namespace hearth::model
