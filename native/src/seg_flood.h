// Seeded priority floods (watersheds) with a bucket queue: priorities are integer levels,
// so the queue is O(1) per operation instead of a heap's O(log n); it pops the lowest
// level first and is first-in-first-out within a level.
//
// FloodNodes (node-weighted) follows skimage.segmentation.watershed: a voxel takes the
// label of the voxel that first reaches it and is queued with its own priority.
// FloodEdges (edge-weighted, for affinity graphs) is Prim's minimum spanning forest: a
// voxel takes the label of the queued edge with the lowest level that reaches it, so a
// single weak edge is enough to keep two basins apart.
//
// Both read small precomputed per-voxel arrays (levels, neighbour flags) instead of
// dividing indices into coordinates: floods are memory-bound, so bytes per voxel matter.
#pragma once
#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

#include "seg_types.h"
#include "thread_pool.h"

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
  /** The entry `ahead` places after the next one in the current lowest bucket, or nullptr. */
  const Entry* Peek(size_t ahead) const {
    if (lowest_ >= buckets_.size()) return nullptr;
    const size_t k = heads_[lowest_] + ahead;
    return k < buckets_[lowest_].size() ? &buckets_[lowest_][k] : nullptr;
  }
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
    last_ = level;
    return entry;
  }
  /** The level the last Pop() took its entry from. */
  uint32_t LastLevel() const { return last_; }

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
  uint32_t last_ = 0;
  size_t size_ = 0;
};

/** Per-voxel bits: which face neighbours exist, and whether the voxel may be labelled. */
enum NeighbourFlag : uint8_t { kXm = 1, kXp = 2, kYm = 4, kYp = 8, kZm = 16, kZp = 32, kInside = 64 };

/** What the node-weighted flood touches for one voxel, packed into one cache access. */
template <class Level>
struct NodeVoxel {
  uint32_t label;
  Level level;
  uint8_t flags;
};

/**
 * The node flood graph: neighbour flags (z only when !inPlane; mask 0 clears kInside),
 * levelOf(i) per voxel, labels 0.
 */
template <class Level, class LevelOf>
void BuildNodeGraph(Shape3 s, bool inPlane, const uint8_t* mask, LevelOf levelOf, std::vector<NodeVoxel<Level>>& g) {
  g.resize(s.Size());
  ParallelFor(s.z * s.y, 64, [&](size_t b, size_t e) {
    for (size_t row = b; row < e; ++row) {
      const size_t z = row / s.y, y = row % s.y;
      uint8_t common = 0;
      if (y > 0) common |= kYm;
      if (y + 1 < s.y) common |= kYp;
      if (!inPlane && z > 0) common |= kZm;
      if (!inPlane && z + 1 < s.z) common |= kZp;
      for (size_t x = 0; x < s.x; ++x) {
        const size_t i = row * s.x + x;
        uint8_t f = common;
        if (x > 0) f |= kXm;
        if (x + 1 < s.x) f |= kXp;
        if (!mask || mask[i]) f |= kInside;
        g[i] = NodeVoxel<Level>{0, static_cast<Level>(levelOf(i)), f};
      }
    }
  });
}

/**
 * Node-weighted flood over `g`: voxels with a non-zero label are the seeds (queued with
 * their own level, in raster order); voxels without kInside are never labelled.
 */
template <class Level>
void FloodNodes(Shape3 s, std::vector<NodeVoxel<Level>>& g, uint32_t levels) {
  const size_t n = s.Size(), plane = s.Plane();
  NodeVoxel<Level>* G = g.data();
  BucketQueue<uint32_t> queue(levels);
  for (size_t i = 0; i < n; ++i)
    if (G[i].label != 0) queue.Push(G[i].level, static_cast<uint32_t>(i));
  while (!queue.Empty()) {
    if (const uint32_t* next = queue.Peek(8)) {
      const size_t i = *next;
      if (i >= s.x) __builtin_prefetch(&G[i - s.x], 1);
      if (i + s.x < n) __builtin_prefetch(&G[i + s.x], 1);
      if (i >= plane) __builtin_prefetch(&G[i - plane], 1);
      if (i + plane < n) __builtin_prefetch(&G[i + plane], 1);
    }
    const uint32_t v = queue.Pop();
    const uint32_t label = G[v].label;
    const uint8_t f = G[v].flags;
    auto visit = [&](size_t nb) {
      NodeVoxel<Level>& t = G[nb];
      if (t.label != 0 || !(t.flags & kInside)) return;
      t.label = label;
      queue.Push(t.level, static_cast<uint32_t>(nb));
    };
    if (f & kXm) visit(v - 1);
    if (f & kXp) visit(v + 1);
    if (f & kYm) visit(v - s.x);
    if (f & kYp) visit(v + s.x);
    if (f & kZm) visit(v - plane);
    if (f & kZp) visit(v + plane);
  }
}

/**
 * Everything the edge-weighted flood touches for one voxel, packed together so that a
 * voxel costs one cache miss, not five: its label, the priority levels of its edges to
 * the previous voxel along z, y, x, and the best level it was queued with.
 */
template <class Level>
struct FloodVoxel {
  static constexpr Level kNone = std::numeric_limits<Level>::max();
  uint32_t label;
  Level edge[3];  // edge to v - e_c; kNone: no such neighbour, masked, or z in in-plane floods
  Level best;
};

/**
 * The flood graph of a volume from its affinities: edge level = round((1 - affinity) *
 * (levels - 1)), levels <= kNone. The affinity of the edge between v and v - e_c is
 * channel c at v. Labels start at 0.
 */
template <class Level>
void BuildFloodGraph(const AffinityView& a, Shape3 s, bool inPlane, const uint8_t* mask, uint32_t levels,
                     std::vector<FloodVoxel<Level>>& g) {
  constexpr Level kNone = FloodVoxel<Level>::kNone;
  const size_t plane = s.Plane();
  g.resize(s.Size());
  // uint8 affinities: one table lookup; float: the same rounding as Fixed16 then rescaling.
  Level table[256];
  for (uint32_t q = 0; q < 256; ++q) table[q] = static_cast<Level>((uint64_t(255u - q) * 257u * (levels - 1) + 32767u) / 65535u);
  const float scale = static_cast<float>(levels - 1);
  // Without a mask a row is three straight conversions (no per-voxel branches), which the
  // compiler unrolls; with one, each edge also needs both ends inside.
  auto fillRow = [&](FloodVoxel<Level>* out, size_t i0, bool hasZ, bool hasY, auto src) {
    for (size_t x = 0; x < s.x; ++x) {
      FloodVoxel<Level>& v = out[x];
      v.label = 0;
      v.best = kNone;
      v.edge[0] = hasZ ? src(0, i0 + x) : kNone;
      v.edge[1] = hasY ? src(1, i0 + x) : kNone;
      v.edge[2] = x > 0 ? src(2, i0 + x) : kNone;
    }
  };
  auto fromU8 = [&](int c, size_t i) -> Level { return table[a.u8[c * a.channelStride + i]]; };
  // Branch-free clamping (min/max/blend): noisy affinities sit at 0 and 1 often enough that
  // comparisons and jumps mispredict on most voxels.
  auto fromF32 = [&](int c, size_t i) -> Level {
    const float v = a.f32[c * a.channelStride + i];
    float clamped = std::min(std::max(v, 0.0f), 1.0f);
    clamped = v == v ? clamped : 0.0f;  // NaN: no affinity
    return static_cast<Level>(static_cast<int>((1.0f - clamped) * scale + 0.5f));
  };
  ParallelFor(s.z * s.y, 64, [&](size_t b, size_t end) {
    for (size_t row = b; row < end; ++row) {
      const size_t z = row / s.y, y = row % s.y, i0 = row * s.x;
      const bool hasZ = !inPlane && z > 0, hasY = y > 0;
      FloodVoxel<Level>* out = g.data() + i0;
      if (a.u8) fillRow(out, i0, hasZ, hasY, fromU8);
      else fillRow(out, i0, hasZ, hasY, fromF32);
      if (!mask) continue;
      const size_t back[3] = {plane, s.x, 1};
      for (size_t x = 0; x < s.x; ++x) {
        const size_t i = i0 + x;
        for (int c = 0; c < 3; ++c)
          if (!mask[i] || (out[x].edge[c] != kNone && !mask[i - back[c]])) out[x].edge[c] = kNone;
      }
    }
  });
}

/**
 * Edge-weighted flood over `g`: voxels with a non-zero label are seeds. Every voxel
 * connected to a seed by existing edges ends with the label of the seed it is joined to
 * in a minimum spanning forest.
 *
 * Prim's algorithm with one shortcut: while the lowest queued level is L, a neighbour
 * reached through an edge of level <= L belongs to the growing basin right away (only the
 * order among equal levels differs from queueing it first). Such voxels are labelled at
 * once and grown depth-first from a small stack, so on real affinities (long runs of
 * strong edges) most voxels never enter the bucket queue. Ties otherwise: first queued wins.
 */
template <class Level>
void FloodEdges(Shape3 s, std::vector<FloodVoxel<Level>>& g, uint32_t levels) {
  constexpr Level kNone = FloodVoxel<Level>::kNone;
  struct Entry {
    uint32_t index, label;
  };
  const size_t n = s.Size(), plane = s.Plane();
  FloodVoxel<Level>* G = g.data();
  BucketQueue<Entry> queue(levels);
  std::vector<uint32_t> stack;
  uint32_t current = 0;
  auto offer = [&](size_t nb, Level level, uint32_t label) {
    if (level == kNone) return;  // checked first: nb may be out of range then
    FloodVoxel<Level>& t = G[nb];
    if (t.label != 0) return;
    if (level <= current) {
      t.label = label;
      stack.push_back(static_cast<uint32_t>(nb));
    } else if (level < t.best) {
      t.best = level;
      queue.Push(level, Entry{static_cast<uint32_t>(nb), label});
    }
  };
  auto grow = [&](size_t start, uint32_t label) {
    stack.push_back(static_cast<uint32_t>(start));
    while (!stack.empty()) {
      const size_t v = stack.back();
      stack.pop_back();
      const FloodVoxel<Level>& here = G[v];
      offer(v - 1, here.edge[2], label);
      if (v + 1 < n) offer(v + 1, G[v + 1].edge[2], label);
      offer(v - s.x, here.edge[1], label);
      if (v + s.x < n) offer(v + s.x, G[v + s.x].edge[1], label);
      offer(v - plane, here.edge[0], label);
      if (v + plane < n) offer(v + plane, G[v + plane].edge[0], label);
    }
  };
  for (size_t i = 0; i < n; ++i)
    if (G[i].label != 0) grow(i, G[i].label);
  while (!queue.Empty()) {
    // The queue order is known in advance: fetch the voxel 16 pops ahead, and 4 pops ahead
    // its y / z neighbours (lines of their own) - only if it is still unlabelled by then:
    // most entries are stale (their voxel was labelled through a better edge since), and
    // fetching their neighbourhoods would waste the memory bandwidth the live ones need.
    if (const Entry* far = queue.Peek(16)) __builtin_prefetch(&G[far->index], 1);
    if (const Entry* next = queue.Peek(4)) {
      const size_t i = next->index;
      if (G[i].label == 0) {
        if (i >= s.x) __builtin_prefetch(&G[i - s.x], 1);
        if (i + s.x < n) __builtin_prefetch(&G[i + s.x], 1);
        if (i >= plane) __builtin_prefetch(&G[i - plane], 1);
        if (i + plane < n) __builtin_prefetch(&G[i + plane], 1);
      }
    }
    const Entry en = queue.Pop();
    FloodVoxel<Level>& v = G[en.index];
    if (v.label != 0) continue;  // stale: labelled through a better or equal edge
    current = queue.LastLevel();
    v.label = en.label;
    grow(en.index, en.label);
  }
}

}  // namespace tu::seg
