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
 * Marks voxels inside cells: in the mask, and every affinity of the voxel's face edges
 * (within the used axes) above 1 - boundaryThreshold. Taking the weakest edge makes a
 * boundary that is a single low affinity wide still separate the two cells' seeds.
 */
void InteriorMask(const AffinityView& a, Shape3 s, bool inPlane, const uint8_t* mask, double boundaryThreshold,
                  std::vector<uint8_t>& inside) {
  const size_t plane = s.Plane();
  inside.resize(s.Size());
  const size_t extent[3] = {s.z, s.y, s.x};
  const size_t stride[3] = {plane, s.x, 1};
  const float minAffinity = static_cast<float>(1.0 - boundaryThreshold);
  ParallelFor(s.z * s.y, 16, [&](size_t b, size_t e) {
    for (size_t row = b; row < e; ++row) {
      const size_t z = row / s.y, y = row % s.y;
      for (size_t x = 0; x < s.x; ++x) {
        const size_t i = row * s.x + x;
        const size_t coord[3] = {z, y, x};
        float weakest = 1.0f;
        for (int c = inPlane ? 1 : 0; c < 3; ++c) {
          if (coord[c] > 0) weakest = std::min(weakest, a.At(c, i));
          if (coord[c] + 1 < extent[c]) weakest = std::min(weakest, a.At(c, i + stride[c]));
        }
        inside[i] = (!mask || mask[i]) && weakest > minAffinity;
      }
    }
  });
}

/** Priority level of the edge between face neighbours v and nb: 0 for affinity 1. */
inline uint32_t EdgeLevel(const AffinityView& a, size_t v, size_t nb, int axis, uint32_t levels) {
  const uint32_t fixed = a.Fixed16(axis, v > nb ? v : nb);
  return static_cast<uint32_t>((uint64_t(65535u - fixed) * (levels - 1) + 32767u) / 65535u);
}

/** Labels mask voxels no seed reached with one new id per connected leftover region. */
uint32_t LabelLeftovers(Shape3 s, bool inPlane, const uint8_t* mask, uint32_t next, uint32_t* out) {
  const size_t n = s.Size();
  std::vector<uint8_t> left(n);
  bool any = false;
  for (size_t i = 0; i < n; ++i) {
    left[i] = out[i] == 0 && (!mask || mask[i]);
    any |= left[i] != 0;
  }
  if (!any) return next;
  std::vector<uint32_t> cc(n);
  const uint32_t k = ConnectedComponents(left.data(), s, inPlane, cc.data());
  for (size_t i = 0; i < n; ++i)
    if (cc[i]) out[i] = next + cc[i];
  return next + k;
}

/** Fragments of one contiguous region (a section, a block or the whole volume). */
uint32_t FragmentRegion(const AffinityView& a, Shape3 s, const uint8_t* mask, const FragmentOptions& o,
                        uint32_t* out) {
  const bool inPlane = !o.threeD;
  const size_t n = s.Size();
  std::vector<uint8_t> inside;
  InteriorMask(a, s, inPlane, mask, o.boundaryThreshold, inside);

  std::vector<float> dist(n), peak(n);
  DistanceTransform(inside.data(), s, o.spacing, inPlane, dist.data());
  const int r = static_cast<int>(std::lround(o.seedRadius));
  const int rz = inPlane ? 0 : static_cast<int>(std::lround(o.seedRadius * o.spacing[2] / o.spacing[0]));
  const int radius[3] = {rz, r, r};
  MaximumFilter(dist.data(), s, radius, peak.data());
  for (size_t i = 0; i < n; ++i)
    inside[i] = inside[i] && dist[i] >= o.minSeedDistance && dist[i] >= peak[i];
  std::vector<float>().swap(dist);
  std::vector<float>().swap(peak);

  uint32_t count = ConnectedComponents(inside.data(), s, inPlane, out);
  std::vector<uint8_t>().swap(inside);
  const uint32_t levels = o.levels;
  auto edgeLevel = [&a, levels](size_t v, size_t nb, int axis) { return EdgeLevel(a, v, nb, axis, levels); };
  FloodEdges(s, inPlane, levels, out, mask, edgeLevel);
  count = LabelLeftovers(s, inPlane, mask, count, out);

  if (o.minFragmentSize > 1 && count > 1) {
    std::vector<uint64_t> size(count + 1, 0);
    for (size_t i = 0; i < n; ++i) ++size[out[i]];
    bool anySmall = false;
    for (uint32_t f = 1; f <= count; ++f) anySmall |= size[f] < o.minFragmentSize;
    if (anySmall) {
      for (size_t i = 0; i < n; ++i)
        if (size[out[i]] < o.minFragmentSize) out[i] = 0;
      FloodEdges(s, inPlane, levels, out, mask, edgeLevel);
      count = LabelLeftovers(s, inPlane, mask, count, out);
    }
  }
  return RelabelSequential(out, n, count);
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
  if (o.levels < 2 || o.levels > 65536) throw std::invalid_argument("fragments: levels must be in [2, 65536]");
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

  if (src.kind == SplitSource::kImage) {
    const uint8_t* img = src.image;
    const bool dark = src.darkBoundaries;
    auto lv = [img, dark](size_t i) -> uint32_t { return dark ? 255u - img[i] : img[i]; };
    Flood(s, inPlane, 256, labels.data(), mask, [&](size_t, size_t nb, int) { return lv(nb); }, lv);
  } else if (src.kind == SplitSource::kBoundary) {
    // Quantise to 16 bits over the value range inside the mask, so any scale works.
    float lo = std::numeric_limits<float>::infinity(), hi = -lo;
    for (size_t i = 0; i < n; ++i)
      if ((!mask || mask[i]) && std::isfinite(src.boundary[i])) lo = std::min(lo, src.boundary[i]), hi = std::max(hi, src.boundary[i]);
    const double scale = hi > lo ? 65535.0 / (double(hi) - lo) : 0.0;
    const float* b = src.boundary;
    auto lv = [b, lo, scale](size_t i) -> uint32_t {
      const float v = b[i];
      if (!std::isfinite(v)) return v < 0 ? 0u : 65535u;
      return static_cast<uint32_t>(std::lround(std::clamp((double(v) - lo) * scale, 0.0, 65535.0)));
    };
    Flood(s, inPlane, 65536, labels.data(), mask, [&](size_t, size_t nb, int) { return lv(nb); }, lv);
  } else {
    const AffinityView a = src.affinities;
    auto edge = [&a](size_t v, size_t nb, int axis) { return EdgeLevel(a, v, nb, axis, 65536); };
    FloodEdges(s, inPlane, 65536, labels.data(), mask, edge);
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
