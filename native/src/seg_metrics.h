// Segmentation metrics from a streaming contingency table: VOI split/merge and adapted
// Rand error (skimage.metrics conventions and the CREMI/SNEMI3D variant).
#pragma once
#include <cstdint>
#include <mutex>
#include <vector>

#include "seg_hash.h"
#include "seg_types.h"

namespace tu::seg {

struct Metrics {
  // skimage.metrics.variation_of_information(gt, seg, ignore_labels=[0]) -> [split, merge], bits
  double voiSplit = 0, voiMerge = 0;
  // skimage.metrics.adapted_rand_error(gt, seg, ignore_labels=[0]) -> (error, precision, recall)
  double arand = 0, arandPrecision = 0, arandRecall = 0;
  // cremi_python evaluation.rand.adapted_rand(seg, gt, all_stats=True)
  double cremiArand = 0, cremiPrecision = 0, cremiRecall = 0;
  uint64_t counted = 0;  // voxels with gt != 0
  uint64_t total = 0;    // all voxels seen
  uint64_t pairs = 0;    // non-zero cells of the contingency table
  uint64_t gtSegments = 0, segSegments = 0;
};

/** Counts (gt, seg) label pairs chunk by chunk; voxels with gt == 0 are only counted in `total`. */
class Contingency {
 public:
  /** Adds one chunk (same length); thread-safe. */
  void Add(const LabelView& gt, const LabelView& seg);
  /** Adds another table's counts (e.g. from another worker). */
  void Merge(const Contingency& other);
  Metrics Compute() const;
  void Reset();
  uint64_t Total() const { return total_; }

 private:
  mutable std::mutex mutex_;
  DenseIndex<PairKey> index_{1024};
  std::vector<uint64_t> counts_;
  uint64_t total_ = 0;
};

/**
 * CREMI's border mask: per z-section, voxels within `maxDistance` (in-plane, voxels) of a
 * voxel whose 4-neighbourhood holds another label (edges replicated) get 1, others 0.
 */
void CremiBorderMask(const LabelView& labels, Shape3 shape, double maxDistance, uint8_t* out);

}  // namespace tu::seg
