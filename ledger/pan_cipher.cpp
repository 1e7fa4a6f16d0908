#include "ledger/pan_cipher.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "core/assert.h"
#include "ledger/log_files.h"

namespace authswitch::ledger {
namespace {

constexpr std::string_view aad = "authswitch-pan-v1";
constexpr std::string_view hash_key_label = "authswitch-pan-hash-v1";

struct CtxDeleter {
  void operator()(EVP_CIPHER_CTX* ctx) const noexcept { EVP_CIPHER_CTX_free(ctx); }
};
using Ctx = std::unique_ptr<EVP_CIPHER_CTX, CtxDeleter>;

Status crypto_error(std::string_view what) { return Status::error(Fault::crypto, "pan", -1, what); }

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string to_hex(const PanKey& key) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : key) {
    out += digits[b >> 4];
    out += digits[b & 0xf];
  }
  return out;
}

Status key_from_file(const std::string& path, PanKey& key) {
  std::string text;
  if (Status s = read_file(path, text); !s) return Status::error(Fault::bad_key, path, -1, s.to_string());
  if (!parse_pan_key_hex(text, key)) {
    return Status::error(Fault::bad_key, path, -1, "a PAN key file holds 64 hex characters (32 bytes)");
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && (st.st_mode & 077) != 0) {
    std::fprintf(stderr, "authswitch: warning: PAN key file %s is readable by group or others (mode %03o)\n",
                 path.c_str(), static_cast<unsigned>(st.st_mode & 0777));
  }
  return Status{};
}

Status generate_key_file(const std::string& path, PanKey& key) {
  if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1) return crypto_error("RAND_bytes failed");
  FileDescriptor fd(::open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600));
  if (!fd.valid()) return Status::from_errno(errno, path, -1, "create PAN key file");
  const std::string text = to_hex(key) + "\n";
  if (Status s = pwrite_all(fd.get(), text.data(), text.size(), 0, path); !s) return s;
  if (::fsync(fd.get()) != 0) return Status::from_errno(errno, path, -1, "fsync PAN key file");
  return Status{};
}

}  // namespace

bool parse_pan_key_hex(std::string_view text, PanKey& key) noexcept {
  while (!text.empty() && std::strchr(" \t\r\n", text.front()) != nullptr) text.remove_prefix(1);
  while (!text.empty() && std::strchr(" \t\r\n", text.back()) != nullptr) text.remove_suffix(1);
  if (text.size() != 2 * pan_key_bytes) return false;
  for (std::size_t i = 0; i < pan_key_bytes; ++i) {
    const int hi = hex_value(text[2 * i]);
    const int lo = hex_value(text[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    key[i] = static_cast<unsigned char>(hi * 16 + lo);
  }
  return true;
}

PanCipher::~PanCipher() { OPENSSL_cleanse(key_.data(), key_.size()); }

Status PanCipher::load(const std::string& pan_key_file, const std::string& wal_dir, PanKey& key,
                       PanKeyOrigin* origin) {
  auto set_origin = [&](PanKeyOrigin o) {
    if (origin != nullptr) *origin = o;
  };
  if (!pan_key_file.empty()) {
    set_origin(PanKeyOrigin::config_file);
    return key_from_file(pan_key_file, key);
  }
  if (const char* env = std::getenv(std::string(pan_key_env).c_str()); env != nullptr && *env != '\0') {
    set_origin(PanKeyOrigin::environment);
    if (!parse_pan_key_hex(env, key)) {
      return Status::error(Fault::bad_key, pan_key_env, -1, "holds 64 hex characters (32 bytes)");
    }
    return Status{};
  }
  if (Status s = ensure_directory(wal_dir); !s) return s;
  const std::string path = join_path(wal_dir, generated_key_name);
  if (::access(path.c_str(), F_OK) == 0) {
    set_origin(PanKeyOrigin::existing_generated);
    std::fprintf(stderr,
                 "authswitch: warning: using the generated PAN key %s beside the log: fine for a demo, not for "
                 "production (set pan_key_file or %s)\n",
                 path.c_str(), std::string(pan_key_env).c_str());
    return key_from_file(path, key);
  }
  set_origin(PanKeyOrigin::generated);
  if (Status s = generate_key_file(path, key); !s) return s;
  if (Status s = sync_directory(wal_dir); !s) return s;
  std::fprintf(stderr,
               "authswitch: warning: generated a PAN key in %s beside the log: fine for a demo, not for production "
               "(set pan_key_file or %s; keep the key away from the log)\n",
               path.c_str(), std::string(pan_key_env).c_str());
  return Status{};
}

Status PanCipher::encrypt(std::string_view pan, EncryptedPan& out) const {
  if (pan.empty() || pan.size() > pan_digits_max) return crypto_error("a PAN has 1 to 19 digits");
  std::array<unsigned char, pan_plain_bytes> plain{};
  plain[0] = static_cast<unsigned char>(pan.size());
  for (std::size_t i = 0; i < pan.size(); ++i) {
    if (pan[i] < '0' || pan[i] > '9') return crypto_error("a PAN holds digits only");
    plain[1 + i] = static_cast<unsigned char>(pan[i]);
  }
  auto* bytes = reinterpret_cast<unsigned char*>(out.data());
  unsigned char* nonce = bytes;
  unsigned char* cipher = bytes + pan_nonce_bytes;
  unsigned char* tag = cipher + pan_plain_bytes;
  if (RAND_bytes(nonce, static_cast<int>(pan_nonce_bytes)) != 1) return crypto_error("RAND_bytes failed");
  Ctx ctx(EVP_CIPHER_CTX_new());
  int n = 0;
  int final_n = 0;
  const bool ok =
      ctx && EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key_.data(), nonce) == 1 &&
      EVP_EncryptUpdate(ctx.get(), nullptr, &n, reinterpret_cast<const unsigned char*>(aad.data()),
                        static_cast<int>(aad.size())) == 1 &&
      EVP_EncryptUpdate(ctx.get(), cipher, &n, plain.data(), static_cast<int>(plain.size())) == 1 &&
      EVP_EncryptFinal_ex(ctx.get(), cipher + n, &final_n) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(pan_tag_bytes), tag) == 1;
  OPENSSL_cleanse(plain.data(), plain.size());
  if (!ok || n + final_n != static_cast<int>(pan_plain_bytes)) return crypto_error("AES-256-GCM encryption failed");
  return Status{};
}

Status PanCipher::decrypt(const EncryptedPan& in, PlainPan& out) const {
  std::array<unsigned char, encrypted_pan_bytes> bytes{};
  std::memcpy(bytes.data(), in.data(), in.size());
  const unsigned char* nonce = bytes.data();
  const unsigned char* cipher = nonce + pan_nonce_bytes;
  unsigned char* tag = bytes.data() + pan_nonce_bytes + pan_plain_bytes;
  std::array<unsigned char, pan_plain_bytes> plain{};
  Ctx ctx(EVP_CIPHER_CTX_new());
  int n = 0;
  int final_n = 0;
  const bool ok =
      ctx && EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key_.data(), nonce) == 1 &&
      EVP_DecryptUpdate(ctx.get(), nullptr, &n, reinterpret_cast<const unsigned char*>(aad.data()),
                        static_cast<int>(aad.size())) == 1 &&
      EVP_DecryptUpdate(ctx.get(), plain.data(), &n, cipher, static_cast<int>(pan_plain_bytes)) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(pan_tag_bytes), tag) == 1 &&
      EVP_DecryptFinal_ex(ctx.get(), plain.data() + n, &final_n) == 1;
  if (!ok) {
    OPENSSL_cleanse(plain.data(), plain.size());
    return crypto_error("the encrypted PAN does not verify (wrong key or altered record)");
  }
  const std::size_t length = plain[0];
  if (length == 0 || length > pan_digits_max) {
    OPENSSL_cleanse(plain.data(), plain.size());
    return crypto_error("the encrypted PAN has a bad length");
  }
  out.length = length;
  std::memcpy(out.digits.data(), plain.data() + 1, length);
  OPENSSL_cleanse(plain.data(), plain.size());
  return Status{};
}

core::PanHashKey PanCipher::pan_hash_key() const {
  std::array<unsigned char, 32> mac{};
  unsigned int length = 0;
  const unsigned char* ok =
      HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
           reinterpret_cast<const unsigned char*>(hash_key_label.data()), hash_key_label.size(), mac.data(), &length);
  // HMAC-SHA256 over a constant fails only when OpenSSL itself is broken; a
  // switch that cannot key its hash must not run with a guessable one.
  AS_ASSERT(ok != nullptr && length == mac.size());
  core::PanHashKey k;
  for (std::size_t i = 8; i-- > 0;) {
    k.k0 = k.k0 << 8 | mac[i];
    k.k1 = k.k1 << 8 | mac[8 + i];
  }
  OPENSSL_cleanse(mac.data(), mac.size());
  return k;
}

}  // namespace authswitch::ledger
