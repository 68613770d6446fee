#include "testbenches/cosim/rtl_array.h"

#include <algorithm>
#include <climits>
#include <deque>
#include <filesystem>
#include <iterator>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include "Vcosim_scale_unit.h"
#include "cosim_arrays.h"  // generated: the built arrays' headers and NIBBLE_RTL_ARRAYS_TABLE
#include "model/numerics/product.h"
#include "model/numerics/random.h"
#include "model/timing/realistic.h"
#include "testbenches/cosim/waves.h"
#include "testbenches/rtl_formats.h"
#include "verilated.h"
#include "verilated_vcd_c.h"

namespace nibble::cosim {

namespace {

// The inputs of one cycle at the array's edges, one entry per row or column; the codes and
// lane enables (*_code, *_en) one entry per lane, row or column i's lane l at i * L + l.
struct EdgeIn {
  std::vector<uint16_t> row_valid, row_data, row_first, row_last;  // R
  std::vector<uint16_t> row_code, row_en;                          // R x L
  std::vector<uint16_t> col_valid, col_data;                       // C (os: B)
  std::vector<uint16_t> col_code, col_en;                          // C x L
  std::vector<uint16_t> psum_valid, psum_data, psum;               // C (ws/is)
  std::vector<uint16_t> w_valid, w_data, w_row;                    // C (ws/is)
  std::vector<uint16_t> w_code, w_en;                              // C x L

  EdgeIn(size_t r, size_t c, size_t l)
      : row_valid(r),
        row_data(r),
        row_first(r),
        row_last(r),
        row_code(r * l),
        row_en(r * l),
        col_valid(c),
        col_data(c),
        col_code(c * l),
        col_en(c * l),
        psum_valid(c),
        psum_data(c),
        psum(c),
        w_valid(c),
        w_data(c),
        w_row(c),
        w_code(c * l),
        w_en(c * l) {}
};

// Packs lanes of `width` bits (lane i in bits [i*width, (i+1)*width)) into a Verilated port:
// an integer type up to 64 bits, or a VlWide of 32-bit words.
template <typename P>
void pack(P& port, const std::vector<uint16_t>& lanes, int width) {
  for (const uint16_t v : lanes) {
    if (width < 16 && (v >> width) != 0) {
      throw std::logic_error("RTL array: a " + std::to_string(v) + " on a " +
                             std::to_string(width) + "-bit lane");
    }
  }
  if constexpr (std::is_integral_v<P>) {
    uint64_t v = 0;
    for (size_t i = 0; i < lanes.size(); ++i) {
      v |= static_cast<uint64_t>(lanes[i]) << (i * static_cast<size_t>(width));
    }
    port = static_cast<P>(v);
  } else {
    for (size_t w = 0; w < std::size(port.m_storage); ++w) {
      port[w] = 0;
    }
    for (size_t i = 0; i < lanes.size(); ++i) {
      for (int b = 0; b < width; ++b) {
        if ((lanes[i] >> b) & 1U) {
          const size_t bit = i * static_cast<size_t>(width) + static_cast<size_t>(b);
          port[bit / 32] |= 1U << (bit % 32);
        }
      }
    }
  }
}

template <typename P>
uint16_t unpack(const P& port, size_t lane, int width) {
  uint16_t v = 0;
  for (int b = 0; b < width; ++b) {
    const size_t bit = lane * static_cast<size_t>(width) + static_cast<size_t>(b);
    uint64_t word = 0;
    if constexpr (std::is_integral_v<P>) {
      word = static_cast<uint64_t>(port) >> bit;
    } else {
      word = port[bit / 32] >> (bit % 32);
    }
    v = static_cast<uint16_t>(v | ((word & 1U) << b));
  }
  return v;
}

// The one VerilatedContext of the process's Verilated models, alive while any model is.
// Verilator 5.006 unregisters a model's scopes through the thread's current context rather than
// the model's own (verilator/verilator#8265), so models with contexts of their own could reach a
// destroyed one; each owner also makes the context current before destroying its model.
std::shared_ptr<VerilatedContext> shared_context() {
  static std::weak_ptr<VerilatedContext> cache;
  std::shared_ptr<VerilatedContext> context = cache.lock();
  if (!context) {
    context = std::make_shared<VerilatedContext>();
    context->fatalOnError(false);  // an assertion becomes std::logic_error, not an abort
    cache = context;
  }
  return context;
}

// Scope names must be unique within the shared context, across every model type.
std::string scope_name(const char* kind) {
  static int instances = 0;
  return kind + std::to_string(instances++);
}

int row_width(int64_t rows) {
  int w = 1;
  while ((int64_t{1} << w) < rows) {
    ++w;
  }
  return w;
}

}  // namespace

// ---- The Verilated array behind one interface ---------------------------------------------

class RtlArray::Port {
 public:
  virtual ~Port() = default;
  virtual int64_t rows() const = 0;
  virtual int64_t cols() const = 0;
  virtual int64_t lanes() const = 0;
  virtual void reset() = 0;  // the asynchronous reset; no clock edge
  virtual void configure(int dataflow, uint8_t fmt_a, uint8_t fmt_b) = 0;
  virtual void drive(const EdgeIn& in, bool res_ready) = 0;
  // The results presented this cycle (registers: valid since the last clock edge).
  virtual void results(std::vector<uint16_t>& res_valid, std::vector<uint16_t>& res) const = 0;
  // Evaluates with the clock low, after drive(): whether the array takes this cycle's inputs.
  virtual bool settle() = 0;
  virtual void clock_edge() = 0;
  virtual int64_t cycles() const = 0;
  virtual void set_waves_gemm(bool on) = 0;  // whether this GEMM's cycles may be dumped
  virtual void finish_waves() = 0;
};

namespace {

template <typename Model>
class VerilatedArray : public RtlArray::Port {
 public:
  VerilatedArray(int64_t rows, int64_t cols, int64_t lanes, const RtlOptions& options)
      : rows_(rows), cols_(cols), lanes_(lanes), context_(shared_context()) {
    waves_path_ = options.waves_path;
    // The window in time units; the reset before the first GEMM belongs to no GEMM.
    const auto to_time = [](int64_t cycle) {
      return cycle < 0 || cycle > INT64_MAX / kTimePerCycle ? INT64_MAX : cycle * kTimePerCycle;
    };
    waves_from_ = to_time(options.waves_from);
    waves_to_ = to_time(options.waves_to);
    waves_gemm_ = options.waves_gemm.empty();
    std::string vcd_path = waves_path_;
    if (!waves_path_.empty() && options.waves_format == WaveFormat::kFst) {
      vcd_path = waves_path_ + ".vcd";
      fst_ = true;
    }
    if (!vcd_path.empty()) {
      context_->traceEverOn(true);
    }
    // Verilator draws initial values through the thread's current context when the model is
    // constructed: random with a seed for this model only, zero for every later one.
    Verilated::threadContextp(context_.get());
    if (options.random_init_seed != 0) {
      context_->randSeed(options.random_init_seed);
      context_->randReset(2);
    }
    model_ = std::make_unique<Model>(context_.get(), scope_name("array").c_str());
    context_->randReset(0);
    if (!vcd_path.empty()) {
      trace_ = std::make_unique<VerilatedVcdC>();
      model_->trace(trace_.get(), 99);
      trace_->open(vcd_path.c_str());
      if (!trace_->isOpen()) {
        throw std::runtime_error("cannot write " + vcd_path);
      }
      vcd_path_ = vcd_path;
    }
    model_->clk_i = 0;
    model_->res_ready_i = 1;
    reset();
  }

  ~VerilatedArray() override {
    model_->final();
    if (trace_) {
      trace_->close();
      if (fst_) {
        std::error_code ignored;  // the run failed already: its error is the one reported
        std::filesystem::remove(vcd_path_, ignored);
      }
    }
    trace_.reset();
    Verilated::threadContextp(context_.get());
    model_.reset();
  }

  int64_t rows() const override { return rows_; }
  int64_t cols() const override { return cols_; }
  int64_t lanes() const override { return lanes_; }

  // rst_ni high, low, high: the falling edge triggers the asynchronous reset (Verilator takes
  // the first evaluation's value as the previous one, so a reset that starts low never fires).
  void reset() override {
    context_->gotError(false);
    int64_t at = 1;
    for (const int level : {1, 0, 1}) {
      model_->rst_ni = static_cast<uint8_t>(level);
      eval_and_dump(at++);
    }
  }

  void configure(int dataflow, uint8_t fmt_a, uint8_t fmt_b) override {
    model_->dataflow_i = static_cast<uint8_t>(dataflow);
    model_->fmt_a_i = fmt_a;
    model_->fmt_b_i = fmt_b;
  }

  void drive(const EdgeIn& in, bool res_ready) override {
    Model& m = *model_;
    pack(m.row_valid_i, in.row_valid, 1);
    pack(m.row_data_i, in.row_data, 1);
    pack(m.row_first_i, in.row_first, 1);
    pack(m.row_last_i, in.row_last, 1);
    pack(m.row_code_i, in.row_code, 4);
    pack(m.row_en_i, in.row_en, 1);
    pack(m.col_valid_i, in.col_valid, 1);
    pack(m.col_data_i, in.col_data, 1);
    pack(m.col_code_i, in.col_code, 4);
    pack(m.col_en_i, in.col_en, 1);
    pack(m.psum_valid_i, in.psum_valid, 1);
    pack(m.psum_data_i, in.psum_data, 1);
    pack(m.psum_i, in.psum, 16);
    pack(m.w_valid_i, in.w_valid, 1);
    pack(m.w_data_i, in.w_data, 1);
    pack(m.w_row_i, in.w_row, row_width(rows_));
    pack(m.w_code_i, in.w_code, 4);
    pack(m.w_en_i, in.w_en, 1);
    m.res_ready_i = res_ready ? 1 : 0;
  }

  void results(std::vector<uint16_t>& res_valid, std::vector<uint16_t>& res) const override {
    for (size_t j = 0; j < static_cast<size_t>(cols_); ++j) {
      res_valid[j] = unpack(model_->res_valid_o, j, 1);
      res[j] = unpack(model_->res_o, j, 16);
    }
  }

  bool settle() override {
    model_->clk_i = 0;
    eval_and_dump(5);
    return model_->in_ready_o != 0;
  }

  // The rising edge; the clock falls in the next settle() (two evaluations per cycle).
  void clock_edge() override {
    model_->clk_i = 1;
    eval_and_dump(kTimePerCycle);
    ++cycles_;
  }

  int64_t cycles() const override { return cycles_; }

  void set_waves_gemm(bool on) override { waves_gemm_ = on; }

  void finish_waves() override {
    if (!trace_) {
      return;
    }
    trace_->close();
    trace_.reset();
    if (fst_) {
      try {
        vcd_to_fst(vcd_path_, waves_path_);
      } catch (...) {
        std::error_code ignored;  // the conversion's error is the one to report
        std::filesystem::remove(vcd_path_, ignored);
        throw;
      }
      std::filesystem::remove(vcd_path_);
    }
  }

 private:
  // Time (the waves' and Verilator's messages'): kTimePerCycle units per clock cycle; cycle c
  // (c clock edges since the model was built) begins with its rising edge at time
  // kTimePerCycle * c; a GEMM's reset evaluates at + 1, 2 and 3, and the clock falls at + 5.
  // An evaluation at a time not after the last one takes the next time unit.
  static constexpr int64_t kTimePerCycle = 10;

  void eval_and_dump(int64_t offset) {
    time_ = std::max(kTimePerCycle * cycles_ + offset, time_ + 1);
    context_->time(static_cast<uint64_t>(time_));  // assertion messages name this time
    model_->eval();
    check_assertions();
    if (trace_ && waves_gemm_ && time_ >= waves_from_ && time_ < waves_to_) {
      trace_->dump(static_cast<uint64_t>(time_));
    }
  }

  void check_assertions() const {
    if (context_->gotError()) {
      throw std::logic_error(
          "RTL assertion failed in nibble_mac_array (Verilator's message on stdout), cycle " +
          std::to_string(cycles_) + ", wave time " + std::to_string(time_));
    }
  }

  int64_t rows_, cols_, lanes_;
  std::shared_ptr<VerilatedContext> context_;
  std::unique_ptr<Model> model_;
  std::unique_ptr<VerilatedVcdC> trace_;
  std::string waves_path_, vcd_path_;  // the wave file asked for, the VCD Verilator writes
  bool fst_ = false;                   // waves_path_ is an FST, converted from vcd_path_
  bool waves_gemm_ = true;             // this GEMM's cycles may be dumped
  int64_t waves_from_ = 0, waves_to_ = INT64_MAX;  // the times dumped: [from, to)
  int64_t cycles_ = 0;                             // clock edges since the model was built
  int64_t time_ = -1;                              // the last evaluation's time (see kTimePerCycle)
};

// The arrays built in (testbenches/cosim/CMakeLists.txt verilates each of NIBBLE_RTL_ARRAYS
// and lists it in the generated cosim_arrays.h): one row each.
struct BuiltArray {
  int64_t rows, cols, lanes;
  std::unique_ptr<RtlArray::Port> (*make)(const RtlOptions& options);
};

template <typename Model, int64_t R, int64_t C, int64_t L>
std::unique_ptr<RtlArray::Port> make_array(const RtlOptions& options) {
  return std::make_unique<VerilatedArray<Model>>(R, C, L, options);
}

#define NIBBLE_COSIM_ARRAY(rows, cols, lanes, model) \
  {rows, cols, lanes, make_array<model, rows, cols, lanes>},
constexpr BuiltArray kBuiltArrays[] = {NIBBLE_RTL_ARRAYS_TABLE};
#undef NIBBLE_COSIM_ARRAY

const BuiltArray* find_built(int64_t rows, int64_t cols, int64_t lanes) {
  for (const BuiltArray& b : kBuiltArrays) {
    if (b.rows == rows && b.cols == cols && b.lanes == lanes) {
      return &b;
    }
  }
  return nullptr;
}

std::unique_ptr<RtlArray::Port> make_port(int64_t rows, int64_t cols, int64_t lanes,
                                          const RtlOptions& options) {
  const BuiltArray* built = find_built(rows, cols, lanes);
  if (built == nullptr) {
    throw std::invalid_argument(rtl_array_not_built(rows, cols, lanes));
  }
  return built->make(options);
}

// ---- The controller -----------------------------------------------------------------------

// What the controller issues in one cycle: a wave into row 0 / column 0 (the edges skew it
// further) and a preload beat into column 0.
struct Issue {
  int64_t wave_tile = -1;  // tile index, -1: none
  int64_t wave = 0;
  int64_t preload_tile = -1;
  int64_t beat = 0;  // preload beat q: the token for row R - 1 - q
};

// An output the controller expects from a column, in order, and the tile it comes from.
struct Expected {
  int64_t m = 0, n = 0;
  int64_t tile = 0;
};

class Controller {
 public:
  Controller(const workload::GemmSpec& g, const timing::ArchSpec& arch, const fn::GemmTensors& t,
             ScheduleFault fault)
      : t_(t),
        df_(arch.array.dataflow),
        r_(arch.array.rows),
        c_(arch.array.cols),
        l_(arch.pe.lanes),
        db_(arch.sram.double_buffered),
        fault_(fault),
        history_(static_cast<size_t>(std::max(r_, c_) + 1)),
        expected_(static_cast<size_t>(c_)),
        n_(g.n),
        pending_(static_cast<size_t>(g.m * g.n)) {
    const timing::TilePlan plan = timing::plan_tiles(g, arch);
    timing::for_each_tile(g, arch, plan, [&](const timing::Tile& tile) { tiles_.push_back(tile); });
    first_wave_.assign(tiles_.size(), -1);
    last_wave_.assign(tiles_.size(), -1);
    preload_start_.assign(tiles_.size(), -1);
  }

  bool issued_all() const { return next_tile_ >= static_cast<int64_t>(tiles_.size()); }
  // The fraction of the tiles issued, in [0, 1].
  double issued_fraction() const {
    return tiles_.empty() ? 1.0
                          : static_cast<double>(next_tile_) / static_cast<double>(tiles_.size());
  }
  int64_t tiles() const { return static_cast<int64_t>(tiles_.size()); }

  // What to issue in array cycle ta (the same answer until commit: the array may stall).
  Issue decide(int64_t ta) const {
    Issue is;
    const bool os = df_ == timing::Dataflow::kOs;
    if (!issued_all()) {
      const timing::Tile& tile = tiles_[static_cast<size_t>(next_tile_)];
      bool ok = true;
      if (os) {
        // The last wave of an output-completing tile: the column's drain chain must be free.
        if (tile.completes_outputs && next_wave_ == tile.waves - 1 && last_drain_ >= 0 &&
            ta < last_drain_ + r_ && fault_ != ScheduleFault::kEarlyDrain) {
          ok = false;
        }
      } else {
        const int64_t p = preload_start_[static_cast<size_t>(next_tile_)];
        ok = (p >= 0 && ta >= p + r_) ||  // the tile's preload is complete
             fault_ == ScheduleFault::kWaveBeforePreload;
      }
      if (ok) {
        is.wave_tile = next_tile_;
        is.wave = next_wave_;
      }
    }
    if (!os && next_preload_ < static_cast<int64_t>(tiles_.size())) {
      if (beat_ > 0) {
        is.preload_tile = next_preload_;
        is.beat = beat_;
      } else if (preload_may_start(ta, is)) {
        is.preload_tile = next_preload_;
        is.beat = 0;
      }
    }
    return is;
  }

  void commit(int64_t ta, const Issue& is) {
    history_[static_cast<size_t>(ta % static_cast<int64_t>(history_.size()))] = is;
    if (is.wave_tile >= 0) {
      const size_t i = static_cast<size_t>(is.wave_tile);
      const timing::Tile& tile = tiles_[i];
      if (is.wave == 0) {
        first_wave_[i] = ta;
      }
      expect_wave(tile, is.wave_tile, is.wave);
      if (is.wave == tile.waves - 1) {
        last_wave_[i] = ta;
        if (tile.completes_outputs) {
          last_drain_ = ta;
        }
        ++next_tile_;
        next_wave_ = 0;
      } else {
        ++next_wave_;
      }
    }
    if (is.preload_tile >= 0) {
      if (is.beat == 0) {
        preload_start_[static_cast<size_t>(is.preload_tile)] = ta;
      }
      beat_ = is.beat + 1;
      if (beat_ == r_) {
        beat_ = 0;
        ++next_preload_;
      }
    }
  }

  // Chunk c of the tile (ws/is: PE row c; os: wave c; timing::tile_chunk) into lanes
  // [base, base + L) of code and en: code_at(k) and enable 1 per lane of the chunk; 0 and 0
  // beyond it, and in every lane when `data` is false (a bubble).
  template <typename CodeAt>
  void chunk(const timing::Tile& tile, int64_t c, bool data, CodeAt code_at,
             std::vector<uint16_t>& code, std::vector<uint16_t>& en, size_t base) const {
    const timing::KChunk ks = timing::tile_chunk(tile, c, l_);
    for (int64_t l = 0; l < l_; ++l) {
      const size_t at = base + static_cast<size_t>(l);
      const bool used = data && l < ks.len();
      code[at] = used ? code_at(ks.first + l) : 0;
      en[at] = used ? 1 : 0;
    }
  }

  // The edge inputs of array cycle ta, whose own issue is `now` (not yet in the history).
  // early_read: set to what went wrong when a wave reads a partial sum before the previous K
  // fold's result has left the array (an error only if the array takes these inputs).
  void edges(int64_t ta, const Issue& now, const datapath::Accumulators& acc, EdgeIn& in,
             std::string* early_read) const {
    early_read->clear();
    for (int64_t i = 0; i < r_; ++i) {
      const Issue* is = at(ta, i, now);
      const size_t li = static_cast<size_t>(i);
      in.row_valid[li] = in.row_data[li] = in.row_first[li] = in.row_last[li] = 0;
      const size_t lanes_i = li * static_cast<size_t>(l_);
      std::fill_n(in.row_code.begin() + static_cast<std::ptrdiff_t>(lanes_i), l_, 0);
      std::fill_n(in.row_en.begin() + static_cast<std::ptrdiff_t>(lanes_i), l_, 0);
      if (is == nullptr || is->wave_tile < 0) {
        continue;
      }
      const timing::Tile& tile = tiles_[static_cast<size_t>(is->wave_tile)];
      const int64_t w = is->wave;
      in.row_valid[li] = 1;
      const bool data = i < tile.rows_used;
      in.row_data[li] = data;
      if (df_ == timing::Dataflow::kOs) {
        in.row_first[li] = tile.first_partial && w == 0;
        in.row_last[li] = tile.completes_outputs && w == tile.waves - 1;
        chunk(
            tile, w, data, [&](int64_t k) { return t_.a.at(tile.row0 + i, k); }, in.row_code,
            in.row_en, lanes_i);
      } else {
        in.row_first[li] = w == 0;
        chunk(
            tile, i, data,
            [&](int64_t k) {
              return df_ == timing::Dataflow::kWs ? t_.a.at(tile.t0 + w, k)
                                                  : t_.b.at(k, tile.t0 + w);
            },
            in.row_code, in.row_en, lanes_i);
      }
    }
    for (int64_t j = 0; j < c_; ++j) {
      const size_t lj = static_cast<size_t>(j);
      const size_t lanes_j = lj * static_cast<size_t>(l_);
      in.col_valid[lj] = in.col_data[lj] = 0;
      in.psum_valid[lj] = in.psum_data[lj] = in.psum[lj] = 0;
      in.w_valid[lj] = in.w_data[lj] = in.w_row[lj] = 0;
      for (std::vector<uint16_t>* v : {&in.col_code, &in.col_en, &in.w_code, &in.w_en}) {
        std::fill_n(v->begin() + static_cast<std::ptrdiff_t>(lanes_j), l_, 0);
      }
      const Issue* is = at(ta, j, now);
      // The wave in column j's lane: the one issued j cycles ago (a fault delays it by one).
      const bool late = fault_ == ScheduleFault::kPsumLate || fault_ == ScheduleFault::kColumnLate;
      const Issue* ps = late ? at(ta, j + 1, now) : is;
      if (ps != nullptr && ps->wave_tile >= 0) {
        const timing::Tile& tile = tiles_[static_cast<size_t>(ps->wave_tile)];
        const int64_t w = ps->wave;
        const bool data = j < tile.cols_used;
        if (df_ == timing::Dataflow::kOs) {
          in.col_valid[lj] = 1;
          in.col_data[lj] = data;
          chunk(
              tile, w, data, [&](int64_t k) { return t_.b.at(k, tile.col0 + j); }, in.col_code,
              in.col_en, lanes_j);
        } else {
          in.psum_valid[lj] = 1;
          in.psum_data[lj] = data;
          if (data && !tile.first_partial) {
            const Expected e = output_of(tile, ps->wave_tile, w, j);
            const size_t el = static_cast<size_t>(e.m * acc.cols + e.n);
            // The previous K fold's result must have left the array (or leave it this cycle:
            // the buffer forwards it); only this wave's own result may still be due.
            if (pending_[el] != (ps == &now ? 0 : 1) && fault_ == ScheduleFault::kNone) {
              *early_read = "RTL array: a wave reads the partial sum of C[" + std::to_string(e.m) +
                            "][" + std::to_string(e.n) +
                            "] before the previous K fold's result left the array";
            }
            in.psum[lj] = acc.values[el].bits();
          }
        }
      }
      if (is != nullptr && is->preload_tile >= 0) {
        const timing::Tile& tile = tiles_[static_cast<size_t>(is->preload_tile)];
        const int64_t row = r_ - 1 - is->beat;
        const bool data = row < tile.rows_used && j < tile.cols_used;
        in.w_valid[lj] = 1;
        in.w_data[lj] = data;
        in.w_row[lj] = static_cast<uint16_t>(row);
        chunk(
            tile, row, data,
            [&](int64_t k) {
              return df_ == timing::Dataflow::kWs ? t_.b.at(k, tile.col0 + j)
                                                  : t_.a.at(tile.col0 + j, k);
            },
            in.w_code, in.w_en, lanes_j);
      }
    }
  }

  // The next output column j must deliver; throws if none is due.
  Expected take(int64_t j) {
    std::deque<Expected>& q = expected_[static_cast<size_t>(j)];
    if (q.empty()) {
      throw std::logic_error("RTL array: unexpected result from column " + std::to_string(j));
    }
    const Expected e = q.front();
    q.pop_front();
    --outstanding_;
    --pending_[static_cast<size_t>(e.m * n_ + e.n)];
    return e;
  }
  int64_t outstanding() const { return outstanding_; }

 private:
  // Whether the next tile's preload may start in cycle ta, given this cycle's wave issue.
  bool preload_may_start(int64_t ta, const Issue& now) const {
    const int64_t n = next_preload_;
    if (n == 0 || fault_ == ScheduleFault::kEarlyPreload) {
      return true;
    }
    const size_t prev = static_cast<size_t>(n - 1);
    if (db_) {
      // In or after the cycle the previous tile's first wave enters (it swaps the shadow in).
      return first_wave_[prev] >= 0 || (now.wave_tile == n - 1 && now.wave == 0);
    }
    return last_wave_[prev] >= 0 && ta > last_wave_[prev];  // after its last wave
  }

  // The issue of cycle ta - lag (lag 0: `now`), or nullptr before cycle 0.
  const Issue* at(int64_t ta, int64_t lag, const Issue& now) const {
    if (lag == 0) {
      return &now;
    }
    if (ta - lag < 0) {
      return nullptr;
    }
    return &history_[static_cast<size_t>((ta - lag) % static_cast<int64_t>(history_.size()))];
  }

  // The output (m, n) of wave w of tile `index` in array column j (ws/is).
  Expected output_of(const timing::Tile& tile, int64_t index, int64_t w, int64_t j) const {
    if (df_ == timing::Dataflow::kWs) {
      return {tile.t0 + w, tile.col0 + j, index};
    }
    return {tile.col0 + j, tile.t0 + w, index};
  }

  void expect_wave(const timing::Tile& tile, int64_t index, int64_t w) {
    if (df_ != timing::Dataflow::kOs) {
      for (int64_t j = 0; j < tile.cols_used; ++j) {
        const Expected e = output_of(tile, index, w, j);
        expected_[static_cast<size_t>(j)].push_back(e);
        ++pending_[static_cast<size_t>(e.m * n_ + e.n)];
        ++outstanding_;
      }
      return;
    }
    if (!tile.completes_outputs || w != tile.waves - 1) {
      return;
    }
    // os: each column drains its results bottom row first.
    for (int64_t j = 0; j < tile.cols_used; ++j) {
      for (int64_t i = tile.rows_used - 1; i >= 0; --i) {
        expected_[static_cast<size_t>(j)].push_back({tile.row0 + i, tile.col0 + j, index});
        ++pending_[static_cast<size_t>((tile.row0 + i) * n_ + tile.col0 + j)];
        ++outstanding_;
      }
    }
  }

  const fn::GemmTensors& t_;
  timing::Dataflow df_;
  int64_t r_, c_;
  int64_t l_;  // L, lanes per PE
  bool db_;
  ScheduleFault fault_;
  std::vector<timing::Tile> tiles_;
  std::vector<int64_t> first_wave_, last_wave_, preload_start_;  // array cycles, -1: not yet
  int64_t next_tile_ = 0, next_wave_ = 0;                        // the next wave to issue
  int64_t next_preload_ = 0, beat_ = 0;                          // the next preload beat
  int64_t last_drain_ = -1;     // os: last wave of the last completing tile
  std::vector<Issue> history_;  // issues of the last max(R, C) + 1 cycles
  std::vector<std::deque<Expected>> expected_;
  int64_t outstanding_ = 0;
  int64_t n_;                     // N, the row length of C
  std::vector<int32_t> pending_;  // per element of C: results issued, not yet out of the array
};

}  // namespace

bool rtl_array_built(int64_t rows, int64_t cols, int64_t lanes) {
  return find_built(rows, cols, lanes) != nullptr;
}

namespace {

// The built arrays as text, rows x cols [x lanes, when not 1], joined by `separator`.
std::string join_sizes(const char* separator) {
  std::string text;
  for (const BuiltArray& b : kBuiltArrays) {
    text += (text.empty() ? "" : separator) + std::to_string(b.rows) + "x" + std::to_string(b.cols);
    if (b.lanes != 1) {
      text += "x" + std::to_string(b.lanes);
    }
  }
  return text;
}

}  // namespace

std::string rtl_array_sizes() { return join_sizes(", "); }

std::string rtl_array_not_built(int64_t rows, int64_t cols, int64_t lanes) {
  const std::string size = std::to_string(rows) + "x" + std::to_string(cols);
  return "array.rows x array.cols x pe.lanes = " + size + "x" + std::to_string(lanes) +
         ": no RTL array of this size is built in (built: " + rtl_array_sizes() +
         "); to build it: cmake -DNIBBLE_RTL_ARRAYS=\"" + join_sizes(";") + ";" + size +
         (lanes == 1 ? "" : "x" + std::to_string(lanes)) +
         "\" BUILD_FOLDER, then rebuild (docs/cosim.md, \"Built arrays\")";
}

RtlArray::RtlArray(int64_t rows, int64_t cols, int64_t lanes, const RtlOptions& options)
    : port_(make_port(rows, cols, lanes, options)),
      options_(options),
      stall_rng_(options.stall_seed) {}

RtlArray::RtlArray(int64_t rows, int64_t cols, const RtlOptions& options)
    : RtlArray(rows, cols, 1, options) {}

RtlArray::~RtlArray() = default;

void RtlArray::finish_waves() { port_->finish_waves(); }

RtlGemm RtlArray::run(const workload::GemmSpec& g, const timing::ArchSpec& arch,
                      const fn::GemmTensors& t) {
  if (arch.array.rows != port_->rows() || arch.array.cols != port_->cols() ||
      arch.pe.lanes != port_->lanes()) {
    throw std::invalid_argument(
        "the RTL array is " + std::to_string(port_->rows()) + " x " +
        std::to_string(port_->cols()) + " with " + std::to_string(port_->lanes()) +
        " lanes, the configuration " + std::to_string(arch.array.rows) + " x " +
        std::to_string(arch.array.cols) + " with " + std::to_string(arch.pe.lanes));
  }
  const datapath::MatrixView a{t.a.codes.data(), t.a.rows, t.a.cols};
  const datapath::MatrixView b{t.b.codes.data(), t.b.rows, t.b.cols};
  if (t.a.rows != g.m || t.a.cols != g.k || t.b.rows != g.k || t.b.cols != g.n ||
      t.a.codes.size() != static_cast<size_t>(g.m * g.k) ||
      t.b.codes.size() != static_cast<size_t>(g.k * g.n)) {
    throw std::invalid_argument("gemm '" + g.name + "': tensors of the wrong shape");
  }
  const datapath::GemmOperands ops =
      datapath::operands_for(g, a, b, static_cast<int>(port_->lanes()));
  if (ops.fa.fp4.bias != num::kFp4DefaultBias || ops.fb.fp4.bias != num::kFp4DefaultBias) {
    throw std::invalid_argument("the RTL array is built with the default FP4 bias");
  }
  // Every GEMM starts from reset, so a GEMM that failed leaves nothing behind for the next;
  // then one idle cycle loads the configuration registers (not counted in the GEMM's cycles).
  port_->set_waves_gemm(options_.waves_gemm.empty() || g.name == options_.waves_gemm);
  port_->reset();
  port_->configure(static_cast<int>(arch.array.dataflow), tb::rtl_operand_fmt(ops.fa),
                   tb::rtl_operand_fmt(ops.fb));
  const auto r = static_cast<size_t>(port_->rows());
  const auto c = static_cast<size_t>(port_->cols());
  const auto l = static_cast<size_t>(port_->lanes());
  EdgeIn in(r, c, l);
  port_->drive(in, true);
  port_->settle();
  port_->clock_edge();

  RtlGemm out;
  out.acc.rows = g.m;
  out.acc.cols = g.n;
  out.acc.values.assign(static_cast<size_t>(g.m * g.n), num::kFp16Zero);
  Controller ctl(g, arch, t, options_.fault);
  out.tiles = ctl.tiles();
  out.tile.assign(static_cast<size_t>(g.m * g.n), -1);
  out.cycle.assign(static_cast<size_t>(g.m * g.n), -1);

  std::vector<uint16_t> res_valid(c), res(c);
  const int64_t start = port_->cycles();
  int64_t last_result = start;
  int64_t ta = 0;  // array cycles (the cycles in which the array advanced)
  // An idle stretch this long means the controller and the array disagree (a hang).
  const int64_t idle_limit = 16 * (port_->rows() + port_->cols()) + 64;
  int64_t idle = 0;
  bool ready = true;
  std::string early_read;
  int64_t since_progress = 0;
  while (!ctl.issued_all() || ctl.outstanding() > 0) {
    if (options_.on_progress && ++since_progress == RtlOptions::kProgressCycles) {
      since_progress = 0;
      options_.on_progress(ctl.issued_fraction());
    }
    if (options_.stall_probability > 0) {
      ready = stall_rng_.next_unit() >= options_.stall_probability;
    }
    // The results presented this cycle (the bottom registers) are taken first, so that the
    // ofmap buffer forwards them to a partial-sum read of the same cycle.
    port_->results(res_valid, res);
    bool progress = false;
    if (ready) {
      for (size_t j = 0; j < c; ++j) {
        if (res_valid[j] != 0) {
          const Expected e = ctl.take(static_cast<int64_t>(j));
          const size_t el = static_cast<size_t>(e.m * g.n + e.n);
          uint16_t bits = res[j];
          if (e.m == options_.flip_m && e.n == options_.flip_n) {
            bits = static_cast<uint16_t>(bits ^ (1U << options_.flip_bit));
          }
          out.acc.values[el] = num::Fp16::from_bits(bits);
          out.tile[el] = e.tile;
          out.cycle[el] = port_->cycles() - start;
          last_result = port_->cycles();
          progress = true;
        }
      }
    }
    const Issue is = ctl.decide(ta);
    ctl.edges(ta, is, out.acc, in, &early_read);
    port_->drive(in, ready);
    if (port_->settle()) {
      if (!early_read.empty()) {
        throw std::logic_error(early_read);
      }
      ctl.commit(ta, is);
      progress = progress || is.wave_tile >= 0 || is.preload_tile >= 0;
      ++ta;
    } else {
      ++out.stall_cycles;
    }
    port_->clock_edge();
    idle = progress ? 0 : idle + 1;
    if (idle > idle_limit) {
      throw std::logic_error("RTL array: no progress for " + std::to_string(idle) + " cycles; " +
                             std::to_string(ctl.outstanding()) + " results missing");
    }
  }
  // Let the lanes empty, so that the next GEMM starts from an idle array.
  in = EdgeIn(r, c, l);
  port_->drive(in, true);
  for (int64_t k = 0; k < port_->rows() + port_->cols() + 2; ++k) {
    port_->results(res_valid, res);
    if (std::any_of(res_valid.begin(), res_valid.end(), [](uint16_t v) { return v != 0; })) {
      throw std::logic_error("RTL array: a result after the last expected one");
    }
    port_->settle();
    port_->clock_edge();
  }
  out.cycles = last_result - start;
  return out;
}

// ---- Scale unit ---------------------------------------------------------------------------

class RtlScaleUnit::Impl {
 public:
  Impl() : context_(shared_context()) {
    model_ = std::make_unique<Vcosim_scale_unit>(context_.get(), scope_name("scale_unit").c_str());
  }
  ~Impl() {
    model_->final();
    Verilated::threadContextp(context_.get());
    model_.reset();
  }
  uint16_t convert(uint8_t out_fmt, uint16_t acc, uint16_t scale) {
    model_->out_fmt_i = out_fmt;
    model_->acc_i = acc;
    model_->scale_i = scale;
    model_->eval();
    return model_->out_o;
  }

 private:
  std::shared_ptr<VerilatedContext> context_;
  std::unique_ptr<Vcosim_scale_unit> model_;
};

RtlScaleUnit::RtlScaleUnit() : impl_(std::make_unique<Impl>()) {}
RtlScaleUnit::~RtlScaleUnit() = default;

std::vector<uint16_t> RtlScaleUnit::convert(const datapath::Accumulators& acc,
                                            const num::OutputSpec& spec,
                                            const std::vector<num::Fp16>& scales) {
  if (spec.rounding != num::Rounding::kNearestEven ||
      (spec.format == num::Format::kFp4 && spec.fp4.bias != num::kFp4DefaultBias)) {
    throw std::invalid_argument("the RTL scale unit rounds to nearest with the default FP4 bias");
  }
  if (scales.size() != 1 && scales.size() != static_cast<size_t>(acc.cols)) {
    throw std::invalid_argument("scale unit: expected 1 or N scales");
  }
  const uint8_t fmt = tb::rtl_output_fmt(spec);
  std::vector<uint16_t> out(acc.values.size());
  for (int64_t m = 0; m < acc.rows; ++m) {
    for (int64_t n = 0; n < acc.cols; ++n) {
      const size_t i = static_cast<size_t>(m * acc.cols + n);
      const num::Fp16 s = scales[scales.size() == 1 ? 0 : static_cast<size_t>(n)];
      out[i] = impl_->convert(fmt, acc.values[i].bits(), s.bits());
    }
  }
  return out;
}

}  // namespace nibble::cosim
