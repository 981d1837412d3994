// Node-API glue shared by the segmentation kernels (seg_*.cc): argument parsing into
// plain views, and one Task abstraction that every exported function runs either
// synchronously (small inputs) or on a libuv worker through an AsyncWorker (big
// inputs; the JS thread is never blocked). Kernels themselves never touch Napi.
#pragma once
#include <napi.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "seg_types.h"

namespace tu::seg {

/** Work that runs off the JS thread. Execute() must not touch JS values. */
class Task {
 public:
  virtual ~Task() = default;
  virtual void Execute() = 0;
  virtual Napi::Value Result(Napi::Env env) = 0;
  /** Keeps a JS object (an input or a pre-allocated output array) alive until the task ends. */
  void Keep(Napi::Value v) {
    if (v.IsObject()) keep_.push_back(Napi::Persistent(v.As<Napi::Object>()));
  }

 private:
  std::vector<Napi::ObjectReference> keep_;
};

using TaskFactory = std::function<std::unique_ptr<Task>(const Napi::CallbackInfo&)>;

/** Exports `name` (sync, returns the result) and `name + "Async"` (returns a Promise). */
void ExportTask(Napi::Env env, Napi::Object exports, const std::string& name, TaskFactory make);

/** Runs `task` on a libuv worker and returns a Promise of its result. */
Napi::Value RunAsync(Napi::Env env, std::unique_ptr<Task> task);

// ---- argument parsing (all throw Napi::TypeError / RangeError with a clear message) ----

Shape3 ShapeArg(Napi::Value v, const char* what);
Napi::Object ObjectArg(const Napi::CallbackInfo& info, size_t index);  // {} when absent
LabelView LabelArg(Napi::Value v, const char* what);
AffinityView AffinityArg(Napi::Value v, Shape3 shape, const char* what);
const uint8_t* MaskArg(Napi::Value v, size_t expected, const char* what);  // nullptr when absent

double NumberOpt(Napi::Object o, const char* key, double fallback);
bool BoolOpt(Napi::Object o, const char* key, bool fallback);
std::string StringOpt(Napi::Object o, const char* key, const std::string& fallback);
std::vector<double> NumberListOpt(Napi::Object o, const char* key);
bool HasOpt(Napi::Object o, const char* key);

/**
 * A typed array allocated on the JS thread for a task to fill. Handles (napi_value) die
 * with the call's scope, so the array is held by a persistent reference and the kernel
 * writes through the raw pointer.
 */
template <class T>
class OutputArray {
 public:
  void Allocate(Napi::Env env, size_t n) {
    auto a = Napi::TypedArrayOf<T>::New(env, n);
    data_ = a.Data();
    size_ = n;
    ref_ = Napi::Persistent(a);
  }
  T* Data() const { return data_; }
  size_t Size() const { return size_; }
  Napi::TypedArrayOf<T> Value() const { return ref_.Value(); }

 private:
  Napi::Reference<Napi::TypedArrayOf<T>> ref_;
  T* data_ = nullptr;
  size_t size_ = 0;
};

/** A new JS typed array holding a copy of `v`. */
template <class T>
Napi::TypedArrayOf<T> CopyOut(Napi::Env env, const std::vector<T>& v) {
  auto out = Napi::TypedArrayOf<T>::New(env, v.size());
  if (!v.empty()) std::copy(v.begin(), v.end(), out.Data());
  return out;
}

}  // namespace tu::seg
