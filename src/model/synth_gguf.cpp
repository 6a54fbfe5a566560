#include "model/synth_gguf.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <mutex>
#include <thread>

#include "core/error.h"
#include "tensor/ops.h"

namespace hearth::model {
namespace {

void pwrite_all(int fd, const uint8_t* p, size_t n, uint64_t off, const std::string& path) {
  while (n > 0) {
    const ssize_t w = ::pwrite(fd, p, n, static_cast<off_t>(off));
    if (w < 0) {
      if (errno == EINTR) continue;
      fail(Errc::io, path + ": write failed: " + std::strerror(errno));
    }
    p += w;
    n -= static_cast<size_t>(w);
    off += static_cast<uint64_t>(w);
  }
}

}  // namespace

GgufStreamWriter::GgufStreamWriter(std::string path, const std::vector<std::pair<std::string, gguf::Value>>& kv,
                                   std::vector<StreamTensor> tensors)
    : path_(std::move(path)), tmp_(path_ + ".tmp"), tensors_(std::move(tensors)) {
  gguf::Layout l = gguf::layout(kv, tensors_);
  sizes_ = std::move(l.sizes);
  offsets_ = std::move(l.offsets);
  total_ = l.total;

  fd_ = ::open(tmp_.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) fail(Errc::io, tmp_ + ": cannot open for writing: " + std::strerror(errno));
  // Sizing first makes every padding byte zero without writing it.
  if (::ftruncate(fd_, static_cast<off_t>(total_)) != 0) {
    const int e = errno;
    ::close(fd_);
    fd_ = -1;
    ::unlink(tmp_.c_str());
    fail(Errc::io, tmp_ + ": cannot size to " + std::to_string(total_) + " bytes: " + std::strerror(e));
  }
  pwrite_all(fd_, l.header.data(), l.header.size(), 0, tmp_);
}

GgufStreamWriter::~GgufStreamWriter() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(tmp_.c_str());
}

void GgufStreamWriter::write(size_t i, uint64_t offset, const void* data, size_t n) {
  if (i >= tensors_.size() || offset + n > sizes_[i])
    fail(Errc::internal, "GgufStreamWriter::write outside tensor " + std::to_string(i));
  pwrite_all(fd_, static_cast<const uint8_t*>(data), n, offsets_[i] + offset, tmp_);
}

void GgufStreamWriter::commit() {
  if (committed_) return;
  if (::fsync(fd_) != 0 && errno != EINVAL)
    fail(Errc::io, tmp_ + ": flush failed: " + std::strerror(errno));
  if (::close(fd_) != 0) {
    fd_ = -1;
    fail(Errc::io, tmp_ + ": close failed: " + std::strerror(errno));
  }
  fd_ = -1;
  if (::rename(tmp_.c_str(), path_.c_str()) != 0)
    fail(Errc::io, path_ + ": cannot rename from " + tmp_ + ": " + std::strerror(errno));
  committed_ = true;
}

void fill_tensors(GgufStreamWriter& w, const RowProducer& produce, int n_threads, const RawProducer& raw,
                  const EncodedHook& hook) {
  // Chunks of about 1M elements keep per-thread scratch small and the work list balanced.
  constexpr int64_t kChunkElems = int64_t{1} << 20;
  struct Chunk {
    size_t tensor;
    int64_t row0, nrows;
  };
  std::vector<Chunk> chunks;
  const auto& ts = w.tensors();
  for (size_t i = 0; i < ts.size(); ++i) {
    const int64_t cols = ts[i].dims[0];
    int64_t rows = 1;
    for (size_t d = 1; d < ts[i].dims.size(); ++d) rows *= ts[i].dims[d];
    const int64_t per = std::max<int64_t>(1, kChunkElems / cols);
    for (int64_t r = 0; r < rows; r += per) chunks.push_back({i, r, std::min(per, rows - r)});
  }
  std::atomic<size_t> next{0};
  std::mutex err_mu;
  std::exception_ptr err;
  auto worker = [&] {
    std::vector<float> f32;
    std::vector<uint8_t> enc;
    try {
      for (;;) {
        const size_t c = next.fetch_add(1);
        if (c >= chunks.size()) break;
        {
          std::lock_guard<std::mutex> lock(err_mu);
          if (err) break;
        }
        const Chunk& ch = chunks[c];
        const StreamTensor& t = ts[ch.tensor];
        const int64_t cols = t.dims[0];
        const size_t row_bytes = tensor::row_size(t.type, cols);
        enc.resize(row_bytes * static_cast<size_t>(ch.nrows));
        if (!(raw && raw(ch.tensor, ch.row0, ch.nrows, enc.data()))) {
          f32.resize(static_cast<size_t>(cols * ch.nrows));
          produce(ch.tensor, ch.row0, ch.nrows, f32.data());
          for (int64_t r = 0; r < ch.nrows; ++r)
            tensor::quantize_row(t.type, f32.data() + r * cols, enc.data() + r * row_bytes, cols);
          if (hook) hook(ch.tensor, ch.nrows, f32.data(), enc.data());
        }
        w.write(ch.tensor, static_cast<uint64_t>(ch.row0) * row_bytes, enc.data(), enc.size());
      }
    } catch (...) {
      std::lock_guard<std::mutex> lock(err_mu);
      if (!err) err = std::current_exception();
    }
  };
  const int n = std::max(1, std::min<int>(n_threads, static_cast<int>(chunks.size())));
  std::vector<std::thread> threads;
  for (int k = 1; k < n; ++k) threads.emplace_back(worker);
  worker();
  for (auto& th : threads) th.join();
  if (err) std::rethrow_exception(err);
}

}  // namespace hearth::model
