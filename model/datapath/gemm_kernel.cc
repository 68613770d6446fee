#include "model/datapath/gemm_kernel.h"

#include <immintrin.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <exception>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "model/numerics/lanes.h"

namespace nibble::datapath {
namespace {

bool same_operand(const num::Operand4& x, const num::Operand4& y) {
  return x.format == y.format && x.fp4.bias == y.fp4.bias && x.fp4.phase == y.fp4.phase;
}

// A pair's 256 products, by (a << 4) | b: in binary16 (exact, product.h) and in the adder
// tree's fixed point (lanes.h). One per thread, rebuilt when the pair changes.
class ProductTable {
 public:
  struct Entries {
    std::array<num::Fp16, 256> fp16{};
    alignas(32) std::array<int32_t, 256> fixed{};
    int lsb_exp2 = 0;  // num::tree_lsb_exp2
  };
  const Entries& get(const num::Operand4& fa, const num::Operand4& fb) {
    if (!valid_ || !same_operand(fa, fa_) || !same_operand(fb, fb_)) {
      num::validate_pair(fa, fb);
      for (unsigned a = 0; a < 16; ++a) {
        for (unsigned b = 0; b < 16; ++b) {
          const auto ca = static_cast<num::Code4>(a), cb = static_cast<num::Code4>(b);
          table_.fp16[(a << 4) | b] = num::product_fp16(fa, ca, fb, cb);
          table_.fixed[(a << 4) | b] = num::product_fixed(fa, ca, fb, cb);
        }
      }
      table_.lsb_exp2 = num::tree_lsb_exp2(fa, fb);
      fa_ = fa;
      fb_ = fb;
      valid_ = true;
    }
    return table_;
  }

 private:
  bool valid_ = false;
  num::Operand4 fa_, fb_;
  Entries table_;
};

const ProductTable::Entries& table_for(const GemmOperands& g) {
  thread_local ProductTable products;
  return products.get(g.fa, g.fb);
}

// The portable kernel: per output, the chunk rule with the product table. A chunk of one is
// the product, exact in binary16 (lanes.h), so lanes == 1 adds the binary16 product directly.
void gemm_block_portable(const GemmOperands& g, const Block& blk, Accumulators& acc) {
  const ProductTable::Entries& table = table_for(g);
  const int64_t lanes = g.lanes;
  // B's column n over the block's k range, pre-masked to 4 bits: the inner loop then reads A's
  // row and this column contiguously.
  std::vector<num::Code4> b_col(static_cast<size_t>(blk.k_len));
  for (int64_t n = blk.n0; n < blk.n0 + blk.n_len; ++n) {
    for (int64_t k = 0; k < blk.k_len; ++k) {
      b_col[static_cast<size_t>(k)] = g.b.at(blk.k0 + k, n) & 0xF;
    }
    for (int64_t m = blk.m0; m < blk.m0 + blk.m_len; ++m) {
      const num::Code4* a_row = g.a.data + m * g.a.cols + blk.k0;
      num::Fp16& out = acc.at(m, n);
      num::Fp16 sum = blk.first_partial ? num::kFp16Zero : out;
      if (lanes == 1) {
        for (int64_t k = 0; k < blk.k_len; ++k) {
          sum = num::fp16_add(sum, table.fp16[((a_row[k] & 0xFu) << 4) | b_col[size_t(k)]]);
        }
      } else {
        for (int64_t c = 0; c < blk.k_len; c += lanes) {
          const int64_t end = std::min(c + lanes, blk.k_len);
          int64_t tree = 0;
          for (int64_t k = c; k < end; ++k) {
            tree += table.fixed[((a_row[k] & 0xFu) << 4) | b_col[size_t(k)]];
          }
          sum = num::fp16_add(sum, num::round_chunk(tree, g.fa, g.fb));
        }
      }
      out = sum;
    }
  }
}

// ---- The AVX2 + F16C kernel -------------------------------------------------------------------
//
// Eight output columns per vector, Rows rows at a time. Per chunk of L k values, each lane's
// adder tree is an int32 sum of the products' fixed-point forms, looked up 8 columns at a time
// (two 8-entry permutes of the A code's table row, chosen by B's code bit 3). The tree's sum is
// below 2^23 in magnitude (64 lanes of at most 15 * 2^12), so converting it to binary32 and
// scaling by 2^lsb is exact, and VCVTPS2PH rounds it once to binary16, to nearest even: the
// chunk rule's rounding. The accumulator is kept as the binary32 value of its binary16 bits;
// acc + chunk is rounded to binary32 by the addition and then to binary16 by VCVTPS2PH. That
// double rounding equals one rounding of the exact sum: binary32 has 24 >= 2 * 11 + 2 bits,
// the bound for which rounding twice is innocuous for a sum of two binary16 values
// (docs/datapath.md gives the argument; the tests check every case). NaN accumulators (only
// from a NaN given as the initial value) are made the canonical NaN when stored, as
// num::fp16_add returns it.

#define NIBBLE_AVX2 __attribute__((target("avx2,f16c")))

// binary32 x rounded once to binary16, to nearest even, and widened back (exact).
NIBBLE_AVX2 inline __m256 round16(__m256 x) {
  return _mm256_cvtph_ps(_mm256_cvtps_ph(x, _MM_FROUND_TO_NEAREST_INT));
}

// A chunk's tree sums (int32, units of 2^lsb) rounded to binary16: the chunk rule's rounding.
NIBBLE_AVX2 inline __m256 chunk16(__m256i tree, __m256 scale) {
  return round16(_mm256_mul_ps(_mm256_cvtepi32_ps(tree), scale));
}

// The accumulate: acc + chunk, both binary16 values, rounded to binary16.
NIBBLE_AVX2 inline __m256 add16(__m256 acc, __m256 chunk) {
  return round16(_mm256_add_ps(acc, chunk));
}

// Binary16 bits of x, a NaN as the canonical NaN (num::fp16_add's).
NIBBLE_AVX2 inline __m128i store16(__m256 x) {
  const __m256 nan = _mm256_cvtph_ps(_mm_set1_epi16(static_cast<int16_t>(num::kFp16NaN.bits())));
  const __m256 out = _mm256_blendv_ps(x, nan, _mm256_cmp_ps(x, x, _CMP_UNORD_Q));
  return _mm256_cvtps_ph(out, _MM_FROUND_TO_NEAREST_INT);
}

// Rows x 8 outputs over the block's k range. a_rows: A's rows at k0; panel: B's 8 columns at
// k0 .. k0 + k_len, 8 codes per k (masked, zero beyond the block's columns); acc16: Rows x 8
// binary16 accumulators in and out.
template <int Rows>
NIBBLE_AVX2 void rows_avx2(const num::Code4* const* a_rows, const uint8_t* panel, int64_t k_len,
                           int64_t lanes, const int32_t* fixed, float scale, uint16_t* acc16) {
  const __m256 vscale = _mm256_set1_ps(scale);
  __m256 acc[Rows];
  for (int r = 0; r < Rows; ++r) {
    acc[r] = _mm256_cvtph_ps(
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(acc16 + static_cast<size_t>(r) * 8)));
  }
  for (int64_t c = 0; c < k_len; c += lanes) {
    const int64_t end = std::min(c + lanes, k_len);
    __m256i tree[Rows];
    for (int r = 0; r < Rows; ++r) {
      tree[r] = _mm256_setzero_si256();
    }
    for (int64_t k = c; k < end; ++k) {
      const __m256i b = _mm256_cvtepu8_epi32(
          _mm_loadl_epi64(reinterpret_cast<const __m128i*>(panel + static_cast<size_t>(k) * 8)));
      const __m256 high = _mm256_castsi256_ps(_mm256_slli_epi32(b, 28));  // b's bit 3 as sign
      for (int r = 0; r < Rows; ++r) {
        const int32_t* row = fixed + ((a_rows[r][k] & 0xFu) << 4);
        const __m256i lo = _mm256_permutevar8x32_epi32(
            _mm256_load_si256(reinterpret_cast<const __m256i*>(row)), b);
        const __m256i hi = _mm256_permutevar8x32_epi32(
            _mm256_load_si256(reinterpret_cast<const __m256i*>(row + 8)), b);
        const __m256i p = _mm256_castps_si256(
            _mm256_blendv_ps(_mm256_castsi256_ps(lo), _mm256_castsi256_ps(hi), high));
        tree[r] = _mm256_add_epi32(tree[r], p);
      }
    }
    for (int r = 0; r < Rows; ++r) {
      // A single product is exact in binary16 (lanes.h): its rounding is skipped.
      const __m256 chunk =
          lanes > 1 ? chunk16(tree[r], vscale) : _mm256_mul_ps(_mm256_cvtepi32_ps(tree[r]), vscale);
      acc[r] = add16(acc[r], chunk);
    }
  }
  for (int r = 0; r < Rows; ++r) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(acc16 + static_cast<size_t>(r) * 8),
                     store16(acc[r]));
  }
}

NIBBLE_AVX2 void avx2_fp16_add_impl(const uint16_t* a, const uint16_t* b, uint16_t* out, size_t n) {
  for (size_t i = 0; i < n; i += 8) {
    const __m256 x = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a + i)));
    const __m256 y = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b + i)));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), store16(add16(x, y)));
  }
}

NIBBLE_AVX2 void avx2_round_chunks_impl(const int32_t* tree, int lsb_exp2, uint16_t* out,
                                        size_t n) {
  const __m256 scale = _mm256_set1_ps(std::ldexp(1.0f, lsb_exp2));
  for (size_t i = 0; i < n; i += 8) {
    const __m256i t = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(tree + i));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), store16(chunk16(t, scale)));
  }
}

template <int Rows>
NIBBLE_AVX2 void rows_at(const GemmOperands& g, const Block& blk, int64_t m, int64_t n, int cols,
                         const uint8_t* panel, const ProductTable::Entries& table, float scale,
                         Accumulators& acc) {
  const num::Code4* a_rows[Rows];
  alignas(16) uint16_t acc16[Rows * 8] = {};
  for (int r = 0; r < Rows; ++r) {
    a_rows[r] = g.a.data + (m + r) * g.a.cols + blk.k0;
    if (!blk.first_partial) {
      for (int j = 0; j < cols; ++j) {
        acc16[r * 8 + j] = acc.at(m + r, n + j).bits();
      }
    }
  }
  rows_avx2<Rows>(a_rows, panel, blk.k_len, g.lanes, table.fixed.data(), scale, acc16);
  for (int r = 0; r < Rows; ++r) {
    for (int j = 0; j < cols; ++j) {
      acc.at(m + r, n + j) = num::Fp16::from_bits(acc16[r * 8 + j]);
    }
  }
}

NIBBLE_AVX2 void gemm_block_avx2(const GemmOperands& g, const Block& blk, Accumulators& acc) {
  const ProductTable::Entries& table = table_for(g);
  const float scale = std::ldexp(1.0f, table.lsb_exp2);
  std::vector<uint8_t> panel(static_cast<size_t>(blk.k_len) * 8);
  for (int64_t n = blk.n0; n < blk.n0 + blk.n_len; n += 8) {
    const int cols = static_cast<int>(std::min<int64_t>(8, blk.n0 + blk.n_len - n));
    for (int64_t k = 0; k < blk.k_len; ++k) {
      const num::Code4* b_row = g.b.data + (blk.k0 + k) * g.b.cols + n;
      for (int j = 0; j < 8; ++j) {
        panel[static_cast<size_t>(k) * 8 + j] = j < cols ? (b_row[j] & 0xF) : 0;
      }
    }
    int64_t m = blk.m0;
    for (; m + 4 <= blk.m0 + blk.m_len; m += 4) {
      rows_at<4>(g, blk, m, n, cols, panel.data(), table, scale, acc);
    }
    for (; m < blk.m0 + blk.m_len; ++m) {
      rows_at<1>(g, blk, m, n, cols, panel.data(), table, scale, acc);
    }
  }
}

#undef NIBBLE_AVX2

bool cpu_has_avx2() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("f16c");
}

}  // namespace

void avx2_fp16_add(const uint16_t* a, const uint16_t* b, uint16_t* out, size_t n) {
  if (n % 8 != 0 || !kernel_available(Kernel::kAvx2)) {
    throw std::invalid_argument("avx2_fp16_add: n a multiple of 8, on an AVX2 + F16C CPU");
  }
  avx2_fp16_add_impl(a, b, out, n);
}

void avx2_round_chunks(const int32_t* tree, int lsb_exp2, uint16_t* out, size_t n) {
  if (n % 8 != 0 || !kernel_available(Kernel::kAvx2)) {
    throw std::invalid_argument("avx2_round_chunks: n a multiple of 8, on an AVX2 + F16C CPU");
  }
  avx2_round_chunks_impl(tree, lsb_exp2, out, n);
}

const char* kernel_name(Kernel k) { return k == Kernel::kAvx2 ? "avx2" : "portable"; }

bool kernel_available(Kernel k) {
  static const bool avx2 = cpu_has_avx2();
  return k == Kernel::kPortable || avx2;
}

Kernel active_kernel() {
  static const Kernel chosen = [] {
    const char* env = std::getenv("NIBBLE_KERNEL");
    if (env != nullptr && std::string(env) == "portable") {
      return Kernel::kPortable;
    }
    return kernel_available(Kernel::kAvx2) ? Kernel::kAvx2 : Kernel::kPortable;
  }();
  return chosen;
}

void gemm_block(Kernel kernel, const GemmOperands& g, const Block& b, Accumulators& acc) {
  if (b.k0 % g.lanes != 0) {
    throw std::invalid_argument("datapath: tile's k range does not start at a multiple of L");
  }
  if (!kernel_available(kernel)) {
    throw std::invalid_argument(std::string("datapath: this CPU cannot run the ") +
                                kernel_name(kernel) + " kernel");
  }
  if (b.m_len <= 0 || b.n_len <= 0) {
    return;
  }
  if (kernel == Kernel::kAvx2) {
    gemm_block_avx2(g, b, acc);
  } else {
    gemm_block_portable(g, b, acc);
  }
}

namespace {

// Worker threads kept for the process, grown on demand, each running one task at a time.
class Pool {
 public:
  static Pool& instance() {
    static Pool pool;
    return pool;
  }

  // Runs tasks[1 ..] on workers and tasks[0] on the caller; returns when all are done, then
  // rethrows the first exception (by task index) any of them threw. One call at a time.
  void run(std::vector<std::function<void()>>& tasks) {
    const std::lock_guard<std::mutex> one_at_a_time(run_mutex_);
    std::vector<std::exception_ptr> errors(tasks.size());
    {
      std::unique_lock<std::mutex> lock(mutex_);
      while (workers_.size() + 1 < tasks.size()) {
        workers_.emplace_back([this] { work(); });
      }
      pending_ = tasks.size() - 1;
      for (size_t i = 1; i < tasks.size(); ++i) {
        queue_.push_back([&tasks, &errors, i] {
          try {
            tasks[i]();
          } catch (...) {
            errors[i] = std::current_exception();
          }
        });
      }
    }
    wake_.notify_all();
    try {
      tasks[0]();
    } catch (...) {
      errors[0] = std::current_exception();
    }
    {
      std::unique_lock<std::mutex> lock(mutex_);
      done_.wait(lock, [this] { return pending_ == 0; });
    }
    for (const std::exception_ptr& e : errors) {
      if (e) {
        std::rethrow_exception(e);
      }
    }
  }

 private:
  Pool() = default;
  ~Pool() {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    for (std::thread& w : workers_) {
      w.join();
    }
  }

  void work() {
    for (;;) {
      std::function<void()> task;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [this] { return stop_ || !queue_.empty(); });
        if (queue_.empty()) {
          return;
        }
        task = std::move(queue_.front());
        queue_.pop_front();
      }
      task();
      {
        std::unique_lock<std::mutex> lock(mutex_);
        --pending_;
      }
      done_.notify_all();
    }
  }

  std::mutex run_mutex_;
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  std::deque<std::function<void()>> queue_;
  std::vector<std::thread> workers_;
  size_t pending_ = 0;
  bool stop_ = false;
};

}  // namespace

void gemm_block_parallel(Kernel kernel, const GemmOperands& g, const Block& b, Accumulators& acc,
                         int threads) {
  if (threads < 1) {
    throw std::invalid_argument("datapath: threads must be at least 1");
  }
  const int64_t parts = std::min<int64_t>(threads, b.m_len);
  if (parts <= 1 || b.m_len * b.n_len * b.k_len < kParallelMacs) {
    gemm_block(kernel, g, b, acc);
    return;
  }
  std::vector<std::function<void()>> tasks;
  for (int64_t t = 0; t < parts; ++t) {
    Block part = b;
    part.m0 = b.m0 + b.m_len * t / parts;
    part.m_len = b.m0 + b.m_len * (t + 1) / parts - part.m0;
    tasks.emplace_back([kernel, &g, part, &acc] { gemm_block(kernel, g, part, acc); });
  }
  Pool::instance().run(tasks);
}

void compute_gemm(const GemmOperands& g, Accumulators& acc, int threads) {
  if (acc.rows != g.a.rows || acc.cols != g.b.cols || g.a.cols != g.b.rows ||
      acc.values.size() != static_cast<size_t>(acc.rows * acc.cols)) {
    throw std::invalid_argument("datapath: accumulators and operands of different shapes");
  }
  Block b;
  b.m_len = g.a.rows;
  b.n_len = g.b.cols;
  b.k_len = g.a.cols;
  gemm_block_parallel(active_kernel(), g, b, acc, threads);
}

}  // namespace nibble::datapath
