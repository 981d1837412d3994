#include "seg_metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "seg_morphology.h"
#include "thread_pool.h"

namespace tu::seg {
namespace {

struct LocalTable {
  DenseIndex<PairKey> index{4096};
  std::vector<uint64_t> counts;
};

/** Counts runs of equal (gt, seg) pairs; runs are long in real volumes, so hashing is rare. */
template <class G, class S>
void Accumulate(const G* gt, const S* seg, size_t begin, size_t end, LocalTable& t) {
  PairKey last{~0ull, ~0ull};
  uint32_t lastIdx = 0;
  bool haveLast = false;
  size_t i = begin;
  while (i < end) {
    const G g = gt[i];
    const S s = seg[i];
    size_t j = i + 1;
    while (j < end && gt[j] == g && seg[j] == s) ++j;
    if (g != 0) {
      const PairKey key{static_cast<uint64_t>(g), static_cast<uint64_t>(s)};
      if (!haveLast || !(key == last)) {
        bool inserted = false;
        lastIdx = t.index.FindOrInsert(key, &inserted);
        if (inserted) t.counts.push_back(0);
        last = key;
        haveLast = true;
      }
      t.counts[lastIdx] += j - i;
    }
    i = j;
  }
}

using U128 = unsigned __int128;

}  // namespace

void Contingency::Add(const LabelView& gt, const LabelView& seg) {
  if (gt.size != seg.size)
    throw std::invalid_argument("metrics: ground truth and segmentation chunks differ in length (" +
                                std::to_string(gt.size) + " vs " + std::to_string(seg.size) + ")");
  const size_t n = gt.size;
  const size_t parts = ThreadPool::Global().Concurrency();
  const size_t grain = std::max<size_t>(1 << 18, (n + parts - 1) / parts);
  ParallelFor(n, grain, [&](size_t b, size_t e) {
    LocalTable local;
    VisitLabels(gt, [&](auto* g) { VisitLabels(seg, [&](auto* s) { Accumulate(g, s, b, e, local); }); });
    std::lock_guard<std::mutex> lock(mutex_);
    const auto& keys = local.index.Keys();
    for (size_t k = 0; k < keys.size(); ++k) {
      bool inserted = false;
      const uint32_t idx = index_.FindOrInsert(keys[k], &inserted);
      if (inserted) counts_.push_back(0);
      counts_[idx] += local.counts[k];
    }
  });
  std::lock_guard<std::mutex> lock(mutex_);
  total_ += n;
}

void Contingency::Merge(const Contingency& other) {
  if (&other == this) throw std::invalid_argument("metrics: cannot merge a table into itself");
  std::scoped_lock lock(mutex_, other.mutex_);
  const auto& keys = other.index_.Keys();
  for (size_t k = 0; k < keys.size(); ++k) {
    bool inserted = false;
    const uint32_t idx = index_.FindOrInsert(keys[k], &inserted);
    if (inserted) counts_.push_back(0);
    counts_[idx] += other.counts_[k];
  }
  total_ += other.total_;
}

void Contingency::Reset() {
  std::lock_guard<std::mutex> lock(mutex_);
  index_.Clear();
  counts_.clear();
  total_ = 0;
}

Metrics Contingency::Compute() const {
  std::lock_guard<std::mutex> lock(mutex_);
  Metrics m;
  const auto& keys = index_.Keys();
  m.total = total_;
  m.pairs = keys.size();
  DenseIndex<uint64_t> gtIndex, segIndex;
  std::vector<uint64_t> a, b;  // gt (row) and seg (column) marginals
  std::vector<uint32_t> row(keys.size()), col(keys.size());
  uint64_t counted = 0, segZero = 0;
  for (size_t k = 0; k < keys.size(); ++k) {
    bool inserted = false;
    row[k] = gtIndex.FindOrInsert(keys[k].a, &inserted);
    if (inserted) a.push_back(0);
    col[k] = segIndex.FindOrInsert(keys[k].b, &inserted);
    if (inserted) b.push_back(0);
    a[row[k]] += counts_[k];
    b[col[k]] += counts_[k];
    counted += counts_[k];
    if (keys[k].b == 0) segZero += counts_[k];
  }
  m.counted = counted;
  m.gtSegments = a.size();
  m.segSegments = b.size();
  if (counted == 0) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    m.voiSplit = m.voiMerge = m.arand = m.arandPrecision = m.arandRecall = nan;
    m.cremiArand = m.cremiPrecision = m.cremiRecall = nan;
    return m;
  }

  // H(seg|gt) = -sum_ij p_ij log2(p_ij / p_i), H(gt|seg) = -sum_ij p_ij log2(p_ij / p_j).
  double hSegGivenGt = 0, hGtGivenSeg = 0;
  U128 sumNij2 = 0, sumNij2SegNonZero = 0;
  for (size_t k = 0; k < keys.size(); ++k) {
    const double c = double(counts_[k]);
    const double lc = std::log2(c);
    hSegGivenGt += c * (std::log2(double(a[row[k]])) - lc);
    hGtGivenSeg += c * (std::log2(double(b[col[k]])) - lc);
    const U128 sq = U128(counts_[k]) * counts_[k];
    sumNij2 += sq;
    if (keys[k].b != 0) sumNij2SegNonZero += sq;
  }
  const double N = double(counted);
  m.voiSplit = hSegGivenGt / N;
  m.voiMerge = hGtGivenSeg / N;

  U128 sumA2 = 0, sumB2 = 0, sumB2NonZero = 0;
  for (uint64_t v : a) sumA2 += U128(v) * v;
  const auto& segKeys = segIndex.Keys();
  for (size_t j = 0; j < b.size(); ++j) {
    const U128 sq = U128(b[j]) * b[j];
    sumB2 += sq;
    if (segKeys[j] != 0) sumB2NonZero += sq;
  }

  // skimage: pairs of distinct voxels (n^2 - n); precision over gt pairs, recall over seg pairs.
  const double pij = double(sumNij2 - counted), pa = double(sumA2 - counted), pb = double(sumB2 - counted);
  m.arandPrecision = pij / pa;
  m.arandRecall = pij / pb;
  m.arand = 1.0 - 2.0 * m.arandPrecision * m.arandRecall / (m.arandPrecision + m.arandRecall);

  // CREMI / SNEMI3D: squared counts; seg label 0 inside gt acts as singletons through the
  // c / n term, where n counts every voxel (gt 0 included); precision over seg pairs.
  const double n = double(total_), c0 = double(segZero);
  const double sumAB = double(sumNij2SegNonZero) + c0 / n;
  const double sumB = double(sumB2NonZero) + c0 / n;
  const double sumA = double(sumA2);
  m.cremiPrecision = sumAB / sumB;
  m.cremiRecall = sumAB / sumA;
  m.cremiArand = 1.0 - 2.0 * m.cremiPrecision * m.cremiRecall / (m.cremiPrecision + m.cremiRecall);
  return m;
}

void CremiBorderMask(const LabelView& labels, Shape3 s, double maxDistance, uint8_t* out) {
  const size_t n = s.Size();
  if (labels.size != n) throw std::invalid_argument("border mask: labels do not match the shape");
  std::vector<uint8_t> interior(n);
  VisitLabels(labels, [&](auto* l) {
    ParallelFor(s.z * s.y, 64, [&](size_t b, size_t e) {
      for (size_t r = b; r < e; ++r) {
        const size_t y = r % s.y;
        for (size_t x = 0; x < s.x; ++x) {
          const size_t i = r * s.x + x;
          const auto v = l[i];
          const bool same = (x == 0 || l[i - 1] == v) && (x + 1 == s.x || l[i + 1] == v) &&
                            (y == 0 || l[i - s.x] == v) && (y + 1 == s.y || l[i + s.x] == v);
          interior[i] = same;
        }
      }
    });
  });
  std::vector<float> dist(n);
  const double spacing[3] = {1, 1, 1};
  DistanceTransform(interior.data(), s, spacing, true, dist.data());
  ParallelFor(n, 1 << 16, [&](size_t b, size_t e) {
    for (size_t i = b; i < e; ++i) out[i] = dist[i] <= maxDistance;
  });
}

}  // namespace tu::seg
