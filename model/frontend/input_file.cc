#include "model/frontend/input_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <istream>
#include <streambuf>
#include <vector>

#include "model/frontend/input_error.h"

namespace nibble::frontend {

namespace {

// The bytes one read(2) asks for.
constexpr size_t kChunk = size_t{1} << 16;

std::string limit_message(const std::string& what) {
  return "larger than " + std::to_string(kMaxInputFileMiB) + " MiB, the limit for " + what;
}

// An open file descriptor, closed on destruction.
class Fd {
 public:
  // Opens path for reading; throws InputError naming it if that fails or it is a folder.
  Fd(const std::string& path, const std::string& what) {
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) {
      throw InputError(path, 0, "cannot open " + what + ": " + std::strerror(errno));
    }
    struct stat st {};
    if (::fstat(fd_, &st) == 0 && S_ISDIR(st.st_mode)) {
      ::close(fd_);
      throw InputError(path, 0, "is a directory, not " + what);
    }
  }
  ~Fd() { ::close(fd_); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;

  // read(2), retried on EINTR: the bytes read, 0 at the end, -1 with errno on an error.
  ssize_t read(char* data, size_t size) const {
    ssize_t n = 0;
    do {
      n = ::read(fd_, data, size);
    } while (n < 0 && errno == EINTR);
    return n;
  }

 private:
  int fd_ = -1;
};

// A stream buffer over a file that delivers at most kMaxInputFileBytes; one more byte behind
// them marks the file as too large. Read errors end the stream and are kept for the caller.
class CappedFileBuf : public std::streambuf {
 public:
  explicit CappedFileBuf(const Fd& fd) : fd_(fd) {}

  bool too_large() const { return too_large_; }
  int error() const { return error_; }

 protected:
  int_type underflow() override {
    if (gptr() < egptr()) {
      return traits_type::to_int_type(*gptr());
    }
    if (too_large_ || error_ != 0) {
      return traits_type::eof();
    }
    if (delivered_ >= kMaxInputFileBytes) {
      char probe = 0;
      const ssize_t n = fd_.read(&probe, 1);
      if (n < 0) {
        error_ = errno;
      } else if (n > 0) {
        too_large_ = true;
      }
      return traits_type::eof();
    }
    const auto room = static_cast<size_t>(kMaxInputFileBytes - delivered_);
    const size_t want = room < buffer_.size() ? room : buffer_.size();
    const ssize_t n = fd_.read(buffer_.data(), want);
    if (n <= 0) {
      if (n < 0) {
        error_ = errno;
      }
      return traits_type::eof();
    }
    delivered_ += n;
    setg(buffer_.data(), buffer_.data(), buffer_.data() + n);
    return traits_type::to_int_type(*gptr());
  }

 private:
  const Fd& fd_;
  std::vector<char> buffer_ = std::vector<char>(kChunk);
  int64_t delivered_ = 0;
  bool too_large_ = false;
  int error_ = 0;
};

void check_finished(const CappedFileBuf& buf, const std::string& path, const std::string& what) {
  if (buf.too_large()) {
    throw InputError(path, 0, limit_message(what));
  }
  if (buf.error() != 0) {
    throw InputError(path, 0, "cannot read " + what + ": " + std::strerror(buf.error()));
  }
}

}  // namespace

std::string read_input_file(const std::string& path, const std::string& what) {
  const Fd fd(path, what);
  std::string text;
  std::vector<char> chunk(kChunk);
  for (;;) {
    // One byte more than the limit tells a file of exactly the limit from a larger one.
    const auto room = static_cast<size_t>(kMaxInputFileBytes + 1) - text.size();
    const ssize_t n = fd.read(chunk.data(), room < chunk.size() ? room : chunk.size());
    if (n < 0) {
      throw InputError(path, 0, "cannot read " + what + ": " + std::strerror(errno));
    }
    if (n == 0) {
      return text;
    }
    text.append(chunk.data(), static_cast<size_t>(n));
    if (static_cast<int64_t>(text.size()) > kMaxInputFileBytes) {
      throw InputError(path, 0, limit_message(what));
    }
  }
}

void parse_input_file(const std::string& path, const std::string& what,
                      const std::function<void(std::istream&)>& parse) {
  const Fd fd(path, what);
  CappedFileBuf buf(fd);
  std::istream in(&buf);
  try {
    parse(in);
  } catch (...) {
    check_finished(buf, path, what);  // a file cut at the limit: its size is the error
    throw;
  }
  check_finished(buf, path, what);
}

}  // namespace nibble::frontend
