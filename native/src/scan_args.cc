#include "scan_args.h"

#include <cmath>
#include <exception>
#include <string>
#include <utility>

namespace tu::scan {
namespace {

const char* const kGradientNames[] = {"du", "ddelta", "dA", "dBm", "dCm", "dDskip", "ddeltaBias"};

[[noreturn]] void ThrowType(Napi::Env env, const std::string& msg) { throw Napi::TypeError::New(env, msg); }
[[noreturn]] void ThrowRange(Napi::Env env, const std::string& msg) { throw Napi::RangeError::New(env, msg); }

int64_t ReadDim(Napi::Env env, const Napi::Object& o, const char* fn, const char* key) {
  const Napi::Value v = o.Get(key);
  if (!v.IsNumber()) ThrowType(env, std::string(fn) + ": '" + key + "' must be a number");
  const double x = v.As<Napi::Number>().DoubleValue();
  if (!(x >= 1) || x != std::floor(x) || x > 2147483647.0)
    ThrowRange(env, std::string(fn) + ": '" + key + "' must be a positive integer, got " + std::to_string(x));
  return static_cast<int64_t>(x);
}

const float* ReadArray(Napi::Env env, const Napi::Object& o, const char* fn, const char* key, int64_t expected,
                       const char* formula, ScanCall& call) {
  const Napi::Value v = o.Get(key);
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
    ThrowType(env, std::string(fn) + ": '" + key + "' must be a Float32Array");
  const Napi::Float32Array a = v.As<Napi::Float32Array>();
  if (static_cast<int64_t>(a.ElementLength()) != expected)
    ThrowRange(env, std::string(fn) + ": '" + key + "' has " + std::to_string(a.ElementLength()) +
                        " elements, expected " + formula + " = " + std::to_string(expected));
  call.arrays.push_back(a);
  return a.Data();
}

}  // namespace

ScanCall ParseScanCall(const Napi::CallbackInfo& info, const char* fn, bool withDy) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject())
    ThrowType(env, std::string(fn) +
                       ": expected one object {u, delta, A, Bm, Cm, Dskip, deltaBias, batch, dim, length, dstate, "
                       "deltaSoftplus" + (withDy ? ", dy" : "") + "}");
  const Napi::Object o = info[0].As<Napi::Object>();
  ScanCall call;
  Shape& s = call.in.shape;
  s.batch = ReadDim(env, o, fn, "batch");
  s.dim = ReadDim(env, o, fn, "dim");
  s.length = ReadDim(env, o, fn, "length");
  s.dstate = ReadDim(env, o, fn, "dstate");
  const int64_t bdl = s.batch * s.dim * s.length, bnl = s.batch * s.dstate * s.length;
  if (bdl > (int64_t{1} << 32) || bnl > (int64_t{1} << 32))
    ThrowRange(env, std::string(fn) + ": tensors larger than 2^32 elements are not supported");
  call.in.u = ReadArray(env, o, fn, "u", bdl, "batch*dim*length", call);
  call.in.delta = ReadArray(env, o, fn, "delta", bdl, "batch*dim*length", call);
  call.in.A = ReadArray(env, o, fn, "A", s.dim * s.dstate, "dim*dstate", call);
  call.in.Bm = ReadArray(env, o, fn, "Bm", bnl, "batch*dstate*length", call);
  call.in.Cm = ReadArray(env, o, fn, "Cm", bnl, "batch*dstate*length", call);
  call.in.Dskip = ReadArray(env, o, fn, "Dskip", s.dim, "dim", call);
  call.in.deltaBias = ReadArray(env, o, fn, "deltaBias", s.dim, "dim", call);
  if (withDy) call.dy = ReadArray(env, o, fn, "dy", bdl, "batch*dim*length", call);
  const Napi::Value sp = o.Get("deltaSoftplus");
  if (!sp.IsBoolean()) ThrowType(env, std::string(fn) + ": 'deltaSoftplus' must be a boolean");
  call.in.deltaSoftplus = sp.As<Napi::Boolean>().Value();
  const Napi::Value threads = o.Get("threads");
  if (!threads.IsUndefined()) {
    const double t = threads.IsNumber() ? threads.As<Napi::Number>().DoubleValue() : -1;
    if (!(t >= 1) || t != std::floor(t) || t > 1024)
      ThrowRange(env, std::string(fn) + ": 'threads' must be an integer in [1, 1024]");
    call.opts.threads = static_cast<unsigned>(t);
  }
  const Napi::Value simd = o.Get("simd");
  if (!simd.IsUndefined()) {
    if (!simd.IsString() || !ParseSimd(simd.As<Napi::String>().Utf8Value(), &call.opts.simd))
      ThrowRange(env, std::string(fn) + ": 'simd' must be one of auto, scalar, generic, avx2, avx512");
  }
  return call;
}

ScanOutputs AllocateOutputs(Napi::Env env, const Shape& s, bool backward) {
  const int64_t bdl = s.batch * s.dim * s.length, bnl = s.batch * s.dstate * s.length;
  std::vector<int64_t> sizes = backward ? std::vector<int64_t>{bdl, bdl, s.dim * s.dstate, bnl, bnl, s.dim, s.dim}
                                        : std::vector<int64_t>{bdl};
  ScanOutputs out;
  for (int64_t n : sizes) {
    Napi::Float32Array a = Napi::Float32Array::New(env, static_cast<size_t>(n));
    out.data.push_back(a.Data());
    out.js.push_back(a);
  }
  return out;
}

Gradients GradientPointers(const std::vector<float*>& d) {
  Gradients g;
  g.du = d[0];
  g.ddelta = d[1];
  g.dA = d[2];
  g.dBm = d[3];
  g.dCm = d[4];
  g.dDskip = d[5];
  g.ddeltaBias = d[6];
  return g;
}

namespace {

Napi::Value ResultValue(Napi::Env env, const std::vector<Napi::Float32Array>& arrays, bool backward) {
  if (!backward) return arrays[0];
  Napi::Object result = Napi::Object::New(env);
  for (size_t i = 0; i < arrays.size(); ++i) result.Set(kGradientNames[i], arrays[i]);
  return result;
}

class ScanWorker : public Napi::AsyncWorker {
 public:
  ScanWorker(Napi::Env env, const ScanCall& call, const ScanOutputs& outputs, bool backward, ScanWork work)
      : Napi::AsyncWorker(env, "tokenunify:selectiveScan"),
        deferred_(Napi::Promise::Deferred::New(env)),
        call_(call),
        data_(outputs.data),
        backward_(backward),
        work_(std::move(work)) {
    for (const Napi::Object& a : call.arrays) inputs_.push_back(Napi::Persistent(a));
    for (const Napi::Float32Array& a : outputs.js) outputs_.push_back(Napi::Persistent(a.As<Napi::Object>()));
    call_.arrays.clear();  // local handles must not outlive this call
  }

  Napi::Promise Promise() const { return deferred_.Promise(); }

  void Execute() override {
    try {
      work_(call_, data_);
    } catch (const std::exception& e) {
      SetError(e.what());
    } catch (...) {
      SetError("selective scan failed with an unknown error");
    }
  }

  void OnOK() override {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    std::vector<Napi::Float32Array> arrays;
    for (auto& ref : outputs_) arrays.push_back(ref.Value().As<Napi::Float32Array>());
    deferred_.Resolve(ResultValue(env, arrays, backward_));
  }

  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  ScanCall call_;
  std::vector<float*> data_;
  bool backward_;
  ScanWork work_;
  std::vector<Napi::ObjectReference> inputs_, outputs_;
};

}  // namespace

Napi::Value RunSync(Napi::Env env, const ScanCall& call, bool backward, const ScanWork& work) {
  ScanOutputs out = AllocateOutputs(env, call.in.shape, backward);
  try {
    work(call, out.data);
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, e.what());
  }
  return ResultValue(env, out.js, backward);
}

Napi::Value RunAsync(Napi::Env env, const ScanCall& call, bool backward, ScanWork work) {
  ScanOutputs out = AllocateOutputs(env, call.in.shape, backward);
  auto* worker = new ScanWorker(env, call, out, backward, std::move(work));
  Napi::Promise promise = worker->Promise();
  worker->Queue();  // the worker deletes itself after OnOK/OnError
  return promise;
}

}  // namespace tu::scan
