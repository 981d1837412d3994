// JS bindings: distance transform, connected components, fragment->segment mapping.
#include "registry.h"
#include "seg_agglomeration.h"
#include "seg_morphology.h"
#include "seg_napi.h"

namespace tu::seg {
namespace {

class DistanceTask : public Task {
 public:
  explicit DistanceTask(const Napi::CallbackInfo& info) {
    shape_ = ShapeArg(info[1], "distanceTransform: shape");
    mask_ = MaskArg(info[0], shape_.Size(), "distanceTransform: foreground");
    if (!mask_) throw Napi::TypeError::New(info.Env(), "distanceTransform: foreground must be a Uint8Array");
    Keep(info[0]);
    auto o = ObjectArg(info, 2);
    inPlane_ = BoolOpt(o, "inPlane", false);
    auto sp = NumberListOpt(o, "spacing");
    if (!sp.empty()) {
      if (sp.size() != 3 || !(sp[0] > 0 && sp[1] > 0 && sp[2] > 0))
        throw Napi::RangeError::New(info.Env(), "distanceTransform: spacing must be 3 positive numbers [z, y, x]");
      for (int i = 0; i < 3; ++i) spacing_[i] = sp[i];
    }
    out_.Allocate(info.Env(), shape_.Size());
  }
  void Execute() override { DistanceTransform(mask_, shape_, spacing_, inPlane_, out_.Data()); }
  Napi::Value Result(Napi::Env) override { return out_.Value(); }

 private:
  Shape3 shape_;
  const uint8_t* mask_;
  double spacing_[3] = {1, 1, 1};
  bool inPlane_;
  OutputArray<float> out_;
};

class ComponentsTask : public Task {
 public:
  explicit ComponentsTask(const Napi::CallbackInfo& info) {
    labels_ = LabelArg(info[0], "connectedComponents: labels");
    shape_ = ShapeArg(info[1], "connectedComponents: shape");
    if (labels_.size != shape_.Size())
      throw Napi::RangeError::New(info.Env(), "connectedComponents: labels length does not match the shape");
    Keep(info[0]);
    inPlane_ = BoolOpt(ObjectArg(info, 2), "inPlane", false);
    out_.Allocate(info.Env(), shape_.Size());
  }
  void Execute() override {
    count_ = VisitLabels(labels_, [&](auto* l) { return ConnectedComponents(l, shape_, inPlane_, out_.Data()); });
  }
  Napi::Value Result(Napi::Env env) override {
    auto r = Napi::Object::New(env);
    r.Set("labels", out_.Value());
    r.Set("count", Napi::Number::New(env, count_));
    return r;
  }

 private:
  LabelView labels_;
  Shape3 shape_;
  bool inPlane_;
  uint32_t count_ = 0;
  OutputArray<uint32_t> out_;
};

class MappingTask : public Task {
 public:
  explicit MappingTask(const Napi::CallbackInfo& info) {
    if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array ||
        !info[1].IsTypedArray() || info[1].As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array)
      throw Napi::TypeError::New(info.Env(), "applyMapping(fragments: Uint32Array, mapping: Uint32Array)");
    auto frags = info[0].As<Napi::Uint32Array>();
    frags_ = frags.Data();
    count_ = frags.ElementLength();
    Keep(frags);
    auto m = info[1].As<Napi::Uint32Array>();
    mapping_.assign(m.Data(), m.Data() + m.ElementLength());
    out_.Allocate(info.Env(), count_);
  }
  void Execute() override { ApplyMapping(frags_, count_, mapping_, out_.Data()); }
  Napi::Value Result(Napi::Env) override { return out_.Value(); }

 private:
  const uint32_t* frags_;
  size_t count_;
  OutputArray<uint32_t> out_;
  std::vector<uint32_t> mapping_;
};

tu::Registrar registrar([](Napi::Env env, Napi::Object exports) {
  ExportTask(env, exports, "segDistanceTransform", [](auto& info) { return std::make_unique<DistanceTask>(info); });
  ExportTask(env, exports, "segConnectedComponents", [](auto& info) { return std::make_unique<ComponentsTask>(info); });
  ExportTask(env, exports, "segApplyMapping", [](auto& info) { return std::make_unique<MappingTask>(info); });
});

}  // namespace
}  // namespace tu::seg
