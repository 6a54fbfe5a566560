// Load-time rewrite of weight matrices into the interleaved layout (tensor/interleave.h).
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

#include "core/error.h"
#include "model/weights.h"

namespace hearth::model {
namespace {

bool repack_enabled() {
  const char* e = std::getenv("HEARTH_REPACK");
  return !(e && std::string(e) == "0");
}

void interleave_one(Weight& w, const MappedFile* map, std::vector<OwnedBytes>& owned) {
  if (!w || !tensor::interleave_pays(w.type, w.rows, w.cols)) return;
  const size_t bytes = tensor::row_size(w.type, w.cols) * static_cast<size_t>(w.rows);
  OwnedBytes buf(static_cast<uint8_t*>(std::aligned_alloc(64, (bytes + 63) / 64 * 64)));
  if (!buf) fail(Errc::io, "out of memory repacking tensor '" + w.name + "' (" + std::to_string(bytes) + " bytes)");
  tensor::interleave_rows(w.type, w.rows, w.cols, w.data, buf.get());
  if (map) map->release(w.data, bytes);
  w.data = buf.get();
  w.layout = tensor::Layout::interleaved16;
  owned.push_back(std::move(buf));
}

}  // namespace

void interleave_weights(Weights& w, const MappedFile* map, std::vector<OwnedBytes>& owned) {
  if (!repack_enabled()) return;
  for (LayerWeights& l : w.layers)
    for (Weight* m : {&l.wq, &l.wk, &l.wv, &l.wo, &l.gate, &l.up, &l.down}) interleave_one(*m, map, owned);
  if (w.output.data != w.token_embd.data) interleave_one(w.output, map, owned);
}

}  // namespace hearth::model
