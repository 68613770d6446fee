// The YAML config reader and --set (model/frontend/config.h, docs/config.md). The input up to
// its first NUL byte is a config file's text (parse_config); each NUL-separated piece after it
// is one `--set key=value` (apply_override), then check_config, as resolve_config does. A config
// it accepts must print (dump_config) and read back to the same text, as config.h promises.
#include <cstddef>
#include <cstdint>
#include <string>

#include "model/frontend/config.h"
#include "tests/fuzz/fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace nibble;
  const std::string input = fuzz::text_of(data, size);
  fuzz::expect_clean([&] {
    const size_t end = input.find('\0');
    timing::ArchSpec spec = frontend::parse_config(input.substr(0, end), "fuzz.yaml");
    for (size_t begin = end; begin != std::string::npos && begin < input.size();) {
      const size_t next = input.find('\0', begin + 1);
      frontend::apply_override(spec, input.substr(begin + 1, next - begin - 1));
      begin = next;
    }
    frontend::check_config(spec, "--set");
    const std::string dumped = frontend::dump_config(spec);
    timing::ArchSpec back;
    try {
      back = frontend::parse_config(dumped, "dumped.yaml");
    } catch (const frontend::InputError& e) {
      fuzz::violated(std::string("dump_config's text does not read back: ") + e.what());
    }
    if (frontend::dump_config(back) != dumped) {
      fuzz::violated("dump_config(parse_config(dump_config(s))) differs from dump_config(s)");
    }
  });
  return 0;
}
