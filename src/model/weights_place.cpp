// Load-time placement of weight matrices in one huge-page arena: rewritten into the interleaved
// layout (tensor/interleave.h) where a kernel path pays for it, copied row for row otherwise.
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

#include <sys/mman.h>

#include "core/error.h"
#include "model/weights.h"

namespace hearth::model {
namespace {

// Generation streams every weight once per token, so with 4 KiB pages the page walks cost
// bandwidth; big buffers ask for transparent huge pages (Linux's default THP mode, "madvise",
// gives them only when asked).
OwnedBytes allocate(size_t bytes) {
  constexpr size_t kHuge = size_t(2) << 20;
  const size_t align = bytes >= kHuge ? kHuge : 64;
  OwnedBytes p(static_cast<uint8_t*>(std::aligned_alloc(align, (bytes + align - 1) / align * align)));
#ifdef MADV_HUGEPAGE
  if (p && align == kHuge) ::madvise(p.get(), (bytes + align - 1) / align * align, MADV_HUGEPAGE);
#endif
  return p;
}

}  // namespace

void place_weights(const tensor::Kernels& kernels, Weights& w, const MappedFile* map,
                   std::vector<OwnedBytes>& owned, int64_t first_layer, bool output, bool gpu_experts) {
  std::vector<Weight*> todo;
  for (size_t il = 0; il < w.layers.size(); ++il) {
    LayerWeights& l = w.layers[il];
    if (static_cast<int64_t>(il) < first_layer) {
      // An offloaded layer whose experts the CPU runs.
      if (!gpu_experts)
        for (Weight* m : {&l.gate_exps, &l.up_exps, &l.down_exps})
          if (*m) todo.push_back(m);
      continue;
    }
    for (Weight* m : {&l.wq, &l.wk, &l.wv, &l.wqkv, &l.wo, &l.gate, &l.up, &l.gate_up, &l.down, &l.gate_exps,
                      &l.up_exps, &l.down_exps})
      if (*m) todo.push_back(m);
  }
  // An untied token_embd keeps the file's rows (lookups read a few of them). A tied one moves
  // with the output and is looked up there, so no file page of it stays resident.
  const bool tied = w.output.data == w.token_embd.data;
  if (output) todo.push_back(&w.output);
  std::erase_if(todo, [](const Weight* m) { return !*m; });
  if (todo.empty()) return;
  // The other weights keep their rows but move too: read from the file's mapping in 4 KiB pages,
  // generation streamed them at a fraction of the arena's speed (F16 1B preset on Zen 5, AVX2
  // code: tg 3-9 t/s from the mapping, 2.5 GB a token; Q8_0 with HEARTH_REPACK's row layout 17
  // t/s from the mapping against 29 repacked).
  std::vector<char> interleave;
  for (const Weight* m : todo) interleave.push_back(tensor::interleave_pays(kernels, m->type, m->rows, m->cols));

  // One arena for every tensor: huge pages are 2 MiB, so one buffer per tensor would leave
  // about 1 MiB of each tensor's last page unused but resident. Allocated before any weight
  // changes, so running out of memory leaves the model as it was.
  std::vector<size_t> offset;
  size_t total = 0;
  // Stacked experts are interleaved as one matrix of n_expert * rows rows: each expert's rows
  // are a whole number of 16-row groups, so expert e still starts at e times its (new) size.
  auto all_rows = [](const Weight& m) { return m.rows * m.n_expert; };
  // Bytes of the first `rows` rows of weight t in its new place.
  auto placed_size = [&](size_t t, int64_t rows) {
    const Weight& m = *todo[t];
    return interleave[t] ? tensor::interleaved_size(m.type, rows, m.cols)
                         : static_cast<size_t>(rows) * tensor::row_size(m.type, m.cols);
  };
  for (size_t t = 0; t < todo.size(); ++t) {
    offset.push_back(total);
    total += (placed_size(t, all_rows(*todo[t])) + 63) / 64 * 64;
  }
  OwnedBytes arena = allocate(total);
  if (!arena) fail(Errc::io, "out of memory placing the weights (" + std::to_string(total) + " bytes)");

  // Slices of about 2 MiB, each released from the file as soon as it is copied, keep the peak
  // near one model rather than one model plus the largest tensor. A few threads overlap the
  // page-cache faults.
  struct Slice {
    size_t t;
    int64_t r0, r1;
  };
  std::vector<Slice> slices;
  for (size_t t = 0; t < todo.size(); ++t) {
    const Weight& m = *todo[t];
    const size_t rs = tensor::row_size(m.type, m.cols);
    const int64_t step = std::max<int64_t>(1, static_cast<int64_t>((size_t(2) << 20) / (rs * 16))) * 16;
    for (int64_t r0 = 0; r0 < all_rows(m); r0 += step) slices.push_back({t, r0, std::min(all_rows(m), r0 + step)});
  }
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i; (i = next.fetch_add(1)) < slices.size();) {
      const Slice& sl = slices[i];
      const Weight& m = *todo[sl.t];
      const size_t rs = tensor::row_size(m.type, m.cols);
      const auto* src = static_cast<const uint8_t*>(m.data) + static_cast<size_t>(sl.r0) * rs;
      uint8_t* dst = arena.get() + offset[sl.t] + placed_size(sl.t, sl.r0);
      if (interleave[sl.t]) tensor::interleave_rows(m.type, sl.r1 - sl.r0, m.cols, src, dst);
      else std::memcpy(dst, src, static_cast<size_t>(sl.r1 - sl.r0) * rs);
      if (map) map->release(src, static_cast<size_t>(sl.r1 - sl.r0) * rs);
    }
  };
  const unsigned n_threads = std::clamp(std::thread::hardware_concurrency(), 1u, 8u);
  std::vector<std::thread> threads;
  for (unsigned t = 1; t < n_threads && t < slices.size(); ++t) threads.emplace_back(work);
  work();
  for (auto& t : threads) t.join();
  for (size_t t = 0; t < todo.size(); ++t) {
    todo[t]->data = arena.get() + offset[t];
    if (!interleave[t]) continue;
    todo[t]->layout = tensor::Layout::interleaved16;
    if (todo[t]->n_expert > 1) todo[t]->expert_stride = tensor::interleaved_size(todo[t]->type, todo[t]->rows, todo[t]->cols);
  }
  owned.push_back(std::move(arena));
  if (tied && output) {
    w.token_embd.data = w.output.data;
    w.token_embd.layout = w.output.layout;
  }
}

}  // namespace hearth::model
