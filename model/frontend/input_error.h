// The one error type for bad user input anywhere in the frontend: it carries the file and
// line, and what() reads "<file>:<line>: <message>". The CLI prints it as one line and exits
// with code 2.
#ifndef NIBBLE_MODEL_FRONTEND_INPUT_ERROR_H_
#define NIBBLE_MODEL_FRONTEND_INPUT_ERROR_H_

#include <stdexcept>
#include <string>

namespace nibble::frontend {

class InputError : public std::runtime_error {
 public:
  // line 0 means the error concerns the whole file (e.g. it cannot be opened).
  InputError(const std::string& file, int line, const std::string& message)
      : std::runtime_error(line > 0 ? file + ":" + std::to_string(line) + ": " + message
                                    : file + ": " + message),
        file_(file),
        line_(line),
        message_(message) {}

  const std::string& file() const { return file_; }
  int line() const { return line_; }
  // The message without the "<file>:<line>: " prefix.
  const std::string& message() const { return message_; }

 private:
  std::string file_;
  int line_;
  std::string message_;
};

}  // namespace nibble::frontend

#endif  // NIBBLE_MODEL_FRONTEND_INPUT_ERROR_H_
