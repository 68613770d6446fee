// Words for sh: the one quoting rule for the command lines nibble writes (the sbatch script,
// the sbatch command it prints) or hands to /bin/sh (the plot scripts).
#ifndef NIBBLE_MODEL_SWEEP_SHELL_H_
#define NIBBLE_MODEL_SWEEP_SHELL_H_

#include <string>
#include <vector>

namespace nibble::sweep {

// s as one sh word: unchanged when it holds only characters sh takes literally (letters,
// digits and -_./=%,:+@), else in single quotes (a ' inside becomes '\'').
std::string shell_word(const std::string& s);

// The words joined by spaces, each through shell_word.
std::string shell_line(const std::vector<std::string>& words);

}  // namespace nibble::sweep

#endif  // NIBBLE_MODEL_SWEEP_SHELL_H_
