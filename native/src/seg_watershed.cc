#include "seg_watershed.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "seg_flood.h"
#include "seg_morphology.h"
#include "thread_pool.h"

namespace tu::seg {
namespace {

/**
 * Marks voxels inside cells: in the mask, and every existing face edge (within the flood
 * graph, i.e. the used axes) weaker than the limit level. Taking the weakest edge makes a
 * boundary that is a single low affinity wide still separate the two cells' seeds.
 */
template <class Level>
void InteriorMask(const std::vector<FloodVoxel<Level>>& g, Shape3 s, const uint8_t* mask, double limit,
                  std::vector<uint8_t>& inside) {
  constexpr Level kNone = FloodVoxel<Level>::kNone;
  const size_t n = s.Size(), plane = s.Plane();
  inside.resize(n);
  ParallelFor(n, 1 << 14, [&](size_t b, size_t e) {
    for (size_t i = b; i < e; ++i) {
      if (mask && !mask[i]) {
        inside[i] = 0;
        continue;
      }
      // Edges to v + e_c live in the neighbour; past a row / section end they read the
      // next row's first voxel, whose edge is kNone, so no coordinates are needed.
      Level weakest = 0;
      auto see = [&](Level l) {
        if (l != kNone && l > weakest) weakest = l;
      };
      see(g[i].edge[0]);
      see(g[i].edge[1]);
      see(g[i].edge[2]);
      if (i + 1 < n) see(g[i + 1].edge[2]);
      if (i + s.x < n) see(g[i + s.x].edge[1]);
      if (i + plane < n) see(g[i + plane].edge[0]);
      inside[i] = weakest < limit;
    }
  });
}

/** Labels mask voxels no seed reached with one new id per connected leftover region. */
uint32_t LabelLeftovers(Shape3 s, bool inPlane, const uint8_t* mask, uint32_t next, uint32_t* out) {
  const size_t n = s.Size();
  bool any = false;
  for (size_t i = 0; i < n && !any; ++i) any = out[i] == 0 && (!mask || mask[i]);
  if (!any) return next;
  std::vector<uint8_t> left(n);
  for (size_t i = 0; i < n; ++i) left[i] = out[i] == 0 && (!mask || mask[i]);
  std::vector<uint32_t> cc(n);
  const uint32_t k = ConnectedComponents(left.data(), s, inPlane, cc.data());
  for (size_t i = 0; i < n; ++i)
    if (cc[i]) out[i] = next + cc[i];
  return next + k;
}

/**
 * Per-thread buffers reused from one region (section) to the next: fresh large
 * allocations cost page faults and zeroing that rival the watershed itself.
 */
template <class Level>
struct RegionScratch {
  std::vector<FloodVoxel<Level>> graph;
  std::vector<uint8_t> inside;
  std::vector<float> dist, peak;

  static RegionScratch& ForThisThread() {
    thread_local RegionScratch scratch;
    return scratch;
  }
  /** Keeps section-sized buffers for the next region, hands big 3D ones back. */
  void Trim(size_t n) {
    if (n <= (size_t{1} << 22)) return;
    std::vector<FloodVoxel<Level>>().swap(graph);
    std::vector<uint8_t>().swap(inside);
    std::vector<float>().swap(dist);
    std::vector<float>().swap(peak);
  }
};

/** Fragments of one contiguous region (a section, a block or the whole volume). */
template <class Level>
uint32_t FragmentRegionT(const AffinityView& a, Shape3 s, const uint8_t* mask, const FragmentOptions& o,
                         uint32_t* out) {
  const bool inPlane = !o.threeD;
  const size_t n = s.Size();
  RegionScratch<Level>& scratch = RegionScratch<Level>::ForThisThread();
  std::vector<FloodVoxel<Level>>& graph = scratch.graph;
  BuildFloodGraph(a, s, inPlane, mask, o.levels, graph);

  std::vector<uint8_t>& inside = scratch.inside;
  InteriorMask(graph, s, mask, o.boundaryThreshold * (o.levels - 1), inside);
  std::vector<float>& dist = scratch.dist;
  std::vector<float>& peak = scratch.peak;
  dist.resize(n);
  peak.resize(n);
  DistanceTransform(inside.data(), s, o.spacing, inPlane, dist.data());
  const int r = static_cast<int>(std::lround(o.seedRadius));
  const int rz = inPlane ? 0 : static_cast<int>(std::lround(o.seedRadius * o.spacing[2] / o.spacing[0]));
  const int radius[3] = {rz, r, r};
  MaximumFilter(dist.data(), s, radius, peak.data());
  for (size_t i = 0; i < n; ++i)
    inside[i] = inside[i] & (double(dist[i]) >= o.minSeedDistance) & (dist[i] >= peak[i]);  // no short-circuit jumps
  uint32_t count = ConnectedComponents(inside.data(), s, inPlane, out);

  auto flood = [&] {
    for (size_t i = 0; i < n; ++i) {
      graph[i].label = out[i];
      graph[i].best = FloodVoxel<Level>::kNone;
    }
    FloodEdges(s, graph, o.levels);
    for (size_t i = 0; i < n; ++i) out[i] = graph[i].label;
  };
  flood();
  count = LabelLeftovers(s, inPlane, mask, count, out);
  if (o.minFragmentSize > 1 && count > 1) {
    std::vector<uint64_t> size(count + 1, 0);
    for (size_t i = 0; i < n; ++i) ++size[out[i]];
    bool anySmall = false;
    for (uint32_t f = 1; f <= count; ++f) anySmall |= size[f] < o.minFragmentSize;
    if (anySmall) {
      for (size_t i = 0; i < n; ++i)
        if (size[out[i]] < o.minFragmentSize) out[i] = 0;
      flood();
      count = LabelLeftovers(s, inPlane, mask, count, out);
    }
  }
  scratch.Trim(n);
  return RelabelSequential(out, n, count);
}

uint32_t FragmentRegion(const AffinityView& a, Shape3 s, const uint8_t* mask, const FragmentOptions& o,
                        uint32_t* out) {
  return o.levels <= 255 ? FragmentRegionT<uint8_t>(a, s, mask, o, out) : FragmentRegionT<uint16_t>(a, s, mask, o, out);
}

/** Copies the (3, box) affinities of a box of a volume into a contiguous buffer. */
AffinityView ExtractAffinities(const AffinityView& a, Shape3 vol, const Box3& box, std::vector<float>& f32,
                               std::vector<uint8_t>& u8) {
  const size_t bn = box.shape.Size();
  AffinityView v;
  v.channelStride = bn;
  if (a.u8) u8.resize(3 * bn);
  else f32.resize(3 * bn);
  for (int c = 0; c < 3; ++c)
    for (size_t z = 0; z < box.shape.z; ++z)
      for (size_t y = 0; y < box.shape.y; ++y) {
        const size_t src = c * a.channelStride + ((box.z0 + z) * vol.y + box.y0 + y) * vol.x + box.x0;
        const size_t dst = c * bn + (z * box.shape.y + y) * box.shape.x;
        if (a.u8) std::copy(a.u8 + src, a.u8 + src + box.shape.x, u8.begin() + dst);
        else std::copy(a.f32 + src, a.f32 + src + box.shape.x, f32.begin() + dst);
      }
  if (a.u8) v.u8 = u8.data();
  else v.f32 = f32.data();
  return v;
}

template <class T>
void CopyBox(const T* src, Shape3 vol, const Box3& box, T* dst, bool toVolume) {
  for (size_t z = 0; z < box.shape.z; ++z)
    for (size_t y = 0; y < box.shape.y; ++y) {
      const size_t v = ((box.z0 + z) * vol.y + box.y0 + y) * vol.x + box.x0;
      const size_t b = (z * box.shape.y + y) * box.shape.x;
      if (toVolume) std::copy(src + b, src + b + box.shape.x, dst + v);
      else std::copy(src + v, src + v + box.shape.x, dst + b);
    }
}

}  // namespace

uint32_t Fragments(const AffinityView& a, Shape3 s, const uint8_t* mask, const FragmentOptions& o, uint32_t* out) {
  if (s.Size() >= 0xfffffff0ull) throw std::invalid_argument("fragments: a region must hold fewer than 2^32 voxels; process the volume block-wise");
  if (o.levels < 2 || o.levels > 65535) throw std::invalid_argument("fragments: levels must be in [2, 65535]");
  Shape3 grid = o.blockShape;
  if (grid.Size() == 0) grid = o.threeD ? s : Shape3{1, s.y, s.x};
  grid = {std::min(grid.z, s.z), std::min(grid.y, s.y), std::min(grid.x, s.x)};
  const size_t bz = (s.z + grid.z - 1) / grid.z, by = (s.y + grid.y - 1) / grid.y, bx = (s.x + grid.x - 1) / grid.x;
  const size_t blocks = bz * by * bx;
  std::vector<Box3> boxes(blocks);
  for (size_t k = 0; k < blocks; ++k) {
    const size_t iz = k / (by * bx), iy = (k / bx) % by, ix = k % bx;
    Box3& b = boxes[k];
    b.z0 = iz * grid.z, b.y0 = iy * grid.y, b.x0 = ix * grid.x;
    b.shape = {std::min(grid.z, s.z - b.z0), std::min(grid.y, s.y - b.y0), std::min(grid.x, s.x - b.x0)};
  }
  std::vector<uint32_t> counts(blocks, 0);
  ParallelFor(blocks, 1, [&](size_t begin, size_t end) {
    for (size_t k = begin; k < end; ++k) {
      const Box3& b = boxes[k];
      const bool contiguous = b.shape.y == s.y && b.shape.x == s.x;  // whole sections: no copies
      if (contiguous) {
        const size_t off = b.z0 * s.Plane();
        counts[k] = FragmentRegion(a.Offset(off), b.shape, mask ? mask + off : nullptr, o, out + off);
        continue;
      }
      std::vector<float> f32;
      std::vector<uint8_t> u8, m;
      const AffinityView local = ExtractAffinities(a, s, b, f32, u8);
      if (mask) {
        m.resize(b.shape.Size());
        CopyBox(mask, s, b, m.data(), false);
      }
      std::vector<uint32_t> labels(b.shape.Size());
      counts[k] = FragmentRegion(local, b.shape, mask ? m.data() : nullptr, o, labels.data());
      CopyBox(labels.data(), s, b, out, true);
    }
  });
  std::vector<uint64_t> offset(blocks + 1, 0);
  for (size_t k = 0; k < blocks; ++k) offset[k + 1] = offset[k] + counts[k];
  if (offset[blocks] >= 0xfffffff0ull) throw std::runtime_error("fragments: more than 2^32 fragments; use larger seeds or block-wise ids");
  ParallelFor(blocks, 1, [&](size_t begin, size_t end) {
    for (size_t k = begin; k < end; ++k) {
      const auto add = static_cast<uint32_t>(offset[k]);
      if (add == 0) continue;
      const Box3& b = boxes[k];
      for (size_t z = 0; z < b.shape.z; ++z)
        for (size_t y = 0; y < b.shape.y; ++y) {
          uint32_t* row = out + ((b.z0 + z) * s.y + b.y0 + y) * s.x + b.x0;
          for (size_t x = 0; x < b.shape.x; ++x)
            if (row[x]) row[x] += add;
        }
    }
  });
  return static_cast<uint32_t>(offset[blocks]);
}

SplitResult SeededSplit(Shape3 s, const uint8_t* mask, const SplitSource& src, const std::vector<SplitSeed>& seeds,
                        uint32_t groups, bool inPlane, uint16_t* out) {
  const size_t n = s.Size();
  if (n >= 0xfffffff0ull) throw std::invalid_argument("split: the region must hold fewer than 2^32 voxels");
  if (groups < 1 || groups > 65535) throw std::invalid_argument("split: between 1 and 65535 seed groups");
  std::vector<uint32_t> labels(n, 0);
  for (const SplitSeed& seed : seeds) {
    if (seed.index >= n) throw std::invalid_argument("split: seed outside the region");
    if (mask && !mask[seed.index])
      throw std::invalid_argument("split: a seed of group " + std::to_string(seed.group) +
                                  " lies outside the segment (voxel index " + std::to_string(seed.index) + ")");
    uint32_t& l = labels[seed.index];
    if (l != 0 && l != seed.group)
      throw std::invalid_argument("split: voxel index " + std::to_string(seed.index) + " is a seed of groups " +
                                  std::to_string(l) + " and " + std::to_string(seed.group));
    l = seed.group;
  }

  if (src.kind == SplitSource::kAffinities) {
    std::vector<FloodVoxel<uint16_t>> graph;
    BuildFloodGraph(src.affinities, s, inPlane, mask, 65535, graph);
    for (size_t i = 0; i < n; ++i) graph[i].label = labels[i];
    FloodEdges(s, graph, 65535);
    for (size_t i = 0; i < n; ++i) labels[i] = graph[i].label;
  } else if (src.kind == SplitSource::kImage) {
    const uint8_t* img = src.image;
    const bool dark = src.darkBoundaries;
    std::vector<NodeVoxel<uint8_t>> graph;
    BuildNodeGraph<uint8_t>(s, inPlane, mask, [&](size_t i) { return dark ? 255 - img[i] : img[i]; }, graph);
    for (size_t i = 0; i < n; ++i) graph[i].label = labels[i];
    FloodNodes(s, graph, 256);
    for (size_t i = 0; i < n; ++i) labels[i] = graph[i].label;
  } else {
    // Quantise to 16 bits over the value range inside the mask, so any scale works.
    const float* b = src.boundary;
    float lo = std::numeric_limits<float>::infinity(), hi = -lo;
    for (size_t i = 0; i < n; ++i)
      if ((!mask || mask[i]) && std::isfinite(b[i])) lo = std::min(lo, b[i]), hi = std::max(hi, b[i]);
    const double scale = hi > lo ? 65535.0 / (double(hi) - lo) : 0.0;
    auto levelOf = [&](size_t i) -> uint16_t {
      const float v = b[i];
      if (!std::isfinite(v)) return v < 0 ? 0 : 65535;
      return static_cast<uint16_t>(std::clamp((double(v) - lo) * scale, 0.0, 65535.0) + 0.5);
    };
    std::vector<NodeVoxel<uint16_t>> graph;
    BuildNodeGraph<uint16_t>(s, inPlane, mask, levelOf, graph);
    for (size_t i = 0; i < n; ++i) graph[i].label = labels[i];
    FloodNodes(s, graph, 65536);
    for (size_t i = 0; i < n; ++i) labels[i] = graph[i].label;
  }

  SplitResult r;
  r.groupSizes.assign(groups + 1, 0);
  for (size_t i = 0; i < n; ++i) {
    const uint32_t l = labels[i];
    out[i] = static_cast<uint16_t>(l);
    if (l) ++r.groupSizes[l];
    else if (!mask || mask[i]) ++r.unreached;
  }
  return r;
}

}  // namespace tu::seg
