// SHA-256 against the FIPS 180-2 vectors, streaming equal to one shot; did-you-mean suggestions.
#include <gtest/gtest.h>

#include "core/sha256.h"
#include "core/spelling.h"

using namespace hearth;

TEST(CoreSha256, KnownVectorsAndStreaming) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const std::string two_blocks = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  EXPECT_EQ(sha256_hex(two_blocks), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  Sha256 h;
  for (char c : two_blocks) h.update(&c, 1);
  EXPECT_EQ(to_hex(h.finish()), sha256_hex(two_blocks));
  const unsigned char bytes[] = {0x00, 0x0f, 0xa5, 0xff};
  EXPECT_EQ(to_hex(bytes, sizeof bytes), "000fa5ff");
}

TEST(CoreSpelling, NearestKnownNameOrNone) {
  EXPECT_EQ(edit_distance("max_attemps", "max_attempts"), 1u);
  EXPECT_EQ(edit_distance("abcd", "abdc"), 1u);  // an adjacent swap is one edit
  EXPECT_EQ(edit_distance("", "abc"), 3u);
  const std::vector<std::string> keys = {"max_attempts", "retries_per_model", "backoff_ms", "global_usd"};
  EXPECT_EQ(closest_match("max_attemps", keys), "max_attempts");
  EXPECT_EQ(closest_match("bakoff_ms", keys), "backoff_ms");
  EXPECT_EQ(closest_match("global", keys), "global_usd");  // an abbreviation
  EXPECT_EQ(closest_match("temperature", keys), "");        // nothing close: no guess
  EXPECT_EQ(closest_match("x", {}), "");
}
