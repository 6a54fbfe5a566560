// Constants that define the non-linear quantization formats (GGUF/ggml file formats): code books
// and value tables. They are part of the file format, so they must be exactly these numbers.
#pragma once
#include <cstdint>

namespace hearth::tensor {

// IQ4_NL and IQ4_XS: the 16 values a 4-bit code stands for (before the block scale).
extern const int8_t kIq4NlValues[16];

// IQ3_S: 512 grid points of 4 magnitudes each (odd values 1..15), one byte per magnitude, the
// first magnitude in the lowest byte. A 9-bit index selects one.
extern const uint32_t kIq3sGrid[512];

// MXFP4 (OCP Microscaling, E2M1 elements): the 16 codes' values, doubled so they are integers
// (0, 0.5, 1, 1.5, 2, 3, 4, 6 and their negatives, times two). The block's E8M0 scale is halved
// to compensate (see quant_mxfp4.cpp).
extern const int8_t kE2M1Doubled[16];

}  // namespace hearth::tensor
