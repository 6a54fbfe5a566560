// Causal grouped-query attention as model::attention: one workgroup per (query row, head). The
// query sits in shared memory; the keys [first, pos] are walked in chunks of WG positions, one
// score per invocation, and each invocation owns output dimensions lid, lid + WG (head_dim_v <=
// 2 WG). F32 values take an online softmax (running maximum m and sum l; what was accumulated is
// rescaled when m grows), so nothing grows with the context. F16 values follow the CPU, which
// rounds the normalized weights to F16 before they multiply the values: a first walk finds the
// final m and l, a second computes the scores again and adds the rounded weights.
#version 450
#extension GL_GOOGLE_include_directive : require
#include "common.glsl"
#include "layer_math.glsl"

#define MAX_HEAD_DIM 256
#define DIMS (MAX_HEAD_DIM / WG)  // output dimensions per invocation

layout(local_size_x = WG) in;
layout(std430, binding = 0) readonly buffer Q { float q[]; };
layout(std430, binding = 1) readonly buffer K { uint kc[]; };  // F32 bits or pairs of halves
layout(std430, binding = 2) readonly buffer V { uint vc[]; };
layout(std430, binding = 3) readonly buffer Sinks { float sinks[]; };
layout(std430, binding = 4) writeonly buffer Out { float o[]; };
layout(push_constant) uniform Params {
  uint n_tokens;
  uint q_row0;
  uint pos0;
  uint n_head;
  uint n_head_kv;
  uint head_dim_k;
  uint head_dim_v;
  uint window;  // 0: none
  float scale;
  float softcap;  // 0: none
  float inv_softcap;
  uint k_f16;
  uint v_f16;
  uint has_sinks;
} p;

shared float q_sh[MAX_HEAD_DIM];
shared float w_sh[WG];  // the chunk's weights
shared float max_scratch[WG];

// Every invocation gets the maximum of v over the workgroup. Call from uniform control flow.
float workgroup_max(float v) {
#ifdef HEARTH_SUBGROUP
  v = subgroupMax(v);
  if (subgroupElect()) max_scratch[gl_SubgroupID] = v;
  barrier();
  float r = max_scratch[0];
  for (uint i = 1; i < gl_NumSubgroups; ++i) r = max(r, max_scratch[i]);
#else
  const uint t = gl_LocalInvocationID.x;
  max_scratch[t] = v;
  barrier();
  for (uint s = WG / 2; s > 0; s >>= 1) {
    if (t < s) max_scratch[t] = max(max_scratch[t], max_scratch[t + s]);
    barrier();
  }
  const float r = max_scratch[0];
#endif
  barrier();
  return r;
}

float k_at(uint e) { return p.k_f16 != 0 ? unpackHalf2x16(kc[e >> 1])[e & 1] : uintBitsToFloat(kc[e]); }
float v_at(uint e) { return p.v_f16 != 0 ? unpackHalf2x16(vc[e >> 1])[e & 1] : uintBitsToFloat(vc[e]); }

// The scaled (and soft-capped) score of key position j for KV head g, as the CPU forms it.
float score(uint j, uint g) {
  const uint base = (j * p.n_head_kv + g) * p.head_dim_k;
  float s = 0.0;
  if (p.k_f16 != 0 && (p.head_dim_k & 1) == 0) {
    // Whole words (the head starts on one): each half read once, summed in the same order.
    for (uint i = 0; i < p.head_dim_k / 2; ++i) {
      const vec2 kk = unpackHalf2x16(kc[base / 2 + i]);
      s += q_sh[2 * i] * kk.x;
      s += q_sh[2 * i + 1] * kk.y;
    }
  } else {
    for (uint d = 0; d < p.head_dim_k; ++d) s += q_sh[d] * k_at(base + d);
  }
  s *= p.scale;
  if (p.softcap > 0.0) s = p.softcap * safe_tanh(s * p.inv_softcap);
  return s;
}

void main() {
  const uint item = group_index();
  if (item >= p.n_tokens * p.n_head) return;  // the whole workgroup: barriers stay uniform
  const uint t = item / p.n_head, h = item % p.n_head;
  const uint g = h / (p.n_head / p.n_head_kv);
  const uint lid = gl_LocalInvocationID.x;
  const uint pos = p.pos0 + t;
  const uint first = p.window > 0 && pos + 1 > p.window ? pos + 1 - p.window : 0;
  const uint end = pos + 1;
  const float neg_inf = uintBitsToFloat(0xff800000u);

  // F16 keys: the query is rounded to F16 as the CPU rounds the key type's dot operand.
  const uint q_base = ((p.q_row0 + t) * p.n_head + h) * p.head_dim_k;
  for (uint d = lid; d < p.head_dim_k; d += WG) q_sh[d] = p.k_f16 != 0 ? f16_round(q[q_base + d]) : q[q_base + d];
  barrier();

  float m = neg_inf, l = 0.0;
  float acc[DIMS];
  for (uint i = 0; i < DIMS; ++i) acc[i] = 0.0;
  const bool online = p.v_f16 == 0;  // else the first walk only finds m and l
  for (uint c = first; c < end; c += WG) {
    const uint j = c + lid;
    const float s = j < end ? score(j, g) : neg_inf;
    const float m_new = max(m, workgroup_max(s));
    const float w = j < end ? exp(s - m_new) : 0.0;
    const float f = l > 0.0 && m_new > m ? exp(m - m_new) : 1.0;  // re-expresses the old sums
    l = l * f + workgroup_sum(w);
    m = m_new;
    if (!online) continue;
    w_sh[lid] = w;
    barrier();
    const uint n = min(uint(WG), end - c);
    for (uint i = 0; i < DIMS; ++i) {
      const uint d = lid + i * WG;
      if (d >= p.head_dim_v) break;
      float a = acc[i] * f;
      for (uint r = 0; r < n; ++r) a += w_sh[r] * v_at(((c + r) * p.n_head_kv + g) * p.head_dim_v + d);
      acc[i] = a;
    }
    barrier();  // w_sh is rewritten by the next chunk
  }

  // The sink is one more logit with no value: it joins the maximum and the sum only.
  float f = 1.0;
  if (p.has_sinks != 0) {
    const float sink = sinks[h];
    const float m_new = max(m, sink);
    f = l > 0.0 && m_new > m ? exp(m - m_new) : 1.0;
    l = l * f + exp(sink - m_new);
    m = m_new;
  }

  const uint o_base = ((p.q_row0 + t) * p.n_head + h) * p.head_dim_v;
  if (online) {
    const float norm = f / l;  // the CPU's order: acc * (f / l)
    for (uint i = 0; i < DIMS; ++i) {
      const uint d = lid + i * WG;
      if (d < p.head_dim_v) o[o_base + d] = acc[i] * norm;
    }
    return;
  }

  // F16 values: the second walk, with the normalized weights rounded to F16.
  const float inv_l = 1.0 / l;
  for (uint c = first; c < end; c += WG) {
    const uint j = c + lid;
    w_sh[lid] = j < end ? f16_round(exp(score(j, g) - m) * inv_l) : 0.0;
    barrier();
    const uint n = min(uint(WG), end - c);
    for (uint i = 0; i < DIMS; ++i) {
      const uint d = lid + i * WG;
      if (d >= p.head_dim_v) break;
      float a = acc[i];
      for (uint r = 0; r < n; ++r) a += w_sh[r] * v_at(((c + r) * p.n_head_kv + g) * p.head_dim_v + d);
      acc[i] = a;
    }
    barrier();
  }
  for (uint i = 0; i < DIMS; ++i) {
    const uint d = lid + i * WG;
    if (d < p.head_dim_v) o[o_base + d] = acc[i];
  }
}
