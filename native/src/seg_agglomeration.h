// Region adjacency graph over fragments and waterz-like agglomeration.
//
// An edge between fragments u and v collects the affinities of all voxel pairs (p, q)
// that are face neighbours with fragment(p) = u, fragment(q) = v. Statistics are exact
// integers (16-bit fixed-point sums, 256-bin histograms), so adding blocks in any order
// and in any split gives the same graph, and the same agglomeration.
#pragma once
#include <cstdint>
#include <mutex>
#include <vector>

#include "seg_hash.h"
#include "seg_types.h"

namespace tu::seg {

enum class MergeFunction { kMean, kQuantile };

struct HistBin {
  uint32_t bin;
  uint64_t count;
};

struct AgglomerationResult {
  std::vector<double> thresholds;                 // ascending
  std::vector<std::vector<uint32_t>> mappings;    // per threshold: fragment id -> segment id
  std::vector<uint32_t> segmentCounts;            // per threshold
  uint64_t merges = 0;
};

class RegionGraph {
 public:
  RegionGraph(MergeFunction fn, double quantile);

  /**
   * Adds the voxel pairs of one block of fragments (local shape `s`, affinities `a` of the
   * same block) and, when a halo is given, the pairs across the block's low face along
   * that axis: halo[0] is the (Y, X) plane of fragment ids at z0 - 1, halo[1] the (Z, X)
   * plane at y0 - 1, halo[2] the (Z, Y) plane at x0 - 1. Thread-safe.
   */
  void AddBlock(const uint32_t* fragments, const AffinityView& a, Shape3 s, const uint32_t* const halo[3]);

  size_t EdgeCount() const { return index_.Size(); }
  uint32_t MaxFragment() const { return maxFragment_; }

  /**
   * Merges regions in order of increasing score (1 - mean or 1 - quantile affinity of the
   * current edge), re-scoring merged edges, and records the partition when the next score
   * reaches each threshold. `fragmentCount` >= the largest fragment id.
   */
  AgglomerationResult Agglomerate(std::vector<double> thresholds, uint32_t fragmentCount) const;

  /** Edge list in canonical (u < v, ascending) order with its current aggregate affinity. */
  void Edges(std::vector<uint32_t>& u, std::vector<uint32_t>& v, std::vector<double>& affinity,
             std::vector<double>& count) const;

 private:
  double Score(uint64_t sum, uint64_t count, const std::vector<HistBin>* hist) const;

  MergeFunction fn_;
  double quantile_;
  mutable std::mutex mutex_;
  DenseIndex<uint64_t> index_;
  std::vector<uint64_t> sum_, count_;
  std::vector<std::vector<HistBin>> hist_;
  uint32_t maxFragment_ = 0;
};

/** out[i] = mapping[fragments[i]] (0 where the fragment id is 0 or beyond the mapping). */
void ApplyMapping(const uint32_t* fragments, size_t n, const std::vector<uint32_t>& mapping, uint32_t* out);

}  // namespace tu::seg
