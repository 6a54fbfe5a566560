// The compute kernels on one device: their pipelines, built on first use and kept per Kernels,
// and functions that check shapes and record a kernel into a Sequence. Results match the CPU's
// scalar reference to float summation order (tests/gpu compare them).
//
// Buffers hold floats unless a parameter says otherwise; offsets and sizes are in elements.
// Every function throws hearth::Error: invalid_argument for a shape the buffers cannot hold,
// unsupported for a type without a kernel. One file per group of kernels: kernels.cpp (the
// pipeline cache, RMSNorm), kernels_matmul.cpp, kernels_layer.cpp, kernels_moe.cpp.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "gpu/integer_dot.h"
#include "gpu/pipeline.h"
#include "gpu/sequence.h"
#include "tensor/types.h"

namespace hearth::gpu {

struct KernelOptions {
  // Use subgroup operations where the device has them; false builds the plain shared-memory
  // versions everywhere (the tests run both).
  bool subgroups = true;
  // When to use the integer-dot matmuls (matmul_quantized) the device's packed 8-bit dot product
  // runs (the tests run both paths).
  IntegerDot integer_dot = IntegerDot::automatic;
};

// The gated activations of a feed-forward block (model::FfnActivation).
enum class Glu {
  silu,        // gate = silu(gate) * up
  gelu_f16,    // gate = gelu(gate) * up, GELU's tanh form rounded through F16 as model::geglu_f16
  swiglu_oai,  // gpt-oss: g = min(gate, 7), u = clamp(up, -7, 7), gate = (u + 1) * g * sigmoid(1.702 g)
};

// One sequence's attention over its cache, as model::attention on the CPU.
struct AttentionShape {
  int64_t n_tokens = 0;   // query rows: q rows q_row0 .. q_row0 + n_tokens - 1
  int64_t q_row0 = 0;     // first row of q and of out
  int64_t pos0 = 0;       // position of the first query row; row t attends to [0, pos0 + t]
  int64_t n_head = 0, n_head_kv = 0, head_dim_k = 0, head_dim_v = 0;
  int64_t window = 0;     // > 0: keys at distance >= window are masked
  float scale = 1.0f;     // scores = scale * q.k
  float softcap = 0.0f;   // > 0: scores -> softcap * tanh(scores / softcap)
  tensor::Type k_type = tensor::Type::F32, v_type = tensor::Type::F32;  // F32 or F16
};

// Where a matmul starts inside larger buffers: W's first row (expert e of a stack of `rows`-row
// matrices starts at row e * rows) and x's and y's first column (an expert's share of a routed
// batch). y's rows keep `rows` elements.
struct MatmulSlice {
  int64_t w_row0 = 0;
  int64_t col0 = 0;
};

// The routing of a mixture-of-experts layer for n tokens with k experts each, as the device reads
// it: one uint32 buffer holding four arrays of n * k entries at the given element offsets.
struct MoeRoutes {
  int64_t tokens = 0, k = 0;
  int64_t source = 0;  // per routed row (rows grouped by expert): the token it copies
  int64_t expert = 0;  // per routed row: its expert
  int64_t row = 0;     // per (token, choice j), choices in ascending expert order: its routed row
  int64_t weight = 0;  // per (token, choice j): the choice's weight (float bits)
  int64_t experts = 0;  // experts in the layer: the expert array names one below this
};

class Kernels {
 public:
  explicit Kernels(Context& ctx, KernelOptions options = {});
  bool uses_subgroups() const { return subgroups_; }
  bool uses_integer_dot() const { return integer_dot_; }
  Context& context() const { return ctx_; }

  // ---- kernels_matmul.cpp ----
  // Weight types with a matmul kernel: F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K-Q6_K,
  // IQ4_NL, IQ4_XS and MXFP4. A model dequantizes
  // other types to F32 when it uploads them.
  static bool has_matmul(tensor::Type type);
  // y[c * rows + r] = dot(W row r, x[c * k ...]) for r < rows, c < n: W holds `rows` rows of k
  // elements of `type` in the GGUF block layout (row-major, as tensor::matmul takes them), x n
  // rows of k floats, y n rows of `rows` floats; k a multiple of the type's block size
  // (invalid_argument otherwise). F16 rounds x to F16 first, as the CPU does; the quantized types
  // take x as it is (no activation quantization).
  void matmul(Sequence& seq, const Buffer& W, tensor::Type type, int64_t rows, int64_t k, const Buffer& x,
              const Buffer& y, int64_t n, MatmulSlice at = {}) const;
  // Weight types with an integer-dot matmul: Q8_0 and Q4_0 (taking Q8_0 codes), Q3_K, Q4_K, Q5_K
  // and Q6_K (taking Q8_K codes): the CPU's dot operand for each. Q3_K and Q5_K have no float
  // matmul: without the integer dot product a model dequantizes them to F32.
  static bool has_matmul_quantized(tensor::Type type);
  // x (n floats, n a multiple of act's block: Q8_0 32, Q8_K 256) as the CPU's activation
  // quantizer codes it: `codes` gets the int8 codes four to a 32-bit word (n bytes), `scales`
  // one float per block (Q8_0's F16 scale widened). Other types: unsupported.
  void quantize_activations(Sequence& seq, const Buffer& x, const Buffer& codes, const Buffer& scales, int64_t n,
                            tensor::Type act) const;
  // matmul with x as quantize_activations wrote it (n rows of k, in the weights' activation type),
  // each block's codes dotted in integers and scaled as the CPU's dot does: the CPU's products
  // exactly, summed in another order. Needs uses_integer_dot() (unsupported otherwise).
  void matmul_quantized(Sequence& seq, const Buffer& W, tensor::Type type, int64_t rows, int64_t k,
                        const Buffer& codes, const Buffer& scales, const Buffer& y, int64_t n,
                        MatmulSlice at = {}) const;
  // matmul with n = 1.
  void matvec(Sequence& seq, const Buffer& W, tensor::Type type, int64_t rows, int64_t k, const Buffer& x,
              const Buffer& y) const {
    matmul(seq, W, type, rows, k, x, y, 1);
  }

  // ---- kernels.cpp ----
  // For each of `rows` rows of n floats: y = x / sqrt(mean(x^2) + eps) * w (w may be nullptr:
  // no scale; y may be x), as model::rms_norm does on the CPU.
  void rms_norm(Sequence& seq, const Buffer& x, const Buffer* w, const Buffer& y, int64_t n, int64_t rows,
                float eps) const;

  // ---- kernels_layer.cpp ----
  // x[i] += y[i] for i < n.
  void add(Sequence& seq, const Buffer& x, const Buffer& y, int64_t n) const;
  // x[r * dim + i] += b[i] for r < rows, i < dim.
  void add_bias(Sequence& seq, const Buffer& x, const Buffer& b, int64_t rows, int64_t dim) const;
  // x[i] *= s for i < n.
  void scale(Sequence& seq, const Buffer& x, float s, int64_t n) const;
  // x[i] = cap * tanh(x[i] * (1 / cap)) for i < n, cap > 0 (the final logits' soft cap, in the
  // CPU's order).
  void softcap(Sequence& seq, const Buffer& x, float cap, int64_t n) const;
  // dst[r * dst_stride + c] = src[r * src_stride + src_col0 + c] for r < rows, c < cols (splits
  // fused q/k/v and gate/up rows); the columns must lie inside both rows.
  void copy_cols(Sequence& seq, const Buffer& src, int64_t src_stride, int64_t src_col0, const Buffer& dst,
                 int64_t dst_stride, int64_t rows, int64_t cols) const;
  // RoPE as model::rope_apply: x holds `rows` rows of n_heads heads of head_dim floats (a row is
  // n_heads * head_dim long); the first n_rot dimensions of each head rotate by row r's angles,
  // table[r * n_rot + 2 i] = cos, [.. + 2 i + 1] = sin (model::rope_table's layout, one table
  // per row). Pairs (2i, 2i+1), or (i, i + n_rot/2) when neox; n_rot even and <= head_dim,
  // dimensions past it untouched. Bit-identical to the CPU.
  void rope(Sequence& seq, const Buffer& x, const Buffer& table, int64_t rows, int64_t n_heads, int64_t head_dim,
            int64_t n_rot, bool neox) const;
  // Writes rows src_row0 .. src_row0 + rows - 1 of src (dim floats each) into cache rows pos0 ..
  // pos0 + rows - 1 (dim elements of cache_type, F32 or F16, rounded to nearest even as the CPU
  // does, bit-identical; F16 needs an even dim, so rows start on whole 32-bit words). Other types:
  // unsupported.
  void kv_store(Sequence& seq, const Buffer& src, int64_t src_row0, const Buffer& cache, tensor::Type cache_type,
                int64_t pos0, int64_t rows, int64_t dim) const;
  // Causal grouped-query attention of one sequence, as model::attention: q rows of
  // n_head * head_dim_k floats, k_cache/v_cache rows of n_head_kv * head_dim_{k,v} elements
  // holding positions [0, pos0 + n_tokens), out rows of n_head * head_dim_v floats. sinks
  // (nullptr: none) holds one logit per head that joins each softmax's denominator only.
  // Head dimensions up to 256; F16 cache rows of even length. As on the CPU, F16 keys take the
  // query rounded to F16, and F16 values the normalized weights rounded to F16 (a second walk over
  // the keys). One workgroup per (row, head) with an online softmax over the keys: no scratch
  // grows with the context.
  void attention(Sequence& seq, const Buffer& q, const Buffer& k_cache, const Buffer& v_cache, const Buffer* sinks,
                 const Buffer& out, const AttentionShape& shape) const;
  // y = x (n floats) rounded as the CPU rounds a matmul's activations of type `act` (the weight
  // type's dot operand: Q8_0, Q8_1, Q8_K or BF16; n a multiple of its block), so a matmul with
  // dequantized weights sums the CPU's products. Other types: unsupported. For Q8_1, `sums`
  // (n / 32 floats) gets each block's F16-rounded sum minus the sum of its rounded elements:
  // what a Q4_1/Q5_1 dot multiplies by the weights' block minimum on top of the float dot.
  void round_activations(Sequence& seq, const Buffer& x, const Buffer& y, int64_t n, tensor::Type act,
                         const Buffer* sums = nullptr) const;
  // gate[i] = act(gate[i]) * up[i] for i < n. gelu_f16 gives the CPU's F16 values (within one
  // F16 ulp where exp's last bit decides a rounding); silu and swiglu_oai differ by exp's last bits.
  void glu(Sequence& seq, Glu kind, const Buffer& gate, const Buffer& up, int64_t n) const;

  // ---- kernels_moe.cpp: a mixture of experts, routed on the host (model::moe_route) ----
  // dst row r = src row routes[source + r] (dim floats each) for the n * k routed rows.
  void moe_gather(Sequence& seq, const Buffer& src, const Buffer& routes, const MoeRoutes& r, const Buffer& dst,
                  int64_t dim) const;
  // x row r += bias row routes[expert + r]: the bias holds a row of dim floats for each of
  // r.experts experts (a row naming another expert adds nothing).
  void moe_add_bias(Sequence& seq, const Buffer& x, const Buffer& bias, const Buffer& routes, const MoeRoutes& r,
                    int64_t dim) const;
  // y row t = sum over j < k, in order, of weight(t, j) * src row row(t, j): the model's mixture,
  // summed in the CPU's order (model::moe_ffn adds the experts of a token in ascending order).
  void moe_combine(Sequence& seq, const Buffer& src, const Buffer& routes, const MoeRoutes& r, const Buffer& y,
                   int64_t dim) const;

 private:
  // The pipeline of shader `name` (built once, in the build this Kernels uses).
  const Pipeline& pipeline(const char* name, uint32_t bindings, uint32_t push_bytes) const;

  Context& ctx_;
  bool subgroups_;
  bool integer_dot_;
  mutable std::mutex mutex_;
  mutable std::map<std::string, std::unique_ptr<Pipeline>> pipelines_;
};

}  // namespace hearth::gpu
