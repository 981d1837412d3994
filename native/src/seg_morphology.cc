#include "seg_morphology.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "thread_pool.h"

namespace tu::seg {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

/** 1D squared distance transform of a line in place (inf = no site), sample spacing w. */
struct Edt1D {
  std::vector<double> z, h;  // envelope breakpoints; f(q) + (w q)^2 of each envelope site
  std::vector<int> v;
  std::vector<float> f;
  explicit Edt1D(size_t n) : z(n + 1), h(n), v(n), f(n) {}

  void Run(float* line, size_t n, double w) {
    const double w2 = w * w;
    std::copy(line, line + n, f.begin());
    int k = -1;
    for (int q = 0; q < static_cast<int>(n); ++q) {
      if (std::isinf(f[q])) continue;
      const double hq = f[q] + w2 * double(q) * q;
      double s = -kInf;
      while (k >= 0) {
        // The intersection with site k lies right of z[k]: compare without dividing.
        const double num = hq - h[k], den = 2.0 * w2 * (q - v[k]);
        if (num > z[k] * den) {
          s = num / den;
          break;
        }
        --k;
      }
      ++k;
      v[k] = q;
      h[k] = hq;
      z[k] = s;
    }
    if (k < 0) return;  // no site: the line stays infinite
    int j = 0;
    for (int i = 0; i < static_cast<int>(n); ++i) {
      while (j < k && z[j + 1] < i) ++j;
      const double dx = i - v[j];
      line[i] = static_cast<float>(w2 * dx * dx + f[v[j]]);
    }
  }
};

/**
 * Applies apply(work, line, length) to every line of `data` along `axis`, in place, in
 * parallel. Lines along x are used where they lie; lines along y and z are gathered in
 * groups of kGroup neighbouring columns, so every cache line read serves kGroup lines.
 */
constexpr size_t kGroup = 16;

template <class MakeWork, class Apply>
void ForEachLine(float* data, Shape3 s, int axis, MakeWork makeWork, Apply apply) {
  if (axis == 2) {
    const size_t lines = s.z * s.y;
    ParallelFor(lines, std::max<size_t>(1, 8192 / s.x), [&](size_t begin, size_t end) {
      auto work = makeWork(s.x);
      for (size_t line = begin; line < end; ++line) apply(work, data + line * s.x, s.x);
    });
    return;
  }
  const size_t n = axis == 0 ? s.z : s.y;
  const size_t stride = axis == 0 ? s.Plane() : s.x;
  const size_t outer = axis == 0 ? s.y : s.z;  // the other axis besides x
  const size_t groupsPerRow = (s.x + kGroup - 1) / kGroup;
  ParallelFor(outer * groupsPerRow, std::max<size_t>(1, 2048 / (n * kGroup)), [&](size_t begin, size_t end) {
    auto work = makeWork(n);
    std::vector<float> buf(kGroup * n);
    for (size_t g = begin; g < end; ++g) {
      const size_t o = g / groupsPerRow, x0 = (g % groupsPerRow) * kGroup;
      const size_t width = std::min(kGroup, s.x - x0);
      float* base = data + (axis == 0 ? o * s.x : o * s.Plane()) + x0;
      for (size_t i = 0; i < n; ++i)
        for (size_t k = 0; k < width; ++k) buf[k * n + i] = base[i * stride + k];
      for (size_t k = 0; k < width; ++k) apply(work, buf.data() + k * n, n);
      for (size_t i = 0; i < n; ++i)
        for (size_t k = 0; k < width; ++k) base[i * stride + k] = buf[k * n + i];
    }
  });
}

}  // namespace

namespace {

/**
 * Runs fn(row, count, k, stride) over the lines along a slow axis (0 = z, 1 = y) as whole
 * contiguous slabs: for a line position k in [0, n) the `count` elements at `row + k *
 * stride` are one slab of many lines at once, so inner loops are contiguous and
 * vectorise. The work is split over the other coordinates.
 */
template <class Fn>
void ForEachSlabLine(Shape3 s, int axis, Fn&& fn) {
  const size_t n = axis == 0 ? s.z : s.y;
  const size_t stride = axis == 0 ? s.Plane() : s.x;
  const size_t outer = axis == 0 ? 1 : s.z;   // independent groups of lines
  const size_t inner = stride;                 // contiguous elements per slab row
  const size_t chunk = std::max<size_t>(256, std::min<size_t>(inner, 4096));
  const size_t chunksPerGroup = (inner + chunk - 1) / chunk;
  ParallelFor(outer * chunksPerGroup, 1, [&](size_t b, size_t e) {
    for (size_t t = b; t < e; ++t) {
      const size_t g = t / chunksPerGroup, c0 = (t % chunksPerGroup) * chunk;
      const size_t count = std::min(chunk, inner - c0);
      fn(g * n * stride + c0, count, n, stride);
    }
  });
}

}  // namespace

void DistanceTransform(const uint8_t* foreground, Shape3 s, const double spacing[3], bool inPlane, float* out) {
  const size_t total = s.Size();
  const float inf = std::numeric_limits<float>::infinity();
  // Along the slowest used axis the input is binary: the distance to the nearest zero in
  // the line is a forward and a backward sweep (done slab-wise, vectorised). The exact
  // lower-envelope transform (Felzenszwalb & Huttenlocher) then runs along the others.
  const int first = inPlane || s.z == 1 ? 1 : 0;
  const double w = spacing[first];
  const float w2 = static_cast<float>(w * w);
  ForEachSlabLine(s, first, [&](size_t base, size_t count, size_t n, size_t stride) {
    const uint8_t* f = foreground + base;
    float* o = out + base;
    for (size_t c = 0; c < count; ++c) o[c] = f[c] ? inf : 0.0f;
    for (size_t k = 1; k < n; ++k) {
      float* row = o + k * stride;
      const float* prev = row - stride;
      const uint8_t* fr = f + k * stride;
      for (size_t c = 0; c < count; ++c) row[c] = fr[c] ? prev[c] + 1.0f : 0.0f;
    }
    for (size_t k = n - 1; k-- > 0;) {
      float* row = o + k * stride;
      const float* next = row + stride;
      for (size_t c = 0; c < count; ++c) row[c] = std::min(row[c], next[c] + 1.0f);
    }
    for (size_t k = 0; k < n; ++k) {
      float* row = o + k * stride;
      for (size_t c = 0; c < count; ++c) row[c] = row[c] * row[c] * w2;  // inf stays inf
    }
  });
  auto make = [](size_t n) { return Edt1D(n); };
  for (int axis = first + 1; axis <= 2; ++axis) {
    const size_t n = axis == 1 ? s.y : s.x;
    if (n == 1) continue;
    const double wa = spacing[axis];
    ForEachLine(out, s, axis, make, [wa](Edt1D& t, float* line, size_t len) { t.Run(line, len, wa); });
  }
  ParallelFor(total, 1 << 16, [&](size_t b, size_t e) {
    for (size_t i = b; i < e; ++i) out[i] = std::sqrt(out[i]);
  });
}

void MaximumFilter(const float* in, Shape3 s, const int radius[3], float* out) {
  std::copy(in, in + s.Size(), out);
  // z and y: the window maximum over whole slabs (2r + 1 contiguous, vectorised maxima).
  for (int axis = 0; axis <= 1; ++axis) {
    const int r = radius[axis];
    if (r <= 0 || (axis == 0 ? s.z : s.y) == 1) continue;
    ForEachSlabLine(s, axis, [&](size_t base, size_t count, size_t n, size_t stride) {
      std::vector<float> src(n * count);
      for (size_t k = 0; k < n; ++k) std::copy(out + base + k * stride, out + base + k * stride + count, src.begin() + k * count);
      for (size_t k = 0; k < n; ++k) {
        float* row = out + base + k * stride;
        const size_t lo = k >= size_t(r) ? k - r : 0, hi = std::min(n - 1, k + r);
        std::copy(src.begin() + lo * count, src.begin() + (lo + 1) * count, row);
        for (size_t j = lo + 1; j <= hi; ++j) {
          const float* other = src.data() + j * count;
          for (size_t c = 0; c < count; ++c) row[c] = std::max(row[c], other[c]);
        }
      }
    });
  }
  const int r = radius[2];
  if (r <= 0 || s.x == 1) return;
  struct Work {
    std::vector<float> a, g, h;
  };
  auto make = [r](size_t len) {
    const size_t padded = len + 2 * r;
    return Work{std::vector<float>(padded), std::vector<float>(padded), std::vector<float>(padded)};
  };
  const size_t w = 2 * static_cast<size_t>(r) + 1;
  // x: van Herk / Gil-Werman, three comparisons per sample whatever the window size.
  ForEachLine(out, s, 2, make, [r, w](Work& t, float* line, size_t len) {
    const size_t padded = len + 2 * r;
    const float lo = -std::numeric_limits<float>::infinity();
    for (size_t i = 0; i < padded; ++i) {
      const bool inside = i >= static_cast<size_t>(r) && i < len + r;
      t.a[i] = inside ? line[i - r] : lo;
    }
    // Running maxima within blocks of w samples: forward (g) and backward (h).
    for (size_t b0 = 0; b0 < padded; b0 += w) {
      const size_t b1 = std::min(padded, b0 + w);
      t.g[b0] = t.a[b0];
      for (size_t i = b0 + 1; i < b1; ++i) t.g[i] = std::max(t.g[i - 1], t.a[i]);
      t.h[b1 - 1] = t.a[b1 - 1];
      for (size_t i = b1 - 1; i-- > b0;) t.h[i] = std::max(t.h[i + 1], t.a[i]);
    }
    for (size_t i = 0; i < len; ++i) line[i] = std::max(t.h[i], t.g[i + 2 * r]);
  });
}

namespace {

uint32_t FindRoot(std::vector<uint32_t>& parent, uint32_t a) {
  while (parent[a] != a) {
    parent[a] = parent[parent[a]];
    a = parent[a];
  }
  return a;
}

void Unite(std::vector<uint32_t>& parent, uint32_t a, uint32_t b) {
  a = FindRoot(parent, a);
  b = FindRoot(parent, b);
  if (a == b) return;
  if (a < b)
    parent[b] = a;
  else
    parent[a] = b;
}

}  // namespace

template <class L>
uint32_t ConnectedComponents(const L* labels, Shape3 s, bool inPlane, uint32_t* out) {
  // Two-pass labelling: provisional ids in raster order, equivalences by union-find
  // (the smallest provisional id of a component is the one of its first voxel).
  std::vector<uint32_t> parent(1, 0);
  const size_t plane = s.Plane();
  size_t i = 0;
  for (size_t z = 0; z < s.z; ++z)
    for (size_t y = 0; y < s.y; ++y)
      for (size_t x = 0; x < s.x; ++x, ++i) {
        const L l = labels[i];
        if (l == 0) {
          out[i] = 0;
          continue;
        }
        uint32_t id = 0;
        auto join = [&](size_t j) {
          if (labels[j] != l) return;
          if (id == 0)
            id = out[j];
          else if (out[j] != id)
            Unite(parent, id, out[j]);
        };
        if (x > 0) join(i - 1);
        if (y > 0) join(i - s.x);
        if (z > 0 && !inPlane) join(i - plane);
        if (id == 0) {
          if (parent.size() >= 0xffffffffu) throw std::runtime_error("connected components: more than 2^32-1 components");
          id = static_cast<uint32_t>(parent.size());
          parent.push_back(id);
        }
        out[i] = id;
      }
  std::vector<uint32_t> final(parent.size(), 0);
  uint32_t count = 0;
  for (uint32_t p = 1; p < parent.size(); ++p) {
    const uint32_t r = FindRoot(parent, p);
    if (r == p) final[p] = ++count;
    else final[p] = final[r];
  }
  const size_t n = s.Size();
  ParallelFor(n, 1 << 16, [&](size_t b, size_t e) {
    for (size_t k = b; k < e; ++k) out[k] = final[out[k]];
  });
  return count;
}

template uint32_t ConnectedComponents<uint8_t>(const uint8_t*, Shape3, bool, uint32_t*);
template uint32_t ConnectedComponents<uint16_t>(const uint16_t*, Shape3, bool, uint32_t*);
template uint32_t ConnectedComponents<uint32_t>(const uint32_t*, Shape3, bool, uint32_t*);
template uint32_t ConnectedComponents<int32_t>(const int32_t*, Shape3, bool, uint32_t*);
template uint32_t ConnectedComponents<uint64_t>(const uint64_t*, Shape3, bool, uint32_t*);

uint32_t RelabelSequential(uint32_t* labels, size_t n, uint32_t maxLabel) {
  std::vector<uint32_t> map(static_cast<size_t>(maxLabel) + 1, 0);
  uint32_t count = 0;
  for (size_t i = 0; i < n; ++i) {
    const uint32_t l = labels[i];
    if (l == 0) continue;
    uint32_t& m = map[l];
    if (m == 0) m = ++count;
    labels[i] = m;
  }
  return count;
}

}  // namespace tu::seg
