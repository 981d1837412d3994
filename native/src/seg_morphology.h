// Distance transform, maximum filter and connected components on 3D volumes.
#pragma once
#include <cstdint>
#include <vector>

#include "seg_types.h"

namespace tu::seg {

/**
 * Exact Euclidean distance from every voxel where `foreground` is non-zero to the nearest
 * voxel where it is zero (0 on background), with per-axis voxel spacing (z, y, x)
 * (Felzenszwalb & Huttenlocher's separable lower-envelope algorithm). With `inPlane` the
 * transform is 2D per z-section. Voxels with no background in reach get +infinity.
 */
void DistanceTransform(const uint8_t* foreground, Shape3 shape, const double spacing[3], bool inPlane, float* out);

/** Maximum over the box window of half-widths (rz, ry, rx), clipped at the volume border. */
void MaximumFilter(const float* in, Shape3 shape, const int radius[3], float* out);

/**
 * Connected components of equal non-zero labels, face connectivity (6 in 3D, or 4 within
 * each z-section when `inPlane`). Components are numbered 1..K in raster order of their
 * first voxel (as skimage.measure.label); 0 stays 0. Returns K.
 */
template <class L>
uint32_t ConnectedComponents(const L* labels, Shape3 shape, bool inPlane, uint32_t* out);

/**
 * Renumbers the non-zero labels of `labels` in place to 1..K in raster order of first
 * appearance. `maxLabel` bounds the input ids. Returns K.
 */
uint32_t RelabelSequential(uint32_t* labels, size_t n, uint32_t maxLabel);

}  // namespace tu::seg
