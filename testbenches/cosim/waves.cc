// Wave files of the co-simulation: see waves.h.
#include "testbenches/cosim/waves.h"

#include <cctype>
#include <cstdint>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "fstapi.h"

namespace nibble::cosim {

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  if (s.size() < suffix.size()) {
    return false;
  }
  for (size_t i = 0; i < suffix.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[s.size() - suffix.size() + i]);
    if (std::tolower(c) != suffix[i]) {
      return false;
    }
  }
  return true;
}

// The FST writer's context, closed (which writes the file) exactly once.
struct FstWriter {
  void* ctx = nullptr;
  ~FstWriter() {
    if (ctx != nullptr) {
      fstWriterClose(ctx);
    }
  }
};

struct Var {
  fstHandle handle;
  uint32_t width;
};

std::vector<std::string> tokens(const std::string& line) {
  std::vector<std::string> out;
  std::istringstream in(line);
  std::string t;
  while (in >> t) {
    out.push_back(t);
  }
  return out;
}

}  // namespace

WaveFormat wave_format(const std::string& path) {
  if (ends_with(path, ".vcd")) {
    return WaveFormat::kVcd;
  }
  if (ends_with(path, ".fst")) {
    return WaveFormat::kFst;
  }
  throw std::invalid_argument(path + ": a wave file is .vcd or .fst");
}

void vcd_to_fst(const std::string& vcd, const std::string& fst) {
  std::ifstream in(vcd);
  if (!in) {
    throw std::runtime_error("cannot read " + vcd);
  }
  FstWriter writer;
  writer.ctx = fstWriterCreate(fst.c_str(), 1);
  if (writer.ctx == nullptr) {
    throw std::runtime_error("cannot write " + fst);
  }
  fstWriterSetPackType(writer.ctx, FST_WR_PT_LZ4);
  // The header's date would be the wall clock's: fixed, so equal VCDs give equal FSTs.
  fstWriterSetDate(writer.ctx, "nibble cosim");
  fstWriterSetVersion(writer.ctx, "nibble cosim (VCD from Verilator, converted)");

  std::unordered_map<std::string, Var> vars;  // VCD identifier -> FST handle
  std::string line;
  int64_t line_no = 0;
  bool definitions = true;
  std::string value;
  auto fail = [&](const std::string& why) {
    throw std::runtime_error(vcd + ":" + std::to_string(line_no) + ": " + why);
  };
  auto var_of = [&](const std::string& id) -> const Var& {
    const auto it = vars.find(id);
    if (it == vars.end()) {
      fail("value change of the undeclared identifier '" + id + "'");
    }
    return it->second;
  };
  while (std::getline(in, line)) {
    ++line_no;
    if (!line.empty() && line.back() == '\r') {
      line.pop_back();
    }
    if (definitions) {
      const std::vector<std::string> t = tokens(line);
      if (t.empty()) {
        continue;
      }
      if (t[0] == "$version" || t[0] == "$date" || t[0] == "$comment") {
        continue;  // one-line directives of Verilator's header; FST has its own
      }
      if (t[0] == "$timescale" && t.size() == 3 && t[2] == "$end") {
        fstWriterSetTimescaleFromString(writer.ctx, t[1].c_str());
      } else if (t[0] == "$scope" && t.size() == 4 && t[3] == "$end") {
        fstWriterSetScope(writer.ctx, FST_ST_VCD_MODULE, t[2].c_str(), nullptr);
      } else if (t[0] == "$upscope" && t.size() == 2) {
        fstWriterSetUpscope(writer.ctx);
      } else if (t[0] == "$var" && (t.size() == 6 || t.size() == 7) && t.back() == "$end") {
        if (t[1] != "wire" && t[1] != "reg") {
          fail("variable type '" + t[1] + "' is not read (wire and reg are)");
        }
        uint32_t width = 0;
        try {
          const unsigned long w = std::stoul(t[2]);
          if (w == 0 || w > (1u << 20)) {
            throw std::out_of_range("width");
          }
          width = static_cast<uint32_t>(w);
        } catch (const std::exception&) {
          fail("bad variable width '" + t[2] + "'");
        }
        const std::string name = t.size() == 7 ? t[4] + " " + t[5] : t[4];
        const auto alias = vars.find(t[3]);
        if (alias != vars.end() && alias->second.width != width) {
          fail("identifier '" + t[3] + "' declared with two widths");
        }
        const fstHandle h =
            fstWriterCreateVar(writer.ctx, FST_VT_VCD_WIRE, FST_VD_IMPLICIT, width, name.c_str(),
                               alias == vars.end() ? 0 : alias->second.handle);
        if (alias == vars.end()) {
          vars.emplace(t[3], Var{h, width});
        }
      } else if (t[0] == "$enddefinitions") {
        definitions = false;
      } else {
        fail("declaration not read: '" + line.substr(0, 80) + "'");
      }
      continue;
    }
    if (line.empty()) {
      continue;
    }
    const char c = line[0];
    if (c == '#') {
      uint64_t t = 0;
      try {
        size_t used = 0;
        t = std::stoull(line.substr(1), &used);
        if (used + 1 != line.size()) {
          throw std::invalid_argument("time");
        }
      } catch (const std::exception&) {
        fail("bad time '" + line.substr(0, 40) + "'");
      }
      fstWriterEmitTimeChange(writer.ctx, t);
    } else if (c == 'b' || c == 'B') {
      const size_t space = line.find(' ');
      if (space == std::string::npos || space == 1) {
        fail("vector value change without an identifier");
      }
      const Var& v = var_of(line.substr(space + 1));
      const std::string bits = line.substr(1, space - 1);
      if (bits.size() > v.width || bits.find_first_not_of("01xzXZ") != std::string::npos) {
        fail("bad vector value '" + bits.substr(0, 40) + "'");
      }
      // Shorter values extend on the left: with 0 when they start with 0 or 1, else with
      // their first bit (x or z), as in IEEE 1364's VCD.
      const char pad = (bits[0] == '0' || bits[0] == '1') ? '0' : bits[0];
      value.assign(v.width - bits.size(), pad);
      value += bits;
      fstWriterEmitValueChange(writer.ctx, v.handle, value.c_str());
    } else if (c == '0' || c == '1' || c == 'x' || c == 'X' || c == 'z' || c == 'Z') {
      const Var& v = var_of(line.substr(1));
      if (v.width != 1) {
        fail("scalar value change of a " + std::to_string(v.width) + "-bit variable");
      }
      const char bit[2] = {c, '\0'};
      fstWriterEmitValueChange(writer.ctx, v.handle, bit);
    } else if (line.rfind("$dump", 0) == 0 || line == "$end") {
      continue;  // $dumpvars ... $end brackets the initial values, which FST needs no marks for
    } else {
      fail("value change not read: '" + line.substr(0, 80) + "'");
    }
  }
  if (definitions) {
    ++line_no;
    fail("no $enddefinitions");
  }
  if (fstWriterGetFseekFailed(writer.ctx) != 0) {
    throw std::runtime_error("cannot write " + fst);
  }
}

}  // namespace nibble::cosim
