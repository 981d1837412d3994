// JS bindings: streaming contingency table (SegContingency), one-shot metrics, CREMI border mask.
#include <memory>

#include "registry.h"
#include "seg_metrics.h"
#include "seg_napi.h"

namespace tu::seg {
namespace {

Napi::Object MetricsToJs(Napi::Env env, const Metrics& m) {
  auto r = Napi::Object::New(env);
  r.Set("voiSplit", m.voiSplit);
  r.Set("voiMerge", m.voiMerge);
  r.Set("arand", m.arand);
  r.Set("arandPrecision", m.arandPrecision);
  r.Set("arandRecall", m.arandRecall);
  r.Set("cremiArand", m.cremiArand);
  r.Set("cremiPrecision", m.cremiPrecision);
  r.Set("cremiRecall", m.cremiRecall);
  r.Set("counted", double(m.counted));
  r.Set("total", double(m.total));
  r.Set("pairs", double(m.pairs));
  r.Set("gtSegments", double(m.gtSegments));
  r.Set("segSegments", double(m.segSegments));
  return r;
}

/** Adds a (gt, seg) chunk pair to a table; optionally computes the metrics afterwards. */
class AddTask : public Task {
 public:
  AddTask(const Napi::CallbackInfo& info, std::shared_ptr<Contingency> table, bool compute)
      : table_(std::move(table)), compute_(compute) {
    gt_ = LabelArg(info[0], "metrics: ground truth");
    seg_ = LabelArg(info[1], "metrics: segmentation");
    if (gt_.size != seg_.size)
      throw Napi::RangeError::New(info.Env(), "metrics: ground truth and segmentation differ in length (" +
                                                  std::to_string(gt_.size) + " vs " + std::to_string(seg_.size) + ")");
    Keep(info[0]);
    Keep(info[1]);
  }
  void Execute() override {
    table_->Add(gt_, seg_);
    if (compute_) metrics_ = table_->Compute();
  }
  Napi::Value Result(Napi::Env env) override {
    return compute_ ? Napi::Value(MetricsToJs(env, metrics_)) : Napi::Number::New(env, double(table_->Total()));
  }

 private:
  std::shared_ptr<Contingency> table_;
  bool compute_;
  LabelView gt_, seg_;
  Metrics metrics_;
};

class ContingencyJs : public Napi::ObjectWrap<ContingencyJs> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "SegContingency",
                       {InstanceMethod("add", &ContingencyJs::Add), InstanceMethod("addAsync", &ContingencyJs::AddAsync),
                        InstanceMethod("merge", &ContingencyJs::Merge), InstanceMethod("metrics", &ContingencyJs::Compute),
                        InstanceMethod("reset", &ContingencyJs::Reset),
                        InstanceAccessor("total", &ContingencyJs::Total, nullptr)});
  }
  explicit ContingencyJs(const Napi::CallbackInfo& info)
      : Napi::ObjectWrap<ContingencyJs>(info), table_(std::make_shared<Contingency>()) {}

 private:
  Napi::Value Add(const Napi::CallbackInfo& info) {
    AddTask task(info, table_, false);
    try {
      task.Execute();
    } catch (const std::exception& e) {
      throw Napi::Error::New(info.Env(), e.what());
    }
    return task.Result(info.Env());
  }
  Napi::Value AddAsync(const Napi::CallbackInfo& info) {
    auto task = std::make_unique<AddTask>(info, table_, false);
    task->Keep(info.This());
    return RunAsync(info.Env(), std::move(task));
  }
  Napi::Value Merge(const Napi::CallbackInfo& info) {
    if (!info[0].IsObject()) throw Napi::TypeError::New(info.Env(), "merge(other: SegContingency)");
    ContingencyJs* other = Napi::ObjectWrap<ContingencyJs>::Unwrap(info[0].As<Napi::Object>());
    try {
      table_->Merge(*other->table_);
    } catch (const std::exception& e) {
      throw Napi::Error::New(info.Env(), e.what());
    }
    return info.Env().Undefined();
  }
  Napi::Value Compute(const Napi::CallbackInfo& info) { return MetricsToJs(info.Env(), table_->Compute()); }
  Napi::Value Reset(const Napi::CallbackInfo& info) {
    table_->Reset();
    return info.Env().Undefined();
  }
  Napi::Value Total(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), double(table_->Total())); }

  std::shared_ptr<Contingency> table_;
};

class BorderMaskTask : public Task {
 public:
  explicit BorderMaskTask(const Napi::CallbackInfo& info) {
    labels_ = LabelArg(info[0], "cremiBorderMask: labels");
    shape_ = ShapeArg(info[1], "cremiBorderMask: shape");
    if (labels_.size != shape_.Size())
      throw Napi::RangeError::New(info.Env(), "cremiBorderMask: labels length does not match the shape");
    if (!info[2].IsNumber()) throw Napi::TypeError::New(info.Env(), "cremiBorderMask: maxDistance must be a number");
    maxDistance_ = info[2].As<Napi::Number>().DoubleValue();
    Keep(info[0]);
    out_.Allocate(info.Env(), shape_.Size());
  }
  void Execute() override { CremiBorderMask(labels_, shape_, maxDistance_, out_.Data()); }
  Napi::Value Result(Napi::Env) override { return out_.Value(); }

 private:
  LabelView labels_;
  Shape3 shape_;
  double maxDistance_ = 0;
  OutputArray<uint8_t> out_;
};

tu::Registrar registrar([](Napi::Env env, Napi::Object exports) {
  exports.Set("SegContingency", ContingencyJs::Define(env));
  ExportTask(env, exports, "segMetrics",
             [](auto& info) { return std::make_unique<AddTask>(info, std::make_shared<Contingency>(), true); });
  ExportTask(env, exports, "segCremiBorderMask", [](auto& info) { return std::make_unique<BorderMaskTask>(info); });
});

}  // namespace
}  // namespace tu::seg
