// loadgen's requests and the check of every answer (SPEC 2, 3, 11): the
// RequestSource that run_open_loop() drives.
//
// Each request is a Record in a table indexed by sequence number modulo
// loadgen_table_slots (the same modulo the open-loop client uses, so both
// forget a request at the same moment). The record holds what the request's
// fields are made from, so the fields are rebuilt, not stored, to check an
// answer's echoes.
//
// Matching: an answer's 11 (STAN) names the request; 7 and 32 must agree.
// A fresh request takes the next STAN; a retransmission or conflicting
// duplicate reuses its original's key (32, 11, 7), as the network does, so
// its answer is told from the original's by order: loadgen sends it only
// after the original was answered, and keeps one such follow-up per original
// in flight.
//
// Single-threaded (the open-loop client's thread); counters may be read by
// another thread only after run_open_loop() returned.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "io/loadgen_cards.h"
#include "io/loadgen_mix.h"
#include "io/open_loop_client.h"

namespace authswitch::codec {
class MessageView;
}  // namespace authswitch::codec

namespace authswitch::io {

// 2^19 requests remembered: > 10 s at 50,000/s, and below the 1,000,000
// values a 6-digit STAN takes, so a STAN names one remembered request.
inline constexpr std::size_t loadgen_table_slots = 1u << 19;
// Mismatch descriptions kept for the report (the count is exact).
inline constexpr std::size_t loadgen_mismatch_notes_max = 10;
// Distinct field-44 reasons counted on 61 declines.
inline constexpr std::size_t loadgen_reasons_max = 16;

struct LoadgenCounts {
  std::uint64_t mismatches = 0;  // answers that failed a check
  std::uint64_t late = 0;        // answered, but after the timeout
  std::array<std::uint64_t, 100> by_rc{};  // two-digit numeric codes
  std::uint64_t rc_other = 0;              // 39 absent or not two digits
  std::array<std::uint64_t, request_kind_count> sent_by_kind{};
  struct Reason {
    std::string text;
    std::uint64_t count = 0;
  };
  std::vector<Reason> reasons_61;  // field 44 of 61 declines, in order of first sight
  std::vector<std::string> mismatch_notes;
};

struct LoadgenSourceOptions {
  Mix mix;
  std::uint64_t seed = 1;
  std::chrono::milliseconds timeout{2000};
  std::string acquirer = "424242";  // field 32
};

class LoadgenSource final : public RequestSource {
 public:
  // `cards` must outlive the source.
  LoadgenSource(const CardPool& cards, const LoadgenSourceOptions& options);
  ~LoadgenSource() override;

  std::size_t build_frame(std::uint64_t sequence, std::span<std::byte> out) override;
  std::optional<std::uint64_t> match_answer(std::span<const std::byte> payload) override;
  // The switch's own 0800 (echo, SPEC 2) is answered 0810 with 7, 11 and 70
  // echoed and 39 = 00.
  std::optional<std::size_t> reply_to_server(std::span<const std::byte> payload, std::span<std::byte> out) override;

  [[nodiscard]] const LoadgenCounts& counts() const noexcept { return counts_; }
  // Requests so far not answered within the timeout (answered late or not
  // at all): for the progress line, so it walks only the requests sent since
  // its last call that are old enough to judge.
  [[nodiscard]] std::uint64_t overdue_so_far();

 private:
  struct Record;
  struct Fields;
  void fill(const Record& r, Fields& f) const;
  void choose(std::uint64_t sequence, Record& r);
  void check(Record& r, const codec::MessageView& answer);
  void mismatch(const Record& r, const std::string& what);
  [[nodiscard]] Record* original_for_followup(bool approved_only);

  const CardPool& cards_;
  LoadgenSourceOptions options_;
  std::uint64_t random_;
  std::unique_ptr<Record[]> table_;
  std::unique_ptr<std::uint64_t[]> stan_to_sequence_;
  std::uint32_t next_stan_;
  // Answered originals a duplicate, conflict or reversal may refer to (ring
  // of sequence numbers, checked against the table when taken).
  std::vector<std::uint64_t> answered_;
  std::vector<std::uint64_t> approved_;
  std::size_t answered_head_ = 0, answered_size_ = 0, approved_head_ = 0, approved_size_ = 0;
  std::uint64_t next_sequence_ = 0;     // one past the last request built
  std::uint64_t overdue_cursor_ = 0;    // requests before it are judged
  std::uint64_t overdue_ = 0;
  std::int64_t field7_second_ = -1;
  char field7_[11] = {};
  LoadgenCounts counts_;
};

}  // namespace authswitch::io
