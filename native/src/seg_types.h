// Plain data views shared by the segmentation kernels (no Node-API here).
#pragma once
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <stdexcept>

namespace tu::seg {

/** Volume extent in voxels, C order (z slowest, x fastest). */
struct Shape3 {
  size_t z = 0, y = 0, x = 0;
  size_t Size() const { return z * y * x; }
  size_t Plane() const { return y * x; }
};

/** Integer label arrays we accept from JS, read as uint64. */
enum class LabelKind { U8, U16, U32, I32, U64 };

struct LabelView {
  LabelKind kind = LabelKind::U32;
  const void* data = nullptr;
  size_t size = 0;
};

/** Calls fn(const T* data) with the view's element type. */
template <class Fn>
auto VisitLabels(const LabelView& v, Fn&& fn) {
  switch (v.kind) {
    case LabelKind::U8: return fn(static_cast<const uint8_t*>(v.data));
    case LabelKind::U16: return fn(static_cast<const uint16_t*>(v.data));
    case LabelKind::I32: return fn(static_cast<const int32_t*>(v.data));
    case LabelKind::U64: return fn(static_cast<const uint64_t*>(v.data));
    case LabelKind::U32:
    default: return fn(static_cast<const uint32_t*>(v.data));
  }
}

/**
 * Nearest-neighbour affinities, shape (3, Z, Y, X) channel-major, channel order z, y, x.
 * Channel c at voxel v is the affinity between v and its neighbour at offset -1 along c.
 * Either float32 in [0, 1] or uint8 where 255 means 1.
 */
struct AffinityView {
  const float* f32 = nullptr;
  const uint8_t* u8 = nullptr;
  size_t channelStride = 0;  // elements between channels

  /** The same channels starting `offset` voxels further (a section or a sub-range). */
  AffinityView Offset(size_t offset) const {
    AffinityView v = *this;
    if (v.f32) v.f32 += offset;
    if (v.u8) v.u8 += offset;
    return v;
  }
  float At(int c, size_t i) const {
    const size_t k = static_cast<size_t>(c) * channelStride + i;
    return u8 ? u8[k] * (1.0f / 255.0f) : f32[k];
  }
  /** Fixed point with 16 fractional bits (65535 == 1): exact, order-independent sums. */
  uint32_t Fixed16(int c, size_t i) const {
    const size_t k = static_cast<size_t>(c) * channelStride + i;
    if (u8) return u8[k] * 257u;
    const float a = f32[k];
    if (!(a > 0.0f)) return 0;  // also maps NaN to 0
    if (a >= 1.0f) return 65535u;
    return static_cast<uint32_t>(a * 65535.0f + 0.5f);
  }
  /** One of 256 bins (bin b stands for b / 255). */
  uint8_t Bin(int c, size_t i) const {
    const size_t k = static_cast<size_t>(c) * channelStride + i;
    if (u8) return u8[k];
    const float a = f32[k];
    if (!(a > 0.0f)) return 0;
    if (a >= 1.0f) return 255;
    return static_cast<uint8_t>(a * 255.0f + 0.5f);
  }
};

/** Axis-aligned box [z0, z0 + shape.z) x ... inside a volume. */
struct Box3 {
  size_t z0 = 0, y0 = 0, x0 = 0;
  Shape3 shape;
};

}  // namespace tu::seg
