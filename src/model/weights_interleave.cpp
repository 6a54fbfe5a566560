// Load-time rewrite of weight matrices into the interleaved layout (tensor/interleave.h).
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <string>
#include <thread>

#include <sys/mman.h>

#include "core/error.h"
#include "model/weights.h"

namespace hearth::model {
namespace {

bool repack_enabled() {
  const char* e = std::getenv("HEARTH_REPACK");
  return !(e && std::string(e) == "0");
}

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

void interleave_weights(Weights& w, const MappedFile* map, std::vector<OwnedBytes>& owned) {
  if (!repack_enabled()) return;
  std::vector<Weight*> todo;
  for (LayerWeights& l : w.layers)
    for (Weight* m : {&l.wq, &l.wk, &l.wv, &l.wo, &l.gate, &l.up, &l.down}) todo.push_back(m);
  if (w.output.data != w.token_embd.data) todo.push_back(&w.output);
  std::erase_if(todo, [](const Weight* m) { return !*m || !tensor::interleave_pays(m->type, m->rows, m->cols); });
  if (todo.empty()) return;

  // Allocate everything first, so running out of memory fails before any weight changes.
  std::vector<OwnedBytes> bufs;
  for (const Weight* m : todo) {
    const size_t bytes = tensor::interleaved_size(m->type, m->rows, m->cols);
    bufs.push_back(allocate(bytes));
    if (!bufs.back())
      fail(Errc::io, "out of memory repacking tensor '" + m->name + "' (" + std::to_string(bytes) + " bytes)");
  }
  // The rewrite reads each weight once from the page cache; a few threads overlap the faults.
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i; (i = next.fetch_add(1)) < todo.size();) {
      Weight& m = *todo[i];
      const size_t bytes = tensor::row_size(m.type, m.cols) * static_cast<size_t>(m.rows);
      tensor::interleave_rows(m.type, m.rows, m.cols, m.data, bufs[i].get());
      if (map) map->release(m.data, bytes);
    }
  };
  const unsigned n_threads = std::clamp(std::thread::hardware_concurrency(), 1u, 8u);
  std::vector<std::thread> threads;
  for (unsigned t = 1; t < n_threads && t < todo.size(); ++t) threads.emplace_back(work);
  work();
  for (auto& t : threads) t.join();
  for (size_t i = 0; i < todo.size(); ++i) {
    todo[i]->data = bufs[i].get();
    todo[i]->layout = tensor::Layout::interleaved16;
    owned.push_back(std::move(bufs[i]));
  }
}

}  // namespace hearth::model
