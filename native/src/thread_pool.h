// A small persistent thread pool shared by all native kernels.
//
// parallelFor(n, grain, fn) splits [0, n) into chunks of about `grain` items and runs
// fn(begin, end) on the pool's workers AND on the calling thread. Because the caller
// works through the chunks itself, nested or concurrent calls (several AsyncWorkers at
// once, a kernel calling another) always make progress even when every worker is busy.
// The first exception thrown by fn is rethrown on the calling thread.
#pragma once
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace tu {

class ThreadPool {
 public:
  explicit ThreadPool(unsigned workers) {
    for (unsigned i = 0; i < workers; ++i) threads_.emplace_back([this] { WorkerLoop(); });
  }
  ~ThreadPool() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    for (auto& t : threads_) t.join();
  }
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  /** The process-wide pool: one worker per hardware thread, minus the caller's. */
  static ThreadPool& Global() {
    static ThreadPool pool(std::max(1u, std::thread::hardware_concurrency()) - 1);
    return pool;
  }

  /** Threads that can work at once: the workers plus the calling thread. */
  unsigned Concurrency() const { return static_cast<unsigned>(threads_.size()) + 1; }

  template <class Fn>
  void ParallelFor(size_t n, size_t grain, Fn&& fn) {
    if (n == 0) return;
    grain = std::max<size_t>(1, grain);
    const size_t chunks = (n + grain - 1) / grain;
    if (chunks == 1 || threads_.empty()) {
      fn(size_t{0}, n);
      return;
    }
    struct State {
      std::atomic<size_t> next{0};
      std::atomic<size_t> done{0};
      std::mutex mutex;
      std::condition_variable finished;
      std::exception_ptr error;
    };
    auto state = std::make_shared<State>();
    std::function<void(size_t, size_t)> body = fn;
    auto work = [state, body, n, grain, chunks] {
      for (;;) {
        const size_t c = state->next.fetch_add(1);
        if (c >= chunks) return;
        try {
          body(c * grain, std::min(n, (c + 1) * grain));
        } catch (...) {
          std::lock_guard<std::mutex> lock(state->mutex);
          if (!state->error) state->error = std::current_exception();
        }
        if (state->done.fetch_add(1) + 1 == chunks) {
          std::lock_guard<std::mutex> lock(state->mutex);
          state->finished.notify_all();
        }
      }
    };
    const size_t helpers = std::min<size_t>(threads_.size(), chunks - 1);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      for (size_t i = 0; i < helpers; ++i) queue_.push_back(work);
    }
    wake_.notify_all();
    work();
    std::unique_lock<std::mutex> lock(state->mutex);
    state->finished.wait(lock, [&] { return state->done.load() == chunks; });
    if (state->error) std::rethrow_exception(state->error);
  }

 private:
  void WorkerLoop() {
    for (;;) {
      std::function<void()> job;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (stopping_ && queue_.empty()) return;
        job = std::move(queue_.front());
        queue_.pop_front();
      }
      job();
    }
  }

  std::vector<std::thread> threads_;
  std::deque<std::function<void()>> queue_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
};

/** ParallelFor on the global pool. */
template <class Fn>
inline void ParallelFor(size_t n, size_t grain, Fn&& fn) {
  ThreadPool::Global().ParallelFor(n, grain, std::forward<Fn>(fn));
}

}  // namespace tu
