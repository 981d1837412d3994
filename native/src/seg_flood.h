// Seeded priority floods (watersheds) with a bucket queue: priorities are integer levels,
// so the queue is O(1) per operation instead of a heap's O(log n); it pops the lowest
// level first and is first-in-first-out within a level.
//
// Flood (node-weighted) follows skimage.segmentation.watershed: a voxel takes the label
// of the voxel that first reaches it and is queued with its own priority.
// FloodEdges (edge-weighted, for affinity graphs) is Prim's minimum spanning forest: a
// voxel takes the label of the queued edge with the lowest level that reaches it, so a
// single weak edge is enough to keep two basins apart.
#pragma once
#include <cstdint>
#include <vector>

#include "seg_types.h"

namespace tu::seg {

/** Buckets of entries per level; a two-level bitmap finds the lowest non-empty one. */
template <class Entry = uint32_t>
class BucketQueue {
 public:
  explicit BucketQueue(uint32_t levels)
      : buckets_(levels), heads_(levels, 0), words_((levels + 63) / 64, 0), summary_((words_.size() + 63) / 64, 0) {}

  void Push(uint32_t level, Entry entry) {
    auto& b = buckets_[level];
    if (b.size() == heads_[level]) SetBit(level);
    b.push_back(entry);
    if (level < lowest_) lowest_ = level;
    ++size_;
  }
  bool Empty() const { return size_ == 0; }
  /** Pops the oldest entry of the lowest level. Requires !Empty(). */
  Entry Pop() {
    uint32_t level = lowest_;
    if (buckets_[level].size() == heads_[level]) level = lowest_ = NextSet(level);
    auto& b = buckets_[level];
    const Entry entry = b[heads_[level]++];
    if (heads_[level] == b.size()) {
      b.clear();
      heads_[level] = 0;
      ClearBit(level);
    }
    --size_;
    return entry;
  }

 private:
  void SetBit(uint32_t l) {
    words_[l >> 6] |= 1ull << (l & 63);
    summary_[l >> 12] |= 1ull << ((l >> 6) & 63);
  }
  void ClearBit(uint32_t l) {
    uint64_t& w = words_[l >> 6];
    w &= ~(1ull << (l & 63));
    if (w == 0) summary_[l >> 12] &= ~(1ull << ((l >> 6) & 63));
  }
  uint32_t NextSet(uint32_t from) const {
    size_t w = from >> 6;
    uint64_t m = words_[w] & (~0ull << (from & 63));
    if (m) return static_cast<uint32_t>((w << 6) + __builtin_ctzll(m));
    size_t sw = w + 1;  // next word index to look at
    while (sw < words_.size()) {
      const size_t s = sw >> 6;
      const uint64_t sm = summary_[s] & (~0ull << (sw & 63));
      if (sm) {
        const size_t word = (s << 6) + __builtin_ctzll(sm);
        return static_cast<uint32_t>((word << 6) + __builtin_ctzll(words_[word]));
      }
      sw = (s + 1) << 6;
    }
    return 0;  // unreachable while size_ > 0
  }

  std::vector<std::vector<Entry>> buckets_;
  std::vector<size_t> heads_;
  std::vector<uint64_t> words_, summary_;
  uint32_t lowest_ = 0xffffffffu;
  size_t size_ = 0;
};

/**
 * Floods `labels` (in/out; non-zero entries are the seeds, 0 = not yet labelled) within
 * `mask` (nullptr = everywhere; 0 = never labelled) over face neighbours (4 in-plane
 * when `inPlane`, else 6). Priority of a voxel n reached from voxel v is
 * level(v, n, axis) (node-weighted maps ignore v; edge-weighted maps use the pair);
 * seeds are queued with seedLevel(v), in raster order. Volumes must hold < 2^32 voxels.
 */
template <class Level, class SeedLevel>
void Flood(Shape3 s, bool inPlane, uint32_t levels, uint32_t* labels, const uint8_t* mask, Level level,
           SeedLevel seedLevel) {
  const size_t n = s.Size();
  BucketQueue<uint32_t> queue(levels);
  for (size_t i = 0; i < n; ++i)
    if (labels[i] != 0) queue.Push(seedLevel(i), static_cast<uint32_t>(i));
  const size_t plane = s.Plane();
  while (!queue.Empty()) {
    const uint32_t v = queue.Pop();
    const uint32_t label = labels[v];
    const size_t z = v / plane, rem = v - z * plane, y = rem / s.x, x = rem - y * s.x;
    auto visit = [&](size_t nb, int axis) {
      if (labels[nb] != 0 || (mask && !mask[nb])) return;
      labels[nb] = label;
      queue.Push(level(v, nb, axis), static_cast<uint32_t>(nb));
    };
    if (x > 0) visit(v - 1, 2);
    if (x + 1 < s.x) visit(v + 1, 2);
    if (y > 0) visit(v - s.x, 1);
    if (y + 1 < s.y) visit(v + s.x, 1);
    if (!inPlane) {
      if (z > 0) visit(v - plane, 0);
      if (z + 1 < s.z) visit(v + plane, 0);
    }
  }
}

/** Calls fn(neighbour, axis) for the face neighbours of voxel v. */
template <class Fn>
inline void ForEachNeighbour(Shape3 s, bool inPlane, size_t v, Fn&& fn) {
  const size_t plane = s.Plane();
  const size_t z = v / plane, rem = v - z * plane, y = rem / s.x, x = rem - y * s.x;
  if (x > 0) fn(v - 1, 2);
  if (x + 1 < s.x) fn(v + 1, 2);
  if (y > 0) fn(v - s.x, 1);
  if (y + 1 < s.y) fn(v + s.x, 1);
  if (!inPlane) {
    if (z > 0) fn(v - plane, 0);
    if (z + 1 < s.z) fn(v + plane, 0);
  }
}

/**
 * Edge-weighted flood: `labels` non-zero entries are seeds; edgeLevel(v, nb, axis) is the
 * priority of the edge between face neighbours v and nb (lower = stronger connection).
 * Every voxel reachable inside `mask` ends with the label of the seed it is joined to in
 * the minimum spanning forest (ties: first queued wins).
 */
template <class EdgeLevel>
void FloodEdges(Shape3 s, bool inPlane, uint32_t levels, uint32_t* labels, const uint8_t* mask, EdgeLevel edgeLevel) {
  struct Entry {
    uint32_t index, label;
  };
  const size_t n = s.Size();
  BucketQueue<Entry> queue(levels);
  // Best level queued per voxel so far: a voxel is only queued again through a better edge.
  std::vector<uint32_t> best(n, 0xffffffffu);
  auto expand = [&](size_t v, uint32_t label) {
    ForEachNeighbour(s, inPlane, v, [&](size_t nb, int axis) {
      if (labels[nb] != 0 || (mask && !mask[nb])) return;
      const uint32_t level = edgeLevel(v, nb, axis);
      if (level >= best[nb]) return;
      best[nb] = level;
      queue.Push(level, Entry{static_cast<uint32_t>(nb), label});
    });
  };
  for (size_t i = 0; i < n; ++i)
    if (labels[i] != 0) expand(i, labels[i]);
  while (!queue.Empty()) {
    const Entry e = queue.Pop();
    if (labels[e.index] != 0) continue;
    labels[e.index] = e.label;
    expand(e.index, e.label);
  }
}

}  // namespace tu::seg
