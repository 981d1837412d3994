#include "seg_napi.h"

#include <limits>

namespace tu::seg {
namespace {

class TaskWorker : public Napi::AsyncWorker {
 public:
  TaskWorker(Napi::Env env, std::unique_ptr<Task> task)
      : Napi::AsyncWorker(env, "tokenunify.segmentation"),
        deferred_(Napi::Promise::Deferred::New(env)),
        task_(std::move(task)) {}

  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  void Execute() override {
    try {
      task_->Execute();
    } catch (const std::exception& e) {
      SetError(e.what());
    } catch (...) {
      SetError("unknown native error");
    }
  }
  void OnOK() override {
    Napi::HandleScope scope(Env());
    try {
      deferred_.Resolve(task_->Result(Env()));
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    }
    task_.reset();
  }
  void OnError(const Napi::Error& e) override {
    deferred_.Reject(e.Value());
    task_.reset();
  }

 private:
  Napi::Promise::Deferred deferred_;
  std::unique_ptr<Task> task_;
};

Napi::Value RunSync(const Napi::CallbackInfo& info, const TaskFactory& make) {
  try {
    auto task = make(info);
    task->Execute();
    return task->Result(info.Env());
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::exception& e) {
    throw Napi::Error::New(info.Env(), e.what());
  }
}

size_t CheckedDim(Napi::Value v, const char* what) {
  if (!v.IsNumber()) throw Napi::TypeError::New(v.Env(), std::string(what) + ": shape entries must be numbers");
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 1) || d != std::floor(d) || d > 1e12)
    throw Napi::RangeError::New(v.Env(), std::string(what) + ": shape entries must be positive integers");
  return static_cast<size_t>(d);
}

}  // namespace

Napi::Value RunAsync(Napi::Env env, std::unique_ptr<Task> task) {
  auto* worker = new TaskWorker(env, std::move(task));
  auto promise = worker->Promise();
  worker->Queue();
  return promise;
}

void ExportTask(Napi::Env env, Napi::Object exports, const std::string& name, TaskFactory make) {
  exports.Set(name, Napi::Function::New(
                        env, [make](const Napi::CallbackInfo& info) { return RunSync(info, make); }, name));
  exports.Set(name + "Async", Napi::Function::New(
                                  env,
                                  [make](const Napi::CallbackInfo& info) -> Napi::Value {
                                    // Argument errors surface as a rejected promise, like kernel errors.
                                    auto deferred = Napi::Promise::Deferred::New(info.Env());
                                    std::unique_ptr<Task> task;
                                    try {
                                      task = make(info);
                                    } catch (const Napi::Error& e) {
                                      deferred.Reject(e.Value());
                                      return deferred.Promise();
                                    } catch (const std::exception& e) {
                                      deferred.Reject(Napi::Error::New(info.Env(), e.what()).Value());
                                      return deferred.Promise();
                                    }
                                    return RunAsync(info.Env(), std::move(task));
                                  },
                                  name + "Async"));
}

Shape3 ShapeArg(Napi::Value v, const char* what) {
  if (!v.IsArray()) throw Napi::TypeError::New(v.Env(), std::string(what) + " must be an array [z, y, x]");
  auto a = v.As<Napi::Array>();
  if (a.Length() != 3) throw Napi::TypeError::New(v.Env(), std::string(what) + " must have 3 entries [z, y, x]");
  Shape3 s{CheckedDim(a.Get(0u), what), CheckedDim(a.Get(1u), what), CheckedDim(a.Get(2u), what)};
  return s;
}

Napi::Object ObjectArg(const Napi::CallbackInfo& info, size_t index) {
  if (info.Length() <= index || info[index].IsUndefined() || info[index].IsNull()) return Napi::Object::New(info.Env());
  if (!info[index].IsObject()) throw Napi::TypeError::New(info.Env(), "options must be an object");
  return info[index].As<Napi::Object>();
}

LabelView LabelArg(Napi::Value v, const char* what) {
  if (!v.IsTypedArray())
    throw Napi::TypeError::New(v.Env(), std::string(what) +
                                            " must be a Uint8Array, Uint16Array, Uint32Array, Int32Array or BigUint64Array");
  auto t = v.As<Napi::TypedArray>();
  LabelView out;
  out.size = t.ElementLength();
  out.data = static_cast<const uint8_t*>(t.ArrayBuffer().Data()) + t.ByteOffset();
  switch (t.TypedArrayType()) {
    case napi_uint8_array: out.kind = LabelKind::U8; break;
    case napi_uint16_array: out.kind = LabelKind::U16; break;
    case napi_uint32_array: out.kind = LabelKind::U32; break;
    case napi_int32_array: out.kind = LabelKind::I32; break;
    case napi_biguint64_array: out.kind = LabelKind::U64; break;
    default:
      throw Napi::TypeError::New(v.Env(), std::string(what) +
                                              ": unsupported element type (use Uint8/Uint16/Uint32/Int32/BigUint64)");
  }
  return out;
}

AffinityView AffinityArg(Napi::Value v, Shape3 shape, const char* what) {
  if (!v.IsTypedArray()) throw Napi::TypeError::New(v.Env(), std::string(what) + " must be a Float32Array or Uint8Array");
  auto t = v.As<Napi::TypedArray>();
  const size_t n = shape.Size();
  if (t.ElementLength() != 3 * n)
    throw Napi::RangeError::New(v.Env(), std::string(what) + " must hold 3 x " + std::to_string(n) +
                                             " values (channels z, y, x), got " + std::to_string(t.ElementLength()));
  AffinityView a;
  a.channelStride = n;
  const auto* base = static_cast<const uint8_t*>(t.ArrayBuffer().Data()) + t.ByteOffset();
  if (t.TypedArrayType() == napi_float32_array)
    a.f32 = reinterpret_cast<const float*>(base);
  else if (t.TypedArrayType() == napi_uint8_array)
    a.u8 = base;
  else
    throw Napi::TypeError::New(v.Env(), std::string(what) + " must be a Float32Array or Uint8Array");
  return a;
}

const uint8_t* MaskArg(Napi::Value v, size_t expected, const char* what) {
  if (v.IsUndefined() || v.IsNull()) return nullptr;
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
    throw Napi::TypeError::New(v.Env(), std::string(what) + " must be a Uint8Array");
  auto t = v.As<Napi::Uint8Array>();
  if (t.ElementLength() != expected)
    throw Napi::RangeError::New(v.Env(), std::string(what) + " must have " + std::to_string(expected) + " values, got " +
                                             std::to_string(t.ElementLength()));
  return t.Data();
}

bool HasOpt(Napi::Object o, const char* key) {
  if (!o.Has(key)) return false;
  auto v = o.Get(key);
  return !v.IsUndefined() && !v.IsNull();
}

double NumberOpt(Napi::Object o, const char* key, double fallback) {
  if (!HasOpt(o, key)) return fallback;
  auto v = o.Get(key);
  if (!v.IsNumber()) throw Napi::TypeError::New(o.Env(), std::string("option ") + key + " must be a number");
  return v.As<Napi::Number>().DoubleValue();
}

bool BoolOpt(Napi::Object o, const char* key, bool fallback) {
  if (!HasOpt(o, key)) return fallback;
  auto v = o.Get(key);
  if (!v.IsBoolean()) throw Napi::TypeError::New(o.Env(), std::string("option ") + key + " must be a boolean");
  return v.As<Napi::Boolean>().Value();
}

std::string StringOpt(Napi::Object o, const char* key, const std::string& fallback) {
  if (!HasOpt(o, key)) return fallback;
  auto v = o.Get(key);
  if (!v.IsString()) throw Napi::TypeError::New(o.Env(), std::string("option ") + key + " must be a string");
  return v.As<Napi::String>().Utf8Value();
}

std::vector<double> NumberListOpt(Napi::Object o, const char* key) {
  std::vector<double> out;
  if (!HasOpt(o, key)) return out;
  auto v = o.Get(key);
  if (v.IsNumber()) return {v.As<Napi::Number>().DoubleValue()};
  if (!v.IsArray()) throw Napi::TypeError::New(o.Env(), std::string("option ") + key + " must be a number or an array");
  auto a = v.As<Napi::Array>();
  for (uint32_t i = 0; i < a.Length(); ++i) {
    auto e = a.Get(i);
    if (!e.IsNumber()) throw Napi::TypeError::New(o.Env(), std::string("option ") + key + " must hold numbers");
    out.push_back(e.As<Napi::Number>().DoubleValue());
  }
  return out;
}

}  // namespace tu::seg
