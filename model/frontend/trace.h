// Reader and writer of nibble's own workload format, the `.trace` file: a header line, an
// optional workload name, one `gemm` line per GEMM and the data commands of functional mode
// (`seed`, `load`, `scale`, `expect`). docs/trace-format.md is the
// specification (grammar, fields, defaults, errors); this code implements exactly that page.
#ifndef NIBBLE_MODEL_FRONTEND_TRACE_H_
#define NIBBLE_MODEL_FRONTEND_TRACE_H_

#include <iosfwd>
#include <string>

#include "model/workload/gemm_spec.h"

namespace nibble::frontend {

// The version in the header line `nibble-trace 1`; a reader accepts only its own version.
inline constexpr int kTraceVersion = 1;

// Reads a whole trace. filename names the source in error messages and in each
// GemmSpec::where. Throws InputError on the first problem (with its line, what was expected and
// the offending token); never skips a line it does not understand. File names in `load` and
// `scale file=` are stored as written (relative ones stay relative to the current directory);
// the files are not opened.
workload::Workload parse_trace(std::istream& in, const std::string& filename);

// Opens path and parses it. A file that cannot be opened or read is an InputError with line 0.
// A relative file name in a data command resolves against the folder of path: in
// "traces/t.trace", `load g a=x.bin` stores "traces/x.bin".
workload::Workload read_trace_file(const std::string& path);

// The canonical text of w: the header, `workload <name>` if w.name is not empty, `seed <n>` if
// w.seed is not 0, then per GEMM its gemm line with every field in the order
// m n k a b out pass repeat, followed by its data commands (load, scale, expect), no comments.
// File names are written as stored. For every workload parse_trace accepts,
// parse_trace(write_trace(w)) equals w in every field except the SourceLocations (where,
// seed_where, load_where, ...). Throws std::invalid_argument, naming the GEMM, if w could not be
// read back (an invalid name, a dimension out of range, an operand pair the array cannot
// multiply, a scale that is not a binary16 value, ...).
std::string write_trace(const workload::Workload& w);

}  // namespace nibble::frontend

#endif  // NIBBLE_MODEL_FRONTEND_TRACE_H_
