#include "eval/python_random.h"

#include <cmath>
#include <unordered_set>

#include "core/error.h"

namespace hearth::eval {

PythonRandom::PythonRandom(uint64_t seed) {
  // CPython seeds with init_by_array over the seed's 32-bit words, least significant first
  // (one word for 0).
  std::vector<uint32_t> key;
  for (uint64_t s = seed; s != 0; s >>= 32) key.push_back(static_cast<uint32_t>(s));
  if (key.empty()) key.push_back(0);

  mt_[0] = 19650218u;
  for (int i = 1; i < kN; ++i) mt_[i] = 1812433253u * (mt_[i - 1] ^ (mt_[i - 1] >> 30)) + static_cast<uint32_t>(i);
  int i = 1;
  size_t j = 0;
  for (size_t k = std::max<size_t>(kN, key.size()); k > 0; --k) {
    mt_[i] = (mt_[i] ^ ((mt_[i - 1] ^ (mt_[i - 1] >> 30)) * 1664525u)) + key[j] + static_cast<uint32_t>(j);
    ++i;
    ++j;
    if (i >= kN) {
      mt_[0] = mt_[kN - 1];
      i = 1;
    }
    if (j >= key.size()) j = 0;
  }
  for (int k = kN - 1; k > 0; --k) {
    mt_[i] = (mt_[i] ^ ((mt_[i - 1] ^ (mt_[i - 1] >> 30)) * 1566083941u)) - static_cast<uint32_t>(i);
    ++i;
    if (i >= kN) {
      mt_[0] = mt_[kN - 1];
      i = 1;
    }
  }
  mt_[0] = 0x80000000u;
  index_ = kN;
}

uint32_t PythonRandom::next_u32() {
  constexpr int kM = 397;
  constexpr uint32_t kUpper = 0x80000000u, kLower = 0x7fffffffu, kMatrix = 0x9908b0dfu;
  if (index_ >= kN) {
    for (int i = 0; i < kN; ++i) {
      uint32_t y = (mt_[i] & kUpper) | (mt_[(i + 1) % kN] & kLower);
      mt_[i] = mt_[(i + kM) % kN] ^ (y >> 1) ^ ((y & 1u) ? kMatrix : 0u);
    }
    index_ = 0;
  }
  uint32_t y = mt_[index_++];
  y ^= y >> 11;
  y ^= (y << 7) & 0x9d2c5680u;
  y ^= (y << 15) & 0xefc60000u;
  y ^= y >> 18;
  return y;
}

uint64_t PythonRandom::getrandbits(int k) {
  if (k < 1 || k > 64) fail(Errc::invalid_argument, "getrandbits: k must be 1..64");
  if (k <= 32) return next_u32() >> (32 - k);
  // Wider values are filled from the least significant 32-bit word up; the last word keeps its
  // top bits only.
  uint64_t lo = next_u32();
  uint64_t hi = next_u32() >> (64 - k);
  return lo | (hi << 32);
}

uint64_t PythonRandom::randbelow(uint64_t n) {
  if (n == 0) fail(Errc::invalid_argument, "randbelow: n must be >= 1");
  int bits = 64 - __builtin_clzll(n);  // n.bit_length()
  uint64_t r = getrandbits(bits);
  while (r >= n) r = getrandbits(bits);
  return r;
}

std::vector<size_t> PythonRandom::sample(size_t n, size_t k) {
  if (k > n) fail(Errc::invalid_argument, "sample larger than population");
  std::vector<size_t> out(k);
  // CPython picks from a shrinking pool list when the population is small next to a set of k
  // entries, and otherwise redraws indices already taken; the two consume draws differently.
  size_t setsize = 21;
  if (k > 5) setsize += static_cast<size_t>(std::pow(4.0, std::ceil(std::log(static_cast<double>(k * 3)) / std::log(4.0))));
  if (n <= setsize) {
    std::vector<size_t> pool(n);
    for (size_t i = 0; i < n; ++i) pool[i] = i;
    for (size_t i = 0; i < k; ++i) {
      size_t j = randbelow(n - i);
      out[i] = pool[j];
      pool[j] = pool[n - i - 1];
    }
  } else {
    std::unordered_set<size_t> taken;
    for (size_t i = 0; i < k; ++i) {
      size_t j = randbelow(n);
      while (taken.count(j)) j = randbelow(n);
      taken.insert(j);
      out[i] = j;
    }
  }
  return out;
}

}  // namespace hearth::eval
