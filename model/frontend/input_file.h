// The one reader of a user's text input files: traces, YAML configs, SCALE-Sim .cfg and topology
// files, energy and area tables, sweep specs. It refuses what is not a readable file (a folder,
// a missing file) and stops reading at kMaxInputFileBytes, so an endless or huge file
// (/dev/zero, a FIFO fed forever, a multi-GB log given by mistake) is one line of error after
// at most that many bytes, never unbounded memory. docs/cli.md, "Input files", states the limit.
// Operand and scale files are binary and checked against their expected size instead
// (model/functional/tensors.cc).
#ifndef NIBBLE_MODEL_FRONTEND_INPUT_FILE_H_
#define NIBBLE_MODEL_FRONTEND_INPUT_FILE_H_

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <string>

namespace nibble::frontend {

// The size limit of a text input file: 64 MiB. The largest shipped input (the ResNet-50
// training step's trace) is 16 KB; 64 MiB holds a trace of about 800,000 GEMM lines of 80
// bytes, a SCALE-Sim topology at its 2^20-layer limit with rows of 64 bytes, and keeps line
// numbers far inside int. It bounds the text held in memory (configs, tables and sweep specs
// are read whole, YAML as a node tree several times the text).
inline constexpr int64_t kMaxInputFileMiB = 64;
inline constexpr int64_t kMaxInputFileBytes = kMaxInputFileMiB << 20;

// The whole content of the file at path. `what` names the kind of file in the messages, e.g.
// "the trace file". Throws InputError(path, 0, ...) reading "is a directory, not <what>",
// "cannot open <what>: <reason>", "cannot read <what>: <reason>" or "larger than 64 MiB, the
// limit for <what>"; reads at most kMaxInputFileBytes + 1 bytes.
std::string read_input_file(const std::string& path, const std::string& what);

// The same checks for a parser that reads a stream line by line, without holding the file:
// calls parse with a stream of the file's bytes that ends after kMaxInputFileBytes. If the file
// is larger, or a read fails, that error is thrown instead of parse's result or InputError (a
// cut line would only give a misleading one).
void parse_input_file(const std::string& path, const std::string& what,
                      const std::function<void(std::istream&)>& parse);

}  // namespace nibble::frontend

#endif  // NIBBLE_MODEL_FRONTEND_INPUT_FILE_H_
