// The queue between producers and the writer thread (wal_writer.h).
//
// A moodycamel ConcurrentQueue used with one producer token per producer: each
// producer fills its own bounded sub-queue, so producers never contend with
// each other, and the single consumer sees each producer's records in order.
// Records are copied in by value (no pointer to free later); the move below
// copies only the used part of the 1 KiB slot.
#pragma once

#include <concurrentqueue/concurrentqueue.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "core/constants.h"

namespace authswitch::ledger {

struct QueuedRecord {
  std::int64_t timestamp_ns;
  std::uint32_t length;
  std::uint16_t type;
  std::uint16_t producer;
  std::byte payload[constants::wal_payload_bytes_max];

  // The payload is left uninitialised: only `length` bytes are ever read.
  QueuedRecord() noexcept : timestamp_ns(0), length(0), type(0), producer(0) {}
  QueuedRecord(const QueuedRecord&) = delete;
  QueuedRecord& operator=(const QueuedRecord&) = delete;
  QueuedRecord(QueuedRecord&& other) noexcept { copy_from(other); }
  QueuedRecord& operator=(QueuedRecord&& other) noexcept {
    copy_from(other);
    return *this;
  }
  ~QueuedRecord() = default;

 private:
  void copy_from(const QueuedRecord& other) noexcept {
    timestamp_ns = other.timestamp_ns;
    length = other.length;
    type = other.type;
    producer = other.producer;
    std::memcpy(payload, other.payload, other.length);
  }
};
static_assert(sizeof(QueuedRecord) == 1024, "a queued record fills exactly 1 KiB");

struct WalQueueTraits : moodycamel::ConcurrentQueueDefaultTraits {
  static const std::size_t BLOCK_SIZE = 32;
  // One producer's sub-queue is bounded: a full queue fails the append
  // (answered 91) instead of allocating.
  static const std::size_t MAX_SUBQUEUE_SIZE = constants::wal_queue_records_per_producer;
  // The block index must reach every block a full sub-queue holds, plus one
  // partly used, without growing: 4096 / 32 = 128 blocks, rounded up to a
  // power of two with room.
  static const std::size_t EXPLICIT_INITIAL_INDEX_SIZE = 256;
};
static_assert(constants::wal_queue_records_per_producer % WalQueueTraits::BLOCK_SIZE == 0);
static_assert(WalQueueTraits::EXPLICIT_INITIAL_INDEX_SIZE >
              constants::wal_queue_records_per_producer / WalQueueTraits::BLOCK_SIZE + 1);

using WalQueue = moodycamel::ConcurrentQueue<QueuedRecord, WalQueueTraits>;

// Blocks to preallocate so that every producer can fill its sub-queue at
// once: explicit producers keep the blocks they took, so the pool must hold
// all of them or one busy producer could starve another.
[[nodiscard]] constexpr std::size_t wal_queue_capacity(std::size_t producers) noexcept {
  return producers * (constants::wal_queue_records_per_producer + 2 * WalQueueTraits::BLOCK_SIZE);
}

}  // namespace authswitch::ledger
