// The functional datapath's GEMM kernels: many outputs of num::dot4_fp16 at once. Two kernels
// compute the same values: a portable one (the product table and num::fp16_add, any x86-64),
// and one for CPUs with AVX2 and F16C, chosen at run time, that works on 8 output columns at a
// time. Neither adds a rule of its own; tests/unit/datapath/test_gemm_kernel.cc proves both
// equal to num::dot4_fp16 exhaustively (every accumulator value with every product and every
// chunk sum) and on 10^8 seeded MACs. docs/datapath.md ("Functional kernels") gives the
// argument for the AVX2 kernel's exactness.
#ifndef NIBBLE_MODEL_DATAPATH_GEMM_KERNEL_H_
#define NIBBLE_MODEL_DATAPATH_GEMM_KERNEL_H_

#include <cstddef>
#include <cstdint>

#include "model/datapath/datapath.h"

namespace nibble::datapath {

enum class Kernel { kPortable, kAvx2 };

const char* kernel_name(Kernel k);  // "portable", "avx2"
// Whether this CPU runs the kernel (kPortable: always).
bool kernel_available(Kernel k);
// The kernel compute_tile and compute_gemm use: kAvx2 when available, else kPortable; the
// environment variable NIBBLE_KERNEL=portable chooses the portable one.
Kernel active_kernel();

// The rows and columns of C one call computes, and the k range it adds.
struct Block {
  int64_t m0 = 0, m_len = 0;
  int64_t n0 = 0, n_len = 0;
  int64_t k0 = 0, k_len = 0;  // k0 a multiple of g.lanes
  bool first_partial = true;  // start from +0, else from acc
};

// For every (m, n) of the block: acc(m, n) = dot4_fp16(A[m][k0 ..], B[k0 .. ][n], k_len,
// g.lanes, first_partial ? +0 : acc(m, n)). The caller checks that the block lies inside the
// operands and acc; throws std::invalid_argument if k0 is not a multiple of g.lanes, or if the
// kernel is not available.
void gemm_block(Kernel kernel, const GemmOperands& g, const Block& b, Accumulators& acc);

// The AVX2 kernel's two rounding steps, exposed for the tests (n a multiple of 8; throws
// std::invalid_argument on a CPU without AVX2 and F16C): out[i] = a[i] + b[i] rounded to
// binary16 (the accumulate, a NaN as the canonical NaN), and out[i] = tree[i] * 2^lsb_exp2
// rounded to binary16 (the chunk rule's rounding, for |tree[i]| < 2^24). The kernel computes
// with exactly these steps.
void avx2_fp16_add(const uint16_t* a, const uint16_t* b, uint16_t* out, size_t n);
void avx2_round_chunks(const int32_t* tree, int lsb_exp2, uint16_t* out, size_t n);

// gemm_block on `threads` threads (>= 1): a block of at least kParallelMacs MACs is split into
// `threads` contiguous ranges of rows, each computed by one thread (the caller's and workers of
// a pool kept for the process); a smaller one runs on the caller's thread. Every output is
// computed by one thread in the rule's order, so the values are the same for every count.
inline constexpr int64_t kParallelMacs = int64_t{1} << 18;
void gemm_block_parallel(Kernel kernel, const GemmOperands& g, const Block& b, Accumulators& acc,
                         int threads);

// The whole GEMM, acc(m, n) = dot4_fp16(A[m][..], B[..][n], K, g.lanes, +0), with
// active_kernel() on `threads` threads: gemm_block_parallel over the whole output.
void compute_gemm(const GemmOperands& g, Accumulators& acc, int threads);

}  // namespace nibble::datapath

#endif  // NIBBLE_MODEL_DATAPATH_GEMM_KERNEL_H_
