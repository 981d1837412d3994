// Fragments (supervoxels) from affinities by seeded watershed, and the seeded split used
// by the proofreading tool.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "seg_types.h"

namespace tu::seg {

struct FragmentOptions {
  /** false: every z-section on its own (anisotropic EM); true: one 3D watershed. */
  bool threeD = false;
  /**
   * A voxel is inside a cell (a seed candidate) when 1 - (the weakest affinity of its face
   * edges), quantised like the flood levels, is below this; the distance transform
   * measures the distance to the other voxels.
   */
  double boundaryThreshold = 0.5;
  /** Seeds are distance maxima within a window of this half-width (voxels, in-plane). */
  double seedRadius = 4;
  /** Seeds must be at least this far (in spacing units) from the nearest boundary voxel. */
  double minSeedDistance = 1;
  /** Voxel spacing (z, y, x) for the distance transform and the 3D seed window. */
  double spacing[3] = {1, 1, 1};
  /** Fragments smaller than this are dissolved and re-flooded from their neighbours. */
  uint32_t minFragmentSize = 0;
  /** Priority levels edge strengths (1 - affinity) are quantised to for the flood (<= 65535). */
  uint32_t levels = 255;
  /** When set (all > 0), fragments never cross this block grid: block-wise runs reproduce it. */
  Shape3 blockShape;
};

/**
 * Seeds are the plateaus of local maxima of the distance to the boundary voxels; they
 * grow by an edge-weighted flood on the affinity graph (minimum spanning forest), so a
 * fragment border follows the weakest affinities between seeds.
 * Labels every voxel of `shape` (except where mask == 0) with a fragment id 1..F, ids in
 * block raster order and, inside a block, in raster order of each fragment's first voxel.
 * Returns F. `a` are the (3, Z, Y, X) affinities of the whole volume.
 */
uint32_t Fragments(const AffinityView& a, Shape3 shape, const uint8_t* mask, const FragmentOptions& options,
                   uint32_t* out);

/** What the split flood follows: voxels are reached in order of increasing boundary strength. */
struct SplitSource {
  enum Kind { kImage, kBoundary, kAffinities } kind = kBoundary;
  const uint8_t* image = nullptr;  // kImage
  bool darkBoundaries = true;      // kImage: membranes are dark in EM, so strength = 255 - value
  const float* boundary = nullptr; // kBoundary: higher = stronger boundary
  AffinityView affinities;         // kAffinities: edge strength = 1 - affinity of the voxel pair
};

struct SplitSeed {
  uint32_t group;  // 1-based
  size_t index;    // voxel index in the region
};

struct SplitResult {
  std::vector<uint64_t> groupSizes;  // voxels per group (index 0 unused)
  uint64_t unreached = 0;            // mask voxels no seed can reach (label 0)
};

/**
 * Floods the masked voxels from seed groups; out[v] = group (1..G) or 0 outside the mask
 * and where unreachable. Throws std::invalid_argument for seeds outside the mask or a
 * voxel claimed by two groups.
 */
SplitResult SeededSplit(Shape3 shape, const uint8_t* mask, const SplitSource& source,
                        const std::vector<SplitSeed>& seeds, uint32_t groups, bool inPlane, uint16_t* out);

}  // namespace tu::seg
