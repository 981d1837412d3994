#include "seg_agglomeration.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

#include "thread_pool.h"

namespace tu::seg {
namespace {

inline uint64_t EdgeKey(uint32_t a, uint32_t b) {
  return a < b ? (uint64_t(a) << 32) | b : (uint64_t(b) << 32) | a;
}

/** Merges the sorted histogram `add` into the sorted histogram `into`. */
void MergeHist(std::vector<HistBin>& into, const HistBin* add, size_t addCount) {
  if (addCount == 0) return;
  if (into.empty()) {
    into.assign(add, add + addCount);
    return;
  }
  std::vector<HistBin> merged;
  merged.reserve(into.size() + addCount);
  size_t i = 0, j = 0;
  while (i < into.size() || j < addCount) {
    if (j == addCount || (i < into.size() && into[i].bin < add[j].bin)) merged.push_back(into[i++]);
    else if (i == into.size() || add[j].bin < into[i].bin) merged.push_back(add[j++]);
    else merged.push_back({into[i].bin, into[i].count + add[j].count}), ++i, ++j;
  }
  into.swap(merged);
}

/** Edges found in one slab of a block, before they join the shared graph. */
struct LocalEdges {
  explicit LocalEdges(bool withHist) : withHist(withHist) {}
  bool withHist;
  DenseIndex<uint64_t> index{1024};
  std::vector<uint64_t> sum, count;
  std::vector<std::vector<HistBin>> hist;
  std::vector<uint64_t> pending;  // (edge << 8) | bin, folded into `hist` in batches
  uint64_t lastKey[3] = {~0ull, ~0ull, ~0ull};
  uint32_t lastIdx[3] = {0, 0, 0};
  uint32_t maxId = 0;

  void Add(int axis, uint32_t f, uint32_t g, uint32_t fixed, uint8_t bin) {
    const uint64_t key = EdgeKey(f, g);
    uint32_t idx;
    if (key == lastKey[axis]) {
      idx = lastIdx[axis];
    } else {
      bool inserted = false;
      idx = index.FindOrInsert(key, &inserted);
      if (inserted) {
        sum.push_back(0);
        count.push_back(0);
        if (withHist) hist.emplace_back();
      }
      lastKey[axis] = key;
      lastIdx[axis] = idx;
      maxId = std::max(maxId, std::max(f, g));
    }
    sum[idx] += fixed;
    ++count[idx];
    if (withHist) {
      pending.push_back((uint64_t(idx) << 8) | bin);
      if (pending.size() >= (1u << 22)) Fold();
    }
  }

  void Fold() {
    std::sort(pending.begin(), pending.end());
    std::vector<HistBin> run;
    size_t i = 0;
    while (i < pending.size()) {
      const uint64_t edge = pending[i] >> 8;
      run.clear();
      while (i < pending.size() && (pending[i] >> 8) == edge) {
        const uint32_t bin = pending[i] & 0xff;
        size_t j = i;
        while (j < pending.size() && pending[j] == pending[i]) ++j;
        run.push_back({bin, j - i});
        i = j;
      }
      MergeHist(hist[edge], run.data(), run.size());
    }
    pending.clear();
  }
};

struct HeapEntry {
  double score;
  uint32_t edge;
  uint32_t stamp;
};

/** Min-heap order on (score, edge index): deterministic whatever the container history. */
struct HeapAfter {
  bool operator()(const HeapEntry& a, const HeapEntry& b) const {
    return a.score != b.score ? a.score > b.score : a.edge > b.edge;
  }
};

uint32_t Find(std::vector<uint32_t>& parent, uint32_t a) {
  while (parent[a] != a) {
    parent[a] = parent[parent[a]];
    a = parent[a];
  }
  return a;
}

}  // namespace

RegionGraph::RegionGraph(MergeFunction fn, double quantile) : fn_(fn), quantile_(quantile) {
  if (!(quantile >= 0.0 && quantile <= 1.0)) throw std::invalid_argument("quantile must be in [0, 1]");
}

void RegionGraph::AddBlock(const uint32_t* frags, const AffinityView& a, Shape3 s, const uint32_t* const halo[3]) {
  const bool withHist = fn_ == MergeFunction::kQuantile;
  const size_t plane = s.Plane();
  ParallelFor(s.z, 1, [&](size_t z0, size_t z1) {
    LocalEdges local(withHist);
    for (size_t z = z0; z < z1; ++z)
      for (size_t y = 0; y < s.y; ++y) {
        const size_t row = (z * s.y + y) * s.x;
        for (size_t x = 0; x < s.x; ++x) {
          const size_t i = row + x;
          const uint32_t f = frags[i];
          if (f == 0) continue;
          uint32_t g;
          g = x > 0 ? frags[i - 1] : (halo[2] ? halo[2][z * s.y + y] : 0);
          if (g != 0 && g != f) local.Add(2, f, g, a.Fixed16(2, i), a.Bin(2, i));
          g = y > 0 ? frags[i - s.x] : (halo[1] ? halo[1][z * s.x + x] : 0);
          if (g != 0 && g != f) local.Add(1, f, g, a.Fixed16(1, i), a.Bin(1, i));
          g = z > 0 ? frags[i - plane] : (halo[0] ? halo[0][y * s.x + x] : 0);
          if (g != 0 && g != f) local.Add(0, f, g, a.Fixed16(0, i), a.Bin(0, i));
        }
      }
    if (withHist) local.Fold();
    std::lock_guard<std::mutex> lock(mutex_);
    const auto& keys = local.index.Keys();
    for (size_t li = 0; li < keys.size(); ++li) {
      bool inserted = false;
      const uint32_t gi = index_.FindOrInsert(keys[li], &inserted);
      if (inserted) {
        sum_.push_back(0);
        count_.push_back(0);
        if (withHist) hist_.emplace_back();
      }
      sum_[gi] += local.sum[li];
      count_[gi] += local.count[li];
      if (withHist) MergeHist(hist_[gi], local.hist[li].data(), local.hist[li].size());
    }
    maxFragment_ = std::max(maxFragment_, local.maxId);
  });
}

double RegionGraph::Score(uint64_t sum, uint64_t count, const std::vector<HistBin>* hist) const {
  if (fn_ == MergeFunction::kMean) return 1.0 - double(sum) / (double(count) * 65535.0);
  // Lower quantile: the value of rank ceil(q * n) (at least 1) among the n affinities.
  const uint64_t rank = std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(quantile_ * double(count))));
  uint64_t seen = 0;
  for (const HistBin& h : *hist) {
    seen += h.count;
    if (seen >= rank) return 1.0 - h.bin / 255.0;
  }
  return hist->empty() ? 1.0 : 1.0 - hist->back().bin / 255.0;
}

AgglomerationResult RegionGraph::Agglomerate(std::vector<double> thresholds, uint32_t fragmentCount) const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (fragmentCount < maxFragment_)
    throw std::invalid_argument("agglomerate: fragmentCount " + std::to_string(fragmentCount) +
                                " is below the largest fragment id in the graph (" + std::to_string(maxFragment_) + ")");
  if (fragmentCount >= SmallMap32::kTomb) throw std::invalid_argument("agglomerate: too many fragments");
  std::sort(thresholds.begin(), thresholds.end());
  const bool withHist = fn_ == MergeFunction::kQuantile;
  const size_t edges = index_.Size();
  const auto& keys = index_.Keys();

  // Canonical edge order (by fragment pair), so the result never depends on how the
  // graph was assembled.
  std::vector<uint32_t> order(edges);
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(), [&](uint32_t p, uint32_t q) { return keys[p] < keys[q]; });

  std::vector<uint32_t> eu(edges), ev(edges), stamp(edges, 0);
  std::vector<uint64_t> sum(edges), count(edges);
  std::vector<std::vector<HistBin>> hist(withHist ? edges : 0);
  std::vector<uint8_t> alive(edges, 1);
  std::vector<SmallMap32> adj(size_t(fragmentCount) + 1);
  std::vector<HeapEntry> heap;
  heap.reserve(edges);
  for (uint32_t k = 0; k < edges; ++k) {
    const uint32_t src = order[k];
    eu[k] = static_cast<uint32_t>(keys[src] >> 32);
    ev[k] = static_cast<uint32_t>(keys[src] & 0xffffffffu);
    sum[k] = sum_[src];
    count[k] = count_[src];
    if (withHist) hist[k] = hist_[src];
    adj[eu[k]].Set(ev[k], k);
    adj[ev[k]].Set(eu[k], k);
    heap.push_back({Score(sum[k], count[k], withHist ? &hist[k] : nullptr), k, 0});
  }
  std::make_heap(heap.begin(), heap.end(), HeapAfter());

  std::vector<uint32_t> parent(size_t(fragmentCount) + 1), minId(size_t(fragmentCount) + 1);
  std::iota(parent.begin(), parent.end(), 0u);
  std::iota(minId.begin(), minId.end(), 0u);

  AgglomerationResult result;
  result.thresholds = thresholds;
  auto record = [&] {
    std::vector<uint32_t> mapping(size_t(fragmentCount) + 1, 0);
    uint32_t segments = 0;
    for (uint32_t f = 1; f <= fragmentCount; ++f) {
      const uint32_t r = Find(parent, f);
      mapping[f] = minId[r];
      if (r == f) ++segments;
    }
    result.mappings.push_back(std::move(mapping));
    result.segmentCounts.push_back(segments);
  };

  size_t next = 0;
  while (next < thresholds.size()) {
    while (!heap.empty()) {
      const HeapEntry& top = heap.front();
      if (alive[top.edge] && stamp[top.edge] == top.stamp) break;
      std::pop_heap(heap.begin(), heap.end(), HeapAfter());
      heap.pop_back();
    }
    if (heap.empty() || heap.front().score >= thresholds[next]) {
      record();
      ++next;
      continue;
    }
    const uint32_t e = heap.front().edge;
    std::pop_heap(heap.begin(), heap.end(), HeapAfter());
    heap.pop_back();

    const uint32_t ra = eu[e], rb = ev[e];
    const bool keepA = adj[ra].Size() != adj[rb].Size() ? adj[ra].Size() > adj[rb].Size() : ra < rb;
    const uint32_t keep = keepA ? ra : rb, gone = keepA ? rb : ra;
    parent[gone] = keep;
    minId[keep] = std::min(minId[keep], minId[gone]);
    alive[e] = 0;
    adj[keep].Erase(gone);
    ++result.merges;
    adj[gone].ForEach([&](uint32_t nb, uint32_t e2) {
      if (nb == keep) return;
      adj[nb].Erase(gone);
      uint32_t e1;
      if (adj[keep].Find(nb, &e1)) {
        sum[e1] += sum[e2];
        count[e1] += count[e2];
        if (withHist) {
          MergeHist(hist[e1], hist[e2].data(), hist[e2].size());
          std::vector<HistBin>().swap(hist[e2]);
        }
        alive[e2] = 0;
        ++stamp[e1];
        heap.push_back({Score(sum[e1], count[e1], withHist ? &hist[e1] : nullptr), e1, stamp[e1]});
        std::push_heap(heap.begin(), heap.end(), HeapAfter());
      } else {
        adj[keep].Set(nb, e2);
        adj[nb].Set(keep, e2);
        eu[e2] = keep;
        ev[e2] = nb;
      }
    });
    adj[gone].Release();
  }
  return result;
}

void RegionGraph::Edges(std::vector<uint32_t>& u, std::vector<uint32_t>& v, std::vector<double>& affinity,
                        std::vector<double>& count) const {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto& keys = index_.Keys();
  std::vector<uint32_t> order(keys.size());
  std::iota(order.begin(), order.end(), 0u);
  std::sort(order.begin(), order.end(), [&](uint32_t p, uint32_t q) { return keys[p] < keys[q]; });
  for (uint32_t k : order) {
    u.push_back(static_cast<uint32_t>(keys[k] >> 32));
    v.push_back(static_cast<uint32_t>(keys[k] & 0xffffffffu));
    affinity.push_back(1.0 - Score(sum_[k], count_[k], fn_ == MergeFunction::kQuantile ? &hist_[k] : nullptr));
    count.push_back(double(count_[k]));
  }
}

void ApplyMapping(const uint32_t* fragments, size_t n, const std::vector<uint32_t>& mapping, uint32_t* out) {
  const size_t m = mapping.size();
  ParallelFor(n, 1 << 16, [&](size_t b, size_t e) {
    for (size_t i = b; i < e; ++i) {
      const uint32_t f = fragments[i];
      out[i] = f < m ? mapping[f] : 0;
    }
  });
}

}  // namespace tu::seg
