// The field numbers a pair of bitmap words holds, ascending:
//
//   for (int field : SetFields{primary, secondary}) ...
//
// Bit 63 of the primary word is field 1 and bit 0 of the secondary word is
// field 128, as on the wire. Field 1 says "a secondary bitmap follows" and is
// not a data field: callers that walk data fields pass the primary word with
// that bit cleared (data_word()). A plain range so that unpack and pack can
// return from inside the walk; it compiles to the same count-leading-zeros
// loop they would write by hand.
#pragma once

#include <bit>
#include <cstdint>

namespace authswitch::codec {

class SetFields {
 public:
  constexpr SetFields(std::uint64_t primary, std::uint64_t secondary) noexcept : primary_(primary), secondary_(secondary) {}

  // The primary word without its field-1 (secondary bitmap) flag.
  [[nodiscard]] static constexpr std::uint64_t data_word(std::uint64_t primary) noexcept {
    return primary & ~(std::uint64_t{1} << 63);
  }

  struct End {};
  class Iterator {
   public:
    constexpr Iterator(std::uint64_t primary, std::uint64_t secondary) noexcept
        : word_(primary), next_(secondary), base_(0) {
      settle();
    }
    [[nodiscard]] constexpr int operator*() const noexcept { return base_ + std::countl_zero(word_) + 1; }
    constexpr Iterator& operator++() noexcept {
      word_ &= ~(std::uint64_t{1} << (63 - std::countl_zero(word_)));
      settle();
      return *this;
    }
    [[nodiscard]] constexpr bool operator==(End) const noexcept { return word_ == 0; }

   private:
    // Moves on to the secondary word when the primary is done.
    constexpr void settle() noexcept {
      if (word_ == 0 && next_ != 0) {
        word_ = next_;
        next_ = 0;
        base_ = 64;
      }
    }
    std::uint64_t word_;
    std::uint64_t next_;
    int base_;
  };

  [[nodiscard]] constexpr Iterator begin() const noexcept { return {primary_, secondary_}; }
  [[nodiscard]] constexpr End end() const noexcept { return {}; }

 private:
  std::uint64_t primary_;
  std::uint64_t secondary_;
};

}  // namespace authswitch::codec
