// PAN encryption for the few records that must keep a PAN to rebuild state
// (a card added through the API; SPEC 7): AES-256-GCM with OpenSSL's EVP.
//
// An encrypted PAN is a fixed 48-byte blob, so records stay fixed-size:
//
//   0   12 bytes  nonce (random per encryption; 2^32 encryptions per key keep
//                 the collision chance below 2^-32, far above any card count)
//   12  20 bytes  ciphertext of: u8 digit count, 19 digits zero-padded
//   32  16 bytes  GCM tag (also authenticates the label "authswitch-pan-v1")
//
// The key (32 bytes, 64 hex characters) comes from config `pan_key_file`,
// else the environment variable AUTHSWITCH_PAN_KEY, else a key file generated
// beside the log on first start (mode 0600), with a warning that this suits a
// demo, not production: whoever can read the log folder can read the key.
//
// Not the hot path (cards added through the API): each call allocates an EVP
// context. Thread-safe: the object is immutable after load().
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

#include "core/keyed_pan.h"
#include "ledger/pan_mask.h"
#include "ledger/status.h"

namespace authswitch::ledger {

inline constexpr std::size_t pan_key_bytes = 32;
inline constexpr std::size_t pan_nonce_bytes = 12;
inline constexpr std::size_t pan_tag_bytes = 16;
inline constexpr std::size_t pan_plain_bytes = 1 + pan_digits_max;
inline constexpr std::size_t encrypted_pan_bytes = pan_nonce_bytes + pan_plain_bytes + pan_tag_bytes;
static_assert(encrypted_pan_bytes == 48);

inline constexpr std::string_view pan_key_env = "AUTHSWITCH_PAN_KEY";
inline constexpr std::string_view generated_key_name = "pan.key";

using EncryptedPan = std::array<std::byte, encrypted_pan_bytes>;
using PanKey = std::array<unsigned char, pan_key_bytes>;

struct PlainPan {
  std::array<char, pan_digits_max> digits{};
  std::size_t length = 0;
  [[nodiscard]] std::string_view view() const noexcept { return {digits.data(), length}; }
};

enum class PanKeyOrigin { config_file, environment, generated, existing_generated };

class PanCipher {
 public:
  explicit PanCipher(const PanKey& key) noexcept : key_(key) {}
  PanCipher(const PanCipher&) = delete;
  PanCipher& operator=(const PanCipher&) = delete;
  ~PanCipher();  // wipes the key

  // Finds the key as described above. `pan_key_file` is the config value
  // (empty: not set); `wal_dir` is where a demo key is generated.
  [[nodiscard]] static Status load(const std::string& pan_key_file, const std::string& wal_dir, PanKey& key,
                                   PanKeyOrigin* origin = nullptr);

  // pan: 1 to 19 ASCII digits, else Fault::crypto, with a message that never
  // repeats the input.
  [[nodiscard]] Status encrypt(std::string_view pan, EncryptedPan& out) const;
  // Fails (Fault::crypto) when the tag does not verify: wrong key or altered blob.
  [[nodiscard]] Status decrypt(const EncryptedPan& in, PlainPan& out) const;

  // The key of the hash kept instead of an unknown card's PAN
  // (core/keyed_pan.h, CoreConfig::pan_hash_key): the first 16 bytes of
  // HMAC-SHA256(PAN key, "authswitch-pan-hash-v1"). A key of its own, so the
  // encryption key is never used for anything but encryption, and the hash
  // key tells nothing of it. Changing the PAN key changes it.
  [[nodiscard]] core::PanHashKey pan_hash_key() const;

 private:
  PanKey key_;
};

// Parses 64 hex characters (surrounding whitespace allowed).
[[nodiscard]] bool parse_pan_key_hex(std::string_view text, PanKey& key) noexcept;

}  // namespace authswitch::ledger
