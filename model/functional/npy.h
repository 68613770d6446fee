// NumPy's .npy files (numpy.lib.format, the format NumPy's np.save writes and np.load reads):
// the tensors `nibble cosim --dump` and `nibble run --dump` write, and that a trace's `load`
// reads besides raw bytes (docs/functional.md, "NumPy files").
//
// A file: the magic "\x93NUMPY", the format version (major, minor bytes), the header's length
// (little-endian: 2 bytes in version 1.0, 4 in 2.0 and 3.0), the header, then the data. The
// header is a Python dict literal, {'descr': ..., 'fortran_order': ..., 'shape': (...), },
// padded with spaces and ended by '\n' so the data starts at a multiple of 64 bytes.
#ifndef NIBBLE_MODEL_FUNCTIONAL_NPY_H_
#define NIBBLE_MODEL_FUNCTIONAL_NPY_H_

#include <cstdint>
#include <string>
#include <vector>

namespace nibble::fn {

// The bytes of a version 1.0 .npy file of a rows x cols array, C order: uint8 ('|u1'), for
// 4-bit codes one per byte, or IEEE binary16 ('<f2') from its bit patterns.
std::string npy_u8(const std::vector<uint8_t>& values, int64_t rows, int64_t cols);
std::string npy_f16(const std::vector<uint16_t>& bits, int64_t rows, int64_t cols);

// Whether `bytes` starts with the .npy magic (the first 6 bytes suffice).
bool is_npy(const std::string& bytes);

// An .npy file's header, and where its data starts.
struct NpyHeader {
  std::string descr;  // the dtype, e.g. "|u1", "<f2"
  bool fortran_order = false;
  std::vector<int64_t> shape;
  size_t data_offset = 0;  // bytes before the data
};

// Parses the header at the start of `bytes` (versions 1.0, 2.0 and 3.0). std::invalid_argument,
// saying what is wrong in one line, for anything else: a bad magic or version, a header that is
// not the dict above, a negative or too large dimension.
NpyHeader parse_npy_header(const std::string& bytes);

}  // namespace nibble::fn

#endif  // NIBBLE_MODEL_FUNCTIONAL_NPY_H_
