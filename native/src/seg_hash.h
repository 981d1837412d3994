// Open-addressing hash tables for the segmentation kernels: far smaller and faster than
// std::unordered_map for the millions of (label, label) keys a volume produces.
#pragma once
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace tu::seg {

inline uint64_t Mix64(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

struct PairKey {
  uint64_t a = 0, b = 0;
  bool operator==(const PairKey& o) const { return a == o.a && b == o.b; }
};

inline uint64_t HashKey(uint64_t k) { return Mix64(k); }
inline uint64_t HashKey(const PairKey& k) { return Mix64(k.a * 0x9e3779b97f4a7c15ULL ^ Mix64(k.b)); }

/**
 * Maps keys to dense indices 0, 1, 2, ... in order of first insertion; callers keep the
 * per-key data in their own vectors indexed by that number.
 */
template <class K>
class DenseIndex {
 public:
  explicit DenseIndex(size_t expected = 16) { Rehash(Capacity(expected)); }

  /** The index of `key`, inserting it (as Size()) when new; `inserted` tells which. */
  uint32_t FindOrInsert(const K& key, bool* inserted = nullptr) {
    if ((keys_.size() + 1) * 2 > slots_.size()) Rehash(slots_.size() * 2);
    size_t i = HashKey(key) & mask_;
    for (;;) {
      const uint32_t s = slots_[i];
      if (s == kEmpty) {
        const auto idx = static_cast<uint32_t>(keys_.size());
        slots_[i] = idx;
        keys_.push_back(key);
        if (inserted) *inserted = true;
        return idx;
      }
      if (keys_[s] == key) {
        if (inserted) *inserted = false;
        return s;
      }
      i = (i + 1) & mask_;
    }
  }
  /** The index of `key` or -1. */
  int64_t Find(const K& key) const {
    size_t i = HashKey(key) & mask_;
    for (;;) {
      const uint32_t s = slots_[i];
      if (s == kEmpty) return -1;
      if (keys_[s] == key) return s;
      i = (i + 1) & mask_;
    }
  }
  size_t Size() const { return keys_.size(); }
  const std::vector<K>& Keys() const { return keys_; }
  void Clear() {
    keys_.clear();
    Rehash(16);
  }

 private:
  static constexpr uint32_t kEmpty = 0xffffffffu;
  static size_t Capacity(size_t n) {
    size_t c = 16;
    while (c < n * 2) c <<= 1;
    return c;
  }
  void Rehash(size_t capacity) {
    slots_.assign(capacity, kEmpty);
    mask_ = capacity - 1;
    for (uint32_t idx = 0; idx < keys_.size(); ++idx) {
      size_t i = HashKey(keys_[idx]) & mask_;
      while (slots_[i] != kEmpty) i = (i + 1) & mask_;
      slots_[i] = idx;
    }
  }
  std::vector<uint32_t> slots_;
  std::vector<K> keys_;
  size_t mask_ = 0;
};

/** uint32 -> uint32 map with erase; small and cache-friendly (region adjacency lists). */
class SmallMap32 {
 public:
  struct Entry {
    uint32_t key, value;
  };
  bool Find(uint32_t key, uint32_t* value) const {
    if (slots_.empty()) return false;
    size_t i = Mix64(key) & (slots_.size() - 1);
    for (;;) {
      const Entry& e = slots_[i];
      if (e.key == kEmpty) return false;
      if (e.key == key) {
        *value = e.value;
        return true;
      }
      i = (i + 1) & (slots_.size() - 1);
    }
  }
  void Set(uint32_t key, uint32_t value) {
    if ((used_ + 1) * 4 > slots_.size() * 3) Grow();
    size_t i = Mix64(key) & (slots_.size() - 1);
    size_t tomb = SIZE_MAX;
    for (;;) {
      Entry& e = slots_[i];
      if (e.key == key) {
        e.value = value;
        return;
      }
      if (e.key == kTomb && tomb == SIZE_MAX) tomb = i;
      if (e.key == kEmpty) {
        if (tomb != SIZE_MAX) {
          slots_[tomb] = {key, value};
        } else {
          e = {key, value};
          ++used_;
        }
        ++size_;
        return;
      }
      i = (i + 1) & (slots_.size() - 1);
    }
  }
  bool Erase(uint32_t key) {
    if (slots_.empty()) return false;
    size_t i = Mix64(key) & (slots_.size() - 1);
    for (;;) {
      Entry& e = slots_[i];
      if (e.key == kEmpty) return false;
      if (e.key == key) {
        e.key = kTomb;
        --size_;
        return true;
      }
      i = (i + 1) & (slots_.size() - 1);
    }
  }
  size_t Size() const { return size_; }
  template <class Fn>
  void ForEach(Fn&& fn) const {
    for (const Entry& e : slots_)
      if (e.key != kEmpty && e.key != kTomb) fn(e.key, e.value);
  }
  void Release() {
    std::vector<Entry>().swap(slots_);
    size_ = used_ = 0;
  }

  static constexpr uint32_t kEmpty = 0xffffffffu;
  static constexpr uint32_t kTomb = 0xfffffffeu;

 private:
  void Grow() {
    std::vector<Entry> old;
    old.swap(slots_);
    size_t cap = 4;
    while (cap * 3 < (size_ + 1) * 4 * 2) cap <<= 1;
    slots_.assign(cap, Entry{kEmpty, 0});
    size_ = used_ = 0;
    for (const Entry& e : old)
      if (e.key != kEmpty && e.key != kTomb) Set(e.key, e.value);
  }
  std::vector<Entry> slots_;
  size_t size_ = 0;  // live entries
  size_t used_ = 0;  // live + tombstones
};

}  // namespace tu::seg
