// JS bindings: fragments, whole-volume segmentation, block-wise region graph, seeded split.
#include <algorithm>
#include <memory>

#include "registry.h"
#include "seg_agglomeration.h"
#include "seg_napi.h"
#include "seg_watershed.h"

namespace tu::seg {
namespace {

FragmentOptions ParseFragmentOptions(Napi::Object o) {
  FragmentOptions f;
  f.threeD = BoolOpt(o, "threeD", false);
  f.boundaryThreshold = NumberOpt(o, "boundaryThreshold", f.boundaryThreshold);
  f.seedRadius = NumberOpt(o, "seedRadius", f.seedRadius);
  f.minSeedDistance = NumberOpt(o, "minSeedDistance", f.minSeedDistance);
  f.minFragmentSize = static_cast<uint32_t>(std::max(0.0, NumberOpt(o, "minFragmentSize", 0)));
  f.levels = static_cast<uint32_t>(NumberOpt(o, "levels", f.levels));
  if (f.seedRadius < 0 || f.seedRadius > 1000) throw Napi::RangeError::New(o.Env(), "seedRadius must be in [0, 1000]");
  if (f.levels < 2 || f.levels > 65535) throw Napi::RangeError::New(o.Env(), "levels must be in [2, 65535]");
  auto sp = NumberListOpt(o, "spacing");
  if (!sp.empty()) {
    if (sp.size() != 3 || !(sp[0] > 0 && sp[1] > 0 && sp[2] > 0))
      throw Napi::RangeError::New(o.Env(), "spacing must be 3 positive numbers [z, y, x]");
    for (int i = 0; i < 3; ++i) f.spacing[i] = sp[i];
  }
  if (HasOpt(o, "blockShape")) f.blockShape = ShapeArg(o.Get("blockShape"), "blockShape");
  return f;
}

MergeFunction ParseMerge(Napi::Object o, double* quantile) {
  const std::string merge = StringOpt(o, "merge", "mean");
  *quantile = NumberOpt(o, "quantile", 0.5);
  if (!(*quantile >= 0 && *quantile <= 1)) throw Napi::RangeError::New(o.Env(), "quantile must be in [0, 1]");
  if (merge == "mean") return MergeFunction::kMean;
  if (merge == "quantile") return MergeFunction::kQuantile;
  throw Napi::TypeError::New(o.Env(), "merge must be \"mean\" or \"quantile\", got \"" + merge + "\"");
}

Napi::Object AgglomerationToJs(Napi::Env env, const AgglomerationResult& r) {
  auto out = Napi::Object::New(env);
  auto thresholds = Napi::Array::New(env, r.thresholds.size());
  auto mappings = Napi::Array::New(env, r.mappings.size());
  auto counts = Napi::Array::New(env, r.segmentCounts.size());
  for (uint32_t i = 0; i < r.thresholds.size(); ++i) {
    thresholds.Set(i, r.thresholds[i]);
    mappings.Set(i, CopyOut(env, r.mappings[i]));
    counts.Set(i, r.segmentCounts[i]);
  }
  out.Set("thresholds", thresholds);
  out.Set("mappings", mappings);
  out.Set("segmentCounts", counts);
  out.Set("merges", Napi::Number::New(env, double(r.merges)));
  return out;
}

/** Arguments shared by the fragment tasks: (affinities, shape, {fragment options, mask}). */
class FragmentInputTask : public Task {
 protected:
  FragmentInputTask(const Napi::CallbackInfo& info, const std::string& what) {
    shape_ = ShapeArg(info[1], (what + ": shape").c_str());
    affs_ = AffinityArg(info[0], shape_, (what + ": affinities").c_str());
    Keep(info[0]);
    options_object_ = ObjectArg(info, 2);
    options_ = ParseFragmentOptions(options_object_);
    mask_ = MaskArg(options_object_.Get("mask"), shape_.Size(), (what + ": mask").c_str());
    if (mask_) Keep(options_object_.Get("mask"));
    fragments_.Allocate(info.Env(), shape_.Size());
  }

  Shape3 shape_;
  AffinityView affs_;
  Napi::Object options_object_;  // valid during construction only
  FragmentOptions options_;
  const uint8_t* mask_ = nullptr;
  OutputArray<uint32_t> fragments_;
};

class FragmentsTask : public FragmentInputTask {
 public:
  explicit FragmentsTask(const Napi::CallbackInfo& info) : FragmentInputTask(info, "fragments") {
    idOffset_ = NumberOpt(options_object_, "idOffset", 0);
    if (idOffset_ < 0 || idOffset_ != std::floor(idOffset_)) throw Napi::RangeError::New(info.Env(), "idOffset must be a non-negative integer");
  }
  void Execute() override {
    count_ = Fragments(affs_, shape_, mask_, options_, fragments_.Data());
    if (idOffset_ > 0) {
      if (idOffset_ + count_ >= 4294967295.0) throw std::runtime_error("fragments: idOffset + fragment count exceeds uint32");
      const auto add = static_cast<uint32_t>(idOffset_);
      uint32_t* p = fragments_.Data();
      for (size_t i = 0, n = shape_.Size(); i < n; ++i)
        if (p[i]) p[i] += add;
    }
  }
  Napi::Value Result(Napi::Env env) override {
    auto r = Napi::Object::New(env);
    r.Set("fragments", fragments_.Value());
    r.Set("count", Napi::Number::New(env, count_));
    return r;
  }

 private:
  double idOffset_ = 0;
  uint32_t count_ = 0;
};

/** Fragments + region graph + agglomeration at several thresholds, in one call. */
class SegmentTask : public FragmentInputTask {
 public:
  explicit SegmentTask(const Napi::CallbackInfo& info) : FragmentInputTask(info, "segment") {
    const Napi::Object o = options_object_;
    double q;
    merge_ = ParseMerge(o, &q);
    quantile_ = q;
    thresholds_ = NumberListOpt(o, "thresholds");
    if (thresholds_.empty()) thresholds_ = {0.5};
    std::sort(thresholds_.begin(), thresholds_.end());
    if (BoolOpt(o, "flat", false)) {
      flat_.resize(thresholds_.size());
      for (auto& f : flat_) f.Allocate(info.Env(), shape_.Size());
    }
  }
  void Execute() override {
    fragmentCount_ = Fragments(affs_, shape_, mask_, options_, fragments_.Data());
    RegionGraph graph(merge_, quantile_);
    const uint32_t* halo[3] = {nullptr, nullptr, nullptr};
    graph.AddBlock(fragments_.Data(), affs_, shape_, halo);
    edgeCount_ = graph.EdgeCount();
    result_ = graph.Agglomerate(thresholds_, fragmentCount_);
    for (size_t t = 0; t < flat_.size(); ++t)
      ApplyMapping(fragments_.Data(), shape_.Size(), result_.mappings[t], flat_[t].Data());
  }
  Napi::Value Result(Napi::Env env) override {
    auto r = AgglomerationToJs(env, result_);
    r.Set("fragments", fragments_.Value());
    r.Set("fragmentCount", Napi::Number::New(env, fragmentCount_));
    r.Set("edgeCount", Napi::Number::New(env, double(edgeCount_)));
    if (!flat_.empty()) {
      auto segs = Napi::Array::New(env, flat_.size());
      for (uint32_t t = 0; t < flat_.size(); ++t) segs.Set(t, flat_[t].Value());
      r.Set("segmentations", segs);
    }
    return r;
  }

 private:
  MergeFunction merge_;
  double quantile_;
  std::vector<double> thresholds_;
  std::vector<OutputArray<uint32_t>> flat_;
  uint32_t fragmentCount_ = 0;
  size_t edgeCount_ = 0;
  AgglomerationResult result_;
};

// ---- block-wise region graph (a JS class wrapping RegionGraph) ----

class RegionGraphJs : public Napi::ObjectWrap<RegionGraphJs> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "SegRegionGraph",
                       {InstanceMethod("addBlock", &RegionGraphJs::AddBlock),
                        InstanceMethod("addBlockAsync", &RegionGraphJs::AddBlockAsync),
                        InstanceMethod("agglomerate", &RegionGraphJs::Agglomerate),
                        InstanceMethod("agglomerateAsync", &RegionGraphJs::AgglomerateAsync),
                        InstanceMethod("edges", &RegionGraphJs::Edges),
                        InstanceAccessor("edgeCount", &RegionGraphJs::EdgeCount, nullptr),
                        InstanceAccessor("maxFragment", &RegionGraphJs::MaxFragment, nullptr)});
  }
  explicit RegionGraphJs(const Napi::CallbackInfo& info) : Napi::ObjectWrap<RegionGraphJs>(info) {
    double q;
    const MergeFunction fn = ParseMerge(ObjectArg(info, 0), &q);
    graph_ = std::make_shared<RegionGraph>(fn, q);
  }

 private:
  class AddTask : public Task {
   public:
    AddTask(const Napi::CallbackInfo& info, std::shared_ptr<RegionGraph> graph) : graph_(std::move(graph)) {
      shape_ = ShapeArg(info[2], "addBlock: shape");
      if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array)
        throw Napi::TypeError::New(info.Env(), "addBlock: fragments must be a Uint32Array");
      auto frags = info[0].As<Napi::Uint32Array>();
      if (frags.ElementLength() != shape_.Size())
        throw Napi::RangeError::New(info.Env(), "addBlock: fragments length does not match the block shape");
      frags_ = frags.Data();
      Keep(frags);
      affs_ = AffinityArg(info[1], shape_, "addBlock: affinities");
      Keep(info[1]);
      auto halos = ObjectArg(info, 3);
      const char* names[3] = {"z", "y", "x"};
      const size_t sizes[3] = {shape_.y * shape_.x, shape_.z * shape_.x, shape_.z * shape_.y};
      for (int c = 0; c < 3; ++c) {
        if (!HasOpt(halos, names[c])) continue;
        auto h = halos.Get(names[c]);
        if (!h.IsTypedArray() || h.As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array ||
            h.As<Napi::TypedArray>().ElementLength() != sizes[c])
          throw Napi::TypeError::New(info.Env(), std::string("addBlock: halo.") + names[c] + " must be a Uint32Array of " +
                                                     std::to_string(sizes[c]) + " fragment ids");
        halo_[c] = h.As<Napi::Uint32Array>().Data();
        Keep(h);
      }
    }
    void Execute() override { graph_->AddBlock(frags_, affs_, shape_, halo_); }
    Napi::Value Result(Napi::Env env) override { return Napi::Number::New(env, double(graph_->EdgeCount())); }

   private:
    std::shared_ptr<RegionGraph> graph_;
    Shape3 shape_;
    const uint32_t* frags_ = nullptr;
    AffinityView affs_;
    const uint32_t* halo_[3] = {nullptr, nullptr, nullptr};
  };

  class AgglomerateTask : public Task {
   public:
    AgglomerateTask(const Napi::CallbackInfo& info, std::shared_ptr<RegionGraph> graph) : graph_(std::move(graph)) {
      if (!info[0].IsArray() && !info[0].IsNumber())
        throw Napi::TypeError::New(info.Env(), "agglomerate(thresholds: number[], fragmentCount: number)");
      auto wrapper = Napi::Object::New(info.Env());
      wrapper.Set("t", info[0]);
      thresholds_ = NumberListOpt(wrapper, "t");
      if (!info[1].IsNumber()) throw Napi::TypeError::New(info.Env(), "agglomerate: fragmentCount must be a number");
      fragmentCount_ = info[1].As<Napi::Number>().Uint32Value();
    }
    void Execute() override { result_ = graph_->Agglomerate(thresholds_, fragmentCount_); }
    Napi::Value Result(Napi::Env env) override { return AgglomerationToJs(env, result_); }

   private:
    std::shared_ptr<RegionGraph> graph_;
    std::vector<double> thresholds_;
    uint32_t fragmentCount_ = 0;
    AgglomerationResult result_;
  };

  template <class T>
  Napi::Value RunHere(const Napi::CallbackInfo& info, bool async) {
    std::unique_ptr<Task> task = std::make_unique<T>(info, graph_);
    task->Keep(info.This());
    if (async) return RunAsync(info.Env(), std::move(task));
    task->Execute();
    return task->Result(info.Env());
  }
  Napi::Value AddBlock(const Napi::CallbackInfo& info) { return Guard(info, [&] { return RunHere<AddTask>(info, false); }); }
  Napi::Value AddBlockAsync(const Napi::CallbackInfo& info) { return RunHere<AddTask>(info, true); }
  Napi::Value Agglomerate(const Napi::CallbackInfo& info) {
    return Guard(info, [&] { return RunHere<AgglomerateTask>(info, false); });
  }
  Napi::Value AgglomerateAsync(const Napi::CallbackInfo& info) { return RunHere<AgglomerateTask>(info, true); }
  Napi::Value Edges(const Napi::CallbackInfo& info) {
    std::vector<uint32_t> u, v;
    std::vector<double> aff, count;
    graph_->Edges(u, v, aff, count);
    auto r = Napi::Object::New(info.Env());
    r.Set("u", CopyOut(info.Env(), u));
    r.Set("v", CopyOut(info.Env(), v));
    r.Set("affinity", CopyOut(info.Env(), aff));
    r.Set("count", CopyOut(info.Env(), count));
    return r;
  }
  Napi::Value EdgeCount(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), double(graph_->EdgeCount())); }
  Napi::Value MaxFragment(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), graph_->MaxFragment()); }

  template <class Fn>
  static Napi::Value Guard(const Napi::CallbackInfo& info, Fn&& fn) {
    try {
      return fn();
    } catch (const Napi::Error&) {
      throw;
    } catch (const std::exception& e) {
      throw Napi::Error::New(info.Env(), e.what());
    }
  }

  std::shared_ptr<RegionGraph> graph_;
};

// ---- seeded split for proofreading ----

class SplitTask : public Task {
 public:
  explicit SplitTask(const Napi::CallbackInfo& info) {
    shape_ = ShapeArg(info[0], "split: shape");
    const size_t n = shape_.Size();
    auto o = ObjectArg(info, 1);
    const std::string kind = StringOpt(o, "source", "");
    auto data = o.Get("data");
    Keep(data);
    if (kind == "image") {
      source_.kind = SplitSource::kImage;
      source_.image = MaskArg(data, n, "split: image");
      if (!source_.image) throw Napi::TypeError::New(info.Env(), "split: image data (Uint8Array) missing");
      source_.darkBoundaries = BoolOpt(o, "darkBoundaries", true);
    } else if (kind == "boundary") {
      if (!data.IsTypedArray() || data.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array ||
          data.As<Napi::TypedArray>().ElementLength() != n)
        throw Napi::TypeError::New(info.Env(), "split: boundary data must be a Float32Array of " + std::to_string(n) + " values");
      source_.kind = SplitSource::kBoundary;
      source_.boundary = data.As<Napi::Float32Array>().Data();
    } else if (kind == "affinities") {
      source_.kind = SplitSource::kAffinities;
      source_.affinities = AffinityArg(data, shape_, "split: affinities");
    } else {
      throw Napi::TypeError::New(info.Env(), "split: source must be \"image\", \"boundary\" or \"affinities\"");
    }
    inPlane_ = BoolOpt(o, "inPlane", false);

    if (HasOpt(o, "mask")) {
      mask_ = MaskArg(o.Get("mask"), n, "split: mask");
      Keep(o.Get("mask"));
    } else if (HasOpt(o, "labels")) {
      labels_ = LabelArg(o.Get("labels"), "split: labels");
      if (labels_.size != n) throw Napi::RangeError::New(info.Env(), "split: labels length does not match the shape");
      Keep(o.Get("labels"));
      auto id = o.Get("segmentId");
      if (id.IsBigInt()) {
        bool lossless;
        segmentId_ = id.As<Napi::BigInt>().Uint64Value(&lossless);
      } else if (id.IsNumber()) {
        segmentId_ = static_cast<uint64_t>(id.As<Napi::Number>().DoubleValue());
      } else {
        throw Napi::TypeError::New(info.Env(), "split: segmentId (number or bigint) is required with labels");
      }
      useLabels_ = true;
    }

    auto seeds = o.Get("seeds");
    if (!seeds.IsTypedArray() || seeds.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
      throw Napi::TypeError::New(info.Env(), "split: seeds must be an Int32Array of [group, z, y, x] rows");
    auto s = seeds.As<Napi::Int32Array>();
    if (s.ElementLength() % 4 != 0) throw Napi::RangeError::New(info.Env(), "split: seeds length must be a multiple of 4");
    for (size_t k = 0; k < s.ElementLength(); k += 4) {
      const int32_t g = s[k], z = s[k + 1], y = s[k + 2], x = s[k + 3];
      if (g < 1 || g > 65535) throw Napi::RangeError::New(info.Env(), "split: seed groups are numbered 1..65535");
      if (z < 0 || y < 0 || x < 0 || size_t(z) >= shape_.z || size_t(y) >= shape_.y || size_t(x) >= shape_.x)
        throw Napi::RangeError::New(info.Env(), "split: seed (" + std::to_string(z) + ", " + std::to_string(y) + ", " +
                                                    std::to_string(x) + ") of group " + std::to_string(g) + " is outside the region");
      seeds_.push_back({uint32_t(g), (size_t(z) * shape_.y + y) * shape_.x + x});
      groups_ = std::max<uint32_t>(groups_, g);
    }
    if (seeds_.empty()) throw Napi::RangeError::New(info.Env(), "split: no seeds");
    out_.Allocate(info.Env(), n);
  }
  void Execute() override {
    std::vector<uint8_t> fromLabels;
    const uint8_t* mask = mask_;
    if (useLabels_) {
      fromLabels.resize(shape_.Size());
      VisitLabels(labels_, [&](auto* l) {
        for (size_t i = 0; i < fromLabels.size(); ++i) fromLabels[i] = uint64_t(l[i]) == segmentId_;
      });
      mask = fromLabels.data();
    }
    result_ = SeededSplit(shape_, mask, source_, seeds_, groups_, inPlane_, out_.Data());
  }
  Napi::Value Result(Napi::Env env) override {
    auto r = Napi::Object::New(env);
    r.Set("labels", out_.Value());
    auto sizes = Napi::Array::New(env, groups_);
    for (uint32_t g = 1; g <= groups_; ++g) sizes.Set(g - 1, Napi::Number::New(env, double(result_.groupSizes[g])));
    r.Set("groupSizes", sizes);
    r.Set("unreached", Napi::Number::New(env, double(result_.unreached)));
    return r;
  }

 private:
  Shape3 shape_;
  SplitSource source_;
  const uint8_t* mask_ = nullptr;
  LabelView labels_;
  bool useLabels_ = false;
  uint64_t segmentId_ = 0;
  bool inPlane_ = false;
  std::vector<SplitSeed> seeds_;
  uint32_t groups_ = 0;
  SplitResult result_;
  OutputArray<uint16_t> out_;
};

tu::Registrar registrar([](Napi::Env env, Napi::Object exports) {
  ExportTask(env, exports, "segFragments", [](auto& info) { return std::make_unique<FragmentsTask>(info); });
  ExportTask(env, exports, "segSegment", [](auto& info) { return std::make_unique<SegmentTask>(info); });
  ExportTask(env, exports, "segSeededSplit", [](auto& info) { return std::make_unique<SplitTask>(info); });
  exports.Set("SegRegionGraph", RegionGraphJs::Define(env));
});

}  // namespace
}  // namespace tu::seg
