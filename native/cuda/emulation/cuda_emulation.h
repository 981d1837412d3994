// Just enough of CUDA to run scan_cuda_kernels.cuh on the CPU for tests: every thread of
// a block is a std::thread, __syncthreads is a barrier, and blocks run one after another
// (so function-static variables can stand in for __shared__ memory). cub::BlockScan and
// cub::BlockReduce are replaced by straightforward shared-memory versions, __shfl_down_sync
// by a block-wide exchange (callers use it uniformly across the block). This checks the
// kernels' indexing, chunk carries and scan algebra; it says nothing about performance or
// the GPU memory model.
#pragma once
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(x)
#define __shared__ static

struct float2 {
  float x, y;
};
inline float2 make_float2(float x, float y) { return {x, y}; }

namespace tu_emu {

struct Index {
  unsigned x = 0, y = 0, z = 0;
};
inline thread_local Index tls_thread, tls_block;

class Barrier {
 public:
  explicit Barrier(unsigned count) : count_(count) {}
  void Wait() {
    std::unique_lock<std::mutex> lock(mutex_);
    const unsigned generation = generation_;
    if (++waiting_ == count_) {
      waiting_ = 0;
      ++generation_;
      cv_.notify_all();
    } else {
      cv_.wait(lock, [&] { return generation != generation_; });
    }
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  unsigned count_, waiting_ = 0, generation_ = 0;
};

inline Barrier*& CurrentBarrier() {
  static Barrier* barrier = nullptr;
  return barrier;
}

inline std::vector<float>& DynamicSharedBuffer() {
  static std::vector<float> buffer;
  return buffer;
}

template <class T>
T* DynamicShared() {
  return reinterpret_cast<T*>(DynamicSharedBuffer().data());
}

inline std::mutex& AtomicMutex() {
  static std::mutex m;
  return m;
}

// Runs kernel(params) for every block of grid (x, y), `threads` threads per block.
template <class Kernel, class Params>
void Launch(Kernel kernel, unsigned gridX, unsigned gridY, unsigned threads, size_t sharedBytes, const Params& p) {
  for (unsigned by = 0; by < gridY; ++by) {
    for (unsigned bx = 0; bx < gridX; ++bx) {
      DynamicSharedBuffer().assign((sharedBytes + sizeof(float) - 1) / sizeof(float), std::nanf(""));
      Barrier barrier(threads);
      CurrentBarrier() = &barrier;
      std::vector<std::thread> pool;
      for (unsigned t = 0; t < threads; ++t) {
        pool.emplace_back([&, t] {
          tls_thread = {t, 0, 0};
          tls_block = {bx, by, 0};
          kernel(p);
        });
      }
      for (auto& th : pool) th.join();
    }
  }
}

}  // namespace tu_emu

#define threadIdx (tu_emu::tls_thread)
#define blockIdx (tu_emu::tls_block)

inline void __syncthreads() { tu_emu::CurrentBarrier()->Wait(); }

inline float __shfl_down_sync(unsigned, float v, int offset) {
  static float lanes[1024];
  const unsigned t = threadIdx.x;
  lanes[t] = v;
  __syncthreads();
  const float r = (t & 31u) + offset < 32u ? lanes[t + offset] : v;
  __syncthreads();
  return r;
}

inline float atomicAdd(float* p, float v) {
  std::lock_guard<std::mutex> lock(tu_emu::AtomicMutex());
  const float old = *p;
  *p = old + v;
  return old;
}

namespace cub {

template <class T, int kThreads>
class BlockScan {
 public:
  struct TempStorage {
    T items[kThreads];
  };
  explicit BlockScan(TempStorage& s) : s_(s) {}
  template <class Op>
  void ExclusiveScan(T input, T& output, T initial, Op op) {
    const unsigned t = threadIdx.x;
    s_.items[t] = input;
    __syncthreads();
    T acc = initial;
    for (unsigned k = 0; k < t; ++k) acc = op(acc, s_.items[k]);
    output = acc;
    __syncthreads();
  }

 private:
  TempStorage& s_;
};

template <class T, int kThreads>
class BlockReduce {
 public:
  struct TempStorage {
    T items[kThreads];
  };
  explicit BlockReduce(TempStorage& s) : s_(s) {}
  // Like cub: the result is valid in thread 0 only.
  T Sum(T input) {
    const unsigned t = threadIdx.x;
    s_.items[t] = input;
    __syncthreads();
    T acc = T();
    if (t == 0)
      for (int k = 0; k < kThreads; ++k) acc += s_.items[k];
    __syncthreads();
    return t == 0 ? acc : T();
  }

 private:
  TempStorage& s_;
};

}  // namespace cub
