// Wave files of the co-simulation (docs/cosim.md, "Waves"): the format a file name asks for, and
// the conversion of the VCD that Verilator's writer produces into FST (GTKWave's compressed
// format), through the FST writer Verilator ships (gtkwave/fstapi.c).
#ifndef NIBBLE_TESTBENCHES_COSIM_WAVES_H_
#define NIBBLE_TESTBENCHES_COSIM_WAVES_H_

#include <string>

namespace nibble::cosim {

enum class WaveFormat { kVcd, kFst };

// The format a wave file's name asks for: .vcd or .fst (either case). Throws
// std::invalid_argument, naming the path, for any other name.
WaveFormat wave_format(const std::string& path);

// Writes the FST file `fst` with the scopes, variables (aliases kept), timescale and value
// changes of the VCD file `vcd`, as Verilator's VCD writer lays it out: one declaration or
// value change per line, vectors as b<bits> <id> (shorter vectors extend by the VCD rule).
// Deterministic: the same VCD gives the same FST bytes (the header's date is fixed). Throws
// std::runtime_error naming vcd and the line of anything it does not read, or when a file
// cannot be read or written.
void vcd_to_fst(const std::string& vcd, const std::string& fst);

}  // namespace nibble::cosim

#endif  // NIBBLE_TESTBENCHES_COSIM_WAVES_H_
