// The DRAM columns of SCALE-Sim v2's CALC-mode reports (docs/timing.md, "compat mode"): a
// streaming model of its ifmap/filter read buffers (ReadBufferEstimateBw) and its ofmap write
// buffer. No demand matrix is built: the valid accesses of each operand are generated in
// SCALE-Sim's order (demand row by demand row, array column order within a row) from the fold
// layout, and closed forms replace the stream where no buffer event fires inside the layer.
#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <utility>
#include <vector>

#include "model/timing/exact_div.h"
#include "model/timing/int_math.h"
#include "model/timing/scalesim_compat.h"

namespace nibble::timing {
namespace {

using workload::ConvShape;

// SCALE-Sim v2 constants of CALC mode, none of them configurable there: a read buffer is split
// into 100 sets of floor(elements / 100) words, half of them active; its prefetches run at 10
// words per cycle; the ofmap buffer keeps half its words active and drains the rest in lines of
// ArrayWidth words. Every element is one word.
constexpr int64_t kSetsPerReadBuffer = 100;
constexpr int64_t kActiveSets = 50;
constexpr int64_t kReadPrefetchWordsPerCycle = 10;
constexpr int64_t kWordsPerKib = 1024;

// Address spaces up to this many words get an epoch-stamped array; larger ones a hash set
// sized by the read window (the window is never more than half full in it).
constexpr int64_t kMaxEpochArrayWords = int64_t{1} << 22;

// The fold layout shared by the three operand streams.
struct Folds {
  int64_t r = 0, c = 0;  // array rows / cols
  int64_t m = 0, n = 0, k = 0;
  CompatGeometry g;

  int64_t rows_used(int64_t fr) const { return std::min(r, g.sr - fr * r); }
  int64_t cols_used(int64_t fc) const { return std::min(c, g.sc - fc * c); }
};

// Per output pixel and per window index: where an im2col entry (p, j) lives in the ifmap and
// whether it lies inside the image. SCALE-Sim orders j as (filter row, filter col, channel) with
// the channel fastest and addresses the ifmap as (row, col, channel), channel fastest; an entry
// is out of the image (address -1) when filter row + output row * Sh >= H or the same for
// columns. Entry (p, j) is inside iff win.row < pix.rows and win.col < pix.cols.
struct Pixel {
  int64_t base = 0;  // address of the window's top-left word
  int64_t rows = 0;  // filter rows inside the image (<= 0: none)
  int64_t cols = 0;
};
struct WindowEntry {
  int64_t offset = 0;  // address relative to the window's top-left word
  int64_t row = 0;
  int64_t col = 0;
};

struct IfmapTables {
  std::vector<Pixel> pixels;
  std::vector<WindowEntry> window;
};

IfmapTables make_ifmap_tables(const ConvShape& s) {
  IfmapTables t;
  const int64_t out_h = s.out_h();
  const int64_t out_w = s.out_w();
  t.pixels.resize(static_cast<size_t>(out_h * out_w));
  for (int64_t orow = 0; orow < out_h; ++orow) {
    for (int64_t ocol = 0; ocol < out_w; ++ocol) {
      Pixel& px = t.pixels[static_cast<size_t>(orow * out_w + ocol)];
      const int64_t top = orow * s.stride_h;
      const int64_t left = ocol * s.stride_w;
      px.base = (top * s.ifmap_w + left) * s.channels;
      px.rows = std::min(s.filter_h, s.ifmap_h - top);
      px.cols = std::min(s.filter_w, s.ifmap_w - left);
    }
  }
  t.window.resize(static_cast<size_t>(s.gemm_k()));
  size_t j = 0;
  for (int64_t row = 0; row < s.filter_h; ++row) {
    for (int64_t col = 0; col < s.filter_w; ++col) {
      for (int64_t ch = 0; ch < s.channels; ++ch) {
        t.window[j++] = {(row * s.ifmap_w + col) * s.channels + ch, row, col};
      }
    }
  }
  return t;
}

// Calls visit(row, index) for every in-image ifmap access, in SCALE-Sim's order. `row` is the
// global demand row, `index` the address minus IfmapOffset. Layout of fold (fc, fr), which
// starts at row fold * P:
//   os: row r, array row c < ru with 0 <= r - c < K: pixel fr*R + c, window index r - c
//   ws: row R + s, array row c < ru with 0 <= s - c < M: pixel s - c, window index fr*R + c
//   is: row R - 1 - rr for rr < ru, array col c < cu: pixel fc*C + c, window index fr*R + rr
template <bool kAllInside, typename Visit>
void stream_ifmap(const Folds& f, Dataflow df, const IfmapTables& t, Visit&& visit) {
  const Pixel* px = t.pixels.data();
  const WindowEntry* win = t.window.data();
  const auto emit = [&](int64_t row, int64_t p, int64_t j) {
    const Pixel& a = px[p];
    const WindowEntry& b = win[j];
    if (kAllInside || (b.row < a.rows && b.col < a.cols)) {
      visit(row, a.base + b.offset);
    }
  };
  const CompatGeometry& g = f.g;
  for (int64_t fold = 0; fold < g.folds; ++fold) {
    const int64_t fc = fold / g.fr;
    const int64_t fr = fold % g.fr;
    const int64_t ru = f.rows_used(fr);
    const int64_t row0 = fold * g.rows_per_fold;
    switch (df) {
      case Dataflow::kOs:
        for (int64_t r = 0; r < f.k + ru - 1; ++r) {
          const int64_t hi = std::min(ru - 1, r);
          for (int64_t c = std::max<int64_t>(0, r - f.k + 1); c <= hi; ++c) {
            emit(row0 + r, fr * f.r + c, r - c);
          }
        }
        break;
      case Dataflow::kWs:
        for (int64_t s = 0; s < f.m + ru - 1; ++s) {
          const int64_t hi = std::min(ru - 1, s);
          for (int64_t c = std::max<int64_t>(0, s - f.m + 1); c <= hi; ++c) {
            emit(row0 + f.r + s, s - c, fr * f.r + c);
          }
        }
        break;
      case Dataflow::kIs: {
        const int64_t cu = f.cols_used(fc);
        for (int64_t rr = ru - 1; rr >= 0; --rr) {
          for (int64_t c = 0; c < cu; ++c) {
            emit(row0 + f.r - 1 - rr, fc * f.c + c, fr * f.r + rr);
          }
        }
        break;
      }
    }
  }
}

// Calls visit(row, index) for every filter access in SCALE-Sim's order; index = n * K + j
// (address minus FilterOffset). Layout of fold (fc, fr):
//   os: row r, array col c < cu with 0 <= r - c < K: filter fc*C + c, window index r - c
//   ws: row R - 1 - rr for rr < ru, array col c < cu: filter fc*C + c, window index fr*R + rr
//   is: row R + s, array row c < ru with 0 <= s - c < N: filter s - c, window index fr*R + c
template <typename Visit>
void stream_filter(const Folds& f, Dataflow df, Visit&& visit) {
  const CompatGeometry& g = f.g;
  for (int64_t fold = 0; fold < g.folds; ++fold) {
    const int64_t fc = fold / g.fr;
    const int64_t fr = fold % g.fr;
    const int64_t ru = f.rows_used(fr);
    const int64_t cu = f.cols_used(fc);
    const int64_t row0 = fold * g.rows_per_fold;
    switch (df) {
      case Dataflow::kOs:
        for (int64_t r = 0; r < f.k + cu - 1; ++r) {
          const int64_t lo = std::max<int64_t>(0, r - f.k + 1);
          const int64_t hi = std::min(cu - 1, r);
          int64_t index = (fc * f.c + lo) * f.k + (r - lo);
          for (int64_t c = lo; c <= hi; ++c, index += f.k - 1) {
            visit(row0 + r, index);
          }
        }
        break;
      case Dataflow::kWs:
        for (int64_t rr = ru - 1; rr >= 0; --rr) {
          int64_t index = fc * f.c * f.k + fr * f.r + rr;
          for (int64_t c = 0; c < cu; ++c, index += f.k) {
            visit(row0 + f.r - 1 - rr, index);
          }
        }
        break;
      case Dataflow::kIs:
        for (int64_t s = 0; s < f.n + ru - 1; ++s) {
          const int64_t lo = std::max<int64_t>(0, s - f.n + 1);
          const int64_t hi = std::min(ru - 1, s);
          int64_t index = (s - lo) * f.k + fr * f.r + lo;
          for (int64_t c = lo; c <= hi; ++c, index -= f.k - 1) {
            visit(row0 + f.r + s, index);
          }
        }
        break;
    }
  }
}

// Calls visit(row, count) for every demand row with ofmap writes, in order; count is the number
// of valid ofmap addresses in the row. Index of (pixel p, filter n) = p * N + n. Layout of fold
// (fc, fr), with `null` the one index whose address is exactly -1 (only with a negative
// OfmapOffset; -1 otherwise), which SCALE-Sim skips like an empty slot:
//   os: row K - 1 + s, array col c < cu, q = s - c in [R - ru, R): pixel fr*R + R-1-q,
//       filter fc*C + c (the fold's rows come out flipped, padding first)
//   ws: row 2R - 1 + s, array col c < cu with 0 <= s - c < M: pixel s - c, filter fc*C + c
//   is: row 2R - 1 + s, array col c < cu with 0 <= s - c < N: pixel fc*C + c, filter s - c
template <typename Visit>
void stream_ofmap_rows(const Folds& f, Dataflow df, int64_t null, Visit&& visit) {
  const CompatGeometry& g = f.g;
  const bool has_null = null >= 0 && null < f.m * f.n;
  const int64_t null_p = has_null ? null / f.n : -1;
  const int64_t null_n = has_null ? null % f.n : -1;
  for (int64_t fold = 0; fold < g.folds; ++fold) {
    const int64_t fc = fold / g.fr;
    const int64_t fr = fold % g.fr;
    const int64_t ru = f.rows_used(fr);
    const int64_t cu = f.cols_used(fc);
    const int64_t row0 = fold * g.rows_per_fold;
    // The s of the row holding the null index in this fold, or -1.
    int64_t null_s = -1;
    if (df == Dataflow::kOs) {
      if (has_null && null_p / f.r == fr && null_n / f.c == fc) {
        null_s = (f.r - 1 - (null_p - fr * f.r)) + (null_n - fc * f.c);
      }
      for (int64_t s = f.r - ru; s < f.r + cu - 1; ++s) {
        const int64_t lo = std::max<int64_t>(0, s - f.r + 1);
        const int64_t hi = std::min(cu - 1, s - (f.r - ru));
        visit(row0 + f.k - 1 + s, hi - lo + 1 - (s == null_s ? 1 : 0));
      }
    } else {
      const int64_t t = df == Dataflow::kWs ? f.m : f.n;
      if (has_null) {
        const int64_t col = df == Dataflow::kWs ? null_n : null_p;
        const int64_t along = df == Dataflow::kWs ? null_p : null_n;
        if (col / f.c == fc) {
          null_s = along + (col - fc * f.c);
        }
      }
      for (int64_t s = 0; s < t + cu - 1; ++s) {
        const int64_t lo = std::max<int64_t>(0, s - t + 1);
        const int64_t hi = std::min(cu - 1, s);
        visit(row0 + 2 * f.r - 1 + s, hi - lo + 1 - (s == null_s ? 1 : 0));
      }
    }
  }
}

// Membership of the current read window, for indices in [0, size): a stamp per index; starting
// a new window bumps the epoch instead of clearing.
class EpochSet {
 public:
  explicit EpochSet(int64_t size) : stamp_(static_cast<size_t>(size), 0) {}

  bool insert(int64_t index) {
    uint32_t& s = stamp_[static_cast<size_t>(index)];
    if (s == epoch_) {
      return false;
    }
    s = epoch_;
    return true;
  }

  void next_window() {
    if (++epoch_ == 0) {
      std::fill(stamp_.begin(), stamp_.end(), 0);
      epoch_ = 1;
    }
  }

 private:
  std::vector<uint32_t> stamp_;
  uint32_t epoch_ = 1;
};

// The same for address spaces too large for a stamp array: open addressing with linear probing
// over at least twice the window's capacity. Slots stamped with an older epoch count as empty;
// nothing is ever erased within a window, so probe chains stay intact.
class WindowHashSet {
 public:
  explicit WindowHashSet(int64_t window_words) {
    while (static_cast<int64_t>(capacity_) < 2 * window_words) {
      capacity_ <<= 1;
      ++bits_;
    }
    keys_.resize(capacity_);
    stamp_.assign(capacity_, 0);
  }

  bool insert(int64_t index) {
    const auto key = static_cast<uint64_t>(index);
    auto slot = static_cast<size_t>((key * 0x9E3779B97F4A7C15ull) >> (64 - bits_));
    while (stamp_[slot] == epoch_) {
      if (keys_[slot] == key) {
        return false;
      }
      slot = (slot + 1) & (capacity_ - 1);
    }
    stamp_[slot] = epoch_;
    keys_[slot] = key;
    return true;
  }

  void next_window() {
    if (++epoch_ == 0) {
      std::fill(stamp_.begin(), stamp_.end(), 0);
      epoch_ = 1;
    }
  }

  static int64_t words(int64_t window_words) {
    int64_t c = 2;
    while (c < 2 * window_words) {
      c <<= 1;
    }
    return c;
  }

 private:
  size_t capacity_ = 2;
  int bits_ = 1;
  std::vector<uint64_t> keys_;
  std::vector<uint32_t> stamp_;
  uint32_t epoch_ = 1;
};

// What a read buffer's stream leaves behind. Rows are demand rows (cycles before stalls).
struct ReadTally {
  int64_t reads = 0;
  int64_t windows_closed = 0;
  int64_t first_row = -1;  // first row holding an address > -1
  int64_t last_close_row = 0;
};

// SCALE-Sim v2's ReadBufferEstimateBw, reduced to its observable effect: new addresses are
// grouped into sets of S words, and an address is a hit iff it was added since the last time
// 50 sets (the active buffer) were completed; at that point all of them are forgotten at once.
// So a window of 50*S distinct words is filled, fetched from DRAM once, and wiped.
template <typename Set>
class ReadWindow {
 public:
  ReadWindow(Set& set, int64_t window_words, int64_t null)
      : set_(set), window_words_(window_words), null_(null) {}

  void access(int64_t row, int64_t index) {
    if (index == null_) {
      return;
    }
    if (tally_.first_row < 0 && index > null_) {
      tally_.first_row = row;
    }
    if (!set_.insert(index)) {
      return;
    }
    ++tally_.reads;
    if (++in_window_ == window_words_) {
      ++tally_.windows_closed;
      tally_.last_close_row = row;
      in_window_ = 0;
      set_.next_window();
    }
  }

  const ReadTally& tally() const { return tally_; }

 private:
  Set& set_;
  int64_t window_words_;
  int64_t null_;
  int64_t in_window_ = 0;
  ReadTally tally_;
};

// Runs one read operand's stream through the windowed de-duplication. `stream(visit)` generates
// the (row, index) accesses; `space` bounds the indices.
template <typename Stream>
ReadTally tally_reads(int64_t space, int64_t window_words, int64_t null, Stream&& stream) {
  if (space <= kMaxEpochArrayWords || space <= 3 * WindowHashSet::words(window_words)) {
    EpochSet set(space);
    ReadWindow<EpochSet> buffer(set, window_words, null);
    stream([&](int64_t row, int64_t index) { buffer.access(row, index); });
    return buffer.tally();
  }
  WindowHashSet set(window_words);
  ReadWindow<WindowHashSet> buffer(set, window_words, null);
  stream([&](int64_t row, int64_t index) { buffer.access(row, index); });
  return buffer.tally();
}

// Demand row -> cycle: each row is issued at its index plus the stalls of earlier rows.
class StallMap {
 public:
  void add(int64_t row, int64_t stall) { events_.emplace_back(row, stall); }
  int64_t cycle(int64_t row) const {
    int64_t c = row;
    for (const auto& e : events_) {
      if (e.first < row) {
        c += e.second;
      }
    }
    return c;
  }

 private:
  std::vector<std::pair<int64_t, int64_t>> events_;
};

// DRAM start/stop of a read buffer (SCALE-Sim v2 prefetch schedule). If no window ever closed,
// complete_all_prefetches fetches all ceil(reads / S) sets at 10 words per cycle so that they
// end at cycle -1. Otherwise the first window is prefetched to end just before the first request
// (it starts 50*S/10 cycles before it) and the final prefetch ends one cycle after the last
// window closed.
AccessWindow read_window(const ReadTally& t, int64_t set_words, const StallMap& stalls) {
  AccessWindow w;
  w.count = t.reads;
  if (t.windows_closed == 0) {
    w.start = -ceil_div(ceil_div(t.reads, set_words) * set_words, kReadPrefetchWordsPerCycle);
    w.stop = -1;
  } else {
    const int64_t first = t.first_row < 0 ? 0 : stalls.cycle(t.first_row);
    w.start = first - ceil_div(kActiveSets * set_words, kReadPrefetchWordsPerCycle);
    w.stop = stalls.cycle(t.last_close_row) + 1;
  }
  return w;
}

// Number of input rows (or columns) any of `n_out` windows of `f` at stride `s` touches inside
// [0, size). The last windows may run past the image (size >= f always holds).
int64_t covered(int64_t n_out, int64_t s, int64_t f, int64_t size) {
  if (s <= f) {
    return std::min((n_out - 1) * s + f, size);
  }
  const int64_t full = std::min(n_out, (size - f) / s + 1);
  return full * f + (full < n_out ? std::max<int64_t>(0, size - full * s) : 0);
}

// SCALE-Sim v2's ofmap write_buffer in CALC mode. It holds tot = OfmapSramSzkB*1024 words;
// writes are packed into lines of ArrayWidth words. Once fewer than ceil(tot/2) words are free
// outside a drain, the partial line is closed and the next ceil(drain/ArrayWidth) lines go to
// DRAM, one line per cycle, from the current cycle; each drained chunk counts its lines in full
// except the empty slots of its last line (so padding of partial lines inside a chunk counts).
// A write that finds no free word during a drain stalls its row until the drain ends. Rows are
// handled as counts: a row's writes only change the state at the write that triggers a drain or
// a stall, which is found arithmetically.
class WriteBuffer {
 public:
  WriteBuffer(int64_t total_words, int64_t line_words)
      : active_((total_words + 1) / 2),
        line_words_(line_words),
        lines_per_drain_(ceil_div(total_words - active_, line_words)),
        free_(total_words) {}

  // Returns the stall of a row issued at `cycle` with `count` writes.
  int64_t write_row(int64_t cycle, int64_t count) {
    int64_t now = cycle;
    while (count > 0) {
      if (now < drain_end_) {
        const int64_t until_full = std::max<int64_t>(1, free_);
        if (until_full > count) {
          store(count);
          break;
        }
        store(until_full);
        count -= until_full;
        now = drain_end_;
      } else {
        const int64_t until_drain = std::max<int64_t>(1, free_ - active_ + 1);
        if (until_drain > count) {
          store(count);
          break;
        }
        store(until_drain);
        count -= until_drain;
        close_line();
        drain_end_ = drain(now);
      }
    }
    return now - cycle;
  }

  // End of the layer: everything left drains back to back from `cycle` on.
  void finish(int64_t cycle) {
    close_line();
    while (drained_ < lines_) {
      drain_end_ = drain(cycle);
      cycle = drain_end_ + 1;
    }
  }

  AccessWindow result() const { return {first_cycle_, last_cycle_, writes_}; }

 private:
  void store(int64_t words) {
    free_ -= words;
    partial_ += words;
    lines_ += partial_ / line_words_;
    partial_ %= line_words_;
  }

  void close_line() {
    if (partial_ > 0) {
      short_lines_.emplace_back(lines_, partial_);
      ++lines_;
      partial_ = 0;
    }
  }

  int64_t drain(int64_t start) {
    const int64_t take = std::min(lines_per_drain_, lines_ - drained_);
    if (take <= 0) {
      // SCALE-Sim indexes the last line of an empty chunk and stops with an error.
      throw std::invalid_argument("SCALE-Sim ofmap write buffer: drain with no line");
    }
    const int64_t last = drained_ + take - 1;
    while (next_short_ < short_lines_.size() && short_lines_[next_short_].first < last) {
      ++next_short_;
    }
    int64_t last_words = line_words_;
    if (next_short_ < short_lines_.size() && short_lines_[next_short_].first == last) {
      last_words = short_lines_[next_short_].second;
    }
    const int64_t words = take * line_words_ - (line_words_ - last_words);
    writes_ += words;
    free_ += words;
    if (writes_ == words) {
      first_cycle_ = start;
    }
    last_cycle_ = start + take - 1;
    drained_ += take;
    return last_cycle_;
  }

  int64_t active_;
  int64_t line_words_;
  int64_t lines_per_drain_;
  int64_t free_;
  int64_t lines_ = 0;                                     // closed lines so far
  int64_t partial_ = 0;                                   // words in the open line
  std::vector<std::pair<int64_t, int64_t>> short_lines_;  // (line, words) of closed partial lines
  size_t next_short_ = 0;
  int64_t drained_ = 0;  // lines sent to DRAM
  int64_t drain_end_ = 0;
  int64_t writes_ = 0;
  int64_t first_cycle_ = 0;
  int64_t last_cycle_ = 0;
};

double per_cycle(const AccessWindow& w) {
  const int64_t cycles = w.stop - w.start + 1;
  return exact_ratio(static_cast<Uint128>(w.count), static_cast<Uint128>(cycles));
}

// The index whose address is exactly -1, which SCALE-Sim treats as "no access"; -1 (matching no
// index) unless the offset is negative.
int64_t null_index(int64_t offset) { return offset < 0 ? -1 - offset : -1; }
bool in_space(int64_t index, int64_t space) { return index >= 0 && index < space; }

}  // namespace

void compat_dram(const ConvShape& layer, const ArchSpec& arch, CompatLayer& result) {
  const ArraySpec& a = arch.array;
  const ScaleSimSpec& ss = arch.scalesim;
  if (arch.sram.ifmap_kib < 1 || arch.sram.filter_kib < 1 || arch.sram.ofmap_kib < 1) {
    // SCALE-Sim fails on an SRAM of under 1 kB (empty read sets, empty write drains).
    throw std::invalid_argument("SCALE-Sim compat mode needs SRAM sizes of at least 1 kB");
  }
  Folds f;
  f.r = a.rows;
  f.c = a.cols;
  f.m = layer.gemm_m();
  f.n = layer.gemm_n();
  f.k = layer.gemm_k();
  f.g = compat_geometry(layer, a);
  const Dataflow df = a.dataflow;
  const int64_t rows = f.g.folds * f.g.rows_per_fold;

  // Ofmap first: its stalls (if any) delay every later row of the other two operands. The
  // layer's last cycle is its last demand row plus those stalls (result.total_cycles is not
  // read). SCALE-Sim v2 has not been seen to stall in CALC mode with an ofmap SRAM of >= 1 kB
  // (each drain frees more words than the array writes meanwhile); the stall rule is modelled
  // anyway, but result.total_cycles and stall_cycles are left as compat_compute_and_sram set them.
  StallMap stalls;
  {
    const int64_t total_words = arch.sram.ofmap_kib * kWordsPerKib;
    const int64_t drain_words = total_words - (total_words + 1) / 2;
    const int64_t null = null_index(ss.ofmap_offset);
    const int64_t entries = df == Dataflow::kOs ? f.m * f.n : f.g.fr * f.m * f.n;
    if (entries <= drain_words && !in_space(null, f.m * f.n)) {
      // Every write fits beside the active half: nothing drains before the layer ends, then it
      // all drains at once, one line per cycle from the last cycle.
      const int64_t end = rows - 1;
      result.dram_ofmap = {end, end + ceil_div(entries, a.cols) - 1, entries};
    } else {
      WriteBuffer buffer(total_words, a.cols);
      int64_t stalled = 0;
      stream_ofmap_rows(f, df, null, [&](int64_t row, int64_t count) {
        const int64_t stall = buffer.write_row(row + stalled, count);
        if (stall > 0) {
          stalls.add(row, stall);
          stalled += stall;
        }
      });
      buffer.finish(rows - 1 + stalled);
      result.dram_ofmap = buffer.result();
    }
  }

  // Ifmap and filter: closed form when the distinct footprint D stays below one window (no
  // window closes, reads = D), the stream otherwise.
  {
    const int64_t set_words = arch.sram.ifmap_kib * kWordsPerKib / kSetsPerReadBuffer;
    const int64_t window_words = kActiveSets * set_words;
    const int64_t space = layer.ifmap_h * layer.ifmap_w * layer.channels;
    const int64_t null = null_index(ss.ifmap_offset);
    const int64_t distinct = covered(layer.out_h(), layer.stride_h, layer.filter_h, layer.ifmap_h) *
                             covered(layer.out_w(), layer.stride_w, layer.filter_w, layer.ifmap_w) *
                             layer.channels;
    ReadTally t;
    if (distinct < window_words && !in_space(null, space)) {
      t.reads = distinct;
    } else {
      const IfmapTables tables = make_ifmap_tables(layer);
      const bool inside = layer.all_windows_inside();
      t = tally_reads(space, window_words, null, [&](auto&& visit) {
        if (inside) {
          stream_ifmap<true>(f, df, tables, visit);
        } else {
          stream_ifmap<false>(f, df, tables, visit);
        }
      });
    }
    result.dram_ifmap = read_window(t, set_words, stalls);
  }
  {
    const int64_t set_words = arch.sram.filter_kib * kWordsPerKib / kSetsPerReadBuffer;
    const int64_t window_words = kActiveSets * set_words;
    const int64_t space = f.k * f.n;
    const int64_t null = null_index(ss.filter_offset);
    ReadTally t;
    if (space < window_words && !in_space(null, space)) {
      t.reads = space;
    } else {
      t = tally_reads(space, window_words, null,
                      [&](auto&& visit) { stream_filter(f, df, visit); });
    }
    result.dram_filter = read_window(t, set_words, stalls);
  }

  result.dram_ifmap_bw = per_cycle(result.dram_ifmap);
  result.dram_filter_bw = per_cycle(result.dram_filter);
  result.dram_ofmap_bw = per_cycle(result.dram_ofmap);
}

}  // namespace nibble::timing
